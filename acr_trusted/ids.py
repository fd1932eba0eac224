"""Azure resource IDs for container registries, parsed strictly.

A registry is named everywhere by its ARM resource ID,
``/subscriptions/<s>/resourceGroups/<rg>/providers/Microsoft.ContainerRegistry/registries/<name>``.
ARM treats the fixed segments case-insensitively (``resourcegroups`` and
``microsoft.containerregistry`` are accepted), so parsing does too; rendering always uses the
canonical casing so that IDs compare and log the same way. A malformed ID raises ``ValueError``
naming the segment that is wrong and what was expected there, because "invalid resource ID" alone
does not tell a user which part of a 120-character string to fix.

This module is pure (the standard library and :mod:`acr_trusted.records` only): the SDK, the
linter and the emulator all use it.
"""

from __future__ import annotations

import re

from acr_trusted.records import frozen

PROVIDER = "Microsoft.ContainerRegistry"
RESOURCE_TYPE = "registries"

# ARM registry names: 5-50 alphanumerics (bicep-types-az 2025-11-01, domain-facts section 3).
_REGISTRY_NAME = re.compile(r"[a-zA-Z0-9]{5,50}")
# Resource group names: 1-90 of letters, digits, underscores, hyphens, periods, parentheses,
# not ending in a period (ARM naming rules).
_RESOURCE_GROUP = re.compile(r"[-\w.()]{0,89}[-\w()]")

# (position, canonical spelling) of the fixed segments; the others are values.
_FIXED = (
    (0, "subscriptions"),
    (2, "resourceGroups"),
    (4, "providers"),
    (5, PROVIDER),
    (6, RESOURCE_TYPE),
)
_SEGMENT_COUNT = 8


@frozen
class RegistryRef:
    """A container registry, addressed by subscription, resource group and name."""

    subscription_id: str
    resource_group: str
    name: str

    @classmethod
    def parse(cls, resource_id: str) -> RegistryRef:
        """Parse an ARM resource ID of a registry.

        Args:
            resource_id: ``/subscriptions/<s>/resourceGroups/<rg>/providers/
                Microsoft.ContainerRegistry/registries/<name>``; fixed segments in any case.

        Returns:
            The reference, with the values as written in ``resource_id``.

        Raises:
            ValueError: the ID is malformed; the message names the segment and what was expected.
        """
        if not isinstance(resource_id, str):
            raise ValueError(
                f"registry resource ID must be a string, not {type(resource_id).__name__}"
            )
        where = f"registry resource ID {resource_id!r}"
        if not resource_id.startswith("/"):
            raise ValueError(f"{where} must start with '/subscriptions/'")
        segments = resource_id[1:].removesuffix("/").split("/")
        for position, expected in _FIXED:
            if position >= len(segments):
                raise ValueError(
                    f"{where} ends early: expected {expected!r} as segment {position + 1}"
                )
            if segments[position].lower() != expected.lower():
                raise ValueError(
                    f"{where}: segment {position + 1} is {segments[position]!r}, "
                    f"expected {expected!r}"
                )
        if len(segments) > _SEGMENT_COUNT:
            extra = "/".join(segments[_SEGMENT_COUNT:])
            raise ValueError(f"{where} has extra segments {extra!r} after the registry name")
        name = segments[7] if len(segments) == _SEGMENT_COUNT else ""
        subscription_id, resource_group = segments[1], segments[3]
        if not subscription_id.strip():
            raise ValueError(f"{where}: the subscription ID after 'subscriptions' is empty")
        if not _RESOURCE_GROUP.fullmatch(resource_group):
            raise ValueError(
                f"{where}: resource group {resource_group!r} is not a valid name "
                "(1-90 letters, digits, '_-.()', not ending in '.')"
            )
        if not _REGISTRY_NAME.fullmatch(name):
            raise ValueError(
                f"{where}: registry name {name!r} after 'registries' is not valid "
                "(5-50 letters and digits)"
            )
        return cls(subscription_id, resource_group, name)

    @property
    def id(self) -> str:
        """The ARM resource ID in canonical casing."""
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"
            f"/providers/{PROVIDER}/{RESOURCE_TYPE}/{self.name}"
        )

    def __str__(self) -> str:
        return self.id
