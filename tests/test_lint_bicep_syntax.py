from __future__ import annotations

from typing import Any

import pytest

from acr_trusted.lint import bicep_syntax
from acr_trusted.lint.bicep_lalr import Node, Token
from acr_trusted.lint.bicep_syntax import (
    BicepSyntaxError,
    SourceFile,
    bounds,
    parse_hole,
    read_template,
    string_parts,
    unescape,
)
from acr_trusted.lint.model import ParseError
from tests.bicep_helpers import FIXTURES

TEMPLATE = """\
@description('d')
param p string = 'x'
param q string?
param r int
var v = 1
func f(a string) string => a
resource acr 'Microsoft.ContainerRegistry/registries@2025-11-01' = {
  name: 'a'
  @batchSize(1)
  resource task 'tasks' = {
    name: 't'
  }
}
resource old 'Microsoft.ContainerRegistry/registries@2019-05-01' existing = {
  name: 'o'
}
module m './m.bicep' = {
  params: {}
}
output o string = acr.id
"""


def syntax_error(text: str) -> ParseError:
    with pytest.raises(BicepSyntaxError) as raised:
        read_template(text, "bad.bicep")
    return raised.value.error


# ---- source positions


def test_offsets_become_one_based_lines_and_columns_across_crlf() -> None:
    source = SourceFile("ab\r\ncd\n", "f.bicep")
    assert source.position(0) == (1, 1)
    assert source.position(4) == (2, 1)
    span = source.span(4, 6)
    assert (span.line, span.column, span.end_line, span.end_column) == (2, 1, 2, 2)
    assert span.start_offset is None


def test_a_literal_span_keeps_the_offsets_fix_edits_at() -> None:
    span = SourceFile("var a = 'None'\n", "f.bicep").span(8, 14, literal=True)
    assert (span.start_offset, span.end_offset) == (8, 14)


def test_bounds_of_a_node_that_covers_no_text_are_empty() -> None:
    assert bounds(Node("start", [])) == (0, 0)
    assert bounds(Token("NAME", "x", 3, 4)) == (3, 4)


# ---- strings


def test_string_parts_split_text_and_nested_holes() -> None:
    token = Token("STRING", "'a${b}c${'${d}'}'", 10, 27)
    assert list(string_parts(token)) == [
        ("text", 11, 12),
        ("hole", 14, 15),
        ("text", 16, 17),
        ("hole", 19, 25),
    ]


def test_string_parts_skip_escaped_dollars() -> None:
    token = Token("STRING", r"'a\${b}'", 0, 8)
    assert list(string_parts(token)) == [("text", 1, 7)]


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (r"a\nb", "a\nb"),
        (r"it\'s", "it's"),
        (r"back\\slash", "back\\slash"),
        (r"\${x}", "${x}"),
        (r"\u{41}\u{1F600}", "A\U0001f600"),
        (r"\u{zz}", r"\u{zz}"),
        ("trailing\\", "trailing\\"),
    ],
)
def test_unescape_follows_bicep_escapes(raw: str, text: str) -> None:
    assert unescape(raw) == text


# ---- declarations


def test_declarations_are_indexed_by_kind() -> None:
    template = read_template(TEMPLATE, "x.bicep")
    assert set(template.params) == {"p", "q", "r"}
    assert template.params["q"].nullable
    assert template.params["q"].type_name == "string?"
    assert template.params["r"].default is None
    assert set(template.variables) == {"v"}
    assert template.functions == frozenset({"f"})
    assert set(template.function_bodies) == {"f"}
    assert set(template.outputs) == {"o"}
    assert template.using is None


def test_resources_nest_with_qualified_symbols_and_inherit_type_and_api_version() -> None:
    template = read_template(TEMPLATE, "x.bicep")
    acr, task, old = template.resources.values()
    assert (acr.symbol, acr.existing, acr.parent) == ("acr", False, None)
    assert task.symbol == "acr::task"
    assert task.type == "Microsoft.ContainerRegistry/registries/tasks"
    assert task.api_version == "2025-11-01"
    assert task.parent == "acr"
    assert len(task.decorators) == 1
    assert old.existing
    assert old.api_version == "2019-05-01"


def test_declaration_spans_are_the_first_line_and_the_type_literal_is_fixable() -> None:
    acr = read_template(TEMPLATE, "x.bicep").resources["acr"]
    assert (acr.span.line, acr.span.column, acr.span.end_line) == (7, 1, 7)
    assert (acr.type_span.line, acr.type_span.column) == (7, 14)
    assert acr.type_span.start_offset is not None


def test_modules_keep_their_path_and_call_site() -> None:
    module = read_template(TEMPLATE, "x.bicep").modules["m"]
    assert module.path == "./m.bicep"
    assert (module.path_span.line, module.path_span.column) == (17, 10)
    assert module.span.line == 17
    assert module.body.data == "object"


def test_a_bicepparam_file_names_its_template_and_assigns_values() -> None:
    template = read_template("using './main.bicep'\nparam bypass = 'None'\n", "p.bicepparam")
    assert template.using is not None
    assert template.using[0] == "./main.bicep"
    assert template.extends is None
    shared = read_template("using './main.bicep'\nextends 'base.bicepparam'\n", "q.bicepparam")
    assert shared.extends == "base.bicepparam"
    assert template.params == {}
    node, span = template.assignments["bypass"]
    assert node.data == "string"
    assert span.line == 2


def test_a_file_is_read_once_per_run_by_display_path_and_content() -> None:
    first = read_template("var a = 1\n", "same.bicep")
    assert read_template("var a = 1\n", "same.bicep") is first
    assert read_template("var a = 1\n", "other.bicep") is not first
    assert read_template("var a = 2\n", "same.bicep") is not first


# ---- syntax errors


def test_a_syntax_error_names_line_column_and_what_was_expected() -> None:
    error = syntax_error("var a = \n")
    assert (error.span.path, error.span.line, error.span.column) == ("bad.bicep", 1, 9)
    assert error.reason.startswith("unexpected '\\n'; expected '(', '['")


def test_a_file_that_ends_early_says_so() -> None:
    error = syntax_error("resource x 'a@b' = {\n  name: 'x'\n")
    assert error.reason.startswith("unexpected end of file; expected")
    assert error.span.line == 2


def test_an_unterminated_string_is_an_unexpected_character() -> None:
    assert syntax_error("var a = 'x").reason == 'unexpected character "\'"'


def test_the_bad_fixture_points_at_the_stray_brace() -> None:
    error = syntax_error((FIXTURES / "bad.bicep").read_text(encoding="utf-8"))
    assert (error.span.line, error.span.column) == (7, 3)
    assert "unexpected '}'" in error.reason


def test_a_syntax_error_is_remembered_for_the_run_too() -> None:
    first = syntax_error("var a = \n")
    assert syntax_error("var a = \n") == first


def test_deep_nesting_is_a_syntax_error_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    def too_deep(text: str, start: str = "start", offset: int = 0) -> Any:
        raise RecursionError

    monkeypatch.setattr("acr_trusted.lint.bicep_grammar.parse", too_deep)
    assert syntax_error("var deep = 1\n").reason == "expression nested too deeply"


# ---- interpolation holes


def test_a_hole_is_parsed_with_file_offsets_once() -> None:
    source = SourceFile("var a = 'x${b.c}'\n", "h.bicep")
    hole = parse_hole("b.c", 12, source)
    (expression,) = hole.children
    assert (expression.data, expression.start_pos, expression.end_pos) == ("property", 12, 15)
    assert parse_hole("b.c", 12, source) is hole


def test_a_bad_hole_raises_every_time_it_is_asked_for() -> None:
    source = SourceFile("var a = '${)}'\n", "h.bicep")
    for _ in range(2):
        with pytest.raises(BicepSyntaxError):
            parse_hole(")", 11, source)
    assert isinstance(source.holes[11], ParseError)


def test_templates_are_cached_in_a_bounded_table(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bicep_syntax, "_TEMPLATE_CACHE_SIZE", 2)
    for index in range(4):
        read_template(f"var a = {index}\n", "bounded.bicep")
    assert len(bicep_syntax._TEMPLATES) <= 2


def test_a_parameter_typed_with_a_nullable_alias_is_nullable() -> None:
    template = read_template(
        (FIXTURES / "nullable_types" / "registry.bicep").read_text(), "r.bicep"
    )
    assert template.params["privateEndpoints"].nullable
    assert template.params["roleAssignments"].nullable
    assert not template.params["name"].nullable
    assert set(template.types) == {
        "privateEndpointListType",
        "privateEndpointType",
        "roleAssignmentType",
    }


@pytest.mark.parametrize(
    ("types", "nullable"),
    [
        ("type a = b\ntype b = string?\n", True),
        ("type a = {\n  x: string\n}\n", False),
        ("type a = string\n", False),
        ("type a = b\ntype b = a\n", False),
        ("", False),
    ],
)
def test_nullable_aliases_are_followed_through_other_aliases(types: str, nullable: bool) -> None:
    template = read_template(f"param p a\n{types}", "x.bicep")
    assert template.params["p"].nullable is nullable
