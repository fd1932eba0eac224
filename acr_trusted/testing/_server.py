"""The HTTPS front of LocalAzure: TLS, bearer-token check, faults, recording and routing.

One ``ThreadingHTTPServer`` on ``127.0.0.1`` (a free port) serves HTTP/1.1 with keep-alive over
TLS. Each request goes through, in order:

1. parse the path (``//`` collapsed, percent-decoding undone) and the JSON body;
2. record it in :attr:`ArmServer.requests` (method, path, api-version, parsed body, status;
   never headers, so the bearer token is never stored);
3. 401 unless it carries the bearer token the emulator's credential issued;
4. the first live injected :class:`~acr_trusted.testing._faults.Fault` that matches;
5. the route table: 404 for an unknown path, 405 for a known path with another method,
   400 for a missing or unknown api-version, then the handler.

Every response says what it is: ``Server: acr-trusted-LocalAzure``.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import ssl
import threading
import uuid
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from attrs import field, frozen

from acr_trusted.testing import (
    _containerinstance,
    _identities,
    _import,
    _ml,
    _operations,
    _rbac,
    _registries,
    _resourcegraph,
    _tasks,
)
from acr_trusted.testing._arm import ArmError, ArmRequest, ArmResponse, Route, invalid_content
from acr_trusted.testing._credential import LocalCredential
from acr_trusted.testing._faults import Fault
from acr_trusted.testing._state import State

logger = logging.getLogger("acr_trusted.testing")

SERVER_NAME = "acr-trusted-LocalAzure"
ROUTE_MODULES = (
    _registries,
    _rbac,
    _operations,
    _identities,
    _tasks,
    _containerinstance,
    _ml,
    _import,
    _resourcegraph,
)
ROUTES: tuple[Route, ...] = tuple(r for module in ROUTE_MODULES for r in module.ROUTES)
_POLL_PATH = re.compile(r"/(operationStatuses|operationResults|asyncOperations)/", re.IGNORECASE)


@frozen
class RecordedRequest:
    """One request the emulator received; ``status`` is ``None`` for a dropped connection.

    ``query`` holds the query parameters other than ``api-version`` (e.g. ``$filter``).
    """

    method: str
    path: str
    api_version: str | None
    body: Any
    status: int | None
    query: Mapping[str, str] = field(factory=dict)

    # The contract documents a request as "(method, path, api_version, json body)", so a
    # recorded request also unpacks and indexes as that 4-tuple.
    def _contract(self) -> tuple[str, str, str | None, Any]:
        return (self.method, self.path, self.api_version, self.body)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._contract())

    def __getitem__(self, index: int) -> Any:
        return self._contract()[index]

    def __len__(self) -> int:
        return 4

    @property
    def is_poll(self) -> bool:
        """True for a GET of a long-running operation's status URL."""
        return self.method == "GET" and bool(_POLL_PATH.search(self.path))

    @property
    def is_write(self) -> bool:
        return self.method in ("PUT", "PATCH", "POST", "DELETE")


def normalize_path(raw: str) -> str:
    path = re.sub(r"/{2,}", "/", unquote(raw))
    return path.rstrip("/") or "/"


def route(method: str, path: str) -> tuple[Route, dict[str, str]]:
    """The route serving ``method path``; ArmError 404/405 if there is none."""
    allowed = []
    for candidate in ROUTES:
        match = candidate.pattern.fullmatch(path)
        if match is None:
            continue
        if candidate.method == method:
            return candidate, {k: v for k, v in match.groupdict().items() if v is not None}
        allowed.append(candidate.method)
    if allowed:
        raise ArmError(
            405,
            "MethodNotAllowed",
            f"LocalAzure does not support {method} on '{path}'; it supports "
            f"{', '.join(sorted(set(allowed)))}.",
        )
    raise ArmError(
        404, "NotFound", f"LocalAzure does not emulate '{path}' (no route for this resource type)."
    )


def check_api_version(candidate: Route, api_version: str | None) -> str:
    if not api_version:
        raise ArmError(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )
    if candidate.api_versions and api_version not in candidate.api_versions:
        supported = ", ".join(sorted(candidate.api_versions))
        raise ArmError(
            400,
            "InvalidApiVersionParameter",
            f"The api-version '{api_version}' is invalid. The supported versions are "
            f"'{supported}'.",
        )
    return api_version


class ArmServer(ThreadingHTTPServer):
    """The listening server; owns the faults and the request log, shares ``state``."""

    daemon_threads = True

    def __init__(self, state: State, credential: LocalCredential, tls: ssl.SSLContext) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state
        self.credential = credential
        self.tls = tls
        self.faults: list[Fault] = []
        self.requests: list[RecordedRequest] = []
        self.record_lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.server_address[1]}"

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = self.socket.accept()
        # The handshake runs in the handler's thread, so a stuck client blocks nobody else.
        return self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), address

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug("LocalAzure: connection from %s ended with an error", client_address)

    def record(self, entry: RecordedRequest) -> None:
        with self.record_lock:
            self.requests.append(entry)

    def claim_fault(self, method: str, path: str) -> Fault | None:
        for fault in list(self.faults):
            if fault.claim(method, path):
                return fault
        return None

    def answer(
        self, method: str, path: str, query: Mapping[str, str], body: Any, body_error: bool
    ) -> ArmResponse | None:
        """The response to one authenticated request, or ``None`` to drop the connection."""
        fault = self.claim_fault(method, path)
        operation_error = None
        if fault is not None:
            if fault.drop_connection:
                return None
            if fault.lro_fail:
                operation_error = fault.operation_error()
            else:
                return fault.error(body, self.state.tenant_id).response()
        try:
            if body_error:
                raise invalid_content("The request content was not valid JSON.")
            candidate, params = route(method, path)
            api_version = check_api_version(candidate, query.get("api-version"))
            request = ArmRequest(
                method=method,
                path=path,
                query=query,
                body=body,
                params=params,
                base_url=self.base_url,
                api_version=api_version,
                operation_error=operation_error,
            )
            return candidate.handler(request, self.state)
        except ArmError as exc:
            return exc.response()
        except Exception as exc:  # an emulator bug: answer loudly, keep serving
            logger.exception("LocalAzure: handler for %s %s failed", method, path)
            return ArmResponse(
                500,
                {"error": {"code": "LocalAzureInternalError", "message": f"{type(exc).__name__}"}},
            )


class _Handler(BaseHTTPRequestHandler):
    server: ArmServer
    protocol_version = "HTTP/1.1"
    timeout = 60

    def version_string(self) -> str:
        return SERVER_NAME

    # Headers and body go out in separate writes; with Nagle on, the second waits ~40 ms for
    # the client's delayed ACK on every response.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("LocalAzure: " + format, *args)

    def setup(self) -> None:
        super().setup()
        self.request.do_handshake()

    def _serve(self) -> None:
        url = urlsplit(self.path)
        path = normalize_path(url.path)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body, body_error = None, False
        if raw.strip():
            try:
                body = json.loads(raw)
            except ValueError:
                body_error = True

        if self.command == "GET" and _tasks.signed_log_request(self.server.state, path, query):
            # A run's log link is signed like a blob SAS URL: no bearer token, plain text.
            response: ArmResponse | None = _tasks.serve_log(self.server.state, path)
        elif self.server.credential.accepts(self.headers.get("Authorization")):
            response = self.server.answer(self.command, path, query, body, body_error)
        else:
            response = ArmError(
                401,
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is missing or does not carry "
                "a token issued by this LocalAzure.",
            ).response()
        status = None if response is None else response.status
        self.server.record(
            RecordedRequest(
                self.command,
                path,
                query.get("api-version"),
                body,
                status,
                {k: v for k, v in query.items() if k != "api-version"},
            )
        )
        if response is None:
            self.close_connection = True
            return
        self._write(response)

    def _write(self, response: ArmResponse) -> None:
        raw = isinstance(response.body, bytes)
        if raw:
            payload = response.body
        else:
            payload = b"" if response.body is None else json.dumps(response.body).encode()
        self.send_response(response.status)
        kind = "text/plain" if raw else "application/json"
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("x-ms-request-id", str(uuid.uuid4()))
        correlation = self.headers.get("x-ms-client-request-id") or str(uuid.uuid4())
        self.send_header("x-ms-correlation-request-id", correlation)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_PUT = do_PATCH = do_DELETE = do_POST = _serve
