"""The lint model: values with origins, linking consumers to registries, effective posture."""

from __future__ import annotations

import pytest

from acr_trusted.lint.model import (
    ABSENT,
    Consumer,
    ConsumerKind,
    FileModel,
    IdentityUse,
    Origin,
    OriginKind,
    Registry,
    RegistryLink,
    RegistryProperty,
    Span,
    Value,
    api_version_key,
    consumers_of,
    credential_identity,
    effective_properties,
    ignored_patch_properties,
    ignored_properties,
    link_matches,
    posture_of,
    predates,
    task_settings,
    with_source_registry_credential,
)
from acr_trusted.records import evolve

P = RegistryProperty
SPAN = Span.point("main.bicep", 4, 3)


def registry(**properties: Value) -> Registry:
    return Registry(
        symbol="acr",
        span=SPAN,
        name=Value.of("MyAcr"),
        properties={P[k]: v for k, v in properties.items()},
    )


def consumer(kind: ConsumerKind, link: RegistryLink, **attributes: Value) -> Consumer:
    return Consumer(kind, "c", SPAN, link, attributes)


def patch(**properties: Value) -> Consumer:
    return consumer(
        ConsumerKind.REGISTRY_PATCH,
        RegistryLink(symbol="acr"),
        properties=Value.of({P[k].value: v for k, v in properties.items()}),
    )


class TestSpan:
    def test_str_and_point(self) -> None:
        """A span prints as path:line:col; a point starts and ends at one place."""
        span = Span.point("a.tf", 3)
        assert str(span) == "a.tf:3:1"
        assert (span.end_line, span.end_column, span.start_offset) == (3, 1, None)


class TestOrigin:
    @pytest.mark.parametrize(
        ("origin", "text"),
        [
            pytest.param(
                Origin(OriginKind.PARAMETER_DEFAULT, "sku", SPAN),
                "the default of 'sku' (main.bicep:4:3)",
                id="parameter-default",
            ),
            pytest.param(
                Origin(OriginKind.PARAMETER_VALUE, "sku"),
                "the value given for 'sku'",
                id="parameter-value",
            ),
            pytest.param(Origin(OriginKind.VARIABLE, "mode"), "variable 'mode'", id="variable"),
            pytest.param(Origin(OriginKind.LITERAL), "literal", id="literal"),
            pytest.param(
                Origin(OriginKind.MODULE_TABLE, "x", note="from the table"),
                "from the table",
                id="note-wins",
            ),
        ],
    )
    def test_describe(self, origin: Origin, text: str) -> None:
        """Origins describe themselves for messages, a note overriding the generic text."""
        assert origin.describe() == text


class TestValue:
    def test_known_unknown_absent(self) -> None:
        """Constructors set knownness, origin and dependencies."""
        known = Value.of("None", SPAN, depends_on=["p"])
        assert known.known
        assert known.origin.kind is OriginKind.LITERAL
        assert known.depends_on == {"p"}
        missing = Value.unknown("reference(x)", SPAN)
        assert not missing.known
        assert missing.describe() == "reference(x)"
        assert Value.absent().origin.kind is OriginKind.ABSENT
        assert ABSENT.value is None

    def test_is_literal_needs_offsets_and_literal_origin(self) -> None:
        """Only literals with offsets may be rewritten by --fix."""
        fixable = Span("a.bicep", 1, 1, 1, 6, 0, 6)
        assert Value.of("None", fixable).is_literal
        assert not Value.of("None", SPAN).is_literal
        default = Value.of("None", fixable).with_origin(Origin(OriginKind.PARAMETER_DEFAULT, "b"))
        assert not default.is_literal

    def test_text_and_is(self) -> None:
        """Enum comparison ignores case; non-strings have no text."""
        assert Value.of("none").is_("None")
        assert Value.of(3).text() is None
        assert not Value.unknown("x").is_("x")

    def test_possible_flattens_nested_alternatives(self) -> None:
        """possible() lists every known value nested alternatives can produce."""
        inner = Value(False, alternatives=(Value.of("a"), Value.of("b")))
        outer = Value(False, alternatives=(inner, Value.of("c")))
        assert [v.value for v in outer.possible()] == ["a", "b", "c"]


class TestLinking:
    @pytest.mark.parametrize(
        ("link", "matches"),
        [
            pytest.param(RegistryLink(symbol="acr"), True, id="symbol"),
            pytest.param(RegistryLink(name="myacr"), True, id="name-any-case"),
            pytest.param(RegistryLink(login_server="MYACR.azurecr.io"), True, id="login-server"),
            pytest.param(RegistryLink(name="other"), False, id="other-name"),
            pytest.param(RegistryLink(), False, id="empty"),
        ],
    )
    def test_link_matches(self, link: RegistryLink, matches: bool) -> None:
        """Consumers link by symbol, name or login server (derived from the name)."""
        assert link_matches(link, registry()) is matches
        assert link.empty is (link == RegistryLink())

    def test_consumers_of(self) -> None:
        """Only the consumers linked to the registry are returned."""
        mine = consumer(ConsumerKind.TASK, RegistryLink(symbol="acr"))
        other = consumer(ConsumerKind.TASK, RegistryLink(symbol="x"))
        model = FileModel("main.bicep", "bicep", (registry(),), (mine, other))
        assert consumers_of(model, registry()) == (mine,)


class TestEffectiveProperties:
    def test_known_patch_values_win(self) -> None:
        """A patch's values override the declaration; unknown ones leave it undetermined."""
        reg = registry(TASKS_BYPASS=Value.of(False), BYPASS_OPTIONS=Value.of("None"))
        props = effective_properties(
            reg, [patch(TASKS_BYPASS=Value.of(True), BYPASS_OPTIONS=Value.unknown("x"))]
        )
        assert props[P.TASKS_BYPASS].value is True
        assert not props[P.BYPASS_OPTIONS].known
        assert props[P.BYPASS_OPTIONS].expression == "x"

    def test_other_consumers_do_not_patch(self) -> None:
        """Only REGISTRY_PATCH consumers change properties."""
        task = consumer(
            ConsumerKind.TASK,
            RegistryLink(symbol="acr"),
            properties=Value.of({P.TASKS_BYPASS.value: Value.of(True)}),
        )
        assert effective_properties(registry(), [task]) == {}


class TestPostureOf:
    def test_private_endpoints_add_up(self) -> None:
        """Linked private endpoints add to the registry's declared count."""
        reg = Registry("acr", SPAN, private_endpoint_count=Value.of(2))
        pe = consumer(ConsumerKind.PRIVATE_ENDPOINT, RegistryLink(symbol="acr"))
        posture = posture_of(reg, [pe])
        assert posture.private_endpoint_count == 3
        assert posture.is_restricted

    def test_values_and_patches(self) -> None:
        """Known values map onto the posture; unknown ones count as absent."""
        reg = registry(
            SKU=Value.of("premium"),
            PUBLIC_NETWORK_ACCESS=Value.unknown("p"),
            DEFAULT_ACTION=Value.of("Deny"),
            IP_RULES=Value.of(["1.2.3.4"]),
            BYPASS_OPTIONS=Value.of("none"),
            ROLE_ASSIGNMENT_MODE=Value.of("AbacRepositoryPermissions"),
        )
        posture = posture_of(reg, [patch(TASKS_BYPASS=Value.of(True))])
        assert posture.sku == "Premium"
        assert posture.public_network_access is None
        assert posture.ip_rules == ("1.2.3.4",)
        assert not posture.trusted_services_allowed
        assert posture.tasks_bypass_allowed
        assert posture.role_assignment_mode == "AbacRepositoryPermissions"

    def test_unknown_tasks_flag_is_unset(self) -> None:
        """A non-boolean or unknown tasks flag leaves the documented default."""
        posture = posture_of(registry(TASKS_BYPASS=Value.unknown("t")))
        assert posture.network_rule_bypass_allowed_for_tasks is None
        assert not posture.tasks_bypass_allowed


class TestIdentityUseFromType:
    """One reading of ARM's identity ``type`` enum for every loader."""

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("SystemAssigned", "system-assigned"),
            ("UserAssigned", "user-assigned"),
            ("SystemAssigned, UserAssigned", "system-assigned"),
            ("systemassigned,userassigned", "system-assigned"),
            ("None", "none"),
        ],
    )
    def test_known(self, text: str, expected: str) -> None:
        assert expected == IdentityUse.from_identity_type(Value.of(text)).value

    def test_absent_or_null_is_none(self) -> None:
        assert IdentityUse.from_identity_type(None).value == "none"
        assert IdentityUse.from_identity_type(Value.of(None)).value == "none"

    def test_unknown_stays_unknown(self) -> None:
        result = IdentityUse.from_identity_type(Value.unknown("param.identityType"))
        assert not result.known
        assert result.expression == "param.identityType"


class TestEffectiveLoginServer:
    def test_from_name(self) -> None:
        registry = Registry("acr", Span.point("f", 1), name=Value.of("Contoso"))
        assert registry.effective_login_server == "contoso.azurecr.io"

    def test_declared_wins(self) -> None:
        registry = Registry(
            "acr", Span.point("f", 1), name=Value.of("x"), login_server="x.azurecr.cn"
        )
        assert registry.effective_login_server == "x.azurecr.cn"

    def test_unknown_name(self) -> None:
        registry = Registry("acr", Span.point("f", 1), name=Value.unknown("name"))
        assert registry.effective_login_server is None


class TestIdentityUseFromRegistryCredential:
    """One reading of a container group's registry credential for every loader."""

    def read(
        self,
        *,
        username: Value | None = None,
        identity: Value | None = None,
        group: str | None = None,
        identity_text: str = "",
    ) -> Value:
        return IdentityUse.from_registry_credential(
            username=username,
            identity=identity,
            group_identity_type=None if group is None else Value.of(group),
            identity_text=identity_text,
        )

    def test_username_means_admin_credentials(self) -> None:
        assert self.read(username=Value.of("acradmin")).value == "admin-credentials"

    def test_unknown_username_is_unknown(self) -> None:
        assert not self.read(username=Value.unknown("param.user")).known

    @pytest.mark.parametrize(
        "expression",
        [
            "acr.listCredentials().username",
            "[listCredentials(resourceId('Microsoft.ContainerRegistry/registries', 'r'), "
            "'2023-07-01').username]",
            "azurerm_container_registry.acr.admin_username",
        ],
    )
    def test_a_username_read_from_the_admin_credentials_is_admin(self, expression: str) -> None:
        assert self.read(username=Value.unknown(expression)).value == "admin-credentials"

    def test_no_identity(self) -> None:
        assert self.read(identity=None).value == "none"
        assert self.read(username=Value.of(None), identity=Value.of(None)).value == "none"

    def test_user_assigned_resource_id(self) -> None:
        uami = (
            "/subscriptions/s/resourceGroups/rg/providers/"
            "Microsoft.ManagedIdentity/userAssignedIdentities/puller"
        )
        assert self.read(identity=Value.of(uami)).value == "user-assigned"

    def test_terraform_reference_text(self) -> None:
        identity = Value.unknown("")
        text = "azurerm_user_assigned_identity.puller.id"
        assert self.read(identity=identity, identity_text=text).value == "user-assigned"

    def test_system(self) -> None:
        assert self.read(identity=Value.of("[system]")).value == "system-assigned"

    @pytest.mark.parametrize(
        "expression", ["identity.id", "uami.outputs.resourceId.id", "resourceId('x', 'y')"]
    )
    def test_a_resource_id_expression_is_user_assigned(self, expression: str) -> None:
        """The field takes '[system]' or a resource ID, so a resource's ID is a UAMI."""
        assert self.read(identity=Value.unknown(expression)).value == "user-assigned"

    def test_a_variable_called_id_is_not_a_resource_reference(self) -> None:
        assert not self.read(identity=Value.unknown("var.id")).known

    @pytest.mark.parametrize(
        ("group", "expected"),
        [("UserAssigned", "user-assigned"), ("SystemAssigned", "system-assigned")],
    )
    def test_group_type_decides_an_opaque_expression(self, group: str, expected: str) -> None:
        assert expected == self.read(identity=Value.unknown("param.id"), group=group).value

    def test_both_kinds_on_the_group_stay_unknown(self) -> None:
        result = self.read(identity=Value.unknown("param.id"), group="SystemAssigned, UserAssigned")
        assert not result.known


@pytest.mark.parametrize(
    ("older", "newer"),
    [
        ("2019-05-01", "2019-12-01-preview"),
        ("2019-12-01-preview", "2021-09-01"),
        ("2025-03-01-preview", "2025-03-01"),
        ("2025-04-01", "2025-05-01-preview"),
        ("2025-11-01", "2026-03-01-preview"),
    ],
)
def test_api_version_ordering(older: str, newer: str) -> None:
    """Versions order by date, a preview before the stable release of the same date."""
    old_key, new_key = api_version_key(older), api_version_key(newer)
    assert old_key is not None
    assert new_key is not None
    assert old_key < new_key


def test_same_api_version_is_equal_and_garbage_is_none() -> None:
    """Equal versions compare equal; a malformed version has no key."""
    assert api_version_key("2019-12-01-preview") == api_version_key("2019-12-01-preview")
    assert api_version_key("latest") is None


def test_properties_an_old_api_version_lacks_are_ignored() -> None:
    """ARM drops them, so the effective properties do not have them (ACRT006 reports them)."""
    old = evolve(
        registry(
            ROLE_ASSIGNMENT_MODE=Value.of("AbacRepositoryPermissions"),
            PUBLIC_NETWORK_ACCESS=Value.of("Disabled"),
        ),
        api_version="2025-04-01",
    )
    assert ignored_properties(old) == (RegistryProperty.ROLE_ASSIGNMENT_MODE,)
    assert RegistryProperty.ROLE_ASSIGNMENT_MODE not in effective_properties(old)
    assert RegistryProperty.PUBLIC_NETWORK_ACCESS in effective_properties(old)
    assert ignored_properties(evolve(old, api_version="2025-11-01")) == ()
    assert ignored_properties(evolve(old, api_version=None)) == ()


def test_patch_properties_its_api_version_lacks_are_ignored() -> None:
    """An azapi_update_resource under an older API version does not set what it predates."""
    old = evolve(
        patch(TASKS_BYPASS=Value.of(True), PUBLIC_NETWORK_ACCESS=Value.of("Disabled")),
        attributes={
            **patch(
                TASKS_BYPASS=Value.of(True), PUBLIC_NETWORK_ACCESS=Value.of("Disabled")
            ).attributes,
            "api_version": Value.of("2023-11-01-preview"),
        },
    )
    assert ignored_patch_properties(old) == (RegistryProperty.TASKS_BYPASS,)
    props = effective_properties(registry(TASKS_BYPASS=Value.of(False)), [old])
    assert props[P.TASKS_BYPASS].value is False
    assert props[P.PUBLIC_NETWORK_ACCESS].value == "Disabled"
    assert ignored_patch_properties(patch(TASKS_BYPASS=Value.of(True))) == ()  # no version
    assert predates("2025-04-01", P.ROLE_ASSIGNMENT_MODE)  # a later version that lacks it
    assert not predates("2025-11-01", P.ROLE_ASSIGNMENT_MODE)
    assert not predates("latest", P.TASKS_BYPASS)
    assert not predates("2017-10-01", P.SKU)  # in every version


@pytest.mark.parametrize(
    ("identity", "expected"),
    [
        (None, None),
        (Value.of(None), None),
        (Value.of("[system]"), "[system]"),
        (Value.unknown("uami.properties.clientId"), "uami.properties.clientId"),
    ],
)
def test_credential_identity_counts_a_client_id_known_only_at_deployment(
    identity: Value | None, expected: str | None
) -> None:
    """A task credential's identity read from a UAMI is used, whatever its value (ACRT010)."""
    assert credential_identity(identity) == expected


@pytest.mark.parametrize(
    ("resource_type", "path"),
    [
        ("Microsoft.ContainerRegistry/registries/tasks", ("properties",)),
        (
            "Microsoft.ContainerRegistry/registries/taskRuns@2019-06-01-preview",
            ("properties", "runRequest"),
        ),
        ("microsoft.containerregistry/registries/taskruns", ("properties", "runRequest")),
    ],
)
def test_task_settings_of_a_run_are_in_its_run_request(
    resource_type: str, path: tuple[str, ...]
) -> None:
    assert task_settings(resource_type) == path


OWN = {"login_server": None, "identity": "[system]", "same_registry": True}
UPSTREAM = {"login_server": "up.azurecr.io", "identity": "[system]"}


@pytest.mark.parametrize(
    ("customs", "identity", "api_version", "expected"),
    [
        (Value.of([UPSTREAM]), Value.of("[system]"), "2025-03-01-preview", [UPSTREAM, OWN]),
        (Value.of([]), Value.of("[system]"), "2026-01-01", [OWN]),
        # an undeterminable customRegistries no longer matters: the own registry has one
        (Value.unknown("parameters('customs')"), Value.of("[system]"), "2025-03-01-preview", [OWN]),
        # the property does not exist before 2025-03-01-preview (or at no known version)
        (Value.of([UPSTREAM]), Value.of("[system]"), "2019-06-01-preview", [UPSTREAM]),
        (Value.of([UPSTREAM]), Value.of("[system]"), None, [UPSTREAM]),
        # absent, null or empty is no credential
        (Value.of([UPSTREAM]), None, "2025-03-01-preview", [UPSTREAM]),
        (Value.of([UPSTREAM]), Value.of(None), "2025-03-01-preview", [UPSTREAM]),
        (Value.of([UPSTREAM]), Value.of(""), "2025-03-01-preview", [UPSTREAM]),
    ],
)
def test_a_source_registry_identity_is_a_credential_for_the_tasks_own_registry(
    customs: Value, identity: Value | None, api_version: str | None, expected: object
) -> None:
    assert with_source_registry_credential(customs, identity, api_version).value == expected


def test_a_source_registry_identity_read_at_deployment_is_one_named_by_its_expression() -> None:
    identity = Value.unknown("uami.properties.clientId", SPAN)
    result = with_source_registry_credential(Value.of([]), identity, "2025-03-01-preview")
    assert result.value == [
        {"login_server": None, "identity": "uami.properties.clientId", "same_registry": True}
    ]
    assert result.span == SPAN
