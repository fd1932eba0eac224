"""ACR Tasks through ``azure-mgmt-containerregistrytasks``: a task's identity and credentials, runs.

The steps of the documented worked example, each one idempotent: read the task's *details*
(a plain GET hides credentials), compare, and write only what differs with one
``tasks.update`` (synchronous, not ``begin_``). Runs are scheduled with ``schedule_run`` and
polled with ``runs.get`` until they end; their log is read from the link ``get_log_sas_url``
gives, without the ARM bearer token (it is a storage SAS URL, not an ARM endpoint).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

from attrs import frozen
from azure.core import PipelineClient
from azure.core.rest import HttpRequest
from azure.mgmt.containerregistrytasks import ContainerRegistryTasksMgmtClient
from azure.mgmt.containerregistrytasks import models as tm

from acr_trusted.azure.arm_errors import READ_REGISTRY, WRITE_REGISTRY, arm_call
from acr_trusted.azure.clients import Connection
from acr_trusted.errors import AcrTrustedError
from acr_trusted.ids import RegistryRef

logger = logging.getLogger(__name__)

SYSTEM_IDENTITY = "[system]"
TERMINAL_STATUSES = frozenset({"Succeeded", "Failed", "Canceled", "Error", "Timeout"})
Progress = Callable[[str], None]

# Lines that say why a run failed, most specific first (domain-facts section 7).
_RELEVANT = (
    re.compile(r"exchange API response code: 403", re.IGNORECASE),
    re.compile(r"denied: client with IP", re.IGNORECASE),
    re.compile(r"unauthorized:|denied:|403 Forbidden", re.IGNORECASE),
    re.compile(r"error|failed", re.IGNORECASE),
)


class TaskNotFound(AcrTrustedError):
    """The task does not exist in the registry."""

    def __init__(self, task_id: str) -> None:
        super().__init__(f"task not found: {task_id}")
        self.task_id = task_id


@frozen
class TaskDetails:
    """What the bypass depends on, read from ``tasks.get_details``."""

    task_id: str
    identity_type: str
    principal_id: str | None
    user_assigned: tuple[str, ...]
    login_mode: str | None
    custom_identities: Mapping[str, str | None]
    agent_pool: str | None

    @property
    def has_system_identity(self) -> bool:
        return "systemassigned" in self.identity_type.lower().replace(" ", "")


def task_id(ref: RegistryRef, name: str) -> str:
    return f"{ref.id}/tasks/{name}"


def tasks_client(connection: Connection, ref: RegistryRef) -> ContainerRegistryTasksMgmtClient:
    return connection.client(ContainerRegistryTasksMgmtClient, ref.subscription_id)


def _details(task: tm.Task, fallback_id: str) -> TaskDetails:
    data = task.as_dict()
    identity = data.get("identity") or {}
    props = data.get("properties") or {}
    credentials = props.get("credentials") or {}
    source = credentials.get("sourceRegistry") or {}
    custom = {
        server.lower(): (value or {}).get("identity")
        for server, value in (credentials.get("customRegistries") or {}).items()
    }
    return TaskDetails(
        task_id=data.get("id", fallback_id),
        identity_type=str(identity.get("type") or "None"),
        principal_id=identity.get("principalId"),
        user_assigned=tuple(identity.get("userAssignedIdentities") or ()),
        login_mode=source.get("loginMode"),
        custom_identities=custom,
        agent_pool=props.get("agentPoolName"),
    )


def read_task(client: ContainerRegistryTasksMgmtClient, ref: RegistryRef, name: str) -> TaskDetails:
    """The task with its credential details (``POST …/listDetails``).

    Raises:
        TaskNotFound: no such task (or registry).
    """
    from azure.core.exceptions import ResourceNotFoundError

    try:
        with arm_call(READ_REGISTRY, ref.id):
            return _details(
                client.tasks.get_details(ref.resource_group, ref.name, name), task_id(ref, name)
            )
    except AcrTrustedError as exc:
        if isinstance(exc.__cause__, ResourceNotFoundError):
            raise TaskNotFound(task_id(ref, name)) from exc.__cause__
        raise


def _update(
    client: ContainerRegistryTasksMgmtClient,
    ref: RegistryRef,
    name: str,
    parameters: tm.TaskUpdateParameters,
) -> tm.Task:
    with arm_call(WRITE_REGISTRY, ref.id):
        return client.tasks.update(ref.resource_group, ref.name, name, parameters)


def ensure_system_identity(
    client: ContainerRegistryTasksMgmtClient, ref: RegistryRef, name: str
) -> tuple[bool, str]:
    """Turn the task's system-assigned identity on (keeping user-assigned ones).

    Returns:
        (changed, principal ID of the system-assigned identity).
    """
    details = read_task(client, ref, name)
    if details.has_system_identity and details.principal_id:
        return False, details.principal_id
    if details.user_assigned:
        identity = tm.IdentityProperties(
            type="SystemAssigned, UserAssigned",
            user_assigned_identities={
                rid: tm.UserIdentityProperties() for rid in details.user_assigned
            },
        )
    else:
        identity = tm.IdentityProperties(type="SystemAssigned")
    updated = _update(client, ref, name, tm.TaskUpdateParameters(identity=identity))
    principal = updated.identity.principal_id if updated.identity else None
    if not principal:
        raise AcrTrustedError(f"{details.task_id}: no principal ID after enabling the identity")
    return True, principal


def ensure_source_login_none(
    client: ContainerRegistryTasksMgmtClient, ref: RegistryRef, name: str
) -> bool:
    """``az acr task update --auth-mode None``: the task's own run token is not used."""
    if (read_task(client, ref, name).login_mode or "").lower() == "none":
        return False
    credentials = tm.Credentials(source_registry=tm.SourceRegistryCredentials(login_mode="None"))
    _update(client, ref, name, _credentials_update(credentials))
    return True


def ensure_identity_credential(
    client: ContainerRegistryTasksMgmtClient, ref: RegistryRef, name: str, login_server: str
) -> bool:
    """``az acr task credential add --login-server <s> --use-identity [system]``."""
    details = read_task(client, ref, name)
    if details.custom_identities.get(login_server.lower()) == SYSTEM_IDENTITY:
        return False
    credentials = tm.Credentials(
        custom_registries={login_server: tm.CustomRegistryCredentials(identity=SYSTEM_IDENTITY)}
    )
    _update(client, ref, name, _credentials_update(credentials))
    return True


def _credentials_update(credentials: tm.Credentials) -> tm.TaskUpdateParameters:
    return tm.TaskUpdateParameters(
        properties=tm.TaskPropertiesUpdateParameters(credentials=credentials)
    )


@frozen
class RunOutcome:
    """How a run ended, and the log line that says why."""

    run_id: str
    status: str
    excerpt: str
    log: str

    @property
    def succeeded(self) -> bool:
        return self.status == "Succeeded"


def relevant_line(log: str, *, succeeded: bool, fallback: str | None = None) -> str:
    """The line of a run log a reader needs: the success line, or the first cause of failure."""
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    if succeeded:
        return next(
            (ln for ln in reversed(lines) if "successful" in ln), lines[-1] if lines else ""
        )
    for pattern in _RELEVANT:
        found = next(
            (ln for ln in lines if pattern.search(ln) and not ln.startswith("Run ID")), None
        )
        if found:
            return found
    return fallback or (lines[-1] if lines else "the run failed; its log is empty")


def _read_log(connection: Connection, link: str) -> str:
    """GET the log link with no ARM credential: it is signed by itself, like a blob SAS URL."""
    client: PipelineClient[Any, Any] = PipelineClient(link, **dict(connection.client_options))
    response = client.send_request(HttpRequest("GET", link))
    response.raise_for_status()
    text: str = response.text()
    return text


def _status(value: object) -> str:
    """A run status as ARM spells it (the SDK gives a str enum; ``str()`` of it is its name)."""
    return str(getattr(value, "value", value) or "Queued")


def run_task(
    connection: Connection,
    ref: RegistryRef,
    name: str,
    *,
    timeout: float,
    poll_interval: float,
    progress: Progress | None = None,
) -> RunOutcome:
    """Schedule a run of the task, wait for it to end, and read its log.

    A run still going after ``timeout`` seconds is reported with status ``Timeout`` (the
    run itself is left alone).
    """
    client = tasks_client(connection, ref)
    with arm_call(WRITE_REGISTRY, ref.id):
        run = client.registries.schedule_run(
            ref.resource_group, ref.name, tm.TaskRunRequest(task_id=task_id(ref, name))
        )
    run_id = str(run.properties.run_id if run.properties else run.name)
    status = _status(run.properties.status if run.properties else None)
    error_message: str | None = None
    deadline = time.monotonic() + timeout
    if progress:
        progress(f"run {run_id}: {status}")
    while status not in TERMINAL_STATUSES:
        if time.monotonic() >= deadline:
            message = f"run {run_id} did not finish within {timeout:g}s (last status {status})"
            return RunOutcome(run_id, "Timeout", message, "")
        time.sleep(poll_interval)
        with arm_call(READ_REGISTRY, ref.id):
            run = client.runs.get(ref.resource_group, ref.name, run_id)
        now = _status(run.properties.status if run.properties else None) or status
        error_message = run.properties.run_error_message if run.properties else None
        if now != status and progress:
            progress(f"run {run_id}: {now}")
        status = now
    with arm_call(READ_REGISTRY, ref.id):
        link = client.runs.get_log_sas_url(ref.resource_group, ref.name, run_id).log_link
    log = _read_log(connection, link) if link else ""
    excerpt = relevant_line(log, succeeded=status == "Succeeded", fallback=error_message)
    logger.info("run %s of %s ended %s: %s", run_id, name, status, excerpt)
    return RunOutcome(run_id, status, excerpt, log)
