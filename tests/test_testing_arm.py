from __future__ import annotations

import pytest

from acr_trusted.testing import LocalAzure
from acr_trusted.testing._arm import (
    ArmError,
    ArmRequest,
    ArmResponse,
    Route,
    get_stored,
    invalid_content,
    not_found,
    paged,
)
from acr_trusted.testing._state import State


def request(query: dict[str, str]) -> ArmRequest:
    return ArmRequest(
        method="GET",
        path="/subscriptions/s/things",
        query=query,
        body=None,
        params={},
        base_url="https://127.0.0.1:1",
        api_version="2025-11-01",
    )


def test_arm_error_renders_arm_body_and_headers() -> None:
    """An ArmError becomes {"error": {code, message}} with its headers."""
    response = ArmError(
        429, "TooManyRequests", "slow down", headers={"Retry-After": "1"}
    ).response()
    assert response.status == 429
    assert response.body == {"error": {"code": "TooManyRequests", "message": "slow down"}}
    assert response.headers == {"Retry-After": "1"}


def test_helpers_use_arm_wording() -> None:
    """not_found and invalid_content carry ARM's codes."""
    missing = not_found("Microsoft.ContainerRegistry/registries", "r1", "rg")
    assert (missing.status, missing.code) == (404, "ResourceNotFound")
    assert (
        "'Microsoft.ContainerRegistry/registries/r1' under resource group 'rg'" in missing.message
    )
    assert invalid_content("x").code == "InvalidRequestContent"


def test_route_patterns_ignore_case() -> None:
    """ARM paths are case-insensitive, so route patterns are too."""

    def handler(req: ArmRequest, state: State) -> object:
        raise AssertionError

    route = Route.of("GET", r"/subscriptions/(?P<sub>[^/]+)", ("1",), handler)  # type: ignore[arg-type]
    match = route.pattern.fullmatch("/SUBSCRIPTIONS/abc")
    assert match is not None
    assert match["sub"] == "abc"


def test_paged_chains_next_links() -> None:
    """Pages hold page_size items and a nextLink that keeps the other query parameters."""
    items = list(range(5))
    first = paged(request({"api-version": "v", "$filter": "x"}), items, 2)
    assert first.body["value"] == [0, 1]
    assert first.body["nextLink"].startswith("https://127.0.0.1:1/subscriptions/s/things?")
    assert "%24skipToken=2" in first.body["nextLink"]
    assert "%24filter=x" in first.body["nextLink"]
    last = paged(request({"$skipToken": "4"}), items, 2)
    assert last.body == {"value": [4]}


def test_paged_rejects_bad_token() -> None:
    """A skip token the emulator did not issue is a 400."""
    with pytest.raises(ArmError, match="skip token 'abc'") as info:
        paged(request({"$skiptoken": "abc"}), [], 2)
    assert info.value.code == "InvalidSkipToken"


def test_get_stored_answers_the_resource_or_arms_404(local_azure: LocalAzure) -> None:
    """One GET handler serves every resource type the emulator stores as ARM JSON."""
    ref = local_azure.add_registry("contoso")
    handler = get_stored("Microsoft.ContainerRegistry/registries")

    def get(path: str, name: str) -> ArmResponse:
        call = ArmRequest(
            method="GET",
            path=path,
            query={},
            body=None,
            params={"name": name, "rg": ref.resource_group},
            base_url=local_azure.endpoint,
            api_version="2025-11-01",
        )
        return handler(call, local_azure.state)

    found = get(ref.id, "contoso")
    assert found.status == 200
    assert found.body["name"] == "contoso"
    with pytest.raises(ArmError) as error:
        get(ref.id.replace("contoso", "fabrikam"), "fabrikam")
    assert error.value.status == 404
    assert "Microsoft.ContainerRegistry/registries/fabrikam" in error.value.message
