"""The ACRT rules: one small function per rule, over one declared registry and what touches it.

Each rule reads the registry through a :class:`Subject`, which applies linked patches and
private endpoints (``model.posture_of``) so "restricted" means what ``NetworkPosture`` says it
means for a live registry too. Rules decide from *known* values only: a value that would decide
but cannot be determined never yields an error; the rule records it as :class:`Undetermined`,
which ``check(..., strict=True)`` turns into an ``ACRT099`` warning naming the expression.

All rules run at their default severities; the engine selects, ignores, overrides severities and
applies suppressions afterwards (comments, and ARM ``metadata`` matched through
``Finding.resource``, which is the symbol of the registry or consumer the finding is about).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Union

from acr_trusted.catalog import (
    LEGACY_ONLY_ROLES,
    SERVICES,
    RoleAssignmentMode,
    RoleDefinition,
    abac_replacements,
    find_role,
)
from acr_trusted.lint.evaluate import plain, truthy
from acr_trusted.lint.findings import RULES, Edit, Finding
from acr_trusted.lint.model import (
    INTRODUCED,
    Consumer,
    ConsumerKind,
    FileModel,
    IdentityUse,
    OriginKind,
    ParseError,
    Registry,
    RegistryProperty,
    Span,
    Value,
    consumers_of,
    effective_properties,
    ignored_patch_properties,
    ignored_properties,
    posture_of,
)
from acr_trusted.posture import NetworkPosture, Restriction
from acr_trusted.records import frozen

P = RegistryProperty

LATEST_STABLE_API = "2025-11-01"  # has every property the rules read (domain-facts section 3)


# azurerm attribute names, for messages about azurerm_container_registry resources
_TERRAFORM_NAMES: Mapping[RegistryProperty, str] = {
    P.SKU: "sku",
    P.PUBLIC_NETWORK_ACCESS: "public_network_access_enabled",
    P.DEFAULT_ACTION: "network_rule_set.default_action",
    P.IP_RULES: "network_rule_set.ip_rule",
    P.VIRTUAL_NETWORK_RULES: "network_rule_set.virtual_network",
    P.BYPASS_OPTIONS: "network_rule_bypass_option",
    P.TASKS_BYPASS: "network_rule_bypass_for_tasks_enabled",
    P.ROLE_ASSIGNMENT_MODE: "role_assignment_mode",
}

_RESTRICTION_TEXT: Mapping[Restriction, str] = {
    Restriction.PUBLIC_ACCESS_DISABLED: "public network access disabled",
    Restriction.FIREWALL: "firewall denies by default",
    Restriction.PRIVATE_ENDPOINT: "private endpoint",
    Restriction.SERVICE_ENDPOINT: "service-endpoint rules",
}

_TRUSTED_NAMES = ", ".join(e.display_name for e in SERVICES.values() if e.trusted)


@frozen
class Undetermined:
    """A value a rule needed but could not know (reported as ACRT099 with ``--strict``)."""

    rule: str
    what: str  # e.g. "networkRuleBypassOptions"
    value: Value
    span: Span
    resource: str


Outcome = Union[Finding, Undetermined]  # noqa: UP007 -- a runtime alias must work on 3.10


def _could(value: Value, predicate: Callable[[Value], bool]) -> bool:
    """Could ``value`` satisfy ``predicate``? Unknown without alternatives means it could."""
    if value.known:
        return predicate(value)
    return not value.alternatives or any(_could(a, predicate) for a in value.alternatives)


def _has_endpoints(value: Value) -> bool:
    return isinstance(value.value, int) and not isinstance(value.value, bool) and value.value > 0


def _non_empty_list(value: Value) -> bool:
    return isinstance(value.value, list) and bool(value.value)


@frozen
class Subject:
    """One registry as the rules see it: effective properties, posture, linked consumers."""

    model: FileModel
    registry: Registry
    consumers: tuple[Consumer, ...]
    properties: Mapping[RegistryProperty, Value]
    posture: NetworkPosture

    @classmethod
    def of(cls, model: FileModel, registry: Registry) -> Subject:
        consumers = consumers_of(model, registry)
        return cls(
            model,
            registry,
            consumers,
            effective_properties(registry, consumers),
            posture_of(registry, consumers),
        )

    def get(self, prop: RegistryProperty) -> Value:
        return self.properties.get(prop, Value.absent())

    def linked(self, kind: ConsumerKind) -> tuple[Consumer, ...]:
        return tuple(c for c in self.consumers if c.kind is kind)

    @property
    def symbol(self) -> str:
        return self.registry.symbol

    @property
    def label(self) -> str:
        return label(self.registry)

    # -- where, and in whose words -----------------------------------------------------------
    def at(self, value: Value | None = None) -> Span:
        """The value's span when it is in this file, else the registry (or module call site)."""
        return self.first_here(value.span if value is not None else None)

    def first_here(self, *spans: Span | None) -> Span:
        """The first span in this file, else the registry's (for a module, the call site)."""
        for span in spans:
            if span is not None and span.path == self.model.path:
                return span
        return self.registry.span

    def name(self, prop: RegistryProperty) -> str:
        """The property as the registry's own syntax spells it."""
        if self.registry.format == "terraform" and self.registry.api_version is None:
            return _TERRAFORM_NAMES[prop]
        return prop.value.removeprefix("properties.")

    def source(self, value: Value) -> str:
        """Where a value came from, for messages: the literal's place or the default's owner."""
        kind = value.origin.kind
        if kind is OriginKind.LITERAL:
            span = value.span
            if span is None:
                text = "set in place"
            elif span.path == self.model.path:
                text = f"set at line {span.line}"
            else:
                text = f"set at {span}"
        elif kind is OriginKind.ABSENT:
            text = "not set, so the service default applies"
        else:
            text = value.origin.describe()
        if self.registry.via:
            text = f"{text}, via {self.registry.via}"
        return text

    # -- restriction -------------------------------------------------------------------------
    @property
    def restricted(self) -> bool:
        """Restricted by known values (public access off, firewall Deny, a private endpoint)."""
        return self.posture.is_restricted

    @property
    def how_restricted(self) -> str:
        return ", ".join(_RESTRICTION_TEXT[r] for r in self.posture.restrictions)

    def _restriction_values(self) -> tuple[tuple[str, Value, Callable[[Value], bool]], ...]:
        return (
            (
                self.name(P.PUBLIC_NETWORK_ACCESS),
                self.get(P.PUBLIC_NETWORK_ACCESS),
                lambda v: v.is_("Disabled"),
            ),
            (self.name(P.DEFAULT_ACTION), self.get(P.DEFAULT_ACTION), lambda v: v.is_("Deny")),
            ("private endpoints", self.registry.private_endpoint_count, _has_endpoints),
        )

    @property
    def unknown_restrictions(self) -> tuple[tuple[str, Value], ...]:
        """Undetermined values that could restrict a registry not known to be restricted."""
        if self.restricted:
            return ()
        return tuple(
            (label, value)
            for label, value, restricts in self._restriction_values()
            if not value.known and _could(value, restricts)
        )

    def varies(self, value: Value) -> bool:
        """Could the value differ at deployment without editing this file?

        A template's own parameters (and values computed from them) vary; a module input the
        caller did not pass is fixed by the calling file, whose next edit is linted anyway.
        """
        if not value.known:
            return True
        if not (value.depends_on or value.origin.kind is OriginKind.PARAMETER_DEFAULT):
            return False
        if self.registry.via is None:
            return True
        where = value.origin.span or value.span
        return (
            where is not None
            and where.path == self.model.path
            and value.origin.kind is not OriginKind.PARAMETER_VALUE
        )

    @property
    def can_be_restricted(self) -> bool:
        if self.restricted:
            return True
        return any(
            _could(value, restricts) or (value.known and self.varies(value))
            for _, value, restricts in self._restriction_values()
        )

    @property
    def can_be_premium(self) -> bool:
        sku = self.get(P.SKU)
        if sku.known and sku.value is None:
            return True  # no SKU written: unknown, so it may be Premium
        return _could(sku, lambda v: v.is_("Premium")) or (sku.known and self.varies(sku))

    # -- results -----------------------------------------------------------------------------
    def finding(
        self,
        rule: str,
        span: Span,
        message: str,
        *,
        owner: Registry | Consumer | None = None,
        fix: Edit | None = None,
    ) -> Finding:
        return Finding(
            rule=rule,
            severity=RULES[rule].severity,
            span=span,
            message=message,
            resource=(owner or self.registry).symbol,
            fix=fix,
        )

    def undetermined(self, rule: str, what: str, value: Value) -> Undetermined:
        return Undetermined(rule, what, value, self.at(value), self.symbol)

    def restriction_undetermined(self, rule: str) -> Iterator[Undetermined]:
        for label, value in self.unknown_restrictions:
            yield self.undetermined(rule, label, value)

    def rewrite(self, value: Value, replacement: str) -> Edit | None:
        """An edit replacing a literal written in this file, keeping its quotes; else ``None``.

        The text under the span must spell the value (any case, quotes aside), so a loader's
        wrong offsets can never make ``--fix`` corrupt a file.
        """
        span = value.span
        if not value.is_literal or span is None or span.path != self.model.path:
            return None
        start, end = span.start_offset, span.end_offset
        if start is None or end is None:
            return None
        token = self.model.text[start:end]
        quote = token[0] if len(token) >= 2 and token[0] in "'\"" and token[-1] == token[0] else ""
        spelled = token[1:-1] if quote else token
        expected = plain(value)
        expected_text = str(expected).lower()  # True -> "true", as Bicep, JSON and HCL spell it
        if spelled.lower() != expected_text:
            return None
        return Edit(start, end, f"{quote}{replacement}{quote}")


# -- the rules ---------------------------------------------------------------------------------


def trusted_services_blocked(s: Subject) -> Iterator[Outcome]:
    """ACRT001: restricted, and networkRuleBypassOptions resolves to None."""
    bypass = s.get(P.BYPASS_OPTIONS)
    if not bypass.known:
        if s.restricted or s.unknown_restrictions:
            yield s.undetermined("ACRT001", s.name(P.BYPASS_OPTIONS), bypass)
        return
    if not bypass.is_("None"):
        return
    if not s.restricted:
        yield from s.restriction_undetermined("ACRT001")
        return
    yield s.finding(
        "ACRT001",
        s.at(bypass),
        f"registry '{s.label}' is network-restricted ({s.how_restricted}) but "
        f"{s.name(P.BYPASS_OPTIONS)} is None ({s.source(bypass)}), which blocks the trusted "
        f"services ({_TRUSTED_NAMES}); set it to AzureServices",
        fix=s.rewrite(bypass, "AzureServices"),
    )


def tasks_bypass_missing(s: Subject) -> Iterator[Outcome]:
    """ACRT002: restricted, targeted by tasks outside an agent pool, tasks bypass not true."""
    if not s.restricted and not s.unknown_restrictions:
        return  # an open registry needs no bypass, wherever its tasks run
    outside: list[Consumer] = []
    for task in s.linked(ConsumerKind.TASK):
        pool = task.attr("agent_pool")
        if not pool.known:
            yield s.undetermined("ACRT002", f"the agent pool of task '{label(task)}'", pool)
        elif not pool.value:
            outside.append(task)
    if not outside:
        return
    flag = s.get(P.TASKS_BYPASS)
    if not flag.known:
        yield s.undetermined("ACRT002", s.name(P.TASKS_BYPASS), flag)
        return
    if truthy(flag):
        return
    if not s.restricted:
        yield from s.restriction_undetermined("ACRT002")
        return
    tasks = ", ".join(f"'{label(t)}'" for t in outside)
    state = "not set (default false)" if flag.value is None else f"false ({s.source(flag)})"
    yield s.finding(
        "ACRT002",
        s.at(flag),
        f"registry '{s.label}' is network-restricted ({s.how_restricted}) and ACR task(s) "
        f"{tasks} run outside an agent pool, but {s.name(P.TASKS_BYPASS)} is {state}: since "
        f"2025-06-01 their runs get 403; set it to true (API >= 2025-05-01-preview, azurerm >= "
        "4.81, or an azapi_update_resource patch) or run the tasks on an agent pool",
        fix=s.rewrite(flag, "true") if flag.value is False else None,
    )


def premium_required(s: Subject) -> Iterator[Outcome]:
    """ACRT003: network features on a known SKU other than Premium."""
    features = s.posture.network_features
    sku = s.get(P.SKU)
    if not features:
        return
    if not sku.known:
        yield s.undetermined("ACRT003", s.name(P.SKU), sku)
        return
    if not s.posture.network_features_need_premium:
        return
    yield s.finding(
        "ACRT003",
        s.at(sku),
        f"registry '{s.label}' uses {', '.join(features)} on SKU {sku.text()} "
        f"({s.source(sku)}), but they need the Premium SKU; set {s.name(P.SKU)} to Premium "
        "or remove the network settings",
    )


def service_endpoint_rules(s: Subject) -> Iterator[Outcome]:
    """ACRT004: virtual-network (service endpoint) rules are declared."""
    rules = s.get(P.VIRTUAL_NETWORK_RULES)
    if not rules.known:
        yield s.undetermined("ACRT004", s.name(P.VIRTUAL_NETWORK_RULES), rules)
        return
    if not _non_empty_list(rules):
        return
    yield s.finding(
        "ACRT004",
        s.at(rules),
        f"registry '{s.label}' declares virtual-network (service endpoint) rules: trusted "
        "services do not bypass them and ACR service endpoints are deprecated; remove "
        f"{s.name(P.VIRTUAL_NETWORK_RULES)} and reach the registry through a private endpoint",
    )


def unsafe_bypass_default(s: Subject) -> Iterator[Outcome]:
    """ACRT005: the bypass is a default of None while the registry is or can be restricted.

    A module input the caller leaves at its default is fixed by the calling file: restricting
    that registry means editing the call, and ACRT001 then fires. So an unrestricted module
    call (the AVM Terraform examples/default) is not reported; the module's own template is.
    """
    bypass = s.get(P.BYPASS_OPTIONS)
    defaults = (OriginKind.PARAMETER_DEFAULT, OriginKind.MODULE_TABLE)
    if not (bypass.is_("None") and bypass.origin.kind in defaults):
        return
    if not (s.can_be_restricted and s.can_be_premium):
        return
    state = "is" if s.restricted else "can be"
    yield s.finding(
        "ACRT005",
        s.first_here(bypass.origin.span, bypass.span),  # the default is what to change
        f"{s.name(P.BYPASS_OPTIONS)} of registry '{s.label}' defaults to None "
        f"({s.source(bypass)}) and the registry {state} network-restricted, which blocks the "
        "trusted services; default it to AzureServices or set it explicitly",
    )


def api_version_too_old(s: Subject) -> Iterator[Outcome]:
    """ACRT006: a property set under an API version that predates it (ARM ignores it)."""
    for prop in ignored_properties(s.registry):
        value = s.registry.properties[prop]
        yield s.finding(
            "ACRT006",
            s.at(value),
            f"{s.name(prop)} of registry '{s.label}' is set under API version "
            f"{s.registry.api_version}, {_lacking(s.registry.api_version or '', prop)}, "
            f"so it is ignored; use API version {LATEST_STABLE_API} or later",
        )
    for patch in s.linked(ConsumerKind.REGISTRY_PATCH):
        for prop in ignored_patch_properties(patch):
            value = patch.attr("properties").value[prop.value]
            api = patch.attr("api_version").text() or ""
            yield s.finding(
                "ACRT006",
                s.first_here(value.span, patch.span),
                f"{prop.value.removeprefix('properties.')} of registry '{s.label}' is patched by "
                f"'{label(patch)}' under API version {api}, {_lacking(api, prop)}, so the patch "
                f"does not set it; use API version {LATEST_STABLE_API} or later",
                owner=patch,
            )


def _lacking(api: str, prop: RegistryProperty) -> str:
    """Why ``api`` has no ``prop``: it is older, or one of the later versions without it."""
    since, lacking = INTRODUCED[prop]
    if api.strip().lower() in lacking:
        return f"which lacks it (added in {since}, but absent from {api})"
    return f"which predates it (first in {since})"


def abac_ignores_acr_roles(s: Subject) -> Iterator[Outcome]:
    """ACRT007: ABAC role mode and an AcrPull / AcrPush / AcrDelete assignment on the registry."""
    mode = s.get(P.ROLE_ASSIGNMENT_MODE)
    if mode.known and not mode.is_(RoleAssignmentMode.ABAC.value):
        return
    for assignment in s.linked(ConsumerKind.ROLE_ASSIGNMENT):
        role_value = assignment.attr("role")
        text = role_value.text()
        if text is None:
            if mode.known and not role_value.known:
                yield s.undetermined(
                    "ACRT007", f"the role of assignment '{label(assignment)}'", role_value
                )
            continue
        found = find_role(text)
        if found is None or found.name not in LEGACY_ONLY_ROLES:
            continue
        if not mode.known:
            yield s.undetermined("ACRT007", s.name(P.ROLE_ASSIGNMENT_MODE), mode)
            continue
        yield s.finding(
            "ACRT007",
            assignment.span,
            f"role assignment '{label(assignment)}' grants {found.name} on registry "
            f"'{s.label}', whose roleAssignmentMode AbacRepositoryPermissions "
            f"({s.source(mode)}) ignores it; assign {_abac_replacement(found)} instead",
            owner=assignment,
        )


def _abac_replacement(legacy: RoleDefinition) -> str:
    """The Repository role(s) doing what a legacy role did, for the message."""
    first, *more = abac_replacements(legacy)
    extra = "".join(f" (plus '{r.name}' to list repositories)" for r in more)
    return f"'{first.name}'{extra}"


def aci_identity(s: Subject) -> Iterator[Outcome]:
    """ACRT008: a container group pulls with admin credentials or a system-assigned identity."""
    wrong: list[tuple[Consumer, str]] = []
    for group in s.linked(ConsumerKind.CONTAINER_GROUP):
        identity = group.attr("identity")
        if not identity.known:
            yield s.undetermined("ACRT008", f"the identity of '{label(group)}'", identity)
        elif identity.is_(IdentityUse.ADMIN_CREDENTIALS.value):
            wrong.append((group, "admin credentials, which trusted services do not cover"))
        elif identity.is_(IdentityUse.SYSTEM_ASSIGNED.value):
            wrong.append((group, "a system-assigned identity, which ACI cannot pull with"))
    if not wrong:
        return
    if not s.restricted:
        yield from s.restriction_undetermined("ACRT008")
        return
    for group, how in wrong:
        yield s.finding(
            "ACRT008",
            group.span,
            f"container group '{label(group)}' pulls from network-restricted registry "
            f"'{s.label}' ({s.how_restricted}) with {how}; use a user-assigned managed "
            "identity with a pull role on the registry",
            owner=group,
        )


def app_service_not_trusted(s: Subject) -> Iterator[Outcome]:
    """ACRT009: a web app pulls from a restricted registry without VNet image pull."""
    without: list[Consumer] = []
    for app in s.linked(ConsumerKind.WEB_APP):
        pull = app.attr("vnet_image_pull")
        if not pull.known:
            yield s.undetermined("ACRT009", f"vnet image pull of '{label(app)}'", pull)
        elif not truthy(pull):
            without.append(app)
    if not without:
        return
    if not s.restricted:
        yield from s.restriction_undetermined("ACRT009")
        return
    for app in without:
        yield s.finding(
            "ACRT009",
            app.span,
            f"app '{label(app)}' pulls from network-restricted registry '{s.label}' "
            f"({s.how_restricted}), but trusted services do not cover App Service; enable "
            "VNet image pull (outboundVnetRouting.imagePullTraffic or vnetImagePullEnabled; "
            "vnet_image_pull_enabled in azurerm) through a VNet that reaches the registry's "
            "private endpoint",
            owner=app,
        )


def task_identity_credential_missing(s: Subject) -> Iterator[Outcome]:
    """ACRT010: a task identity without a custom-registry credential for this registry."""
    identities = (IdentityUse.SYSTEM_ASSIGNED.value, IdentityUse.USER_ASSIGNED.value)
    login = s.registry.effective_login_server
    missing: list[Consumer] = []
    for task in s.linked(ConsumerKind.TASK):
        identity = task.attr("identity")
        if not identity.known:
            yield s.undetermined("ACRT010", f"the identity of task '{label(task)}'", identity)
            continue
        if not any(identity.is_(i) for i in identities):
            continue
        credentials = task.attr("custom_registries")
        has = _has_identity_credential(credentials, login)
        if has is None:
            yield s.undetermined(
                "ACRT010", f"the custom-registry credentials of task '{label(task)}'", credentials
            )
        elif not has:
            missing.append(task)
    if not missing:
        return
    if not s.restricted:
        yield from s.restriction_undetermined("ACRT010")
        return
    server = login or "the registry's login server"
    for task in missing:
        yield s.finding(
            "ACRT010",
            task.span,
            f"task '{label(task)}' has a managed identity but no custom-registry credential "
            f"using it for {server}, so it cannot authenticate to network-restricted registry "
            f"'{s.label}'; add one (az acr task credential add --login-server {server} "
            "--use-identity [system], or the client ID of a user-assigned identity)",
            owner=task,
        )


def _has_identity_credential(credentials: Value, login: str | None) -> bool | None:
    """Does a credential with an identity name ``login``? ``None`` when that is unknowable."""
    if not credentials.known:
        return None
    entries = plain(credentials) or []
    if not isinstance(entries, list):
        return None
    undecided = False
    for entry in entries:
        if not isinstance(entry, Mapping) or not entry.get("identity"):
            continue
        if entry.get("same_registry") is True:
            return True
        server = entry.get("login_server")
        if not isinstance(server, str) or login is None:
            undecided = True
        elif server.lower() == login.lower():
            return True
    return None if undecided else False


def role_principal_type(s: Subject) -> Iterator[Outcome]:
    """ACRT011: a managed identity's role assignment without principalType ServicePrincipal."""
    for assignment in s.linked(ConsumerKind.ROLE_ASSIGNMENT):
        if truthy(assignment.attr("principal_is_managed_identity")) is not True:
            continue
        principal_type = assignment.attr("principal_type")
        if not principal_type.known:
            what = f"principalType of '{label(assignment)}'"
            yield s.undetermined("ACRT011", what, principal_type)
        elif not principal_type.is_("ServicePrincipal"):
            given = principal_type.text() or "not set"
            yield s.finding(
                "ACRT011",
                assignment.span,
                f"role assignment '{label(assignment)}' on registry '{s.label}' is for a "
                f"managed identity but principalType is {given}; set principalType "
                "ServicePrincipal (avoids PrincipalNotFound during replication delay)",
                owner=assignment,
            )


REGISTRY_RULES: Mapping[str, Callable[[Subject], Iterable[Outcome]]] = {
    "ACRT001": trusted_services_blocked,
    "ACRT002": tasks_bypass_missing,
    "ACRT003": premium_required,
    "ACRT004": service_endpoint_rules,
    "ACRT005": unsafe_bypass_default,
    "ACRT006": api_version_too_old,
    "ACRT007": abac_ignores_acr_roles,
    "ACRT008": aci_identity,
    "ACRT009": app_service_not_trusted,
    "ACRT010": task_identity_credential_missing,
    "ACRT011": role_principal_type,
}
"""Rule id -> the check over one registry. ACRT000 (parse errors) is per file, and ACRT099
(undetermined) is derived from what these checks could not decide."""


def parse_error(error: ParseError) -> Finding:
    """ACRT000: a file of a handled type cannot be parsed."""
    return Finding(
        rule="ACRT000",
        severity=RULES["ACRT000"].severity,
        span=error.span,
        message=f"cannot parse {error.span}: {error.reason}",
    )


def _undetermined_findings(items: Iterable[Undetermined]) -> list[Finding]:
    """One ACRT099 per undetermined value, naming every rule it left unchecked."""
    rules_by_value: dict[tuple[Span, str, str, str], set[str]] = {}
    for item in items:
        expression = _one_line(item.value.expression or item.value.describe())
        key = (item.span, item.resource, item.what, expression)
        rules_by_value.setdefault(key, set()).add(item.rule)
    findings = []
    for (span, resource, what, expression), rules in rules_by_value.items():
        findings.append(
            Finding(
                rule="ACRT099",
                severity=RULES["ACRT099"].severity,
                span=span,
                message=(
                    f"cannot determine {what} of registry '{resource}': `{expression}` "
                    f"({span}) is not known statically, so {', '.join(sorted(rules))} "
                    "could not be checked; give it a default or a parameter file"
                ),
                resource=resource,
            )
        )
    return findings


def _one_line(expression: str, limit: int = 160) -> str:
    """An expression for a one-line message: whitespace runs (a multi-line HCL ``for``, a
    Bicep object) collapsed, and a long one shortened."""
    text = " ".join(expression.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check(model: FileModel, *, strict: bool = False) -> list[Finding]:
    """Every rule over every registry of ``model``, at default severities, sorted by position.

    With ``strict``, values that would decide a rule but cannot be determined become ACRT099
    warnings; otherwise they are silently skipped (an unknown value never yields an error).
    """
    findings = [parse_error(e) for e in model.errors]
    undetermined: list[Undetermined] = []
    for registry in model.registries:
        subject = Subject.of(model, registry)
        for rule in REGISTRY_RULES.values():
            for outcome in rule(subject):
                if isinstance(outcome, Finding):
                    findings.append(outcome)
                else:
                    undetermined.append(outcome)
    if strict:
        findings.extend(_undetermined_findings(undetermined))
    return sorted(findings, key=lambda f: (f.span.line, f.span.column, f.rule, f.resource))


def label(owner: Registry | Consumer) -> str:
    """How messages name a resource: its symbol, or for ARM the known name or a short path.

    ARM has no symbols before languageVersion 2.0, so its "symbol" is the ``name`` expression,
    e.g. ``[variables('registryName')]``, and a resource in a nested deployment is prefixed
    with the deployments' symbols or names. The evaluated name reads better when it is known;
    otherwise a deep path keeps its outermost deployment and the resource's own name.
    """
    arm = "[" in owner.symbol or (isinstance(owner, Registry) and owner.format == "arm")
    path = _arm_path(owner.symbol) if arm else [owner.symbol]
    if arm and (len(path) > 1 or path[0].startswith("[") or isinstance(owner, Registry)):
        name = owner.name if isinstance(owner, Registry) else owner.attr("name")
        text = name.text()
        if text:
            return text
    if len(path) > 2:
        return f"{path[0]}/.../{path[-1]}"
    return owner.symbol


def _arm_path(symbol: str) -> list[str]:
    """``deployment/[expr]/resource`` split at the slashes outside brackets and quotes."""
    parts: list[str] = []
    depth, start, quoted = 0, 0, False
    for i, char in enumerate(symbol):
        if char == "'":
            quoted = not quoted
        elif quoted:
            continue
        elif char in "[(":
            depth += 1
        elif char in "])":
            depth -= 1
        elif char == "/" and depth == 0:
            parts.append(symbol[start:i])
            start = i + 1
    return [*parts, symbol[start:]]
