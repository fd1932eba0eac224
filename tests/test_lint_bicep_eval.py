from __future__ import annotations

import itertools
from collections.abc import Mapping

import pytest

from acr_trusted.lint import rules
from acr_trusted.lint.bicep_eval import (
    REGISTRY_TYPE,
    Evaluator,
    Host,
    Ref,
    link_of,
    lookup,
    ref_of,
    unwrap_body,
    with_ref,
)
from acr_trusted.lint.bicep_syntax import read_template
from acr_trusted.lint.model import OriginKind, RegistryLink, Value
from acr_trusted.records import evolve
from tests.bicep_helpers import (
    ACCESS,
    ACTION,
    BYPASS,
    FIXTURES,
    SKU,
    TASKS,
    corpus_model,
    load,
    load_text,
    registry,
    value,
)

DECLARATIONS = """\
param p string = 'Premium'
param q string
param flag bool = true
param optional string?
var cycle = other
var other = cycle
resource acr 'Microsoft.ContainerRegistry/registries@2025-11-01' = {
  name: 'contosoacr'
  resource task 'tasks' = {
    name: 't'
  }
}
resource ext 'Microsoft.ContainerRegistry/registries@2025-11-01' existing = {
  name: 'otheracr'
}
module m './m.bicep' = {}
func f() string => 'x'
func bypassFor(locked bool, tier string) string => locked && tier == 'prod' ? 'None' : f()
"""
_NAMES = itertools.count()


def no_host(kind: str, arg: str) -> Value | None:
    return None


def evaluator(
    expression: str, supplied: Mapping[str, Value] | None = None, host: Host = no_host
) -> Evaluator:
    """An evaluator for DECLARATIONS plus ``var probe = <expression>``."""
    text = f"{DECLARATIONS}var probe = {expression}\n"
    template = read_template(text, f"eval{next(_NAMES)}.bicep")
    return Evaluator(template, supplied or {}, host=host)


def evaluate(expression: str, supplied: Mapping[str, Value] | None = None) -> Value:
    return evaluator(expression, supplied).variable("probe")


def ref(expression: str) -> Ref:
    found = ref_of(evaluate(expression))
    assert found is not None, expression
    return found


# ---- literals and operators


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("'text'", "text"),
        ("42", 42),
        ("true", True),
        ("null", None),
        ("'''\nraw ${x}\n'''", "raw ${x}\n"),
        ("'a${p}'", "aPremium"),
        ("1 + 2 * 3", 7),
        ("-2", -2),
        ("!flag", False),
        ("flag ? 'a' : 'b'", "a"),
        ("null ?? 'b'", "b"),
        ("'NONE' == 'none'", False),
        ("'NONE' =~ 'none'", True),
        ("'NONE' !~ 'none'", False),
        ("'a' =~ 'A'", True),
        ("'a' != 'b' && 2 > 1", True),
        ("false || 1 >= 2", False),
        ("{ a: { b: 1 } }.a.b", 1),
        ("{ a: 1 }.?b", None),
        ("[1, 2][1]", 2),
        ("{ k: 1 }['k']", 1),
        ("empty('')", True),
        ("length([1, 2])", 2),
        ("items({ b: 2, a: 'x' })[0].value", "x"),
        ("contains('abc', 'b')", True),
        ("toLower('AB')", "ab"),
        ("sys.toUpper('ab')", "AB"),
        ("concat('a', 'b')", "ab"),
        ("string(1)", "1"),
        ("bool('true')", True),
        ("any(1)", 1),
        ("coalesce(null, 'x')", "x"),
    ],
)
def test_expressions_evaluate_as_bicep_does(expression: str, expected: object) -> None:
    found = evaluate(expression)
    assert found.known, expression
    assert found.value == expected


def test_objects_arrays_and_loops_hold_values() -> None:
    merged = evaluate("union({ a: 1 }, { b: 2 })")
    assert {k: v.value for k, v in merged.value.items()} == {"a": 1, "b": 2}
    joined = evaluate("concat([1], [2])")
    assert [v.value for v in joined.value] == [1, 2]
    doubled = evaluate("[for (x, i) in [1, 2]: x * 2 + i]")
    assert [v.value for v in doubled.value] == [2, 5]
    spread = evaluate("{ ...{ a: 1 }, b: 2 }")
    assert set(spread.value) == {"a", "b"}
    items = evaluate("[...[1, 2], 3, ...[]]")
    assert [v.value for v in items.value] == [1, 2, 3]


def test_an_array_spreading_an_unknown_array_is_unknown() -> None:
    assert not evaluate("[...q, 'x']").known


@pytest.mark.parametrize(
    "expression",
    ["uniqueString('a')", "(1, 2)", "x => x", "q == 'x'", "cycle", "[for x in q: x]"],
)
def test_what_cannot_be_known_is_unknown(expression: str) -> None:
    assert not evaluate(expression).known


def test_a_loop_over_more_than_64_items_is_not_unrolled() -> None:
    assert not evaluate("[for i in range(0, 100): i]").known
    assert evaluate("[for x in [1]: x]").known


def test_an_undecided_ternary_keeps_both_branches() -> None:
    found = evaluate("q == 'x' ? 'Disabled' : 'Enabled'")
    assert {a.value for a in found.possible()} == {"Disabled", "Enabled"}


def test_deep_nesting_stops_at_the_evaluators_depth_limit() -> None:
    assert not evaluate("!" * 250 + "true").known
    assert evaluate("!" * 20 + "true").value is True


# ---- parameters and variables


def test_a_parameter_default_carries_its_origin_and_dependency() -> None:
    found = evaluate("p")
    assert found.value == "Premium"
    assert found.origin.kind is OriginKind.PARAMETER_DEFAULT
    assert found.origin.name == "p"
    assert found.depends_on == frozenset({"p"})


def test_a_given_value_wins_over_the_default_and_a_given_null_does_not() -> None:
    assert evaluate("p", {"p": Value.of("Basic")}).value == "Basic"
    assert evaluate("p", {"p": Value.of(None)}).value == "Premium"


def test_a_parameter_without_default_is_unknown_and_says_why() -> None:
    found = evaluate("q")
    assert not found.known
    assert found.origin.kind is OriginKind.PARAMETER_VALUE
    assert "no default" in found.origin.describe()


def test_a_nullable_parameter_without_default_is_null() -> None:
    found = evaluate("optional")
    assert found.known
    assert found.value is None


def test_a_literal_variable_is_named_as_its_origin() -> None:
    template = read_template("var sku = 'Premium'\n", "vars.bicep")
    found = Evaluator(template, {}, host=no_host).variable("sku")
    assert found.origin.kind is OriginKind.VARIABLE
    assert found.origin.name == "sku"


# ---- references


def test_a_resource_reference_is_a_ref_to_its_symbol() -> None:
    found = ref("acr.id")
    assert found.link == RegistryLink(symbol="acr")
    assert found.attribute == "id"
    assert found.resource_type == REGISTRY_TYPE


def test_a_declared_name_is_known_and_an_existing_resource_links_by_name() -> None:
    assert evaluate("acr.name").value == "contosoacr"
    assert evaluate("'${acr.name}/x'").value == "contosoacr/x"
    assert ref("ext.id").link == RegistryLink(name="otheracr")
    assert ref("ext.id").scope == 0


def test_an_existing_registry_named_by_another_registry_s_name_is_that_registry() -> None:
    """azd's ``registry-access.bicep``: an ``existing`` registry named by a module's output."""
    text = (
        "param containerRegistryName string\n"
        "resource reg 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = {\n"
        "  name: containerRegistryName\n"
        "}\n"
        "var probe = reg.id\n"
    )
    outer = Ref(RegistryLink(symbol="acr"), "outputs.name", REGISTRY_TYPE, 7)
    given = {"containerRegistryName": with_ref(outer, None, "acr.outputs.name", ())}
    probe = Evaluator(read_template(text, "access.bicep"), given, host=no_host).variable("probe")
    found = ref_of(probe)
    assert found == Ref(RegistryLink(symbol="acr"), "id", REGISTRY_TYPE, 7)
    assert link_of(probe) == RegistryLink(symbol="@7:acr")
    elsewhere = {"containerRegistryName": with_ref(evolve(outer, attribute="id"), None, "x", ())}
    other = Evaluator(read_template(text, "b.bicep"), elsewhere, host=no_host).variable("probe")
    assert link_of(other) == RegistryLink(symbol="reg")  # an id is not a name


def test_child_access_and_resource_ids_name_their_resource() -> None:
    assert ref("acr::task.id").link == RegistryLink(symbol="acr::task")
    by_id = ref("resourceId('Microsoft.ContainerRegistry/registries', 'x')")
    assert by_id.link == RegistryLink(name="x")
    assert by_id.attribute == "id:x"


def test_coalesce_with_a_reference_takes_the_reference() -> None:
    assert ref("coalesce(null, acr.id)").attribute == "id"
    assert ref("null ?? acr.id").attribute == "id"


def test_module_outputs_and_file_contents_come_from_the_host() -> None:
    asked: list[tuple[str, str]] = []

    def host(kind: str, arg: str) -> Value | None:
        asked.append((kind, arg))
        return Value.of(f"{kind}:{arg}")

    probe = evaluator("m.outputs.x", host=host).variable("probe")
    assert probe.value == "module-output:m.x"
    text = evaluator("loadTextContent('a.txt')", host=host).variable("probe")
    assert text.value == "read:a.txt"
    assert asked == [("module-output", "m.x"), ("read", "a.txt")]
    assert ref("m.outputs.x").resource_type == "module"


def test_loaded_json_content_is_data() -> None:
    config = '\ufeff{"acr": {"bypass": "None", "ipRules": ["1.2.3.4"]}}'

    def host(kind: str, arg: str) -> Value | None:
        return Value.of(config if arg == "config.json" else "not json")

    def load_json(arguments: str) -> Value:
        return evaluator(f"loadJsonContent({arguments})", host=host).variable("probe")

    whole = load_json("'config.json'")
    assert whole.value["acr"].value["bypass"].value == "None"
    narrowed = load_json("'config.json', '$.acr.bypass'")
    assert narrowed.value == "None"
    assert "config.json" in narrowed.origin.describe()
    assert not load_json("'config.json', '$.acr.missing'").known
    assert not load_json("'config.json', '$..bypass'").known  # richer JSONPath: not followed
    assert not load_json("'other.txt'").known


def test_a_user_function_is_its_body_with_the_arguments_reported_at_the_call() -> None:
    found = evaluate("bypassFor(flag, 'prod')")
    assert found.value == "None"
    assert found.origin.kind is OriginKind.COMPUTED  # not the body's literal: --fix leaves it
    assert "returned by function 'bypassFor'" in found.origin.describe()
    assert found.expression == "bypassFor(flag, 'prod')"
    assert "flag" in found.depends_on
    assert evaluate("bypassFor(false, 'dev')").value == "x"  # functions call functions
    assert not evaluate("bypassFor(q, 'prod')").known
    assert not evaluate("bypassFor(true)").known  # wrong arity


def test_an_environment_variable_is_its_default_as_a_parameter_is() -> None:
    found = evaluate("readEnvironmentVariable('ACR_BYPASS', 'None')")
    assert found.value == "None"
    assert found.origin.kind is OriginKind.PARAMETER_DEFAULT
    assert found.depends_on == frozenset({"ACR_BYPASS"})
    assert "environment variable 'ACR_BYPASS'" in found.origin.describe()
    assert not evaluate("readEnvironmentVariable('ACR_BYPASS')").known


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("contosoacr.azurecr.io/app:1", RegistryLink(login_server="contosoacr.azurecr.io")),
        (
            "/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerRegistry/registries/r1",
            RegistryLink(name="r1"),
        ),
        ("contosoacr", RegistryLink(name="contosoacr")),
        ("not a name!", RegistryLink()),
    ],
)
def test_link_of_reads_a_registry_from_text(text: str, expected: RegistryLink) -> None:
    assert link_of(Value.of(text)) == expected


def test_link_of_a_reference_qualifies_its_symbol_by_scope() -> None:
    found = evaluate("acr.id")
    link = link_of(found)
    assert link.symbol is not None
    assert link.symbol.endswith(":acr")


# ---- lookups and bodies


def test_lookup_is_case_insensitive_and_stops_at_null() -> None:
    body = evaluate("{ Properties: { publicNetworkAccess: 'Disabled', rules: null } }")
    reader = evaluator("1")
    found = lookup(reader, body, "properties.PUBLICNETWORKACCESS")
    assert found is not None
    assert found.value == "Disabled"
    assert lookup(reader, body, "properties.missing") is None
    assert lookup(reader, body, "properties.rules.x") is None


def test_unwrap_body_splits_loop_condition_and_object() -> None:
    template = read_template(
        "resource r 'a/b@1' = [for x in xs: if (x) {\n  name: x\n}]\n", "body.bicep"
    )
    node, condition, loop = unwrap_body(template.resources["r"].body)
    assert node.data == "object"
    assert condition is not None
    assert loop is not None
    assert loop.data == "loop"


# ---- through the loader


def test_literal_bypass_and_tasks_flag_carry_offsets_for_fix() -> None:
    path = FIXTURES / "syntax.bicep"
    text = path.read_text(encoding="utf-8")
    acr = registry(load(path), "acr")
    for prop, written in ((BYPASS, "'None'"), (TASKS, "false")):
        found = acr.get(prop)
        assert found.is_literal
        assert found.span is not None
        assert found.span.start_offset is not None
        assert text[found.span.start_offset : found.span.end_offset] == written


def test_parameter_default_carries_origin_and_is_not_fixable() -> None:
    model = corpus_model(
        "Azure__azure-quickstart-templates/quickstarts/microsoft.containerregistry/"
        "container-registry-with-policies-and-diagnostics/main.bicep"
    )
    acr = registry(model, "acr")
    bypass = acr.get(BYPASS)
    assert bypass.value == "None"
    assert bypass.origin.kind is OriginKind.PARAMETER_DEFAULT
    assert bypass.origin.name == "networkRuleBypassOptions"
    assert "networkRuleBypassOptions" in bypass.depends_on
    assert not bypass.is_literal
    assert value(acr, SKU) == "Basic"


def test_unknown_values_never_raise_and_stay_unknown() -> None:
    model = load_text(
        "param p string\n"
        "var cycle = other\nvar other = cycle\n"
        "resource r 'Microsoft.ContainerRegistry/registries@2025-11-01' = {\n"
        "  name: uniqueString(resourceGroup().id)\n"
        "  properties: {\n"
        "    publicNetworkAccess: p == 'x' ? 'Disabled' : 'Enabled'\n"
        "    networkRuleBypassOptions: cycle\n"
        "    networkRuleSet: { defaultAction: subscription().id[3] }\n"
        "  }\n"
        "}\n"
    )
    reg = registry(model, "r")
    access = reg.get(ACCESS)
    assert not access.known
    assert {a.value for a in access.possible()} == {"Disabled", "Enabled"}
    assert not reg.get(BYPASS).known
    assert not reg.get(ACTION).known
    assert not reg.name.known


def test_undecidable_parameters_are_reported_where_used_and_remember_the_declaration() -> None:
    model = load_text(
        "param bypass string\n"
        "param location string = resourceGroup().location\n"
        "resource r 'Microsoft.ContainerRegistry/registries@2025-11-01' = {\n"
        "  name: 'contosoacr'\n"
        "  properties: {\n"
        "    networkRuleBypassOptions: bypass\n"
        "    publicNetworkAccess: location\n"
        "  }\n"
        "}\n"
    )
    reg = registry(model, "r")
    bypass = reg.get(BYPASS)
    assert not bypass.known
    assert bypass.span is not None
    assert (bypass.span.line, bypass.span.column) == (6, 31)
    assert bypass.origin.kind is OriginKind.PARAMETER_VALUE
    assert bypass.origin.span is not None
    assert bypass.origin.span.line == 1
    assert "no default" in bypass.origin.describe()
    access = reg.get(ACCESS)
    assert access.span is not None
    assert (access.span.line, access.span.column) == (7, 26)
    assert access.origin.kind is OriginKind.PARAMETER_DEFAULT
    assert access.origin.span is not None
    assert access.origin.span.line == 2


def test_a_parameter_default_is_reported_where_it_is_used() -> None:
    """As ARM and Terraform do: ACRT001 at the property, ACRT005 at the default it names."""
    text = (
        "param bypass string = 'None'\n"
        "resource acr 'Microsoft.ContainerRegistry/registries@2025-11-01' = {\n"
        "  name: 'contosoacr'\n"
        "  location: 'westeurope'\n"
        "  sku: { name: 'Premium' }\n"
        "  properties: {\n"
        "    publicNetworkAccess: 'Disabled'\n"
        "    networkRuleBypassOptions: bypass\n"
        "  }\n"
        "}\n"
    )
    found = {f.rule: (f.span.line, f.span.column) for f in rules.check(load_text(text))}
    assert found == {"ACRT001": (8, 31), "ACRT005": (1, 23)}


def test_a_member_of_an_object_variable_or_default_names_its_declaration() -> None:
    """``network.bypass`` is the variable's (or the parameter default's) value, as in ARM and
    Terraform: messages name it, ACRT005 applies to a default, --fix leaves it alone; a
    default's member is reported where it is used, like the parameter itself."""
    model = load_text(
        "param network object = {\n  bypass: 'None'\n}\n"
        "var settings = {\n  bypass: 'None'\n}\n"
        "resource a 'Microsoft.ContainerRegistry/registries@2025-11-01' = {\n"
        "  name: 'a'\n  properties: { networkRuleBypassOptions: network.bypass }\n}\n"
        "resource b 'Microsoft.ContainerRegistry/registries@2025-11-01' = {\n"
        "  name: 'b'\n  properties: { networkRuleBypassOptions: settings.bypass }\n}\n"
    )
    from_default = registry(model, "a").get(BYPASS)
    assert from_default.origin.kind is OriginKind.PARAMETER_DEFAULT
    assert from_default.origin.name == "network"
    assert from_default.origin.span is not None
    assert from_default.origin.span.line == 2
    assert from_default.span is not None
    assert from_default.span.line == 9
    from_variable = registry(model, "b").get(BYPASS)
    assert from_variable.origin.kind is OriginKind.VARIABLE
    assert from_variable.origin.name == "settings"
    assert not from_variable.is_literal
