"""Registry modules that are not on disk: their inputs' defaults and what they derive.

When a template calls a well-known registry module from a registry (``br/public:...`` in Bicep,
``Azure/...`` on the Terraform registry) and the module's source is not available locally, the
loader asks this table what the module would declare for the given inputs. Every finding built
from a default in this table says so (``Origin.kind is OriginKind.MODULE_TABLE``), because the
module may change: the table records the version range it was read from. See
``docs/known-modules.md`` for each entry's source.

Each entry maps the module's *input* values (a mapping of input name -> Value, only those the
caller passed) to a :class:`ModuleRegistry`: the ARM-shaped registry properties and the number
of private endpoints the module would create.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import partial

from acr_trusted.lint.model import RegistryProperty, Span, Value
from acr_trusted.records import evolve, frozen


@frozen
class ModuleRegistry:
    properties: Mapping[RegistryProperty, Value]
    private_endpoint_count: Value
    name: Value
    # ACR tasks the module creates on the registry, one mapping per task: the inputs of the
    # module's task child module (Bicep AVM: ``task/main.bicep``'s parameters, taken from the
    # items of the registry module's ``tasks`` input). Only a known list of tasks is listed.
    tasks: tuple[Mapping[str, Value], ...] = ()


@frozen
class KnownModule:
    key: str
    pattern: re.Pattern[str]  # matches the module source (without version)
    versions: str  # the versions the table was read from
    source_url: str
    build: Callable[[Mapping[str, Value], Span], ModuleRegistry]


KNOWN_MODULES: list[KnownModule] = []


def find_known_module(source: str) -> KnownModule | None:
    """The entry for a module source (``br/public:avm/res/container-registry/registry:0.9.3``)."""
    for entry in KNOWN_MODULES:
        if entry.pattern.search(source):
            return entry
    return None


# ---- Bicep: Azure Verified Module for ACR (br/public:avm/res/container-registry/registry)

_AVM_BICEP_SOURCE = "br/public:avm/res/container-registry/registry"


def _avm_bicep_registry(
    inputs: Mapping[str, Value], span: Span, *, rule_set_when_ip_rules_given: bool
) -> ModuleRegistry:
    """What ``avm/res/container-registry/registry`` declares for ``inputs``.

    Read from the module's ``main.bicep``: ``publicNetworkAccess`` is the input when it is not
    empty, else ``'Disabled'`` when ``privateEndpoints`` is not empty and
    ``networkRuleSetIpRules`` is empty, else null (service default ``Enabled``). From 0.12 the
    ``networkRuleSet`` is emitted when ``networkRuleSetIpRules != null`` or (the derived access is
    ``Enabled`` and ``networkRuleSetDefaultAction == 'Deny'``); before 0.12 only when
    ``networkRuleSetIpRules`` is not empty. A null input falls back to the default, as Bicep does.
    """
    from acr_trusted.lint import evaluate as ev
    from acr_trusted.lint.model import Origin, OriginKind

    def given(name: str) -> Value | None:
        value = inputs.get(name)
        if value is None or (value.known and ev.plain(value) is None):
            return None
        return value

    def default(name: str, data: object) -> Value:
        note = f"the default of input '{name}' in acr-trusted's table for {_AVM_BICEP_SOURCE}"
        return Value.of(
            data, span, expression=name, origin=Origin(OriginKind.MODULE_TABLE, name, span, note)
        )

    def input_or_default(name: str, data: object) -> Value:
        return given(name) or default(name, data)

    null = Value.of(None, span, origin=Origin(OriginKind.COMPUTED))
    endpoints = given("privateEndpoints") or null
    ip_rules = given("networkRuleSetIpRules") or null
    access_input = given("publicNetworkAccess")
    derived = ev.ternary(
        ev.and_(
            ev.not_(ev.empty(endpoints, span=span), span=span),
            ev.empty(ip_rules, span=span),
            span=span,
        ),
        Value.of("Disabled", span, expression="'Disabled'", origin=Origin(OriginKind.COMPUTED)),
        null,
        span=span,
    )
    if access_input is not None and not ev.empty(access_input, span=span).value:
        access = access_input
    else:
        access = evolve(derived, depends_on=derived.depends_on | {"publicNetworkAccess"})
    default_action = input_or_default("networkRuleSetDefaultAction", "Deny")
    if rule_set_when_ip_rules_given:
        rule_set = ev.or_(
            ev.equals(ip_rules, null, negate=True, span=span),
            ev.and_(
                ev.equals(access, Value.of("Enabled"), span=span),
                ev.equals(default_action, Value.of("Deny"), span=span),
                span=span,
            ),
            span=span,
        )
    else:
        rule_set = ev.not_(ev.empty(ip_rules, span=span), span=span)
    properties: dict[RegistryProperty, Value] = {
        RegistryProperty.SKU: input_or_default("acrSku", "Premium"),
        RegistryProperty.BYPASS_OPTIONS: input_or_default(
            "networkRuleBypassOptions", "AzureServices"
        ),
    }
    if not (access.known and access.value is None):
        properties[RegistryProperty.PUBLIC_NETWORK_ACCESS] = access
    if rule_set.known and rule_set.value is True:
        properties[RegistryProperty.DEFAULT_ACTION] = default_action
        rules = ev.coalesce((ip_rules, Value.of([], span)), span=span)
        properties[RegistryProperty.IP_RULES] = evolve(rules, value=ev.plain(rules))
    elif not rule_set.known:
        properties[RegistryProperty.DEFAULT_ACTION] = ev.ternary(
            rule_set, default_action, null, span=span
        )
    mode = given("roleAssignmentMode")
    if mode is not None:
        properties[RegistryProperty.ROLE_ASSIGNMENT_MODE] = mode
    # passed to 0.13.0 by real templates (a module rejects inputs it does not declare), so a
    # version that takes it sets the registry property of that name; absent, nothing is set
    tasks_bypass = given("networkRuleBypassAllowedForTasks")
    if tasks_bypass is not None:
        properties[RegistryProperty.TASKS_BYPASS] = tasks_bypass
    count = ev.length(endpoints, span=span) if endpoints is not null else Value.of(0, span)
    name = inputs.get("name") or Value.unknown("name", span)
    return ModuleRegistry(
        properties=properties,
        private_endpoint_count=count,
        name=name,
        tasks=_items_as_inputs(given("tasks")),
    )


def _items_as_inputs(items: Value | None) -> tuple[Mapping[str, Value], ...]:
    """A known list of objects (a module's ``tasks`` input) as one input mapping per item.

    The AVM registry module passes each item's fields to its task child module under the same
    names (``agentPoolName: task.?agentPoolName``), so an item *is* the child module's inputs.
    """
    if items is None or not items.known or not isinstance(items.value, list):
        return ()
    out: list[Mapping[str, Value]] = []
    for item in items.value:
        data = item.value if isinstance(item, Value) and item.known else item
        if isinstance(data, Mapping):
            out.append({k: v if isinstance(v, Value) else Value.of(v) for k, v in data.items()})
    return tuple(out)


_AVM_BICEP_BEFORE_0_12 = re.compile(
    r"(?:br/public:avm/res/container-registry/registry|"
    r"br:mcr\.microsoft\.com/bicep/avm/res/container-registry/registry):0\.(?:\d|1[01])\."
)
_AVM_BICEP = re.compile(
    r"(?:br/public:avm/res/container-registry/registry|"
    r"br:mcr\.microsoft\.com/bicep/avm/res/container-registry/registry)(?::|$)"
)

KNOWN_MODULES.extend(
    [
        KnownModule(
            key="bicep-avm-container-registry-before-0.12",
            pattern=_AVM_BICEP_BEFORE_0_12,
            versions="0.1.0 - 0.11.x",
            source_url="https://github.com/Azure/bicep-registry-modules/tree/main/avm/res/container-registry/registry",
            build=partial(_avm_bicep_registry, rule_set_when_ip_rules_given=False),
        ),
        KnownModule(
            key="bicep-avm-container-registry",
            pattern=_AVM_BICEP,
            versions=">= 0.12.0 (read at commit 9f9ea1a1)",
            source_url="https://github.com/Azure/bicep-registry-modules/blob/9f9ea1a18204e262be9a4a64e3e3cc7fbe5e509d/avm/res/container-registry/registry/main.bicep",
            build=partial(_avm_bicep_registry, rule_set_when_ip_rules_given=True),
        ),
    ]
)


# -- Terraform: Azure/avm-res-containerregistry-registry/azurerm -------------------------------

_AVM_TERRAFORM = "Azure/avm-res-containerregistry-registry/azurerm"


def _avm_terraform_registry(inputs: Mapping[str, Value], span: Span) -> ModuleRegistry:
    """What the AVM Terraform registry module declares for the given inputs.

    Read from its ``main.tf`` and ``variables.containerregistry.tf``: note that its
    ``network_rule_bypass_option`` defaults to ``"None"``, unlike the provider and ARM.
    """
    from acr_trusted.lint import evaluate as E
    from acr_trusted.lint.model import Origin, OriginKind
    from acr_trusted.lint.terraform_eval import public_access

    def given(name: str, default: object, *, nullable: bool = True) -> Value:
        value = inputs.get(name)
        if value is not None and not (not nullable and value.known and value.value is None):
            return value
        note = f"default of input '{name}' in acr-trusted's table for {_AVM_TERRAFORM}"
        origin = Origin(OriginKind.MODULE_TABLE, name, None, note)
        return Value.of(default, span, origin=origin)

    properties: dict[RegistryProperty, Value] = {
        RegistryProperty.SKU: given("sku", "Premium"),
        RegistryProperty.PUBLIC_NETWORK_ACCESS: public_access(
            given("public_network_access_enabled", True)
        ),
        RegistryProperty.BYPASS_OPTIONS: given("network_rule_bypass_option", "None"),
        RegistryProperty.TASKS_BYPASS: given(
            "network_rule_bypass_for_tasks_enabled", False, nullable=False
        ),
        RegistryProperty.ROLE_ASSIGNMENT_MODE: given(
            "role_assignment_mode", "LegacyRegistryPermissions", nullable=False
        ),
    }
    rule_set = given("network_rule_set", None)
    if not rule_set.known:
        properties[RegistryProperty.DEFAULT_ACTION] = rule_set
    elif rule_set.value is not None:
        action = E.member(rule_set, "default_action", span=span, safe=True)
        if action.known and action.value is None:  # optional(string, "Deny")
            action = given("network_rule_set.default_action", "Deny")
        properties[RegistryProperty.DEFAULT_ACTION] = action
        rules = E.member(rule_set, "ip_rule", span=span, safe=True)
        if rules.known:
            items = [r if isinstance(r, Value) else Value.of(r) for r in rules.value or []]
            ranges = [str(E.plain(E.member(r, "ip_range", span=span, safe=True))) for r in items]
            properties[RegistryProperty.IP_RULES] = evolve(rules, value=ranges)
        else:
            properties[RegistryProperty.IP_RULES] = rules
    endpoints = inputs.get("private_endpoints")
    count = (
        E.length(endpoints, span=endpoints.span or span)
        if endpoints is not None
        else given("private_endpoints", 0)
    )
    return ModuleRegistry(properties, count, inputs.get("name") or Value.unknown("name", span))


KNOWN_MODULES.append(
    KnownModule(
        key=_AVM_TERRAFORM,
        pattern=re.compile(
            r"^(?:registry\.terraform\.io/)?azure/avm-res-containerregistry-registry/azurerm"
            r"(?://.*)?$"
            # the same module from its GitHub repository (not a fork), at any ref
            r"|^(?:git::)?(?:https://|ssh://git@|git@)?github\.com[/:]azure/"
            r"terraform-azurerm-avm-res-containerregistry-registry(?:\.git)?(?:\?.*)?$",
            re.I,
        ),
        versions="0.x, read at commit a41c2f3 (2026-07; has network_rule_bypass_for_tasks_enabled)",
        source_url=(
            "https://github.com/Azure/terraform-azurerm-avm-res-containerregistry-registry/blob/"
            "a41c2f318d14bd92f7af85fe4c1b0272180cd5b5/variables.containerregistry.tf"
        ),
        build=_avm_terraform_registry,
    )
)
