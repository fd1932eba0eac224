from __future__ import annotations

import builtins
import io
from typing import Any

import pytest

from acr_trusted import demo


def test_lint_samples_shows_findings_without_failing(capsys: pytest.CaptureFixture[str]) -> None:
    demo.lint_samples()
    out = capsys.readouterr().out
    assert "ACRT001" in out
    assert "findings in the bad samples are expected" in out


def test_lint_samples_tolerates_a_missing_linter(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_linter(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "acr_trusted.lint.cli":
            raise ImportError("no linter here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_linter)
    out = io.StringIO()
    demo.lint_samples(out)
    assert "(skipped: the linter cannot be imported: no linter here)" in out.getvalue()


def test_scenario_summary_table() -> None:
    out = io.StringIO()
    assert demo.scenario(out, poll_interval=0.001)
    table = out.getvalue().split("== summary ==")[1]
    assert "run, tasks switch off" in table
    assert "verify --prove" in table
    assert table.count(" ok") == 4
