"""The workflow runbooks run end to end against LocalAzure, each in its own process."""

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


def test_runbook_usage_errors() -> None:
    assert _run("aci_pull_with_identity.py", "--registry", "/x").returncode == 2
    bad = _run("ml_workspace_pull.py", "--registry", "nope", "--workspace", "w")
    assert bad.returncode == 2
    assert bad.stderr.startswith("error: registry resource ID")
