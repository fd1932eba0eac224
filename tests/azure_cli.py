"""The ``acr_cli`` fixture: run ``acr-trusted`` in-process against LocalAzure.

The CLI authenticates with ``DefaultAzureCredential``; here its credential factory is swapped
for the emulator's, and the hidden ``--endpoint`` / ``--ca-bundle`` options point it at the
emulator. Import the fixture into a test module to use it.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from attrs import frozen

from acr_trusted.cli import main
from acr_trusted.commands import _azure
from acr_trusted.testing import LocalAzure


@frozen
class CliRun:
    code: int
    out: str
    err: str


@pytest.fixture
def acr_cli(
    local_azure: LocalAzure, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., CliRun]:
    monkeypatch.setattr(_azure, "make_credential", lambda: local_azure.credential)
    capsys.readouterr()

    def run(*argv: str) -> CliRun:
        local = ["--endpoint", local_azure.endpoint, "--ca-bundle", local_azure.ca_bundle]
        code = main([*argv, *local])
        captured = capsys.readouterr()
        return CliRun(code, captured.out, captured.err)

    return run
