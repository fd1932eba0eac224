"""Module instances and expression evaluation (terraform_eval.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from acr_trusted.lint import evaluate as E
from acr_trusted.lint.model import ConsumerKind, OriginKind, RegistryLink, Value, consumers_of
from acr_trusted.lint.rules import check
from acr_trusted.lint.terraform_eval import (
    Instance,
    Module,
    apply_type_defaults,
    evaluate,
    link_from_text,
    meta_instances,
    public_access,
    registry_links,
)
from acr_trusted.lint.terraform_syntax import Positions, parse_hcl
from tests.terraform_helpers import (
    ACR_HEAD,
    FIXTURES,
    P,
    load,
    load_files,
    registry,
    registry_with,
)

# -- expressions through a module ----------------------------------------------------------------


def test_expressions_evaluate(tmp_path: Path) -> None:
    r = registry_with(
        tmp_path,
        """  sku = upper(lower(local.tier)) == "PREMIUM" && !var.off || false ? "Premium" : "Basic"
  network_rule_bypass_option = coalesce(var.nothing, try(var.obj.missing, "AzureServices"))
  public_network_access_enabled = tobool(lookup(local.flags, "public", "true"))
  role_assignment_mode = length(local.list) == 2 && contains(local.list, "b") ? "x" : "y"
  network_rule_bypass_for_tasks_enabled = merge(local.flags, { tasks = true })["tasks"]
""",
        extra="""
locals {
  tier  = "premium"
  flags = { public = "false" }
  list  = ["a", "b"]
}
variable "off" {
  default = false
}
variable "nothing" {
  default = null
}
variable "obj" {
  default = { present = 1 }
}
""",
    )
    assert r.get(P.SKU).value == "Premium"
    assert r.get(P.BYPASS_OPTIONS).value == "AzureServices"
    assert r.get(P.PUBLIC_NETWORK_ACCESS).value == "Disabled"
    assert r.get(P.ROLE_ASSIGNMENT_MODE).value == "x"
    assert r.get(P.TASKS_BYPASS).value is True


def test_unknown_values_stay_unknown_and_keep_both_branches(tmp_path: Path) -> None:
    r = registry_with(
        tmp_path,
        """  sku = var.sku
  network_rule_bypass_option = var.secure ? "None" : "AzureServices"
  public_network_access_enabled = azurerm_resource_group.rg.tags["public"]
  role_assignment_mode = local.a
""",
        extra="""
variable "sku" {}
variable "secure" {
  type = bool
}
locals {
  a = local.b
  b = local.a
}
""",
    )
    sku = r.get(P.SKU)
    assert not sku.known
    assert sku.depends_on == {"sku"}
    bypass = r.get(P.BYPASS_OPTIONS)
    assert not bypass.known
    assert sorted(v.value for v in bypass.possible()) == ["AzureServices", "None"]
    assert not r.get(P.PUBLIC_NETWORK_ACCESS).known
    assert not r.get(P.ROLE_ASSIGNMENT_MODE).known  # a cycle is unknown, not a crash


def test_optional_type_defaults_fill_what_tfvars_leave_out() -> None:
    r = registry(load(FIXTURES / "dynamic" / "main.tf"), "azurerm_container_registry.acr")
    action = r.get(P.DEFAULT_ACTION)
    assert action.value == "Deny"  # optional(string, "Deny") in the variable's type
    assert action.origin.kind is OriginKind.PARAMETER_DEFAULT
    assert action.origin.name == "network_rule_set.default_action"


# -- count and for_each --------------------------------------------------------------------------


def test_count_and_for_each() -> None:
    model = load(FIXTURES / "dynamic" / "main.tf")
    symbols = {r.symbol: r for r in model.registries}
    assert "azurerm_container_registry.never" not in symbols  # count = 0
    assert symbols["azurerm_container_registry.maybe"].conditional  # var without default
    assert not symbols["azurerm_container_registry.acr"].conditional


def test_for_each_binds_each_value(tmp_path: Path) -> None:
    model = load_files(
        tmp_path,
        {
            "main.tf": """
resource "azurerm_container_registry" "acr" {
  for_each                   = { a = "None", b = "AzureServices" }
  name                       = "acr${each.key}"
  sku                        = "Premium"
  network_rule_bypass_option = each.value
}
"""
        },
    )
    found = sorted((r.name.value, r.get(P.BYPASS_OPTIONS).value) for r in model.registries)
    assert found == [("acra", "None"), ("acrb", "AzureServices")]


def test_a_member_of_an_object_default_is_declared_where_it_is_written() -> None:
    """ACRT005 points at the ``"None"`` to change, not at the object's opening brace."""
    model = load(FIXTURES / "object_default" / "main.tf")
    bypass = registry(model, "azurerm_container_registry.acr").get(P.BYPASS_OPTIONS)
    assert bypass.origin.kind is OriginKind.PARAMETER_DEFAULT
    assert bypass.origin.span is not None
    assert (bypass.origin.span.line, bypass.origin.span.column) == (7, 37)
    assert bypass.origin.describe() == (
        f"the default of variable 'acr_config' ({bypass.origin.span})"
    )
    assert [(f.rule, f.span.line) for f in check(model)] == [("ACRT005", 7), ("ACRT001", 17)]


# -- links ---------------------------------------------------------------------------------------


def test_data_source_links_by_name(tmp_path: Path) -> None:
    model = load_files(
        tmp_path,
        {
            "main.tf": ACR_HEAD
            + '  sku = "Premium"\n}\n'
            + """
data "azurerm_container_registry" "existing" {
  name                = "acr1"
  resource_group_name = "rg"
}
resource "azurerm_machine_learning_workspace" "ml" {
  container_registry_id = data.azurerm_container_registry.existing.id
}
"""
        },
    )
    acr = registry(model, "azurerm_container_registry.acr")
    assert [c.link.name for c in consumers_of(model, acr)] == ["acr1"]


def test_each_value_links_through_the_for_each_it_chains_from() -> None:
    """`for_each = azurerm_container_registry.acr` with `each.value.id`: a real idiom."""
    model = load(FIXTURES / "foreach_chain" / "main.tf")
    acr = registry(model, "azurerm_container_registry.acr")
    kinds = {c.kind for c in consumers_of(model, acr)}
    assert kinds == {ConsumerKind.PRIVATE_ENDPOINT, ConsumerKind.ML_WORKSPACE}
    # the private endpoint is what restricts this registry, so the bypass None is an error
    assert [(f.rule, f.span.line) for f in check(model)] == [("ACRT005", 7), ("ACRT001", 24)]


def test_each_key_does_not_link(tmp_path: Path) -> None:
    model = load_files(
        tmp_path,
        {
            "main.tf": ACR_HEAD
            + '  sku = "Premium"\n}\n'
            + """
resource "azurerm_machine_learning_workspace" "by_key" {
  for_each              = azurerm_container_registry.acr
  container_registry_id = each.key
}
"""
        },
    )
    acr = registry(model, "azurerm_container_registry.acr")
    assert consumers_of(model, acr) == ()


# -- direct evaluation --------------------------------------------------------------------------

MODULE = """
variable "list" {
  default = [{ name = "a", on = true }, { name = "b", on = false }]
}
variable "map" {
  default = { b = "x", a = "y" }
}
variable "obj" {
  default = { name = "solo" }
}
variable "nothing" {
  default = null
}
variable "unset" {}
locals {
  premium = "Premium"
  derived = "${local.premium}-${var.map["a"]}"
  loop_a  = local.loop_b
  loop_b  = local.loop_a
}
"""


def instance(module: str = MODULE, **inputs: Value) -> Instance:
    body = parse_hcl(Positions("main.tf", module))
    return Instance(Module.of(".", body.blocks), root_path="main.tf", label="", inputs=inputs)


def ev(source: str, module: str = MODULE, **inputs: Value) -> Value:
    """The value of ``source`` in a root module made of ``module``."""
    found = parse_hcl(Positions("expr.tf", f"x = {source}\n")).expr("x")
    return evaluate(found, instance(module, **inputs).scope())


def data(source: str, module: str = MODULE, **inputs: Value) -> object:
    value = ev(source, module, **inputs)
    assert value.known, value
    return E.plain(value)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('"a" == "a"', True),
        ('"a" != "b"', True),
        ("1 == 2", False),
        ("true && false", False),
        ("false || true", True),
        ("!true", False),
        ("-3", -3),
        ("1 + 2 * 3", 7),
        ("10 - 4", 6),
        ("1 < 2", True),
        ("2 <= 1", False),
        ("3 > 2", True),
        ("2 >= 2", True),
        ("true ? 1 : 2", 1),
        ("(false ? 1 : 2)", 2),
        ('"acr-${1 + 1}"', "acr-2"),
        ('"${true}"', True),  # "${x}" is x itself, as in Terraform
        ("[1, var.map.a]", [1, "y"]),
        ('{ (local.premium) = 1, 2 = "n" }', {"Premium": 1, "2": "n"}),
    ],
)
def test_operators(source: str, expected: object) -> None:
    assert data(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('coalesce(var.nothing, "", "z")', ""),
        ("merge(var.map, { c = 1 })", {"b": "x", "a": "y", "c": 1}),
        ("concat([1], [2, 3])", [1, 2, 3]),
        ("length(var.list)", 2),
        ('lower("ABC")', "abc"),
        ('upper("abc")', "ABC"),
        ('tobool("false")', False),
        ("tostring(5)", "5"),
        ('tolist(["a"])', ["a"]),
        ('toset(["a"])', ["a"]),
        ("tomap(var.map)", {"b": "x", "a": "y"}),
        ("keys(var.map)", ["a", "b"]),
        ("values(var.map)", ["y", "x"]),  # in lexical key order, as Terraform returns them
        ("jsonencode({ a = [1, true] })", '{"a":[1,true]}'),
        ('jsondecode("{\\"a\\": null}")', {"a": None}),
        ('contains(["a", "b"], "b")', True),
        ('strcontains("/providers/x/roleDefinitions/8311", "roleDefinitions")', True),
        ('strcontains("AcrPull", "acrpull")', False),  # case-sensitive, as Terraform compares
        ('lookup(var.map, "a", "d")', "y"),
        ('lookup(var.map, "zz", "d")', "d"),
        ('try(var.nothing.name, var.obj.missing, "fallback")', "fallback"),
        ("try(var.obj.name)", "solo"),
        ("can(var.obj.missing)", False),
        ("can(var.obj.name)", True),
    ],
)
def test_functions(source: str, expected: object) -> None:
    assert data(source) == expected


def test_avm_role_definition_idiom_tells_ids_from_names() -> None:
    """The AVM modules' ``strcontains(lower(x), lower(local.role_definition_resource_substring))``
    picks role_definition_id or _name: both roles are known, so ACRT007 can judge them."""
    model = load(FIXTURES / "role_definition_idiom" / "main.tf")
    assignments = [c for c in model.consumers if c.kind is ConsumerKind.ROLE_ASSIGNMENT]
    assert len(assignments) == 2
    assert sorted(f.message.split("grants ")[1].split()[0] for f in check(model)) == [
        "AcrPull",
        "AcrPush",
    ]


@pytest.mark.parametrize(
    "source",
    [
        "var.unset",
        "var.unset == 1",
        "true && var.unset",
        "cidrsubnet(var.unset, 8, 1)",  # a function the evaluator does not know
        'lookup(var.map, "zz")',  # missing key without a default fails at plan time
        'jsondecode("{not json")',
        'strcontains(var.unset, "a")',
        'strcontains(["a"], "a")',  # a list is no string: Terraform fails the plan
        "azurerm_resource_group.rg.name",  # another resource's attribute
        "data.azurerm_client_config.current.tenant_id",
        "path.module",
        "var.obj.missing",
        "concat(var.lists...)",
        "values(var.unset)",
        "keys(var.list)",  # not a map
        "7 / 2",
        'provider::azapi::build_resource_id("a", "b", "c")',
    ],
)
def test_what_needs_a_deployment_stays_unknown(source: str) -> None:
    value = ev(source)
    assert not value.known
    assert value.expression


def test_short_circuits_decide_despite_an_unknown_operand() -> None:
    assert data("false && var.unset") is False
    assert data("true || var.unset") is True


def test_unknown_condition_keeps_both_branches_and_dependencies() -> None:
    value = ev('var.unset ? "None" : "AzureServices"')
    assert not value.known
    assert value.depends_on == {"unset"}
    assert sorted(v.value for v in value.possible()) == ["AzureServices", "None"]


def test_template_directive_is_unknown_not_an_error() -> None:
    value = ev('"a%{ if true }b%{ endif }c"')
    assert not value.known
    assert value.expression == '"a%{ if true }b%{ endif }c"'
    heredoc = ev("<<EOT\n%{ for x in var.list }${x.name}%{ endfor }\nEOT\n")
    assert not heredoc.known


def test_heredoc_template_interpolates_known_values() -> None:
    assert data('<<EOT\n{"sku": "${local.premium}"}\nEOT\n') == '{"sku": "Premium"}\n'


def test_traversals_into_variables_and_locals() -> None:
    assert data('var.map["a"]') == "y"
    assert data("var.list[1].name") == "b"
    assert data("var.list.0.on") is True
    assert data("local.derived") == "Premium-y"
    assert data("var.nothing") is None


def test_a_cycle_between_locals_is_unknown_not_a_crash() -> None:
    value = ev("local.loop_a")
    assert not value.known
    assert value.expression == "local.loop_a"


def test_local_origin_names_the_local() -> None:
    value = ev("local.premium")
    assert value.origin.kind is OriginKind.VARIABLE
    assert value.origin.name == "local.premium"


# -- for expressions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("[for v in var.list : v.name]", ["a", "b"]),
        ('[for i, v in var.list : "${i}:${v.name}" if v.on]', ["0:a"]),
        ("[for k, v in var.map : k]", ["a", "b"]),  # maps iterate in lexical key order
        ("{for k, v in var.map : v => k}", {"x": "b", "y": "a"}),
        ("{for v in var.list : v.on => v.name...}", {"true": ["a"], "false": ["b"]}),
        ('[for s in ["a", "b"] : upper(s)]', ["A", "B"]),
        ("[for v in [] : v]", []),
        ("length([for v in var.list : v if v.on])", 1),
        ('try([for v in var.nothing : v], "fallback")', "fallback"),
    ],
)
def test_for_expressions_over_known_collections(source: str, expected: object) -> None:
    assert data(source) == expected


def test_for_expression_result_depends_on_its_collection() -> None:
    assert ev("[for v in var.list : v.name]").depends_on == {"list"}


@pytest.mark.parametrize(
    "source",
    [
        "[for v in var.unset : v]",  # unknown collection
        "[for v in var.list : v if var.unset]",  # unknown condition
        '{for v in var.list : "same" => v}',  # duplicate keys fail in Terraform
        "[for v in var.nothing : v]",  # iterating over null fails
        "{for v in var.list : azurerm_x.y.id => v}",  # unknown key
    ],
)
def test_for_expressions_that_cannot_be_decided_are_unknown(source: str) -> None:
    value = ev(source)
    assert not value.known
    assert value.expression == source


def test_for_expression_over_a_known_variable_given_as_input() -> None:
    names = ["x", "y"]
    given = Value.of([Value.of({"name": Value.of(n)}) for n in names])
    assert data("[for v in var.unset : v.name]", unset=given) == names


# -- splat expressions ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("var.list[*].name", ["a", "b"]),
        ("var.list.*.name", ["a", "b"]),
        ("var.list.*.name[1]", "b"),  # the index applies to the splat's result
        ("var.list[*]", [{"name": "a", "on": True}, {"name": "b", "on": False}]),
        ("var.obj[*].name", ["solo"]),  # a single value is wrapped in a list
        ("var.nothing[*].name", []),  # null is an empty list
        ("length(var.list[*])", 2),
        ('contains(var.list[*].name, "b")', True),
    ],
)
def test_splat_expressions_over_known_values(source: str, expected: object) -> None:
    assert data(source) == expected


def test_splat_over_an_unknown_value_is_unknown() -> None:
    value = ev("var.unset[*].id")
    assert not value.known
    assert value.depends_on == {"unset"}
    assert not ev("azurerm_subnet.s[*].id").known


# -- variables ------------------------------------------------------------------------------------

TYPED = """
variable "rules" {
  type = object({
    default_action = optional(string, "Deny")
    bypass         = optional(string)
    ip_rule = optional(list(object({
      action   = optional(string, "Allow")
      ip_range = string
    })), [])
  })
  default = { ip_rule = [{ ip_range = "203.0.113.0/24" }] }
}
variable "by_name" {
  type    = map(object({ sku = optional(string, "Premium") }))
  default = { one = {}, two = { sku = "Basic" } }
}
variable "strict" {
  type     = string
  nullable = false
  default  = "AzureServices"
}
variable "loose" {
  type    = string
  default = "AzureServices"
}
"""


def test_optional_attributes_take_their_type_defaults() -> None:
    rules = ev("var.rules", TYPED)
    assert E.plain(rules) == {
        "default_action": "Deny",
        "bypass": None,
        "ip_rule": [{"action": "Allow", "ip_range": "203.0.113.0/24"}],
    }
    action = E.member(rules, "default_action", span=None)
    assert action.origin.kind is OriginKind.PARAMETER_DEFAULT
    assert action.origin.name == "rules.default_action"
    assert data("var.by_name", TYPED) == {"one": {"sku": "Premium"}, "two": {"sku": "Basic"}}


def test_type_defaults_apply_to_given_values_too() -> None:
    given = Value.of({"bypass": Value.of("None")})
    assert data("var.rules", TYPED, rules=given) == {
        "default_action": "Deny",
        "bypass": "None",
        "ip_rule": [],
    }


def test_null_for_a_non_nullable_variable_takes_its_default() -> None:
    null = Value.of(None)
    assert data("var.strict", TYPED, strict=null) == "AzureServices"
    assert data("var.loose", TYPED, loose=null) is None  # nullable (the default) keeps null


def test_given_values_win_over_defaults_and_record_the_dependency() -> None:
    value = ev("var.loose", TYPED, loose=Value.of("None"))
    assert value.value == "None"
    assert value.depends_on == {"loose"}
    default = ev("var.loose", TYPED)
    assert default.origin.kind is OriginKind.PARAMETER_DEFAULT
    assert default.origin.span is not None
    assert default.origin.span.line == 24


def test_variable_without_default_or_value_is_unknown() -> None:
    value = ev("var.unset")
    assert value.depends_on == {"unset"}
    assert value.origin.kind is OriginKind.PARAMETER_VALUE
    assert not ev("var.undeclared").known


def test_apply_type_defaults_leaves_unknown_and_untyped_values_alone() -> None:
    type_expr = parse_hcl(Positions("t.tf", 't = object({ a = optional(string, "x") })\n')).expr(
        "t"
    )
    assert type_expr is not None
    scope = instance().scope()
    unknown = Value.unknown("var.x")
    assert apply_type_defaults(type_expr, unknown, scope, "x") is unknown
    text = Value.of("not an object")
    assert apply_type_defaults(type_expr, text, scope, "x") is text


# -- count and for_each ---------------------------------------------------------------------------


def meta(source: str, module: str = MODULE) -> list[tuple[object, bool]]:
    """Each instance's ``count.index`` / ``each.key`` and whether it is certain."""
    body = parse_hcl(Positions("r.tf", f'resource "a" "b" {{\n  {source}\n}}\n')).blocks[0].body
    found = []
    for scope, certain in meta_instances(body, instance(module).scope()):
        iterator = scope.iterators.get("count") or scope.iterators.get("each")
        key = "index" if "count" in scope.iterators else "key"
        found.append((E.plain(iterator)[key] if iterator and iterator.known else None, certain))
    return found


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("", [(None, True)]),
        ("count = 2", [(0, True), (1, True)]),
        ("count = 0", []),
        ("count = var.unset ? 1 : 0", [(None, False)]),
        ("for_each = var.map", [("b", True), ("a", True)]),
        ('for_each = toset(["x", "y"])', [("x", True), ("y", True)]),
        ("for_each = var.nothing", []),
        ("for_each = {}", []),
        ("for_each = var.unset", [(None, False)]),
        ("for_each = { for v in var.list : v.name => v if v.on }", [("a", True)]),
    ],
)
def test_count_and_for_each_instances(source: str, expected: list[tuple[object, bool]]) -> None:
    assert meta(source) == expected


def test_large_expansions_are_capped() -> None:
    counted = meta("count = 100")
    assert [index for index, _ in counted] == list(range(32))
    assert all(certain for _, certain in counted)  # copies that differ only in count.index
    keys = ", ".join(f'"k{i:02}"' for i in range(40))
    each = meta(f"for_each = toset([{keys}])")
    assert [key for key, _ in each] == [f"k{i:02}" for i in range(32)]
    assert not any(certain for _, certain in each)  # the rest are not read: not certain


# -- links and conversions ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/acr1",
            RegistryLink(name="acr1"),
        ),
        ("DOCKER|Contoso.azurecr.io/app:1", RegistryLink(login_server="contoso.azurecr.io")),
        ("https://acr2.azurecr.cn", RegistryLink(login_server="acr2.azurecr.cn")),
        ("docker.io/library/nginx", RegistryLink()),
        (None, RegistryLink()),
    ],
)
def test_link_from_text(text: str | None, expected: RegistryLink) -> None:
    assert link_from_text(text) == expected


def test_registry_links_follow_locals_splats_and_for_expressions() -> None:
    module = """
resource "azurerm_container_registry" "acr" {
  name = "acr1"
}
locals {
  ids = [azurerm_container_registry.acr.id]
}
"""
    scope = instance(module).scope()
    for source in (
        "local.ids[0]",
        "azurerm_container_registry.acr[*].id",
        "[for i in local.ids : i]",
    ):
        found = parse_hcl(Positions("x.tf", f"x = {source}\n")).expr("x")
        assert registry_links(found, scope) == [
            RegistryLink(symbol="azurerm_container_registry.acr")
        ]


@pytest.mark.parametrize(
    ("flag", "expected"),
    [(Value.of(False), "Disabled"), (Value.of(True), "Enabled"), (Value.of(None), None)],
)
def test_public_access_in_arm_terms(flag: Value, expected: str | None) -> None:
    assert public_access(flag).value == expected


def test_public_access_keeps_alternatives_of_an_unknown_flag() -> None:
    flag = ev("var.unset ? false : true")
    assert sorted(str(v.value) for v in public_access(flag).possible()) == ["Disabled", "Enabled"]
