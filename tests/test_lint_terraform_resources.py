"""Registries and consumers read from resource blocks (terraform_resources.py)."""

from __future__ import annotations

from pathlib import Path

from acr_trusted.lint.model import (
    ConsumerKind,
    consumers_of,
    posture_of,
)
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
        {"login_server": "contosoacr.azurecr.io", "identity": "[system]"}
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
