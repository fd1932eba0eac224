from __future__ import annotations

import json

import pytest

from acr_trusted.cli import main


def test_catalog_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalog"]) == 0
    out = capsys.readouterr().out
    assert "acr-tasks" in out
    assert "networkRuleBypassAllowedForTasks" in out


def test_catalog_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalog", "--output", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {s["service"] for s in data["services"]} >= {"aci", "app-service"}


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["no-such-command"])
    assert exc.value.code == 2
