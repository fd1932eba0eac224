"""A small fleet audit built from Resource Graph rows, for the renderer and model tests."""

from __future__ import annotations

from typing import Any

from acr_trusted.audit_report import AuditReport
from acr_trusted.audit_rules import InheritedGrants, audit_registry

SUB_A = "00000000-0000-0000-0000-00000000000a"
SUB_B = "00000000-0000-0000-0000-00000000000b"


def registry_row(sub: str, name: str, sku: str = "Premium", **properties: Any) -> dict[str, Any]:
    consumers = properties.pop("consumers", None)
    return {
        "id": f"/subscriptions/{sub}/resourceGroups/rg-{name}/providers/"
        f"Microsoft.ContainerRegistry/registries/{name}",
        "name": name,
        "subscriptionId": sub,
        "resourceGroup": f"rg-{name}",
        "location": "westeurope",
        "sku": {"name": sku},
        "properties": properties,
        "roleAssignments": None,
        "consumers": consumers,
    }


def sample_report(requests: int = 2, warnings: tuple[str, ...] = ()) -> AuditReport:
    """Four registries, one per verdict: blocked, at-risk, ok (in SUB_A) and open (in SUB_B)."""
    task = {
        "kind": "acr-tasks",
        "id": f"/subscriptions/{SUB_A}/resourceGroups/rg-blocked/providers/"
        "Microsoft.ContainerRegistry/registries/blockedreg/tasks/nightly",
        "identity": {"type": "SystemAssigned", "principalId": "p"},
        "agentPoolName": "",
    }
    rows = [
        registry_row(
            SUB_A,
            "blockedreg",
            publicNetworkAccess="Disabled",
            networkRuleBypassOptions="None",
            consumers=[task],
        ),
        registry_row(
            SUB_A,
            "riskyreg",
            networkRuleSet={"defaultAction": "Deny", "virtualNetworkRules": [{"id": "subnet"}]},
        ),
        registry_row(SUB_A, "privatereg", publicNetworkAccess="Disabled"),
        registry_row(SUB_B, "openreg"),
    ]
    registries = tuple(audit_registry(r, InheritedGrants()) for r in rows)
    findings = tuple(f for r in registries for f in r.findings)
    return AuditReport(registries, findings, requests, warnings)
