from __future__ import annotations

import json
import uuid
from collections.abc import Callable

from acr_trusted.testing import LocalAzure
from tests.azure_cli import CliRun, acr_cli

__all__ = ["acr_cli"]

Cli = Callable[..., CliRun]


def test_grant_pull_then_again(local_azure: LocalAzure, acr_cli: Cli) -> None:
    ref = local_azure.add_registry("contoso")
    pid = local_azure.add_managed_identity("aci-puller")
    first = acr_cli("grant", "--registry", ref.id, "--principal", pid)
    assert first.code == 0
    assert first.out == f"assigned: AcrPull to {pid} on {ref.id}\n"
    again = acr_cli("grant", "--registry", ref.id, "--principal", pid)
    assert again.out.startswith("already assigned: AcrPull")


def test_grant_push_abac_json(local_azure: LocalAzure, acr_cli: Cli) -> None:
    """In ABAC mode push is Repository Writer."""
    ref = local_azure.add_registry("contoso", role_assignment_mode="AbacRepositoryPermissions")
    pid = local_azure.add_managed_identity("builder")
    run = acr_cli("grant", "--registry", ref.id, "--principal", pid, "--role", "push", "-o", "json")
    data = json.loads(run.out)
    assert data["role"] == "Container Registry Repository Writer"
    assert data["created"] is True


def test_grant_unknown_principal_exit_3(local_azure: LocalAzure, acr_cli: Cli) -> None:
    ref = local_azure.add_registry("contoso")
    missing = str(uuid.uuid4())
    run = acr_cli("grant", "--registry", ref.id, "--principal", missing, "--principal-wait", "0")
    assert run.code == 3
    assert run.err.startswith(f"acr-trusted grant: error: principal {missing} does not exist")
    assert len(run.err.strip().splitlines()) == 1
