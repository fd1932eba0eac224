"""python-hcl2's parser as generated tables (hcl_grammar.py) run by the LALR driver."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import hcl2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lark.exceptions import UnexpectedInput

from acr_trusted.lint import hcl_grammar
from acr_trusted.lint.bicep_lalr import NotHandled, Parser, from_lark
from tests.conftest import CORPUS, ROOT
from tests.test_lint_bicep_lalr import _mutations, shape

FIXTURES = ROOT / "tests" / "fixtures"
EXAMPLES = ROOT / "examples"


def hcl_files() -> list[Path]:
    roots = [FIXTURES, EXAMPLES] + ([CORPUS] if CORPUS.is_dir() else [])
    return [
        path
        for root in roots
        for path in sorted(root.rglob("*"))
        if path.suffix in (".tf", ".tfvars") and path.is_file()
    ]


@pytest.fixture(scope="module")
def fast() -> Parser:
    parser = hcl_grammar._fast_parser()
    assert parser is not None, "the tables do not match the installed python-hcl2"
    return parser


def lark_shape(text: str) -> Any:
    try:
        return shape(from_lark(hcl2.parses_to_tree(text)))
    except UnexpectedInput as failure:
        return type(failure).__name__


def fast_shape(parser: Parser, text: str) -> Any:
    try:
        return shape(parser.parse(text + "\n"))
    except NotHandled:
        return None


def assert_same(parser: Parser, text: str) -> None:
    """The driver gives python-hcl2's tree, or leaves a syntax error to python-hcl2."""
    expected = lark_shape(text)
    got = fast_shape(parser, text)
    if isinstance(expected, str):
        assert got is None, expected
    else:
        assert got == expected


def test_tables_are_in_step_with_the_installed_python_hcl2() -> None:
    """Regenerate with ``python -m acr_trusted.lint.hcl_grammar`` after upgrading python-hcl2."""
    assert hcl_grammar.TABLES.read_text(encoding="utf-8") == hcl_grammar.tables_text()


def test_tables_text_is_the_same_in_every_process() -> None:
    """Lark numbers its states by object identity: a process with other hashes and addresses
    must still write the same tables (a fresh clone's CI regenerates them to compare)."""
    script = (
        "from acr_trusted.lint import hcl_grammar\n"
        "print(hcl_grammar.TABLES.read_text(encoding='utf-8') == hcl_grammar.tables_text())\n"
    )
    for seed in ("1", "2"):
        done = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        assert done.stdout.strip() == "True"


def test_every_terraform_file_parses_to_python_hcl2s_tree(fast: Parser) -> None:
    texts = {path: path.read_text(encoding="utf-8-sig") for path in hcl_files()}
    assert sum(not isinstance(lark_shape(text), str) for text in texts.values()) > 20
    for path, text in texts.items():
        try:
            assert_same(fast, text)
        except AssertionError:
            pytest.fail(f"{path}: the driver's tree is not python-hcl2's")


SNIPPETS = [
    "",
    "\n",
    "# only a comment",
    "a = 1\nb = -2\n",
    "a = b\n  || c\n  && d\n",
    "a = (b\n  # why\n  + c)\n",  # python-hcl2 rejects a comment line before an operator
    "a = (b # why\n  + c)\n",
    "a = x ? y : z\nb = x\n  ? y\n  : z\n",
    "a = 1 /* inline */ + 2 // trailing\n",
    "a = !b == -c\n",
    'a = "x${b}y%{if c}z%{else}w%{endif}"\n',
    'a = "$${literal} %%{literal} \\"q\\" \\u00e9"\n',
    'a = "%{for k, v in m}${k}=${v}%{endfor}"\n',
    'a = "%{if x == \\"y\\"}z%{endif}"\n',
    "a = <<EOT\nline ${b}\nEOT\nc = <<-EOT\n    indented\n  EOT\n",
    "a = <<E\nE\n",
    'a = [for x in xs : upper(x) if x != ""]\nb = {for k, v in m : k => v...}\n',
    'a = x[*].y.z\nb = x.*.y[0]\nc = x.0.y\nd = x["k"]\n',
    "a = f(1, 2,\n  3)\nb = g(xs...)\nc = provider::p::f(1)\n",
    'a = { b = 1, c : 2,\n  "d" = 3\n  in = 4\n  for = 5 }\n',
    'in {}\nresource "a" "b" {\n  dynamic "x" {\n    for_each = y\n    content {}\n  }\n}\n',
    "a = 1.5e3\nb = -0.5\nc = 10\nd = true\ne = null\n",
    "a = 1\r\nb = [\r\n  1,\r\n]\r\n",
    "a = b\n\n\n# c\n\n",
    "a = 1 +\n 2\n",
    'locals {\n  a = var.x == null ? "n" : var.x\n}\n',
]


@pytest.mark.parametrize("text", SNIPPETS)
def test_snippets_parse_to_python_hcl2s_tree(text: str, fast: Parser) -> None:
    assert_same(fast, text)


@pytest.mark.parametrize(
    "text",
    ["a = \n", 'resource "x" "y" {\n', "a = 1 +* 2\n", "a = \x00\n", "a = b c\n", '"a" = 1\n'],
)
def test_what_python_hcl2_must_report_is_not_handled(text: str, fast: Parser) -> None:
    with pytest.raises(NotHandled):
        fast.parse(text + "\n")


def test_parse_raises_python_hcl2s_error_for_text_that_is_not_hcl() -> None:
    with pytest.raises(UnexpectedInput):
        hcl_grammar.parse("a = \n")


def test_a_newline_before_a_binary_operator_joins_the_operator_as_in_python_hcl2(
    fast: Parser,
) -> None:
    tree = fast.parse("a = b\n  || c\n\n")
    operators = [
        token
        for node in _walk(tree)
        if getattr(node, "data", None) == "binary_operator"
        for token in node.children
    ]
    assert [(t.type, t.value, t.start_pos, t.end_pos) for t in operators] == [
        ("DOUBLE_PIPE", "\n  ||", 8, 10)
    ]


def _walk(node: Any) -> list[Any]:
    out = [node]
    for child in getattr(node, "children", ()):
        out.extend(_walk(child))
    return out


def test_other_python_hcl2_sources_fall_back_to_python_hcl2(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = (FIXTURES / "terraform").rglob("*.tf").__next__().read_text(encoding="utf-8")
    expected = shape(hcl_grammar.parse(text))
    hcl_grammar._fast_parser.cache_clear()
    monkeypatch.setattr(hcl_grammar, "source_digest", lambda: "another-python-hcl2")
    try:
        assert hcl_grammar._fast_parser() is None
        assert shape(hcl_grammar.parse(text)) == expected
    finally:
        hcl_grammar._fast_parser.cache_clear()


def test_missing_tables_fall_back_to_python_hcl2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hcl_grammar._fast_parser.cache_clear()
    monkeypatch.setattr(hcl_grammar, "TABLES", tmp_path / "absent.json")
    try:
        assert hcl_grammar._fast_parser() is None
        assert shape(hcl_grammar.parse("a = 1\n")) == lark_shape("a = 1\n")
    finally:
        hcl_grammar._fast_parser.cache_clear()


def test_the_digest_covers_the_installed_python_hcl2_and_lark(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    digest = hcl_grammar.source_digest()
    assert digest is not None
    assert re.fullmatch(r"[0-9a-f]{8}", digest)
    read_bytes = Path.read_bytes

    def edited(path: Path) -> bytes:
        data = read_bytes(path)
        return data + b"\n// edited" if path.name == "hcl2.lark" else data

    monkeypatch.setattr(Path, "read_bytes", edited)
    assert hcl_grammar.source_digest() not in (None, digest)
    monkeypatch.setattr(hcl_grammar, "_SOURCES", {"hcl2": ("missing.lark",)})
    assert hcl_grammar.source_digest() is None


def test_a_valid_file_is_parsed_without_importing_python_hcl2_or_lark(tmp_path: Path) -> None:
    source = tmp_path / "main.tf"
    source.write_text('resource "azurerm_container_registry" "acr" {\n  sku = "Premium"\n}\n')
    script = (
        "import sys\n"
        "from acr_trusted.lint.terraform_syntax import Positions, parse_hcl\n"
        f"body = parse_hcl(Positions('main.tf', open({str(source)!r}).read()))\n"
        "assert body.blocks[0].labels == ('azurerm_container_registry', 'acr')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('hcl2', 'lark')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert done.stdout.strip() == "[]"


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=2**32))
def test_mutated_files_parse_to_python_hcl2s_tree_or_are_left_to_it(
    seed: int, fast: Parser
) -> None:
    """A tree from the driver is python-hcl2's tree, also for text near the edge of the grammar."""
    sources = sorted((FIXTURES / "terraform").rglob("*.tf"))
    text = _mutations(sources[seed % len(sources)].read_text(encoding="utf-8"), seed)
    assert_same(fast, text)


PIECES = [*"ab01 \t\n\r#/*+-!=<>?:&|.,()[]{}\"$%~\\'e_", "in", "for", "${", "%{", "<<E\n", "E\n"]


@settings(max_examples=150, deadline=None)
@given(text=st.lists(st.sampled_from(PIECES), max_size=30).map("".join))
def test_random_text_parses_to_python_hcl2s_tree_or_is_left_to_it(text: str, fast: Parser) -> None:
    assert_same(fast, text)
