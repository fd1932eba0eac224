from __future__ import annotations

import pytest

from acr_trusted.azure.clients import Connection
from acr_trusted.azure.tasks import (
    TaskNotFound,
    ensure_identity_credential,
    ensure_source_login_none,
    ensure_system_identity,
    read_task,
    relevant_line,
    run_task,
    tasks_client,
)
from acr_trusted.testing import LocalAzure


def test_each_step_writes_once(local_azure: LocalAzure) -> None:
    ref = local_azure.add_registry("contoso")
    uami = local_azure.add_user_assigned_identity("keep")
    local_azure.add_task(ref, "hello", identity=uami.resource_id)
    client = tasks_client(Connection.resolve(**local_azure.kwargs), ref)
    changed, principal = ensure_system_identity(client, ref, "hello")
    assert changed
    details = read_task(client, ref, "hello")
    assert details.has_system_identity
    assert details.user_assigned == (uami.resource_id,)  # user-assigned identity kept
    assert ensure_system_identity(client, ref, "hello") == (False, principal)
    assert ensure_source_login_none(client, ref, "hello")
    assert not ensure_source_login_none(client, ref, "hello")
    assert ensure_identity_credential(client, ref, "hello", "contoso.azurecr.io")
    assert not ensure_identity_credential(client, ref, "hello", "CONTOSO.azurecr.io")


def test_unknown_task(local_azure: LocalAzure) -> None:
    ref = local_azure.add_registry("contoso")
    with pytest.raises(TaskNotFound, match="tasks/nope1"):
        read_task(tasks_client(Connection.resolve(**local_azure.kwargs), ref), ref, "nope1")


def test_run_times_out_without_waiting_forever(local_azure: LocalAzure) -> None:
    ref = local_azure.add_registry("contoso")
    local_azure.add_task(ref, "hello")
    outcome = run_task(
        Connection.resolve(**local_azure.kwargs), ref, "hello", timeout=0, poll_interval=0
    )
    assert outcome.status == "Timeout"
    assert outcome.excerpt == "run ca1 did not finish within 0s (last status Queued)"


@pytest.mark.parametrize(
    ("log", "succeeded", "expected"),
    [
        (
            "Queued\nRun ID: ca1 was successful after 2s\n",
            True,
            "Run ID: ca1 was successful after 2s",
        ),
        (
            "Logging in to registry: x\nfailed: denied: client with IP '1.2.3.4' is not allowed\n"
            "Run ID: ca1 failed after 2s. Error: failed during run",
            False,
            "failed: denied: client with IP '1.2.3.4' is not allowed",
        ),
        ("", False, "the run failed; its log is empty"),
    ],
)
def test_relevant_line(log: str, succeeded: bool, expected: str) -> None:
    assert relevant_line(log, succeeded=succeeded) == expected
