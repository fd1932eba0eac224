"""Module instances and expression evaluation (terraform_eval.py)."""

from __future__ import annotations

from pathlib import Path

from acr_trusted.lint.model import (
    OriginKind,
    consumers_of,
)
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
