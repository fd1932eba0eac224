from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acr_trusted.lint import bicep
from acr_trusted.lint.bicep_consumers import avm_identity_type
from acr_trusted.lint.bicep_grammar import parse
from acr_trusted.lint.known_modules import find_known_module
from acr_trusted.lint.model import (
    ConsumerKind,
    FileModel,
    LoadContext,
    OriginKind,
    Registry,
    RegistryProperty,
    Span,
    Value,
    consumers_of,
    posture_of,
)
from tests.conftest import CORPUS

FIXTURES = Path(__file__).parent / "fixtures" / "bicep"
SKU = RegistryProperty.SKU
ACCESS = RegistryProperty.PUBLIC_NETWORK_ACCESS
BYPASS = RegistryProperty.BYPASS_OPTIONS
TASKS = RegistryProperty.TASKS_BYPASS
ACTION = RegistryProperty.DEFAULT_ACTION
IP_RULES = RegistryProperty.IP_RULES


def context(root: Path, param_files: tuple[Path, ...] = ()) -> LoadContext:
    def display(path: Path) -> str:
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            return path.as_posix()

    return LoadContext(
        read_text=lambda p: Path(p).read_text(encoding="utf-8"),
        display_path=display,
        param_files=param_files,
    )


def load(path: Path, root: Path = FIXTURES, **kwargs: tuple[Path, ...]) -> FileModel:
    return bicep.load(path, path.read_text(encoding="utf-8"), context(root, **kwargs))


def load_text(text: str, name: str = "inline.bicep") -> FileModel:
    return bicep.load(Path(name), text, context(Path(".")))


def registry(model: FileModel, symbol: str) -> Registry:
    found = [r for r in model.registries if r.symbol == symbol]
    assert found, f"no registry {symbol!r} in {[r.symbol for r in model.registries]}"
    return found[0]


def value(reg: Registry, prop: RegistryProperty) -> object:
    return reg.get(prop).value


# ---- handles / parse errors


def test_handles_bicep_and_bicepparam_only() -> None:
    assert bicep.handles(Path("a/main.bicep"))
    assert bicep.handles(Path("main.BICEPPARAM"))
    assert not bicep.handles(Path("main.json"))


def test_parse_error_names_line_column_and_reason() -> None:
    model = load(FIXTURES / "bad.bicep")
    assert model.registries == ()
    (error,) = model.errors
    assert (error.span.path, error.span.line, error.span.column) == ("bad.bicep", 7, 3)
    assert "unexpected '}'" in error.reason


@pytest.mark.parametrize(
    "text",
    [
        "resource x 'a@b' = {\n  name: 'unterminated\n}\n",
        "param x string = \n",
        "var x = ${\n",
        "@\n",
        "var x = (((((((",
        "\x00\x01",
    ],
)
def test_broken_input_is_a_parse_error_not_an_exception(text: str) -> None:
    model = load_text(text)
    assert len(model.errors) == 1
    assert model.errors[0].span.line >= 1


# ---- grammar: newer syntax


def test_syntax_fixture_parses_and_evaluates_newer_syntax() -> None:
    model = load(FIXTURES / "syntax.bicep")
    assert model.errors == ()
    (acr,) = model.registries  # the `existing` registry is a reference, not a declaration
    assert acr.symbol == "acr"
    assert value(acr, SKU) == "Premium"  # multi-line ternary on a bool default
    assert value(acr, ACCESS) == "Disabled"
    assert acr.api_version == "2025-11-01"


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


# ---- evaluation and fixable literals


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
    path = CORPUS / (
        "Azure__azure-quickstart-templates/quickstarts/microsoft.containerregistry/"
        "container-registry-with-policies-and-diagnostics/main.bicep"
    )
    if not path.exists():
        pytest.skip("corpus not beside the checkout")
    acr = registry(load(path, CORPUS), "acr")
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


def test_parameter_values_given_by_a_caller_keep_their_place(tmp_path: Path) -> None:
    """An undecidable argument of a local module is reported in the calling file."""
    (tmp_path / "registry.bicep").write_text(
        "param bypass string\n"
        "resource r 'Microsoft.ContainerRegistry/registries@2025-11-01' = {\n"
        "  name: 'contosoacr'\n"
        "  properties: { networkRuleBypassOptions: bypass }\n"
        "}\n",
        encoding="utf-8",
    )
    main = tmp_path / "main.bicep"
    main.write_text(
        "param choice string\nmodule m './registry.bicep' = {\n  params: {\n"
        "    bypass: choice\n  }\n}\n",
        encoding="utf-8",
    )
    bypass = registry(load(main, tmp_path), "m").get(BYPASS)
    assert not bypass.known
    assert bypass.span is not None
    assert (bypass.span.path, bypass.span.line, bypass.span.column) == ("main.bicep", 4, 13)


# ---- consumers


def test_each_consumer_kind_links_to_its_registry() -> None:
    model = load(FIXTURES / "consumers.bicep")
    acr = registry(model, "acr")
    linked = consumers_of(model, acr)
    kinds = sorted(c.kind.value for c in linked)
    assert kinds == sorted(
        [
            "task",
            "task",
            "agent-pool",
            "private-endpoint",
            "container-group",
            "container-group",
            "ml-workspace",
            "web-app",
            "role-assignment",
            "registry-patch",
        ]
    )
    by_symbol = {(c.kind, c.symbol): c for c in linked}
    nested = by_symbol[(ConsumerKind.TASK, "acr::buildTask")]
    assert nested.attr("identity").value == "system-assigned"
    assert nested.attr("agent_pool").value is None
    assert nested.attr("custom_registries").value[0]["identity"] == "[system]"
    assert by_symbol[(ConsumerKind.TASK, "poolTask")].attr("agent_pool").value == "pool"
    groups = [c for c in linked if c.kind is ConsumerKind.CONTAINER_GROUP]
    assert {c.attr("identity").value for c in groups} == {"user-assigned", "admin-credentials"}
    web = by_symbol[(ConsumerKind.WEB_APP, "web")]
    assert web.attr("vnet_image_pull").value is True
    assert web.attr("uses_managed_identity").value is True
    role = by_symbol[(ConsumerKind.ROLE_ASSIGNMENT, "pull")]
    assert role.attr("role").value == "7f951dda-4ed3-4680-a7ca-43fe172d538d"
    assert role.attr("principal_type").value == "ServicePrincipal"
    assert role.attr("principal_is_managed_identity").value is True
    posture = posture_of(acr, linked)
    assert posture.private_endpoint_count == 1
    assert posture.network_rule_bypass_allowed_for_tasks is True  # the deployment script


def test_consumer_attributes_hold_no_credentials() -> None:
    model = load(FIXTURES / "consumers.bicep")
    assert "not-a-real-secret" not in repr(model.consumers)


# ---- modules


def test_local_modules_params_in_outputs_out_and_null_fallback() -> None:
    model = load(FIXTURES / "modules" / "main.bicep")
    assert model.errors == ()
    acr = registry(model, "acr")
    assert acr.via == "module './registry.bicep'"
    assert acr.span.path == "modules/main.bicep"
    assert acr.span.line == 3
    assert acr.name.value == "contosoacr"
    bypass = acr.get(BYPASS)  # `bypass: null` falls back to the module's default
    assert bypass.value == "None"
    assert bypass.origin.kind is OriginKind.PARAMETER_DEFAULT
    assert "modules/registry.bicep:4" in bypass.origin.describe()
    assert not bypass.is_literal  # written in the module, not in the linted file
    assert value(registry(model, "open"), BYPASS) == "AzureServices"
    # outputs flow out: the private endpoint names acr.outputs.resourceId
    (endpoint,) = [c for c in consumers_of(model, acr) if c.kind is ConsumerKind.PRIVATE_ENDPOINT]
    assert endpoint.symbol == "endpoint"


def test_module_loop_gives_one_registry_and_call_site_literal_is_fixable() -> None:
    path = FIXTURES / "modules" / "main.bicep"
    text = path.read_text(encoding="utf-8")
    many = registry(load(path), "many")
    assert many.name.value == "acrone"
    bypass = many.get(BYPASS)
    assert bypass.is_literal
    assert bypass.span is not None
    assert bypass.span.start_offset is not None
    assert text[bypass.span.start_offset : bypass.span.end_offset] == "'None'"


def test_module_recursion_and_missing_module_do_not_crash() -> None:
    model = load(FIXTURES / "modules" / "main.bicep")
    assert {r.symbol for r in model.registries} == {"acr", "open", "many", "avm"}


def test_known_avm_registry_module_and_consumer_modules() -> None:
    model = load(FIXTURES / "modules" / "main.bicep")
    avm = registry(model, "avm")
    assert avm.via is not None
    assert "known-module table" in avm.via
    sku = avm.get(SKU)
    assert sku.value == "Premium"
    assert sku.origin.kind is OriginKind.MODULE_TABLE
    assert value(avm, ACCESS) == "Disabled"  # derived: private endpoints and no IP rules
    assert avm.private_endpoint_count.value == 1
    assert avm.get(BYPASS).is_literal
    linked = consumers_of(model, avm)
    roles = [c for c in linked if c.kind is ConsumerKind.ROLE_ASSIGNMENT]
    assert [r.attr("role").value for r in roles] == ["AcrPull"]
    (group,) = [c for c in linked if c.kind is ConsumerKind.CONTAINER_GROUP]
    assert group.attr("identity").value == "user-assigned"


def test_known_avm_registry_module_tasks_input_gives_task_consumers() -> None:
    model = load_text(
        """
module acr 'br/public:avm/res/container-registry/registry:0.9.3' = {
  params: {
    name: 'contosoacr'
    tasks: [
      {
        name: 'hosted'
        managedIdentities: { systemAssigned: true }
        credentials: { customRegistries: { 'contosoacr.azurecr.io': { identity: '[system]' } } }
        status: 'Disabled'
      }
      { name: 'pooled', agentPoolName: 'pool' }
    ]
  }
}
"""
    )
    reg = registry(model, "acr")
    tasks = [c for c in consumers_of(model, reg) if c.kind is ConsumerKind.TASK]
    assert [t.symbol for t in tasks] == ["acr.tasks[0]", "acr.tasks[1]"]
    hosted, pooled = tasks
    assert hosted.span == reg.span  # reported at the call site
    assert hosted.attr("name").value == "hosted"
    assert hosted.attr("identity").value == "system-assigned"
    assert hosted.attr("agent_pool").value is None  # a disabled task still counts
    assert hosted.attr("custom_registries").value == [
        {"login_server": "contosoacr.azurecr.io", "identity": "[system]"}
    ]
    assert pooled.attr("identity").value == "none"  # the task module gives no identity
    assert pooled.attr("agent_pool").value == "pool"


def test_local_task_module_not_on_disk_is_read_from_its_inputs(tmp_path: Path) -> None:
    """The AVM registry module calls ``task/main.bicep``; a copy without it still has tasks."""
    folder = tmp_path / "container-registry" / "registry"
    folder.mkdir(parents=True)
    main = folder / "main.bicep"
    main.write_text(
        """
param tasks array = [
  { name: 'one' }
  { name: 'two', agentPoolName: 'pool', managedIdentities: { userAssignedResourceIds: ['id'] } }
]
resource registry 'Microsoft.ContainerRegistry/registries@2025-11-01' = {
  name: 'contosoacr'
  sku: { name: 'Premium' }
  properties: { publicNetworkAccess: 'Disabled' }
}
module registry_tasks 'task/main.bicep' = [
  for (task, index) in (tasks ?? []): {
    params: {
      registryName: registry.name
      name: task.name
      agentPoolName: task.?agentPoolName
      managedIdentities: task.?managedIdentities
    }
  }
]
module other 'other/main.bicep' = { params: { agentPoolName: null } }
""",
        encoding="utf-8",
    )
    model = load(main, tmp_path)
    reg = registry(model, "registry")
    tasks = [c for c in model.consumers if c.kind is ConsumerKind.TASK]
    assert [t.symbol for t in tasks] == ["registry_tasks[0]", "registry_tasks[1]"]
    assert [c for c in consumers_of(model, reg) if c.kind is ConsumerKind.TASK] == tasks
    assert {t.link.name for t in tasks} == {"contosoacr"}  # registryName links them
    assert [t.attr("agent_pool").value for t in tasks] == [None, "pool"]
    assert [t.attr("identity").value for t in tasks] == ["none", "user-assigned"]


def test_task_loops_give_a_consumer_per_item_and_existing_parent_links_by_name() -> None:
    model = load_text(
        """
resource acr 'Microsoft.ContainerRegistry/registries@2025-11-01' existing = {
  name: 'contosoacr'
}
resource tasks 'Microsoft.ContainerRegistry/registries/tasks@2025-03-01-preview' = [
  for name in ['a', 'b', 'skipped']: if (name != 'skipped') {
    parent: acr
    name: name
    properties: { agentPoolName: name == 'a' ? 'pool' : null }
  }
]
"""
    )
    tasks = [c for c in model.consumers if c.kind is ConsumerKind.TASK]
    assert [(t.symbol, t.attr("agent_pool").value) for t in tasks] == [
        ("tasks[0]", "pool"),
        ("tasks[1]", None),
    ]
    assert {t.link.name for t in tasks} == {"contosoacr"}


@pytest.mark.parametrize(
    ("managed", "expected"),
    [
        (None, None),
        ({}, None),
        ({"systemAssigned": True}, "SystemAssigned"),
        ({"systemAssigned": False}, "None"),
        ({"userAssignedResourceIds": ["id"]}, "UserAssigned"),
        (
            {"systemAssigned": True, "userAssignedResourceIds": ["id"]},
            "SystemAssigned, UserAssigned",
        ),
        ({"systemAssigned": True, "userAssignedResourceIds": []}, "SystemAssigned"),
    ],
)
def test_avm_managed_identities_become_the_arm_identity_type(
    managed: dict[str, object] | None, expected: str | None
) -> None:
    data = None if managed is None else {k: Value.of(v) for k, v in managed.items()}
    found = avm_identity_type(Value.of(data))
    assert (found.value if found is not None else None) == expected


def test_avm_managed_identities_undecidable_stay_unknown() -> None:
    flag = Value.unknown("useSystem")
    found = avm_identity_type(Value.of({"systemAssigned": flag}))
    assert found is not None
    assert not found.known
    found = avm_identity_type(Value.unknown("identities"))
    assert found is not None
    assert not found.known


@pytest.mark.parametrize(
    ("version", "ip_rules", "expect_rule_set"),
    [
        ("0.9.3", Value.of([]), False),
        ("0.12.1", Value.of([]), True),
        ("0.12.1", None, False),
        ("0.9.3", Value.of([{"value": "1.2.3.4"}]), True),
    ],
)
def test_known_module_table_network_rule_set_by_version(
    version: str, ip_rules: Value | None, expect_rule_set: bool
) -> None:
    entry = find_known_module(f"br/public:avm/res/container-registry/registry:{version}")
    assert entry is not None
    inputs = {"name": Value.of("acr")}
    if ip_rules is not None:
        inputs["networkRuleSetIpRules"] = ip_rules
    built = entry.build(inputs, Span.point("main.bicep", 1))
    assert (RegistryProperty.DEFAULT_ACTION in built.properties) is expect_rule_set
    assert built.properties[BYPASS].value == "AzureServices"
    assert built.properties[BYPASS].origin.kind is OriginKind.MODULE_TABLE
    assert find_known_module(
        "br:mcr.microsoft.com/bicep/avm/res/container-registry/registry:0.12.0"
    )
    assert find_known_module("br/public:avm/res/container-registry/registry-x:1.0.0") is None


def test_known_module_null_input_falls_back_to_default() -> None:
    entry = find_known_module("br/public:avm/res/container-registry/registry:0.9.1")
    assert entry is not None
    built = entry.build({"networkRuleBypassOptions": Value.of(None)}, Span.point("m.bicep", 1))
    assert built.properties[BYPASS].value == "AzureServices"


# ---- parameter files


def test_linted_bicepparam_reports_template_registries_at_using() -> None:
    model = load(FIXTURES / "params" / "main.bicepparam")
    (acr,) = model.registries
    assert acr.span.path == "params/main.bicepparam"
    assert acr.span.line == 1
    assert acr.via == "template 'params/main.bicep'"
    assert value(acr, BYPASS) == "None"
    assert acr.get(BYPASS).is_literal  # the literal is in the linted param file
    assert value(acr, ACCESS) == "Disabled"


def test_template_takes_values_from_conventional_main_bicepparam() -> None:
    acr = registry(load(FIXTURES / "params" / "main.bicep"), "acr")
    bypass = acr.get(BYPASS)
    assert bypass.value == "None"
    assert bypass.origin.kind is OriginKind.PARAMETER_VALUE
    assert not bypass.is_literal


def test_template_takes_values_from_given_param_files() -> None:
    params = FIXTURES / "params"
    model = load(
        params / "main.bicep",
        param_files=(params / "other.bicepparam", params / "dev.parameters.json"),
    )
    acr = registry(model, "acr")
    assert value(acr, BYPASS) == "None"  # main.bicepparam beside it is applied last
    assert value(acr, ACCESS) == "Disabled"  # from the ARM parameter JSON


def test_evaluate_template_for_other_loaders() -> None:
    params = FIXTURES / "params"
    at = Span.point("params/dev.parameters.json", 3)
    model = bicep.evaluate_template(
        params / "main.bicep", {"bypass": Value.of("None")}, context(FIXTURES), report_at=at
    )
    (acr,) = model.registries
    assert acr.span == at
    assert value(acr, BYPASS) == "None"
    assert value(acr, ACCESS) == "Enabled"
    missing = bicep.evaluate_template(params / "nope.bicep", {}, context(FIXTURES))
    assert missing.registries == ()


# ---- the corpus, with MANIFEST.tsv's labels


def corpus_model(relative: str) -> FileModel:
    path = CORPUS / relative
    if not path.exists():
        pytest.skip("corpus not beside the checkout")
    return load(path, CORPUS)


AVM = "Azure__bicep-registry-modules/avm/"


def test_every_corpus_bicep_file_loads(shared_dir: Path) -> None:
    files = sorted((shared_dir / "corpus").rglob("*.bicep"))
    assert len(files) >= 15
    for path in files:
        model = load(path, shared_dir / "corpus")
        assert model.errors == (), path
        assert model.registries, path


@pytest.mark.parametrize(
    ("test", "sku", "restricted"),
    [
        ("max", "Premium", True),
        ("waf-aligned", "Premium", True),
        ("restricted-empty-ip", "Premium", True),
        ("defaults", "Standard", False),
    ],
)
def test_avm_e2e_tests_resolve_restriction_through_the_module(
    test: str, sku: str, restricted: bool
) -> None:
    model = corpus_model(f"{AVM}res/container-registry/registry/tests/e2e/{test}/main.test.bicep")
    reg = registry(model, "testDeployment")
    assert reg.via == "module '../../../main.bicep'"
    posture = posture_of(reg, consumers_of(model, reg))
    assert posture.sku == sku
    assert posture.is_restricted is restricted
    bypass = reg.get(BYPASS)
    assert bypass.value == "AzureServices"
    assert bypass.origin.kind is OriginKind.PARAMETER_DEFAULT
    assert "main.bicep:107" in bypass.origin.describe()


def test_avm_max_test_declares_a_task_through_the_module_tasks_input() -> None:
    """``tasks`` flows to the module's ``task/main.bicep``, which is not in the corpus."""
    model = corpus_model(f"{AVM}res/container-registry/registry/tests/e2e/max/main.test.bicep")
    reg = registry(model, "testDeployment")
    (task,) = [c for c in consumers_of(model, reg) if c.kind is ConsumerKind.TASK]
    assert task.span == reg.span
    assert task.attr("agent_pool").value is None
    assert task.attr("identity").value == "none"
    assert TASKS not in reg.properties  # the module cannot set the tasks bypass


def test_avm_empty_ip_rules_emit_a_rule_set_at_this_commit() -> None:
    model = corpus_model(
        f"{AVM}res/container-registry/registry/tests/e2e/restricted-empty-ip/main.test.bicep"
    )
    reg = registry(model, "testDeployment")
    assert value(reg, ACTION) == "Deny"
    assert value(reg, IP_RULES) == []
    assert value(reg, ACCESS) == "Disabled"


def test_cicd_agents_resolves_ternaries_and_finds_the_tasks_patch() -> None:
    model = corpus_model(f"{AVM}ptn/dev-ops/cicd-agents-and-runners/main.bicep")
    acr = registry(model, "acr")
    assert value(acr, SKU) == "Premium"
    assert "privateNetworking" in acr.get(SKU).depends_on
    assert value(acr, BYPASS) == "AzureServices"
    linked = consumers_of(model, acr)
    posture = posture_of(acr, linked)
    assert posture.is_restricted
    assert posture.network_rule_bypass_allowed_for_tasks is True
    (patch,) = [c for c in linked if c.kind is ConsumerKind.REGISTRY_PATCH]
    assert patch.symbol == "acrNetworkByPassTasks"
    assert patch.attr("source").value == "deployment-script"
    tasks = [c for c in linked if c.kind is ConsumerKind.TASK]
    assert tasks
    assert tasks[0].attr("identity").value == "system-assigned"


def test_container_job_toolkit_null_bypass_falls_back_to_module_default() -> None:
    model = corpus_model(f"{AVM}ptn/app/container-job-toolkit/modules/deploy_services.bicep")
    reg = registry(model, "registry")
    assert value(reg, BYPASS) == "AzureServices"
    assert value(reg, ACCESS) == "Disabled"
    linked = consumers_of(model, reg)
    assert [c.symbol for c in linked if c.kind is ConsumerKind.PRIVATE_ENDPOINT] == [
        "privateEndpoint_ContainerRegistry"
    ]


PTN = f"{AVM}ptn/"
QUICKSTART = (
    "Azure__azure-quickstart-templates/quickstarts/microsoft.containerregistry/"
    "container-registry-with-policies-and-diagnostics/main.bicep"
)
IMPORT_TESTS = f"{PTN}deployment-script/import-image-to-acr/tests/e2e/"
ACA_LZA = f"{PTN}aca-lza/hosting-environment/modules/supporting-services/modules/"
CARML = "Azure__ResourceModules/modules/Microsoft.ContainerRegistry/registries/deploy.bicep"
LABELS = [
    (
        f"{AVM}res/container-registry/registry/main.bicep",
        "registry",
        "Premium",
        False,
        "AzureServices",
    ),
    (
        f"{PTN}ai-platform/baseline/main.bicep",
        "containerRegistry",
        "Premium",
        True,
        "AzureServices",
    ),
    (
        f"{PTN}azd/ml-hub-dependencies/main.bicep",
        "containerRegistry",
        "Basic",
        False,
        "AzureServices",
    ),
    (f"{IMPORT_TESTS}defaults/dependencies.bicep", "acr", "Standard", False, None),
    (f"{IMPORT_TESTS}max/dependencies.bicep", "acr", "Premium", True, "AzureServices"),
    (f"{ACA_LZA}container-registry.module.bicep", "acr", "Premium", True, "AzureServices"),
    (CARML, "registry", "Basic", False, "AzureServices"),
    (
        "mspnp__aks-baseline/workload-team/acr-stamp.bicep",
        "acrAks",
        "Premium",
        True,
        "AzureServices",
    ),
    (QUICKSTART, "acr", "Basic", False, "None"),
]


@pytest.mark.parametrize(("relative", "symbol", "sku", "restricted", "bypass"), LABELS)
def test_corpus_registries_match_manifest_labels(
    relative: str, symbol: str, sku: str, restricted: bool, bypass: str | None
) -> None:
    model = corpus_model(relative)
    reg = registry(model, symbol)
    posture = posture_of(reg, consumers_of(model, reg))
    assert posture.sku == sku
    assert posture.is_restricted is restricted
    assert posture.network_rule_bypass_options == bypass


def test_ml_hub_registry_is_conditional() -> None:
    model = corpus_model(f"{AVM}ptn/azd/ml-hub-dependencies/main.bicep")
    assert registry(model, "containerRegistry").conditional


def test_agent_pool_in_aca_lza_links_to_the_only_registry() -> None:
    model = corpus_model(
        f"{AVM}ptn/aca-lza/hosting-environment/modules/supporting-services/modules/"
        "container-registry.module.bicep"
    )
    acr = registry(model, "acr")
    assert [c.kind for c in consumers_of(model, acr)].count(ConsumerKind.AGENT_POOL) == 1


# ---- never an exception


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_random_bytes_never_raise(data: bytes) -> None:
    model = load_text(data.decode("utf-8", "replace"))
    assert isinstance(model, FileModel)


def _corpus_texts() -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in sorted(FIXTURES.rglob("*.bicep"))]
    if CORPUS.is_dir():
        texts += [p.read_text(encoding="utf-8") for p in sorted(CORPUS.rglob("*.bicep"))[:6]]
    return texts


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=0, max_value=2**32))
def test_mutated_real_files_never_raise(which: int, seed: int) -> None:
    texts = _corpus_texts()
    text = texts[which % len(texts)]
    rng = random.Random(seed)
    chars = list(text)
    for _ in range(rng.randint(1, 8)):
        at = rng.randrange(len(chars) + 1)
        action = rng.random()
        if action < 0.4 and chars:
            del chars[min(at, len(chars) - 1) : at + rng.randint(1, 20)]
        elif action < 0.8:
            chars.insert(at, rng.choice("{}[]()'\n:?!.=$,@|#/*-\\"))
        else:
            chars[at:at] = list(rng.choice(["${", "'''", "resource", " ? ", "[for x in y: "]))
    model = load_text("".join(chars), "mutated.bicep")
    assert model.errors or isinstance(model.registries, tuple)
