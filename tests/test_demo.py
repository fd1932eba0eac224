from __future__ import annotations

import pytest

from acr_trusted.demo import main


def test_demo_prints_the_catalog(capsys: pytest.CaptureFixture[str]) -> None:
    assert main() == 0
    assert "trusted-service catalog" in capsys.readouterr().out
