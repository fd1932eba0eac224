from __future__ import annotations

import datetime as dt

import pytest

from acr_trusted.catalog import (
    LEGACY_ONLY_ROLES,
    ROLES,
    SERVICES,
    Bypass,
    IdentityKind,
    Permission,
    RoleAssignmentMode,
    TrustedService,
    abac_replacements,
    find_role,
    role,
    role_for,
)


class TestServices:
    def test_every_service_has_an_entry_with_a_source(self) -> None:
        assert set(SERVICES) == set(TrustedService)
        for entry in SERVICES.values():
            assert entry.source_url.startswith("https://learn.microsoft.com/")

    def test_todays_trusted_list(self) -> None:
        """ACI, Defender, ML and ACR import; not Tasks (left 2025-03-08), not App Service."""
        trusted = {s for s, e in SERVICES.items() if e.trusted}
        assert trusted == {
            TrustedService.CONTAINER_INSTANCES,
            TrustedService.DEFENDER,
            TrustedService.MACHINE_LEARNING,
            TrustedService.ACR_IMPORT,
        }

    def test_tasks_use_their_own_switch(self) -> None:
        tasks = SERVICES[TrustedService.ACR_TASKS]
        assert tasks.bypass is Bypass.TASKS_SWITCH
        assert tasks.removed_from_trusted_list == dt.date(2025, 3, 8)
        assert tasks.identity_kinds == frozenset({IdentityKind.SYSTEM_ASSIGNED})

    def test_aci_pulls_with_user_assigned_identity_only(self) -> None:
        aci = SERVICES[TrustedService.CONTAINER_INSTANCES]
        assert aci.identity_kinds == frozenset({IdentityKind.USER_ASSIGNED})
        assert "system-assigned" in aci.note

    def test_app_service_is_not_covered(self) -> None:
        assert SERVICES[TrustedService.APP_SERVICE].bypass is Bypass.NONE

    def test_identity_requirements(self) -> None:
        assert not SERVICES[TrustedService.DEFENDER].identity_required
        assert not SERVICES[TrustedService.ACR_IMPORT].identity_required
        assert SERVICES[TrustedService.MACHINE_LEARNING].identity_required

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("aci", TrustedService.CONTAINER_INSTANCES),
            ("ACR-Tasks", TrustedService.ACR_TASKS),
            ("acr_import", TrustedService.ACR_IMPORT),
            ("CONTAINER_INSTANCES", TrustedService.CONTAINER_INSTANCES),
            (TrustedService.DEFENDER, TrustedService.DEFENDER),
        ],
    )
    def test_parse(self, text: str | TrustedService, expected: TrustedService) -> None:
        assert expected == TrustedService.parse(text)

    def test_parse_unknown_names_the_choices(self) -> None:
        with pytest.raises(ValueError, match=r"unknown service 'aks'.*aci, defender"):
            TrustedService.parse("aks")


class TestRoles:
    def test_guids_from_the_built_in_roles_table(self) -> None:
        assert role("AcrPull").guid == "7f951dda-4ed3-4680-a7ca-43fe172d538d"
        assert role("AcrPush").guid == "8311e382-0749-4cb8-b61a-304f252e45ec"
        assert role("AcrDelete").guid == "c2f4ef07-c644-48eb-af81-4b1b4947fb11"
        # The commonly copied 41e95607-... is wrong (domain-facts section 5).
        assert role("Container Registry Repository Writer").guid == (
            "2a1e307c-b015-4ebd-883e-5b7698a07328"
        )
        assert role("Container Registry Data Importer and Data Reader").guid == (
            "577a9874-89fd-4f24-9dbd-b5034d0ad23a"
        )

    def test_guids_are_unique(self) -> None:
        assert len({r.guid for r in ROLES}) == len(ROLES)

    @pytest.mark.parametrize(
        "key",
        [
            "acrpull",
            "7F951DDA-4ED3-4680-A7CA-43FE172D538D",
            "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/"
            "7f951dda-4ed3-4680-a7ca-43fe172d538d",
        ],
    )
    def test_find_role_by_name_guid_or_id(self, key: str) -> None:
        found = find_role(key)
        assert found is not None
        assert found.name == "AcrPull"

    def test_find_role_unknown(self) -> None:
        assert find_role("Storage Blob Data Reader") is None

    def test_abac_ignores_legacy_acr_roles(self) -> None:
        for name in LEGACY_ONLY_ROLES:
            assert role(name).permissions(RoleAssignmentMode.ABAC) == frozenset()
            assert role(name).permissions(RoleAssignmentMode.LEGACY)

    def test_owner_pulls_only_in_legacy_mode(self) -> None:
        owner = role("Owner")
        assert owner.grants(Permission.PULL, RoleAssignmentMode.LEGACY)
        assert not owner.grants(Permission.PULL, RoleAssignmentMode.ABAC)

    @pytest.mark.parametrize(
        ("permission", "mode", "expected"),
        [
            (Permission.PULL, RoleAssignmentMode.LEGACY, "AcrPull"),
            (Permission.PUSH, RoleAssignmentMode.LEGACY, "AcrPush"),
            (Permission.PULL, RoleAssignmentMode.ABAC, "Container Registry Repository Reader"),
            (Permission.PUSH, RoleAssignmentMode.ABAC, "Container Registry Repository Writer"),
            (
                Permission.IMPORT,
                RoleAssignmentMode.ABAC,
                "Container Registry Data Importer and Data Reader",
            ),
        ],
    )
    def test_role_for(
        self, permission: Permission, mode: RoleAssignmentMode, expected: str
    ) -> None:
        assert expected == role_for(permission, mode).name

    def test_role_for_impossible(self) -> None:
        with pytest.raises(ValueError, match="no built-in role grants list-catalog"):
            role_for(Permission.LIST_CATALOG, RoleAssignmentMode.LEGACY)

    def test_definition_id(self) -> None:
        assert role("AcrPull").definition_id("sub") == (
            "/subscriptions/sub/providers/Microsoft.Authorization/roleDefinitions/"
            "7f951dda-4ed3-4680-a7ca-43fe172d538d"
        )

    def test_mode_parse(self) -> None:
        assert RoleAssignmentMode.parse(None) is RoleAssignmentMode.LEGACY
        assert RoleAssignmentMode.parse("abacrepositorypermissions") is RoleAssignmentMode.ABAC
        with pytest.raises(ValueError, match="unknown roleAssignmentMode"):
            RoleAssignmentMode.parse("Rbac")


class TestAbacReplacements:
    """ABAC mode's documented mapping of the legacy roles."""

    @pytest.mark.parametrize(
        ("legacy", "expected"),
        [
            (
                "AcrPull",
                (
                    "Container Registry Repository Reader",
                    "Container Registry Repository Catalog Lister",
                ),
            ),
            ("AcrPush", ("Container Registry Repository Writer",)),
            ("AcrDelete", ("Container Registry Repository Contributor",)),
        ],
    )
    def test_mapping(self, legacy: str, expected: tuple[str, ...]) -> None:
        assert expected == tuple(r.name for r in abac_replacements(role(legacy)))

    def test_role_without_data_plane_permission(self) -> None:
        with pytest.raises(ValueError, match="grants no data-plane permission"):
            abac_replacements(role("Container Registry Repository Catalog Lister"))
