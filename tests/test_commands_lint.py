from __future__ import annotations

import json
from pathlib import Path

import pytest

from acr_trusted.cli import main


def test_acr_trusted_lint_is_the_same_linter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "storage.bicep").write_text("param location string\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["lint", "--format", "json", "storage.bicep"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "version": 1,
        "files_scanned": 1,
        "findings": [],
    }


def test_usage_errors_name_the_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["lint", "--select", "ACRT777", "x.bicep"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "acr-trusted lint" in err
    assert "unknown rule id ACRT777" in err


def test_missing_path_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", "definitely/not/here.bicep"]) == 2
    assert "definitely/not/here.bicep: no such file or directory" in capsys.readouterr().err
