"""``LocalAzure``: start the emulator, seed it, fault it, and inspect what it saw."""

from __future__ import annotations

import copy
import shutil
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from acr_trusted.catalog import find_role
from acr_trusted.ids import RegistryRef
from acr_trusted.testing import _dataplane, _ml, _rbac, _registries, _tasks
from acr_trusted.testing._arm import ArmError
from acr_trusted.testing._credential import LocalCredential
from acr_trusted.testing._faults import Fault
from acr_trusted.testing._identities import ManagedIdentity, as_identity
from acr_trusted.testing._server import ArmServer, RecordedRequest
from acr_trusted.testing._state import Json, Principal, State
from acr_trusted.testing._tls import make_tls_files

DEFAULT_SUBSCRIPTION_ID = "00000000-0000-0000-0000-000000000001"
DEFAULT_TENANT_ID = "00000000-0000-0000-0000-0000000000aa"
ClientT = TypeVar("ClientT")
IDENTITY_TYPE = "Microsoft.ManagedIdentity/userAssignedIdentities"


class LocalAzure:
    """An in-process ARM emulator over HTTPS on 127.0.0.1; a context manager.

    Args:
        subscription_id: the one subscription it serves (others are ``SubscriptionNotFound``).
        tenant_id: the directory named in ``PrincipalNotFound`` messages.
        location: where seeded resources live unless told otherwise.
        page_size: list answers hold at most this many items and chain the rest by
            ``nextLink``.
    """

    def __init__(
        self,
        *,
        subscription_id: str = DEFAULT_SUBSCRIPTION_ID,
        tenant_id: str = DEFAULT_TENANT_ID,
        location: str = "westus",
        page_size: int = 1000,
    ) -> None:
        self.state = State(
            subscription_id=subscription_id,
            tenant_id=tenant_id,
            location=location,
            page_size=page_size,
        )
        self.credential = LocalCredential()
        self._server: ArmServer | None = None
        self._thread: threading.Thread | None = None
        self._tempdir: Path | None = None
        self._ca_bundle: Path | None = None

    # lifecycle ------------------------------------------------------------------------------

    def start(self) -> LocalAzure:
        if self._server is not None:
            return self
        self._tempdir = Path(tempfile.mkdtemp(prefix="acr-trusted-localazure-"))
        tls = make_tls_files(self._tempdir)
        self._ca_bundle = tls.ca_bundle
        self._server = ArmServer(self.state, self.credential, tls.server_context())
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="LocalAzure",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._tempdir is not None:
            shutil.rmtree(self._tempdir, ignore_errors=True)
            self._tempdir = None

    def __enter__(self) -> LocalAzure:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self._server.base_url if self._server else "stopped"
        return f"LocalAzure({where}, subscription {self.subscription_id})"

    # what clients need ----------------------------------------------------------------------

    @property
    def server(self) -> ArmServer:
        if self._server is None:
            raise RuntimeError("LocalAzure is not running: use 'with LocalAzure() as az:'")
        return self._server

    @property
    def endpoint(self) -> str:
        """The ARM base URL, ``https://127.0.0.1:<port>``."""
        return self.server.base_url

    @property
    def ca_bundle(self) -> str:
        """Path of the PEM CA certificate that signed the emulator's TLS certificate."""
        self.server  # noqa: B018 (raises when stopped)
        return str(self._ca_bundle)

    @property
    def subscription_id(self) -> str:
        return self.state.subscription_id

    @property
    def tenant_id(self) -> str:
        return self.state.tenant_id

    @property
    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for every azure-mgmt client constructor (trust the emulator's CA)."""
        return {"connection_verify": self.ca_bundle}

    @property
    def kwargs(self) -> dict[str, Any]:
        """``credential=``, ``endpoint=``, ``client_options=`` for every acr_trusted call."""
        return {
            "credential": self.credential,
            "endpoint": self.endpoint,
            "client_options": self.client_options,
        }

    def client(self, client_class: Callable[..., ClientT], **options: Any) -> ClientT:
        """An azure-mgmt client of ``client_class`` wired to the emulator.

        ``client(ContainerRegistryManagementClient, retry_backoff_factor=0.01)`` passes the
        credential, the subscription, ``base_url`` and :attr:`client_options`, plus ``options``.
        """
        return client_class(
            self.credential,
            self.subscription_id,
            base_url=self.endpoint,
            **{**self.client_options, **options},
        )

    # seeding --------------------------------------------------------------------------------

    def add_resource_group(self, name: str, *, location: str | None = None) -> str:
        """Create a resource group (idempotent); returns its ID."""
        group_id: str = self.state.ensure_resource_group(name, location)["id"]
        return group_id

    def add_registry(
        self,
        name: str,
        *,
        sku: str = "Premium",
        public_network_access: str | None = None,
        network_rule_bypass_options: str | None = None,
        role_assignment_mode: str | None = None,
        network_rule_bypass_allowed_for_tasks: bool | None = None,
        default_action: str | None = None,
        ip_rules: Iterable[str] = (),
        private_endpoints: int = 0,
        resource_group: str = "rg",
        location: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> RegistryRef:
        """Seed a registry directly (no HTTP); omitted settings take ARM's defaults.

        Raises:
            ValueError: an invalid setting (same message the REST API would give) or a name
                that is already taken (registry names are global).
        """
        ref = RegistryRef(self.subscription_id, resource_group, name)
        properties: Json = {}
        for key, value in (
            ("publicNetworkAccess", public_network_access),
            ("networkRuleBypassOptions", network_rule_bypass_options),
            ("roleAssignmentMode", role_assignment_mode),
            ("networkRuleBypassAllowedForTasks", network_rule_bypass_allowed_for_tasks),
        ):
            if value is not None:
                properties[key] = value
        rules = [{"action": "Allow", "value": value} for value in ip_rules]
        if default_action is not None or rules:
            properties["networkRuleSet"] = {"defaultAction": default_action or "Allow"}
            properties["networkRuleSet"]["ipRules"] = rules
        sku_name, checked = _registries.validated_seed(sku, properties)
        with self.state.lock:
            if _registries.find_by_name(self.state, name):
                raise ValueError(f"a registry named {name!r} already exists")
            self.state.ensure_resource_group(resource_group)
            self.state.put_resource(
                _registries.build_registry(
                    ref,
                    location=location or self.state.location,
                    sku=sku_name,
                    properties=checked,
                    tags=dict(tags or {}),
                    private_endpoints=private_endpoints,
                )
            )
        return ref

    def add_managed_identity(self, name: str, *, resource_group: str = "rg") -> str:
        """Seed a user-assigned managed identity; returns its principal (object) ID."""
        principal_id = str(uuid.uuid4())
        self.state.ensure_resource_group(resource_group)
        self.state.put_resource(
            {
                "id": (
                    f"/subscriptions/{self.subscription_id}/resourceGroups/{resource_group}"
                    f"/providers/{IDENTITY_TYPE}/{name}"
                ),
                "name": name,
                "type": IDENTITY_TYPE,
                "location": self.state.location,
                "tags": {},
                "properties": {
                    "tenantId": self.tenant_id,
                    "principalId": principal_id,
                    "clientId": str(uuid.uuid4()),
                },
            }
        )
        self.state.add_principal(Principal(principal_id, "ServicePrincipal", name))
        return principal_id

    def add_user_assigned_identity(
        self, name: str, *, resource_group: str = "rg"
    ) -> ManagedIdentity:
        """Seed a user-assigned identity; returns its resource, principal and client IDs."""
        self.add_managed_identity(name, resource_group=resource_group)
        return as_identity(self.managed_identity(name, resource_group=resource_group))

    def add_task(
        self,
        registry: RegistryRef | str,
        name: str,
        *,
        identity: str | None = "SystemAssigned",
        agent_pool: str | None = None,
        credentials: Mapping[str, Any] | None = None,
        image: str = "hello-world:{{.Run.ID}}",
    ) -> Json:
        """Seed an ACR task, a Docker build pushing ``image``, as ``az acr task create`` would.

        Args:
            registry: the registry that hosts the task.
            identity: ``SystemAssigned``, ``None``, or a user-assigned identity's resource ID.
            agent_pool: run on this agent pool (inside the virtual network).
            credentials: the task's ``credentials`` JSON (``sourceRegistry``,
                ``customRegistries``); omitted means ``loginMode: Default`` and none custom.

        Returns:
            The stored task (with its identity's ``principalId``), credentials not hidden.
        """
        stored = self.registry(registry)
        identity_json: Json | None = None
        if identity == "SystemAssigned":
            identity_json = {"type": "SystemAssigned"}
        elif identity is not None:
            identity_json = {"type": "UserAssigned", "userAssignedIdentities": {identity: {}}}
        properties: Json = {
            "step": {
                "type": "Docker",
                "imageNames": [image],
                "dockerFilePath": "Dockerfile",
                "contextPath": "https://github.com/Azure-Samples/acr-build-helloworld-node.git",
                "isPushEnabled": True,
            },
            "credentials": dict(credentials or {}),
        }
        if agent_pool is not None:
            properties["agentPoolName"] = agent_pool
        body: Json = {"location": stored["location"], "properties": properties}
        if identity_json is not None:
            body["identity"] = identity_json
        try:
            with self.state.lock:
                task = _tasks.build_task(self.state, stored, name, body)
                self.state.put_resource(task)
        except ArmError as exc:
            raise ValueError(f"{exc.code}: {exc.message}") from None
        return copy.deepcopy(task)

    def task(self, registry: RegistryRef | str, name: str) -> Json:
        """The stored task JSON (a copy, credential details included)."""
        found = self.state.snapshot(f"{self.registry(registry)['id']}/tasks/{name}")
        if found is None:
            raise KeyError(f"no task {name!r} in registry {registry}")
        return found

    def run_log(self, run_id: str) -> str:
        """The log of a run, by its resource ID (``…/registries/<r>/runs/<id>``)."""
        with self.state.lock:
            return "\n".join(_dataplane.extras(self.state).run_logs.get(run_id.lower(), []))

    def add_workspace(
        self,
        name: str,
        *,
        container_registry: RegistryRef | str | None = None,
        user_assigned_identity: str | None = None,
        resource_group: str = "rg",
    ) -> Json:
        """Seed a Machine Learning workspace (system-assigned identity unless a UAMI is given)."""
        self.state.ensure_resource_group(resource_group)
        properties: Json = {}
        if container_registry is not None:
            properties["containerRegistry"] = str(container_registry)
        body: Json = {"location": self.state.location, "properties": properties}
        if user_assigned_identity is not None:
            body["identity"] = {
                "type": "UserAssigned",
                "userAssignedIdentities": {user_assigned_identity: {}},
            }
            properties["primaryUserAssignedIdentity"] = user_assigned_identity
        resource_id = (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{resource_group}"
            f"/providers/{_ml.TYPE}/{name}"
        )
        try:
            with self.state.lock:
                workspace = _ml.build_workspace(self.state, resource_id, body, None)
                self.state.put_resource(workspace)
        except ArmError as exc:
            raise ValueError(f"{exc.code}: {exc.message}") from None
        return copy.deepcopy(workspace)

    def act_as(self, principal_id: str | None) -> None:
        """Make ARM calls that act on data (import) run as this principal (``None``: owner)."""
        with self.state.lock:
            _dataplane.extras(self.state).caller_principal_id = principal_id

    def data_plane_access(
        self,
        registry: RegistryRef | str,
        *,
        service: str,
        principal_id: str | None = None,
        identity_kind: str | None = None,
        action: str = "pull",
        agent_pool: bool = False,
    ) -> _dataplane.Decision:
        """The emulator's own answer: may ``service`` with this identity do ``action``?

        ``service`` is ``acr-tasks``, ``aci``, ``ml``, ``acr-import``, ``defender``,
        ``app-service`` or ``client``; ``identity_kind`` ``SystemAssigned`` or
        ``UserAssigned`` for a managed identity token. Without a principal, only Defender
        (which needs no customer identity) is authorized.
        """
        caller = _dataplane.Caller(
            service,
            identity_kind,
            principal_id,
            from_vnet=agent_pool,
            authorized=principal_id is None and service == "defender",
        )
        with self.state.lock:
            stored = self.state.resource(self.registry(registry)["id"])
            if stored is None:
                raise KeyError(f"no registry {registry}")
            return _dataplane.decide(self.state, stored, caller, action)

    def imported_images(self, registry: RegistryRef | str) -> list[str]:
        """Tags imported into the registry by ``importImage``, in order."""
        registry_id = self.registry(registry)["id"].lower()
        with self.state.lock:
            return list(_dataplane.extras(self.state).imported.get(registry_id, []))

    def managed_identity(self, name: str, *, resource_group: str = "rg") -> Json:
        """The stored JSON of a managed identity seeded by :meth:`add_managed_identity`."""
        resource_id = (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{resource_group}"
            f"/providers/{IDENTITY_TYPE}/{name}"
        )
        found = self.state.snapshot(resource_id)
        if found is None:
            raise KeyError(f"no managed identity {name!r} in resource group {resource_group!r}")
        return found

    def add_principal(
        self,
        principal_type: str = "User",
        *,
        principal_id: str | None = None,
        display_name: str | None = None,
    ) -> str:
        """Seed a directory object (User, Group, ServicePrincipal, ...); returns its ID."""
        canonical = _rbac.PRINCIPAL_TYPES_BY_LOWER.get(principal_type.lower())
        if canonical is None:
            raise ValueError(
                f"unknown principal type {principal_type!r}; expected one of "
                f"{', '.join(_rbac.PRINCIPAL_TYPES)}"
            )
        object_id = principal_id or str(uuid.uuid4())
        self.state.add_principal(Principal(object_id, canonical, display_name or object_id))
        return object_id

    def add_role_assignment(
        self,
        scope: RegistryRef | str,
        principal_id: str,
        role: str,
        *,
        principal_type: str | None = None,
        name: str | None = None,
        condition: str | None = None,
    ) -> Json:
        """Seed a role assignment under the same rules as the REST PUT.

        Args:
            scope: a resource ID (or a RegistryRef).
            principal_id: a principal seeded before.
            role: a built-in role name, GUID or role-definition ID from the catalog.
            principal_type: sent as-is; omitted means the principal's own type.

        Raises:
            ValueError: the REST API would have refused it (message and code included).
        """
        found = find_role(role)
        if found is None:
            raise ValueError(f"unknown built-in role {role!r}")
        properties: Json = {
            "roleDefinitionId": found.definition_id(self.subscription_id),
            "principalId": principal_id,
        }
        if principal_type is not None:
            properties["principalType"] = principal_type
        if condition is not None:
            properties["condition"] = condition
            properties["conditionVersion"] = "2.0"
        try:
            _, stored = _rbac.create_assignment(
                self.state,
                "/" + str(scope).strip("/"),
                name or str(uuid.uuid4()),
                {"properties": properties},
            )
        except ArmError as exc:
            raise ValueError(f"{exc.code}: {exc.message}") from None
        return stored

    # inspection -----------------------------------------------------------------------------

    def registry(self, ref_or_name: RegistryRef | str) -> Json:
        """The stored registry JSON (a copy), by RegistryRef, resource ID or unique name."""
        if isinstance(ref_or_name, RegistryRef) or ref_or_name.startswith("/"):
            found = self.state.snapshot(str(ref_or_name))
            if found is None:
                raise KeyError(f"no registry {ref_or_name}")
            return found
        with self.state.lock:
            matches = _registries.find_by_name(self.state, ref_or_name)
            if len(matches) != 1:
                raise KeyError(f"{len(matches)} registries are named {ref_or_name!r}")
            return copy.deepcopy(matches[0])

    def role_assignments(self, scope: RegistryRef | str | None = None) -> list[Json]:
        """Stored role assignments (copies): all, or those exactly at ``scope``."""
        return _rbac.assignments_at(self.state, None if scope is None else str(scope))

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, oldest first (a copy; see :meth:`clear_requests`)."""
        with self.server.record_lock:
            return list(self.server.requests)

    def clear_requests(self) -> None:
        with self.server.record_lock:
            self.server.requests.clear()

    def inject(
        self,
        *,
        method: str | None = None,
        path_contains: str = "",
        status: int | None = None,
        times: int = 1,
        code: str | None = None,
        message: str | None = None,
        retry_after: float | None = None,
        drop_connection: bool = False,
        lro_fail: bool = False,
    ) -> Fault:
        """Make the next ``times`` matching requests fail; returns the fault (see ``remaining``).

        Exactly one of ``status`` (an ARM error, with ``Retry-After`` if ``retry_after``),
        ``drop_connection`` (close without answering) or ``lro_fail`` (serve the write, but its
        long-running operation ends ``Failed`` with ``code``/``message``) must be given.

        Raises:
            ValueError: no action, several actions, ``times < 1`` or a non-error status.
        """
        fault = Fault(
            method=method.upper() if method else None,
            path_contains=path_contains,
            remaining=times,
            status=status,
            code=code,
            message=message,
            retry_after=retry_after,
            drop_connection=drop_connection,
            lro_fail=lro_fail,
        )
        self.server.faults.append(fault)
        return fault
