from __future__ import annotations

import pytest

from acr_trusted.cli import main


def test_demo_command_walks_the_worked_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--poll-interval", "0.001"]) == 0
    out = capsys.readouterr().out
    assert "LocalAzure (an emulator on 127.0.0.1, not Azure)" in out
    assert "exchange API response code: 403 Forbidden" in out
    assert "== summary ==" in out
    assert "UNEXPECTED" not in out
