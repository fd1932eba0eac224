"""Injected faults: the failures a real Azure call can meet, on demand and counted down.

A :class:`Fault` matches a request by method (``None`` = any) and a substring of the path
(case-insensitive), and fires for the next ``times`` matching requests. It either answers with an
ARM error (``status`` + ``code``, with ``Retry-After`` when ``retry_after`` is set), closes the
connection without a response (``drop_connection``), or lets the request through but makes the
long-running operation it starts end ``Failed`` (``lro_fail``). Faults are checked in the order
they were injected; the first live match wins.
"""

from __future__ import annotations

import threading
from typing import Any

from attrs import define, field

from acr_trusted.testing._arm import ArmError

_DEFAULT_CODES = {
    400: "BadRequest",
    404: "NotFound",
    409: "Conflict",
    429: "TooManyRequests",
    500: "InternalServerError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}


def principal_not_found_message(principal_id: str, tenant_id: str) -> str:
    """ARM's PrincipalNotFound text (Azure docs, role-based-access-control/troubleshooting.md)."""
    return (
        f"Principal {principal_id} does not exist in the directory {tenant_id}. Check that you "
        "have the correct principal ID. If you are creating this principal and then immediately "
        "assigning a role, this error might be related to a replication delay. In this case, set "
        "the role assignment principalType property to a value, such as ServicePrincipal, User, "
        "or Group.  See https://aka.ms/docs-principaltype"
    )


@define
class Fault:
    """One injected fault; ``remaining`` counts down to 0, after which it no longer matches."""

    method: str | None
    path_contains: str
    remaining: int
    status: int | None = None
    code: str | None = None
    message: str | None = None
    retry_after: float | None = None
    drop_connection: bool = False
    lro_fail: bool = False
    _lock: threading.Lock = field(factory=threading.Lock, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        actions = (self.status is not None) + self.drop_connection + self.lro_fail
        if actions != 1:
            raise ValueError("a fault needs exactly one of status=, drop_connection=, lro_fail=")
        if self.remaining < 1:
            raise ValueError(f"times must be at least 1, got {self.remaining}")
        if self.status is not None and not 400 <= self.status <= 599:
            raise ValueError(f"status must be an HTTP error (400-599), got {self.status}")

    def claim(self, method: str, path: str) -> bool:
        """True (and one use spent) if this fault applies to the request."""
        if self.method is not None and self.method.upper() != method.upper():
            return False
        if self.path_contains.lower() not in path.lower():
            return False
        with self._lock:
            if self.remaining <= 0:
                return False
            self.remaining -= 1
            return True

    def error(self, body: Any, tenant_id: str) -> ArmError:
        """The ARM error this fault answers with (only for ``status`` faults)."""
        status = self.status or 500
        code = self.code or _DEFAULT_CODES.get(status, "InternalServerError")
        message = self.message
        if message is None and code == "PrincipalNotFound":
            principal_id = _principal_id(body)
            message = principal_not_found_message(principal_id, tenant_id)
        if message is None:
            message = f"LocalAzure injected fault: HTTP {status} {code}."
        headers = {}
        if self.retry_after is not None:
            headers["Retry-After"] = f"{self.retry_after:g}"
        return ArmError(status, code, message, headers=headers)

    def operation_error(self) -> dict[str, str]:
        """The ``error`` of an operation this fault makes fail (``lro_fail`` faults)."""
        return {
            "code": self.code or "InternalServerError",
            "message": self.message or "LocalAzure injected fault: the operation ended Failed.",
        }


def _principal_id(body: Any) -> str:
    if isinstance(body, dict) and isinstance(body.get("properties"), dict):
        return str(body["properties"].get("principalId", "<unknown>"))
    return "<unknown>"
