"""ACR Tasks at api-version 2025-03-01-preview: tasks, ``scheduleRun``, runs and their logs.

Shapes follow the REST examples (TasksCreate*, TasksGet, TasksUpdate*, RegistriesScheduleRun_Task,
RunsGet). ``tasks.create`` (PUT) and ``tasks.update`` (PATCH) complete at once. Like ACR, a task
GET hides credential details (``customRegistries: {"<login server>": null}``,
``sourceRegistry: null``); ``listDetails`` returns them. A PATCH replaces
``credentials.sourceRegistry`` and merges ``customRegistries`` per login server (a ``null``
value removes one), as ``az acr task credential add/remove`` rely on.

A scheduled run moves one state per GET: ``Queued`` -> ``Running`` -> ``Succeeded`` or
``Failed``. On its last step it logs in to each registry it holds a credential for, and
``_dataplane.decide`` says whether ACR would let it: the task's system-assigned identity
(``[system]``), a user-assigned one (its client ID), the run token of the source registry
(``loginMode: Default``; not an identity, so it never bypasses), or nothing (``None``). The log
(``listLogSasUrl``) is served at a signed link that needs no bearer token, like a blob SAS URL.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from typing import Any

from acr_trusted.testing import _schema as s
from acr_trusted.testing._arm import ArmError, ArmRequest, ArmResponse, Route, not_found
from acr_trusted.testing._dataplane import (
    PULL,
    PUSH,
    SYSTEM,
    USER,
    Caller,
    decide,
    extras,
    registry_by_login_server,
    registry_of,
)
from acr_trusted.testing._identities import identity_block
from acr_trusted.testing._state import Json, State, utc_now

API_VERSIONS = ("2025-03-01-preview",)
TASK_TYPE = "Microsoft.ContainerRegistry/registries/tasks"
RUN_TYPE = "Microsoft.ContainerRegistry/registries/runs"
LOG_PATH = "/localazure/runlogs"
TERMINAL = frozenset({"Succeeded", "Failed", "Canceled", "Error", "Timeout"})

_REGISTRY = (
    r"/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)"
    r"/providers/Microsoft\.ContainerRegistry/registries/(?P<registry>[^/]+)"
)


class _Nullable:
    """A value of ``spec``, or ``null`` (a PATCH that removes an entry)."""

    def __init__(self, spec: s.Spec) -> None:
        self.spec = spec

    def check(self, value: Any, path: str) -> Any:
        return None if value is None else self.spec.check(value, path)


_SECRET = s.Object({"type": s.Enum(("Opaque", "Vaultsecret")), "value": s.String()})
_CREDENTIALS = s.Object(
    {
        "sourceRegistry": _Nullable(
            s.Object({"loginMode": s.Enum(("None", "Default")), "identity": s.String()})
        ),
        "customRegistries": s.MapOf(
            _Nullable(s.Object({"identity": s.String(), "userName": _SECRET, "password": _SECRET}))
        ),
    }
)
_PROPERTIES: dict[str, s.Spec] = {
    "status": s.Enum(("Enabled", "Disabled")),
    "platform": s.AnyJson(),
    "agentConfiguration": s.AnyJson(),
    "agentPoolName": _Nullable(s.String()),
    "timeout": s.AnyJson(),
    "step": s.AnyJson(),
    "trigger": s.AnyJson(),
    "credentials": _CREDENTIALS,
    "logTemplate": s.AnyJson(),
    "isSystemTask": s.Boolean(),
}
_IDENTITY = s.Object(
    {"type": s.String(), "userAssignedIdentities": s.MapOf(s.AnyJson())},
    read_only=frozenset({"principalId", "tenantId"}),
)
CREATE_BODY = s.Object(
    {
        "location": s.String(),
        "tags": s.MapOf(s.String()),
        "identity": _IDENTITY,
        "properties": s.Object(
            _PROPERTIES, read_only=frozenset({"provisioningState", "creationDate"})
        ),
    },
    required=frozenset({"location", "properties"}),
    read_only=frozenset({"id", "name", "type", "systemData"}),
)
UPDATE_BODY = s.Object(
    {
        "tags": s.MapOf(s.String()),
        "identity": _IDENTITY,
        "properties": s.Object(
            _PROPERTIES, read_only=frozenset({"provisioningState", "creationDate"})
        ),
    }
)
RUN_REQUEST = s.Object(
    {
        "type": s.Enum(("TaskRunRequest",)),
        "taskId": s.String(),
        "overrideTaskStepProperties": s.AnyJson(),
        "isArchiveEnabled": s.Boolean(),
        "agentPoolName": s.String(),
        "logTemplate": s.AnyJson(),
    },
    required=frozenset({"type", "taskId"}),
)


# -- helpers -------------------------------------------------------------------------------------


def _task(request: ArmRequest, state: State, name: str | None = None) -> Json:
    registry = registry_of(request, state)
    task_name = name or request.params["task"]
    found = state.resource(f"{registry['id']}/tasks/{task_name}")
    if found is None:
        raise not_found(
            f"Microsoft.ContainerRegistry/registries/{registry['name']}/tasks",
            task_name,
            request.params["rg"],
        )
    return found


def redacted(task: Json) -> Json:
    """A task as GET answers it: credential details hidden, login servers kept."""
    shown = copy.deepcopy(task)
    credentials = shown["properties"].get("credentials")
    if credentials is not None:
        custom = credentials.get("customRegistries")
        shown["properties"]["credentials"] = {
            "customRegistries": dict.fromkeys(custom) if custom else None,
            "sourceRegistry": None,
        }
    return shown


def _merge_credentials(current: Json | None, update: Json) -> Json:
    merged = copy.deepcopy(current or {})
    if "sourceRegistry" in update:
        merged["sourceRegistry"] = update["sourceRegistry"]
    custom = dict(merged.get("customRegistries") or {})
    for login_server, value in (update.get("customRegistries") or {}).items():
        if value is None:
            custom.pop(login_server, None)
        else:
            custom[login_server] = value
    merged["customRegistries"] = custom
    return merged


# -- tasks ---------------------------------------------------------------------------------------


def build_task(
    state: State,
    registry: Json,
    name: str,
    body: Json,
    existing: Json | None = None,
) -> Json:
    """The stored JSON of a task created (or replaced) with a validated PUT body."""
    properties = copy.deepcopy(body["properties"])
    properties.setdefault("status", "Enabled")
    properties.setdefault("platform", {"os": "Linux", "architecture": "amd64"})
    properties.setdefault("isSystemTask", False)
    if "credentials" in properties:
        properties["credentials"] = _merge_credentials(None, properties["credentials"])
    task: Json = {
        "id": f"{registry['id']}/tasks/{name}",
        "name": name,
        "type": TASK_TYPE,
        "location": body["location"],
        "tags": dict(body.get("tags") or {}),
        "properties": {
            "provisioningState": "Succeeded",
            "creationDate": existing["properties"]["creationDate"] if existing else utc_now(),
            **properties,
        },
    }
    identity = identity_block(state, body.get("identity"), existing and existing.get("identity"))
    if identity is not None:
        task["identity"] = identity
    return task


def create_task(request: ArmRequest, state: State) -> ArmResponse:
    body = s.check_body(CREATE_BODY, request.body)
    name = request.params["task"]
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{4,49}", name):
        raise ArmError(
            400,
            "InvalidResourceName",
            f"Resource name '{name}' is invalid: a task name has 5-50 letters, digits, '-' "
            "and '_'.",
        )
    with state.lock:
        registry = registry_of(request, state)
        existing = state.resource(f"{registry['id']}/tasks/{name}")
        task = build_task(state, registry, name, body, existing)
        state.put_resource(task)
        return ArmResponse(200 if existing else 201, redacted(task))


def get_task(request: ArmRequest, state: State) -> ArmResponse:
    with state.lock:
        return ArmResponse(200, redacted(_task(request, state)))


def get_task_details(request: ArmRequest, state: State) -> ArmResponse:
    with state.lock:
        return ArmResponse(200, copy.deepcopy(_task(request, state)))


def list_tasks(request: ArmRequest, state: State) -> ArmResponse:
    with state.lock:
        registry = registry_of(request, state)
        prefix = registry["id"].lower() + "/tasks/"
        tasks = [
            redacted(t)
            for t in state.resources_of_type(TASK_TYPE)
            if t["id"].lower().startswith(prefix)
        ]
    return ArmResponse(200, {"value": tasks})


def update_task(request: ArmRequest, state: State) -> ArmResponse:
    update = s.check_body(UPDATE_BODY, request.body)
    with state.lock:
        task = _task(request, state)
        changed = copy.deepcopy(task)
        if "tags" in update:
            changed["tags"] = update["tags"]
        identity = identity_block(state, update.get("identity"), task.get("identity"))
        if identity is not None:
            changed["identity"] = identity
        properties = copy.deepcopy(update.get("properties") or {})
        credentials = properties.pop("credentials", None)
        if credentials is not None:
            changed["properties"]["credentials"] = _merge_credentials(
                changed["properties"].get("credentials"), credentials
            )
        changed["properties"].update(properties)
        task.clear()
        task.update(changed)
        return ArmResponse(200, redacted(task))


def delete_task(request: ArmRequest, state: State) -> ArmResponse:
    with state.lock:
        registry = registry_of(request, state)
        gone = state.delete_resource(f"{registry['id']}/tasks/{request.params['task']}")
    return ArmResponse(200 if gone else 204, None)


# -- runs ----------------------------------------------------------------------------------------


def schedule_run(request: ArmRequest, state: State) -> ArmResponse:
    body = s.check_body(RUN_REQUEST, request.body)
    with state.lock:
        registry = registry_of(request, state)
        task_name = body["taskId"].rstrip("/").rsplit("/", 1)[-1]
        task = _task(request, state, task_name)
        if task["properties"].get("status") == "Disabled":
            raise ArmError(
                400, "TaskDisabled", f"LocalAzure: the task '{task['name']}' is disabled."
            )
        counters = extras(state).run_counters
        number = counters.get(registry["id"].lower(), 0) + 1
        counters[registry["id"].lower()] = number
        run_id = f"ca{number}"
        now = utc_now()
        run: Json = {
            "id": f"{registry['id']}/runs/{run_id}",
            "name": run_id,
            "type": RUN_TYPE,
            "properties": {
                "runId": run_id,
                "status": "Queued",
                "lastUpdatedTime": now,
                "runType": "QuickRun",
                "createTime": now,
                "task": task["name"],
                "agentPoolName": body.get("agentPoolName")
                or task["properties"].get("agentPoolName"),
                "platform": task["properties"].get("platform"),
                "provisioningState": "Succeeded",
                "isArchiveEnabled": body.get("isArchiveEnabled", False),
            },
        }
        state.put_resource(run)
        extras(state).run_logs[run["id"].lower()] = [
            f"Queued a run with ID: {run_id}",
            "Waiting for an agent...",
        ]
        return ArmResponse(200, copy.deepcopy(run))


def _run(request: ArmRequest, state: State) -> Json:
    registry = registry_of(request, state)
    found = state.resource(f"{registry['id']}/runs/{request.params['run']}")
    if found is None:
        raise not_found(
            f"Microsoft.ContainerRegistry/registries/{registry['name']}/runs",
            request.params["run"],
            request.params["rg"],
        )
    return found


def _image_registry(image: str, own_login_server: str) -> str:
    first = image.split("/", 1)[0]
    has_host = "/" in image and ("." in first or ":" in first)
    return first.lower() if has_host else own_login_server.lower()


def _pushes_to(task: Json, login_server: str, own_login_server: str) -> bool:
    step = task["properties"].get("step") or {}
    if step.get("type", "Docker") != "Docker" or step.get("isPushEnabled", True) is False:
        return False
    images: Iterable[str] = step.get("imageNames") or ()
    return any(_image_registry(i, own_login_server) == login_server.lower() for i in images)


def _task_identity(task: Json, credential: str) -> tuple[str | None, str | None, str | None]:
    """(identity kind, principal ID, problem) for a credential's ``identity`` value."""
    identity = task.get("identity") or {}
    kinds = str(identity.get("type", "None")).lower()
    if credential.lower() == "[system]":
        if "systemassigned" not in kinds:
            return None, None, "LocalAzure: the task has no system-assigned identity for [system]"
        return SYSTEM, identity["principalId"], None
    for resource_id, user in (identity.get("userAssignedIdentities") or {}).items():
        if credential.lower() in (resource_id.lower(), str(user.get("clientId", "")).lower()):
            return USER, user["principalId"], None
    return None, None, f"LocalAzure: the task has no user-assigned identity '{credential}'"


def _logins(task: Json, own: Json) -> list[tuple[str, str | None]]:
    """(login server, credential) pairs the run logs in with, the source registry first.

    The credential is ``[system]``, a client ID, ``[run-token]`` or ``None`` (no credential).
    """
    own_server = str(own["properties"]["loginServer"]).lower()
    credentials = task["properties"].get("credentials") or {}
    custom = {k.lower(): v for k, v in (credentials.get("customRegistries") or {}).items()}
    logins: list[tuple[str, str | None]] = []
    if own_server not in custom:
        source = credentials.get("sourceRegistry") or {}
        if source.get("identity"):
            logins.append((own_server, source["identity"]))
        elif str(source.get("loginMode", "Default")).lower() == "default":
            logins.append((own_server, "[run-token]"))
        elif _pushes_to(task, own_server, own_server):
            logins.append((own_server, None))
    for server, value in custom.items():
        logins.append((server, (value or {}).get("identity") or "[password]"))
    return logins


def _login(
    state: State, task: Json, own: Json, server: str, credential: str | None, from_vnet: bool
) -> tuple[bool, list[str], str | None]:
    """Decide one login; returns (ok, log lines, the run's error message)."""
    lines = [f"Logging in to registry: {server}"]
    registry = registry_by_login_server(state, server)
    if registry is None:
        lines.append(f"Successfully logged into {server}")
        return True, lines, None
    own_server = str(own["properties"]["loginServer"]).lower()
    action = PUSH if _pushes_to(task, server, own_server) else PULL
    mode = str(registry["properties"].get("roleAssignmentMode", "")).lower()
    kind: str | None = None
    principal: str | None = None
    authorized = False
    if credential == "[run-token]":
        # The run token covers its own registry, except in ABAC mode (domain-facts section 5).
        authorized = (
            registry["id"].lower() == own["id"].lower() and mode != "abacrepositorypermissions"
        )
    elif credential == "[password]":
        authorized = True
    elif credential is not None:
        kind, principal, problem = _task_identity(task, credential)
        if problem is not None:
            return False, [*lines, problem], problem
    caller = Caller("acr-tasks", kind, principal, from_vnet=from_vnet, authorized=authorized)
    decision = decide(state, registry, caller, action)
    if decision.allowed:
        lines.append(f"Successfully logged into {server}")
        return True, lines, None
    if decision.code == "TOKEN_EXCHANGE_FORBIDDEN":
        return False, [decision.message], decision.message
    message = (
        "failed to login, ran out of retries: failed to set docker credentials: Error response "
        f'from daemon: Get "https://{server}/v2/": {decision.message}'
    )
    return False, [*lines, message], message


def _finish(state: State, run: Json) -> None:
    """Run the task's logins now and end the run ``Succeeded`` or ``Failed``."""
    props = run["properties"]
    registry_id = run["id"].rsplit("/runs/", 1)[0]
    own = state.resource(registry_id)
    task = state.resource(f"{registry_id}/tasks/{props['task']}")
    log = extras(state).run_logs.setdefault(run["id"].lower(), [])
    ok, error = True, None
    if own is None or task is None:
        ok, error = False, "LocalAzure: the task or its registry no longer exists"
        log.append(error)
    else:
        from_vnet = bool(props.get("agentPoolName"))
        for server, credential in _logins(task, own):
            passed, lines, message = _login(state, task, own, server, credential, from_vnet)
            log.extend(lines)
            if not passed:
                ok, error = False, message
                break
    props["status"] = "Succeeded" if ok else "Failed"
    props["finishTime"] = props["lastUpdatedTime"] = utc_now()
    if ok:
        log.append(f"Run ID: {run['name']} was successful after 2s")
    else:
        props["runErrorMessage"] = error
        log.append(
            f"Run ID: {run['name']} failed after 2s. Error: failed during run, err: exit status 1"
        )


def advance_run(state: State, run: Json) -> None:
    """One step: ``Queued`` -> ``Running`` -> (``Succeeded`` | ``Failed``)."""
    props = run["properties"]
    if props["status"] == "Queued":
        props["status"] = "Running"
        props["startTime"] = props["lastUpdatedTime"] = utc_now()
    elif props["status"] == "Running":
        _finish(state, run)


def get_run(request: ArmRequest, state: State) -> ArmResponse:
    with state.lock:
        run = _run(request, state)
        advance_run(state, run)
        return ArmResponse(200, copy.deepcopy(run))


def _signature(state: State, run_id: str) -> str:
    key = extras(state).log_key
    return hmac.new(key, run_id.lower().encode(), hashlib.sha256).hexdigest()


def log_link(request: ArmRequest, state: State) -> ArmResponse:
    with state.lock:
        run = _run(request, state)
    token = run["id"].lower().strip("/").replace("/", "~")
    link = f"{request.base_url}{LOG_PATH}/{token}?sig={_signature(state, run['id'])}"
    return ArmResponse(200, {"logLink": link, "logArtifactLink": link})


def signed_log_request(state: State, path: str, query: Mapping[str, str]) -> bool:
    """True for a GET of a log link this emulator signed (it needs no bearer token)."""
    prefix = LOG_PATH + "/"
    if not path.lower().startswith(prefix):
        return False
    run_id = "/" + path[len(prefix) :].replace("~", "/")
    return hmac.compare_digest(query.get("sig", ""), _signature(state, run_id))


def serve_log(state: State, path: str) -> ArmResponse:
    """The text of a run's log, for a signed link (see :func:`signed_log_request`)."""
    run_id = "/" + path[len(LOG_PATH) + 1 :].replace("~", "/")
    with state.lock:
        lines = list(extras(state).run_logs.get(run_id.lower(), []))
    return ArmResponse(200, ("\n".join(lines) + "\n").encode())


ROUTES: tuple[Route, ...] = (
    Route.of("GET", _REGISTRY + r"/tasks", API_VERSIONS, list_tasks),
    Route.of("GET", _REGISTRY + r"/tasks/(?P<task>[^/]+)", API_VERSIONS, get_task),
    Route.of("PUT", _REGISTRY + r"/tasks/(?P<task>[^/]+)", API_VERSIONS, create_task),
    Route.of("PATCH", _REGISTRY + r"/tasks/(?P<task>[^/]+)", API_VERSIONS, update_task),
    Route.of("DELETE", _REGISTRY + r"/tasks/(?P<task>[^/]+)", API_VERSIONS, delete_task),
    Route.of(
        "POST", _REGISTRY + r"/tasks/(?P<task>[^/]+)/listDetails", API_VERSIONS, get_task_details
    ),
    Route.of("POST", _REGISTRY + r"/scheduleRun", API_VERSIONS, schedule_run),
    Route.of("GET", _REGISTRY + r"/runs/(?P<run>[^/]+)", API_VERSIONS, get_run),
    Route.of("POST", _REGISTRY + r"/runs/(?P<run>[^/]+)/listLogSasUrl", API_VERSIONS, log_link),
)
