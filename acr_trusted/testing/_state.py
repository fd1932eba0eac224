"""The emulator's in-memory Azure: one lock, plain JSON resources, indexed for fast lookups.

Resources are stored as the JSON ARM would return, keyed by their lower-cased resource ID (ARM
IDs are case-insensitive) and indexed by lower-cased type, so a later module (Resource Graph,
container groups, ...) can query across types without a schema of its own. Role assignments,
principals and long-running operations are kept beside them. Every read and write happens under
``State.lock``; readers get deep copies so that a test can never mutate the store by accident.

Seeding thousands of registries is a dict insert each; nothing here is quadratic.
"""

from __future__ import annotations

import copy
import datetime as dt
import threading
from collections.abc import Callable, Iterator
from typing import Any

from attrs import define, frozen

Json = dict[str, Any]


def utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat().replace("+00:00", "Z")


def _name_key(resource: Json) -> tuple[str, str]:
    return resource["type"].lower(), resource["name"].lower()


@frozen
class Principal:
    """A directory object the emulator knows: only these may receive role assignments."""

    object_id: str
    principal_type: str
    display_name: str


@define
class Operation:
    """An ARM asynchronous operation: ``InProgress`` for ``polls_left`` polls, then done.

    ``on_success`` runs (under the state lock) when the operation turns ``Succeeded``;
    ``on_finish`` runs either way (e.g. to restore ``provisioningState``). ``error`` set means
    the operation ends ``Failed`` with that ARM error and ``on_success`` never runs.
    """

    operation_id: str
    api_version: str
    polls_left: int
    on_success: Callable[[], None] | None
    on_finish: Callable[[], None] | None
    error: Json | None
    start_time: str
    status: str = "InProgress"
    end_time: str | None = None


class State:
    """Everything the emulator knows, behind one re-entrant lock."""

    def __init__(
        self, *, subscription_id: str, tenant_id: str, location: str, page_size: int = 1000
    ) -> None:
        self.lock = threading.RLock()
        self.page_size = page_size
        self.subscription_id = subscription_id
        self.tenant_id = tenant_id
        self.location = location
        self.resource_groups: dict[str, Json] = {}
        self._resources: dict[str, Json] = {}
        self._by_type: dict[str, dict[str, Json]] = {}
        self._by_name: dict[tuple[str, str], dict[str, Json]] = {}
        self.principals: dict[str, Principal] = {}
        self.role_assignments: dict[str, Json] = {}
        self.operations: dict[str, Operation] = {}

    # resource groups -----------------------------------------------------------------------

    def ensure_resource_group(self, name: str, location: str | None = None) -> Json:
        with self.lock:
            group = self.resource_groups.get(name.lower())
            if group is None:
                group = {
                    "id": f"/subscriptions/{self.subscription_id}/resourceGroups/{name}",
                    "name": name,
                    "type": "Microsoft.Resources/resourceGroups",
                    "location": location or self.location,
                    "properties": {"provisioningState": "Succeeded"},
                }
                self.resource_groups[name.lower()] = group
            return group

    def has_resource_group(self, name: str) -> bool:
        with self.lock:
            return name.lower() in self.resource_groups

    # generic resources ---------------------------------------------------------------------

    def put_resource(self, resource: Json) -> None:
        """Store (or replace) ``resource``; it must carry ``id`` and ``type``."""
        key = resource["id"].lower()
        with self.lock:
            self._resources[key] = resource
            self._by_type.setdefault(resource["type"].lower(), {})[key] = resource
            self._by_name.setdefault(_name_key(resource), {})[key] = resource

    def resource(self, resource_id: str) -> Json | None:
        """The stored JSON itself (not a copy): callers hold ``lock`` while they use it."""
        with self.lock:
            return self._resources.get(resource_id.lower().rstrip("/"))

    def delete_resource(self, resource_id: str) -> Json | None:
        key = resource_id.lower().rstrip("/")
        with self.lock:
            resource = self._resources.pop(key, None)
            if resource is not None:
                self._by_type[resource["type"].lower()].pop(key, None)
                self._by_name[_name_key(resource)].pop(key, None)
            return resource

    def resources_of_type(self, resource_type: str) -> Iterator[Json]:
        """The stored resources of one type, in insertion order (hold ``lock`` while iterating)."""
        return iter(list(self._by_type.get(resource_type.lower(), {}).values()))

    def resources_named(self, resource_type: str, name: str) -> list[Json]:
        """Stored resources of one type with this name (any case), in any resource group."""
        with self.lock:
            return list(self._by_name.get((resource_type.lower(), name.lower()), {}).values())

    def snapshot(self, resource_id: str) -> Json | None:
        with self.lock:
            resource = self.resource(resource_id)
            return copy.deepcopy(resource) if resource is not None else None

    def all_resources(self) -> list[Json]:
        """Deep copies of every stored resource (for queries across types)."""
        with self.lock:
            return copy.deepcopy(list(self._resources.values()))

    # principals ----------------------------------------------------------------------------

    def add_principal(self, principal: Principal) -> None:
        with self.lock:
            self.principals[principal.object_id.lower()] = principal

    def principal(self, object_id: str) -> Principal | None:
        with self.lock:
            return self.principals.get(object_id.lower())

    # long-running operations ---------------------------------------------------------------

    def start_operation(self, operation: Operation) -> None:
        with self.lock:
            self.operations[operation.operation_id.lower()] = operation

    def poll_operation(self, operation_id: str) -> Operation | None:
        """Advance the operation by one poll and return it (``None`` if unknown)."""
        with self.lock:
            operation = self.operations.get(operation_id.lower())
            if operation is None or operation.status != "InProgress":
                return operation
            if operation.polls_left > 0:
                operation.polls_left -= 1
                return operation
            if operation.error is None:
                if operation.on_success is not None:
                    operation.on_success()
                operation.status = "Succeeded"
            else:
                operation.status = "Failed"
            if operation.on_finish is not None:
                operation.on_finish()
            operation.end_time = utc_now()
            return operation
