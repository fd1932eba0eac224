from __future__ import annotations

import itertools

import pytest

from acr_trusted.lint import evaluate as ev
from acr_trusted.lint import rules
from acr_trusted.lint.bicep_consumers import (
    avm_identity_type,
    consumers_of_resource,
    is_consumer_module,
    is_consumer_type,
    only_registry_links,
    shape_from_params,
)
from acr_trusted.lint.bicep_eval import Evaluator
from acr_trusted.lint.bicep_syntax import read_template
from acr_trusted.lint.model import (
    Consumer,
    ConsumerKind,
    Registry,
    RegistryLink,
    RegistryProperty,
    Span,
    Value,
    consumers_of,
    posture_of,
)
from tests.bicep_helpers import FIXTURES, load, load_text, registry

AT = Span.point("c.bicep", 1)
_NAMES = itertools.count()


def consumers(resource_type: str, body: str, parent: RegistryLink | None = None) -> list[Consumer]:
    """The consumers of one resource whose body is ``body``, declared beside a registry."""
    text = (
        "resource acr 'Microsoft.ContainerRegistry/registries@2025-11-01' = {\n"
        "  name: 'contosoacr'\n}\n"
        "resource uami 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {\n"
        "  name: 'id'\n}\n"
        f"resource probe '{resource_type}@2024-01-01' = {body}\n"
    )
    template = read_template(text, f"consumers{next(_NAMES)}.bicep")
    evaluator = Evaluator(template, {}, host=lambda kind, arg: None)
    value = evaluator.body_value(template.resources["probe"].body, {})
    kind = resource_type.lower()
    return consumers_of_resource(evaluator, kind, value, "probe", AT, "2024-01-01", parent)


def test_only_resource_types_that_touch_a_registry_are_read() -> None:
    assert is_consumer_type("microsoft.network/privateendpoints")
    assert is_consumer_type("microsoft.containerregistry/registries/tasks")
    assert is_consumer_type("microsoft.containerregistry/registries/taskruns")
    assert not is_consumer_type("microsoft.storage/storageaccounts")
    assert consumers("Microsoft.Storage/storageAccounts", "{ name: 's' }") == []


def test_only_avm_consumer_modules_are_read_by_source() -> None:
    assert is_consumer_module("br/public:avm/res/network/private-endpoint:0.11.0")
    assert is_consumer_module("br/public:avm/res/web/site:0.15.0")
    assert not is_consumer_module("br/public:avm/res/network/virtual-network:0.5.0")


def test_a_private_endpoint_links_each_registry_connection() -> None:
    (endpoint,) = consumers(
        "Microsoft.Network/privateEndpoints",
        "{\n  name: 'pe'\n  properties: {\n    privateLinkServiceConnections: [\n"
        "      { name: 'c', properties: {\n"
        "        privateLinkServiceId: acr.id\n        groupIds: ['registry']\n      } }\n"
        "      { name: 'v', properties: { privateLinkServiceId: 'x', groupIds: ['vault'] } }\n"
        "    ]\n  }\n}",
    )
    assert endpoint.kind is ConsumerKind.PRIVATE_ENDPOINT
    assert endpoint.link.symbol is not None
    assert endpoint.link.symbol.endswith(":acr")


def test_a_container_group_pulls_with_the_identity_its_credential_names() -> None:
    found = consumers(
        "Microsoft.ContainerInstance/containerGroups",
        "{\n  name: 'g'\n  properties: {\n    imageRegistryCredentials: [\n"
        "      { server: 'contosoacr.azurecr.io', identity: uami.id }\n"
        "      { server: 'contosoacr.azurecr.io', username: 'u', password: 'p' }\n"
        "      { server: 'docker.io', username: 'u', password: 'p' }\n"
        "    ]\n  }\n}",
    )
    assert [c.attr("identity").value for c in found] == ["user-assigned", "admin-credentials"]
    assert {c.link.login_server for c in found} == {"contosoacr.azurecr.io"}


def test_a_container_group_pulling_with_listcredentials_uses_admin_credentials() -> None:
    (group,) = consumers(
        "Microsoft.ContainerInstance/containerGroups",
        "{\n  name: 'g'\n  properties: {\n    imageRegistryCredentials: [\n      {\n"
        "        server: acr.properties.loginServer\n"
        "        username: acr.listCredentials().username\n"
        "        password: acr.listCredentials().passwords[0].value\n"
        "      }\n    ]\n  }\n}",
    )
    assert group.link.symbol is not None
    assert group.attr("identity").value == "admin-credentials"


def test_a_web_app_names_its_image_and_pull_settings() -> None:
    (web,) = consumers(
        "Microsoft.Web/sites",
        "{\n  name: 'w'\n  properties: {\n    vnetImagePullEnabled: true\n"
        "    siteConfig: {\n      linuxFxVersion: 'DOCKER|contosoacr.azurecr.io/app:1'\n"
        "      acrUseManagedIdentityCreds: true\n    }\n  }\n}",
    )
    assert web.attr("image").value == "contosoacr.azurecr.io/app:1"
    assert web.attr("vnet_image_pull").value is True
    assert web.attr("uses_managed_identity").value is True


@pytest.mark.parametrize(
    ("properties", "site_config", "pulls_over_vnet"),
    [
        ("outboundVnetRouting: { imagePullTraffic: true }", "", True),
        ("outboundVnetRouting: { allTraffic: true }", "", True),
        ("outboundVnetRouting: { applicationTraffic: true }", "", False),
        ("vnetRouteAllEnabled: true", "", False),  # application traffic only
        ("", "appSettings: [\n { name: 'WEBSITE_PULL_IMAGE_OVER_VNET', value: 'true' }\n]", True),
        ("", "appSettings: [\n { name: 'WEBSITE_PULL_IMAGE_OVER_VNET', value: 'false' }\n]", False),
        ("vnetImagePullEnabled: false", "vnetImagePullEnabled: true", True),
        ("vnetImagePullEnabled: q", "", None),
    ],
)
def test_a_web_app_pulls_over_its_vnet_by_any_of_its_settings(
    properties: str, site_config: str, pulls_over_vnet: bool | None
) -> None:
    (web,) = consumers(
        "Microsoft.Web/sites",
        "{\n  name: 'w'\n  properties: {\n"
        f"    {properties}\n"
        "    siteConfig: {\n      linuxFxVersion: 'DOCKER|contosoacr.azurecr.io/app:1'\n"
        f"      {site_config}\n    }}\n  }}\n}}",
    )
    pull = web.attr("vnet_image_pull")
    assert (ev.truthy(pull) if pull.known else None) is pulls_over_vnet


@pytest.mark.parametrize("stack", ["SITECONTAINERS", "PYTHON|3.12", "sitecontainers"])
def test_a_web_app_without_a_docker_image_is_no_consumer(stack: str) -> None:
    """Not a registry named 'SITECONTAINERS' (Aspire's sidecar-model sites)."""
    body = f"{{\n  name: 'w'\n  properties: {{ siteConfig: {{ linuxFxVersion: '{stack}' }} }}\n}}"
    assert consumers("Microsoft.Web/sites", body) == []


SIDECAR_SITE = """\
resource acr 'Microsoft.ContainerRegistry/registries@2025-11-01' = {
  name: 'contosoacr'
  location: 'westeurope'
  sku: { name: 'Premium' }
  properties: { publicNetworkAccess: 'Disabled' }
}
resource webapp 'Microsoft.Web/sites@2024-04-01' = {
  name: 'api'
  properties: {
    PULL
    siteConfig: {
      linuxFxVersion: 'SITECONTAINERS'
      acrUseManagedIdentityCreds: true
    }
  }
}
resource mainContainer 'Microsoft.Web/sites/sitecontainers@2024-04-01' = {
  name: 'main'
  parent: webapp
  properties: {
    authType: 'UserAssigned'
    image: '${acr.properties.loginServer}/api:1'
    isMain: true
  }
}
"""


@pytest.mark.parametrize(
    ("pull", "expected"),
    [("", ["ACRT009"]), ("outboundVnetRouting: { imagePullTraffic: true }", [])],
)
def test_a_sidecar_model_container_pulls_as_its_parent_site_says(
    pull: str, expected: list[str]
) -> None:
    model = load_text(SIDECAR_SITE.replace("PULL", pull))
    (container,) = model.consumers
    assert container.kind is ConsumerKind.WEB_APP
    assert container.symbol == "mainContainer"
    assert container.link == RegistryLink(symbol="acr")
    assert container.attr("uses_managed_identity").value is True
    assert [f.rule for f in rules.check(model)] == expected


def test_a_sidecar_container_of_a_site_declared_elsewhere_pulls_undecidably() -> None:
    body = (
        "{\n  name: 'main'\n  properties: {\n"
        "    image: 'contosoacr.azurecr.io/api:1'\n    authType: 'Anonymous'\n  }\n}"
    )
    (container,) = consumers("Microsoft.Web/sites/sitecontainers", body)
    assert container.link == RegistryLink(login_server="contosoacr.azurecr.io")
    assert not container.attr("vnet_image_pull").known
    assert container.attr("uses_managed_identity").value is False


SITE_WITH_CONFIG = """\
resource acr 'Microsoft.ContainerRegistry/registries@2025-11-01' = {
  name: 'contosoacr'
  location: 'westeurope'
  sku: { name: 'Premium' }
  properties: { publicNetworkAccess: 'Disabled' }
}
resource webapp 'Microsoft.Web/sites@2024-04-01' = {
  name: 'api'
  properties: {
    SITE
  }
}
resource webConfig 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: webapp
  name: 'NAME'
  properties: {
    linuxFxVersion: 'DOCKER|${acr.properties.loginServer}/api:1'
    CONFIG
  }
}
"""


@pytest.mark.parametrize(
    ("name", "site", "config", "expected"),
    [
        ("web", "", "", ["ACRT009"]),
        ("web", "outboundVnetRouting: { imagePullTraffic: true }", "", []),
        ("web", "vnetImagePullEnabled: true", "", []),
        ("web", "", "appSettings: [ { name: 'WEBSITE_PULL_IMAGE_OVER_VNET', value: 'true' } ]", []),
        ("appsettings", "", "", []),
    ],
)
def test_a_site_config_child_pulls_as_it_and_its_parent_site_say(
    name: str, site: str, config: str, expected: list[str]
) -> None:
    """``bicep build`` keeps a ``sites/config`` 'web' child apart; ARM reads it the same way."""
    text = SITE_WITH_CONFIG.replace("NAME", name).replace("SITE", site).replace("CONFIG", config)
    model = load_text(text)
    assert [c.symbol for c in model.consumers] == (["webConfig"] if name == "web" else [])
    assert [f.rule for f in rules.check(model)] == expected


NESTED_SITE = """\
resource acr 'Microsoft.ContainerRegistry/registries@2025-11-01' = {
  name: 'contosoacr'
  location: 'westeurope'
  sku: { name: 'Premium' }
  properties: { publicNetworkAccess: 'Disabled' }
}
resource webapp 'Microsoft.Web/sites@2024-04-01' = {
  name: 'api'
  properties: {
    __SITE_CONFIG__
  }
  resource web 'config' = {
    name: 'web'
    properties: { linuxFxVersion: 'DOCKER|contosoacr.azurecr.io/nested:1' }
  }
}
resource settings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: webapp
  name: 'appsettings'
  properties: { WEBSITE_PULL_IMAGE_OVER_VNET: '__SETTING__' }
}
"""


@pytest.mark.parametrize(("pull", "expected"), [("false", 2), ("true", 0)])
def test_a_site_pulls_over_the_vnet_as_its_appsettings_child_says(pull: str, expected: int) -> None:
    """A ``config`` 'appsettings' child's WEBSITE_PULL_IMAGE_OVER_VNET counts for the site and
    for its nested ``config`` 'web' child, as ARM and Terraform's ``app_settings`` read it."""
    image = "siteConfig: { linuxFxVersion: 'DOCKER|contosoacr.azurecr.io/site:1' }"
    model = load_text(NESTED_SITE.replace("__SITE_CONFIG__", image).replace("__SETTING__", pull))
    assert sorted(c.symbol for c in model.consumers) == ["webapp", "webapp::web"]
    assert [f.rule for f in rules.check(model)] == ["ACRT009"] * expected


def test_a_site_config_of_a_site_declared_elsewhere_pulls_undecidably() -> None:
    body = (
        "{\n  name: 'web'\n  properties: { linuxFxVersion: 'DOCKER|contosoacr.azurecr.io/a:1' }\n}"
    )
    (web,) = consumers("Microsoft.Web/sites/config", body)
    assert web.link == RegistryLink(login_server="contosoacr.azurecr.io")
    assert not web.attr("vnet_image_pull").known


def test_a_role_assignment_reads_role_guids_out_of_resource_ids() -> None:
    (role,) = consumers(
        "Microsoft.Authorization/roleAssignments",
        "{\n  name: 'r'\n  scope: acr\n  properties: {\n"
        "    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions',"
        " '7f951dda-4ed3-4680-a7ca-43fe172d538d')\n"
        "    principalId: uami.properties.principalId\n  }\n}",
    )
    assert role.attr("role").value == "7f951dda-4ed3-4680-a7ca-43fe172d538d"
    assert role.attr("principal_is_managed_identity").value is True
    assert role.attr("principal_type").value is None


def test_a_role_assignment_reads_the_role_of_an_existing_role_definition() -> None:
    """``acrPullRole.id`` of an ``existing`` role definition is its GUID, as ARM compiles it;
    an AKS kubelet identity is a managed identity (ACRT011)."""
    model = load_text(
        "resource acr 'Microsoft.ContainerRegistry/registries@2025-11-01' = {\n"
        "  name: 'contosoacr'\n"
        "  properties: { roleAssignmentMode: 'AbacRepositoryPermissions' }\n}\n"
        "resource acrPullRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' existing = {\n"
        "  scope: subscription()\n  name: '7f951dda-4ed3-4680-a7ca-43fe172d538d'\n}\n"
        "resource aks 'Microsoft.ContainerService/managedClusters@2024-05-01' = {\n"
        "  name: 'aks'\n}\n"
        "resource pull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {\n"
        "  scope: acr\n  name: guid(acr.id, aks.id, acrPullRole.id)\n  properties: {\n"
        "    roleDefinitionId: acrPullRole.id\n"
        "    principalId: aks.properties.identityProfile.kubeletidentity.objectId\n  }\n}\n"
    )
    (role,) = model.consumers
    assert role.attr("role").value == "7f951dda-4ed3-4680-a7ca-43fe172d538d"
    assert role.attr("principal_is_managed_identity").value is True
    assert sorted(f.rule for f in rules.check(model)) == ["ACRT007", "ACRT011"]


def test_a_deployment_script_that_allows_tasks_patches_the_registry() -> None:
    (patch,) = consumers(
        "Microsoft.Resources/deploymentScripts",
        "{\n  name: 'd'\n  properties: {\n    scriptContent: 'az resource update -n contosoacr"
        " --resource-type Microsoft.ContainerRegistry/registries"
        " --set properties.networkRuleBypassAllowedForTasks=true'\n  }\n}",
    )
    assert patch.kind is ConsumerKind.REGISTRY_PATCH
    assert patch.link == RegistryLink(name="contosoacr")
    properties = patch.attr("properties").value
    assert properties[RegistryProperty.TASKS_BYPASS.value].value is True
    assert patch.attr("source").value == "deployment-script"


def test_a_script_that_does_not_allow_tasks_is_no_consumer() -> None:
    assert (
        consumers(
            "Microsoft.Resources/deploymentScripts",
            "{\n  name: 'd'\n  properties: { scriptContent: 'echo hello' }\n}",
        )
        == []
    )


def test_a_task_records_identity_agent_pool_and_custom_registries() -> None:
    (task,) = consumers(
        "Microsoft.ContainerRegistry/registries/tasks",
        "{\n  name: 't'\n  identity: { type: 'SystemAssigned' }\n  properties: {\n"
        "    agentPoolName: 'pool'\n    credentials: { customRegistries: {\n"
        "      '${acr.name}.azurecr.io': { identity: '[system]' }\n    } }\n  }\n}",
        parent=RegistryLink(name="contosoacr"),
    )
    assert task.link == RegistryLink(name="contosoacr")
    assert task.attr("identity").value == "system-assigned"
    assert task.attr("agent_pool").value == "pool"
    assert task.attr("custom_registries").value == [
        {"login_server": "contosoacr.azurecr.io", "identity": "[system]"}
    ]


def test_a_task_credential_with_a_client_id_read_at_deployment_uses_an_identity() -> None:
    """``identity: uami.properties.clientId`` is an identity (ACRT010), as in ARM/Terraform."""
    (task,) = consumers(
        "Microsoft.ContainerRegistry/registries/tasks",
        "{\n  name: 't'\n  identity: { type: 'UserAssigned' }\n  properties: {\n"
        "    credentials: { customRegistries: {\n"
        "      'contosoacr.azurecr.io': { identity: uami.properties.clientId }\n    } }\n  }\n}",
        parent=RegistryLink(name="contosoacr"),
    )
    assert task.attr("custom_registries").value == [
        {"login_server": "contosoacr.azurecr.io", "identity": "uami.properties.clientId"}
    ]


def test_a_task_credentials_parameter_without_a_default_is_undetermined() -> None:
    """``customRegistries: <required param>`` cannot be read: ACRT099 under --strict, not
    "no credential" (ACRT010), as ARM and azapi read it."""
    model = load_text(
        "param customRegistries object\n"
        "resource acr 'Microsoft.ContainerRegistry/registries@2025-11-01' = {\n"
        "  name: 'contosoacr'\n"
        "  properties: {\n"
        "    publicNetworkAccess: 'Disabled'\n    networkRuleBypassAllowedForTasks: true\n  }\n"
        "}\n"
        "resource t 'Microsoft.ContainerRegistry/registries/tasks@2025-03-01-preview' = {\n"
        "  parent: acr\n  name: 't'\n  identity: { type: 'SystemAssigned' }\n"
        "  properties: { credentials: { customRegistries: customRegistries } }\n}\n"
    )
    (task,) = [c for c in model.consumers if c.kind is ConsumerKind.TASK]
    customs = task.attr("custom_registries")
    assert not customs.known
    assert customs.span is not None
    assert customs.span.line == 13
    assert {f.rule for f in rules.check(model)} == set()
    assert {f.rule for f in rules.check(model, strict=True)} == {"ACRT099"}


def test_a_task_credential_written_through_its_own_registry_says_so() -> None:
    model = load(FIXTURES / "task_own_login_server.bicep")
    tasks = {c.symbol: c for c in model.consumers if c.kind is ConsumerKind.TASK}
    (looped,) = [c for symbol, c in tasks.items() if symbol.startswith("buildImages")]
    assert looped.attr("custom_registries").value[0]["same_registry"] is True
    purge = tasks["purge"].attr("custom_registries").value
    assert [entry.get("same_registry", False) for entry in purge] == [True, True, False]


# ---- AVM consumer modules


def test_an_avm_module_call_becomes_the_resource_body_it_deploys() -> None:
    shape = shape_from_params(
        "br/public:avm/res/container-instance/container-group:0.4.0",
        {
            "imageRegistryCredentials": Value.of([Value.of({"server": Value.of("a.azurecr.io")})]),
            "managedIdentities": Value.of({"systemAssigned": Value.of(True)}),
            "name": Value.of("ignored"),
        },
    )
    assert shape is not None
    kind, body = shape
    assert kind == "microsoft.containerinstance/containergroups"
    assert set(body.value) == {"properties", "identity"}
    assert body.value["identity"].value["type"].value == "SystemAssigned"
    assert shape_from_params("br/public:avm/res/network/virtual-network:0.5.0", {}) is None


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


# ---- links to the only registry


def _registry(symbol: str) -> Registry:
    return Registry(symbol=symbol, span=AT, name=Value.of(symbol))


def test_unlinked_tasks_and_patches_go_to_the_only_registry() -> None:
    task = Consumer(ConsumerKind.TASK, "t", AT, RegistryLink(), {})
    endpoint = Consumer(ConsumerKind.PRIVATE_ENDPOINT, "pe", AT, RegistryLink(), {})
    linked = Consumer(ConsumerKind.ML_WORKSPACE, "ml", AT, RegistryLink(name="x"), {})
    one = list(only_registry_links([task, endpoint, linked], [_registry("acr")]))
    assert [(c.symbol, c.link) for c in one] == [
        ("t", RegistryLink(symbol="acr")),
        ("ml", RegistryLink(name="x")),
    ]
    two = list(only_registry_links([task, linked], [_registry("a"), _registry("b")]))
    assert [c.symbol for c in two] == ["ml"]


# ---- a fixture with every kind


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


def test_a_source_registry_identity_is_a_credential_for_the_tasks_own_registry() -> None:
    model = load(FIXTURES / "task_source_identity.bicep")
    tasks = {c.symbol: c for c in model.consumers if c.kind is ConsumerKind.TASK}
    assert tasks["currentBuild"].attr("custom_registries").value == [
        {"login_server": None, "identity": "[system]", "same_registry": True}
    ]
    # before 2025-03-01-preview the property does not exist and ARM ignores it
    assert tasks["olderBuild"].attr("custom_registries").value == []
    assert tasks["loginModeOnly"].attr("custom_registries").value == []
    flagged = {f.resource for f in rules.check(model, strict=True) if f.rule == "ACRT010"}
    assert flagged == {"olderBuild", "loginModeOnly"}


def test_a_task_run_is_a_task_read_from_its_run_request() -> None:
    """A quick build (``registries/taskRuns``) runs on ACR's task compute, as ARM and azapi
    read it: its agent pool and credentials are in ``properties.runRequest``."""
    (run,) = consumers(
        "Microsoft.ContainerRegistry/registries/taskRuns",
        "{\n  name: 'r'\n  identity: { type: 'SystemAssigned' }\n  properties: {\n"
        "    runRequest: {\n      type: 'DockerBuildRequest'\n      agentPoolName: 'pool'\n"
        "      credentials: { customRegistries: {\n"
        "        'upstream.azurecr.io': { identity: '[system]' }\n      } }\n    }\n  }\n}",
        parent=RegistryLink(name="contosoacr"),
    )
    assert run.kind is ConsumerKind.TASK
    assert run.link == RegistryLink(name="contosoacr")
    assert run.attr("identity").value == "system-assigned"
    assert run.attr("agent_pool").value == "pool"
    assert run.attr("custom_registries").value == [
        {"login_server": "upstream.azurecr.io", "identity": "[system]"}
    ]


def test_a_task_run_on_a_private_registry_without_the_tasks_bypass_meets_acrt002() -> None:
    model = load_text(
        "resource acr 'Microsoft.ContainerRegistry/registries@2025-11-01' = {\n"
        "  name: 'contosoacr'\n  sku: { name: 'Premium' }\n"
        "  properties: { publicNetworkAccess: 'Disabled' }\n}\n"
        "resource pooled 'Microsoft.ContainerRegistry/registries/taskRuns@2025-03-01-preview' = {\n"
        "  parent: acr\n  name: 'pooled'\n"
        "  properties: { runRequest: { type: 'DockerBuildRequest', agentPoolName: 'pool' } }\n}\n"
        "resource quick 'Microsoft.ContainerRegistry/registries/taskRuns@2025-03-01-preview' = {\n"
        "  parent: acr\n  name: 'quick'\n"
        "  properties: { runRequest: {\n    type: 'EncodedTaskRunRequest'\n"
        "    credentials: { sourceRegistry: { identity: '[caller]' } }\n  } }\n}\n"
    )
    runs = {c.symbol: c for c in model.consumers if c.kind is ConsumerKind.TASK}
    assert runs["quick"].attr("custom_registries").value == [
        {"login_server": None, "identity": "[caller]", "same_registry": True}
    ]
    (finding,) = rules.check(model, strict=True)
    assert finding.rule == "ACRT002"
    assert "'quick'" in finding.message
    assert "pooled" not in finding.message  # it runs on the agent pool, in the network
