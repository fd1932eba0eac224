"""The ACRT rules: hand-built models (every rule, unknowns, strict, fixes), then fixtures e2e."""

from __future__ import annotations

import importlib
import importlib.util
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import pytest

from acr_trusted.lint import rules
from acr_trusted.lint.findings import RULES, Edit, Finding, Severity
from acr_trusted.lint.model import (
    Consumer,
    ConsumerKind,
    FileModel,
    IdentityUse,
    LoadContext,
    Origin,
    OriginKind,
    ParseError,
    Registry,
    RegistryLink,
    RegistryProperty,
    Span,
    Value,
)
from acr_trusted.records import evolve

P = RegistryProperty
PATH = "main.bicep"
REGISTRY_SPAN = Span.point(PATH, 1, 1)


def at(line: int, column: int = 5, path: str = PATH) -> Span:
    return Span.point(path, line, column)


def lit(value: Any, line: int = 2, *, path: str = PATH) -> Value:
    """A literal written in the file (no offsets: not fixable)."""
    return Value.of(value, at(line, path=path))


def default(value: Any, name: str, *, path: str = PATH, line: int = 1) -> Value:
    """A parameter / variable default, as loaders produce it."""
    where = at(line, 20, path)
    return Value.of(
        value,
        where,
        expression=name,
        origin=Origin(OriginKind.PARAMETER_DEFAULT, name, where),
        depends_on=(name,),
    )


def unknown(expression: str, line: int = 3, *alternatives: Value) -> Value:
    value = Value.unknown(expression, at(line))
    return evolve(value, alternatives=alternatives)


def registry(
    props: Mapping[RegistryProperty, Value] | None = None,
    *,
    symbol: str = "acr",
    sku: Value | None = None,
    api: str | None = None,
    via: str | None = None,
    fmt: str = "bicep",
    endpoints: Value | None = None,
) -> Registry:
    properties = {P.SKU: sku or lit("Premium", 1)}
    properties.update(props or {})
    return Registry(
        symbol=symbol,
        span=REGISTRY_SPAN,
        name=Value.of("myacr"),
        api_version=api,
        properties=properties,
        private_endpoint_count=endpoints or Value.of(0, origin=Origin(OriginKind.ABSENT)),
        via=via,
        format=fmt,
    )


def consumer(
    kind: ConsumerKind,
    symbol: str = "c",
    *,
    line: int = 20,
    link: RegistryLink | None = None,
    **attributes: Value,
) -> Consumer:
    return Consumer(
        kind=kind,
        symbol=symbol,
        span=at(line, 1),
        link=link or RegistryLink(symbol="acr"),
        attributes=attributes,
    )


def model(
    *registries: Registry,
    consumers: Sequence[Consumer] = (),
    text: str = "",
    errors: Sequence[ParseError] = (),
) -> FileModel:
    return FileModel(PATH, "bicep", tuple(registries), tuple(consumers), tuple(errors), text)


def ids(findings: Sequence[Finding]) -> list[str]:
    return [f.rule for f in findings]


def only(findings: Sequence[Finding], rule: str) -> Finding:
    matching = [f for f in findings if f.rule == rule]
    assert len(matching) == 1, findings
    return matching[0]


DISABLED = {P.PUBLIC_NETWORK_ACCESS: lit("Disabled", 3)}
PE = consumer(ConsumerKind.PRIVATE_ENDPOINT, "pe")


class TestTable:
    def test_every_rule_but_parse_and_undetermined_has_a_check(self) -> None:
        """The table maps each registry rule id to its function; ACRT000/099 are derived."""
        assert set(rules.REGISTRY_RULES) | {"ACRT000", "ACRT099"} == set(RULES)

    def test_check_is_pure_and_sorted(self) -> None:
        """The same model gives the same findings, sorted by position."""
        m = model(
            registry(
                {**DISABLED, P.BYPASS_OPTIONS: lit("None", 9)},
                sku=lit("Standard", 4),
            )
        )
        first, second = rules.check(m), rules.check(m)
        assert first == second
        assert [f.span.line for f in first] == sorted(f.span.line for f in first)
        assert ids(first) == ["ACRT003", "ACRT001"]

    def test_empty_model(self) -> None:
        """A file without registries gives nothing."""
        assert rules.check(model()) == []


class TestParseError:
    def test_parse_error_becomes_acrt000(self) -> None:
        """ACRT000 names file:line:col and the parser's reason."""
        error = ParseError(Span.point("broken.bicep", 4, 7), "unexpected token '}'")
        (finding,) = rules.check(model(errors=[error]))
        assert finding.rule == "ACRT000"
        assert finding.severity is Severity.ERROR
        assert finding.message == "cannot parse broken.bicep:4:7: unexpected token '}'"


class TestTrustedServicesBlocked:
    @pytest.mark.parametrize(
        ("props", "consumers", "endpoints"),
        [
            pytest.param(DISABLED, (), None, id="public-access-disabled"),
            pytest.param({P.DEFAULT_ACTION: lit("Deny", 3)}, (), None, id="firewall-deny"),
            pytest.param({}, (PE,), None, id="private-endpoint-consumer"),
            pytest.param({}, (), Value.of(2), id="module-private-endpoints"),
            pytest.param({P.DEFAULT_ACTION: lit("deny", 3)}, (), None, id="enum-any-case"),
        ],
    )
    def test_restricted_with_bypass_none(
        self,
        props: Mapping[RegistryProperty, Value],
        consumers: Sequence[Consumer],
        endpoints: Value | None,
    ) -> None:
        """Each kind of restriction plus bypass None is an error at the bypass literal."""
        reg = registry({**props, P.BYPASS_OPTIONS: lit("None", 7)}, endpoints=endpoints)
        finding = only(rules.check(model(reg, consumers=consumers)), "ACRT001")
        assert finding.severity is Severity.ERROR
        assert finding.span == at(7)
        assert finding.resource == "acr"
        assert "set it to AzureServices" in finding.message
        assert "\n" not in finding.message

    @pytest.mark.parametrize(
        "bypass",
        [
            pytest.param(lit("AzureServices", 7), id="explicit-azure-services"),
            pytest.param(lit("azureservices", 7), id="azure-services-any-case"),
            pytest.param(None, id="absent"),
            pytest.param(Value.of(None, at(7)), id="null"),
            pytest.param(default("AzureServices", "bypass"), id="default-azure-services"),
        ],
    )
    def test_azure_services_or_absent_never_reported(self, bypass: Value | None) -> None:
        """AzureServices, written or by default, and an absent bypass never give ACRT001."""
        props = dict(DISABLED)
        if bypass is not None:
            props[P.BYPASS_OPTIONS] = bypass
        assert "ACRT001" not in ids(rules.check(model(registry(props), consumers=[PE])))

    def test_ip_rules_under_allow_restrict_nothing(self) -> None:
        """An IP rule under defaultAction Allow is not a restriction."""
        reg = registry(
            {
                P.DEFAULT_ACTION: lit("Allow", 3),
                P.IP_RULES: lit(["1.2.3.4"], 4),
                P.BYPASS_OPTIONS: lit("None", 7),
            }
        )
        assert "ACRT001" not in ids(rules.check(model(reg), strict=True))

    def test_unrestricted_bypass_none_is_not_acrt001(self) -> None:
        """None on a public registry does nothing, so ACRT001 stays silent."""
        reg = registry({P.BYPASS_OPTIONS: lit("None", 7)})
        assert rules.check(model(reg), strict=True) == []

    def test_unknown_restriction_is_never_an_error(self) -> None:
        """Bypass None with an undeterminable public access: no error, ACRT099 when strict."""
        reg = registry(
            {
                P.PUBLIC_NETWORK_ACCESS: unknown("parameters('access')", 3),
                P.BYPASS_OPTIONS: lit("None", 7),
            }
        )
        assert rules.check(model(reg)) == []
        (finding,) = rules.check(model(reg), strict=True)
        assert finding.rule == "ACRT099"
        assert finding.severity is Severity.WARNING
        assert finding.span == at(3)
        assert "parameters('access')" in finding.message
        assert "ACRT001" in finding.message

    def test_unknown_with_only_unrestricting_alternatives_is_decided(self) -> None:
        """A ternary whose branches both leave the registry public is not undetermined."""
        access = unknown("cond ? 'Enabled' : null", 3, lit("Enabled"), Value.of(None))
        reg = registry({P.PUBLIC_NETWORK_ACCESS: access, P.BYPASS_OPTIONS: lit("None", 7)})
        assert "ACRT099" not in ids(rules.check(model(reg), strict=True))

    def test_unknown_bypass_on_restricted_registry(self) -> None:
        """An undeterminable bypass on a restricted registry: ACRT099 only when strict."""
        reg = registry({**DISABLED, P.BYPASS_OPTIONS: unknown("var.bypass", 7)})
        assert "ACRT001" not in ids(rules.check(model(reg), strict=True))
        finding = only(rules.check(model(reg), strict=True), "ACRT099")
        assert "var.bypass" in finding.message
        assert finding.span == at(7)

    def test_patch_restores_trusted_services(self) -> None:
        """A linked patch setting AzureServices wins over the declared None."""
        patch = consumer(
            ConsumerKind.REGISTRY_PATCH,
            "patch",
            properties=Value.of({P.BYPASS_OPTIONS.value: lit("AzureServices", 30)}),
        )
        reg = registry({**DISABLED, P.BYPASS_OPTIONS: lit("None", 7)})
        assert "ACRT001" not in ids(rules.check(model(reg, consumers=[patch])))

    def test_consumers_of_another_registry_do_not_count(self) -> None:
        """A private endpoint linked to a different registry does not restrict this one."""
        other = consumer(ConsumerKind.PRIVATE_ENDPOINT, "pe", link=RegistryLink(symbol="other"))
        reg = registry({P.BYPASS_OPTIONS: lit("None", 7)})
        assert rules.check(model(reg, consumers=[other])) == []

    def test_module_default_reported_at_call_site_naming_its_origin(self) -> None:
        """A None from a module's variable default is reported at the call, naming the file."""
        bypass = Value.of(
            "None",
            at(12, 20, "../../variables.containerregistry.tf"),
            origin=Origin(
                OriginKind.PARAMETER_DEFAULT,
                "network_rule_bypass_option",
                at(12, 20, "../../variables.containerregistry.tf"),
            ),
            depends_on=("network_rule_bypass_option",),
        )
        reg = registry(
            {P.PUBLIC_NETWORK_ACCESS: lit("Disabled", 5), P.BYPASS_OPTIONS: bypass},
            symbol="module.containerregistry",
            via="module '../../'",
            fmt="terraform",
        )
        finding = only(rules.check(model(reg)), "ACRT001")
        assert finding.span == REGISTRY_SPAN
        assert finding.fix is None
        assert "network_rule_bypass_option" in finding.message
        assert "../../variables.containerregistry.tf:12:20" in finding.message
        assert "module '../../'" in finding.message


def literal_in(text: str, token: str, value: Any, *, path: str = PATH) -> Value:
    """A literal whose span (with offsets) covers ``token`` inside ``text``."""
    start = text.index(token)
    line = text.count("\n", 0, start) + 1
    column = start - (text.rfind("\n", 0, start) + 1) + 1
    span = Span(path, line, column, line, column + len(token) - 1, start, start + len(token))
    return Value.of(value, span)


class TestFixes:
    @pytest.mark.parametrize(
        ("text", "token", "replacement"),
        [
            pytest.param(
                "resource acr 'x' = {\n  properties: {\n    networkRuleBypassOptions: 'None'\n",
                "'None'",
                "'AzureServices'",
                id="bicep-single-quotes",
            ),
            pytest.param(
                'resource "azurerm_container_registry" "acr" {\n'
                '  network_rule_bypass_option = "None"\n}\n',
                '"None"',
                '"AzureServices"',
                id="hcl-double-quotes",
            ),
            pytest.param(
                '{"networkRuleBypassOptions": "none"}', '"none"', '"AzureServices"', id="json"
            ),
        ],
    )
    def test_acrt001_fix_keeps_quote_style(self, text: str, token: str, replacement: str) -> None:
        """The fix replaces the whole literal token with AzureServices in the same quotes."""
        bypass = literal_in(text, token, token.strip("'\""))
        reg = registry({**DISABLED, P.BYPASS_OPTIONS: bypass})
        finding = only(rules.check(model(reg, text=text)), "ACRT001")
        start = text.index(token)
        assert finding.fix == Edit(start, start + len(token), replacement)

    def test_no_fix_for_parameter_defaults(self) -> None:
        """--fix never rewrites a value that comes from a parameter."""
        reg = registry({**DISABLED, P.BYPASS_OPTIONS: default("None", "bypass", line=2)})
        assert only(rules.check(model(reg)), "ACRT001").fix is None

    def test_no_fix_when_text_does_not_spell_the_value(self) -> None:
        """Offsets that do not cover the literal give no fix rather than a corrupt edit."""
        text = "networkRuleBypassOptions: 'None'"
        bypass = literal_in(text, "networkRuleBypassOptions", "None")
        reg = registry({**DISABLED, P.BYPASS_OPTIONS: bypass})
        assert only(rules.check(model(reg, text=text)), "ACRT001").fix is None

    def test_no_fix_for_literal_in_another_file(self) -> None:
        """A literal in a module file is reported, not rewritten from the caller."""
        text = "networkRuleBypassOptions: 'None'"
        bypass = literal_in(text, "'None'", "None", path="module.bicep")
        reg = registry({**DISABLED, P.BYPASS_OPTIONS: bypass})
        finding = only(rules.check(model(reg, text=text)), "ACRT001")
        assert finding.fix is None
        assert finding.span == REGISTRY_SPAN

    def test_acrt002_fix_rewrites_false_to_true(self) -> None:
        """ACRT002's fix turns the literal false into true."""
        text = "  networkRuleBypassAllowedForTasks: false\n"
        flag = literal_in(text, "false", False)
        reg = registry({**DISABLED, P.TASKS_BYPASS: flag})
        task = consumer(ConsumerKind.TASK, "build", agent_pool=Value.of(None))
        finding = only(rules.check(model(reg, consumers=[task], text=text)), "ACRT002")
        start = text.index("false")
        assert finding.fix == Edit(start, start + 5, "true")
        assert finding.span == flag.span


class TestTasksBypassMissing:
    TASK = consumer(ConsumerKind.TASK, "build", identity=Value.of("system-assigned"))

    def test_restricted_registry_with_task_and_no_flag(self) -> None:
        """A task outside an agent pool on a restricted registry needs the tasks bypass."""
        finding = only(rules.check(model(registry(DISABLED), consumers=[self.TASK])), "ACRT002")
        assert finding.severity is Severity.ERROR
        assert finding.span == REGISTRY_SPAN
        assert "'build'" in finding.message
        assert "not set (default false)" in finding.message
        assert finding.fix is None

    @pytest.mark.parametrize(
        "flag", [pytest.param(lit(True, 6), id="bool"), pytest.param(lit("true", 6), id="string")]
    )
    def test_flag_true_satisfies(self, flag: Value) -> None:
        """networkRuleBypassAllowedForTasks true on the registry is enough."""
        reg = registry({**DISABLED, P.TASKS_BYPASS: flag})
        assert "ACRT002" not in ids(rules.check(model(reg, consumers=[self.TASK])))

    def test_patch_from_deployment_script_satisfies(self) -> None:
        """A deployment script / azapi patch that sets the flag counts."""
        patch = consumer(
            ConsumerKind.REGISTRY_PATCH,
            "script",
            properties=Value.of({P.TASKS_BYPASS.value: lit(True, 40)}),
            source=Value.of("deployment-script"),
        )
        m = model(registry(DISABLED), consumers=[self.TASK, patch])
        assert "ACRT002" not in ids(rules.check(m))

    def test_agent_pool_tasks_need_no_bypass(self) -> None:
        """Tasks on an agent pool run inside the VNet."""
        task = consumer(ConsumerKind.TASK, "build", agent_pool=lit("pool", 21))
        assert rules.check(model(registry(DISABLED), consumers=[task])) == []

    def test_unrestricted_registry(self) -> None:
        """A public registry needs no tasks bypass."""
        assert rules.check(model(registry(), consumers=[self.TASK])) == []

    def test_unknown_agent_pool_and_flag(self) -> None:
        """Undeterminable agent pool or flag: never an error, ACRT099 when strict."""
        task = consumer(ConsumerKind.TASK, "build", agent_pool=unknown("poolName", 21))
        assert rules.check(model(registry(DISABLED), consumers=[task])) == []
        assert ids(rules.check(model(registry(DISABLED), consumers=[task]), strict=True)) == [
            "ACRT099"
        ]
        reg = registry({**DISABLED, P.TASKS_BYPASS: unknown("tasksBypass", 6)})
        found = rules.check(model(reg, consumers=[self.TASK]), strict=True)
        assert "ACRT002" not in ids(found)
        assert "tasksBypass" in only(found, "ACRT099").message

    def test_unknown_agent_pool_on_an_open_registry_is_not_undetermined(self) -> None:
        """A registry known to be open needs no bypass, so an unknown agent pool is moot."""
        task = consumer(ConsumerKind.TASK, "build", agent_pool=unknown("poolName", 21))
        assert rules.check(model(registry(), consumers=[task]), strict=True) == []


class TestPremiumRequired:
    @pytest.mark.parametrize(
        ("props", "consumers"),
        [
            pytest.param(DISABLED, (), id="public-access-disabled"),
            pytest.param({P.DEFAULT_ACTION: lit("Deny", 3)}, (), id="firewall"),
            pytest.param(
                {P.DEFAULT_ACTION: lit("Allow", 3), P.IP_RULES: lit(["1.2.3.4"], 4)},
                (),
                id="ip-rules-even-under-allow",
            ),
            pytest.param({}, (PE,), id="private-endpoint"),
        ],
    )
    def test_network_features_on_standard(
        self, props: Mapping[RegistryProperty, Value], consumers: Sequence[Consumer]
    ) -> None:
        """Any network feature on a known non-Premium SKU is an error at the SKU."""
        reg = registry(props, sku=lit("Standard", 4))
        finding = only(rules.check(model(reg, consumers=consumers)), "ACRT003")
        assert finding.span == at(4)
        assert "Standard" in finding.message
        assert "Premium" in finding.message

    @pytest.mark.parametrize(
        "sku",
        [
            pytest.param(lit("premium", 4), id="premium-any-case"),
            pytest.param(Value.absent(), id="missing-sku"),
        ],
    )
    def test_premium_or_missing_sku(self, sku: Value) -> None:
        """Premium (any case) is fine; a missing SKU is unknown, so no error."""
        reg = registry(DISABLED, sku=sku)
        assert "ACRT003" not in ids(rules.check(model(reg), strict=True))

    def test_basic_without_network_features(self) -> None:
        """A plain Basic registry is fine."""
        assert rules.check(model(registry(sku=lit("Basic", 4))), strict=True) == []

    def test_unknown_sku_with_network_features(self) -> None:
        """An undeterminable SKU is reported only under --strict."""
        reg = registry(DISABLED, sku=unknown("skuName", 4))
        assert rules.check(model(reg)) == []
        assert "skuName" in only(rules.check(model(reg), strict=True), "ACRT099").message


class TestServiceEndpointRules:
    def test_virtual_network_rules_warn(self) -> None:
        """VNet rules are a warning at the property."""
        reg = registry({P.VIRTUAL_NETWORK_RULES: lit(["/subscriptions/s/subnets/a"], 5)})
        finding = only(rules.check(model(reg)), "ACRT004")
        assert finding.severity is Severity.WARNING
        assert finding.span == at(5)

    def test_empty_list_is_fine(self) -> None:
        """An empty virtualNetworkRules list declares nothing."""
        reg = registry({P.VIRTUAL_NETWORK_RULES: lit([], 5)})
        assert rules.check(model(reg), strict=True) == []

    def test_terraform_names_the_block(self) -> None:
        """azurerm messages use the azurerm attribute names."""
        reg = registry({P.VIRTUAL_NETWORK_RULES: lit(["s"], 5)}, fmt="terraform")
        assert (
            "network_rule_set.virtual_network" in only(rules.check(model(reg)), "ACRT004").message
        )

    def test_unknown_rules(self) -> None:
        """Undeterminable VNet rules: ACRT099 only when strict."""
        reg = registry({P.VIRTUAL_NETWORK_RULES: unknown("subnets", 5)})
        assert rules.check(model(reg)) == []
        assert ids(rules.check(model(reg), strict=True)) == ["ACRT099"]


OTHER_FILE = "../../variables.tf"


def module_default(value: Any, name: str) -> Value:
    """A module input the caller did not pass: its default lives in the module's file."""
    return default(value, name, path=OTHER_FILE, line=12)


class TestUnsafeBypassDefault:
    def test_parameter_default_none_when_restriction_is_a_parameter(self) -> None:
        """Quickstart shape: bypass param default None, restriction via params -> ACRT005 only."""
        reg = registry(
            {
                P.PUBLIC_NETWORK_ACCESS: default("Enabled", "publicNetworkAccess", line=3),
                P.BYPASS_OPTIONS: default("None", "networkRuleBypassOptions", line=5),
            },
            sku=default("Basic", "acrSku", line=4),
        )
        found = rules.check(model(reg))
        assert ids(found) == ["ACRT005"]
        assert found[0].severity is Severity.WARNING
        assert found[0].span == at(5, 20)
        assert "can be network-restricted" in found[0].message
        assert "networkRuleBypassOptions" in found[0].message

    def test_module_default_none_on_restricted_module_call(self) -> None:
        """AVM Terraform private-endpoint shape: ACRT001 and ACRT005, both at the call site."""
        reg = registry(
            {
                P.PUBLIC_NETWORK_ACCESS: Value.of(
                    "Disabled",
                    at(8),
                    origin=Origin(OriginKind.PARAMETER_VALUE, "public_network_access_enabled"),
                ),
                P.BYPASS_OPTIONS: module_default("None", "network_rule_bypass_option"),
            },
            sku=module_default("Premium", "sku"),
            via="module '../../'",
            fmt="terraform",
            endpoints=Value.of(1, at(9)),
        )
        found = rules.check(model(reg))
        assert sorted(ids(found)) == ["ACRT001", "ACRT005"]
        assert all(f.span == REGISTRY_SPAN for f in found)
        assert "is network-restricted" in only(found, "ACRT005").message

    def test_unrestricted_module_call_with_module_default_none(self) -> None:
        """AVM Terraform examples/default shape: the caller fixes the inputs -> nothing."""
        reg = registry(
            {
                P.PUBLIC_NETWORK_ACCESS: module_default("Enabled", "public_network_access_enabled"),
                P.BYPASS_OPTIONS: module_default("None", "network_rule_bypass_option"),
            },
            sku=module_default("Premium", "sku"),
            via="module '../../'",
            fmt="terraform",
            endpoints=module_default(0, "private_endpoints"),
        )
        assert rules.check(model(reg), strict=True) == []

    def test_module_call_passing_callers_parameter(self) -> None:
        """A restriction input fed by the caller's own parameter can vary: ACRT005."""
        reg = registry(
            {
                P.PUBLIC_NETWORK_ACCESS: default("Enabled", "access", line=2),
                P.BYPASS_OPTIONS: module_default("None", "network_rule_bypass_option"),
            },
            via="module '../../'",
            fmt="terraform",
        )
        assert ids(rules.check(model(reg))) == ["ACRT005"]

    def test_module_table_default_on_restricted_registry(self) -> None:
        """A default from acr-trusted's module table is named in the message."""
        note = "default of input 'networkRuleBypassOptions' in acr-trusted's table"
        bypass = Value.of(
            "None",
            None,
            origin=Origin(OriginKind.MODULE_TABLE, "networkRuleBypassOptions", note=note),
        )
        reg = registry({**DISABLED, P.BYPASS_OPTIONS: bypass}, via="module 'br/public:x'")
        found = rules.check(model(reg))
        assert sorted(ids(found)) == ["ACRT001", "ACRT005"]
        assert all(note in f.message for f in found)

    def test_literal_none_is_not_a_default(self) -> None:
        """A written None is ACRT001's business, not ACRT005's."""
        reg = registry({**DISABLED, P.BYPASS_OPTIONS: lit("None", 7)})
        assert "ACRT005" not in ids(rules.check(model(reg)))

    def test_fixed_basic_sku_cannot_be_restricted(self) -> None:
        """A literal Basic SKU cannot carry network rules, so the default is harmless."""
        reg = registry(
            {
                P.PUBLIC_NETWORK_ACCESS: default("Enabled", "publicNetworkAccess"),
                P.BYPASS_OPTIONS: default("None", "networkRuleBypassOptions"),
            },
            sku=lit("Basic", 4),
        )
        assert rules.check(model(reg)) == []

    def test_unknown_restriction_can_restrict(self) -> None:
        """A restriction that cannot be determined may restrict: ACRT005."""
        reg = registry(
            {
                P.DEFAULT_ACTION: unknown("ipRules.defaultAction", 3),
                P.BYPASS_OPTIONS: default("None", "networkRuleBypassOptions"),
            }
        )
        assert ids(rules.check(model(reg))) == ["ACRT005"]

    def test_default_azure_services(self) -> None:
        """A default of AzureServices is the safe default."""
        reg = registry(
            {
                P.PUBLIC_NETWORK_ACCESS: default("Enabled", "publicNetworkAccess"),
                P.BYPASS_OPTIONS: default("AzureServices", "networkRuleBypassOptions"),
            }
        )
        assert rules.check(model(reg)) == []


class TestApiVersion:
    @pytest.mark.parametrize(
        ("prop", "value", "api", "reported"),
        [
            pytest.param(P.PUBLIC_NETWORK_ACCESS, "Disabled", "2019-05-01", True, id="pna-old"),
            pytest.param(
                P.PUBLIC_NETWORK_ACCESS, "Disabled", "2019-12-01-preview", False, id="pna-first"
            ),
            pytest.param(P.BYPASS_OPTIONS, "AzureServices", "2019-05-01", True, id="bypass-old"),
            pytest.param(P.BYPASS_OPTIONS, "None", "2021-09-01", False, id="bypass-stable"),
            pytest.param(P.TASKS_BYPASS, True, "2025-04-01", True, id="tasks-2025-04-01"),
            pytest.param(P.TASKS_BYPASS, True, "2025-03-01-preview", True, id="tasks-preview"),
            pytest.param(P.TASKS_BYPASS, True, "2025-05-01-preview", False, id="tasks-first"),
            pytest.param(P.TASKS_BYPASS, False, "2025-11-01", False, id="tasks-stable"),
            pytest.param(
                P.ROLE_ASSIGNMENT_MODE, "LegacyRegistryPermissions", "2025-04-01", True, id="ram"
            ),
            pytest.param(
                P.ROLE_ASSIGNMENT_MODE,
                "AbacRepositoryPermissions",
                "2024-11-01-preview",
                True,
                id="ram-old",
            ),
            pytest.param(
                P.ROLE_ASSIGNMENT_MODE,
                "AbacRepositoryPermissions",
                "2025-03-01-preview",
                False,
                id="ram-first",
            ),
            pytest.param(
                P.ROLE_ASSIGNMENT_MODE,
                "AbacRepositoryPermissions",
                "2025-06-01-preview",
                False,
                id="ram-later-preview",
            ),
        ],
    )
    def test_property_versions(
        self, prop: RegistryProperty, value: Any, api: str, reported: bool
    ) -> None:
        """Each property against the first API version that has it (domain-facts s. 3)."""
        reg = registry({prop: lit(value, 6)}, api=api)
        found = [f for f in rules.check(model(reg)) if f.rule == "ACRT006"]
        assert bool(found) is reported
        if reported:
            assert found[0].span == at(6)
            assert api in found[0].message

    @pytest.mark.parametrize(
        ("value", "api"),
        [
            pytest.param(Value.of(None, at(6)), "2019-05-01", id="null-is-not-sent"),
            pytest.param(lit("Disabled", 6), None, id="terraform-azurerm-has-no-api"),
            pytest.param(lit("Disabled", 6), "not-a-version", id="malformed-version"),
        ],
    )
    def test_not_reported(self, value: Value, api: str | None) -> None:
        """Null values, azurerm resources and malformed versions give no ACRT006."""
        reg = registry({P.PUBLIC_NETWORK_ACCESS: value}, api=api)
        assert "ACRT006" not in ids(rules.check(model(reg)))

    def test_unknown_value_is_still_set(self) -> None:
        """An expression is still sent to ARM, so an old version is reported."""
        reg = registry({P.BYPASS_OPTIONS: unknown("bypass", 6)}, api="2019-05-01")
        assert "ACRT006" in ids(rules.check(model(reg)))

    def test_an_ignored_property_decides_nothing_else(self) -> None:
        """What ARM ignores is reported once, as ACRT006: the other rules see the registry
        as ARM creates it (ABAC mode and a bypass of None dropped)."""
        reg = registry(
            {**ABAC, P.PUBLIC_NETWORK_ACCESS: lit("Disabled", 7), P.BYPASS_OPTIONS: lit("None", 8)},
            api="2019-05-01",
        )
        found = rules.check(model(reg, consumers=[assignment(lit("AcrPull", 30))]))
        assert sorted(ids(found)) == ["ACRT006", "ACRT006", "ACRT006"]
        current = evolve(reg, api_version=rules.LATEST_STABLE_API)
        found = rules.check(model(current, consumers=[assignment(lit("AcrPull", 30))]))
        assert sorted(ids(found)) == ["ACRT001", "ACRT007"]


ABAC = {P.ROLE_ASSIGNMENT_MODE: lit("AbacRepositoryPermissions", 6)}


def assignment(role: Value, symbol: str = "pull", **attributes: Value) -> Consumer:
    return consumer(ConsumerKind.ROLE_ASSIGNMENT, symbol, line=30, role=role, **attributes)


class TestAbacIgnoresAcrRoles:
    @pytest.mark.parametrize(
        ("role", "replacement"),
        [
            pytest.param("AcrPull", "Container Registry Repository Reader", id="name"),
            pytest.param("acrpull", "Container Registry Repository Catalog Lister", id="lister"),
            pytest.param(
                "8311e382-0749-4cb8-b61a-304f252e45ec",
                "Container Registry Repository Writer",
                id="acrpush-guid",
            ),
            pytest.param(
                "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/"
                "c2f4ef07-c644-48eb-af81-4b1b4947fb11",
                "Container Registry Repository Contributor",
                id="acrdelete-definition-id",
            ),
        ],
    )
    def test_legacy_role_in_abac_mode(self, role: str, replacement: str) -> None:
        """AcrPull/AcrPush/AcrDelete under ABAC mode is an error naming the Repository role."""
        found = rules.check(model(registry(ABAC), consumers=[assignment(lit(role, 30))]))
        finding = only(found, "ACRT007")
        assert finding.severity is Severity.ERROR
        assert finding.span == at(30, 1)
        assert finding.resource == "pull"
        assert replacement in finding.message

    @pytest.mark.parametrize(
        ("mode", "role"),
        [
            pytest.param({}, "AcrPull", id="legacy-by-default"),
            pytest.param(
                {P.ROLE_ASSIGNMENT_MODE: lit("LegacyRegistryPermissions", 6)},
                "AcrPush",
                id="legacy-explicit",
            ),
            pytest.param(ABAC, "Container Registry Repository Reader", id="abac-role"),
            pytest.param(ABAC, "Owner", id="not-a-legacy-acr-role"),
        ],
    )
    def test_not_reported(self, mode: Mapping[RegistryProperty, Value], role: str) -> None:
        """Legacy mode, or a role ABAC honours, is fine."""
        m = model(registry(mode), consumers=[assignment(lit(role, 30))])
        assert rules.check(m, strict=True) == []

    def test_unknown_mode_or_role(self) -> None:
        """Undeterminable mode (with AcrPull) or role (in ABAC mode): ACRT099 when strict."""
        reg = registry({P.ROLE_ASSIGNMENT_MODE: unknown("roleMode", 6)})
        m = model(reg, consumers=[assignment(lit("AcrPull", 30))])
        assert rules.check(m) == []
        assert "roleMode" in only(rules.check(m, strict=True), "ACRT099").message
        m = model(registry(ABAC), consumers=[assignment(unknown("roleId", 30))])
        assert rules.check(m) == []
        assert "roleId" in only(rules.check(m, strict=True), "ACRT099").message

    def test_finding_names_the_assignment_for_metadata_suppression(self) -> None:
        """The finding's resource is the assignment, so its ARM metadata can suppress it."""
        pull = consumer(ConsumerKind.ROLE_ASSIGNMENT, "pullAssignment", role=lit("AcrPull", 30))
        finding = only(rules.check(model(registry(ABAC), consumers=[pull])), "ACRT007")
        assert finding.resource == "pullAssignment"
        assert not finding.suppressed


class TestAciIdentity:
    @pytest.mark.parametrize(
        ("identity", "reported"),
        [
            pytest.param(IdentityUse.ADMIN_CREDENTIALS, True, id="admin"),
            pytest.param(IdentityUse.SYSTEM_ASSIGNED, True, id="system"),
            pytest.param(IdentityUse.USER_ASSIGNED, False, id="user"),
        ],
    )
    def test_identity_kinds(self, identity: IdentityUse, reported: bool) -> None:
        """ACI must pull from a restricted registry with a user-assigned identity."""
        group = consumer(ConsumerKind.CONTAINER_GROUP, "aci", identity=Value.of(identity.value))
        found = rules.check(model(registry(DISABLED), consumers=[group]))
        assert ("ACRT008" in ids(found)) is reported
        if reported:
            assert only(found, "ACRT008").resource == "aci"
            assert "user-assigned" in only(found, "ACRT008").message

    def test_unrestricted_registry(self) -> None:
        """Admin credentials on a public registry are not this rule's concern."""
        group = consumer(
            ConsumerKind.CONTAINER_GROUP, "aci", identity=Value.of("admin-credentials")
        )
        assert rules.check(model(registry(), consumers=[group]), strict=True) == []

    def test_unknown_identity(self) -> None:
        """Undeterminable identity: ACRT099 when strict."""
        group = consumer(ConsumerKind.CONTAINER_GROUP, "aci", identity=unknown("cred", 20))
        m = model(registry(DISABLED), consumers=[group])
        assert rules.check(m) == []
        assert ids(rules.check(m, strict=True)) == ["ACRT099"]


class TestAppServiceNotTrusted:
    @pytest.mark.parametrize(
        ("attributes", "reported"),
        [
            pytest.param({}, True, id="absent"),
            pytest.param({"vnet_image_pull": lit(False, 20)}, True, id="false"),
            pytest.param({"vnet_image_pull": lit(True, 20)}, False, id="true"),
        ],
    )
    def test_vnet_image_pull(self, attributes: dict[str, Value], reported: bool) -> None:
        """A web app reaches a restricted registry only through VNet image pull."""
        app = consumer(ConsumerKind.WEB_APP, "app", **attributes)
        found = rules.check(model(registry(DISABLED), consumers=[app]))
        assert ("ACRT009" in ids(found)) is reported

    def test_restriction_undetermined(self) -> None:
        """An app on a registry whose restriction is unknown: ACRT099 when strict."""
        app = consumer(ConsumerKind.WEB_APP, "app")
        reg = registry({P.PUBLIC_NETWORK_ACCESS: unknown("access", 3)})
        assert rules.check(model(reg, consumers=[app])) == []
        finding = only(rules.check(model(reg, consumers=[app]), strict=True), "ACRT099")
        assert "ACRT009" in finding.message


def task(identity: str = "system-assigned", creds: Any = None, **attributes: Value) -> Consumer:
    extra = dict(attributes)
    if creds is not None:
        extra["custom_registries"] = creds if isinstance(creds, Value) else Value.of(creds)
    return consumer(
        ConsumerKind.TASK,
        "build",
        identity=Value.of(identity),
        agent_pool=Value.of("pool"),
        **extra,
    )


class TestTaskIdentityCredential:
    @pytest.mark.parametrize(
        ("consumer_", "reported"),
        [
            pytest.param(task(), True, id="no-credentials"),
            pytest.param(
                task(creds=[{"login_server": "MYACR.azurecr.io", "identity": "[system]"}]),
                False,
                id="credential-any-case",
            ),
            pytest.param(
                task(creds=[{"login_server": "other.azurecr.io", "identity": "[system]"}]),
                True,
                id="other-registry",
            ),
            pytest.param(
                task(creds=[{"login_server": "myacr.azurecr.io", "identity": None}]),
                True,
                id="credential-without-identity",
            ),
            pytest.param(task("user-assigned"), True, id="user-assigned"),
            pytest.param(task("none"), False, id="no-identity"),
        ],
    )
    def test_credentials(self, consumer_: Consumer, reported: bool) -> None:
        """A task identity needs a custom credential for the registry's login server."""
        found = rules.check(model(registry(DISABLED), consumers=[consumer_]))
        assert ("ACRT010" in ids(found)) is reported
        if reported:
            assert "myacr.azurecr.io" in only(found, "ACRT010").message

    def test_unknown_login_server_in_credentials(self) -> None:
        """A credential whose server is an expression: not reported, ACRT099 when strict."""
        creds = [{"login_server": None, "identity": "[system]"}]
        m = model(registry(DISABLED), consumers=[task(creds=creds)])
        assert rules.check(m) == []
        assert ids(rules.check(m, strict=True)) == ["ACRT099"]

    def test_unrestricted(self) -> None:
        """A public registry needs no task credential."""
        assert rules.check(model(registry(), consumers=[task()])) == []

    def test_credential_written_through_the_registry_itself(self) -> None:
        """``'${acr.properties.loginServer}'``: the task's own registry, whatever its name."""
        creds = [{"login_server": "'${acr.properties.loginServer}'", "identity": "[system]"}]
        own = [{**creds[0], "same_registry": True}]
        unnamed = evolve(registry(DISABLED), name=Value.unknown("name"))
        assert rules.check(model(unnamed, consumers=[task(creds=own)]), strict=True) == []
        found = rules.check(model(unnamed, consumers=[task(creds=creds)]), strict=True)
        assert ids(found) == ["ACRT099"]


class TestRolePrincipalType:
    @pytest.mark.parametrize(
        ("attributes", "reported"),
        [
            pytest.param({"principal_is_managed_identity": Value.of(True)}, True, id="absent"),
            pytest.param(
                {
                    "principal_is_managed_identity": Value.of(True),
                    "principal_type": lit("User", 31),
                },
                True,
                id="user",
            ),
            pytest.param(
                {
                    "principal_is_managed_identity": Value.of(True),
                    "principal_type": lit("servicePrincipal", 31),
                },
                False,
                id="service-principal-any-case",
            ),
            pytest.param({}, False, id="not-a-managed-identity"),
        ],
    )
    def test_principal_type(self, attributes: dict[str, Value], reported: bool) -> None:
        """Managed identities' assignments should say principalType ServicePrincipal."""
        m = model(registry(), consumers=[assignment(lit("AcrPull", 30), **attributes)])
        found = rules.check(m)
        assert ("ACRT011" in ids(found)) is reported
        if reported:
            assert only(found, "ACRT011").severity is Severity.NOTE


class TestUndetermined:
    def test_one_acrt099_per_value_naming_every_rule(self) -> None:
        """An unknown restriction blocking several rules yields one ACRT099 listing them."""
        reg = registry(
            {P.PUBLIC_NETWORK_ACCESS: unknown("access", 3), P.BYPASS_OPTIONS: lit("None", 7)}
        )
        app = consumer(ConsumerKind.WEB_APP, "app")
        (finding,) = rules.check(model(reg, consumers=[app]), strict=True)
        assert "ACRT001, ACRT009" in finding.message
        assert "`access`" in finding.message
        assert str(at(3)) in finding.message


# -- end to end: real-shaped fixtures per rule and format, through the real loaders -----------
#
# End to end per rule: real-shaped bad and good files per format, through the real loaders.
#
# Expected findings are marked inline (``// expect: ACRT001`` in Bicep, ``# expect: ACRT001`` in
# HCL; several IDs separated by commas); ARM JSON has a sidecar ``<file>.expect`` with one
# ``line:RULE`` per line. A good file expects nothing. Files under ``ACRT099/`` run with
# ``strict``. A format's tests skip only while its loader module does not exist.
#
# Terraform treats a directory as one module (sibling ``.tf`` files share variables and
# resources), so its fixtures are ``<rule>/bad/main.tf`` and ``<rule>/good/main.tf``.

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "rules"
LOADERS = {
    ".bicep": "acr_trusted.lint.bicep",
    ".json": "acr_trusted.lint.arm",
    ".tf": "acr_trusted.lint.terraform",
}
MARKER = re.compile(r"(?://|#)\s*expect:\s*(?P<ids>ACRT\d{3}(?:\s*,\s*ACRT\d{3})*)")


class Loader(Protocol):
    def load(self, path: Path, text: str, ctx: LoadContext) -> FileModel: ...


def fixture_files() -> list[Path]:
    return sorted(p for p in FIXTURES.glob("ACRT*/**/*") if p.suffix in LOADERS)


def rule_of(path: Path) -> str:
    return path.relative_to(FIXTURES).parts[0]


def kind_of(path: Path) -> str:
    """``bad`` or ``good``, from ``bad.bicep`` or ``bad/main.tf``."""
    return path.stem if path.suffix != ".tf" else path.parent.name


def fixture(rule_id: str, kind: str, suffix: str) -> Path:
    return FIXTURES / rule_id / (f"{kind}/main.tf" if suffix == ".tf" else f"{kind}{suffix}")


def expected(path: Path, text: str) -> set[tuple[int, str]]:
    if path.suffix == ".json":
        sidecar = path.with_name(path.name + ".expect")
        if not sidecar.exists():
            return set()
        pairs = (line.split(":") for line in sidecar.read_text().split() if line)
        return {(int(line), rule.strip()) for line, rule in pairs}
    found = set()
    for number, line in enumerate(text.splitlines(), start=1):
        match = MARKER.search(line)
        if match:
            found |= {(number, rule.strip()) for rule in match.group("ids").split(",")}
    return found


def loader_for(path: Path) -> Loader:
    name = LOADERS[path.suffix]
    if importlib.util.find_spec(name) is None:
        pytest.skip(f"{name} is not written yet (loaders are built in parallel)")
    module: Loader = importlib.import_module(name)  # type: ignore[assignment]
    return module


def context() -> LoadContext:
    return LoadContext(
        read_text=lambda p: p.read_text(encoding="utf-8"),
        display_path=lambda p: p.resolve().relative_to(FIXTURES).as_posix(),
    )


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: p.relative_to(FIXTURES).as_posix())
def test_fixture_findings_match_expectations(path: Path) -> None:
    """The loader + rules find exactly the marked (line, rule) pairs."""
    text = path.read_text(encoding="utf-8")
    model = loader_for(path).load(path, text, context())
    findings = rules.check(model, strict=rule_of(path) == "ACRT099")
    actual = {(f.span.line, f.rule) for f in findings}
    messages = "\n".join(f"{f.span}: {f.rule} {f.message}" for f in findings)
    assert actual == expected(path, text), messages


@pytest.mark.parametrize("rule_id", list(RULES))
def test_every_rule_has_bad_and_good_fixtures_per_format(rule_id: str) -> None:
    """Each rule has bad and good fixtures in Bicep, ARM JSON and Terraform."""
    for kind in ("bad", "good"):
        for suffix in LOADERS:
            if rule_id == "ACRT000" and kind == "good":
                continue  # any other good file is a file that parses
            path = fixture(rule_id, kind, suffix)
            assert path.is_file(), path.relative_to(FIXTURES).as_posix()


@pytest.mark.parametrize(
    "path",
    [p for p in fixture_files() if kind_of(p) == "bad"],
    ids=lambda p: p.relative_to(FIXTURES).as_posix(),
)
def test_bad_fixtures_expect_their_rule(path: Path) -> None:
    """A bad fixture marks at least one finding of its own rule."""
    rules_marked = {rule for _, rule in expected(path, path.read_text(encoding="utf-8"))}
    assert rule_of(path) in rules_marked


@pytest.mark.parametrize(
    ("symbol", "name", "shown"),
    [
        ("[parameters('acrName')]", "acrprod", "acrprod"),
        ("registry", "acrprod", "acrprod"),
        ("registry", None, "registry"),
        ("acr/[parameters('name')]", "acrprod", "acrprod"),
        ("acr/[parameters('name')]", None, "acr/[parameters('name')]"),
        (
            "deps/[format('{0}/{1}-registry', parameters('a'), 'b')]/[parameters('crName')]",
            None,
            "deps/.../[parameters('crName')]",
        ),
        ("services/containerRegistry/registry", None, "services/.../registry"),
    ],
)
def test_arm_registry_label_names_what_an_engineer_knows(
    symbol: str, name: str | None, shown: str
) -> None:
    """An ARM registry is named by its evaluated name, else by a short deployment path."""
    value = Value.of(name) if name is not None else Value.unknown("parameters('name')")
    registry = Registry(symbol=symbol, span=Span("t.json", 1, 1, 1, 1), name=value, format="arm")
    assert rules.label(registry) == shown


def test_bicep_registry_label_stays_its_symbol() -> None:
    """Bicep and Terraform symbols are what their authors wrote: they are kept."""
    span = Span("main.bicep", 1, 1, 1, 1)
    registry = Registry(symbol="acr", span=span, name=Value.of("acrprod"), format="bicep")
    assert rules.label(registry) == "acr"


def test_undetermined_multi_line_expression_stays_one_line() -> None:
    """A multi-line HCL ``for`` (a real 0.12-era rule list) is named on one short line."""
    rules_expr = (
        "[\n  for name, subnet in var.subnets : {\n    subnet_id = subnet.id\n  }\n"
        + ("  if name == 'aks' && length(var.extra) > 0\n" * 5)
        + "]"
    )
    reg = registry(
        {
            P.PUBLIC_NETWORK_ACCESS: unknown(rules_expr, 3),
            P.BYPASS_OPTIONS: lit("None", 7),
        }
    )
    (finding,) = rules.check(model(reg), strict=True)
    assert "\n" not in finding.message
    assert "[ for name, subnet in var.subnets : { subnet_id = subnet.id }" in finding.message
    assert "...`" in finding.message


# -- cross-format consistency: one deployment, the same verdicts in every format ------------------
#
# ``fixtures/rules/xformat/<scenario>/`` holds one deployment written as Bicep (``main.bicep``),
# ARM JSON as ``bicep build`` compiles it (``arm1.json``: languageVersion 1.0, ``arm2.json``: 2.0,
# symbolic names) and Terraform (``azurerm/main.tf``, ``azapi/main.tf``). A format that cannot
# express a scenario leaves its file out (azurerm picks its own API version: no ACRT006 case;
# it has no system-identity ACI credential nor ``sites/config`` children: those consumers are
# missing there, so the rule sets, not the counts, are compared).

XFORMAT = FIXTURES / "xformat"
XFORMAT_EXPECTED: dict[str, set[str]] = {
    "s01_pe_bypass_none": {"ACRT001"},
    "s02_param_default_none": {"ACRT005"},
    "s03_standard_firewall": {"ACRT003"},
    "s04_service_endpoint": {"ACRT004"},
    "s05_old_api": {"ACRT006"},
    "s06_abac_acrpull_guid": {"ACRT007"},
    "s07_abac_acrpull_name_no_principal_type": {"ACRT007", "ACRT011"},
    "s08_aci_identities": {"ACRT008"},
    "s09_app_service": {"ACRT009"},
    "s10_task_identity_credential": {"ACRT010"},
    "s11_task_no_bypass_agent_pool": set(),
    "s12_task_bypass_patch": set(),
    "s13_task_no_patch": {"ACRT002"},
    "s14_conditional_false": {"ACRT001"},
    "s15_loops": {"ACRT007", "ACRT008"},
    "s16_role_by_definition_resource": {"ACRT007", "ACRT011"},
    "s17_ternary_restriction_casing": {"ACRT001"},
    "s18_task_user_identity": {"ACRT010"},
    "s19_appsettings_child": {"ACRT009"},
    "s20_param_files": {"ACRT001"},  # .bicepparam, <template>.parameters.json, terraform.tfvars
    "s21_manual_pe_firewall_none": {"ACRT001"},  # restricted by a manual private endpoint
    "s22_slots_windows_function": {"ACRT009"},
    "s23_module_default_none": {"ACRT001", "ACRT005"},  # a local module / nested deployment
    "s24_registry_loop_pe": {"ACRT001"},  # registries and private endpoints in loops
    "s25_task_run_no_bypass": {"ACRT002"},  # a quick build (registries/taskRuns)
    "s26_task_source_identity": set(),  # credentials.sourceRegistry.identity at 2025-03-01-preview
    "s27_task_source_identity_old_api": {"ACRT010"},  # the same at 2019-06-01-preview: ignored
    "s28_ternary_bypass_default": {"ACRT001", "ACRT005"},  # allow ? 'AzureServices' : 'None'
    "s29_task_credentials_undetermined": {"ACRT099"},  # customRegistries: a required parameter
    "s30_bypass_variable": {"ACRT001"},  # a member of a variable / local object
    "s31_bypass_param_object_member": {"ACRT001", "ACRT005"},  # a member of an object default
    "s32_conditional_loop_pe": {"ACRT001"},  # a conditional registry loop, an endpoint per item
}
XFORMAT_FILES = ("main.bicep", "arm1.json", "arm2.json", "azurerm/main.tf", "azapi/main.tf")


def test_every_cross_format_scenario_has_an_expectation() -> None:
    assert sorted(p.name for p in XFORMAT.iterdir() if p.is_dir()) == sorted(XFORMAT_EXPECTED)


@pytest.mark.parametrize(
    "path",
    [
        XFORMAT / s / f
        for s in XFORMAT_EXPECTED
        for f in XFORMAT_FILES
        if (XFORMAT / s / f).exists()
    ],
    ids=lambda p: p.relative_to(XFORMAT).as_posix(),
)
def test_one_deployment_gets_the_same_verdicts_in_every_format(path: Path) -> None:
    """Rule IDs per scenario, the same in Bicep, ARM 1.0/2.0, azurerm and azapi (strict: nothing
    is left undetermined either)."""
    model = loader_for(path).load(path, path.read_text(encoding="utf-8"), context())
    findings = rules.check(model, strict=True)
    messages = "\n".join(f"{f.span}: {f.rule} {f.message}" for f in findings)
    scenario = path.relative_to(XFORMAT).parts[0]
    assert {f.rule for f in findings} == XFORMAT_EXPECTED[scenario], messages
