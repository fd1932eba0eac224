from __future__ import annotations

import subprocess
import sys
from pathlib import Path

RUNBOOK = Path(__file__).resolve().parent.parent / "examples" / "runbooks" / "audit_fleet.py"


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(RUNBOOK), *argv],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_local_fleet_audit_writes_the_html_report(tmp_path: Path) -> None:
    """--local seeds a small fleet; the table names each problem and the HTML file is written."""
    report = tmp_path / "fleet.html"
    done = run("--local", "--html", str(report))
    assert done.returncode == 1, done.stderr
    for expected in ("ACRT001", "ACRT002", "ACRT003", "ACRT007", "2 Resource Graph requests"):
        assert expected in done.stdout
    assert done.stderr == ""
    assert report.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_bad_subscription_is_exit_2() -> None:
    """A malformed subscription ID is refused before any call to Azure."""
    done = run("--subscription", "not-a-guid")
    assert done.returncode == 2
    assert done.stderr.strip() == "error: subscription ID 'not-a-guid' is not a GUID"
