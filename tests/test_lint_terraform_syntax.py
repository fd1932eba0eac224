"""The positioned HCL reader (terraform_syntax.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acr_trusted.lint import terraform
from acr_trusted.lint.model import Span
from acr_trusted.lint.terraform_syntax import (
    SPLAT_ITEM,
    Body,
    Expr,
    ForClause,
    HclSyntaxError,
    Kind,
    Positions,
    parse_hcl,
    parse_hcl_expression,
    quoted,
    unescape,
)
from tests.terraform_helpers import (
    ACR_HEAD,
    FIXTURES,
    P,
    context,
    fixed_text,
    load,
    registry,
)


def parse(text: str) -> Body:
    return parse_hcl(Positions("main.tf", text))


def expr(source: str) -> Expr:
    """The expression ``source`` as the value of an attribute on line 1, column 5."""
    found = parse(f"x = {source}\n").expr("x")
    assert found is not None
    return found


def offsets(text: str, node: Expr) -> str:
    """The text between a fixable span's offsets."""
    assert node.span.start_offset is not None
    assert node.span.end_offset is not None
    return text[node.span.start_offset : node.span.end_offset]


# -- literals and their spans -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ('"None"', "None"),
        ("false", False),
        ("true", True),
        ("null", None),
        ("42", 42),
        ("1.5", 1.5),
    ],
)
def test_literals_have_fixable_spans_over_the_whole_token(source: str, value: object) -> None:
    text = f'resource "a" "b" {{\n  key = {source}\n}}\n'
    literal = parse(text).blocks[0].body.expr("key")
    assert literal is not None
    assert literal.kind is Kind.LITERAL
    assert literal.value == value
    assert (literal.span.line, literal.span.column) == (2, 9)
    assert literal.span.end_column == 8 + len(source)
    assert offsets(text, literal) == source  # quotes included: --fix keeps the quote style


def test_string_escapes_are_decoded_and_dollar_escapes_stay_literal() -> None:
    literal = expr(r'"a\"b\n\u00e9 $${not} %%{not}"')
    assert literal.kind is Kind.LITERAL
    assert literal.value == 'a"b\né ${not} %{not}'


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (r"plain", "plain"),
        (r"\n\r\t\"\\", '\n\r\t"\\'),
        (r"\\n", "\\n"),  # one pass: an escaped backslash does not escape the next character
        (r"\u00e9\U0001F600", "\u00e9\U0001f600"),
        (r"\ud800 \U00110000 \u12 \x", r"\ud800 \U00110000 \u12 \x"),  # kept as written
        ("trailing\\", "trailing\\"),
    ],
)
def test_unescape_resolves_hcls_escapes_as_python_hcl2_does(raw: str, value: str) -> None:
    from hcl2.utils import process_escape_sequences

    assert unescape(raw) == value == process_escape_sequences(raw)


@settings(max_examples=300)
@given(
    st.lists(st.sampled_from(["\\", "u", "U", "n", "0", "d", "8", "F", "x", '"', "\n"])).map(
        "".join
    )
)
def test_unescape_agrees_with_python_hcl2(raw: str) -> None:
    from hcl2.utils import process_escape_sequences

    assert unescape(raw) == process_escape_sequences(raw)


def test_block_header_span_labels_and_nested_blocks() -> None:
    body = parse(
        '\n\nresource "azurerm_container_registry" "acr" {\n  inner {\n    a = 1\n  }\n}\n'
    )
    (block,) = body.blocks
    assert (block.type, block.labels) == ("resource", ("azurerm_container_registry", "acr"))
    span = block.span
    assert (span.line, span.column, span.end_line, span.end_column) == (3, 1, 3, 45)
    (inner,) = block.body.blocks_of("inner")
    nested = inner.body.expr("a")
    assert nested is not None
    assert (nested.kind, nested.value, nested.span.line, nested.span.column) == (
        Kind.LITERAL,
        1,
        5,
        9,
    )
    assert block.body.blocks_of("other") == ()


def test_comments_of_every_style_are_skipped() -> None:
    body = parse('# one\n// two\n/* three\n */\na = "x" # trailing\nb = 2 // trailing\n')
    assert set(body.attributes) == {"a", "b"}
    number = body.expr("b")
    assert number is not None
    assert number.value == 2


# -- encodings ------------------------------------------------------------------------------


def test_bom_is_ignored_and_offsets_index_the_original_text() -> None:
    text = '\ufeffx = "None"\n'
    literal = parse(text).expr("x")
    assert literal is not None
    assert (literal.span.line, literal.span.column) == (1, 6)
    assert offsets(text, literal) == '"None"'


def test_crlf_line_endings_keep_lines_columns_and_offsets() -> None:
    text = 'a = 1\r\nb = "None"\r\nc = <<EOT\r\nhello\r\nEOT\r\n'
    body = parse(text)
    literal = body.expr("b")
    assert literal is not None
    assert (literal.span.line, literal.span.column) == (2, 5)
    assert offsets(text, literal) == '"None"'
    heredoc = body.expr("c")
    assert heredoc is not None
    assert heredoc.value == "hello\n"
    assert heredoc.span.line == 3


def test_bom_and_crlf_through_the_loader(tmp_path: Path) -> None:
    text = "\ufeff" + (ACR_HEAD + '  network_rule_bypass_option = "None"\n}\n').replace(
        "\n", "\r\n"
    )
    path = tmp_path / "main.tf"
    path.write_bytes(text.encode("utf-8"))
    model = terraform.load(path, text, context())
    bypass = registry(model, "azurerm_container_registry.acr").get(P.BYPASS_OPTIONS)
    assert fixed_text(model, bypass) == '"None"'


# -- heredocs ---------------------------------------------------------------------------------


def test_heredoc_keeps_its_last_newline_and_is_not_fixable() -> None:
    heredoc = expr('<<EOT\n{"a": "b"}\n  x\nEOT\n')
    assert heredoc.kind is Kind.LITERAL
    assert heredoc.value == '{"a": "b"}\n  x\n'
    assert heredoc.span.start_offset is None  # --fix never rewrites inside a heredoc


def test_indented_heredoc_removes_the_common_indentation() -> None:
    heredoc = expr("<<-EOT\n    az acr update \\\n      --name x\n    EOT\n")
    assert heredoc.value == "az acr update \\\n  --name x\n"


def test_empty_heredoc() -> None:
    assert expr("<<EOT\nEOT\n").value == ""


def test_heredoc_with_interpolation_is_a_template() -> None:
    heredoc = expr('<<EOT\n{"name": "${var.name}", "raw": "$${x}"}\nEOT\n')
    assert heredoc.kind is Kind.TEMPLATE
    assert [c.text for c in heredoc.children if c.kind is not Kind.LITERAL] == ["var.name"]
    after = heredoc.children[[c.kind for c in heredoc.children].index(Kind.ATTR) + 1 :]
    assert "".join(str(c.value) for c in after) == '", "raw": "${x}"}\n'
    assert heredoc.text.startswith("<<EOT")
    assert all(c.span == heredoc.span for c in heredoc.children)


def test_heredoc_with_a_directive_keeps_the_directive_opaque() -> None:
    heredoc = expr("<<EOT\n%{ if var.on }yes%{ endif }\nEOT\n")
    assert heredoc.kind is Kind.TEMPLATE
    assert [c.kind for c in heredoc.children if c.kind is not Kind.LITERAL] == [Kind.OPAQUE] * 2


# -- expressions --------------------------------------------------------------------------------


def test_template_parts() -> None:
    template = expr('"acr${var.env}-x"')
    assert template.kind is Kind.TEMPLATE
    assert [(c.kind, c.text) for c in template.children] == [
        (Kind.LITERAL, "acr"),
        (Kind.ATTR, "var.env"),
        (Kind.LITERAL, "-x"),
    ]
    assert template.span.start_offset is None


def test_template_directive_is_opaque() -> None:
    template = expr('"a%{ if var.on }b%{ endif }"')
    assert template.kind is Kind.TEMPLATE
    assert Kind.OPAQUE in {c.kind for c in template.children}


@pytest.mark.parametrize(
    ("source", "kind", "value", "texts"),
    [
        ("a ? b : c", Kind.CONDITIONAL, None, ["a", "b", "c"]),
        ("a == b", Kind.BINARY, "==", ["a", "b"]),
        ("a != b", Kind.BINARY, "!=", ["a", "b"]),
        ("a && b", Kind.BINARY, "&&", ["a", "b"]),
        ("a || b", Kind.BINARY, "||", ["a", "b"]),
        ("a <= b", Kind.BINARY, "<=", ["a", "b"]),
        ("a + b", Kind.BINARY, "+", ["a", "b"]),
        ("a % b", Kind.BINARY, "%", ["a", "b"]),
        ("!a", Kind.UNARY, "!", ["a"]),
        ("-a", Kind.UNARY, "-", ["a"]),
        ("f(a, b)", Kind.CALL, "f", ["a", "b"]),
        ("provider::azapi::build(a)", Kind.CALL, "provider::azapi::build", ["a"]),
        ("a.b", Kind.ATTR, "b", ["a"]),
        ("a[b]", Kind.INDEX, None, ["a", "b"]),
        ("a.0", Kind.INDEX, None, ["a", "0"]),
        ("[a, b]", Kind.TUPLE, None, ["a", "b"]),
        ("(a)", Kind.NAME, "a", []),
    ],
)
def test_expression_shapes(source: str, kind: Kind, value: object, texts: list[str]) -> None:
    node = expr(source)
    assert node.kind is kind
    assert node.value == value
    assert [c.text for c in node.children] == texts


def test_binary_text_and_span_end_at_the_right_operand() -> None:
    node = expr("a == b # a comment")
    assert node.text == "a == b"
    assert (node.span.line, node.span.end_line, node.span.end_column) == (1, 1, 10)


def test_object_keys_bare_names_are_strings() -> None:
    node = expr('{ a = 1, "b" = 2, (var.k) = 3 }')
    assert node.kind is Kind.OBJECT
    assert [(k.kind, k.value) for k in node.keys] == [
        (Kind.LITERAL, "a"),
        (Kind.LITERAL, "b"),
        (Kind.ATTR, "k"),
    ]
    assert [c.value for c in node.children] == [1, 2, 3]


def test_argument_expansion_is_opaque() -> None:
    assert expr("concat(var.lists...)").kind is Kind.OPAQUE


def test_walk_visits_every_sub_expression() -> None:
    texts = [e.text for e in expr("f(a.b, { k = c })").walk()]
    assert texts == ["f(a.b, { k = c })", "a.b", "a", "{ k = c }", "k", "c"]


def test_for_expressions() -> None:
    listed = expr("[for i, v in var.l : v.name if v.on]")
    assert listed.kind is Kind.FOR
    assert listed.value == ForClause("i", "v", grouped=False, conditional=True)
    assert [c.text for c in listed.children] == ["var.l", "v.name", "v.on"]
    assert listed.keys == ()
    mapped = expr("{for v in var.l : v.k => v...}")
    assert mapped.value == ForClause(None, "v", grouped=True, conditional=False)
    assert [k.text for k in mapped.keys] == ["v.k"]
    assert [c.text for c in mapped.children] == ["var.l", "v"]


def test_full_splat_applies_every_step_to_each_element() -> None:
    node = expr("var.l[*].a[0]")
    assert node.kind is Kind.SPLAT
    assert node.text == "var.l[*].a[0]"
    source, each = node.children
    assert source.text == "var.l"
    assert each.text == f"{SPLAT_ITEM}.a[0]"
    assert each.walk()[-2].value == SPLAT_ITEM  # the traversal starts at the element


def test_attribute_splat_applies_an_index_to_the_result() -> None:
    node = expr("var.l.*.a[0]")
    assert node.kind is Kind.INDEX
    splat, index = node.children
    assert splat.kind is Kind.SPLAT
    assert splat.children[1].text == f"{SPLAT_ITEM}.a"
    assert index.value == 0


# -- JSON strings as templates ------------------------------------------------------------------


def test_expression_in_a_json_string_gets_the_strings_span() -> None:
    span = Span("main.tf.json", 4, 12, 4, 30)
    node = parse_hcl_expression(quoted("acr-${var.env}"), span)
    assert node.kind is Kind.TEMPLATE
    assert {e.span for e in node.walk()} == {span}


def test_quoted_round_trips_special_characters() -> None:
    value = 'a "b" \\ c\n\t\r'
    assert expr(quoted(value)).value == value


def test_invalid_template_raises_with_the_strings_position() -> None:
    with pytest.raises(HclSyntaxError):
        parse_hcl_expression(quoted("${"), Span.point("main.tf.json", 2, 3))


# -- parse errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "column", "reason"),
    [
        ('resource "a" "b" {\n  x = = 1\n}\n', 2, 7, "unexpected"),
        ('x = "never closed\n', 1, 18, "unexpected end of file"),
        ("x = 1 +", 1, 7, "unexpected end of file"),
        ('resource "a" "b" {\n  x = 1\n', 2, 8, "unexpected end of file"),
        ("x = 1\ny = @\n", 2, 5, "unexpected"),
    ],
)
def test_parse_errors_carry_line_column_and_a_one_line_reason(
    text: str, line: int, column: int, reason: str
) -> None:
    with pytest.raises(HclSyntaxError) as raised:
        parse(text)
    error = raised.value
    assert (error.line, error.column) == (line, column)
    assert reason in error.reason
    assert "\n" not in error.reason
    assert str(error).startswith(f"{line}:{column}: ")


def test_parse_error_in_a_fixture_through_the_loader() -> None:
    model = load(FIXTURES / "broken" / "main.tf")
    assert model.registries == ()
    (error,) = model.errors
    assert (error.span.line, error.span.column) == (3, 10)
    assert "unexpected" in error.reason
    assert "\n" not in error.reason
