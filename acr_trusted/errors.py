"""The exceptions acr-trusted raises, each one a case a caller would branch on.

::

    AcrTrustedError                 base: catch this to handle any failure of the package
    ├── RegistryNotFound            the registry (or its resource group / subscription) is absent
    ├── PermissionDenied            the caller lacks an Azure action; names it and a role with it
    ├── PrincipalNotFound           the identity is unknown to Entra ID, even after waiting
    └── OperationFailed             a long-running ARM operation ended ``Failed`` or ``Canceled``

The SDK layer raises them ``from`` the azure-core error that caused them, so the HTTP status
and ARM error code stay reachable through ``__cause__``. Messages are built from resource IDs,
action names and ARM error codes only; they never quote a request, a header or a token.
This module is stdlib-only so that the linter and the CLI can import it cheaply.
"""

from __future__ import annotations


class AcrTrustedError(Exception):
    """Base class of every error acr-trusted raises on purpose."""


class RegistryNotFound(AcrTrustedError):
    """The registry does not exist, or the caller cannot see it."""

    def __init__(self, registry_id: str) -> None:
        super().__init__(f"registry not found: {registry_id}")
        self.registry_id = registry_id


class PermissionDenied(AcrTrustedError):
    """The caller's identity lacks the Azure action an operation needs."""

    def __init__(self, action: str, scope: str, roles: tuple[str, ...]) -> None:
        suggestion = " or ".join(f"'{r}'" for r in roles)
        super().__init__(
            f"permission denied: {action} on {scope}; "
            f"assign the caller a role that carries it, e.g. {suggestion}"
        )
        self.action = action
        self.scope = scope
        self.roles = roles


class PrincipalNotFound(AcrTrustedError):
    """Entra ID does not know the principal, even after waiting for replication."""

    def __init__(self, principal_id: str, waited: float) -> None:
        super().__init__(
            f"principal {principal_id} does not exist in the directory "
            f"(retried for {waited:g}s to allow for replication delay); check the object ID "
            "(not the client/application ID) of the managed identity or service principal"
        )
        self.principal_id = principal_id
        self.waited = waited


class OperationFailed(AcrTrustedError):
    """A long-running operation was accepted but ended ``Failed`` or ``Canceled``."""

    def __init__(self, operation: str, resource_id: str, detail: str) -> None:
        super().__init__(f"{operation} failed on {resource_id}: {detail}")
        self.operation = operation
        self.resource_id = resource_id
        self.detail = detail
