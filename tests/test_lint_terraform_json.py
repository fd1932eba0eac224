"""Terraform's JSON syntax (terraform_json.py): .tf.json and the shapes plans use."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from acr_trusted.lint import arm_json
from acr_trusted.lint.model import OriginKind, consumers_of
from acr_trusted.lint.terraform_json import json_body, json_config, json_expr, parse_json
from acr_trusted.lint.terraform_syntax import Body, Expr, HclSyntaxError, Kind, Positions
from tests.terraform_helpers import (
    FIXTURES,
    P,
    fixed_text,
    load,
    load_files,
    registry,
)

# -- .tf.json ------------------------------------------------------------------------------------


def test_tf_json() -> None:
    model = load(FIXTURES / "tfjson" / "main.tf.json")
    acr = registry(model, "azurerm_container_registry.acr")
    assert acr.get(P.PUBLIC_NETWORK_ACCESS).value == "Disabled"
    assert fixed_text(model, acr.get(P.BYPASS_OPTIONS)) == '"None"'
    assert fixed_text(model, acr.get(P.TASKS_BYPASS)) == "false"
    assert acr.get(P.DEFAULT_ACTION).value == "Deny"
    assert acr.get(P.IP_RULES).value == ["203.0.113.7/32"]
    fromvar = registry(model, "azurerm_container_registry.fromvar")
    assert fromvar.get(P.BYPASS_OPTIONS).value == "None"
    assert fromvar.get(P.BYPASS_OPTIONS).origin.kind is OriginKind.PARAMETER_DEFAULT
    assert [c.symbol for c in consumers_of(model, fromvar)] == ["azurerm_private_endpoint.pe"]


# -- configuration shapes --------------------------------------------------------------------------


def attr(body: Body, name: str) -> Expr:
    expr = body.expr(name)
    assert expr is not None, name
    return expr


def config(text: str, path: str = "main.tf.json") -> Body:
    positions = Positions(path, text)
    return json_config(positions, parse_json(positions))


def test_blocks_take_their_labels_from_nested_keys() -> None:
    body = config(
        """{
  "resource": {"azurerm_container_registry": {"a": {"sku": "Premium"}, "b": {}}},
  "module": {"m": {"source": "./m"}},
  "locals": {"x": 1},
  "terraform": {"required_version": ">= 1.5"},
  "unknown_block": {"ignored": true}
}"""
    )
    assert [(b.type, b.labels) for b in body.blocks] == [
        ("resource", ("azurerm_container_registry", "a")),
        ("resource", ("azurerm_container_registry", "b")),
        ("module", ("m",)),
        ("locals", ()),
        ("terraform", ()),
    ]
    header = body.blocks[0].span
    assert (header.line, header.column) == (2, 52)  # the block's body, as .tf.json has no header


def test_arrays_of_block_bodies_and_of_labelled_objects() -> None:
    body = config(
        """{
  "resource": [
    {"azurerm_container_registry": {"one": {"sku": "Basic"}}},
    {"azurerm_container_registry": {"two": [{"sku": "Standard"}]}}
  ]
}"""
    )
    assert [b.labels[1] for b in body.blocks] == ["one", "two"]


def test_object_members_are_both_attributes_and_nested_blocks() -> None:
    (block,) = config(
        """{"resource": {"azurerm_container_registry": {"acr": {
  "//": "a JSON-syntax comment",
  "network_rule_set": [{"default_action": "Deny", "ip_rule": {"ip_range": "203.0.113.1"}}],
  "tags": {"env": "prod"}
}}}}"""
    ).blocks
    body = block.body
    assert "//" not in body.attributes
    assert set(body.attributes) == {"network_rule_set", "tags"}
    (rules,) = body.blocks_of("network_rule_set")
    assert attr(rules.body, "default_action").value == "Deny"
    assert [attr(b.body, "ip_range").value for b in rules.body.blocks_of("ip_rule")] == [
        "203.0.113.1"
    ]
    assert attr(body, "tags").kind is Kind.OBJECT


def test_dynamic_blocks_are_labelled_by_their_key() -> None:
    (block,) = config(
        """{"resource": {"azurerm_container_registry": {"acr": {
  "dynamic": {"network_rule_set": {
    "for_each": "${var.rules}", "content": {"default_action": "Deny"}
  }}
}}}}"""
    ).blocks
    (dynamic,) = block.body.blocks_of("dynamic")
    assert dynamic.labels == ("network_rule_set",)
    for_each = dynamic.body.expr("for_each")
    assert for_each is not None
    assert [c.text for c in for_each.children] == ["var.rules"]
    assert [attr(c.body, "default_action").value for c in dynamic.body.blocks_of("content")] == [
        "Deny"
    ]


@pytest.mark.parametrize(
    ("json_text", "kind", "value"),
    [
        ('"None"', Kind.LITERAL, "None"),
        ("false", Kind.LITERAL, False),
        ("3", Kind.LITERAL, 3),
        ("null", Kind.LITERAL, None),
        ('"${var.bypass}"', Kind.TEMPLATE, None),  # evaluated as var.bypass itself
        ('"acr-${var.env}"', Kind.TEMPLATE, None),
        ('"$${literal}"', Kind.LITERAL, "${literal}"),
        ('"%{ if var.on }x%{ endif }"', Kind.TEMPLATE, None),
        ('"${"', Kind.OPAQUE, None),  # not a valid template
        ("[1, 2]", Kind.TUPLE, None),
    ],
)
def test_strings_are_templates(json_text: str, kind: Kind, value: object) -> None:
    text = f'{{"locals": {{"x": {json_text}}}}}'
    expr = config(text).blocks[0].body.expr("x")
    assert expr is not None
    assert expr.kind is kind
    assert expr.value == value
    assert (expr.span.line, expr.span.column) == (1, 18)


def test_literal_spans_are_fixable_and_template_spans_are_not() -> None:
    text = '{"locals": {"a": "None", "b": "${var.x}"}}'
    body = config(text).blocks[0].body
    literal, template = body.expr("a"), body.expr("b")
    assert literal is not None
    assert template is not None
    assert literal.span.start_offset is not None
    assert text[literal.span.start_offset : literal.span.end_offset] == '"None"'
    assert template.span.start_offset is None


def test_variable_defaults_are_not_templates_and_types_are_type_expressions() -> None:
    (variable,) = config(
        """{"variable": {"rules": {
  "type": "object({ default_action = optional(string, \\"Deny\\") })",
  "default": {"note": "${not.a.reference}"}
}}}"""
    ).blocks
    type_expr = variable.body.expr("type")
    assert type_expr is not None
    assert (type_expr.kind, type_expr.value) == (Kind.CALL, "object")
    default = variable.body.expr("default")
    assert default is not None
    assert default.children[0].value == "${not.a.reference}"


def test_tf_json_variable_type_defaults_fill_values(tmp_path: Path) -> None:
    model = load_files(
        tmp_path,
        {
            "main.tf.json": json.dumps(
                {
                    "variable": {
                        "rules": {
                            "type": 'object({ default_action = optional(string, "Deny") })',
                            "default": {},
                        }
                    },
                    "resource": {
                        "azurerm_container_registry": {
                            "acr": {
                                "name": "acr1",
                                "sku": "Premium",
                                "network_rule_set": {
                                    "default_action": "${var.rules.default_action}"
                                },
                            }
                        }
                    },
                },
                indent=2,
            )
        },
        target="main.tf.json",
    )
    action = registry(model, "azurerm_container_registry.acr").get(P.DEFAULT_ACTION)
    assert action.value == "Deny"
    assert action.origin.kind is OriginKind.PARAMETER_DEFAULT


def test_unparseable_variable_type_is_kept_as_written() -> None:
    (variable,) = config('{"variable": {"x": {"type": "object({"}}}').blocks
    type_expr = variable.body.expr("type")
    assert type_expr is not None
    assert (type_expr.kind, type_expr.value) == (Kind.LITERAL, "object({")


# -- plan shapes ----------------------------------------------------------------------------------


def test_plan_values_are_data_not_templates() -> None:
    text = '{"name": "${var.x}", "network_rule_set": [{"default_action": "Deny"}], "tags": null}'
    positions = Positions("tfplan.json", text)
    body = json_body(positions, parse_json(positions), templates=False)
    name = body.expr("name")
    assert name is not None
    assert (name.kind, name.value) == (Kind.LITERAL, "${var.x}")
    assert [attr(b.body, "default_action").value for b in body.blocks_of("network_rule_set")] == [
        "Deny"
    ]
    assert body.blocks_of("tags") == ()


def test_json_expr_for_tfvars_json_values() -> None:
    text = '{"bypass": "None", "nested": {"a": [true]}}'
    positions = Positions("x.tfvars.json", text)
    root = parse_json(positions)
    assert isinstance(root, arm_json.JObject)
    exprs = {k: json_expr(positions, v, templates=False) for k, v in root.items()}
    assert exprs["bypass"].value == "None"
    assert exprs["nested"].kind is Kind.OBJECT
    assert [k.value for k in exprs["nested"].keys] == ["a"]


# -- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ('{"resource": {\n  "a": [1,\n}', 3, 1),
        ("{\n  nope\n}", 2, 3),
        ('{"a": "b"', 1, 9),
        ("", 1, 1),
    ],
)
def test_json_errors_carry_line_and_column(text: str, line: int, column: int) -> None:
    with pytest.raises(HclSyntaxError) as raised:
        parse_json(Positions("main.tf.json", text))
    assert (raised.value.line, raised.value.column) == (line, column)
    assert raised.value.reason


def test_json_comments_and_bom_are_accepted() -> None:
    body = config('\ufeff{\n  // a comment\n  "locals": {"x": "None" /* another */}\n}')
    expr = body.blocks[0].body.expr("x")
    assert expr is not None
    assert (expr.value, expr.span.line) == ("None", 3)
