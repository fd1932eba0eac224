"""LocalAzure: an in-process emulator of the ARM endpoints acr-trusted uses, for tests.

It is a test double and says so (``Server: acr-trusted-LocalAzure``, certificates issued by
"acr-trusted LocalAzure CA"); it never talks to Azure. The real azure-mgmt clients run their real
pipelines against it (serialization, retries, long-running-operation polling, error mapping)::

    from acr_trusted.testing import LocalAzure
    from azure.mgmt.containerregistry import ContainerRegistryManagementClient

    with LocalAzure() as az:
        ref = az.add_registry("contoso", public_network_access="Disabled")
        client = ContainerRegistryManagementClient(
            az.credential, az.subscription_id, base_url=az.endpoint, **az.client_options
        )
        client.registries.begin_update(ref.resource_group, ref.name, {...}).result()
        assert az.registry(ref)["properties"][...] == ...

What it serves (see ``docs/emulator.md`` for shapes, rules and status codes):

- ``Microsoft.ContainerRegistry/registries`` (api 2025-11-01): GET, list by subscription and by
  resource group, PUT, PATCH (a long-running operation: 201 + ``Azure-AsyncOperation``; the poll
  answers ``InProgress`` once, then ``Succeeded``), DELETE, private endpoint connections;
- ``Microsoft.Authorization`` role assignments and role definitions (api 2022-04-01), with ARM's
  409 ``RoleAssignmentExists``, 400 ``PrincipalNotFound`` / ``UnmatchedPrincipalType`` /
  ``RoleAssignmentUpdateNotPermitted`` and the list filters ``atScope()``, ``assignedTo()``,
  ``principalId eq``.

Every request needs the bearer token of ``az.credential`` (401 otherwise), a known api-version
(400 ``InvalidApiVersionParameter``) and a body of the known shape (400
``InvalidRequestContent``). ``az.inject(...)`` adds faults: an ARM error with ``Retry-After``, a
dropped connection, or a long-running operation that ends ``Failed``. ``az.requests`` records
method, path, api-version, parsed body and status of every request (never headers or tokens).

Extending it: write ``_<resource>.py`` with ``ROUTES`` (see :mod:`acr_trusted.testing._arm`) and
add the module to ``_server.ROUTE_MODULES``; keep resources as ARM JSON in ``State``.
"""

from __future__ import annotations

from acr_trusted.testing._emulator import LocalAzure
from acr_trusted.testing._faults import Fault
from acr_trusted.testing._server import RecordedRequest

__all__ = ["Fault", "LocalAzure", "RecordedRequest"]
