from __future__ import annotations

import json
from pathlib import Path

import pytest

from acr_trusted.catalog import RoleAssignmentMode
from acr_trusted.posture import NetworkPosture, Restriction, canonical
from acr_trusted.records import FrozenInstanceError


class TestDefaults:
    def test_absent_properties_take_documented_defaults(self) -> None:
        p = NetworkPosture()
        assert p.effective_public_network_access == "Enabled"
        assert p.effective_default_action == "Allow"
        assert p.effective_bypass_options == "AzureServices"
        assert p.effective_role_assignment_mode is RoleAssignmentMode.LEGACY
        assert p.trusted_services_allowed
        assert not p.tasks_bypass_allowed
        assert not p.is_restricted

    def test_frozen(self) -> None:
        with pytest.raises(FrozenInstanceError):
            NetworkPosture().sku = "Basic"  # type: ignore[misc]

    def test_enum_values_are_case_insensitive(self) -> None:
        p = NetworkPosture(sku="premium", network_rule_bypass_options="none", default_action="deny")
        assert p.sku == "Premium"
        assert p.network_rule_bypass_options == "None"
        assert p.is_premium
        assert not p.trusted_services_allowed
        assert canonical("abacrepositorypermissions") == "AbacRepositoryPermissions"
        assert canonical("somethingElse") == "somethingElse"


class TestRestriction:
    @pytest.mark.parametrize(
        ("posture", "expected"),
        [
            (
                NetworkPosture(public_network_access="Disabled"),
                (Restriction.PUBLIC_ACCESS_DISABLED,),
            ),
            (NetworkPosture(default_action="Deny"), (Restriction.FIREWALL,)),
            (NetworkPosture(private_endpoint_count=1), (Restriction.PRIVATE_ENDPOINT,)),
            (
                NetworkPosture(public_network_access="Disabled", private_endpoint_count=2),
                (Restriction.PUBLIC_ACCESS_DISABLED, Restriction.PRIVATE_ENDPOINT),
            ),
            (
                NetworkPosture(default_action="Deny", virtual_network_rules=("subnet",)),
                (Restriction.SERVICE_ENDPOINT,),
            ),
            (
                NetworkPosture(
                    default_action="Deny", virtual_network_rules=("s",), ip_rules=("1.2.3.4",)
                ),
                (Restriction.FIREWALL, Restriction.SERVICE_ENDPOINT),
            ),
            # An IP rule under Allow restricts nothing.
            (NetworkPosture(default_action="Allow", ip_rules=("1.2.3.4",)), ()),
        ],
    )
    def test_restrictions(self, posture: NetworkPosture, expected: tuple[Restriction, ...]) -> None:
        assert expected == posture.restrictions
        assert posture.is_restricted == bool(expected)

    def test_service_endpoint_only(self) -> None:
        assert NetworkPosture(
            default_action="Deny", virtual_network_rules=("s",)
        ).service_endpoint_only
        assert not NetworkPosture(
            default_action="Deny", virtual_network_rules=("s",), private_endpoint_count=1
        ).service_endpoint_only

    def test_public_endpoint_closed(self) -> None:
        assert NetworkPosture(default_action="Deny").public_endpoint_closed
        assert not NetworkPosture(private_endpoint_count=1).public_endpoint_closed


class TestPremium:
    @pytest.mark.parametrize(
        ("posture", "expected"),
        [
            (NetworkPosture(sku="Standard", public_network_access="Disabled"), True),
            (NetworkPosture(sku="basic", ip_rules=("1.2.3.4",)), True),
            (NetworkPosture(sku="Premium", public_network_access="Disabled"), False),
            (NetworkPosture(sku="Standard"), False),
            (NetworkPosture(sku=None, default_action="Deny"), False),
        ],
    )
    def test_network_features_need_premium(self, posture: NetworkPosture, expected: bool) -> None:
        assert expected == posture.network_features_need_premium


class TestTasksSwitch:
    def test_explicit_values(self) -> None:
        assert NetworkPosture(network_rule_bypass_allowed_for_tasks=True).tasks_bypass_allowed
        assert not NetworkPosture(network_rule_bypass_allowed_for_tasks=False).tasks_bypass_allowed


class TestFromArm:
    def test_minimal(self) -> None:
        p = NetworkPosture.from_arm({"sku": {"name": "Standard"}, "properties": {}})
        assert p == NetworkPosture(sku="Standard")

    def test_full(self) -> None:
        p = NetworkPosture.from_arm(
            {
                "sku": {"name": "Premium"},
                "properties": {
                    "loginServer": "contoso.azurecr.io",
                    "publicNetworkAccess": "Disabled",
                    "networkRuleBypassOptions": "None",
                    "networkRuleBypassAllowedForTasks": True,
                    "roleAssignmentMode": "AbacRepositoryPermissions",
                    "networkRuleSet": {
                        "defaultAction": "Deny",
                        "ipRules": [{"action": "Allow", "value": "203.0.113.0/24"}],
                    },
                    "privateEndpointConnections": [
                        {
                            "properties": {
                                "privateLinkServiceConnectionState": {"status": "Approved"}
                            }
                        },
                        {
                            "properties": {
                                "privateLinkServiceConnectionState": {"status": "Rejected"}
                            }
                        },
                    ],
                },
            }
        )
        assert p.login_server == "contoso.azurecr.io"
        assert p.ip_rules == ("203.0.113.0/24",)
        assert p.private_endpoint_count == 1
        assert p.tasks_bypass_allowed
        assert not p.trusted_services_allowed
        assert p.effective_role_assignment_mode is RoleAssignmentMode.ABAC

    def test_rest_example_shapes(self, shared_dir: Path) -> None:
        """Every registry body in Microsoft's REST examples reads without error."""
        folder = shared_dir / "azure-rest-examples" / "containerregistry-2025-11-01"
        seen = 0
        for path in sorted(folder.glob("Registry*.json")):
            example = json.loads(path.read_text(encoding="utf-8"))
            for response in example.get("responses", {}).values():
                body = response.get("body") or {}
                for resource in body.get("value", [body]):
                    if "sku" in resource:
                        posture = NetworkPosture.from_arm(resource)
                        assert posture.sku in ("Basic", "Standard", "Premium", "Classic")
                        seen += 1
        assert seen >= 5


class TestNetworkFeatures:
    def test_words_for_each_feature(self) -> None:
        posture = NetworkPosture(
            public_network_access="Disabled",
            default_action="Deny",
            ip_rules=("203.0.113.0/24",),
            virtual_network_rules=("subnet",),
            private_endpoint_count=1,
        )
        assert posture.network_features == (
            "disabled public network access",
            "a firewall (defaultAction Deny)",
            "IP rules",
            "virtual-network rules",
            "private endpoints",
        )

    def test_none_in_use(self) -> None:
        assert NetworkPosture(ip_rules=()).network_features == ()
