from __future__ import annotations

import json
from pathlib import Path

import pytest
from lark import Lark

from acr_trusted.lint import bicep_grammar
from acr_trusted.lint.bicep_grammar import (
    DRIVER,
    TABLES,
    NewlineFilter,
    build_parser,
    driver_text,
    grammar_digest,
    parse,
    tables_text,
)
from tests.bicep_helpers import ACCESS, BYPASS, FIXTURES, SKU, load_text, registry, value
from tests.conftest import CORPUS


@pytest.fixture(scope="module")
def built() -> tuple[Lark, NewlineFilter]:
    """The parser analysed from the grammar, without the per-user cache."""
    newlines = NewlineFilter()
    return build_parser(newlines, cache=False), newlines


def test_generated_tables_are_in_step_with_the_grammar(built: tuple[Lark, NewlineFilter]) -> None:
    """Regenerate with ``python -m acr_trusted.lint.bicep_grammar`` when this fails."""
    assert TABLES.read_text(encoding="utf-8") == tables_text(built[0])


def test_the_driver_s_tables_are_in_step_with_lark_s() -> None:
    """Regenerate with ``python -m acr_trusted.lint.bicep_grammar`` when this fails."""
    assert DRIVER.read_text(encoding="utf-8") == driver_text(TABLES.read_text(encoding="utf-8"))


def test_tables_text_is_reproducible() -> None:
    """Lark numbers states by object identity; the generated file must not depend on it."""
    again = build_parser(NewlineFilter(), cache=False)
    assert tables_text(again) == TABLES.read_text(encoding="utf-8")


def bicep_files() -> list[Path]:
    files = sorted(FIXTURES.rglob("*.bicep*"))
    if CORPUS.is_dir():
        files += sorted(CORPUS.rglob("*.bicep"))
    return files


def test_parser_from_tables_gives_the_trees_of_the_built_parser(
    built: tuple[Lark, NewlineFilter],
) -> None:
    loaded_filter = NewlineFilter()
    loaded = bicep_grammar._load_tables(loaded_filter)
    assert loaded is not None
    for path in bicep_files():
        text = path.read_text(encoding="utf-8")
        trees: list[object] = []
        for parser, newlines in (built, (loaded, loaded_filter)):
            newlines.text = text
            try:
                trees.append(parser.parse(text, start="start"))
            except Exception as failure:  # both parsers must fail alike, at the same place
                expected = getattr(failure, "expected", None) or ()
                where = (getattr(failure, "line", None), getattr(failure, "column", None))
                trees.append((type(failure).__name__, where, sorted(expected)))
        assert trees[0] == trees[1], path


@pytest.mark.parametrize(
    "content",
    [
        None,  # missing
        "{not json",
        json.dumps({"grammar": "0" * 16, "lark": "1.3.1", "data": {}, "memo": {}}),
        "GRAMMAR_OK_OTHER_LARK",
    ],
    ids=["missing", "corrupt", "other-grammar", "other-lark"],
)
def test_tables_that_do_not_match_are_not_used(
    content: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tables = tmp_path / "bicep_tables.json"
    if content == "GRAMMAR_OK_OTHER_LARK":
        content = json.dumps({"grammar": grammar_digest(), "lark": "0.0.1", "data": {}, "memo": {}})
    if content is not None:
        tables.write_text(content, encoding="utf-8")
    monkeypatch.setattr(bicep_grammar, "TABLES", tables)
    assert bicep_grammar._load_tables(NewlineFilter()) is None


def test_driver_tables_of_another_grammar_are_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without them, text is parsed by Lark (slower, the same trees)."""
    driver = tmp_path / "bicep_driver.json"
    driver.write_text(json.dumps({"grammar": "another", "driver": {}}), encoding="utf-8")
    monkeypatch.setattr(bicep_grammar, "DRIVER", driver)
    bicep_grammar._fast_parser.cache_clear()
    try:
        assert bicep_grammar._fast_parser() is None
        assert parse("var a = 1\n").data == "start"
    finally:
        bicep_grammar._fast_parser.cache_clear()


def test_string_keys_made_of_digits_are_refused() -> None:
    """They would come back from JSON as integers."""
    with pytest.raises(ValueError, match="'12'"):
        bicep_grammar._check_keys({"a": [{"12": 1}]})
    bicep_grammar._check_keys({"a": [{12: 1, "b": (1, 2)}]})


# ---- what the grammar accepts, and how it groups


@pytest.mark.parametrize(
    "snippet",
    [
        "var a = x.?b ?? 'c'",
        "var a = x[?'b']",
        "var a = x!.y",
        "var a = p::c.id",
        "var a = map(xs, (x) => x.id)",
        "var a = reduce(xs, {}, (cur, next) => union(cur, next))",
        "var a = { ...b, c: 1 }",
        "var a = [...b, 'c']",
        "var a = [\n  ...b\n  ...c\n]",
        "var a = [\n  for (x, i) in xs: {\n    n: i\n  }\n]",
        "var a = cond\n  ? 1\n  : 2",
        "var a = f(\n  1,\n  2\n)",
        "var a = '${x}-${'${y}'}'",
        "var a = '''\nraw ${x} ' text\n'''",
        "var a = { 'k': 1, b: 2 }",
        "var a = [1, 2\n 3]",
        "var a = x =~ 'y' || !z && w != v",
        "param p string[]?",
        "param p resourceInput<'Microsoft.Storage/storageAccounts@2024-01-01'>.tags?",
        "type t = 'a' | 'b'",
        "type t =\n  | { cpu: '1' }\n  | { cpu: '2' }",
        "type t = { @description('d')\n  a: string?\n  *: int }",
        "@export()\nfunc f(a string, b int) string => '${a}${b}'",
        "import { a, b as c } from './x.bicep'",
        "import * as ns from './x.bicep'",
        "extension 'br:mcr.microsoft.com/bicep/extensions/microsoftgraph/v1.0:0.1.8-preview' as g",
        "#disable-next-line no-unused-params\nparam p string",
        "output o string = x.properties.loginServer",
        "output o resource 'Microsoft.Storage/storageAccounts@2024-01-01' = s",
        "resource r 'A/b@1' existing = {\n  name: 'x'\n  scope: resourceGroup('rg')\n}",
        "resource r 'A/b@1' = if (c) {\n  name: 'x'\n  resource c 'd@1' = {\n    name: 'y'\n  }\n}",
        "module m './m.bicep' = [for i in range(0, 2): if (i > 0) {\n  name: 'm${i}'\n}]",
        "var a = {\n  type: 'x'\n  resource: 'y'\n  existing: true\n}",
        "var a = b.type",
        "module m './m.bicep' =\n  if (c) {\n    name: 'm'\n  }",
        "resource r 'A/b@1' existing =\n  if (!empty(n)) {\n    name: n\n  }",
        "using './main.bicep'\nparam x = 'y'",
    ],
)
def test_grammar_accepts_newer_bicep_syntax(snippet: str) -> None:
    parse(snippet + "\n")


def test_operator_precedence_follows_bicep() -> None:
    model = load_text(
        "param e string = ''\n"
        "resource r 'Microsoft.ContainerRegistry/registries@2025-11-01' = {\n"
        "  name: 'r'\n"
        "  sku: { name: !empty(e) ? 'Basic' : 'Premium' }\n"
        "  properties: {\n"
        "    publicNetworkAccess: 1 + 2 * 3 == 7 && 'a' != 'b' ? 'Disabled' : 'Enabled'\n"
        "    networkRuleBypassOptions: null ?? e ?? 'None'\n"
        "  }\n"
        "}\n"
    )
    reg = registry(model, "r")
    assert value(reg, SKU) == "Premium"  # (!empty(e)) ? ..., not !(empty(e) ? ...)
    assert value(reg, ACCESS) == "Disabled"
    assert value(reg, BYPASS) == ""


def test_a_condition_on_the_line_after_the_equals_sign_is_read() -> None:
    """``bicep format`` breaks a long ``module m '...' = if (...) {`` after the ``=``."""
    model = load_text(
        "param name string = ''\n"
        "resource r 'Microsoft.ContainerRegistry/registries@2025-11-01' =\n"
        "  if (!empty(name)) {\n"
        "    name: name\n"
        "    sku: { name: 'Premium' }\n"
        "    properties: { networkRuleBypassOptions: 'None' }\n"
        "  }\n"
    )
    reg = registry(model, "r")
    assert reg.conditional
    assert value(reg, BYPASS) == "None"
