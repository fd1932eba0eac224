from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acr_trusted.lint import terraform
from acr_trusted.lint.model import (
    ConsumerKind,
    FileModel,
    LoadContext,
    OriginKind,
    Registry,
    RegistryProperty,
    Value,
    consumers_of,
    posture_of,
)
from tests.conftest import CORPUS

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "terraform"
AVM = CORPUS / "Azure__terraform-azurerm-avm-res-containerregistry-registry"
P = RegistryProperty


def context(*param_files: Path) -> LoadContext:
    return LoadContext(
        read_text=lambda p: p.read_text(encoding="utf-8"),
        display_path=lambda p: p.as_posix(),
        param_files=param_files,
    )


def load(path: Path, *param_files: Path) -> FileModel:
    return terraform.load(path, path.read_text(encoding="utf-8"), context(*param_files))


def load_files(tmp_path: Path, files: dict[str, str], target: str = "main.tf") -> FileModel:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    return load(tmp_path / target)


def registry(model: FileModel, symbol: str) -> Registry:
    return next(r for r in model.registries if r.symbol == symbol)


def fixed_text(model: FileModel, value: Value) -> str:
    assert value.span is not None
    assert value.span.start_offset is not None
    assert value.span.end_offset is not None
    return model.text[value.span.start_offset : value.span.end_offset]


ACR_HEAD = """
resource "azurerm_container_registry" "acr" {
  name                = "acr1"
  resource_group_name = "rg"
  location            = "westeurope"
"""


def registry_with(tmp_path: Path, body: str, extra: str = "") -> Registry:
    model = load_files(tmp_path, {"main.tf": ACR_HEAD + body + "\n}\n" + extra})
    assert not model.errors, model.errors
    return registry(model, "azurerm_container_registry.acr")


# -- routing --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("main.tf", True),
        ("main.tf.json", True),
        ("prod.tfvars", True),
        ("x.auto.tfvars.json", True),
        ("tfplan.json", True),
        ("azuredeploy.json", False),
        ("main.bicep", False),
    ],
)
def test_handles_by_name(name: str, expected: bool) -> None:
    assert terraform.handles(Path(name)) is expected


def test_is_plan_json_recognises_show_json_output() -> None:
    plan = json.loads((FIXTURES / "plan" / "tfplan.json").read_text())
    assert terraform.is_plan_json(plan)
    assert terraform.is_plan_json({"format_version": "1.2", "resource_changes": []})
    assert not terraform.is_plan_json({"$schema": "x", "resources": []})
    assert not terraform.is_plan_json([1, 2])


# -- azurerm_container_registry ---------------------------------------------------------------


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


def test_variable_defaults_and_tfvars_carry_their_origin() -> None:
    model = load(FIXTURES / "dynamic" / "main.tf")
    r = registry(model, "azurerm_container_registry.acr")
    bypass = r.get(P.BYPASS_OPTIONS)
    assert bypass.value == "None"
    assert bypass.origin.kind is OriginKind.PARAMETER_DEFAULT
    assert bypass.origin.span is not None
    assert bypass.origin.span.path.endswith("variables.tf")
    assert bypass.span is not None
    assert bypass.span.path.endswith("main.tf")
    assert not bypass.is_literal  # --fix never edits a value that comes from a variable
    # terraform.tfvars: restricted = true
    assert r.get(P.PUBLIC_NETWORK_ACCESS).value == "Disabled"
    assert "restricted" in r.get(P.PUBLIC_NETWORK_ACCESS).depends_on
    assert r.get(P.SKU).value == "Premium"
    assert r.get(P.SKU).origin.kind is OriginKind.VARIABLE  # a local


def test_param_file_tfvars_override_defaults() -> None:
    model = load(FIXTURES / "dynamic" / "main.tf", FIXTURES / "dynamic" / "env" / "prod.tfvars")
    bypass = registry(model, "azurerm_container_registry.acr").get(P.BYPASS_OPTIONS)
    assert bypass.value == "AzureServices"
    assert bypass.origin.kind is OriginKind.PARAMETER_VALUE
    assert bypass.origin.span is not None
    assert bypass.origin.span.path.endswith("prod.tfvars")


def test_dynamic_blocks_and_optional_type_defaults() -> None:
    r = registry(load(FIXTURES / "dynamic" / "main.tf"), "azurerm_container_registry.acr")
    action = r.get(P.DEFAULT_ACTION)
    assert action.value == "Deny"  # optional(string, "Deny") in the variable's type
    assert action.origin.kind is OriginKind.PARAMETER_DEFAULT
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


# -- consumers ----------------------------------------------------------------------------------


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


def test_sibling_files_form_one_module_but_report_only_their_own(tmp_path: Path) -> None:
    files = {
        "main.tf": ACR_HEAD + "  sku = var.sku\n  public_network_access_enabled = false\n}\n",
        "variables.tf": 'variable "sku" {\n  default = "Premium"\n}\n',
        "pe.tf": """
resource "azurerm_private_endpoint" "pe" {
  private_service_connection {
    private_connection_resource_id = local.acr_id
    subresource_names              = ["registry"]
  }
}
locals {
  acr_id = azurerm_container_registry.acr.id
}
""",
    }
    main = load_files(tmp_path, files)
    acr = registry(main, "azurerm_container_registry.acr")
    assert acr.get(P.SKU).value == "Premium"
    assert [c.symbol for c in consumers_of(main, acr)] == ["azurerm_private_endpoint.pe"]
    pe = load(tmp_path / "pe.tf")
    assert pe.registries == ()
    assert [c.link.symbol for c in pe.consumers] == ["azurerm_container_registry.acr"]


# -- other syntaxes ------------------------------------------------------------------------------


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


def test_plan_json_planned_values_and_configuration_references() -> None:
    model = load(FIXTURES / "plan" / "tfplan.json")
    acr = registry(model, "azurerm_container_registry.acr")
    assert acr.get(P.BYPASS_OPTIONS).value == "None"
    assert acr.get(P.DEFAULT_ACTION).value == "Deny"
    assert not acr.get(P.BYPASS_OPTIONS).is_literal  # plans are generated: never fixed
    assert [c.kind for c in consumers_of(model, acr)] == [ConsumerKind.PRIVATE_ENDPOINT]
    shared = registry(model, "module.shared")
    assert shared.get(P.SKU).value == "Standard"
    assert shared.span.line > acr.span.line  # spans stay in the plan, at the resource


def test_plan_json_from_resource_changes(tmp_path: Path) -> None:
    plan = {
        "format_version": "1.2",
        "resource_changes": [
            {
                "address": "azurerm_container_registry.acr",
                "mode": "managed",
                "type": "azurerm_container_registry",
                "name": "acr",
                "change": {"after": {"sku": "Basic", "public_network_access_enabled": False}},
            },
            {
                "address": "module.a.module.b.azurerm_container_registry.nested",
                "module_address": "module.a.module.b",
                "mode": "managed",
                "type": "azurerm_container_registry",
                "name": "nested",
                "change": {"after": {"sku": "Premium"}},
            },
        ],
    }
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan, indent=1))
    model = load(path)
    acr = registry(model, "azurerm_container_registry.acr")
    assert acr.get(P.SKU).value == "Basic"
    assert registry(model, "module.a").get(P.SKU).value == "Premium"  # one registry per module
    assert acr.get(P.PUBLIC_NETWORK_ACCESS).value == "Disabled"


def test_json_that_is_not_a_plan_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "plan-notes.json"
    path.write_text('{"hello": "world"}')
    model = load(path)
    assert model.registries == ()
    assert model.errors == ()


def test_tfvars_file_alone_only_reports_parse_errors(tmp_path: Path) -> None:
    good = tmp_path / "a.tfvars"
    good.write_text('bypass = "None"\n')
    assert load(good) == FileModel(good.as_posix(), "terraform", text='bypass = "None"\n')
    bad = tmp_path / "b.tfvars"
    bad.write_text("bypass = \n")
    assert load(bad).errors


# -- modules -------------------------------------------------------------------------------------


def test_local_module_reports_at_the_call_site() -> None:
    model = load(FIXTURES / "modules" / "root" / "main.tf")
    assert [r.symbol for r in model.registries] == ["module.registry"]  # count = 0, missing dir
    r = model.registries[0]
    assert r.via == "module '../child'"
    assert r.span.path.endswith("root/main.tf")
    assert r.name.value == "childacr"
    access = r.get(P.PUBLIC_NETWORK_ACCESS)
    assert access.value == "Disabled"
    assert access.origin.kind is OriginKind.PARAMETER_VALUE
    assert access.span is not None
    assert access.span.path.endswith("root/main.tf")
    bypass = r.get(P.BYPASS_OPTIONS)
    assert bypass.value == "None"
    assert bypass.origin.kind is OriginKind.PARAMETER_DEFAULT
    assert bypass.origin.span is not None
    assert bypass.origin.span.path.endswith("child/variables.tf")
    assert "module '../child'" in bypass.origin.describe()
    assert bypass.span == r.span
    # null for a non-nullable input takes the module default
    assert r.get(P.TASKS_BYPASS).value is False
    # the private endpoint in a sibling file links through the module's output
    assert [c.symbol for c in consumers_of(model, r)] == ["azurerm_private_endpoint.registry"]
    assert posture_of(r, consumers_of(model, r)).private_endpoint_count == 1


def test_registry_module_from_modules_json() -> None:
    model = load(FIXTURES / "installed" / "main.tf")
    r = registry(model, "module.acr")
    assert r.get(P.BYPASS_OPTIONS).value == "AzureServices"  # the installed code, not the table
    assert r.get(P.BYPASS_OPTIONS).origin.kind is OriginKind.PARAMETER_DEFAULT
    assert r.get(P.PUBLIC_NETWORK_ACCESS).value == "Disabled"


def test_known_module_table_when_not_on_disk() -> None:
    model = load(FIXTURES / "known" / "main.tf")
    r = registry(model, "module.containerregistry")
    assert "known-module table" in (r.via or "")
    bypass = r.get(P.BYPASS_OPTIONS)
    assert bypass.value == "None"
    assert bypass.origin.kind is OriginKind.MODULE_TABLE
    assert "Azure/avm-res-containerregistry-registry/azurerm" in bypass.origin.describe()
    assert r.private_endpoint_count.value == 1
    assert posture_of(r).is_restricted
    firewalled = registry(model, "module.firewalled")
    assert firewalled.get(P.DEFAULT_ACTION).value == "Deny"
    assert firewalled.get(P.IP_RULES).value == ["203.0.113.0/24"]
    assert firewalled.get(P.BYPASS_OPTIONS).origin.kind is OriginKind.PARAMETER_VALUE


def test_unknown_remote_module_declares_nothing(tmp_path: Path) -> None:
    model = load_files(tmp_path, {"main.tf": 'module "x" {\n  source = "foo/bar/azurerm"\n}\n'})
    assert model.registries == ()
    assert model.errors == ()


def test_module_that_calls_itself_terminates(tmp_path: Path) -> None:
    text = 'module "me" {\n  source = "./"\n}\n' + ACR_HEAD + '  sku = "Premium"\n}\n'
    model = load_files(tmp_path, {"main.tf": text})
    assert "azurerm_container_registry.acr" in {r.symbol for r in model.registries}


# -- parse errors ---------------------------------------------------------------------------


def test_parse_error_names_line_column_and_reason() -> None:
    model = load(FIXTURES / "broken" / "main.tf")
    assert model.registries == ()
    (error,) = model.errors
    assert (error.span.line, error.span.column) == (3, 10)
    assert "unexpected" in error.reason
    assert "\n" not in error.reason


@pytest.mark.parametrize(
    ("name", "text", "line"),
    [
        ("main.tf", 'resource "a" "b" {\n  x = 1\n', 2),
        ("main.tf", 'resource "a" "b" {\n  x = "\x00\n}\n', 3),  # the string never ends
        ("main.tf.json", '{"resource": {\n  "a": [1,\n}', 3),
        ("x.tfvars.json", "{\n  nope\n}", 2),
        ("tfplan.json", '{"format_version": "1.2", "resource_changes": [}', 1),
    ],
)
def test_parse_errors_in_every_syntax(tmp_path: Path, name: str, text: str, line: int) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    (error,) = load(path).errors
    assert error.span.line == line
    assert error.reason


def test_bom_and_crlf(tmp_path: Path) -> None:
    text = "\ufeff" + (ACR_HEAD + '  network_rule_bypass_option = "None"\n}\n').replace(
        "\n", "\r\n"
    )
    path = tmp_path / "main.tf"
    path.write_bytes(text.encode("utf-8"))
    model = terraform.load(path, text, context())
    bypass = registry(model, "azurerm_container_registry.acr").get(P.BYPASS_OPTIONS)
    assert fixed_text(model, bypass) == '"None"'


def test_broken_sibling_does_not_hide_the_linted_file(tmp_path: Path) -> None:
    model = load_files(
        tmp_path, {"main.tf": ACR_HEAD + '  sku = "Premium"\n}\n', "broken.tf": "resource {"}
    )
    assert model.errors == ()
    assert len(model.registries) == 1


# -- the corpus ------------------------------------------------------------------------------------


def corpus_files() -> list[Path]:
    return sorted(CORPUS.rglob("*.tf")) if CORPUS.is_dir() else []


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.relative_to(CORPUS).as_posix())
def test_corpus_file_loads(shared_dir: Path, path: Path) -> None:
    model = load(path)
    assert model.errors == ()
    labelled = {
        row["registry_symbol"].split(" ")[0]
        for row in csv.DictReader(
            (shared_dir / "corpus" / "MANIFEST.tsv").open(encoding="utf-8"), delimiter="\t"
        )
        if row["local_file"] == path.relative_to(CORPUS).as_posix()
        and not row["registry_symbol"].startswith("-")
    }
    assert {r.symbol for r in model.registries} == labelled


def test_corpus_avm_private_endpoint_example_blocks_trusted_services(shared_dir: Path) -> None:
    model = load(AVM / "examples" / "private-endpoint" / "main.tf")
    r = registry(model, "module.containerregistry")
    assert r.span.path.endswith("private-endpoint/main.tf")
    posture = posture_of(r, consumers_of(model, r))
    assert posture.is_restricted
    assert not posture.trusted_services_allowed
    assert r.private_endpoint_count.value == 1
    assert r.get(P.PUBLIC_NETWORK_ACCESS).value == "Disabled"
    bypass = r.get(P.BYPASS_OPTIONS)
    assert bypass.value == "None"
    assert bypass.origin.kind is OriginKind.PARAMETER_DEFAULT
    assert bypass.origin.span is not None
    assert bypass.origin.span.path.endswith("variables.containerregistry.tf")
    assert bypass.origin.span.line == 53
    assert r.get(P.SKU).value == "Premium"
    assert r.get(P.TASKS_BYPASS).value is False


@pytest.mark.parametrize("example", ["default", "low-cost"])
def test_corpus_avm_unrestricted_examples(shared_dir: Path, example: str) -> None:
    model = load(AVM / "examples" / example / "main.tf")
    r = registry(model, "module.containerregistry")
    assert not posture_of(r, consumers_of(model, r)).is_restricted
    assert r.get(P.BYPASS_OPTIONS).value == "None"
    assert r.get(P.SKU).value == ("Basic" if example == "low-cost" else "Premium")


def test_corpus_avm_module_source(shared_dir: Path) -> None:
    r = registry(load(AVM / "main.tf"), "azurerm_container_registry.this")
    assert r.get(P.BYPASS_OPTIONS).value == "None"
    assert r.get(P.TASKS_BYPASS).origin.kind is OriginKind.PARAMETER_DEFAULT
    assert P.DEFAULT_ACTION not in r.properties  # network_rule_set defaults to null
    assert not posture_of(r).is_restricted


def test_corpus_checkov_registries_without_sku(shared_dir: Path) -> None:
    path = (
        CORPUS / "bridgecrewio__checkov/tests/terraform/checks/resource/azure"
        "/example_ACRPublicNetworkAccessDisabled/main.tf"
    )
    model = load(path)
    restricted = {r.symbol: posture_of(r).is_restricted for r in model.registries}
    assert restricted == {
        "azurerm_container_registry.ckv_unittest_pass": True,
        "azurerm_container_registry.ckv_unittest_fail": False,
        "azurerm_container_registry.ckv_unittest_fail_2": False,
    }
    assert all(P.SKU not in r.properties for r in model.registries)


# -- robustness -----------------------------------------------------------------------------

_NAMES = ["main.tf", "main.tf.json", "x.tfvars", "tfplan.json"]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=400), name=st.sampled_from(_NAMES))
def test_random_bytes_never_raise(tmp_path: Path, data: bytes, name: str) -> None:
    text = data.decode("utf-8", errors="replace")
    model = terraform.load(tmp_path / name, text, context())
    assert isinstance(model, FileModel)


def _mutations() -> list[str]:
    rng = random.Random(1234)
    sources = [p.read_text(encoding="utf-8") for p in corpus_files()]
    sources.append((FIXTURES / "consumers" / "main.tf").read_text(encoding="utf-8"))
    out = []
    for text in sources:
        for _ in range(12):
            chars = list(text)
            for _ in range(rng.randint(1, 6)):
                at = rng.randrange(len(chars))
                op = rng.choice(("drop", "dup", "swap", "insert"))
                if op == "drop":
                    del chars[at]
                elif op == "dup":
                    chars.insert(at, chars[at])
                elif op == "swap" and at + 1 < len(chars):
                    chars[at], chars[at + 1] = chars[at + 1], chars[at]
                else:
                    chars.insert(at, rng.choice('{}[]()"=?:!.,$%\n#/*\\'))
            out.append("".join(chars))
    return out


@pytest.mark.slow
def test_mutated_real_files_never_raise(tmp_path: Path) -> None:
    for index, text in enumerate(_mutations()):
        directory = tmp_path / str(index)
        directory.mkdir()
        path = directory / "main.tf"
        path.write_text(text, encoding="utf-8")
        model = terraform.load(path, text, context())
        assert model.errors or isinstance(model.registries, tuple)
