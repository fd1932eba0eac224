from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acr_trusted.lint import bicep, rules
from acr_trusted.lint.model import (
    ConsumerKind,
    FileModel,
    OriginKind,
    RegistryLink,
    Span,
    Value,
    consumers_of,
    posture_of,
)
from tests.bicep_helpers import (
    ACCESS,
    ACTION,
    AVM,
    BYPASS,
    FIXTURES,
    IP_RULES,
    SKU,
    TASKS,
    context,
    corpus_model,
    load,
    load_text,
    registry,
    value,
)
from tests.conftest import CORPUS

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


# ---- a whole file


def test_syntax_fixture_parses_and_evaluates_newer_syntax() -> None:
    model = load(FIXTURES / "syntax.bicep")
    assert model.errors == ()
    (acr,) = model.registries  # the `existing` registry is a reference, not a declaration
    assert acr.symbol == "acr"
    assert value(acr, SKU) == "Premium"  # multi-line ternary on a bool default
    assert value(acr, ACCESS) == "Disabled"
    assert acr.api_version == "2025-11-01"


# ---- modules


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


OPTIONAL_ENDPOINT = """\
param usePrivateEndpoint bool = false
resource acr 'Microsoft.ContainerRegistry/registries@2025-11-01' = {
  name: 'contosoacr'
  location: 'westeurope'
  sku: { name: 'Premium' }
  properties: { networkRuleBypassOptions: 'None' }
}
resource pe 'Microsoft.Network/privateEndpoints@2023-09-01' = if (usePrivateEndpoint) {
  name: 'pe'
  properties: {
    privateLinkServiceConnections: [
      { name: 'acr', properties: { privateLinkServiceId: acr.id, groupIds: ['registry'] } }
    ]
  }
}
"""


@pytest.mark.parametrize(("default", "endpoints"), [("false", 0), ("true", 1), ("p", 1)])
def test_a_consumer_whose_condition_is_false_is_not_deployed(default: str, endpoints: int) -> None:
    """As ARM skips it: an optional private endpoint switched off restricts nothing."""
    text = OPTIONAL_ENDPOINT.replace("bool = false", f"bool = {default}")
    model = load_text(text)
    assert len(model.consumers) == endpoints
    assert (["ACRT001"] if endpoints else []) == [f.rule for f in rules.check(model)]


def test_a_module_that_is_not_deployed_keeps_its_registries_not_its_consumers(
    tmp_path: Path,
) -> None:
    (tmp_path / "acr.bicep").write_text(OPTIONAL_ENDPOINT.replace("= false", "= true"), "utf-8")
    main = tmp_path / "main.bicep"
    main.write_text("module acr 'acr.bicep' = if (false) {\n  name: 'acr'\n}\n", "utf-8")
    model = load(main, tmp_path)
    assert registry(model, "acr").conditional
    assert model.consumers == ()


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


def test_a_module_reached_through_parent_folders_is_named_without_them(tmp_path: Path) -> None:
    """``'../../modules/acr.bicep'``: its default is shown at ``modules/acr.bicep:N``."""
    (tmp_path / "modules").mkdir()
    (tmp_path / "modules" / "acr.bicep").write_text(
        "param publicNetworkAccess string = 'Enabled'\n"
        "param networkRuleBypassOptions string = 'None'\n"
        "resource acr 'Microsoft.ContainerRegistry/registries@2023-07-01' = {\n"
        "  name: 'tk421acr'\n  sku: { name: 'Premium' }\n  properties: {\n"
        "    publicNetworkAccess: publicNetworkAccess\n"
        "    networkRuleBypassOptions: networkRuleBypassOptions\n  }\n}\n",
        encoding="utf-8",
    )
    main = tmp_path / "envs" / "dev" / "main.bicep"
    main.parent.mkdir(parents=True)
    main.write_text(
        "module acr '../../modules/acr.bicep' = {\n"
        "  params: { publicNetworkAccess: 'Disabled' }\n}\n",
        encoding="utf-8",
    )
    bypass = registry(load(main, tmp_path), "acr").properties[BYPASS]
    assert bypass.origin.span is not None
    assert bypass.origin.span.path == "modules/acr.bicep"


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


def test_a_role_on_an_existing_registry_named_by_a_module_output_links_to_it(
    tmp_path: Path,
) -> None:
    """azd's aks.bicep: AcrPull granted in ``registry-access.bicep`` on an ``existing``
    registry named by the registry module's ``name`` output, so ACRT007 sees the ABAC mode."""
    (tmp_path / "registry.bicep").write_text(
        "param name string\n"
        "resource containerRegistry 'Microsoft.ContainerRegistry/registries@2025-11-01' = {\n"
        "  name: name\n"
        "  location: resourceGroup().location\n"
        "  sku: { name: 'Premium' }\n"
        "  properties: { roleAssignmentMode: 'AbacRepositoryPermissions' }\n"
        "}\n"
        "output name string = containerRegistry.name\n",
        encoding="utf-8",
    )
    (tmp_path / "registry-access.bicep").write_text(
        "param containerRegistryName string\n"
        "param principalId string\n"
        "var acrPullRole = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', "
        "'7f951dda-4ed3-4680-a7ca-43fe172d538d')\n"
        "resource aksAcrPull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {\n"
        "  scope: containerRegistry\n"
        "  name: guid(principalId, acrPullRole)\n"
        "  properties: {\n"
        "    roleDefinitionId: acrPullRole\n"
        "    principalType: 'ServicePrincipal'\n"
        "    principalId: principalId\n"
        "  }\n"
        "}\n"
        "resource containerRegistry 'Microsoft.ContainerRegistry/registries@2023-07-01' "
        "existing = {\n"
        "  name: containerRegistryName\n"
        "}\n",
        encoding="utf-8",
    )
    main = tmp_path / "aks.bicep"
    main.write_text(
        "param containerRegistryName string\n"
        "module containerRegistry 'registry.bicep' = {\n"
        "  name: 'container-registry'\n"
        "  params: { name: containerRegistryName }\n"
        "}\n"
        "module containerRegistryAccess 'registry-access.bicep' = {\n"
        "  name: 'cluster-container-registry-access'\n"
        "  params: {\n"
        "    containerRegistryName: containerRegistry.outputs.name\n"
        "    principalId: '11111111-1111-1111-1111-111111111111'\n"
        "  }\n"
        "}\n",
        encoding="utf-8",
    )
    model = load(main, tmp_path)
    [role] = model.consumers
    assert role.link == RegistryLink(symbol="containerRegistry")
    assert role.span.line == 6
    assert [f.rule for f in rules.check(model)] == ["ACRT007"]


@pytest.mark.parametrize(
    ("version", "ip_rules", "expect_rule_set"),
    [
        ("0.9.3", "[]", False),
        ("0.12.1", "[]", True),
        ("0.12.1", None, False),
        ("0.9.3", "[{ value: '1.2.3.4' }]", True),
    ],
)
def test_known_avm_module_builds_its_rule_set_by_version(
    version: str, ip_rules: str | None, expect_rule_set: bool
) -> None:
    rules = "" if ip_rules is None else f"    networkRuleSetIpRules: {ip_rules}\n"
    model = load_text(
        f"module acr 'br/public:avm/res/container-registry/registry:{version}' = {{\n"
        f"  params: {{\n    name: 'contosoacr'\n{rules}  }}\n}}\n"
    )
    reg = registry(model, "acr")
    assert (ACTION in reg.properties) is expect_rule_set
    bypass = reg.get(BYPASS)
    assert bypass.value == "AzureServices"
    assert bypass.origin.kind is OriginKind.MODULE_TABLE


def test_tasks_crediting_their_own_registry_by_expression_are_decided() -> None:
    """ACRT010 is checked, not left undetermined, when the key names the task's registry."""
    model = load(FIXTURES / "task_own_login_server.bicep")
    found = rules.check(model, strict=True)
    assert [(f.rule, f.resource) for f in found] == [("ACRT002", "acr")]


@pytest.mark.parametrize(
    ("source", "known"),
    [
        ("br:mcr.microsoft.com/bicep/avm/res/container-registry/registry:0.12.0", True),
        ("br/public:avm/res/container-registry/registry-x:1.0.0", False),
    ],
)
def test_known_avm_module_is_recognised_by_either_registry_alias(source: str, known: bool) -> None:
    model = load_text(f"module acr '{source}' = {{\n  params: {{ name: 'contosoacr' }}\n}}\n")
    assert bool(model.registries) is known


def test_known_module_null_input_falls_back_to_default() -> None:
    model = load_text(
        "module acr 'br/public:avm/res/container-registry/registry:0.9.1' = {\n"
        "  params: {\n    name: 'contosoacr'\n    networkRuleBypassOptions: null\n  }\n}\n"
    )
    assert value(registry(model, "acr"), BYPASS) == "AzureServices"


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


def test_a_param_file_literal_passed_on_to_a_module_stays_fixable(tmp_path: Path) -> None:
    """azd shape: main.bicepparam -> main.bicep -> core/host/container-registry.bicep."""
    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "registry.bicep").write_text(
        "param networkRuleBypassOptions string = 'AzureServices'\n"
        "resource acr 'Microsoft.ContainerRegistry/registries@2023-07-01' = {\n"
        "  name: 'azdacr01'\n  sku: { name: 'Premium' }\n  properties: {\n"
        "    publicNetworkAccess: 'Disabled'\n"
        "    networkRuleBypassOptions: networkRuleBypassOptions\n  }\n}\n",
        encoding="utf-8",
    )
    (tmp_path / "main.bicep").write_text(
        "param acrBypass string\nparam moduleBypass string = 'None'\n"
        "module fromParams './core/registry.bicep' = {\n"
        "  params: { networkRuleBypassOptions: acrBypass }\n}\n"
        "module fromDefault './core/registry.bicep' = {\n"
        "  params: { networkRuleBypassOptions: moduleBypass }\n}\n",
        encoding="utf-8",
    )
    params = tmp_path / "main.bicepparam"
    params.write_text("using 'main.bicep'\n\nparam acrBypass = 'none'\n", encoding="utf-8")
    model = load(params, tmp_path)
    assert registry(model, "fromParams").get(BYPASS).is_literal  # --fix edits the param file
    assert not registry(model, "fromDefault").get(BYPASS).is_literal  # main.bicep's default


def test_template_takes_values_from_conventional_main_bicepparam() -> None:
    acr = registry(load(FIXTURES / "params" / "main.bicep"), "acr")
    bypass = acr.get(BYPASS)
    assert bypass.value == "None"
    assert bypass.origin.kind is OriginKind.PARAMETER_VALUE
    assert not bypass.is_literal


def test_an_environment_variable_in_a_param_file_is_a_default() -> None:
    """``readEnvironmentVariable('X', 'None')``: None unless the pipeline sets X (ACRT005)."""
    model = load(FIXTURES / "params" / "env.bicepparam")
    bypass = registry(model, "acr").get(BYPASS)
    assert bypass.value == "None"
    assert bypass.origin.kind is OriginKind.PARAMETER_DEFAULT
    assert {f.rule for f in rules.check(model)} == {"ACRT001", "ACRT005"}


def test_a_param_file_takes_the_values_of_the_file_it_extends(tmp_path: Path) -> None:
    (tmp_path / "main.bicep").write_text(
        (FIXTURES / "params" / "main.bicep").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (tmp_path / "base.bicepparam").write_text(
        "using none\n\nparam bypass = 'None'\nparam access = 'Enabled'\n", encoding="utf-8"
    )
    (tmp_path / "main.bicepparam").write_text(
        "using 'main.bicep'\nextends 'base.bicepparam'\n\nparam access = 'Disabled'\n",
        encoding="utf-8",
    )
    for linted in ("main.bicepparam", "main.bicep"):
        acr = registry(load(tmp_path / linted, tmp_path), "acr")
        assert value(acr, BYPASS) == "None", linted  # from the shared file
        assert value(acr, ACCESS) == "Disabled", linted  # its own value wins
        assert "base.bicepparam:3" in acr.get(BYPASS).origin.describe()


def test_param_files_that_extend_each_other_do_not_loop(tmp_path: Path) -> None:
    (tmp_path / "main.bicep").write_text("param bypass string = 'AzureServices'\n")
    (tmp_path / "a.bicepparam").write_text("using 'main.bicep'\nextends 'b.bicepparam'\n")
    (tmp_path / "b.bicepparam").write_text("using none\nextends 'a.bicepparam'\n")
    assert load(tmp_path / "a.bicepparam", tmp_path).errors == ()


def test_given_param_files_replace_the_conventional_one() -> None:
    """--param-file values are used instead of main.bicepparam beside main.bicep, as a
    deployment uses the parameter file it is given."""
    params = FIXTURES / "params"
    model = load(
        params / "main.bicep",
        param_files=(params / "other.bicepparam", params / "dev.parameters.json"),
    )
    acr = registry(model, "acr")
    assert value(acr, BYPASS) == "AzureServices"  # other.bicepparam, not main.bicepparam
    assert value(acr, ACCESS) == "Disabled"  # from the ARM parameter JSON
    alone = registry(load(params / "main.bicep", param_files=(params / "other.bicepparam",)), "acr")
    assert alone.get(ACCESS).origin.kind is OriginKind.PARAMETER_DEFAULT  # not main.bicepparam


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


def test_prepare_loads_the_parser_before_any_file() -> None:
    from acr_trusted.lint import bicep_grammar

    bicep_grammar._fast_parser.cache_clear()
    bicep.prepare()
    assert bicep_grammar._fast_parser.cache_info().currsize == 1


def test_an_optional_input_typed_with_a_nullable_alias_is_null_when_not_given() -> None:
    module = load(FIXTURES / "nullable_types" / "registry.bicep")
    acr = registry(module, "registry")
    assert acr.get(ACCESS).known
    assert value(acr, ACCESS) is None
    assert not module.consumers  # the role assignments loop over `null ?? []`
    assert [f.rule for f in rules.check(module, strict=True)] == ["ACRT005"]
    caller = load(FIXTURES / "nullable_types" / "main.test.bicep")
    assert value(registry(caller, "testDeployment"), ACCESS) == "Disabled"
    assert sorted(f.rule for f in rules.check(caller, strict=True)) == ["ACRT001", "ACRT005"]


def test_the_avm_tasks_bypass_input_sets_the_registry_property() -> None:
    model = load(FIXTURES / "avm_tasks_bypass.bicep")
    assert value(registry(model, "allowed"), TASKS) is True
    assert TASKS not in registry(model, "notAllowed").properties
    acrt002 = {f.resource for f in rules.check(model, strict=True) if f.rule == "ACRT002"}
    assert acrt002 == {"notAllowed"}
