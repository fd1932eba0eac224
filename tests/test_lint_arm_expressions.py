"""ARM template expressions: parsing, canonical text, and evaluation in a template scope."""

from __future__ import annotations

import json
from typing import Any

import pytest

from acr_trusted.lint.arm_expressions import (
    Call,
    Evaluator,
    ExpressionError,
    Index,
    Member,
    Num,
    Source,
    Str,
    Word,
    expression_text,
    literal_text,
    parse,
    render,
)
from acr_trusted.lint.arm_json import JObject
from acr_trusted.lint.arm_json import parse as parse_json
from acr_trusted.lint.model import OriginKind, Span, Value

TEMPLATE = {
    "parameters": {
        "name": {"type": "string"},
        "sku": {"type": "string", "defaultValue": "Premium"},
        "ipRules": {"type": "object", "defaultValue": {"defaultAction": "Deny", "ipRules": []}},
        "regions": {"type": "array", "defaultValue": ["westeurope", "northeurope"]},
        "nothing": {"type": "string", "nullable": True},
        "flag": {"type": "bool", "defaultValue": True},
        "derived": {"type": "string", "defaultValue": "[toUpper(parameters('sku'))]"},
    },
    "variables": {
        "plain": "AzureServices",
        "fromParameter": "[parameters('sku')]",
        "loopA": "[variables('loopB')]",
        "loopB": "[variables('loopA')]",
        "unknownName": "[concat('acr', uniqueString(resourceGroup().id))]",
        "copy": [
            {
                "name": "names",
                "count": "[length(parameters('regions'))]",
                "input": "[concat('acr-', parameters('regions')[copyIndex('names')])]",
            }
        ],
    },
}
SPAN = Span("t.json", 1, 1, 1, 1)


def evaluator(values: dict[str, Value] | None = None) -> Evaluator:
    text = json.dumps(TEMPLATE, indent=2)
    root = parse_json(text)
    assert isinstance(root, JObject)
    return Evaluator(Source.of("t.json", text), root, values)


def run(expression: str, values: dict[str, Value] | None = None) -> Value:
    return evaluator(values).expression(expression, SPAN)


class TestSyntax:
    def test_ast_shapes(self) -> None:
        """Calls, strings with '' escapes, numbers, words, members and indexes parse."""
        tree = parse("concat(parameters('it''s')[0].name, -1, true, null)")
        assert tree == Call(
            "concat",
            (
                Member(Index(Call("parameters", (Str("it's"),)), Num(0)), "name"),
                Num(-1),
                Word(True),
                Word(None),
            ),
        )

    def test_render_is_canonical(self) -> None:
        """Rendering normalises spacing and quotes so equal expressions compare equal."""
        assert render(parse("resourceId( 'a/b' ,parameters( 'x' ) )")) == (
            "resourceId('a/b', parameters('x'))"
        )

    @pytest.mark.parametrize(
        "text",
        ["concat('a'", "parameters('x'))", "foo", "a.", "'open", "x[1", "1 2", "§"],
    )
    def test_invalid_expressions_raise(self, text: str) -> None:
        """Malformed expressions raise ExpressionError (the loader turns them into unknowns)."""
        with pytest.raises(ExpressionError):
            parse(text)

    def test_bracket_escape(self) -> None:
        """'[[x]' is the literal '[x]'; '[x]' is an expression; plain strings are literals."""
        assert expression_text("[parameters('a')]") == "parameters('a')"
        assert expression_text("[[system]") is None
        assert literal_text("[[system]") == "[system]"
        assert expression_text("plain") is None


class TestParameters:
    def test_default_value_with_origin(self) -> None:
        """A parameter default is known, remembers its name and where the default is written."""
        value = run("parameters('sku')")
        assert value.value == "Premium"
        assert value.origin.kind is OriginKind.PARAMETER_DEFAULT
        assert value.origin.name == "sku"
        assert value.origin.span is not None
        assert value.depends_on == {"sku"}

    def test_given_value_wins(self) -> None:
        """A value from a parameter file replaces the default and is marked as given."""
        given = Value.of("Standard", Span("p.json", 3, 5, 3, 14))
        value = run("parameters('SKU')", {"sku": given})
        assert value.value == "Standard"
        assert value.origin.kind is OriginKind.PARAMETER_VALUE
        assert value.origin.span == given.span

    def test_missing_default_is_unknown(self) -> None:
        """A parameter without default or value is unknown, named in canonical syntax."""
        value = run("parameters('name')")
        assert not value.known
        assert value.expression == "parameters('name')"

    def test_nullable_without_default_is_null(self) -> None:
        """A nullable parameter left unset is null (as ARM deploys it), not unknown."""
        value = run("parameters('nothing')")
        assert value.known
        assert value.value is None
        assert value.origin.kind is OriginKind.PARAMETER_DEFAULT

    def test_default_may_use_other_parameters(self) -> None:
        """A default that is an expression is evaluated in the same scope."""
        assert run("parameters('derived')").value == "PREMIUM"

    def test_member_of_parameter_keeps_its_origin(self) -> None:
        """parameters('x').y is still 'the default of x', not a literal."""
        value = run("parameters('ipRules').defaultAction")
        assert value.value == "Deny"
        assert value.origin.kind is OriginKind.PARAMETER_DEFAULT


class TestVariables:
    def test_literal_variable(self) -> None:
        """A literal variable is known with origin VARIABLE."""
        value = run("variables('plain')")
        assert value.value == "AzureServices"
        assert value.origin.kind is OriginKind.VARIABLE

    def test_variable_from_parameter_keeps_parameter_origin(self) -> None:
        """A variable that reads a parameter reports the parameter's default as origin."""
        assert run("variables('fromParameter')").origin.kind is OriginKind.PARAMETER_DEFAULT

    def test_cycles_are_unknown(self) -> None:
        """Variables that refer to each other give an unknown value, not a recursion error."""
        assert not run("variables('loopA')").known

    def test_unknown_variable_is_named(self) -> None:
        """An undeterminable variable is reported by name, not by its whole expansion."""
        value = run("variables('unknownName')")
        assert not value.known
        assert value.expression == "variables('unknownName')"

    def test_copy_variable(self) -> None:
        """A variables copy loop produces the array, with copyIndex('loop') per element."""
        assert [v.value for v in run("variables('names')").value] == [
            "acr-westeurope",
            "acr-northeurope",
        ]


def known(expression: str) -> Any:
    value = run(expression)
    assert value.known, value.expression
    return _plain(value.value)


def _plain(data: Any) -> Any:
    if isinstance(data, Value):
        return _plain(data.value)
    if isinstance(data, list):
        return [_plain(d) for d in data]
    if isinstance(data, dict):
        return {k: _plain(v) for k, v in data.items()}
    return data


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("if(parameters('flag'), 'a', 'b')", "a"),
        ("if(not(parameters('flag')), 'a', 'b')", "b"),
        ("equals(parameters('sku'), 'premium')", False),  # equals is case-sensitive
        ("equals(toLower(parameters('sku')), 'premium')", True),
        ("and(true(), parameters('flag'), equals(1, 1))", True),
        ("or(false(), false())", False),
        ("empty(createArray())", True),
        ("empty(parameters('nothing'))", True),
        ("coalesce(parameters('nothing'), 'fallback')", "fallback"),
        ("concat('acr', '-', 1)", "acr-1"),
        ("concat(createArray(1), createArray(2, 3))", [1, 2, 3]),
        ("toLower('ABC')", "abc"),
        ("toUpper('abc')", "ABC"),
        ("length(parameters('regions'))", 2),
        ("items(createObject('b', 2, 'a', 1))[0].key", "a"),
        ("length(items(createObject('a', 1)))", 1),
        ("contains(parameters('regions'), 'WestEurope')", False),  # arrays: case-sensitive
        ("createObject('a', 1, 'b', createArray('x'))", {"a": 1, "b": ["x"]}),
        ("union(createObject('a', 1), createObject('b', 2))", {"a": 1, "b": 2}),
        ("union(createArray(1, 2), createArray(2, 3))", [1, 2, 3]),
        ("json('null')", None),
        ("json('{\"a\": [1]}')", {"a": [1]}),
        ("null()", None),
        ("bool('true')", True),
        ("string(12)", "12"),
        ("int('7')", 7),
        ("format('{0}-{1}', 'a', 2)", "a-2"),
        ("format('{{x}} {0}', 'y')", "{x} y"),
        ("tryGet(parameters('ipRules'), 'missing')", None),
        ("tryGet(parameters('ipRules'), 'defaultAction')", "Deny"),
        ("first(parameters('regions'))", "westeurope"),
        ("last(split('a/b/c', '/'))", "c"),
        ("parameters('regions')[1]", "northeurope"),
        ("parameters('ipRules')['defaultAction']", "Deny"),
        (
            "resourceId('Microsoft.ContainerRegistry/registries', 'acr')",
            "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}"
            "/providers/Microsoft.ContainerRegistry/registries/acr",
        ),
        (
            "resourceId('rg2', 'Microsoft.ContainerRegistry/registries/tasks', 'acr', 't')",
            "/subscriptions/{subscriptionId}/resourceGroups/rg2"
            "/providers/Microsoft.ContainerRegistry/registries/acr/tasks/t",
        ),
        (
            "subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'abc')",
            "/subscriptions/{subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/abc",
        ),
        (
            "extensionResourceId('/x/y', 'Microsoft.Authorization/locks', 'l')",
            "/x/y/providers/Microsoft.Authorization/locks/l",
        ),
        ("tenantResourceId('Microsoft.Foo/bars', 'b')", "/providers/Microsoft.Foo/bars/b"),
        ("take(format('cr{0}', 'workload'), 5)", "crwor"),
        ("take(parameters('regions'), 1)", ["westeurope"]),
        ("skip('acr-prod', 4)", "prod"),
        ("skip(parameters('regions'), 5)", []),
        ("greater(length(parameters('regions')), 0)", True),
        ("greaterOrEquals(1, 2)", False),
        ("less('a', 'b')", True),
        ("lessOrEquals(2, 2)", True),
        ("startsWith('Premium', 'prem')", True),  # case-insensitive, as in ARM
        ("endsWith('acr.azurecr.io', '.AZURECR.IO')", True),
        ("trim('  Disabled ')", "Disabled"),
    ],
)
def test_functions(expression: str, expected: Any) -> None:
    """Each implemented template function gives ARM's result."""
    assert known(expression) == expected


@pytest.mark.parametrize(
    ("expression", "text"),
    [
        ("uniqueString(resourceGroup().id)", "uniqueString(resourceGroup().id)"),
        (
            "resourceId('Microsoft.ContainerRegistry/registries', parameters('name'))",
            "resourceId('Microsoft.ContainerRegistry/registries', parameters('name'))",
        ),
        ("reference('registry').loginServer", "reference('registry').loginServer"),
        ("noSuchFunction(1)", "noSuchFunction(1)"),
        ("if(equals(parameters('name'), 'x'), 'a', 'b')", None),
        ("concat(parameters('name'), '-x')", "concat(parameters('name'), '-x')"),
        ("copyIndex()", "copyIndex()"),
    ],
)
def test_unknowns_keep_canonical_text(expression: str, text: str | None) -> None:
    """Deployment-time and unknown functions are unknown; their text is canonical ARM syntax."""
    value = run(expression)
    assert not value.known
    if text is not None:
        assert value.expression == text


@pytest.mark.parametrize(
    "expression",
    ["take('abc', true())", "greater(1, 'a')", "startsWith(1, 'a')", "take('abc')", "trim(1)"],
)
def test_plain_functions_outside_their_types_are_unknown(expression: str) -> None:
    """A type or argument count a function does not take leaves the call unknown."""
    assert not run(expression).known


def test_decided_ternary_keeps_the_branch_text() -> None:
    """if() on a known condition is its branch, even when that branch is unknown."""
    value = run("if(equals(parameters('sku'), 'Premium'), variables('unknownName'), 'x')")
    assert not value.known
    assert value.expression == "variables('unknownName')"


def test_reference_to_a_registry_symbol_names_its_resource_id() -> None:
    """reference('<registry symbol>') is written with the registry's id, for outer scopes."""
    ev = scope(
        {
            "languageVersion": "2.0",
            "parameters": {"name": {"type": "string"}},
            "resources": {
                "registry": {
                    "type": "Microsoft.ContainerRegistry/registries",
                    "name": "[parameters('name')]",
                },
                "other": {"type": "Microsoft.Storage/storageAccounts", "name": "st"},
            },
        }
    )
    login = ev.expression("reference('registry').loginServer", SPAN)
    assert login.expression == (
        "reference(resourceId('Microsoft.ContainerRegistry/registries', "
        "parameters('name'))).loginServer"
    )
    assert ev.expression("reference('other').id", SPAN).expression == "reference('other').id"


def test_unknown_ternary_keeps_both_branches() -> None:
    """if() on an unknown condition keeps both possible values for the rules."""
    value = run("if(equals(parameters('name'), 'x'), 'Disabled', 'Enabled')")
    assert [v.value for v in value.possible()] == ["Disabled", "Enabled"]


def test_invalid_expression_is_unknown_not_an_error() -> None:
    """A malformed expression in a template gives an unknown value."""
    value = run("concat('a'")
    assert not value.known
    assert value.span == SPAN


def test_copy_index_uses_the_loop() -> None:
    """copyIndex() and copyIndex('loop', offset) read the current loop's index."""
    ev = evaluator()
    index = Value.of(2)
    assert ev.expression("copyIndex()", SPAN, {None: index}).value == 2
    assert ev.expression("copyIndex('loop', 1)", SPAN, {"loop": index}).value == 3


def scope(template: dict[str, Any]) -> Evaluator:
    text = json.dumps(template, indent=2)
    root = parse_json(text)
    assert isinstance(root, JObject)
    return Evaluator(Source.of("m.json", text), root)


MODULES: dict[str, Any] = {
    "resources": [
        {
            "type": "Microsoft.Resources/deployments",
            "name": "acr",
            "properties": {
                "expressionEvaluationOptions": {"scope": "inner"},
                "parameters": {"name": {"value": "modacr"}},
                "template": {
                    "parameters": {"name": {"type": "string"}},
                    "outputs": {
                        "id": {
                            "type": "string",
                            "value": "[resourceId('Microsoft.ContainerRegistry/registries', "
                            "parameters('name'))]",
                        },
                        "unknown": {"type": "string", "value": "[parameters('missing')]"},
                    },
                },
            },
        },
        {
            "type": "Microsoft.Resources/deployments",
            "name": "[format('loop-{0}', uniqueString('x'))]",
            "properties": {
                "template": {"outputs": {"self": {"value": "[reference('acr').outputs.id.value]"}}}
            },
        },
    ]
}


class TestDeploymentOutputs:
    def test_outputs_by_resource_id_and_name(self) -> None:
        """reference(resourceId(deployments, name)) and reference(name) read the outputs."""
        ev = scope(MODULES)
        by_id = "reference(resourceId('Microsoft.Resources/deployments', 'acr'), '2022-09-01')"
        for target in (by_id, "reference('acr')"):
            value = ev.expression(f"{target}.outputs.id.value", SPAN)
            assert str(value.text()).endswith("/Microsoft.ContainerRegistry/registries/modacr")

    def test_outer_scope_and_unknown_names(self) -> None:
        """A deployment named by an unknown expression is found by that expression's text."""
        ev = scope(MODULES)
        name = (
            "resourceId('Microsoft.Resources/deployments', format('loop-{0}', uniqueString('x')))"
        )
        value = ev.expression(f"reference({name}).outputs.self.value", SPAN)
        assert str(value.text()).endswith("/registries/modacr")

    def test_unknown_output_keeps_its_own_expression(self) -> None:
        """An unknown output is reported by what it is, not by the object around it."""
        value = scope(MODULES).expression("reference('acr').outputs.unknown.value", SPAN)
        assert not value.known
        assert value.expression == "parameters('missing')"

    def test_other_references_stay_unknown(self) -> None:
        """reference() of anything but a nested deployment here is a runtime value."""
        ev = scope(MODULES)
        for text in ("reference('nothere').outputs", "reference(parameters('x')).loginServer"):
            assert not ev.expression(text, SPAN).known


class TestTemplateShapes:
    def test_property_copy(self) -> None:
        """A property copy array becomes the arrays it names; copyIndex('loop') indexes them."""
        ev = scope({"parameters": {"ips": {"type": "array", "defaultValue": ["a", "b"]}}})
        node = parse_json(
            json.dumps(
                {
                    "defaultAction": "Deny",
                    "copy": [
                        {
                            "name": "ipRules",
                            "count": "[length(parameters('ips'))]",
                            "input": {"value": "[parameters('ips')[copyIndex('ipRules')]]"},
                        },
                        {"name": "unrolled", "count": "[parameters('n')]", "input": {}},
                    ],
                }
            )
        )
        data = ev.node(node).value
        assert [v.value["value"].value for v in data["ipRules"].value] == ["a", "b"]
        assert not data["unrolled"].known
        assert "copy" not in data

    def test_expression_keys(self) -> None:
        """Known "[expr]" keys are evaluated; unknown ones stay as written."""
        ev = scope({"parameters": {"id": {"type": "string", "defaultValue": "uami"}}})
        node = parse_json('{"[parameters(\'id\')]": 1, "[parameters(\'x\')]": 2, "[[k]": 3}')
        assert list(ev.node(node).value) == ["uami", "[parameters('x')]", "[k]"]

    def test_acr_login_server_suffix_and_replace(self) -> None:
        """environment().suffixes.acrLoginServer is the public cloud's; replace() is known."""
        assert run("concat('acr', environment().suffixes.acrLoginServer)").value == "acr.azurecr.io"
        assert not run("environment().suffixes.storage").known
        assert run("replace('cr-demo-1', '-', '')").value == "crdemo1"
        assert not run("replace(parameters('name'), '-', '')").known
