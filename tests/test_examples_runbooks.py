"""Every runbook in examples/runbooks runs end to end against LocalAzure, in its own process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

RUNBOOKS = Path(__file__).resolve().parent.parent / "examples" / "runbooks"


def _run(script: str, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(RUNBOOKS / script), *argv],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("script", "argv", "expected"),
    [
        pytest.param(
            "enable_trusted_access.py",
            ["--local", "--include-tasks"],
            ["trusted services: False -> True", "ACR Tasks bypass: False -> True", "changed"],
            id="enable",
        ),
        pytest.param(
            "grant_pull_to_identity.py",
            ["--local"],
            ["assigned: AcrPull to ", "Azure Container Instances: ALLOWED", "[has-pull-role]"],
            id="grant",
        ),
        pytest.param(
            "check_bypass.py",
            ["--local"],
            ["Azure Container Instances: ALLOWED", "[bypass-on]"],
            id="check",
        ),
        pytest.param(
            "acr_task_trusted_workflow.py",
            ["--local", "--prove"],
            ["+ task identity:", "+ trusted access:", "bypass proved: True", "restored "],
            id="acr-tasks",
        ),
        pytest.param(
            "aci_pull_with_identity.py",
            ["--local"],
            ["+ pull role:", "pulled contoso.azurecr.io/app:v1: Succeeded"],
            id="aci",
        ),
        pytest.param(
            "ml_workspace_pull.py",
            ["--local"],
            ["= workspace identity: SystemAssigned identity", "+ trusted access:"],
            id="ml",
        ),
        pytest.param(
            "import_from_restricted_registry.py",
            ["--local"],
            ["+ importer role on source:", "imported app:v1 as app:v1"],
            id="import",
        ),
    ],
)
def test_runbook_local(script: str, argv: list[str], expected: list[str]) -> None:
    done = _run(script, *argv)
    assert done.returncode == 0, done.stderr
    for line in expected:
        assert line in done.stdout
    assert done.stderr == ""


def test_check_runbook_reports_blocked_tasks() -> None:
    """The check runbook exits 1 and prints the documented az command for the tasks switch."""
    done = _run("check_bypass.py", "--local", "--service", "acr-tasks")
    assert done.returncode == 1
    assert "[tasks-switch-off]" in done.stdout
    assert "--set properties.networkRuleBypassAllowedForTasks=true" in done.stdout


def test_local_fleet_audit_writes_the_html_report(tmp_path: Path) -> None:
    """--local seeds a small fleet; the table names each problem and the HTML file is written."""
    report = tmp_path / "fleet.html"
    done = _run("audit_fleet.py", "--local", "--html", str(report))
    assert done.returncode == 1, done.stderr
    for expected in ("ACRT001", "ACRT002", "ACRT003", "ACRT007", "2 Resource Graph requests"):
        assert expected in done.stdout
    assert done.stderr == ""
    assert report.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


@pytest.mark.parametrize(
    ("script", "argv", "message"),
    [
        pytest.param("aci_pull_with_identity.py", ["--registry", "/x"], "usage: ", id="aci-usage"),
        pytest.param(
            "ml_workspace_pull.py",
            ["--registry", "nope", "--workspace", "w"],
            "error: registry resource ID",
            id="ml",
        ),
        pytest.param(
            "audit_fleet.py",
            ["--subscription", "not-a-guid"],
            "error: subscription ID 'not-a-guid' is not a GUID",
            id="audit",
        ),
    ],
)
def test_bad_arguments_exit_2_with_one_line(script: str, argv: list[str], message: str) -> None:
    """Bad input is refused before any call to Azure: exit 2 and one line, no traceback."""
    done = _run(script, *argv)
    assert done.returncode == 2
    assert done.stderr.startswith(message)
    assert "Traceback" not in done.stderr
