"""ARM asynchronous operations: the ``Azure-AsyncOperation`` URL a long-running write returns.

A handler that starts an operation calls :func:`start_operation` and returns its headers. The
operation URL is ``<resource id>/operationStatuses/<prefix>-<uuid>?api-version=...``, the shape
ACR's examples show, so a test can tell polling GETs apart by ``/operationStatuses/`` in the path.
Polling answers ``InProgress`` once, then ``Succeeded`` (or ``Failed`` with the error of an
``lro_fail`` fault). Every response carries a near-zero retry delay: azure-core treats
``Retry-After: 0`` as "no header" and would fall back to its 30 s default, so the emulator sends
``Retry-After-Ms`` instead and the real poller does not sleep.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from acr_trusted.testing._arm import ArmError, ArmRequest, ArmResponse, Route
from acr_trusted.testing._state import Json, Operation, State, utc_now

POLL_DELAY_HEADERS = {"Retry-After-Ms": "1"}
IN_PROGRESS_POLLS = 1


def start_operation(
    request: ArmRequest,
    state: State,
    resource_id: str,
    *,
    prefix: str,
    on_success: Callable[[], None] | None,
    on_finish: Callable[[], None] | None = None,
) -> dict[str, str]:
    """Register an operation for ``resource_id``; returns the headers of the 201/202 answer."""
    operation_id = f"{prefix}-{uuid.uuid4()}"
    state.start_operation(
        Operation(
            operation_id=operation_id,
            api_version=request.api_version,
            polls_left=IN_PROGRESS_POLLS,
            on_success=on_success,
            on_finish=on_finish,
            error=dict(request.operation_error) if request.operation_error else None,
            start_time=utc_now(),
        )
    )
    url = (
        f"{request.base_url}{resource_id}/operationStatuses/{operation_id}"
        f"?api-version={request.api_version}"
    )
    return {"Azure-AsyncOperation": url, **POLL_DELAY_HEADERS}


def get_operation_status(request: ArmRequest, state: State) -> ArmResponse:
    operation_id = request.params["operation"]
    with state.lock:
        known = state.operations.get(operation_id.lower())
        if known is None:
            raise ArmError(
                404, "OperationNotFound", f"The operation '{operation_id}' was not found."
            )
        if known.api_version != request.api_version:
            raise ArmError(
                400,
                "InvalidApiVersionParameter",
                f"The api-version '{request.api_version}' is invalid for operation "
                f"'{operation_id}'. The supported versions are '{known.api_version}'.",
            )
        state.poll_operation(operation_id)  # advances ``known`` in place
        operation = known
    body: Json = {
        "id": request.path,
        "name": operation.operation_id,
        "status": operation.status,
        "startTime": operation.start_time,
    }
    if operation.end_time is not None:
        body["endTime"] = operation.end_time
    if operation.error is not None and operation.status == "Failed":
        body["error"] = operation.error
    return ArmResponse(200, body, POLL_DELAY_HEADERS)


ROUTES: tuple[Route, ...] = (
    Route.of(
        "GET",
        r"(?P<resource>/subscriptions/.+)/operationStatuses/(?P<operation>[^/]+)",
        (),  # the operation remembers the api-version it was started with
        get_operation_status,
    ),
)
