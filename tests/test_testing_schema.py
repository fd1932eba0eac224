from __future__ import annotations

from typing import Any

import pytest

from acr_trusted.testing import _schema as s
from acr_trusted.testing._arm import ArmError

SPEC = s.Object(
    {
        "flag": s.Boolean(),
        "mode": s.Enum(("AzureServices", "None")),
        "cidrs": s.Array(s.Ipv4Range(), max_items=2),
        "tags": s.MapOf(s.String()),
        "id": s.String(s.GUID, "a GUID"),
        "free": s.AnyJson(),
    },
    required=frozenset({"mode"}),
    read_only=frozenset({"loginServer"}),
)


def test_valid_value_is_canonicalized() -> None:
    """Enum values come back in documented casing; read-only keys are dropped."""
    value = {
        "flag": True,
        "mode": "azureservices",
        "cidrs": ["10.0.0.1", "10.0.0.0/8"],
        "tags": {"a": "b"},
        "id": "7F951DDA-4ED3-4680-A7CA-43FE172D538D",
        "free": {"anything": [1]},
        "loginServer": "x.azurecr.io",
    }
    checked = SPEC.check(value, "body")
    assert checked["mode"] == "AzureServices"
    assert "loginServer" not in checked
    assert checked["free"] == {"anything": [1]}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param([], "Invalid value at 'body': expected an object, got array", id="not-object"),
        pytest.param({}, "Missing required property 'mode' at 'body'", id="missing"),
        pytest.param(
            {"mode": "None", "extra": 1}, "Unknown property 'extra' at 'body'", id="unknown"
        ),
        pytest.param(
            {"mode": "None", "flag": 1}, "'body.flag': expected a boolean, got 1", id="bool"
        ),
        pytest.param({"mode": None}, "got null", id="null"),
        pytest.param(
            {"mode": "Maybe"},
            "expected one of 'AzureServices', 'None' (case-insensitive), got 'Maybe'",
            id="enum",
        ),
        pytest.param({"mode": "None", "cidrs": ["1.2.3.4/33"]}, "'body.cidrs[0]'", id="cidr"),
        pytest.param({"mode": "None", "cidrs": [7]}, "IPv4", id="cidr-type"),
        pytest.param({"mode": "None", "cidrs": "1.2.3.4"}, "expected an array", id="array"),
        pytest.param(
            {"mode": "None", "cidrs": ["1.1.1.1"] * 3},
            "at most 2 items are allowed, got 3",
            id="max",
        ),
        pytest.param({"mode": "None", "tags": {"a": 1}}, "'body.tags.a'", id="map-value"),
        pytest.param({"mode": "None", "tags": []}, "'body.tags': expected an object", id="map"),
        pytest.param({"mode": "None", "id": "nope"}, "expected a GUID, got 'nope'", id="pattern"),
    ],
)
def test_invalid_value_names_path_and_problem(value: Any, message: str) -> None:
    """Every mismatch is a 400 InvalidRequestContent naming the JSON path."""
    with pytest.raises(ArmError) as info:
        SPEC.check(value, "body")
    assert (info.value.status, info.value.code) == (400, "InvalidRequestContent")
    assert message in info.value.message


def test_missing_body() -> None:
    """No body at all is reported as undeserializable content."""
    with pytest.raises(ArmError, match="could not be deserialized"):
        s.check_body(SPEC, None)
