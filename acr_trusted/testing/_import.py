"""``POST .../registries/{name}/importImage`` (api 2025-11-01): ``az acr import``.

Shapes follow ImportImageByTag / ImportImageByManifestDigest / ImportImageFromPublicRegistry.
The call is long-running: 202 with ``Azure-AsyncOperation`` (the emulator's operation URL; the
REST example shows only ``Location``, so whether ACR also sends ``Azure-AsyncOperation`` for
import is unconfirmed), ``InProgress`` once, then ``Succeeded`` or ``Failed``.

Who imports is the principal set with ``LocalAzure.act_as`` (unset: the subscription's owner,
whose rights are not in question). ARM first checks that the caller may import into the target
(403 ``AuthorizationFailed``, ARM's text). Then the import service reads the source and writes
the target, each decided by ``_dataplane.decide`` as the trusted ``acr-import`` caller: a source
named by ``resourceId`` may be bypassed into; one named by ``registryUri`` is reached over its
public endpoint like any client. A refusal makes the operation end ``Failed`` with ACR's
data-plane code and text. Imported tags are listed by ``LocalAzure.imported_images``.
"""

from __future__ import annotations

from attrs import evolve

from acr_trusted.testing import _schema as s
from acr_trusted.testing._arm import ArmError, ArmRequest, ArmResponse, Route
from acr_trusted.testing._dataplane import (
    IMPORT,
    Caller,
    Decision,
    decide,
    extras,
    granted_actions,
    registry_by_login_server,
    registry_of,
)
from acr_trusted.testing._operations import start_operation
from acr_trusted.testing._state import Json, State

API_VERSIONS = ("2025-11-01",)

IMPORT_BODY = s.Object(
    {
        "source": s.Object(
            {
                "resourceId": s.String(),
                "registryUri": s.String(),
                "credentials": s.Object({"username": s.String(), "password": s.String()}),
                "sourceImage": s.String(),
            },
            required=frozenset({"sourceImage"}),
        ),
        "targetTags": s.Array(s.String()),
        "untaggedTargetRepositories": s.Array(s.String()),
        "mode": s.Enum(("NoForce", "Force")),
    },
    required=frozenset({"source"}),
)


def authorization_failed(principal_id: str, action: str, scope: str) -> ArmError:
    """ARM's 403 for a caller without the action at the scope."""
    return ArmError(
        403,
        "AuthorizationFailed",
        f"The client '{principal_id}' with object id '{principal_id}' does not have "
        f"authorization to perform action '{action}' over scope '{scope}' or the scope is "
        "invalid. If access was recently granted, please refresh your credentials.",
    )


def _source_decision(state: State, source: Json, principal: str | None) -> Decision | None:
    """The import service reading the source; ``None`` when it is not an emulated registry."""
    as_owner = principal is None
    if source.get("resourceId"):
        registry = state.resource(source["resourceId"])
        if registry is None:
            return Decision(
                False,
                "network",
                "NOT_FOUND",
                f"LocalAzure: the source registry '{source['resourceId']}' does not exist.",
                "unknown source",
            )
        return decide(
            state, registry, Caller("acr-import", None, principal, authorized=as_owner), IMPORT
        )
    server = str(source.get("registryUri", "")).split("/", 1)[0]
    registry = registry_by_login_server(state, server)
    if registry is None:
        return None
    authorized = as_owner or bool(source.get("credentials"))
    return decide(state, registry, Caller("client", None, principal, authorized=authorized), IMPORT)


def import_image(request: ArmRequest, state: State) -> ArmResponse:
    body = s.check_body(IMPORT_BODY, request.body)
    source = body["source"]
    if bool(source.get("resourceId")) == bool(source.get("registryUri")):
        raise ArmError(
            400,
            "InvalidParameters",
            "LocalAzure: name the source by exactly one of resourceId or registryUri.",
        )
    with state.lock:
        target = registry_of(request, state)
        principal = extras(state).caller_principal_id
        if principal is not None and IMPORT not in granted_actions(state, target, principal):
            raise authorization_failed(
                principal, "Microsoft.ContainerRegistry/registries/importImage/action", target["id"]
            )
        decisions = [
            _source_decision(state, source, principal),
            decide(
                state,
                target,
                Caller("acr-import", None, principal, authorized=principal is None),
                IMPORT,
            ),
        ]
        refusal = next((d for d in decisions if d is not None and not d.allowed), None)
        error = {"code": refusal.code, "message": refusal.message} if refusal else None
        tags = list(body.get("targetTags") or [source["sourceImage"]])

        def record() -> None:
            extras(state).imported.setdefault(target["id"].lower(), []).extend(tags)

        headers = start_operation(
            evolve(request, operation_error=request.operation_error or error),
            state,
            target["id"],
            prefix="registries",
            on_success=record,
        )
        return ArmResponse(202, None, headers)


ROUTES: tuple[Route, ...] = (
    Route.of(
        "POST",
        r"/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)"
        r"/providers/Microsoft\.ContainerRegistry/registries/(?P<registry>[^/]+)/importImage",
        API_VERSIONS,
        import_image,
    ),
)
