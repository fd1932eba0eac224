from __future__ import annotations

from typing import Any

import pytest

from acr_trusted.testing._faults import Fault, principal_not_found_message


def fault(**kwargs: Any) -> Fault:
    return Fault(**{"method": None, "path_contains": "", "remaining": 1, **kwargs})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({}, "exactly one of", id="no-action"),
        pytest.param({"status": 500, "drop_connection": True}, "exactly one of", id="two-actions"),
        pytest.param({"status": 500, "remaining": 0}, "times must be at least 1", id="times"),
        pytest.param({"status": 200}, "status must be an HTTP error", id="status"),
    ],
)
def test_invalid_fault_is_refused(kwargs: dict[str, Any], message: str) -> None:
    """A fault that could not fire sensibly is a ValueError at inject time."""
    with pytest.raises(ValueError, match=message):
        fault(**kwargs)


def test_claim_matches_method_and_path_and_counts_down() -> None:
    """Method and path substring both match case-insensitively; `remaining` is spent per match."""
    injected = fault(method="PUT", path_contains="/roleAssignments/", remaining=2, status=500)
    assert not injected.claim("GET", "/x/providers/Microsoft.Authorization/roleassignments/1")
    assert not injected.claim("PUT", "/x/registries/r")
    assert injected.claim("put", "/x/providers/Microsoft.Authorization/ROLEASSIGNMENTS/1")
    assert injected.claim("PUT", "/x/roleAssignments/2")
    assert not injected.claim("PUT", "/x/roleAssignments/3")
    assert injected.remaining == 0


def test_error_defaults() -> None:
    """Status faults get ARM-like default codes and Retry-After when asked."""
    throttled = fault(status=429, retry_after=1).error(None, "tenant")
    assert (throttled.code, throttled.headers) == ("TooManyRequests", {"Retry-After": "1"})
    assert fault(status=503).error(None, "t").code == "ServiceUnavailable"
    assert fault(status=418).error(None, "t").code == "InternalServerError"
    assert fault(status=500).error(None, "t").headers == {}


def test_principal_not_found_message_names_the_principal() -> None:
    """A PrincipalNotFound fault quotes the principal from the request body, as ARM does."""
    body = {"properties": {"principalId": "p-1"}}
    error = fault(status=400, code="PrincipalNotFound").error(body, "tenant-1")
    assert error.message == principal_not_found_message("p-1", "tenant-1")
    assert error.message.startswith("Principal p-1 does not exist in the directory tenant-1.")
    assert "<unknown>" in fault(status=400, code="PrincipalNotFound").error([], "t").message


def test_operation_error() -> None:
    """lro_fail faults describe the failed operation with their code and message."""
    assert fault(lro_fail=True).operation_error()["code"] == "InternalServerError"
    custom = fault(lro_fail=True, code="Conflict", message="m").operation_error()
    assert custom == {"code": "Conflict", "message": "m"}
