"""Each trusted-service workflow as one idempotent call, and the proof that the bypass works.

The documented workflow is: enable a managed identity on the service instance, give it a role on
the registry, allow trusted services on the registry, authenticate with the identity, pull or
push. ``setup_*`` do the first three for one service, step by step; each step reads first and
writes only what differs, so a second run reports every step ``already``. A step that fails is
reported (``failed``, with the one-line reason) and ends the set-up: the steps before it stay
done and are listed, so a re-run resumes where it stopped.

``verify_task_bypass`` runs the document's worked example: schedule a run of the task and wait.
With ``prove=True`` it performs the experiment: close the public endpoint if needed, run (it
should succeed), turn the bypass off, run again (it should fail), then put every setting it
touched back as it was, in a ``finally`` so that a failed step or Ctrl-C restores too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from attrs import field, frozen
from azure.core.credentials import TokenCredential
from azure.core.exceptions import AzureError, HttpResponseError
from azure.core.polling.base_polling import BadStatus
from azure.core.polling.base_polling import OperationFailed as LroFailed
from azure.mgmt.containerregistry import ContainerRegistryManagementClient
from azure.mgmt.containerregistry.models import ImportImageParameters, ImportSource

from acr_trusted.azure.arm_errors import WRITE_REGISTRY, arm_call, error_code
from acr_trusted.azure.clients import Connection, as_registry_ref
from acr_trusted.azure.consumers import read_user_assigned_identity, read_workspace_identity
from acr_trusted.azure.rbac import grant_role
from acr_trusted.azure.registry import (
    disable_trusted_access,
    enable_trusted_access,
    patch_registry,
    read_posture,
)
from acr_trusted.azure.tasks import (
    Progress,
    RunOutcome,
    ensure_identity_credential,
    ensure_source_login_none,
    ensure_system_identity,
    read_task,
    run_task,
    tasks_client,
)
from acr_trusted.catalog import Permission, RoleAssignmentMode
from acr_trusted.errors import AcrTrustedError, OperationFailed
from acr_trusted.ids import RegistryRef
from acr_trusted.posture import NetworkPosture

logger = logging.getLogger(__name__)

DONE, ALREADY, FAILED = "done", "already", "failed"
DEFAULT_RUN_TIMEOUT = 900.0
DEFAULT_POLL_INTERVAL = 5.0


@frozen
class Step:
    """One step of a set-up: ``done`` (it changed something), ``already``, or ``failed``."""

    name: str
    status: str
    detail: str


@frozen
class SetupResult:
    """Every step attempted, in order, and the names of those that changed something."""

    steps: tuple[Step, ...]
    changed: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return all(s.status != FAILED for s in self.steps)

    def to_text(self) -> str:
        marks = {DONE: "+", ALREADY: "=", FAILED: "x"}
        return "\n".join(f"  {marks[s.status]} {s.name}: {s.detail}" for s in self.steps)


class _Steps:
    """Runs steps in order until one fails; records each outcome."""

    def __init__(self) -> None:
        self.steps: list[Step] = []

    @property
    def failed(self) -> bool:
        return any(s.status == FAILED for s in self.steps)

    def __call__(self, name: str, action: Callable[[], tuple[bool, str]]) -> bool:
        if self.failed:
            return False
        try:
            changed, detail = action()
        except (AcrTrustedError, AzureError) as exc:
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            logger.warning("step %r failed: %s", name, reason)
            self.steps.append(Step(name, FAILED, reason))
            return False
        self.steps.append(Step(name, DONE if changed else ALREADY, detail))
        return True

    def result(self) -> SetupResult:
        steps = tuple(self.steps)
        return SetupResult(steps, tuple(s.name for s in steps if s.status == DONE))


def _azure(
    credential: TokenCredential | None,
    endpoint: str | None,
    cloud: str | None,
    client_options: Mapping[str, Any] | None,
) -> tuple[Connection, dict[str, Any]]:
    """One resolved connection, and the keywords that pass it on to the other SDK helpers."""
    connection = Connection.resolve(
        credential=credential, endpoint=endpoint, cloud=cloud, client_options=client_options
    )
    return connection, {
        "credential": connection.credential,
        "endpoint": connection.endpoint,
        "cloud": cloud,
        "client_options": client_options,
    }


def _grant_step(
    registry: RegistryRef,
    principal_id: str,
    permission: Permission,
    connection: Connection,
    *,
    principal_type: str = "ServicePrincipal",
    principal_wait: float = 60,
) -> tuple[bool, str]:
    grant = grant_role(
        registry,
        principal_id,
        permission,
        principal_type=principal_type,
        principal_wait=principal_wait,
        connection=connection,
    )
    verb = "assigned" if grant.created else "holds"
    return grant.created, f"{principal_id} {verb} '{grant.role_name}' on {registry.name}"


def _trusted_step(
    registry: RegistryRef, *, include_tasks: bool, azure: Mapping[str, Any]
) -> tuple[bool, str]:
    result = enable_trusted_access(registry, include_tasks=include_tasks, **azure)
    switches = "networkRuleBypassOptions AzureServices"
    if include_tasks:
        switches += ", networkRuleBypassAllowedForTasks true"
    return result.changed, f"{registry.name}: {switches}"


# -- ACR Tasks ---------------------------------------------------------------------------------


def setup_task_access(
    registry: RegistryRef | str,
    task_name: str,
    *,
    role: str = "push",
    target_registry: RegistryRef | str | None = None,
    principal_wait: float = 60,
    credential: TokenCredential | None = None,
    endpoint: str | None = None,
    cloud: str | None = None,
    client_options: Mapping[str, Any] | None = None,
) -> SetupResult:
    """Let an ACR task reach a network-restricted registry with its system-assigned identity.

    The worked example of the trusted-services document, brought up to date: (1) the task gets a
    system-assigned identity; (2) its source-registry login mode becomes ``None``; (3) a
    credential ``identity: "[system]"`` is added for the target's login server; (4) the identity
    gets ``role`` on the target (AcrPush/AcrPull, or the Repository Writer/Reader plus Catalog
    Lister on an ABAC registry); (5) the target allows trusted services *and*, since 2025-06-01,
    ACR Tasks (``networkRuleBypassAllowedForTasks``).

    Args:
        registry: the registry that hosts the task (resource ID or ``RegistryRef``).
        task_name: the task.
        role: ``push`` (build and push) or ``pull``.
        target_registry: the registry the task pulls from or pushes to; default ``registry``.
        principal_wait: seconds to wait for a new identity to replicate before the grant.
        credential, endpoint, cloud, client_options: see ``get_posture``.

    Returns:
        Each step and what changed; a failed step ends the set-up (``result.ok`` is false).

    Raises:
        ValueError: a malformed registry ID or an unknown role, before any request.
    """
    permission = {"push": Permission.PUSH, "pull": Permission.PULL}.get(role)
    if permission is None:
        raise ValueError(f"role must be 'push' or 'pull', not {role!r}")
    ref = as_registry_ref(registry)
    target = as_registry_ref(target_registry) if target_registry is not None else ref
    connection, azure = _azure(credential, endpoint, cloud, client_options)
    client = tasks_client(connection, ref)
    registries = connection.client(ContainerRegistryManagementClient, target.subscription_id)
    found: dict[str, Any] = {}
    steps = _Steps()

    def identity() -> tuple[bool, str]:
        changed, found["principal"] = ensure_system_identity(client, ref, task_name)
        return changed, f"system-assigned identity {found['principal']}"

    def login_mode() -> tuple[bool, str]:
        return ensure_source_login_none(client, ref, task_name), "sourceRegistry.loginMode None"

    def credential_step() -> tuple[bool, str]:
        found["posture"] = read_posture(registries, target)
        server = found["posture"].login_server or f"{target.name.lower()}.azurecr.io"
        changed = ensure_identity_credential(client, ref, task_name, server)
        return changed, f"customRegistries[{server}].identity [system]"

    def grant() -> tuple[bool, str]:
        return _grant_step(
            target, found["principal"], permission, connection, principal_wait=principal_wait
        )

    def catalog() -> tuple[bool, str]:
        return _grant_step(
            target,
            found["principal"],
            Permission.LIST_CATALOG,
            connection,
            principal_wait=principal_wait,
        )

    steps("task identity", identity)
    steps("source registry login mode", login_mode)
    steps("registry credential", credential_step)
    steps(f"{role} role", grant)
    posture: NetworkPosture | None = found.get("posture")
    if posture is not None and posture.effective_role_assignment_mode is RoleAssignmentMode.ABAC:
        steps("catalog lister role", catalog)
    steps("trusted access", lambda: _trusted_step(target, include_tasks=True, azure=azure))
    return steps.result()


# -- Container Instances, Machine Learning --------------------------------------------------------


def setup_container_instances_access(
    registry: RegistryRef | str,
    identity_resource_id: str,
    *,
    principal_wait: float = 60,
    credential: TokenCredential | None = None,
    endpoint: str | None = None,
    cloud: str | None = None,
    client_options: Mapping[str, Any] | None = None,
) -> SetupResult:
    """Let container groups pull from the registry with a user-assigned identity.

    ACI pulls from ACR only with a user-assigned identity (current ACI docs), named in the
    group's ``imageRegistryCredentials[].identity`` and ``identity.userAssignedIdentities``.
    Steps: read the identity, grant it pull (ABAC-aware), allow trusted services.
    """
    connection, azure = _azure(credential, endpoint, cloud, client_options)

    def identity() -> tuple[str, str]:
        read = read_user_assigned_identity(connection, identity_resource_id)
        return read.principal_id, (
            f"user-assigned identity {read.principal_id} (client {read.client_id})"
        )

    return _pull_access(
        as_registry_ref(registry),
        ("identity", identity),
        connection,
        azure,
        principal_wait=principal_wait,
    )


def setup_machine_learning_access(
    registry: RegistryRef | str,
    workspace_id: str,
    *,
    principal_wait: float = 60,
    credential: TokenCredential | None = None,
    endpoint: str | None = None,
    cloud: str | None = None,
    client_options: Mapping[str, Any] | None = None,
) -> SetupResult:
    """Let a Machine Learning workspace's identity pull from the registry.

    The workspace pulls with its primary user-assigned identity when it names one, else with
    its system-assigned identity. Steps: read that identity, grant it pull, allow trusted
    services.
    """
    connection, azure = _azure(credential, endpoint, cloud, client_options)

    def identity() -> tuple[str, str]:
        read = read_workspace_identity(connection, workspace_id)
        uses = read.container_registry or "no default registry"
        return read.principal_id, (
            f"{read.kind.value} identity {read.principal_id}; workspace uses {uses}"
        )

    return _pull_access(
        as_registry_ref(registry),
        ("workspace identity", identity),
        connection,
        azure,
        principal_wait=principal_wait,
    )


def _pull_access(
    ref: RegistryRef,
    identity: tuple[str, Callable[[], tuple[str, str]]],
    connection: Connection,
    azure: Mapping[str, Any],
    *,
    principal_wait: float,
) -> SetupResult:
    """The pull workflow every trusted service shares: read the identity that will pull,
    grant it pull (ABAC-aware), allow trusted services. ``identity`` is (step name, reader);
    the reader returns (principal id, detail)."""
    name, read = identity
    found: dict[str, str] = {}
    steps = _Steps()

    def read_step() -> tuple[bool, str]:
        found["principal"], detail = read()
        return False, detail

    steps(name, read_step)
    steps(
        "pull role",
        lambda: _grant_step(
            ref, found["principal"], Permission.PULL, connection, principal_wait=principal_wait
        ),
    )
    steps("trusted access", lambda: _trusted_step(ref, include_tasks=False, azure=azure))
    return steps.result()


# -- ACR import ---------------------------------------------------------------------------------


def setup_import_access(
    source: RegistryRef | str,
    target: RegistryRef | str,
    principal_id: str,
    *,
    principal_type: str = "ServicePrincipal",
    principal_wait: float = 60,
    credential: TokenCredential | None = None,
    endpoint: str | None = None,
    cloud: str | None = None,
    client_options: Mapping[str, Any] | None = None,
) -> SetupResult:
    """Let ``principal_id`` import from ``source`` into ``target`` when either is restricted.

    Steps: "Container Registry Data Importer and Data Reader" on both registries, then trusted
    access on each registry that is network-restricted (a registry that is not is left alone).

    Args:
        principal_type: of ``principal_id``: ``ServicePrincipal`` (default), ``User``, ``Group``.
    """
    source_ref, target_ref = as_registry_ref(source), as_registry_ref(target)
    connection, azure = _azure(credential, endpoint, cloud, client_options)
    steps = _Steps()
    for label, ref in (("source", source_ref), ("target", target_ref)):

        def importer(ref: RegistryRef = ref) -> tuple[bool, str]:
            return _grant_step(
                ref,
                principal_id,
                Permission.IMPORT,
                connection,
                principal_type=principal_type,
                principal_wait=principal_wait,
            )

        steps(f"importer role on {label}", importer)
    for label, ref in (("source", source_ref), ("target", target_ref)):

        def trusted(ref: RegistryRef = ref) -> tuple[bool, str]:
            client = connection.client(ContainerRegistryManagementClient, ref.subscription_id)
            if not read_posture(client, ref).is_restricted:
                return False, f"{ref.name} is not network-restricted; nothing to allow"
            return _trusted_step(ref, include_tasks=False, azure=azure)

        steps(f"trusted access on {label}", trusted)
    return steps.result()


@frozen
class ImportedImage:
    source_id: str
    target_id: str
    image: str
    target_tags: tuple[str, ...]


def import_image(
    source: RegistryRef | str,
    target: RegistryRef | str,
    image: str,
    *,
    target_tags: tuple[str, ...] | None = None,
    force: bool = False,
    credential: TokenCredential | None = None,
    endpoint: str | None = None,
    cloud: str | None = None,
    client_options: Mapping[str, Any] | None = None,
) -> ImportedImage:
    """``az acr import`` with the source named by resource ID, as a restricted source needs.

    Args:
        image: ``repository:tag`` or ``repository@sha256:…`` in the source.
        target_tags: tags to create in the target; default the same ``repository:tag``.
        force: overwrite existing tags (``mode: Force``).

    Raises:
        OperationFailed: the import was accepted but ended ``Failed`` (e.g. a network denial).
        PermissionDenied: the caller may not import into the target.
        RegistryNotFound: no such target registry.
    """
    source_ref, target_ref = as_registry_ref(source), as_registry_ref(target)
    tags = target_tags or (image,)
    connection, _ = _azure(credential, endpoint, cloud, client_options)
    client = connection.client(ContainerRegistryManagementClient, target_ref.subscription_id)
    parameters = ImportImageParameters(
        source=ImportSource(resource_id=source_ref.id, source_image=image),
        target_tags=list(tags),
        mode="Force" if force else "NoForce",
    )
    with arm_call(WRITE_REGISTRY, target_ref.id):
        poller = client.registries.begin_import_image(
            target_ref.resource_group, target_ref.name, parameters
        )
    try:
        with arm_call(WRITE_REGISTRY, target_ref.id):
            poller.result()
    except HttpResponseError as exc:
        if isinstance(exc.__cause__, (LroFailed, BadStatus)):
            detail = exc.message or error_code(exc) or "the import ended Failed"
            raise OperationFailed("import", target_ref.id, detail.splitlines()[0]) from exc
        raise
    return ImportedImage(source_ref.id, target_ref.id, image, tuple(tags))


# -- verification ----------------------------------------------------------------------------------


@frozen
class Verification:
    """What the run(s) showed.

    ``succeeded``: the (first) run succeeded. ``proved``: with ``prove=True``, the first run
    succeeded *and* the run with the bypass off failed; ``None`` without ``prove``.
    ``restored``: the settings put back, as ``"property: from -> to"``.
    """

    succeeded: bool
    proved: bool | None
    run_ids: tuple[str, ...]
    log_excerpt: str
    restored: tuple[str, ...] = field(factory=tuple)


# (NetworkPosture effective value, RegistryUpdateParameters keyword, ARM property name)
_TOUCHED: tuple[tuple[Callable[[NetworkPosture], object], str, str], ...] = (
    (lambda p: p.effective_public_network_access, "public_network_access", "publicNetworkAccess"),
    (
        lambda p: p.effective_bypass_options,
        "network_rule_bypass_options",
        "networkRuleBypassOptions",
    ),
    (
        lambda p: p.tasks_bypass_allowed,
        "network_rule_bypass_allowed_for_tasks",
        "networkRuleBypassAllowedForTasks",
    ),
)


def _restore(
    client: ContainerRegistryManagementClient, ref: RegistryRef, original: NetworkPosture
) -> tuple[str, ...]:
    """Put every setting the experiment may touch back to its original value (one PATCH)."""
    current = read_posture(client, ref)
    changes: dict[str, object] = {}
    restored: list[str] = []
    for value, keyword, name in _TOUCHED:
        if value(current) != value(original):
            changes[keyword] = value(original)
            restored.append(f"{name}: {value(current)} -> {value(original)}")
    if changes:
        patch_registry(client, ref, changes)
    return tuple(restored)


def verify_task_bypass(
    registry: RegistryRef | str,
    task_name: str,
    *,
    prove: bool = False,
    timeout: float = DEFAULT_RUN_TIMEOUT,
    poll_interval: float = DEFAULT_POLL_INTERVAL,
    progress: Progress | None = None,
    credential: TokenCredential | None = None,
    endpoint: str | None = None,
    cloud: str | None = None,
    client_options: Mapping[str, Any] | None = None,
) -> Verification:
    """Run the task and report whether it reached the registry, with the log line that says so.

    With ``prove=True``, the document's experiment: if the registry's public endpoint is open,
    disable public access; run (expect success); turn the bypass off (trusted services and the
    tasks switch); run (expect failure). Every setting changed is then restored to its original
    value, also when a step fails or the caller is interrupted; what was restored is reported
    (and passed to ``progress`` as it happens).

    Args:
        registry: the registry that hosts the task.
        task_name: the task to run.
        prove: perform the experiment (it changes the registry's network settings for a while).
        timeout: seconds to wait for each run.
        poll_interval: seconds between polls of a run.
        progress: called with a line each time something happens (run status changes, ...).
        credential, endpoint, cloud, client_options: see ``get_posture``.

    Raises:
        TaskNotFound, RegistryNotFound, PermissionDenied: before or during the runs.
        OperationFailed: a settings change (or the restore) ended Failed.
    """
    ref = as_registry_ref(registry)
    connection, azure = _azure(credential, endpoint, cloud, client_options)
    read_task(tasks_client(connection, ref), ref, task_name)  # fail fast, before any change

    def say(line: str) -> None:
        logger.info("%s", line)
        if progress is not None:
            progress(line)

    def run() -> RunOutcome:
        outcome = run_task(
            connection,
            ref,
            task_name,
            timeout=timeout,
            poll_interval=poll_interval,
            progress=say,
        )
        say(f"run {outcome.run_id}: {outcome.excerpt}")
        return outcome

    if not prove:
        only = run()
        return Verification(only.succeeded, None, (only.run_id,), only.excerpt)

    client = connection.client(ContainerRegistryManagementClient, ref.subscription_id)
    original = read_posture(client, ref)
    outcomes: list[RunOutcome] = []
    restored: tuple[str, ...] = ()
    try:
        if not original.public_endpoint_closed:
            say("disabling public network access for the experiment")
            with arm_call(WRITE_REGISTRY, ref.id):
                patch_registry(client, ref, {"public_network_access": "Disabled"})
        say("run 1: the bypass as configured (expect success)")
        outcomes.append(run())
        if outcomes[0].succeeded:
            say("turning the bypass off (trusted services and the tasks switch)")
            disable_trusted_access(ref, include_tasks=True, **azure)
            say("run 2: the bypass off (expect failure)")
            outcomes.append(run())
    finally:
        restored = _restore(client, ref, original)
        for line in restored:
            say(f"restored {line}")
    first = outcomes[0]
    proved = first.succeeded and len(outcomes) == 2 and not outcomes[1].succeeded
    excerpt = "\n".join(f"run {o.run_id}: {o.excerpt}" for o in outcomes)
    return Verification(
        first.succeeded, proved, tuple(o.run_id for o in outcomes), excerpt, restored
    )
