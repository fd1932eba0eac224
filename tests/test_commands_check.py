from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from acr_trusted.testing import LocalAzure
from tests.azure_cli import CliRun, acr_cli

__all__ = ["acr_cli"]

Cli = Callable[..., CliRun]


def test_check_blocked_exit_1_with_fixes(local_azure: LocalAzure, acr_cli: Cli) -> None:
    """A blocked service exits 1 and prints the reason, the SDK call and the az command."""
    ref = local_azure.add_registry(
        "contoso", public_network_access="Disabled", network_rule_bypass_options="None"
    )
    run = acr_cli("check", "--registry", ref.id, "--service", "ml")
    assert run.code == 1
    assert run.out.startswith("Azure Machine Learning: BLOCKED")
    assert "x [bypass-off]" in run.out
    assert f'python: acr_trusted.enable_trusted_access("{ref.id}")' in run.out
    assert "az:     az acr update --name contoso --resource-group rg" in run.out


def test_check_allowed_exit_0_json(local_azure: LocalAzure, acr_cli: Cli) -> None:
    ref = local_azure.add_registry("contoso", public_network_access="Disabled")
    pid = local_azure.add_managed_identity("aci-puller")
    local_azure.add_role_assignment(ref, pid, "AcrPull")
    run = acr_cli(
        "check",
        "--registry",
        ref.id,
        "--service",
        "aci",
        "--principal",
        pid,
        "--identity-kind",
        "user",
        "-o",
        "json",
    )
    assert run.code == 0
    data = json.loads(run.out)
    assert data["verdict"] == "allowed"
    assert [r["code"] for r in data["reasons"]] == ["bypass-on", "has-pull-role"]


@pytest.mark.parametrize(
    ("argv", "code", "verdict"),
    [
        pytest.param(["--service", "app-service"], 1, "UNSUPPORTED", id="app-service"),
        pytest.param(["--service", "acr-tasks"], 1, "BLOCKED", id="tasks-switch-off"),
        pytest.param(["--service", "acr-tasks", "--agent-pool"], 0, "ALLOWED", id="agent-pool"),
        pytest.param(
            ["--service", "acr-tasks", "--identity-kind", "user"], 1, "BLOCKED", id="tasks-uami"
        ),
    ],
)
def test_check_verdicts(
    local_azure: LocalAzure, acr_cli: Cli, argv: list[str], code: int, verdict: str
) -> None:
    ref = local_azure.add_registry("contoso", public_network_access="Disabled")
    run = acr_cli("check", "--registry", ref.id, *argv)
    assert run.code == code
    assert run.out.split("  ")[0].endswith(verdict)


def test_check_unknown_service_is_usage_error(acr_cli: Cli) -> None:
    with pytest.raises(SystemExit) as exc:
        acr_cli("check", "--registry", "x", "--service", "ftp")
    assert exc.value.code == 2
