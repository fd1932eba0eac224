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
    ],
)
def test_runbook_local(script: str, argv: list[str], expected: list[str]) -> None:
    """Each runbook runs end to end against LocalAzure, in its own process."""
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


def test_runbook_usage_error() -> None:
    done = _run("check_bypass.py")
    assert done.returncode == 2
    assert "one of the arguments --registry --local is required" in done.stderr
