"""The emulator's request/response model and route table, independent of HTTP.

Every resource module (``_registries``, ``_rbac``, ...) exposes ``ROUTES``: a tuple of
:class:`Route`, each a method, a path regex, the api-versions the real clients send, and a
handler ``(ArmRequest, State) -> ArmResponse``. The server matches the path case-insensitively
(ARM paths are), checks the method and the api-version, and calls the handler. A handler signals
an ARM error by raising :class:`ArmError`, which becomes ``{"error": {"code", "message"}}``.

Adding a resource type means writing one module with ``ROUTES`` and listing it in
``_server.ROUTE_MODULES``; nothing else changes.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from attrs import field, frozen

if TYPE_CHECKING:
    from acr_trusted.testing._state import State


class ArmError(Exception):
    """An ARM error response: HTTP status plus the ``error.code`` and ``error.message``."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})

    def response(self) -> ArmResponse:
        body = {"error": {"code": self.code, "message": self.message}}
        return ArmResponse(self.status, body, self.headers)


@frozen
class ArmRequest:
    """One parsed ARM call, as a handler sees it.

    ``params`` holds the named groups of the route's regex; ``base_url`` is the emulator's
    endpoint, for building absolute operation URLs; ``operation_error`` is set when an injected
    ``lro_fail`` fault matched: the operation the handler starts then ends Failed with it.
    """

    method: str
    path: str
    query: Mapping[str, str]
    body: Any
    params: Mapping[str, str]
    base_url: str
    api_version: str
    operation_error: Mapping[str, str] | None = None


@frozen
class ArmResponse:
    status: int
    body: Any = None
    headers: Mapping[str, str] = field(factory=dict)


Handler = Callable[[ArmRequest, "State"], ArmResponse]


@frozen
class Route:
    """``method`` + ``pattern`` (a full-match regex over the path) served by ``handler``."""

    method: str
    pattern: re.Pattern[str]
    api_versions: frozenset[str]
    handler: Handler

    @classmethod
    def of(
        cls, method: str, pattern: str, api_versions: tuple[str, ...], handler: Handler
    ) -> Route:
        return cls(method, re.compile(pattern, re.IGNORECASE), frozenset(api_versions), handler)


def get_stored(resource_type: str) -> Handler:
    """A GET handler that answers with the stored resource at the request path, or ARM's 404.

    The route's pattern names the resource ``name`` and its resource group ``rg``.
    """

    def get(request: ArmRequest, state: State) -> ArmResponse:
        with state.lock:
            found = state.resource(request.path)
            if found is None:
                raise not_found(resource_type, request.params["name"], request.params["rg"])
            return ArmResponse(200, copy.deepcopy(found))

    return get


def not_found(resource_type: str, name: str, resource_group: str) -> ArmError:
    """ARM's 404 for a missing resource inside an existing resource group."""
    return ArmError(
        404,
        "ResourceNotFound",
        f"The Resource '{resource_type}/{name}' under resource group '{resource_group}' was not "
        "found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
    )


def invalid_content(message: str) -> ArmError:
    """The 400 the emulator answers for a body that does not fit the schema it knows."""
    return ArmError(400, "InvalidRequestContent", message)


def paged(request: ArmRequest, items: Sequence[Any], page_size: int) -> ArmResponse:
    """One page of a list answer; more pages are chained through ``nextLink`` (``$skipToken``)."""
    token = next((v for k, v in request.query.items() if k.lower() == "$skiptoken"), "0")
    if not token.isdigit():
        raise ArmError(400, "InvalidSkipToken", f"The skip token '{token}' is not valid.")
    start = int(token)
    body: dict[str, Any] = {"value": list(items[start : start + page_size])}
    if start + page_size < len(items):
        query = {k: v for k, v in request.query.items() if k.lower() != "$skiptoken"}
        query["$skipToken"] = str(start + page_size)
        body["nextLink"] = f"{request.base_url}{request.path}?{urlencode(query)}"
    return ArmResponse(200, body)
