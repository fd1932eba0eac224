"""The table of well-known registry modules that are not on disk (AVM Bicep and Terraform)."""

from __future__ import annotations

import pytest

from acr_trusted.lint.known_modules import KNOWN_MODULES, KnownModule, find_known_module
from acr_trusted.lint.model import OriginKind, RegistryProperty, Span, Value

CALL_SITE = Span.point("main.bicep", 10, 1)
AVM_BICEP = "br/public:avm/res/container-registry/registry:0.9.3"
AVM_TERRAFORM = "Azure/avm-res-containerregistry-registry/azurerm"


def entry_for(source: str) -> KnownModule:
    entry = find_known_module(source)
    if entry is None:
        pytest.skip(f"no known-module entry for {source} yet (added by its loader's engineer)")
    return entry


def test_unknown_source() -> None:
    """A module that is not in the table is not guessed at."""
    assert find_known_module("br/public:avm/res/key-vault/vault:0.1.0") is None
    assert find_known_module("./modules/acr") is None


@pytest.mark.parametrize("entry", KNOWN_MODULES, ids=lambda e: e.key)
def test_every_entry_is_documented_and_builds_from_defaults(entry: KnownModule) -> None:
    """Each entry names its source and versions, and builds a registry from no inputs."""
    assert entry.source_url.startswith("https://")
    assert entry.versions
    built = entry.build({}, CALL_SITE)
    for value in built.properties.values():
        if value.known and value.origin.kind is not OriginKind.ABSENT:
            assert value.origin.kind is OriginKind.MODULE_TABLE, value
            assert value.origin.describe()


def test_avm_terraform_bypass_defaults_to_none() -> None:
    """The AVM Terraform module defaults network_rule_bypass_option to "None" (its variables)."""
    built = entry_for(AVM_TERRAFORM).build({}, CALL_SITE)
    bypass = built.properties[RegistryProperty.BYPASS_OPTIONS]
    assert bypass.is_("None")
    assert bypass.origin.kind is OriginKind.MODULE_TABLE


def test_avm_terraform_caller_value_wins() -> None:
    """An input the caller passes replaces the table's default."""
    given = Value.of("AzureServices", CALL_SITE)
    built = entry_for(AVM_TERRAFORM).build({"network_rule_bypass_option": given}, CALL_SITE)
    assert built.properties[RegistryProperty.BYPASS_OPTIONS].is_("AzureServices")


def test_avm_bicep_bypass_defaults_to_azure_services() -> None:
    """The AVM Bicep module keeps the service default, AzureServices."""
    built = entry_for(AVM_BICEP).build({}, CALL_SITE)
    bypass = built.properties.get(RegistryProperty.BYPASS_OPTIONS)
    assert bypass is None or bypass.is_("AzureServices")


@pytest.mark.parametrize(
    ("source", "known"),
    [
        ("github.com/Azure/terraform-azurerm-avm-res-containerregistry-registry", True),
        (
            "git::https://github.com/Azure/terraform-azurerm-avm-res-containerregistry-registry"
            ".git?ref=v0.4.0",
            True,
        ),
        ("git@github.com:Azure/terraform-azurerm-avm-res-containerregistry-registry.git", True),
        # a fork may change defaults; a sub-module is another module
        ("github.com/zioproto/terraform-azurerm-avm-res-containerregistry-registry?ref=v4", False),
        (
            "git::https://github.com/Azure/terraform-azurerm-avm-res-containerregistry-registry"
            ".git//modules/task",
            False,
        ),
    ],
)
def test_avm_terraform_module_from_its_github_repository(source: str, known: bool) -> None:
    entry = find_known_module(source)
    assert (entry is not None and entry.key == AVM_TERRAFORM) is known
