from __future__ import annotations

import pytest

from acr_trusted.ids import RegistryRef

SUB = "00000000-0000-0000-0000-000000000001"
CANONICAL = (
    f"/subscriptions/{SUB}/resourceGroups/rg-1"
    "/providers/Microsoft.ContainerRegistry/registries/contoso"
)


def test_parse_canonical_round_trips() -> None:
    """A canonical ID parses into its parts and renders back unchanged."""
    ref = RegistryRef.parse(CANONICAL)
    assert ref == RegistryRef(SUB, "rg-1", "contoso")
    assert ref.id == CANONICAL
    assert str(ref) == CANONICAL


@pytest.mark.parametrize(
    "resource_id",
    [
        pytest.param(CANONICAL.lower(), id="lowercase"),
        pytest.param(
            CANONICAL.upper().replace("CONTOSO", "contoso").replace("RG-1", "rg-1"), id="upper"
        ),
        pytest.param(CANONICAL + "/", id="trailing-slash"),
    ],
)
def test_fixed_segments_are_case_insensitive(resource_id: str) -> None:
    """ARM accepts any casing of the fixed segments; `.id` restores the canonical one."""
    ref = RegistryRef.parse(resource_id)
    assert ref.name == "contoso"
    assert ref.id.split("/providers/")[1] == "Microsoft.ContainerRegistry/registries/contoso"
    assert "/resourceGroups/" in ref.id


@pytest.mark.parametrize(
    ("resource_id", "message"),
    [
        pytest.param("", "must start with '/subscriptions/'", id="empty"),
        pytest.param("subscriptions/x", "must start with", id="relative"),
        pytest.param("/subscriptions", "expected 'resourceGroups' as segment 3", id="short"),
        pytest.param(
            CANONICAL.replace("resourceGroups", "resourceGroup"),
            "segment 3 is 'resourceGroup', expected 'resourceGroups'",
            id="typo-rg",
        ),
        pytest.param(
            CANONICAL.replace("Microsoft.ContainerRegistry", "Microsoft.ContainerInstance"),
            "segment 6 is 'Microsoft.ContainerInstance', expected 'Microsoft.ContainerRegistry'",
            id="wrong-provider",
        ),
        pytest.param(
            CANONICAL.replace("registries", "registry"),
            "segment 7 is 'registry', expected 'registries'",
            id="wrong-type",
        ),
        pytest.param(
            CANONICAL.rsplit("/", 1)[0], "registry name '' after 'registries'", id="no-name"
        ),
        pytest.param(CANONICAL + "/webhooks/w1", "extra segments 'webhooks/w1'", id="child"),
        pytest.param(
            CANONICAL.replace(SUB, ""),
            "subscription ID after 'subscriptions' is empty",
            id="no-sub",
        ),
        pytest.param(
            CANONICAL.replace("rg-1", "rg."),
            "resource group 'rg.' is not a valid name",
            id="rg-dot",
        ),
        pytest.param(
            CANONICAL.replace("contoso", "my-reg"), "registry name 'my-reg'", id="bad-name"
        ),
        pytest.param(CANONICAL.replace("contoso", "abc"), "registry name 'abc'", id="short-name"),
    ],
)
def test_malformed_id_names_the_problem(resource_id: str, message: str) -> None:
    """A malformed ID raises ValueError that says which segment is wrong and what was expected."""
    with pytest.raises(ValueError, match="registry resource ID") as info:
        RegistryRef.parse(resource_id)
    assert message in str(info.value)


def test_non_string_is_rejected() -> None:
    """Passing something that is not a string is a ValueError, not an AttributeError."""
    with pytest.raises(ValueError, match="must be a string, not int"):
        RegistryRef.parse(42)  # type: ignore[arg-type]


def test_ref_is_frozen_and_hashable() -> None:
    """Refs are values: usable as dict keys and immutable."""
    ref = RegistryRef(SUB, "rg", "contoso")
    assert {ref: 1}[RegistryRef(SUB, "rg", "contoso")] == 1
    with pytest.raises(AttributeError):
        ref.name = "other"  # type: ignore[misc]
