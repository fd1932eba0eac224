from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Callable

import pytest

from acr_trusted.testing import LocalAzure
from tests.azure_cli import CliRun, acr_cli

__all__ = ["acr_cli"]
OTHER_SUBSCRIPTION = "11111111-2222-3333-4444-555555555555"


def seed(az: LocalAzure) -> None:
    az.add_registry("cliopen")
    az.add_registry(
        "clilocked", public_network_access="Disabled", network_rule_bypass_options="None"
    )


def test_table_lists_what_needs_attention(
    local_azure: LocalAzure, acr_cli: Callable[..., CliRun]
) -> None:
    """Exit 1 with findings; the table names the registry, the rule and the summary."""
    seed(local_azure)
    run = acr_cli("audit")
    assert run.code == 1
    assert "clilocked" in run.out
    assert "ACRT001" in run.out
    assert "cliopen" not in run.out
    assert run.out.rstrip().endswith(
        "2 registries (1 blocked, 1 not-restricted); 1 finding (1 error); 2 Resource Graph requests"
    )
    assert run.err == ""


def test_clean_fleet_exits_0(local_azure: LocalAzure, acr_cli: Callable[..., CliRun]) -> None:
    """No finding, exit 0."""
    local_azure.add_registry("clionly")
    run = acr_cli("audit", "--subscription", local_azure.subscription_id)
    assert run.code == 0
    assert "no registry needs attention" in run.out


@pytest.mark.parametrize("fmt", ["json", "csv", "sarif", "html"])
def test_every_output_format(
    local_azure: LocalAzure, acr_cli: Callable[..., CliRun], fmt: str
) -> None:
    """Each format carries the finding; JSON and SARIF parse, CSV has one row per registry."""
    seed(local_azure)
    run = acr_cli("audit", "--output", fmt)
    assert run.code == 1
    assert "ACRT001" in run.out
    if fmt == "json":
        assert json.loads(run.out)["summary"]["registries"] == 2
    elif fmt == "sarif":
        assert json.loads(run.out)["runs"][0]["results"][0]["ruleId"] == "ACRT001"
    elif fmt == "csv":
        assert len(list(csv.DictReader(io.StringIO(run.out)))) == 2
    else:
        assert run.out.startswith("<!DOCTYPE html>")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["--subscription", "nope"], "is not a GUID", id="guid"),
        pytest.param(["--management-group", "a/b"], "is not valid", id="group"),
    ],
)
def test_bad_scope_is_a_usage_error(
    local_azure: LocalAzure, acr_cli: Callable[..., CliRun], argv: list[str], message: str
) -> None:
    """One line on stderr, exit 2, no request sent."""
    run = acr_cli("audit", *argv)
    assert run.code == 2
    assert run.err.startswith("acr-trusted audit: error: ")
    assert message in run.err
    assert len(run.err.splitlines()) == 1
    assert local_azure.requests == []


def test_scopes_are_exclusive(acr_cli: Callable[..., CliRun]) -> None:
    """argparse refuses --subscription with --management-group."""
    with pytest.raises(SystemExit) as caught:
        acr_cli("audit", "--subscription", OTHER_SUBSCRIPTION, "--management-group", "mg")
    assert caught.value.code == 2


def test_azure_error_is_one_line_exit_3(
    local_azure: LocalAzure, acr_cli: Callable[..., CliRun]
) -> None:
    """A 403 from Resource Graph: status and ARM code on one stderr line, exit 3."""
    local_azure.inject(
        path_contains="Microsoft.ResourceGraph", status=403, code="AuthorizationFailed"
    )
    run = acr_cli("audit")
    assert run.code == 3
    assert "HTTP 403, AuthorizationFailed" in run.err
    assert len(run.err.splitlines()) == 1
    assert run.out == ""


def test_unaudited_rows_are_warned_on_stderr(
    local_azure: LocalAzure, acr_cli: Callable[..., CliRun]
) -> None:
    """The report still prints; each skipped row gets one warning line naming it."""
    ref = local_azure.add_registry("cliodd")
    with local_azure.state.lock:
        stored = local_azure.state.resource(ref.id)
        assert stored is not None
        stored["properties"]["roleAssignmentMode"] = "Unheard"
    run = acr_cli("audit")
    assert run.code == 0
    assert "0 registries" in run.out
    assert run.err.startswith(f"acr-trusted audit: warning: {ref.id}: not audited:")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal(
    local_azure: LocalAzure,
    acr_cli: Callable[..., CliRun],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On a TTY stderr shows the bar while pages arrive and clears it; the report is unchanged."""
    seed(local_azure)
    plain = acr_cli("audit", "--output", "json")
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with_bar = acr_cli("audit", "--output", "json")
    drawn = terminal.getvalue()
    assert "reading role assignments" in drawn
    assert "2/2 registries, 2 request(s)" in drawn
    assert drawn.endswith("\r\x1b[2K")
    assert plain.err == ""
    assert json.loads(with_bar.out)["summary"] == json.loads(plain.out)["summary"]
