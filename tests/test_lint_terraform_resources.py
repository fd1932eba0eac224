"""Registries and consumers read from resource blocks (terraform_resources.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from acr_trusted.catalog import find_role
from acr_trusted.lint.findings import Severity
from acr_trusted.lint.model import Consumer, ConsumerKind, consumers_of, posture_of
from acr_trusted.lint.rules import check
from tests.terraform_helpers import (
    ACR_HEAD,
    FIXTURES,
    P,
    fixed_text,
    load,
    load_files,
    registry,
    registry_with,
)

# -- azurerm_container_registry ------------------------------------------------------------------


def test_literal_properties_in_arm_terms_with_fixable_spans(tmp_path: Path) -> None:
    r = registry_with(
        tmp_path,
        """  sku                                   = "Premium"
  public_network_access_enabled         = false
  network_rule_bypass_option            = "None"
  network_rule_bypass_for_tasks_enabled = false
  role_assignment_mode                  = "AbacRepositoryPermissions"
""",
    )
    model = load(tmp_path / "main.tf")
    assert r.get(P.SKU).value == "Premium"
    access = r.get(P.PUBLIC_NETWORK_ACCESS)
    assert access.value == "Disabled"
    assert fixed_text(model, access) == "false"
    bypass = r.get(P.BYPASS_OPTIONS)
    assert bypass.is_literal
    assert fixed_text(model, bypass) == '"None"'
    tasks = r.get(P.TASKS_BYPASS)
    assert tasks.value is False
    assert fixed_text(model, tasks) == "false"
    assert r.get(P.ROLE_ASSIGNMENT_MODE).is_("abacrepositorypermissions")
    assert r.api_version is None
    assert r.format == "terraform"
    assert r.name.value == "acr1"
    assert r.login_server == "acr1.azurecr.io"
    assert (r.span.line, r.span.column) == (2, 1)


def test_absent_properties_are_missing_and_provider_defaults_apply(tmp_path: Path) -> None:
    r = registry_with(tmp_path, '  sku = "Premium"\n')
    assert P.BYPASS_OPTIONS not in r.properties
    posture = posture_of(r)
    assert not posture.is_restricted
    assert posture.trusted_services_allowed


def test_network_rule_set_blocks(tmp_path: Path) -> None:
    r = registry_with(
        tmp_path,
        """  sku = "Premium"
  network_rule_set {
    default_action = "Deny"
    ip_rule {
      action   = "Allow"
      ip_range = "203.0.113.0/24"
    }
    ip_rule {
      action   = "Allow"
      ip_range = "198.51.100.1/32"
    }
  }
""",
    )
    assert r.get(P.DEFAULT_ACTION).value == "Deny"
    assert r.get(P.IP_RULES).value == ["203.0.113.0/24", "198.51.100.1/32"]
    assert posture_of(r).is_restricted


def test_ip_rule_under_allow_does_not_restrict(tmp_path: Path) -> None:
    r = registry_with(
        tmp_path,
        """  sku = "Premium"
  network_rule_set {
    default_action = "Allow"
    ip_rule {
      action   = "Allow"
      ip_range = "203.0.113.0/24"
    }
  }
""",
    )
    assert not posture_of(r).is_restricted


# -- dynamic blocks ------------------------------------------------------------------------------


def test_nested_dynamic_blocks_expand_over_known_collections() -> None:
    r = registry(load(FIXTURES / "dynamic" / "main.tf"), "azurerm_container_registry.acr")
    assert r.get(P.DEFAULT_ACTION).value == "Deny"
    assert r.get(P.IP_RULES).value == ["198.51.100.0/24"]


def test_dynamic_block_over_null_or_empty_is_absent(tmp_path: Path) -> None:
    body = """  sku = "Premium"
  dynamic "network_rule_set" {
    for_each = var.rules
    content {
      default_action = "Deny"
    }
  }
"""
    for default in ("null", "[]", "{}"):
        extra = f'variable "rules" {{\n  default = {default}\n}}\n'
        r = registry_with(tmp_path, body, extra)
        assert P.DEFAULT_ACTION not in r.properties


def test_dynamic_block_over_unknown_may_restrict(tmp_path: Path) -> None:
    r = registry_with(
        tmp_path,
        """  sku = "Premium"
  dynamic "network_rule_set" {
    for_each = var.rules
    iterator = rs
    content {
      default_action = rs.value
    }
  }
""",
        extra='variable "rules" {}\n',
    )
    action = r.get(P.DEFAULT_ACTION)
    assert not action.known
    assert any(v.value is None for v in action.possible())


# -- consumers -----------------------------------------------------------------------------------


def test_every_consumer_kind_links_to_its_registry() -> None:
    model = load(FIXTURES / "consumers" / "main.tf")
    acr = registry(model, "azurerm_container_registry.acr")
    linked = {c.symbol: c for c in consumers_of(model, acr)}
    kinds = {c.kind for c in linked.values()}
    assert kinds == set(ConsumerKind)
    assert "azurerm_private_endpoint.storage" not in linked  # a blob endpoint
    task = linked["azurerm_container_registry_task.build"]
    assert task.attr("identity").value == "system-assigned"
    assert task.attr("agent_pool").value is None
    assert task.attr("custom_registries").value == [
        {"login_server": "contosoacr.azurecr.io", "identity": "[system]", "same_registry": True}
    ]
    assert linked["azurerm_container_group.admin"].attr("identity").value == "admin-credentials"
    assert linked["azurerm_container_group.uami"].attr("identity").value == "user-assigned"
    web = linked["azurerm_linux_web_app.web"]
    assert web.attr("vnet_image_pull").value is False
    assert web.attr("uses_managed_identity").value is True
    pull = linked["azurerm_role_assignment.pull"]
    assert pull.attr("role").value == "AcrPull"
    assert pull.attr("principal_is_managed_identity").value is True
    reader = linked["azurerm_role_assignment.reader"]
    assert reader.link.name == "contosoacr"
    assert reader.attr("principal_is_managed_identity").value is False
    assert reader.attr("principal_type").value == "User"
    patch = linked["null_resource.tasks_bypass"]
    assert patch.attr("source").value == "deployment-script"
    patched = patch.attr("properties").value[P.TASKS_BYPASS.value]
    assert patched.value is True
    assert posture_of(acr, consumers_of(model, acr)).network_rule_bypass_allowed_for_tasks
    assert acr.get(P.VIRTUAL_NETWORK_RULES).value == ["azurerm_subnet.build.id"]


def test_app_service_and_system_identity_role_assignment(tmp_path: Path) -> None:
    model = load_files(
        tmp_path,
        {
            "main.tf": ACR_HEAD
            + '  sku = "Premium"\n}\n'
            + """
resource "azurerm_app_service" "legacy" {
  app_settings = {
    DOCKER_REGISTRY_SERVER_URL   = "https://acr1.azurecr.io"
    WEBSITE_PULL_IMAGE_OVER_VNET = "true"
  }
  site_config {
    linux_fx_version                     = "DOCKER|acr1.azurecr.io/app:1"
    acr_use_managed_identity_credentials = true
  }
}
resource "azurerm_role_assignment" "kubelet" {
  scope                = azurerm_container_registry.acr.id
  role_definition_name = "AcrPull"
  principal_id         = azurerm_linux_web_app.app.identity[0].principal_id
  principal_type       = "ServicePrincipal"
}
"""
        },
    )
    acr = registry(model, "azurerm_container_registry.acr")
    by_kind = {c.kind: c for c in consumers_of(model, acr)}
    app = by_kind[ConsumerKind.WEB_APP]
    assert app.link.login_server == "acr1.azurecr.io"
    assert app.attr("vnet_image_pull").value is True
    assert app.attr("uses_managed_identity").value is True
    assert app.attr("image").value == "DOCKER|acr1.azurecr.io/app:1"
    role = by_kind[ConsumerKind.ROLE_ASSIGNMENT]
    assert role.attr("principal_is_managed_identity").value is True
    assert role.attr("principal_type").value == "ServicePrincipal"


# -- azapi ---------------------------------------------------------------------------------------


def test_azapi_registry_patch_task_and_agent_pool() -> None:
    model = load(FIXTURES / "azapi" / "main.tf")
    acr = registry(model, "azapi_resource.acr")
    assert acr.api_version == "2025-05-01-preview"
    assert acr.api_version_span is not None
    assert acr.api_version_span.line == 2
    bypass = acr.get(P.BYPASS_OPTIONS)
    assert bypass.is_literal
    assert fixed_text(model, bypass) == '"None"'
    assert acr.get(P.PUBLIC_NETWORK_ACCESS).value == "Disabled"
    assert acr.get(P.IP_RULES).value == ["203.0.113.9"]
    assert acr.get(P.SKU).value == "Premium"
    by_kind = {c.kind: c for c in consumers_of(model, acr)}
    patch = by_kind[ConsumerKind.REGISTRY_PATCH]
    assert patch.attr("source").value == "azapi_update_resource"
    tasks = patch.attr("properties").value[P.TASKS_BYPASS.value]
    assert tasks.value is False
    assert fixed_text(model, tasks) == "false"
    task = by_kind[ConsumerKind.TASK]
    assert task.attr("identity").value == "system-assigned"
    assert task.attr("api_version").value == "2025-03-01-preview"
    assert task.attr("custom_registries").value[0]["login_server"] == "azapiacr.azurecr.io"
    assert ConsumerKind.AGENT_POOL in by_kind


def test_azapi_task_runs_are_tasks_read_from_their_run_request() -> None:
    """A quick build as an azapi ``registries/taskRuns`` runs on ACR's task compute too."""
    model = load(FIXTURES / "azapi_task_run" / "main.tf")
    acr = registry(model, "azurerm_container_registry.apps")
    runs = {c.symbol: c for c in consumers_of(model, acr) if c.kind is ConsumerKind.TASK}
    assert set(runs) == {"azapi_resource.build_producer", "azapi_resource.build_consumer"}
    producer, consumer = (
        runs["azapi_resource.build_producer"],
        runs["azapi_resource.build_consumer"],
    )
    assert producer.attr("agent_pool").value is None
    assert producer.attr("api_version").value == "2019-06-01-preview"
    assert consumer.attr("agent_pool").value == "private-pool"
    assert consumer.attr("identity").value == "system-assigned"
    credentials = consumer.attr("custom_registries").value
    assert [c["login_server"] for c in credentials] == ["acrappsbuild.azurecr.io"]
    findings = [(f.rule, f.message) for f in check(model)]
    assert [rule for rule, _ in findings] == ["ACRT002"]
    assert "'azapi_resource.build_producer'" in findings[0][1]
    assert "build_consumer" not in findings[0][1]


def test_azapi_json_string_body_and_deployment_script(tmp_path: Path) -> None:
    model = load_files(
        tmp_path,
        {
            "main.tf": """
resource "azapi_resource" "acr" {
  type = "Microsoft.ContainerRegistry/registries@2023-07-01"
  name = "strbody"
  body = <<JSON
{"sku": {"name": "Standard"}, "properties": {"networkRuleBypassOptions": "None"}}
JSON
}

resource "azurerm_resource_deployment_script_azure_cli" "bypass" {
  name           = "bypass"
  script_content = <<SCRIPT
az resource update -n strbody -g rg \\
  --resource-type Microsoft.ContainerRegistry/registries \\
  --set properties.networkRuleBypassAllowedForTasks=true
SCRIPT
}
"""
        },
    )
    acr = registry(model, "azapi_resource.acr")
    assert acr.get(P.SKU).value == "Standard"
    assert acr.get(P.BYPASS_OPTIONS).value == "None"
    assert [c.kind for c in consumers_of(model, acr)] == [ConsumerKind.REGISTRY_PATCH]


AZAPI_ACR = """
resource "azapi_resource" "acr" {
  type = "Microsoft.ContainerRegistry/registries@2025-05-01-preview"
  name = "azacr"
  body = {
    sku        = { name = "Premium" }
    properties = { publicNetworkAccess = "Disabled" }
  }
}
resource "azurerm_user_assigned_identity" "pull" {
  name = "pull"
}
"""


def consumers_by_symbol(tmp_path: Path, text: str) -> dict[str, Consumer]:
    model = load_files(tmp_path, {"main.tf": AZAPI_ACR + text})
    assert model.errors == ()
    acr = registry(model, "azapi_resource.acr")
    return {c.symbol: c for c in consumers_of(model, acr)}


def test_azapi_container_group_credentials(tmp_path: Path) -> None:
    found = consumers_by_symbol(
        tmp_path,
        """
resource "azapi_resource" "uami" {
  type      = "Microsoft.ContainerInstance/containerGroups@2023-05-01"
  name      = "uami"
  parent_id = "rg"
  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.pull.id]
  }
  body = {
    properties = {
      imageRegistryCredentials = [{
        server   = azapi_resource.acr.output.properties.loginServer
        identity = azurerm_user_assigned_identity.pull.id
      }]
    }
  }
}
resource "azapi_resource" "system" {
  type      = "Microsoft.ContainerInstance/containerGroups@2023-05-01"
  name      = "system"
  parent_id = "rg"
  body = jsonencode({
    identity = { type = "SystemAssigned" }
    properties = {
      imageRegistryCredentials = [{ server = "azacr.azurecr.io", identity = "[system]" }]
    }
  })
}
resource "azapi_resource" "admin" {
  type      = "Microsoft.ContainerInstance/containerGroups@2023-05-01"
  name      = "admin"
  parent_id = "rg"
  body = <<JSON
{"properties": {"imageRegistryCredentials": [
  {"server": "AZACR.azurecr.io", "username": "azacr", "password": "not-a-secret"}
]}}
JSON
}
resource "azapi_resource" "elsewhere" {
  type      = "Microsoft.ContainerInstance/containerGroups@2023-05-01"
  name      = "elsewhere"
  parent_id = "rg"
  body = {
    properties = { imageRegistryCredentials = [{ server = "other.azurecr.io", identity = "x" }] }
  }
}
""",
    )
    identities = {
        symbol: c.attr("identity").value
        for symbol, c in found.items()
        if c.kind is ConsumerKind.CONTAINER_GROUP
    }
    assert identities == {
        "azapi_resource.uami": "user-assigned",
        "azapi_resource.system": "system-assigned",
        "azapi_resource.admin": "admin-credentials",
    }
    assert found["azapi_resource.uami"].link.symbol == "azapi_resource.acr"
    assert found["azapi_resource.system"].link.login_server == "azacr.azurecr.io"


@pytest.mark.parametrize(
    ("credential", "group", "expected"),
    [
        ('{ server = "azacr.azurecr.io", identity = var.id }', "UserAssigned", "user-assigned"),
        ('{ server = "azacr.azurecr.io", identity = var.id }', "SystemAssigned", "system-assigned"),
        (
            '{ server = "azacr.azurecr.io", identity = var.id }',
            "SystemAssigned, UserAssigned",
            None,
        ),
        ('{ server = "azacr.azurecr.io" }', "SystemAssigned", "none"),
        ('{ server = "azacr.azurecr.io", username = var.user }', "None", None),
    ],
)
def test_azapi_container_group_identity_from_the_group(
    tmp_path: Path, credential: str, group: str, expected: str | None
) -> None:
    found = consumers_by_symbol(
        tmp_path,
        f"""
variable "id" {{}}
variable "user" {{}}
resource "azapi_resource" "aci" {{
  type      = "Microsoft.ContainerInstance/containerGroups@2023-05-01"
  name      = "aci"
  parent_id = "rg"
  identity {{
    type = "{group}"
  }}
  body = {{ properties = {{ imageRegistryCredentials = [{credential}] }} }}
}}
""",
    )
    identity = found["azapi_resource.aci"].attr("identity")
    assert identity.value == expected
    assert identity.known is (expected is not None)


def test_azapi_container_group_without_credentials_is_not_a_consumer(tmp_path: Path) -> None:
    found = consumers_by_symbol(
        tmp_path,
        """
resource "azapi_resource" "public" {
  type      = "Microsoft.ContainerInstance/containerGroups@2023-05-01"
  name      = "public"
  parent_id = "rg"
  body      = { properties = { containers = [] } }
}
""",
    )
    assert found == {}


def test_azapi_role_assignments(tmp_path: Path) -> None:
    found = consumers_by_symbol(
        tmp_path,
        """
data "azurerm_subscription" "s" {}
locals {
  defs = "${data.azurerm_subscription.s.id}/providers/Microsoft.Authorization/roleDefinitions"
  push = "/providers/Microsoft.Authorization/roleDefinitions/8311e382-0749-4cb8-b61a-304f252e45ec"
}
resource "azapi_resource" "pull" {
  type      = "Microsoft.Authorization/roleAssignments@2022-04-01"
  name      = "00000000-0000-0000-0000-000000000001"
  parent_id = azapi_resource.acr.id
  body = {
    properties = {
      roleDefinitionId = "${local.defs}/7F951DDA-4ED3-4680-A7CA-43FE172D538D"
      principalId      = azurerm_user_assigned_identity.pull.principal_id
      principalType    = "ServicePrincipal"
    }
  }
}
resource "azapi_resource" "user" {
  type      = "Microsoft.Authorization/roleAssignments@2022-04-01"
  name      = "00000000-0000-0000-0000-000000000002"
  parent_id = "/subscriptions/s/providers/Microsoft.ContainerRegistry/registries/azacr"
  body = jsonencode({
    properties = {
      roleDefinitionId = local.push
      principalId      = "11111111-1111-1111-1111-111111111111"
    }
  })
}
resource "azapi_resource" "elsewhere" {
  type      = "Microsoft.Authorization/roleAssignments@2022-04-01"
  name      = "00000000-0000-0000-0000-000000000003"
  parent_id = azurerm_storage_account.logs.id
  body      = { properties = { roleDefinitionId = "x", principalId = "y" } }
}
""",
    )
    assert set(found) == {"azapi_resource.pull", "azapi_resource.user"}
    pull = found["azapi_resource.pull"]
    assert pull.kind is ConsumerKind.ROLE_ASSIGNMENT
    assert pull.attr("role").value == "7f951dda-4ed3-4680-a7ca-43fe172d538d"  # AcrPull
    assert find_role(str(pull.attr("role").value)) == find_role("AcrPull")
    assert pull.attr("principal_type").value == "ServicePrincipal"
    assert pull.attr("principal_is_managed_identity").value is True
    user = found["azapi_resource.user"]
    assert find_role(str(user.attr("role").value)) == find_role("AcrPush")
    assert user.attr("principal_is_managed_identity").value is False
    assert user.attr("principal_type").value is None  # not set


def test_role_definition_guid_read_from_an_interpolated_azurerm_id(tmp_path: Path) -> None:
    model = load_files(
        tmp_path,
        {
            "main.tf": ACR_HEAD
            + '  sku = "Premium"\n}\n'
            + """
locals {
  defs = "/providers/Microsoft.Authorization/roleDefinitions"
}
resource "azurerm_role_assignment" "push" {
  scope              = azurerm_container_registry.acr.id
  role_definition_id = "${data.x.s.id}${local.defs}/8311E382-0749-4CB8-B61A-304F252E45EC"
  principal_id       = azurerm_kubernetes_cluster.aks.kubelet_identity[0].object_id
}
"""
        },
    )
    (push,) = consumers_of(model, registry(model, "azurerm_container_registry.acr"))
    assert push.attr("role").value == "8311e382-0749-4cb8-b61a-304f252e45ec"
    assert push.attr("principal_is_managed_identity").value is True


def test_role_read_from_an_azurerm_role_definition_data_source(tmp_path: Path) -> None:
    """``data.azurerm_role_definition.x.id`` is the role the data source names (ACRT007)."""
    model = load_files(
        tmp_path,
        {
            "main.tf": ACR_HEAD
            + '  sku = "Premium"\n}\n'
            + """
data "azurerm_role_definition" "acr_pull" {
  name = "AcrPull"
}
resource "azurerm_role_assignment" "pull" {
  scope              = azurerm_container_registry.acr.id
  role_definition_id = data.azurerm_role_definition.acr_pull.id
  principal_id       = var.principal
}
resource "azurerm_role_assignment" "other" {
  scope              = azurerm_container_registry.acr.id
  role_definition_id = data.azurerm_role_definition.missing.id
  principal_id       = var.principal
}
variable "principal" {}
"""
        },
    )
    roles = {
        c.symbol: c.attr("role")
        for c in consumers_of(model, registry(model, "azurerm_container_registry.acr"))
    }
    assert roles["azurerm_role_assignment.pull"].value == "AcrPull"
    assert not roles["azurerm_role_assignment.other"].known


# -- more consumer shapes ---------------------------------------------------------------------


def test_task_on_an_agent_pool_with_a_user_assigned_identity(tmp_path: Path) -> None:
    found = consumers_by_symbol(
        tmp_path,
        """
resource "azurerm_container_registry_task" "t" {
  name                  = "t"
  container_registry_id = azapi_resource.acr.id
  agent_pool_name       = "pool"
  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.pull.id]
  }
  registry_credential {
    custom {
      login_server = "azacr.azurecr.io"
      username     = "u"
      password     = var.secret
    }
  }
}
""",
    )
    task = found["azurerm_container_registry_task.t"]
    assert task.attr("identity").value == "user-assigned"
    assert task.attr("agent_pool").value == "pool"
    assert task.attr("custom_registries").value == [
        {"login_server": "azacr.azurecr.io", "identity": None}
    ]
    assert task.attr("name").value == "t"


def test_task_credential_with_a_client_id_read_at_deployment(tmp_path: Path) -> None:
    """``identity = azurerm_user_assigned_identity.x.client_id`` is an identity (ACRT010)."""
    found = consumers_by_symbol(
        tmp_path,
        """
resource "azurerm_container_registry_task" "t" {
  name                  = "t"
  container_registry_id = azapi_resource.acr.id
  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.pull.id]
  }
  registry_credential {
    custom {
      login_server = "azacr.azurecr.io"
      identity     = azurerm_user_assigned_identity.pull.client_id
    }
  }
}
""",
    )
    (credential,) = found["azurerm_container_registry_task.t"].attr("custom_registries").value
    assert credential["identity"] == "azurerm_user_assigned_identity.pull.client_id"


def test_private_endpoint_connections(tmp_path: Path) -> None:
    found = consumers_by_symbol(
        tmp_path,
        """
variable "kinds" {}
resource "azurerm_private_endpoint" "unknown_kind" {
  private_service_connection {
    private_connection_resource_id = azapi_resource.acr.id
    subresource_names              = var.kinds
  }
}
resource "azurerm_private_endpoint" "dynamic" {
  dynamic "private_service_connection" {
    for_each = ["registry"]
    content {
      private_connection_resource_id = azapi_resource.acr.id
      subresource_names              = [private_service_connection.value]
    }
  }
}
resource "azapi_resource" "pe" {
  type      = "Microsoft.Network/privateEndpoints@2023-04-01"
  name      = "pe"
  parent_id = "rg"
  body = {
    properties = {
      privateLinkServiceConnections = [{
        name       = "acr"
        properties = { privateLinkServiceId = azapi_resource.acr.id, groupIds = ["registry"] }
      }]
    }
  }
}
""",
    )
    assert {s: c.kind for s, c in found.items()} == {
        "azurerm_private_endpoint.unknown_kind": ConsumerKind.PRIVATE_ENDPOINT,
        "azurerm_private_endpoint.dynamic": ConsumerKind.PRIVATE_ENDPOINT,
        "azapi_resource.pe": ConsumerKind.PRIVATE_ENDPOINT,
    }


def test_web_app_settings_and_function_app(tmp_path: Path) -> None:
    found = consumers_by_symbol(
        tmp_path,
        """
resource "azurerm_windows_function_app" "fn" {
  app_settings = {
    DOCKER_REGISTRY_SERVER_URL   = "https://azacr.azurecr.io"
    WEBSITE_PULL_IMAGE_OVER_VNET = "false"
  }
  site_config {}
}
resource "azurerm_linux_web_app" "public_image" {
  site_config {
    application_stack {
      docker_image_name   = "nginx:latest"
      docker_registry_url = "https://index.docker.io"
    }
  }
}
""",
    )
    assert set(found) == {"azurerm_windows_function_app.fn"}
    fn = found["azurerm_windows_function_app.fn"]
    assert fn.kind is ConsumerKind.WEB_APP
    assert fn.attr("vnet_image_pull").value is False
    assert fn.attr("uses_managed_identity").value is False


@pytest.mark.parametrize(
    ("resource", "linked"),
    [
        (
            """resource "terraform_data" "bypass" {
  provisioner "local-exec" {
    command = "az acr update --name azacr --set networkRuleBypassAllowedForTasks=true"
  }
}""",
            True,
        ),
        (
            """resource "azurerm_resource_deployment_script_azure_power_shell" "bypass" {
  script_content = <<-EOT
    az resource update --ids ${azapi_resource.acr.id} `
      --set properties.networkRuleBypassAllowedForTasks=true
  EOT
}""",
            True,
        ),
        (
            """resource "azapi_resource" "script" {
  type = "Microsoft.Resources/deploymentScripts@2023-08-01"
  name = "s"
  body = {
    properties = {
      scriptContent = "az acr update -n azacr --set networkRuleBypassAllowedForTasks=true"
    }
  }
}""",
            True,
        ),
        (
            """resource "null_resource" "other" {
  provisioner "local-exec" {
    command = "az acr update --name azacr --admin-enabled false"
  }
}""",
            False,
        ),
    ],
)
def test_scripts_that_allow_the_tasks_bypass(tmp_path: Path, resource: str, linked: bool) -> None:
    found = consumers_by_symbol(tmp_path, resource)
    patches = [c for c in found.values() if c.kind is ConsumerKind.REGISTRY_PATCH]
    assert bool(patches) is linked
    for patch in patches:
        assert patch.attr("source").value == "deployment-script"
        assert patch.attr("properties").value[P.TASKS_BYPASS.value].value is True


def test_azapi_update_resource_links_by_reference(tmp_path: Path) -> None:
    found = consumers_by_symbol(
        tmp_path,
        """
resource "azapi_update_resource" "tasks" {
  type        = "Microsoft.ContainerRegistry/registries@2025-05-01-preview"
  resource_id = azapi_resource.acr.id
  body        = { properties = { networkRuleBypassAllowedForTasks = true } }
}
""",
    )
    patch = found["azapi_update_resource.tasks"]
    assert patch.link.symbol == "azapi_resource.acr"
    assert patch.attr("properties").value[P.TASKS_BYPASS.value].value is True


def test_dynamic_ip_rules_over_an_unknown_collection_may_be_empty(tmp_path: Path) -> None:
    r = registry_with(
        tmp_path,
        """  sku = "Premium"
  network_rule_set {
    default_action = "Deny"
    dynamic "ip_rule" {
      for_each = var.ranges
      content {
        action   = "Allow"
        ip_range = ip_rule.value
      }
    }
  }
""",
        extra='variable "ranges" {}\n',
    )
    rules = r.get(P.IP_RULES)
    assert not rules.known
    assert [] in [v.value for v in rules.possible()]
    assert r.get(P.DEFAULT_ACTION).value == "Deny"


def test_known_module_role_assignments_and_tasks_are_consumers_of_its_registry() -> None:
    model = load(FIXTURES / "known_consumers" / "main.tf")
    acr = registry(model, "module.azure_container_registry")
    prefix = "module.azure_container_registry"
    found = {c.symbol: c for c in consumers_of(model, acr)}
    assert set(found) == {
        f'{prefix}.azurerm_role_assignment.this["kubernetes_identity"]',
        f'{prefix}.azurerm_role_assignment.this["github"]',
        f'{prefix}.module.tasks["nightly"].azurerm_container_registry_task.this',
        f'{prefix}.module.tasks["pooled"].azurerm_container_registry_task.this',
    }
    pull = found[f'{prefix}.azurerm_role_assignment.this["kubernetes_identity"]']
    assert pull.kind is ConsumerKind.ROLE_ASSIGNMENT
    assert pull.attr("role").value == "AcrPull"
    assert pull.attr("principal_is_managed_identity").value is True
    assert pull.span.line == 9  # reported at the module call
    writer = found[f'{prefix}.azurerm_role_assignment.this["github"]']
    assert writer.attr("principal_type").value == "ServicePrincipal"
    assert not writer.attr("principal_is_managed_identity").known
    nightly = found[f'{prefix}.module.tasks["nightly"].azurerm_container_registry_task.this']
    assert nightly.attr("identity").value == "system-assigned"
    assert nightly.attr("agent_pool").known
    assert nightly.attr("agent_pool").value is None
    assert nightly.attr("custom_registries").value == [
        {"login_server": "acrdevops01.azurecr.io", "identity": "[system]"}
    ]
    pooled = found[f'{prefix}.module.tasks["pooled"].azurerm_container_registry_task.this']
    assert pooled.attr("agent_pool").value == "pool1"
    assert pooled.attr("identity").value == "none"
    unknown = registry(model, "module.unknown_entries")
    (entry,) = consumers_of(model, unknown)
    assert entry.kind is ConsumerKind.ROLE_ASSIGNMENT
    assert not entry.attr("role").known


@pytest.mark.parametrize(
    ("count", "certain"),
    [
        pytest.param("", True, id="no-count"),
        pytest.param("count = 1", True, id="count-one"),
        pytest.param("count = var.enable_abac ? 1 : 0", False, id="undecided-count"),
    ],
)
def test_a_patch_only_some_count_creates_is_undetermined(
    tmp_path: Path, count: str, certain: bool
) -> None:
    command = (
        "az resource update --ids ${azapi_resource.acr.id}"
        " --set properties.networkRuleBypassAllowedForTasks=true"
    )
    found = consumers_by_symbol(
        tmp_path,
        f"""
resource "azapi_update_resource" "acr_abac" {{
  {count}
  type        = "Microsoft.ContainerRegistry/registries@2025-11-01"
  resource_id = azapi_resource.acr.id
  body = {{
    properties = {{ roleAssignmentMode = "AbacRepositoryPermissions" }}
  }}
}}

resource "null_resource" "tasks_bypass" {{
  {count}
  provisioner "local-exec" {{
    command = "{command}"
  }}
}}
""",
    )
    mode = found["azapi_update_resource.acr_abac"].attr("properties").value
    tasks = found["null_resource.tasks_bypass"].attr("properties").value
    for value, expected in (
        (mode[P.ROLE_ASSIGNMENT_MODE.value], "AbacRepositoryPermissions"),
        (tasks[P.TASKS_BYPASS.value], True),
    ):
        assert value.known is certain
        if certain:
            assert value.value == expected
        else:
            assert "is created (count / for_each)" in (value.expression or "")
            assert [a.value for a in value.alternatives] == [expected, None]


def test_task_credentials_written_through_their_own_registry() -> None:
    """Real shape (AVM CI/CD agents pattern): customRegistries keyed by an expression."""
    model = load(FIXTURES / "task_credentials" / "main.tf")
    avm = registry(model, "module.container_registry")
    (task,) = consumers_of(model, avm)
    assert task.attr("custom_registries").value == [
        {"login_server": None, "identity": "[system]", "same_registry": True},
        {"login_server": "other.azurecr.io", "identity": "[system]"},
    ]
    acr = registry(model, "azurerm_container_registry.acr")
    found = {c.symbol: c for c in consumers_of(model, acr)}
    pooled = found["azurerm_container_registry_task.pooled"]
    assert pooled.attr("custom_registries").value == [
        {"login_server": None, "identity": "[system]", "same_registry": True}
    ]
    findings = check(model, strict=True)  # no ACRT010, no undecided pool for 'pooled'
    assert [(f.rule, f.span.line) for f in findings] == [("ACRT099", 80)]  # 'hosted' only


def test_a_task_on_a_declared_agent_pool_runs_there_whatever_its_name() -> None:
    model = load(FIXTURES / "task_credentials" / "main.tf")
    acr = registry(model, "azurerm_container_registry.acr")
    found = {c.symbol: c for c in consumers_of(model, acr)}
    pool = found["azurerm_container_registry_task.pooled"].attr("agent_pool")
    assert pool.value == "azurerm_container_registry_agent_pool.pool"
    assert not found["azurerm_container_registry_task.hosted"].attr("agent_pool").known


def test_azapi_task_credentials_from_a_value_that_is_not_known(tmp_path: Path) -> None:
    found = consumers_by_symbol(
        tmp_path,
        """
variable "credentials" {}

resource "azapi_resource" "task" {
  name      = "t"
  parent_id = azapi_resource.acr.id
  type      = "Microsoft.ContainerRegistry/registries/tasks@2019-06-01-preview"
  body = {
    properties = {
      agentPoolName = azapi_resource.pool.name
      credentials   = { customRegistries = var.credentials }
    }
  }
}

resource "azapi_resource" "pool" {
  name      = var.credentials.pool
  parent_id = azapi_resource.acr.id
  type      = "Microsoft.ContainerRegistry/registries/agentPools@2019-06-01-preview"
}
""",
    )
    task = found["azapi_resource.task"]
    assert not task.attr("custom_registries").known
    assert task.attr("agent_pool").value == "azapi_resource.pool"


def test_rules_written_as_attribute_lists(tmp_path: Path) -> None:
    """Real shape (terraform 0.12-era modules): ``ip_rule = [for ...]`` in a rule set."""
    r = registry_with(
        tmp_path,
        """  sku = "Premium"
  network_rule_set {
    default_action = "Deny"
    ip_rule = [
      for cidr in values(var.allow) : { action = "Allow", ip_range = cidr }
    ]
    virtual_network = [
      for name, subnet in var.subnets : { action = "Allow", subnet_id = subnet.id }
      if name == "aks"
    ]
  }
""",
        extra="""variable "allow" {
  default = { office = "203.0.113.0/24" }
}
variable "subnets" {}
""",
    )
    assert r.get(P.IP_RULES).value == ["203.0.113.0/24"]
    assert not r.get(P.VIRTUAL_NETWORK_RULES).known
    assert r.get(P.DEFAULT_ACTION).value == "Deny"


def test_azapi_web_app_pulls_over_the_vnet_as_its_body_says(tmp_path: Path) -> None:
    """An azapi ``Microsoft.Web/sites`` is read as an ARM site (linuxFxVersion, VNet pull)."""
    found = consumers_by_symbol(
        tmp_path,
        """
resource "azapi_resource" "plain" {
  type      = "Microsoft.Web/sites@2024-04-01"
  name      = "plain"
  parent_id = "rg"
  body = {
    properties = {
      siteConfig = {
        linuxFxVersion = "DOCKER|${azapi_resource.acr.output.properties.loginServer}/a:1"
      }
    }
  }
}
resource "azapi_resource" "routed" {
  type      = "Microsoft.Web/sites@2024-04-01"
  name      = "routed"
  parent_id = "rg"
  body = {
    properties = {
      outboundVnetRouting = { imagePullTraffic = true }
      siteConfig          = { linuxFxVersion = "DOCKER|azacr.azurecr.io/a:1" }
    }
  }
}
resource "azapi_resource" "setting" {
  type      = "Microsoft.Web/sites/slots@2024-04-01"
  name      = "setting"
  parent_id = "rg"
  body = {
    properties = {
      siteConfig = {
        linuxFxVersion             = "DOCKER|azacr.azurecr.io/a:1"
        acrUseManagedIdentityCreds = true
        appSettings                = [{ name = "WEBSITE_PULL_IMAGE_OVER_VNET", value = "true" }]
      }
    }
  }
}
resource "azapi_resource" "python" {
  type      = "Microsoft.Web/sites@2024-04-01"
  name      = "python"
  parent_id = "rg"
  body      = { properties = { siteConfig = { linuxFxVersion = "PYTHON|3.12" } } }
}
""",
    )
    pulls = {
        symbol: c.attr("vnet_image_pull").value
        for symbol, c in found.items()
        if c.kind is ConsumerKind.WEB_APP
    }
    assert pulls == {
        "azapi_resource.plain": None,
        "azapi_resource.routed": True,
        "azapi_resource.setting": "true",
    }
    assert found["azapi_resource.setting"].attr("uses_managed_identity").value is True


@pytest.mark.parametrize(
    "principal",
    [
        "azapi_resource.uami.output.properties.principalId",
        "jsondecode(azapi_resource.uami.output).properties.principalId",
        "azapi_resource.app.output.identity.principalId",
        "azapi_resource.aks.output.properties.identityProfile.kubeletidentity.objectId",
    ],
)
def test_azapi_role_assignment_for_an_azapi_identity(tmp_path: Path, principal: str) -> None:
    """A principal read from an azapi identity's output is a managed identity (ACRT011)."""
    found = consumers_by_symbol(
        tmp_path,
        f"""
resource "azapi_resource" "pull" {{
  type      = "Microsoft.Authorization/roleAssignments@2022-04-01"
  name      = "pull"
  parent_id = azapi_resource.acr.id
  body = {{
    properties = {{
      roleDefinitionId = "7f951dda-4ed3-4680-a7ca-43fe172d538d"
      principalId      = {principal}
    }}
  }}
}}
""",
    )
    assert found["azapi_resource.pull"].attr("principal_is_managed_identity").value is True


@pytest.mark.parametrize(
    ("count", "kept"),
    [("var.create ? 1 : 0", True), ('var.create ? toset(["a"]) : toset([])', True), ("0", False)],
)
def test_a_registry_no_instance_of_which_the_inputs_create_stays_conditional(
    tmp_path: Path, count: str, kept: bool
) -> None:
    """`count = var.create ? 1 : 0` with the default false: judged as Bicep/ARM judge a
    registry whose condition is false with the defaults (ACRT001 when it would be deployed)."""
    meta = "for_each" if "toset" in count else "count"
    model = load_files(
        tmp_path,
        {
            "main.tf": f"""
variable "create" {{
  type    = bool
  default = false
}}
resource "azurerm_container_registry" "acr" {{
  {meta}                        = {count}
  name                          = "condacr"
  resource_group_name           = "rg"
  location                      = "westeurope"
  sku                           = "Premium"
  public_network_access_enabled = false
  network_rule_bypass_option    = "None"
}}
"""
        },
    )
    assert [r.conditional for r in model.registries] == ([True] if kept else [])
    assert [f.rule for f in check(model)] == (["ACRT001"] if kept else [])


def test_network_rule_set_in_attribute_syntax_restricts_as_the_block_does() -> None:
    """azurerm 3.x ``network_rule_set = [{...}]``: its action and rules are read (ACRT001 was
    missed); an empty list sets nothing and an undecided one leaves the action undecided."""
    model = load(FIXTURES / "attribute_rule_set" / "main.tf")
    acr = registry(model, "azurerm_container_registry.acr")
    action = acr.get(P.DEFAULT_ACTION)
    assert action.value == "Deny"
    assert action.span is not None
    assert action.span.line == 10
    assert acr.get(P.IP_RULES).value == ["203.0.113.0/24"]
    assert posture_of(acr).is_restricted
    assert P.DEFAULT_ACTION not in registry(model, "azurerm_container_registry.open").properties
    assert not registry(model, "azurerm_container_registry.undecided").get(P.DEFAULT_ACTION).known
    errors = [(f.rule, f.resource) for f in check(model) if f.severity is Severity.ERROR]
    assert errors == [("ACRT001", "azurerm_container_registry.acr")]


@pytest.mark.parametrize(
    "connections", ["privateLinkServiceConnections", "manualPrivateLinkServiceConnections"]
)
def test_azapi_private_endpoint_connections(tmp_path: Path, connections: str) -> None:
    """Automatic and manual connections both put the registry behind a private endpoint."""
    found = consumers_by_symbol(
        tmp_path,
        f"""
resource "azapi_resource" "pe" {{
  type      = "Microsoft.Network/privateEndpoints@2023-11-01"
  name      = "pe"
  parent_id = "rg"
  body = {{
    properties = {{
      {connections} = [{{
        name       = "acr"
        properties = {{ privateLinkServiceId = azapi_resource.acr.id, groupIds = ["registry"] }}
      }}]
    }}
  }}
}}
""",
    )
    assert found["azapi_resource.pe"].kind is ConsumerKind.PRIVATE_ENDPOINT


@pytest.mark.parametrize("kind", ["azurerm_linux_function_app", "azurerm_linux_function_app_slot"])
def test_function_app_docker_stack_pulls_from_the_registry(tmp_path: Path, kind: str) -> None:
    """``application_stack { docker { registry_url, image_name } }`` (function apps and their
    slots) names the registry as a web app's ``docker_registry_url`` does (ACRT009)."""
    model = load_files(
        tmp_path,
        {
            "main.tf": ACR_HEAD
            + '  sku = "Premium"\n  public_network_access_enabled = false\n}\n'
            + f"""
resource "{kind}" "func" {{
  site_config {{
    application_stack {{
      docker {{
        registry_url = azurerm_container_registry.acr.login_server
        image_name   = "func"
        image_tag    = "1"
      }}
    }}
  }}
}}
"""
        },
    )
    (app,) = consumers_of(model, registry(model, "azurerm_container_registry.acr"))
    assert app.kind is ConsumerKind.WEB_APP
    assert app.attr("image").value == "func"
    assert [f.rule for f in check(model)] == ["ACRT009"]


@pytest.mark.parametrize(
    ("api_version", "expected"),
    [
        (
            "2025-03-01-preview",
            [{"login_server": None, "identity": "[system]", "same_registry": True}],
        ),
        ("2019-06-01-preview", []),  # the version has no sourceRegistry.identity: ARM ignores it
    ],
)
def test_azapi_task_source_registry_identity_is_a_credential_for_its_own_registry(
    tmp_path: Path, api_version: str, expected: list[dict[str, object]]
) -> None:
    """``credentials.sourceRegistry.identity`` logs a task in to its own registry, as in ARM
    and Bicep; a login mode alone is no credential."""
    found = consumers_by_symbol(
        tmp_path,
        f"""
resource "azapi_resource" "task" {{
  name      = "t"
  parent_id = azapi_resource.acr.id
  type      = "Microsoft.ContainerRegistry/registries/tasks@{api_version}"
  identity {{
    type = "SystemAssigned"
  }}
  body = {{
    properties = {{
      credentials = {{ sourceRegistry = {{ identity = "[system]" }} }}
    }}
  }}
}}

resource "azapi_resource" "login_mode_only" {{
  name      = "m"
  parent_id = azapi_resource.acr.id
  type      = "Microsoft.ContainerRegistry/registries/tasks@2025-03-01-preview"
  body = {{
    properties = {{ credentials = {{ sourceRegistry = {{ loginMode = "Default" }} }} }}
  }}
}}
""",
    )
    assert found["azapi_resource.task"].attr("custom_registries").value == expected
    assert found["azapi_resource.login_mode_only"].attr("custom_registries").value == []


def test_azapi_task_run_source_registry_identity_is_read_from_its_run_request(
    tmp_path: Path,
) -> None:
    """A quick run's credentials are in its ``runRequest``, its source identity too; with it an
    undeterminable ``customRegistries`` no longer leaves ACRT010 undecided."""
    found = consumers_by_symbol(
        tmp_path,
        """
variable "customs" {}

resource "azapi_resource" "run" {
  name      = "r"
  parent_id = azapi_resource.acr.id
  type      = "Microsoft.ContainerRegistry/registries/taskRuns@2025-03-01-preview"
  identity {
    type = "SystemAssigned"
  }
  body = {
    properties = {
      runRequest = {
        type        = "EncodedTaskRunRequest"
        credentials = {
          customRegistries = var.customs
          sourceRegistry   = { identity = "[caller]" }
        }
      }
    }
  }
}
""",
    )
    assert found["azapi_resource.run"].attr("custom_registries").value == [
        {"login_server": None, "identity": "[caller]", "same_registry": True}
    ]


def test_a_ternary_branch_chosen_by_a_default_is_reported_where_it_is_written(
    tmp_path: Path,
) -> None:
    """``var.allow ? "AzureServices" : "None"`` inside an azapi body: the chosen literal is
    already where it is used, so it keeps its span (not the whole body's)."""
    model = load_files(
        tmp_path,
        {
            "main.tf": 'variable "allow" {\n  default = false\n}\n'
            'resource "azapi_resource" "acr" {\n'
            '  type = "Microsoft.ContainerRegistry/registries@2025-11-01"\n'
            '  name = "acr1"\n'
            "  body = {\n"
            '    properties = { networkRuleBypassOptions = var.allow ? "AzureServices" : "None" }\n'
            "  }\n}\n"
        },
    )
    bypass = registry(model, "azapi_resource.acr").get(P.BYPASS_OPTIONS)
    assert bypass.value == "None"
    assert bypass.span is not None
    assert (bypass.span.line, bypass.span.column) == (8, 77)
    assert bypass.origin.name == "allow"
