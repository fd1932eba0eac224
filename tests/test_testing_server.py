from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ServiceResponseError
from azure.core.rest import HttpRequest
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.authorization.models import RoleAssignmentCreateParameters
from azure.mgmt.containerregistry import ContainerRegistryManagementClient
from azure.mgmt.containerregistry.models import RegistryUpdateParameters

from acr_trusted.catalog import role
from acr_trusted.testing import LocalAzure
from acr_trusted.testing._server import RecordedRequest, normalize_path

FAST = {"retry_backoff_factor": 0.01, "retry_backoff_max": 0.05}


def acr(az: LocalAzure) -> ContainerRegistryManagementClient:
    return az.client(ContainerRegistryManagementClient, **FAST)


def raw(az: LocalAzure, method: str, path: str, body: Any = None) -> Any:
    """Send one request, once, through the real azure-core pipeline, bypassing SDK models."""
    content = body if isinstance(body, (str, bytes)) or body is None else json.dumps(body)
    headers = {"Content-Type": "application/json"} if content is not None else {}
    request = HttpRequest(method, az.endpoint + path, content=content, headers=headers)
    return acr(az).send_request(request, retry_total=0)


def test_server_identifies_itself_as_a_test_double(local_azure: LocalAzure) -> None:
    """Every response says Server: acr-trusted-LocalAzure."""
    response = raw(local_azure, "GET", "/nowhere?api-version=2025-11-01")
    assert response.headers["Server"] == "acr-trusted-LocalAzure"


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        pytest.param("GET", "/nowhere?api-version=2025-11-01", 404, "NotFound", id="unknown-path"),
        pytest.param(
            "POST",
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/"
            "contoso?api-version=2025-11-01",
            405,
            "MethodNotAllowed",
            id="method",
        ),
        pytest.param(
            "GET",
            "/subscriptions/s/providers/Microsoft.ContainerRegistry/registries",
            400,
            "MissingApiVersionParameter",
            id="no-api-version",
        ),
        pytest.param(
            "GET",
            "/subscriptions/s/providers/Microsoft.ContainerRegistry/registries?api-version=2019-05-01",
            400,
            "InvalidApiVersionParameter",
            id="old-api-version",
        ),
    ],
)
def test_routing_errors_have_arm_bodies(
    local_azure: LocalAzure, method: str, path: str, status: int, code: str
) -> None:
    """Unknown paths, methods and api-versions answer with an ARM error body."""
    response = raw(local_azure, method, path)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


def test_invalid_json_is_400(local_azure: LocalAzure) -> None:
    """A body that is not JSON is InvalidRequestContent, recorded with body None."""
    ref = local_azure.add_registry("contoso")
    response = raw(local_azure, "PATCH", f"{ref.id}?api-version=2025-11-01", body="{nope")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "InvalidRequestContent"
    assert local_azure.requests[-1].body is None


def test_unknown_role_assignment_property_is_400(local_azure: LocalAzure) -> None:
    """A raw PUT with a property the 2022-04-01 schema lacks is refused by name."""
    ref = local_azure.add_registry("contoso")
    principal = local_azure.add_managed_identity("x")
    path = (
        f"{ref.id}/providers/Microsoft.Authorization/roleAssignments/"
        "0b5fe924-9a61-425c-96af-cfe6e287ca2d?api-version=2022-04-01"
    )
    body = {
        "properties": {
            "roleDefinitionId": role("AcrPull").definition_id(local_azure.subscription_id),
            "principalId": principal,
            "canDelegate": True,
        }
    }
    response = raw(local_azure, "PUT", path, body=body)
    assert response.status_code == 400
    assert (
        "Unknown property 'canDelegate' at 'body.properties'" in response.json()["error"]["message"]
    )


def test_paths_are_normalized_and_recorded(local_azure: LocalAzure) -> None:
    """Double slashes, a trailing slash and odd casing reach the same resource."""
    ref = local_azure.add_registry("contoso")
    odd = "/" + ref.id.upper().replace("CONTOSO", "contoso") + "/?api-version=2025-11-01"
    response = raw(local_azure, "GET", odd)
    assert response.status_code == 200
    recorded = local_azure.requests[-1]
    assert recorded == RecordedRequest(
        "GET", ref.id.upper().replace("CONTOSO", "contoso"), "2025-11-01", None, 200
    )
    assert not recorded.is_poll
    assert not recorded.is_write


@pytest.mark.parametrize(
    ("raw_path", "expected"),
    [("//a//b/", "/a/b"), ("/", "/"), ("", "/"), ("/a%20b", "/a b")],
)
def test_normalize_path(raw_path: str, expected: str) -> None:
    """Paths are percent-decoded with duplicate and trailing slashes removed."""
    assert normalize_path(raw_path) == expected


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param({"status": 429, "retry_after": 0.01}, id="429-retry-after"),
        pytest.param({"status": 500}, id="500"),
        pytest.param({"status": 503}, id="503"),
        pytest.param({"drop_connection": True}, id="dropped"),
    ],
)
def test_get_converges_under_sdk_retries(local_azure: LocalAzure, fault: dict[str, Any]) -> None:
    """Transient faults on GET are retried by azure-core until the fault runs out."""
    local_azure.add_registry("contoso")
    injected = local_azure.inject(method="GET", path_contains="/registries/", times=2, **fault)
    assert acr(local_azure).registries.get("rg", "contoso").name == "contoso"
    assert injected.remaining == 0
    statuses = [r.status for r in local_azure.requests]
    assert statuses[-1] == 200
    assert len(statuses) == 3


def test_throttled_patch_converges_and_carries_retry_after(local_azure: LocalAzure) -> None:
    """429 on PATCH sends Retry-After; the SDK waits, retries and the update lands once."""
    ref = local_azure.add_registry("contoso")
    local_azure.inject(
        method="PATCH", path_contains="/registries/", status=429, times=2, retry_after=0.01
    )
    response = raw(
        local_azure, "PATCH", f"{ref.id}?api-version=2025-11-01", body={"properties": {}}
    )
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "0.01"
    acr(local_azure).registries.begin_update(
        "rg", "contoso", RegistryUpdateParameters(admin_user_enabled=True)
    ).result()
    assert local_azure.registry(ref)["properties"]["adminUserEnabled"] is True
    patches = [r.status for r in local_azure.requests if r.method == "PATCH"]
    assert patches == [429, 429, 201]


def test_dropped_patch_is_not_retried(local_azure: LocalAzure) -> None:
    """azure-core does not resend a PATCH whose connection dropped: the caller sees the error."""
    local_azure.add_registry("contoso")
    local_azure.inject(method="PATCH", drop_connection=True)
    with pytest.raises(ServiceResponseError):
        acr(local_azure).registries.begin_update(
            "rg", "contoso", RegistryUpdateParameters(admin_user_enabled=True)
        )
    assert [(r.method, r.status) for r in local_azure.requests] == [("PATCH", None)]


def test_faults_match_method_and_path(local_azure: LocalAzure) -> None:
    """A fault for PUT role assignments leaves registry GETs alone, and times counts down."""
    local_azure.add_registry("contoso")
    fault = local_azure.inject(method="PUT", path_contains="/roleAssignments/", status=500)
    acr(local_azure).registries.get("rg", "contoso")
    assert fault.remaining == 1


def test_non_retryable_fault_surfaces(local_azure: LocalAzure) -> None:
    """An injected 409 with a custom code and message reaches the caller as-is."""
    local_azure.add_registry("contoso")
    local_azure.inject(status=409, code="Busy", message="try later")
    with pytest.raises(HttpResponseError) as info:
        acr(local_azure).registries.get("rg", "contoso")
    assert info.value.error is not None
    assert (info.value.status_code, info.value.error.code) == (409, "Busy")
    assert info.value.error.message == "try later"


def test_token_never_recorded_or_logged(
    local_azure: LocalAzure, caplog: pytest.LogCaptureFixture
) -> None:
    """The bearer token appears neither in az.requests nor in any DEBUG log record.

    (azure-core's own ``logging_enable=True`` network trace does log it: never turn that on.)
    """
    caplog.set_level(logging.DEBUG)
    ref = local_azure.add_registry("contoso")
    principal = local_azure.add_managed_identity("x")
    token = local_azure.credential.get_token("https://management.azure.com/.default").token
    client = acr(local_azure)
    client.registries.get("rg", "contoso")
    client.registries.begin_update(
        "rg", "contoso", RegistryUpdateParameters(admin_user_enabled=True)
    ).result()
    local_azure.client(AuthorizationManagementClient).role_assignments.create(
        ref.id,
        "0b5fe924-9a61-425c-96af-cfe6e287ca2d",
        RoleAssignmentCreateParameters(
            role_definition_id=role("AcrPull").definition_id(local_azure.subscription_id),
            principal_id=principal,
            principal_type="ServicePrincipal",
        ),
    )
    assert any("LocalAzure" in r.getMessage() for r in caplog.records)
    assert token not in caplog.text
    assert all(token not in repr(r) for r in local_azure.requests)
    assert token not in repr(local_azure.credential)


def test_records_status_query_and_body(local_azure: LocalAzure) -> None:
    """Each recorded request has method, path, api-version, parsed body, status and query."""
    ref = local_azure.add_registry("contoso")
    acr(local_azure).registries.begin_update(
        "rg", "contoso", RegistryUpdateParameters(network_rule_bypass_options="None")
    ).result()
    first = local_azure.requests[0]
    assert (first.method, first.path, first.api_version, first.status) == (
        "PATCH",
        ref.id,
        "2025-11-01",
        201,
    )
    assert first.body == {"properties": {"networkRuleBypassOptions": "None"}}
    assert first.is_write
    assert [r.is_poll for r in local_azure.requests] == [False, True, True, False]
    local_azure.clear_requests()
    assert local_azure.requests == []


def test_recorded_request_unpacks_as_the_contract_tuple() -> None:
    """The documented shape is (method, path, api_version, json body)."""
    recorded = RecordedRequest("PATCH", "/x", "2025-11-01", {"properties": {}}, 200)
    method, path, api_version, body = recorded
    assert (method, path, api_version, body) == ("PATCH", "/x", "2025-11-01", {"properties": {}})
    assert recorded[0] == "PATCH"
    assert recorded[3] == {"properties": {}}
    assert len(recorded) == 4
