from __future__ import annotations

from typing import Any

from azure.core.rest import HttpRequest
from azure.mgmt.containerregistry import ContainerRegistryManagementClient

from acr_trusted.testing import LocalAzure
from acr_trusted.testing._operations import POLL_DELAY_HEADERS


def send(az: LocalAzure, method: str, url: str, body: object = None) -> Any:
    client = az.client(ContainerRegistryManagementClient)
    return client.send_request(HttpRequest(method, url, json=body), retry_total=0)


def test_operation_url_polls_in_progress_then_succeeded(local_azure: LocalAzure) -> None:
    """The Azure-AsyncOperation URL answers InProgress once, then Succeeded, with a tiny delay."""
    ref = local_azure.add_registry("contoso")
    patch = send(
        local_azure,
        "PATCH",
        f"{local_azure.endpoint}{ref.id}?api-version=2025-11-01",
        {"properties": {"adminUserEnabled": True}},
    )
    assert patch.status_code == 201
    assert patch.json()["properties"]["provisioningState"] == "Updating"
    assert local_azure.registry(ref)["properties"]["adminUserEnabled"] is False
    url = patch.headers["Azure-AsyncOperation"]
    assert f"{ref.id}/operationStatuses/registries-" in url
    first, second = send(local_azure, "GET", url), send(local_azure, "GET", url)
    assert first.json()["status"] == "InProgress"
    assert second.json()["status"] == "Succeeded"
    assert "endTime" in second.json()
    for response in (patch, first, second):
        assert response.headers["Retry-After-Ms"] == POLL_DELAY_HEADERS["Retry-After-Ms"]
    assert local_azure.registry(ref)["properties"]["adminUserEnabled"] is True
    assert [r.is_poll for r in local_azure.requests] == [False, True, True]


def test_failed_operation_reports_its_error(local_azure: LocalAzure) -> None:
    """An lro_fail fault shows as status Failed with the error, after one InProgress."""
    ref = local_azure.add_registry("contoso")
    local_azure.inject(method="PATCH", lro_fail=True, message="disk on fire")
    patch = send(
        local_azure,
        "PATCH",
        f"{local_azure.endpoint}{ref.id}?api-version=2025-11-01",
        {"properties": {}},
    )
    url = patch.headers["Azure-AsyncOperation"]
    send(local_azure, "GET", url)
    final = send(local_azure, "GET", url).json()
    assert final["status"] == "Failed"
    assert final["error"] == {"code": "InternalServerError", "message": "disk on fire"}
    assert local_azure.registry(ref)["properties"]["provisioningState"] == "Succeeded"


def test_unknown_operation_and_wrong_api_version(local_azure: LocalAzure) -> None:
    """An unknown operation is 404; polling with another api-version than the write is 400."""
    ref = local_azure.add_registry("contoso")
    missing = send(
        local_azure,
        "GET",
        f"{local_azure.endpoint}{ref.id}/operationStatuses/registries-x?api-version=2025-11-01",
    )
    assert missing.json()["error"]["code"] == "OperationNotFound"
    patch = send(
        local_azure,
        "PATCH",
        f"{local_azure.endpoint}{ref.id}?api-version=2025-11-01",
        {"properties": {}},
    )
    url = patch.headers["Azure-AsyncOperation"].replace("2025-11-01", "2019-05-01")
    wrong = send(local_azure, "GET", url)
    assert wrong.json()["error"]["code"] == "InvalidApiVersionParameter"
    assert local_azure.state.operations[url.split("/")[-1].split("?")[0]].polls_left == 1
