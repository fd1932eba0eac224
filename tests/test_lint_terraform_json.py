"""Terraform's JSON syntax (terraform_json.py): .tf.json and the shapes plans use."""

from __future__ import annotations

from acr_trusted.lint.model import (
    OriginKind,
    consumers_of,
)
from tests.terraform_helpers import (
    FIXTURES,
    P,
    fixed_text,
    load,
    registry,
)

# -- .tf.json ------------------------------------------------------------------------------------


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
