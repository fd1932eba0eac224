from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lark import Lark

from acr_trusted.lint import bicep_grammar
from acr_trusted.lint.bicep_grammar import TABLES, NewlineFilter, newline_passes
from acr_trusted.lint.bicep_lalr import (
    Node,
    NotHandled,
    Parser,
    Tables,
    Token,
    first_characters,
    from_lark,
)
from tests.conftest import CORPUS

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def shape(node: Any) -> Any:
    """A tree as nested tuples (name, offsets, children), for comparing trees."""
    if isinstance(node, Node):
        return (node.data, node.start_pos, node.end_pos, tuple(shape(c) for c in node.children))
    return (node.type, node.value, node.start_pos, node.end_pos)


def bicep_files() -> list[Path]:
    files = sorted(FIXTURES.rglob("*.bicep*")) + sorted(EXAMPLES.rglob("*.bicep*"))
    if CORPUS.is_dir():
        files += sorted(CORPUS.rglob("*.bicep*"))
    return files


@pytest.fixture(scope="module")
def fast() -> Parser:
    document = bicep_grammar._document(TABLES)
    assert document is not None
    return Parser(Tables.from_lark(document), newline_passes, bicep_grammar._NEWLINE_KINDS)


@pytest.fixture(scope="module")
def lark_parser() -> tuple[Lark, NewlineFilter]:
    return bicep_grammar._parser()


def lark_shape(parser: tuple[Lark, NewlineFilter], text: str, start: str = "start") -> Any:
    built, newlines = parser
    newlines.text = text
    try:
        return shape(from_lark(built.parse(text, start=start)))
    except Exception as failure:  # Lark's UnexpectedInput subclasses
        return type(failure).__name__


def fast_shape(parser: Parser, text: str, start: str = "start") -> Any:
    try:
        return shape(parser.parse(text, start))
    except NotHandled:
        return None


def test_every_bicep_file_parses_to_larks_tree(
    fast: Parser, lark_parser: tuple[Lark, NewlineFilter]
) -> None:
    for path in bicep_files():
        text = path.read_text(encoding="utf-8")
        expected = lark_shape(lark_parser, text)
        got = fast_shape(fast, text)
        if isinstance(expected, str):  # a syntax error: the driver leaves it to Lark
            assert got is None, path
        else:
            assert got == expected, path


SNIPPETS = [
    "var a = (1 + 2) * -3\n",
    "var a = x.?b ?? 'c'\n",
    "var a = b.type\nvar c = { type: 'x', resource: 'y', existing: true, if: 1 }\n",
    "param type string\nparam resource object\n",
    "type t = 'a' | 'b'\ntype u = { *: int }\ntype v = int[]\ntype w = -1\n",
    "var a = f(\n  1,\n  2\n)\nvar b = c\n  ? 1\n  : 2\n",
    "var a = x!= y\nvar b = x! == y\n",
    "var a = '''\nraw\n'''\n",
    "import * as ns from './x.bicep'\n",
    "var a = [for (x, i) in xs: {\n  n: i\n}]\n",
    "\r\nvar a = 1 // c\r\n/* b */ var b = 2\r\n",
    "",
    "\n\n",
]


@pytest.mark.parametrize("text", SNIPPETS)
def test_snippets_parse_to_larks_tree(
    text: str, fast: Parser, lark_parser: tuple[Lark, NewlineFilter]
) -> None:
    assert fast_shape(fast, text) == lark_shape(lark_parser, text)


def test_a_hole_is_parsed_from_its_rule_with_shifted_offsets(fast: Parser) -> None:
    tree = fast.parse("a.b", "hole", offset=10)
    assert isinstance(tree, Node)
    assert tree.data == "hole"
    (expression,) = tree.children
    assert (expression.data, expression.start_pos, expression.end_pos) == ("property", 10, 13)


def test_tokens_read_as_their_text() -> None:
    token = Token("NAME", "acr", 4, 7)
    assert str(token) == "acr"
    assert f"{token}::x" == "acr::x"


def test_a_node_starts_at_its_first_childs_container(fast: Parser) -> None:
    """Lark's rule: a parenthesised operand's parentheses belong to the enclosing node."""
    tree = fast.parse("var a = (b) + c\n")
    (var,) = tree.children
    arith = var.children[-1]
    assert (arith.data, arith.start_pos, arith.end_pos) == ("arith", 8, 15)
    assert arith.children[0].data == "name"
    assert arith.children[0].start_pos == 9


@pytest.mark.parametrize(
    "text",
    ["var a = \n", "resource x 'a@b' = {\n  name: 'x'\n", "var a = 1 +* 2\n", "\x00", "testing\n"],
)
def test_what_lark_must_report_is_not_handled(text: str, fast: Parser) -> None:
    with pytest.raises(NotHandled):
        fast.parse(text)


def test_tables_in_another_shape_are_refused() -> None:
    with pytest.raises(KeyError):
        Tables.from_lark({"memo": {}, "data": {}})


def test_compact_tables_parse_as_lark_s_serialisation_does(fast: Parser) -> None:
    """The compact form (what hcl_tables.json holds) is the same tables, through JSON."""
    compact = json.loads(json.dumps(fast.tables.compact()))
    again = Parser(Tables(compact), newline_passes, bicep_grammar._NEWLINE_KINDS)
    assert again.tables.compact() == fast.tables.compact()
    for path in bicep_files()[:20]:
        text = path.read_text(encoding="utf-8")
        try:
            expected = shape(fast.parse(text))
        except NotHandled:
            continue
        assert shape(again.parse(text)) == expected, path


def test_parse_falls_back_to_lark_for_a_syntax_error() -> None:
    from lark.exceptions import UnexpectedInput

    with pytest.raises(UnexpectedInput):
        bicep_grammar.parse("var a = \n")


def _mutations(text: str, seed: int) -> str:
    """Delete, duplicate or swap a few tokens' worth of characters."""
    rng = random.Random(seed)
    chars = list(text)
    for _ in range(rng.randint(1, 4)):
        if not chars:
            break
        i = rng.randrange(len(chars))
        j = min(len(chars), i + rng.randint(1, 12))
        action = rng.choice(("delete", "duplicate", "swap"))
        if action == "delete":
            del chars[i:j]
        elif action == "duplicate":
            chars[i:i] = chars[i:j]
        else:
            k = rng.randrange(len(chars))
            chars[i], chars[k] = chars[k], chars[i]
    return "".join(chars)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=2**32))
def test_mutated_files_parse_to_larks_tree_or_are_left_to_lark(
    seed: int, fast: Parser, lark_parser: tuple[Lark, NewlineFilter]
) -> None:
    """A tree from the driver is Lark's tree, also for text near the edge of the grammar."""
    sources = [FIXTURES / "bicep" / "syntax.bicep", FIXTURES / "bicep" / "consumers.bicep"]
    text = _mutations(sources[seed % len(sources)].read_text(encoding="utf-8"), seed)
    got = fast_shape(fast, text)
    if got is not None:
        assert got == lark_shape(lark_parser, text)


def test_without_the_driver_lark_gives_the_same_tree(
    fast: Parser, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (FIXTURES / "bicep" / "syntax.bicep").read_text(encoding="utf-8")
    expected = shape(fast.parse(text, offset=5))
    monkeypatch.setattr(bicep_grammar, "_fast_parser", lambda: None)
    assert shape(bicep_grammar.parse(text, offset=5)) == expected


@pytest.mark.parametrize(
    ("regexp", "first"),
    [
        (r"\)", ")"),
        (r"(?:==|!=|=\~|!\~)", "!="),
        (r"[A-Za-c_][A-Za-z0-9_]*", "ABCDEFGHIJKLMNOPQRSTUVWXYZ_abc"),
        (r"(\r?\n)+", "\n\r"),
        (r"(?!x)[a-b]+", "ab"),
        (r"[^']+", None),  # a negated set: not a small set of characters
        (r"\w+", None),  # a category
        (r"a?b", "ab"),
        (r"a*", None),  # matches the empty string
        (r"\u00e9", None),  # beyond ASCII
        (r"^a", None),  # an anchor this does not follow
    ],
)
def test_first_characters(regexp: str, first: str | None) -> None:
    assert first_characters(regexp) == first


def test_a_terminal_that_cannot_start_alike_is_not_tried_first(fast: Parser) -> None:
    """Unary minus before ')' needs no check: '-' and ')' never start the same token."""
    terminals = fast.tables.terminals
    assert not terminals.may_overlap("MINUS", "RPAR")
    assert terminals.may_overlap("NAME", "IN")


def test_states_outside_hcl_strings_share_a_lexer_without_string_characters() -> None:
    """HCL's string characters match most text; the states outside strings follow one shared
    lexer that leaves them out instead of each compiling a pattern of its own."""
    from acr_trusted.lint import hcl_grammar

    document = json.loads(hcl_grammar.TABLES.read_text(encoding="utf-8"))
    parser = Parser(Tables(document["driver"]))
    text = (EXAMPLES / "iac/terraform/bad/main.tf").read_text(encoding="utf-8")
    parser.parse(text + "\n")
    lexers = {id(lexer): lexer for lexer in parser._lexers if lexer is not None}.values()
    shared = parser.tables._shared
    assert set(shared) >= {frozenset(), frozenset({"STRING_CHARS"})}
    shared_matches = {lexer.match for lexer in shared.values()}
    assert all(lexer.match in shared_matches for lexer in lexers)
