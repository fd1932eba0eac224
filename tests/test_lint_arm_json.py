"""The tolerant JSON reader: ARM's extensions to JSON, positions, and clear syntax errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from acr_trusted.lint.arm_json import (
    MAX_DEPTH,
    JObject,
    JScalar,
    JsonSyntaxError,
    Positions,
    parse,
    plain,
)


def test_comments_bom_and_trailing_commas_are_accepted() -> None:
    """// and /* */ comments, a BOM and trailing commas parse; // inside strings stays text."""
    text = '\ufeff// head\n{"a": [1, 2,], /* x */ "url": "https://x.io//y", "b": {"c": null,},}'
    assert plain(parse(text)) == {"a": [1, 2], "url": "https://x.io//y", "b": {"c": None}}


def test_values_have_offsets_of_their_tokens() -> None:
    """A string node's offsets cover the token including its quotes."""
    text = '{\r\n  "bypass": "None"\r\n}'
    root = parse(text)
    assert isinstance(root, JObject)
    node = root.get("BYPASS")  # ARM property names ignore case
    assert isinstance(node, JScalar)
    assert text[node.start : node.end] == '"None"'
    assert Positions(text).line_col(node.start) == (2, 13)


def test_escapes_and_numbers() -> None:
    """Escapes decode; integers stay int, decimals and exponents become float."""
    assert plain(parse(r'["a\"b\u0041", 1, -2.5, 1e3, true, false]')) == [
        'a"bA',
        1,
        -2.5,
        1000.0,
        True,
        False,
    ]


@pytest.mark.parametrize(
    ("text", "offset", "reason"),
    [
        pytest.param('{"a": 1', 7, "expected ',' or '}' in object", id="unclosed-object"),
        pytest.param('{"a" 1}', 5, "expected ':' after property name", id="missing-colon"),
        pytest.param("[1, 2", 5, "expected ',' or ']' in array", id="unclosed-array"),
        pytest.param("{a: 1}", 1, "expected a property name in double quotes", id="bare-key"),
        pytest.param('{"a": "x', 6, "unterminated string", id="open-string"),
        pytest.param('["\\q"]', 1, "invalid escape sequence", id="bad-escape"),
        pytest.param("/* never closed", 0, "unterminated /* comment", id="open-comment"),
        pytest.param("", 0, "unexpected end of file", id="empty"),
        pytest.param("{} {}", 3, "unexpected text after the end", id="two-values"),
        pytest.param("[nope]", 1, "unexpected character 'n'", id="bad-word"),
    ],
)
def test_syntax_errors_say_where_and_why(text: str, offset: int, reason: str) -> None:
    """A syntax error carries the offset where reading stopped and a readable reason."""
    with pytest.raises(JsonSyntaxError) as caught:
        parse(text)
    assert caught.value.offset == offset
    assert reason in caught.value.reason


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    """Nesting beyond MAX_DEPTH is refused instead of overflowing Python's stack."""
    with pytest.raises(JsonSyntaxError, match="nesting deeper"):
        parse("[" * (MAX_DEPTH + 5))


def test_positions_count_lines_and_characters() -> None:
    """Lines are 1-based; columns count characters, CR of CRLF included in the previous line."""
    positions = Positions("ab\r\ncd\nef")
    assert positions.line_col(0) == (1, 1)
    assert positions.line_col(4) == (2, 1)
    assert positions.line_col(8) == (3, 2)


def test_corpus_json_parses_like_json_loads(shared_dir: Path) -> None:
    """Every strict-JSON corpus file reads the same as with json.loads."""
    for path in sorted((shared_dir / "corpus").rglob("*.json")):
        text = path.read_text(encoding="utf-8-sig")
        try:
            expected = json.loads(text)
        except ValueError:  # the mspnp files have // comments: parse must still accept them
            parse(text)
            continue
        assert plain(parse(text)) == expected, path
