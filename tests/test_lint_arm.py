"""The ARM loader: templates and parameter files -> registries and the consumers linked to them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acr_trusted.lint import arm, evaluate
from acr_trusted.lint.model import (
    Consumer,
    ConsumerKind,
    FileModel,
    LoadContext,
    OriginKind,
    Registry,
    RegistryProperty,
    consumers_of,
    posture_of,
)
from tests.conftest import CORPUS

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "arm"
P = RegistryProperty


def read(path: Path) -> str:
    """The file as the engine decodes it: bytes as written (CRLF and BOM kept)."""
    return path.read_bytes().decode("utf-8")


def context(*param_files: Path) -> LoadContext:
    def display(path: Path) -> str:
        try:
            return Path(path).relative_to(FIXTURES).as_posix()
        except ValueError:
            return Path(path).name

    return LoadContext(
        read_text=lambda p: read(Path(p)), display_path=display, param_files=param_files
    )


def load(path: Path, *param_files: Path) -> FileModel:
    return arm.load(path, read(path), context(*param_files))


def only(model: FileModel) -> Registry:
    assert len(model.registries) == 1, model.registries
    return model.registries[0]


def kinds(model: FileModel, registry: Registry) -> list[ConsumerKind]:
    return [c.kind for c in consumers_of(model, registry)]


@pytest.mark.parametrize(
    ("name", "handled"),
    [
        ("azuredeploy.json", True),
        ("main.tf.json", False),
        ("x.tfvars.json", False),
        ("main.bicep", False),
        ("MAIN.JSON", True),
    ],
)
def test_handles_json_but_not_terraform_json(name: str, handled: bool) -> None:
    """arm.handles takes .json files except Terraform's JSON syntax."""
    assert arm.handles(Path(name)) is handled


class TestSyntax:
    def test_comments_bom_crlf_and_fix_offsets(self) -> None:
        """Comments, BOM, CRLF and trailing commas load; fixable literals cover their token."""
        path = FIXTURES / "comments_bom_crlf.json"
        text = read(path)
        registry = only(load(path))
        bypass = registry.get(P.BYPASS_OPTIONS)
        assert bypass.is_literal
        assert bypass.span is not None
        assert (bypass.span.line, bypass.span.column) == (16, 37)
        assert text[bypass.span.start_offset : bypass.span.end_offset] == '"None"'
        tasks = registry.get(P.TASKS_BYPASS)
        assert tasks.value is False
        assert tasks.span is not None
        assert text[tasks.span.start_offset : tasks.span.end_offset] == "false"

    def test_syntax_error_names_line_and_column(self) -> None:
        """Broken JSON gives one ParseError at line:col with the parser's reason."""
        model = load(FIXTURES / "syntax_error.json")
        assert model.registries == ()
        (error,) = model.errors
        assert (error.span.path, error.span.line, error.span.column) == ("syntax_error.json", 8, 7)
        assert "expected ',' or '}'" in error.reason

    def test_json_that_is_not_arm_is_skipped(self) -> None:
        """A package.json-like file is neither template nor parameters: empty, no error."""
        model = load(FIXTURES / "not_arm.json")
        assert (model.registries, model.consumers, model.errors) == ((), (), ())

    @pytest.mark.parametrize(
        "text", ["[]", "42", '"x"', '{"resources": []}', '{"parameters": {"a": 1}}', "{}"]
    )
    def test_other_json_shapes_are_skipped(self, text: str) -> None:
        """Scalars, arrays and objects without ARM structure give an empty model."""
        model = arm.load(Path("x.json"), text, context())
        assert (model.registries, model.errors) == ((), ())


class TestTemplates:
    def test_language_version_2(self) -> None:
        """Symbolic resources: existing registries are not declared; links follow symbols."""
        model = load(FIXTURES / "language_v2.json")
        registry = only(model)
        assert registry.symbol == "registry"
        assert registry.get(P.BYPASS_OPTIONS).origin.kind is OriginKind.PARAMETER_DEFAULT
        assert registry.get(P.PUBLIC_NETWORK_ACCESS).value == "Disabled"
        linked = {c.symbol: c for c in consumers_of(model, registry)}
        assert set(linked) == {"task", "endpoint"}
        shared = next(c for c in model.consumers if c.symbol == "sharedTask")
        assert shared.link.name == "sharedacr"
        assert shared.attr("agent_pool").value == "vnetpool"

    def test_nested_deployments_inner_and_outer_scope(self) -> None:
        """Inner scope takes the deployment's parameters; outer scope sees the parent's."""
        model = load(FIXTURES / "nested.json")
        inner, outer = model.registries
        assert inner.name.value == "outeracrinner"
        bypass = inner.get(P.BYPASS_OPTIONS)
        assert bypass.value == "None"
        assert bypass.origin.kind is OriginKind.PARAMETER_VALUE
        assert outer.name.value == "outeracr"
        assert outer.get(P.BYPASS_OPTIONS).origin.kind is OriginKind.PARAMETER_DEFAULT
        assert inner.span.line == 30  # reported where the nested template declares it
        assert model.consumers == ()  # the endpoints loop has zero copies by default

    def test_nested_copy_loop_counts_linked_endpoints(self, tmp_path: Path) -> None:
        """With two endpoints given, the deployment loop yields two linked private endpoints."""
        params = tmp_path / "endpoints.parameters.json"
        params.write_text(
            '{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/'
            'deploymentParameters.json#", "parameters": {"endpoints": {"value": '
            '[{"subnet": "a"}, {"subnet": "b"}]}}}'
        )
        model = load(FIXTURES / "nested.json", params)
        outer = model.registries[1]
        assert kinds(model, outer) == [ConsumerKind.PRIVATE_ENDPOINT] * 2
        assert posture_of(outer, consumers_of(model, outer)).private_endpoint_count == 2

    def test_linked_template_reported_at_the_deployment(self) -> None:
        """templateLink.relativePath is read like a module: values flow in, report at the call.

        A self-linking template and a missing file contribute nothing and raise nothing.
        """
        model = load(FIXTURES / "linked" / "main.json")
        registry = only(model)
        assert registry.via == "linked template 'linked/modules/acr.json'"
        assert (registry.span.path, registry.span.line) == ("linked/main.json", 5)
        assert registry.get(P.PUBLIC_NETWORK_ACCESS).origin.kind is OriginKind.PARAMETER_VALUE
        assert registry.get(P.BYPASS_OPTIONS).value == "None"
        assert kinds(model, registry) == [ConsumerKind.PRIVATE_ENDPOINT]

    def test_linked_template_by_uri_links_tasks_to_the_calling_files_registry(self) -> None:
        """templateLink.uri ending in a file published next to the template reads that file.

        The linked tasks name the registry through their own parameter; they link to the
        calling file's registry once per copy. A missing file and a literal URL contribute
        nothing.
        """
        model = load(FIXTURES / "linked_uri" / "build.json")
        registry = only(model)
        tasks = consumers_of(model, registry)
        assert [c.kind for c in tasks] == [ConsumerKind.TASK] * 2
        assert {(c.span.path, c.span.line) for c in tasks} == {("linked_uri/build.json", 27)}
        assert len(model.consumers) == 2  # the remote template is not the local file

    @pytest.mark.parametrize(
        ("uri", "expected"),
        [
            (
                "[uri(deployment().properties.templateLink.uri, 'nested/acr.json')]",
                "nested/acr.json",
            ),
            (
                "[concat(parameters('base'), '/nested/', 'acr.json', parameters('sas'))]",
                "nested/acr.json",
            ),
            ("[concat(variables('base'), 'acr.json?raw=true')]", "acr.json"),
            ("https://example.com/acr.json", None),
            ("[concat('https://example.com/', 'acr.json')]", None),
            ("[variables('templateUri')]", None),
            ("[concat(", None),
        ],
    )
    def test_local_link_of_a_template_uri(self, uri: str, expected: str | None) -> None:
        """Only a relative file name written in the expression is taken as the local file."""
        assert arm._local_link(uri) == expected

    def test_copy_loops_and_conditions(self) -> None:
        """Known copy counts expand; unknown counts and false conditions are flagged."""
        model = load(FIXTURES / "copy_loops.json")
        first, second, replicas = model.registries
        assert [first.name.value, second.name.value] == ["acrwesteurope", "acrnortheurope"]
        assert first.symbol.endswith("[0]")
        assert not first.conditional
        assert replicas.conditional
        assert not replicas.name.known
        assert model.consumers == ()  # the agent pool's condition is false by default

    def test_metadata_suppressions(self) -> None:
        """metadata.acr-trusted.ignore fills suppressed with the reason (empty if missing)."""
        model = load(FIXTURES / "suppressed.json")
        reason = "break-glass registry, no trusted services by design"
        assert only(model).suppressed == {"ACRT001": reason, "ACRT005": reason}
        (group,) = model.consumers
        assert group.suppressed == {"ACRT008": ""}


@pytest.fixture(scope="module")
def model() -> FileModel:
    return load(FIXTURES / "consumers.json")


class TestConsumers:
    def by_kind(self, model: FileModel, kind: ConsumerKind) -> list[Consumer]:
        registry = only(model)
        return [c for c in consumers_of(model, registry) if c.kind is kind]

    def test_every_kind_links_to_the_registry(self, model: FileModel) -> None:
        """Each consumer in the fixture is linked; the Key Vault endpoint and docker.io are not."""
        assert sorted(k.value for k in kinds(model, only(model))) == sorted(
            [
                "task",
                "task",
                "agent-pool",
                "private-endpoint",
                "private-endpoint",
                "container-group",
                "container-group",
                "ml-workspace",
                "web-app",
                "role-assignment",
                "role-assignment",
                "registry-patch",
            ]
        )
        assert all(c.symbol != "pe-vault" for c in model.consumers)

    def test_tasks(self, model: FileModel) -> None:
        """Nested task: system identity, no pool, [system] credential; task run on a pool."""
        build, seed = self.by_kind(model, ConsumerKind.TASK)
        assert build.attr("identity").value == "system-assigned"
        assert build.attr("agent_pool").value is None
        assert build.attr("custom_registries").value == [
            {"login_server": "contosoacr.azurecr.io", "identity": "[system]"}
        ]
        assert build.attr("api_version").value == "2025-03-01-preview"
        assert seed.attr("agent_pool").value == "pool"

    def test_container_groups(self, model: FileModel) -> None:
        """A user-assigned identity credential and an admin username credential."""
        identities = [
            c.attr("identity").value for c in self.by_kind(model, ConsumerKind.CONTAINER_GROUP)
        ]
        assert identities == ["user-assigned", "admin-credentials"]

    def test_web_app(self, model: FileModel) -> None:
        """DOCKER|<registry>.azurecr.io links by login server; flags are read."""
        (web,) = self.by_kind(model, ConsumerKind.WEB_APP)
        assert web.link.login_server == "contosoacr.azurecr.io"
        assert web.attr("vnet_image_pull").value is True
        assert web.attr("uses_managed_identity").value is True

    def test_role_assignments(self, model: FileModel) -> None:
        """Nested and scope-based assignments: role GUIDs and managed-identity principals."""
        nested, scoped = self.by_kind(model, ConsumerKind.ROLE_ASSIGNMENT)
        assert nested.attr("role").value == "7f951dda-4ed3-4680-a7ca-43fe172d538d"
        assert nested.attr("principal_is_managed_identity").value is True
        assert nested.attr("principal_type").value is None
        assert scoped.attr("role").value == "8311e382-0749-4cb8-b61a-304f252e45ec"
        assert scoped.attr("principal_type").value == "ServicePrincipal"

    def test_deployment_script_patch(self, model: FileModel) -> None:
        """az resource update ... networkRuleBypassAllowedForTasks=true patches the registry."""
        (patch,) = self.by_kind(model, ConsumerKind.REGISTRY_PATCH)
        assert patch.attr("source").value == "deployment-script"
        registry = only(model)
        assert posture_of(registry, consumers_of(model, registry)).tasks_bypass_allowed


class TestParameterFiles:
    def test_convention_parameters_flow_into_the_template(self) -> None:
        """azuredeploy.parameters.json beside azuredeploy.json supplies values."""
        registry = only(load(FIXTURES / "convention" / "azuredeploy.json"))
        assert registry.name.value == "conventionacr"
        access = registry.get(P.PUBLIC_NETWORK_ACCESS)
        assert access.value == "Disabled"
        assert access.origin.kind is OriginKind.PARAMETER_VALUE
        assert access.origin.span is not None
        assert access.origin.span.path == "convention/azuredeploy.parameters.json"
        assert registry.get(P.BYPASS_OPTIONS).origin.kind is OriginKind.PARAMETER_DEFAULT

    def test_param_file_option_replaces_convention(self) -> None:
        """--param-file values are used instead of the conventional file: a value only the
        conventional file sets (publicNetworkAccess here) takes the template's default."""
        other = FIXTURES / "convention" / "other.parameters.json"
        registry = only(load(FIXTURES / "convention" / "azuredeploy.json", other))
        assert registry.name.value == "otheracr"
        assert registry.get(P.BYPASS_OPTIONS).value == "AzureServices"
        access = registry.get(P.PUBLIC_NETWORK_ACCESS)
        assert access.origin.kind is OriginKind.PARAMETER_DEFAULT

    def test_unrelated_param_file_is_ignored(self) -> None:
        """A parameter file setting none of the template's parameters does not apply."""
        unrelated = FIXTURES / "module" / ".test" / "pe.parameters.json"
        registry = only(load(FIXTURES / "convention" / "azuredeploy.json", unrelated))
        assert registry.name.value == "conventionacr"

    def test_linted_parameter_file_reports_at_itself(self) -> None:
        """A parameter file's registry is reported at the file, naming the template."""
        model = load(FIXTURES / "convention" / "azuredeploy.parameters.json")
        registry = only(model)
        assert registry.via == "template 'convention/azuredeploy.json'"
        assert registry.span.path == "convention/azuredeploy.parameters.json"
        assert (registry.span.line, registry.span.column) == (5, 5)  # "registryName":
        for value in registry.properties.values():
            assert value.span is not None
            assert value.span.path == registry.span.path
            assert not value.is_literal  # --fix never edits a template from its parameters

    def test_environment_parameter_file_finds_its_template(self) -> None:
        """azuredeploy.parameters.us.json is for azuredeploy.json (quickstart convention)."""
        model = load(FIXTURES / "convention" / "azuredeploy.parameters.us.json")
        registry = only(model)
        assert registry.name.value == "govacr"
        assert registry.via == "template 'convention/azuredeploy.json'"

    def test_consumer_configured_by_a_parameter_file_is_reported_at_its_entry(self) -> None:
        """A role assignment made from a parameter file's array is shown at that entry."""
        model = load(FIXTURES / "role_parameters" / "main.parameters.json")
        (assignment,) = model.consumers
        assert assignment.link.symbol == only(model).symbol
        assert assignment.span.path == "role_parameters/main.parameters.json"
        assert (assignment.span.line, assignment.span.column) == (7, 5)  # "roleAssignments":
        assert assignment.attr("role").value == "7f951dda-4ed3-4680-a7ca-43fe172d538d"

    def test_metadata_template_and_tests_folder(self) -> None:
        """metadata.template and a .test/ folder's parent main.json locate the template."""
        other = only(load(FIXTURES / "convention" / "other.parameters.json"))
        assert other.name.value == "otheracr"
        model = load(FIXTURES / "module" / ".test" / "pe.parameters.json")
        registry = only(model)
        assert registry.via == "template 'module/main.json'"
        assert registry.get(P.PUBLIC_NETWORK_ACCESS).value == "Disabled"
        assert registry.get(P.BYPASS_OPTIONS).value == "None"

    def test_bicep_template_is_evaluated_by_the_bicep_loader(self) -> None:
        """main.parameters.json beside main.bicep: values flow in, findings land here."""
        model = load(FIXTURES / "bicep_template" / "main.parameters.json")
        registry = only(model)
        assert model.path == "bicep_template/main.parameters.json"
        assert registry.span.path == model.path
        assert registry.via == "template 'bicep_template/main.bicep'"
        assert registry.name.value == "bicepacr"
        assert registry.get(P.PUBLIC_NETWORK_ACCESS).value == "Disabled"
        assert registry.get(P.BYPASS_OPTIONS).origin.kind is OriginKind.PARAMETER_DEFAULT

    def test_parameter_file_without_template_is_empty(self, tmp_path: Path) -> None:
        """No template found: nothing to report, and no error."""
        lonely = tmp_path / "lonely.parameters.json"
        lonely.write_text('{"parameters": {"a": {"value": 1}}}')
        model = arm.load(lonely, lonely.read_text(), context())
        assert (model.registries, model.errors) == ((), ())


class TestCompiledModules:
    """Shapes compiled Bicep produces: module outputs, property loops, expression keys."""

    def test_endpoint_module_reaches_the_registry_through_module_outputs(self) -> None:
        """reference(<deployment>).outputs.x.value carries the registry id to the PE module."""
        model = load(FIXTURES / "module_outputs.json")
        registry = only(model)
        assert registry.name.value == "modulesacr"
        assert kinds(model, registry) == [ConsumerKind.PRIVATE_ENDPOINT]
        posture = posture_of(registry, consumers_of(model, registry))
        assert posture.is_restricted
        assert registry.get(P.BYPASS_OPTIONS).origin.kind is OriginKind.PARAMETER_DEFAULT

    def test_symbolic_reference_to_nested_module_outputs(self) -> None:
        """languageVersion 2.0 reference('symbol') follows outputs through two module levels."""
        model = load(FIXTURES / "module_outputs_v2.json")
        registry = only(model)
        assert not registry.name.known
        assert sorted(k.value for k in kinds(model, registry)) == [
            "ml-workspace",
            "private-endpoint",
        ]
        assert posture_of(registry, consumers_of(model, registry)).is_restricted

    def test_module_login_server_output_links_an_image_credential(self) -> None:
        """reference('<registry symbol>').loginServer, passed up two module levels, links."""
        model = load(FIXTURES / "module_login_server.json")
        registry = only(model)
        assert registry.symbol == "services/containerRegistry/registry"
        (group,) = consumers_of(model, registry)
        assert group.kind is ConsumerKind.CONTAINER_GROUP
        assert group.symbol == "job"

    def test_variable_holding_a_resource_id_links_a_workspace(self) -> None:
        """A decided if() reads its branch; a variable's resourceId(rg, type, name) names it."""
        model = load(FIXTURES / "variable_resource_ids.json")
        registry = only(model)
        assert kinds(model, registry) == [ConsumerKind.ML_WORKSPACE]
        assert registry.get(P.DEFAULT_ACTION).value == "deny"

    def test_role_assignment_on_a_registry_id_parameter(self) -> None:
        """A whole registry id where a name goes links by name; a GUID argument is the role."""
        model = load(FIXTURES / "variable_resource_ids.json")
        (assignment,) = [c for c in model.consumers if c.kind is ConsumerKind.ROLE_ASSIGNMENT]
        assert assignment.link.name == "sharedacr"
        assert assignment.attr("role").value == "7f951dda-4ed3-4680-a7ca-43fe172d538d"

    def test_property_copy_loops_make_arrays(self) -> None:
        """A property copy array yields ipRules / virtualNetworkRules / endpoint connections."""
        model = load(FIXTURES / "property_copy.json")
        looped, too_many = model.registries
        rules = looped.get(P.IP_RULES)
        assert [r["value"] for r in rules.value] == ["203.0.113.10", "203.0.113.11"]
        assert len(looped.get(P.VIRTUAL_NETWORK_RULES).value) == 1
        assert kinds(model, looped) == [ConsumerKind.PRIVATE_ENDPOINT]
        assert not too_many.get(P.IP_RULES).known  # 1000 copies are not unrolled

    def test_expression_keys_of_task_credentials(self) -> None:
        """A credential keyed by the task's own registry's loginServer counts as that registry."""
        model = load(FIXTURES / "consumer_expressions.json")
        (task,) = [c for c in model.consumers if c.kind is ConsumerKind.TASK]
        own, other, literal = task.attr("custom_registries").value
        assert own == {"login_server": None, "identity": "[system]", "same_registry": True}
        assert other == {"login_server": None, "identity": "[system]"}
        assert literal["login_server"] == "upstream.azurecr.io"

    def test_login_server_from_environment_suffix(self) -> None:
        """'<name>' + environment().suffixes.acrLoginServer links an image credential."""
        model = load(FIXTURES / "consumer_expressions.json")
        (group,) = [c for c in model.consumers if c.kind is ConsumerKind.CONTAINER_GROUP]
        assert group.link.login_server == "exprsacr.azurecr.io"
        assert group in consumers_of(model, only(model))


# -- the corpus ----------------------------------------------------------------------------------


def corpus_model(shared: Path, relative: str) -> FileModel:
    path = shared / "corpus" / relative
    ctx = LoadContext(
        read_text=lambda p: Path(p).read_bytes().decode("utf-8"),
        display_path=lambda p: Path(p).name,
    )
    return arm.load(path, path.read_bytes().decode("utf-8"), ctx)


def test_every_corpus_json_loads(shared_dir: Path) -> None:
    """Every ARM template and parameter file of the corpus loads without error."""
    for path in sorted((shared_dir / "corpus").rglob("*.json")):
        model = corpus_model(shared_dir, str(path.relative_to(shared_dir / "corpus")))
        assert model.errors == (), path


RESOURCE_MODULES = "Azure__ResourceModules/modules/Microsoft.ContainerRegistry/registries/.test"


def test_resource_modules_parameter_files(shared_dir: Path) -> None:
    """CARML .test parameter files evaluate deploy.bicep: IP rules, or a private endpoint."""
    firewall = only(corpus_model(shared_dir, f"{RESOURCE_MODULES}/parameters.json"))
    assert firewall.get(P.SKU).value == "Premium"
    assert firewall.get(P.DEFAULT_ACTION).value == "Deny"
    assert firewall.get(P.PUBLIC_NETWORK_ACCESS).value is None
    assert firewall.get(P.BYPASS_OPTIONS).value == "AzureServices"
    endpoint = only(corpus_model(shared_dir, f"{RESOURCE_MODULES}/pe.parameters.json"))
    assert endpoint.get(P.PUBLIC_NETWORK_ACCESS).value == "Disabled"
    assert endpoint.get(P.BYPASS_OPTIONS).origin.kind is OriginKind.PARAMETER_DEFAULT


QUICKSTART = (
    "Azure__azure-quickstart-templates/quickstarts/microsoft.containerregistry/"
    "container-registry-with-policies-and-diagnostics/azuredeploy.json"
)
CHECKOV = "bridgecrewio__checkov/tests/arm/checks/resource/example_ACRPublicNetworkAccessDisabled"
AVM = "Azure__bicep-registry-modules/avm/res/container-registry/registry/main.json"


def test_quickstart_bypass_defaults_to_none(shared_dir: Path) -> None:
    """Quickstart: bypass None from a parameter default, Basic SKU, public access Enabled."""
    registry = only(corpus_model(shared_dir, QUICKSTART))
    bypass = registry.get(P.BYPASS_OPTIONS)
    assert bypass.value == "None"
    assert bypass.origin.kind is OriginKind.PARAMETER_DEFAULT
    assert bypass.origin.name == "networkRuleBypassOptions"
    assert registry.get(P.SKU).value == "Basic"
    assert registry.get(P.PUBLIC_NETWORK_ACCESS).value == "Enabled"
    assert P.DEFAULT_ACTION not in registry.properties  # createObject() -> {}


@pytest.mark.parametrize(("file", "sku"), [("pass.json", "Standard"), ("fail.json", "Basic")])
def test_checkov_fixtures(shared_dir: Path, file: str, sku: str) -> None:
    """Checkov fixtures: non-Premium SKU with network rules under API 2019-05-01."""
    registry = only(corpus_model(shared_dir, f"{CHECKOV}/{file}"))
    assert registry.get(P.SKU).value == sku
    assert registry.api_version == "2019-05-01"
    assert registry.get(P.DEFAULT_ACTION).value == "Deny"
    assert registry.get(P.BYPASS_OPTIONS).value == "AzureServices"


@pytest.mark.parametrize(
    "file", ["mspnp__aks-baseline/acr-stamp.json", "mspnp__aks-secure-baseline/cluster-stamp.json"]
)
def test_mspnp_registry_is_restricted_with_endpoint(shared_dir: Path, file: str) -> None:
    """mspnp: Premium, public access Disabled, AzureServices, and a linked private endpoint."""
    model = corpus_model(shared_dir, file)
    registry = only(model)
    assert registry.symbol == "[variables('defaultAcrName')]"
    assert registry.get(P.SKU).value == "Premium"
    assert registry.get(P.PUBLIC_NETWORK_ACCESS).value == "Disabled"
    assert registry.get(P.BYPASS_OPTIONS).value == "AzureServices"
    assert ConsumerKind.PRIVATE_ENDPOINT in kinds(model, registry)


def test_avm_compiled_main_json(shared_dir: Path) -> None:
    """AVM main.json (languageVersion 2.0): defaults give AzureServices and no restriction."""
    model = corpus_model(shared_dir, AVM)
    registry = only(model)
    assert registry.symbol == "registry"
    assert registry.api_version == "2025-06-01-preview"
    bypass = registry.get(P.BYPASS_OPTIONS)
    assert bypass.value == "AzureServices"
    assert bypass.origin.kind is OriginKind.PARAMETER_DEFAULT
    assert registry.get(P.SKU).value == "Premium"
    assert registry.get(P.PUBLIC_NETWORK_ACCESS).value is None
    assert consumers_of(model, registry) == ()  # privateEndpoints and tasks default to empty
    assert not posture_of(registry).is_restricted


def test_avm_main_json_with_endpoints_and_tasks(shared_dir: Path, tmp_path: Path) -> None:
    """Given endpoints and a task, the child deployments link them and access is Disabled."""
    params = tmp_path / "avm.parameters.json"
    params.write_text(
        '{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/'
        'deploymentParameters.json#", "parameters": {'
        '"privateEndpoints": {"value": [{"subnetResourceId": "/subscriptions/s/resourceGroups/'
        'r/providers/Microsoft.Network/virtualNetworks/v/subnets/pe"}]},'
        '"tasks": {"value": [{"name": "nightly"}]}}}'
    )
    path = shared_dir / "corpus" / AVM
    model = arm.load(path, path.read_text(), context(params))
    registry = only(model)
    assert sorted(k.value for k in kinds(model, registry)) == ["private-endpoint", "task"]
    assert registry.get(P.PUBLIC_NETWORK_ACCESS).value == "Disabled"
    assert posture_of(registry, consumers_of(model, registry)).is_restricted


# -- robustness ----------------------------------------------------------------------------------


def _corpus_texts() -> Sequence[str]:
    if not CORPUS.is_dir():
        return [read(FIXTURES / "consumers.json")]
    return [p.read_text(encoding="utf-8") for p in sorted(CORPUS.rglob("*.json"))] + [
        read(FIXTURES / "consumers.json")
    ]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=2000))
def test_random_bytes_never_raise(data: bytes) -> None:
    """Arbitrary bytes give a model (maybe with a parse error), never an exception."""
    model = arm.load(Path("random.json"), data.decode("utf-8", "replace"), context())
    assert isinstance(model, FileModel)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    source=st.sampled_from(_corpus_texts()),
    edits=st.lists(
        st.tuples(
            st.floats(0, 1), st.integers(0, 40), st.text(alphabet="[]{}\",:()'x/ 0", max_size=4)
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_mutated_templates_never_raise(source: str, edits: list[tuple[float, int, str]]) -> None:
    """Real templates with random cuts and insertions load or report ACRT000, never raise."""
    text = source
    for where, cut, insert in edits:
        at = int(where * len(text))
        text = text[:at] + insert + text[at + cut :]
    model = arm.load(Path("mutated.json"), text, context())
    assert isinstance(model, FileModel)


@pytest.mark.parametrize(
    ("site_properties", "pulls_over_vnet"),
    [
        pytest.param({"vnetImagePullEnabled": True}, True, id="vnetImagePullEnabled"),
        pytest.param(
            {"outboundVnetRouting": {"imagePullTraffic": True}}, True, id="imagePullTraffic"
        ),
        pytest.param({"outboundVnetRouting": {"allTraffic": True}}, True, id="allTraffic"),
        pytest.param(
            {"outboundVnetRouting": {"applicationTraffic": True}}, False, id="applicationTraffic"
        ),
        pytest.param(
            {
                "siteConfig": {
                    "appSettings": [{"name": "WEBSITE_PULL_IMAGE_OVER_VNET", "value": "true"}]
                }
            },
            True,
            id="app-setting",
        ),
        pytest.param({}, False, id="none"),
    ],
)
def test_web_app_image_pull_over_the_vnet(
    tmp_path: Path, site_properties: dict[str, object], pulls_over_vnet: bool
) -> None:
    """Every way App Service pulls the image through the VNet integration counts (ACRT009)."""
    import json

    config = site_properties.setdefault("siteConfig", {})
    assert isinstance(config, dict)
    config["linuxFxVersion"] = "DOCKER|contosoacr.azurecr.io/app:1"
    template = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "resources": [
            {
                "type": "Microsoft.Web/sites",
                "apiVersion": "2024-04-01",
                "name": "web",
                "properties": site_properties,
            }
        ],
    }
    path = tmp_path / "site.json"
    path.write_text(json.dumps(template), encoding="utf-8")
    (web,) = [c for c in load(path).consumers if c.kind is ConsumerKind.WEB_APP]
    assert (evaluate.truthy(web.attr("vnet_image_pull")) is True) is pulls_over_vnet


@pytest.mark.parametrize(
    ("site_properties", "nested", "expected"),
    [
        pytest.param({}, False, False, id="plain"),
        pytest.param(
            {"outboundVnetRouting": {"imagePullTraffic": True}}, False, True, id="site-routing"
        ),
        pytest.param({"vnetImagePullEnabled": True}, True, True, id="nested-site-pull"),
        pytest.param(None, False, None, id="site-elsewhere"),
    ],
)
def test_site_config_child_pulls_over_the_vnet_as_its_parent_site_says(
    tmp_path: Path, site_properties: dict[str, object] | None, nested: bool, expected: bool | None
) -> None:
    """A ``sites/config`` 'web' child (bicep build's shape) inherits its site's VNet pull."""
    import json

    config = {
        "type": "Microsoft.Web/sites/config",
        "apiVersion": "2024-04-01",
        "name": "[format('{0}/{1}', 'app', 'web')]",
        "properties": {"linuxFxVersion": "DOCKER|contosoacr.azurecr.io/app:1"},
    }
    site: dict[str, object] = {
        "type": "Microsoft.Web/sites",
        "apiVersion": "2024-04-01",
        "name": "app",
        "properties": site_properties,
    }
    if nested:
        site["resources"] = [{**config, "type": "config", "name": "web"}]
    resources = [config] if site_properties is None else [site] if nested else [config, site]
    template = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "resources": resources,
    }
    path = tmp_path / "site.json"
    path.write_text(json.dumps(template), encoding="utf-8")
    (web,) = [c for c in load(path).consumers if c.kind is ConsumerKind.WEB_APP]
    assert web.link.login_server == "contosoacr.azurecr.io"
    pull = web.attr("vnet_image_pull")
    assert (evaluate.truthy(pull) if pull.known else None) is expected


def _tasks_of_a_private_registry(tmp_path: Path, *tasks: dict[str, object]) -> FileModel:
    """``tasks`` in a template beside their registry 'contosoacr': Premium, public access
    disabled, tasks let through (so only the tasks' credentials are in question)."""
    import json

    registry = {
        "type": "Microsoft.ContainerRegistry/registries",
        "apiVersion": "2025-11-01",
        "name": "contosoacr",
        "sku": {"name": "Premium"},
        "properties": {"publicNetworkAccess": "Disabled", "networkRuleBypassAllowedForTasks": True},
    }
    template = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "resources": [registry, *tasks],
    }
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps(template), encoding="utf-8")
    return load(path)


def test_task_credential_with_a_client_id_read_at_deployment_uses_an_identity(
    tmp_path: Path,
) -> None:
    """``identity: reference(<uami>).clientId`` (bicep build of ``uami.properties.clientId``)
    is an identity for the task's own registry: no ACRT010, and nothing undetermined."""

    from acr_trusted.lint import rules

    def task(name: str, server: str) -> dict[str, object]:
        return {
            "type": "Microsoft.ContainerRegistry/registries/tasks",
            "apiVersion": "2025-03-01-preview",
            "name": f"[format('{{0}}/{{1}}', 'contosoacr', '{name}')]",
            "identity": {"type": "UserAssigned"},
            "properties": {
                "credentials": {
                    "customRegistries": {
                        server: {
                            "identity": "[reference(resourceId("
                            "'Microsoft.ManagedIdentity/userAssignedIdentities', 'id'), "
                            "'2023-01-31').clientId]"
                        }
                    }
                }
            },
        }

    own = (
        "[reference(resourceId('Microsoft.ContainerRegistry/registries', 'contosoacr'))"
        ".loginServer]"
    )
    model = _tasks_of_a_private_registry(
        tmp_path, task("own", own), task("upstream", "upstream.azurecr.io")
    )
    findings = rules.check(model, strict=True)
    assert [(f.rule, "'contosoacr/upstream'" in f.message) for f in findings] == [("ACRT010", True)]


@pytest.mark.parametrize(("pull", "expected"), [("false", ["ACRT009"]), ("true", [])])
def test_site_pulls_over_the_vnet_as_its_appsettings_child_says(
    tmp_path: Path, pull: str, expected: list[str]
) -> None:
    """A ``config`` 'appsettings' child's WEBSITE_PULL_IMAGE_OVER_VNET counts for its site."""
    import json

    from acr_trusted.lint import rules

    template = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "resources": [
            {
                "type": "Microsoft.ContainerRegistry/registries",
                "apiVersion": "2025-11-01",
                "name": "contosoacr",
                "sku": {"name": "Premium"},
                "properties": {"publicNetworkAccess": "Disabled"},
            },
            {
                "type": "Microsoft.Web/sites/config",
                "apiVersion": "2024-04-01",
                "name": "[format('{0}/{1}', 'app', 'appsettings')]",
                "properties": {"WEBSITE_PULL_IMAGE_OVER_VNET": pull},
            },
            {
                "type": "Microsoft.Web/sites",
                "apiVersion": "2024-04-01",
                "name": "app",
                "properties": {
                    "siteConfig": {"linuxFxVersion": "DOCKER|contosoacr.azurecr.io/app:1"}
                },
            },
        ],
    }
    path = tmp_path / "site.json"
    path.write_text(json.dumps(template), encoding="utf-8")
    assert [f.rule for f in rules.check(load(path))] == expected


def test_a_source_registry_identity_is_a_credential_for_the_tasks_own_registry(
    tmp_path: Path,
) -> None:
    """``credentials.sourceRegistry.identity`` (tasks API 2025-03-01-preview and later; in a
    run's ``runRequest``) logs the task in to its own registry, as in Bicep and azapi; under an
    older API version the property does not exist and ARM ignores it (ACRT010)."""

    from acr_trusted.lint import rules

    def task(kind: str, name: str, api: str, settings: dict[str, object]) -> dict[str, object]:
        return {
            "type": f"Microsoft.ContainerRegistry/registries/{kind}",
            "apiVersion": api,
            "name": f"[format('{{0}}/{{1}}', 'contosoacr', '{name}')]",
            "identity": {"type": "SystemAssigned"},
            "properties": settings,
        }

    source = {"credentials": {"sourceRegistry": {"identity": "[[system]"}}}
    model = _tasks_of_a_private_registry(
        tmp_path,
        task("tasks", "current", "2025-03-01-preview", source),
        task("tasks", "older", "2019-06-01-preview", source),
        task("taskRuns", "run", "2025-03-01-preview", {"runRequest": source}),
    )
    own = [{"login_server": None, "identity": "[system]", "same_registry": True}]
    customs = {
        c.attr("name").text(): c.attr("custom_registries").value
        for c in consumers_of(model, only(model))
    }
    assert customs == {"contosoacr/current": own, "contosoacr/older": [], "contosoacr/run": own}
    findings = rules.check(model, strict=True)
    assert [(f.rule, "'contosoacr/older'" in f.message) for f in findings] == [("ACRT010", True)]
