"""What a template declares, in one shape for Bicep, ARM and Terraform.

Loaders turn a file into a :class:`FileModel`: the registries it declares (directly or through a
module call) and the things that touch them (private endpoints, tasks, container groups, ML
workspaces, web apps, role assignments, patches). Every property is a :class:`Value` that knows
whether it could be determined, where it was written and where it came from, so that a rule can
say "the bypass is None because parameter 'x' defaults to it at main.bicep:12" and ``--fix`` can
rewrite exactly the literal that produced it.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from acr_trusted.posture import NetworkPosture
from acr_trusted.records import evolve, field, frozen


@frozen
class Span:
    """A region of a file: 1-based lines and columns, end inclusive; offsets index the text.

    ``start_offset``/``end_offset`` (end exclusive, in characters of the decoded text) are set
    when the region is a literal that ``--fix`` may rewrite; otherwise they are ``None``.
    """

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    start_offset: int | None = None
    end_offset: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"

    @classmethod
    def point(cls, path: str, line: int, column: int = 1) -> Span:
        return cls(path, line, column, line, column)


class OriginKind(str, enum.Enum):
    """Where a value came from; rules treat defaults differently from explicit choices."""

    LITERAL = "literal"  # written in place, e.g. networkRuleBypassOptions: 'None'
    ABSENT = "absent"  # the property is not set at all: the service default applies
    PARAMETER_DEFAULT = "parameter-default"  # default of a param / variable "x" / module input
    PARAMETER_VALUE = "parameter-value"  # supplied by a parameter file, tfvars or module argument
    VARIABLE = "variable"  # a Bicep/ARM variable or Terraform local
    MODULE_TABLE = "module-table"  # acr-trusted's table of well-known registry modules
    COMPUTED = "computed"  # derived from other values by an expression


@frozen
class Origin:
    kind: OriginKind
    name: str | None = None  # the parameter / variable / module input name
    span: Span | None = None  # where it is declared (the default's literal, the param file entry)
    note: str = (
        ""  # human text: "default of variable 'network_rule_bypass_option' (variables.tf:12)"
    )

    def describe(self) -> str:
        if self.note:
            return self.note
        where = f" ({self.span})" if self.span else ""
        if self.kind is OriginKind.PARAMETER_DEFAULT and self.name:
            return f"the default of '{self.name}'{where}"
        if self.kind is OriginKind.PARAMETER_VALUE and self.name:
            return f"the value given for '{self.name}'{where}"
        if self.kind is OriginKind.VARIABLE and self.name:
            return f"variable '{self.name}'{where}"
        return self.kind.value


@frozen
class Value:
    """A declared value: known (``value`` holds plain Python data) or unknown.

    Known values are ``str``, ``bool``, ``int``, ``float``, ``None`` (absent / null), ``list`` or
    ``dict`` of Values' plain data. ``expression`` is the source text, kept for messages about
    undetermined values. ``depends_on`` names the parameters / inputs the value was computed from,
    so a rule can tell "restricted because of a default" from "restricted, full stop".
    ``alternatives`` keeps both branches of a ternary whose condition is unknown, so a rule can
    still say "can be restricted".
    """

    known: bool
    value: Any = None
    span: Span | None = None
    expression: str = ""
    origin: Origin = field(factory=lambda: Origin(OriginKind.COMPUTED))
    depends_on: frozenset[str] = frozenset()
    # for an unknown ternary, the values either branch could produce
    alternatives: tuple[Value, ...] = ()

    @classmethod
    def of(
        cls,
        value: Any,
        span: Span | None = None,
        *,
        expression: str = "",
        origin: Origin | None = None,
        depends_on: Iterable[str] = (),
    ) -> Value:
        return cls(
            True,
            value,
            span,
            expression,
            origin or Origin(OriginKind.LITERAL),
            frozenset(depends_on),
        )

    @classmethod
    def unknown(
        cls,
        expression: str,
        span: Span | None = None,
        *,
        origin: Origin | None = None,
        depends_on: Iterable[str] = (),
    ) -> Value:
        return cls(
            False,
            None,
            span,
            expression,
            origin or Origin(OriginKind.COMPUTED),
            frozenset(depends_on),
        )

    @classmethod
    def absent(cls, span: Span | None = None) -> Value:
        """The property is not written: the service default applies."""
        return cls(True, None, span, "", Origin(OriginKind.ABSENT))

    def with_origin(self, origin: Origin) -> Value:
        return evolve(self, origin=origin)

    @property
    def is_literal(self) -> bool:
        """Written in place as a literal with a known span: ``--fix`` may rewrite it."""
        return (
            self.known
            and self.origin.kind is OriginKind.LITERAL
            and self.span is not None
            and self.span.start_offset is not None
        )

    def text(self) -> str | None:
        """The value as a string when it is a known string, else ``None``."""
        return self.value if self.known and isinstance(self.value, str) else None

    def is_(self, expected: str) -> bool:
        """Known and equal to ``expected``, ignoring case as ARM does for enum values."""
        text = self.text()
        return text is not None and text.lower() == expected.lower()

    def possible(self) -> tuple[Value, ...]:
        """Every known value this could turn out to be (itself when known)."""
        if self.known:
            return (self,)
        return tuple(p for alt in self.alternatives for p in alt.possible())

    def describe(self) -> str:
        return repr(self.value) if self.known else self.expression or "an unknown value"


ABSENT = Value.absent()


class RegistryProperty(str, enum.Enum):
    """The registry properties the rules read; values are the ARM property paths."""

    SKU = "sku.name"
    PUBLIC_NETWORK_ACCESS = "properties.publicNetworkAccess"
    DEFAULT_ACTION = "properties.networkRuleSet.defaultAction"
    IP_RULES = "properties.networkRuleSet.ipRules"
    VIRTUAL_NETWORK_RULES = "properties.networkRuleSet.virtualNetworkRules"
    BYPASS_OPTIONS = "properties.networkRuleBypassOptions"
    TASKS_BYPASS = "properties.networkRuleBypassAllowedForTasks"
    ROLE_ASSIGNMENT_MODE = "properties.roleAssignmentMode"


@frozen
class Registry:
    """One declared registry: a resource, or a module call that creates one.

    ``properties`` holds the ARM-shaped values the loader found; a missing key means the
    property is absent (service or module default applies, see ``get``). For a module call,
    ``span`` is the call site and ``via`` says which module and where its defaults came from.
    Terraform values are stored in ARM terms (``public_network_access_enabled = false`` is
    ``publicNetworkAccess: 'Disabled'``) with their spans pointing at the Terraform text.
    """

    symbol: str
    span: Span
    name: Value = ABSENT
    api_version: str | None = None
    api_version_span: Span | None = None
    properties: Mapping[RegistryProperty, Value] = field(factory=dict)
    # private endpoints declared as part of the registry (e.g. a module's privateEndpoints input);
    # separately declared Microsoft.Network/privateEndpoints resources are linked consumers.
    private_endpoint_count: Value = field(
        factory=lambda: Value.of(0, origin=Origin(OriginKind.ABSENT))
    )
    via: str | None = None
    conditional: bool = False
    suppressed: Mapping[str, str] = field(factory=dict)  # rule id -> reason (ARM metadata)
    login_server: str | None = None
    format: str = ""  # "bicep" | "arm" | "terraform"

    def get(self, prop: RegistryProperty) -> Value:
        return self.properties.get(prop, ABSENT)

    @property
    def effective_login_server(self) -> str | None:
        """The declared login server, else ``<name>.azurecr.io`` when the name is known."""
        name = self.name.text()
        return self.login_server or (f"{name.lower()}.azurecr.io" if name else None)


class IdentityUse(str, enum.Enum):
    """How a consumer authenticates to the registry."""

    SYSTEM_ASSIGNED = "system-assigned"
    USER_ASSIGNED = "user-assigned"
    ADMIN_CREDENTIALS = "admin-credentials"  # username/password (admin user or token)
    NONE = "none"
    UNKNOWN = "unknown"

    @classmethod
    def from_identity_type(cls, kind: Value | None) -> Value:
        """A managed identity ``type`` ('SystemAssigned, UserAssigned', ...) as IdentityUse text.

        Every format spells the same ARM enum, so one reading serves all loaders; when both
        kinds are set, system-assigned wins (it is the one the trusted bypass honours).
        """
        if kind is None or (kind.known and kind.value is None):
            return Value.of(cls.NONE.value, origin=Origin(OriginKind.ABSENT))
        text = kind.text()
        if text is None:
            return Value.unknown(kind.expression or "identity type", kind.span)
        lowered = text.lower().replace(" ", "")
        if "systemassigned" in lowered:
            use = cls.SYSTEM_ASSIGNED
        elif "userassigned" in lowered:
            use = cls.USER_ASSIGNED
        else:
            use = cls.NONE
        return evolve(kind, value=use.value)

    @classmethod
    def from_registry_credential(
        cls,
        *,
        username: Value | None,
        identity: Value | None,
        group_identity_type: Value | None,
        span: Span | None = None,
        identity_text: str = "",
    ) -> Value:
        """How a container group authenticates to one registry (``imageRegistryCredentials``).

        A username means admin credentials (or a token), also when it is read from the
        registry's admin credentials (``listCredentials()``, ``admin_username``); ``identity``
        is ``[system]`` or a user-assigned identity's resource ID, so an expression that yields
        a resource ID (a ``.id`` reference, ``resourceId(...)``) is user-assigned; for any other
        expression the group's own identity type decides if it allows only one kind.
        ``identity_text`` is the source text of the identity expression, for loaders whose
        unknown values keep none.
        """
        if username is not None and not username.known:
            if _READS_ADMIN_CREDENTIALS.search((username.expression or "").lower()):
                return Value.of(cls.ADMIN_CREDENTIALS.value, span)
            return Value.unknown(username.expression or "imageRegistryCredentials.username", span)
        if username is not None and username.value is not None:
            return Value.of(cls.ADMIN_CREDENTIALS.value, span)
        if identity is None or (identity.known and identity.value is None):
            return Value.of(cls.NONE.value, span)
        known = identity.text()
        if known is not None:
            # the field holds '[system]' or a user-assigned identity's resource ID
            if known.strip().lower() in ("[system]", "system"):
                return Value.of(cls.SYSTEM_ASSIGNED.value, span)
            return Value.of(cls.USER_ASSIGNED.value, span)
        text = (identity.expression or identity_text).lower().replace(" ", "")
        if _REFERENCES_RESOURCE_ID.search(text):
            return Value.of(cls.USER_ASSIGNED.value, span)
        kinds = (group_identity_type.text() or "") if group_identity_type is not None else ""
        kinds = kinds.lower().replace(" ", "")
        user, system = "userassigned" in kinds, "systemassigned" in kinds
        if user and not system:
            return Value.of(cls.USER_ASSIGNED.value, span)
        if system and not user:
            return Value.of(cls.SYSTEM_ASSIGNED.value, span)
        return Value.unknown(identity.expression or "imageRegistryCredentials.identity", span)


def credential_identity(identity: Value | None) -> str | None:
    """The identity a task's custom-registry credential uses (``[system]`` or a client ID), for
    ACRT010, which asks whether one is used, not which: a client ID known only at deployment
    (``uami.properties.clientId``) is one, named by its expression."""
    if identity is None or identity.known:
        return identity.text() if identity is not None else None
    return identity.expression or "identity"


def task_settings(resource_type: str) -> tuple[str, ...]:
    """The ARM path of a task resource's settings (agent pool, credentials): a
    ``registries/taskRuns`` (a quick build or run) holds them in ``properties.runRequest``, a
    ``registries/tasks`` in ``properties``. ``resource_type`` may carry ``@<api-version>``."""
    kind = resource_type.split("@", 1)[0].strip().lower()
    return ("properties", "runRequest") if kind.endswith("/taskruns") else ("properties",)


SOURCE_REGISTRY_IDENTITY_SINCE = "2025-03-01-preview"
"""The first tasks API version with ``credentials.sourceRegistry.identity`` (domain-facts
sections 6 and 8)."""


def with_source_registry_credential(
    customs: Value, identity: Value | None, api_version: str | None
) -> Value:
    """A task's ``custom_registries`` plus its ``credentials.sourceRegistry.identity``, which
    logs it in to its own (source) registry as ``customRegistries[<own login server>].identity``
    does. Under an older (or unknown) API version the property does not exist and ARM ignores
    it, however a template wrote it (Bicep ``any()``, plain JSON, an azapi body). With it, an
    undeterminable ``customRegistries`` no longer matters to ACRT010: the task has a credential
    for its own registry either way."""
    used = credential_identity(identity)
    version = api_version_key(api_version) if api_version else None
    since = api_version_key(SOURCE_REGISTRY_IDENTITY_SINCE)
    if identity is None or not used or version is None or since is None or version < since:
        return customs
    entry = {"login_server": None, "identity": used, "same_registry": True}
    if customs.known and isinstance(customs.value, list) and customs.value:
        return evolve(customs, value=[*customs.value, entry])
    return Value.of([entry], identity.span)


# An expression that yields a resource's ID: a user-assigned identity named outright, a resource's
# ``.id`` (not a variable that happens to be called ``id``), or ``resourceId(...)``.
# a username read from the registry's admin credentials: ARM/Bicep listCredentials(), azurerm
_READS_ADMIN_CREDENTIALS = re.compile(r"listcredentials\(|\.admin_username\b")
_REFERENCES_RESOURCE_ID = re.compile(
    r"userassignedidentities|azurerm_user_assigned_identity\.|resourceid\("
    r"|^(?!(var|local|param|parameters|variables)\.)[\w\[\]().'-]+\.id$"
)


@frozen
class RegistryLink:
    """How a consumer names its registry: a symbol in the same model, a name, or a login server.

    Loaders fill what they can; :func:`link_matches` does the matching in one place.
    """

    symbol: str | None = None
    name: str | None = None
    login_server: str | None = None

    @property
    def empty(self) -> bool:
        return not (self.symbol or self.name or self.login_server)


class ConsumerKind(str, enum.Enum):
    PRIVATE_ENDPOINT = "private-endpoint"
    TASK = "task"
    AGENT_POOL = "agent-pool"
    CONTAINER_GROUP = "container-group"
    ML_WORKSPACE = "ml-workspace"
    WEB_APP = "web-app"
    ROLE_ASSIGNMENT = "role-assignment"
    REGISTRY_PATCH = "registry-patch"  # azapi_update_resource or a deployment script


@frozen
class Consumer:
    """Something that touches a registry, with the facts the rules need about it.

    ``attributes`` by kind (all optional, all Values):

    - task: ``identity`` (IdentityUse text), ``agent_pool`` (name or None),
      ``custom_registries`` (list of dicts ``{"login_server": str, "identity": str|None}``,
      optionally ``"same_registry": True`` when the login server is written through the task's
      own registry, e.g. ``'${acr.properties.loginServer}'``, whose name may be unknown),
      ``api_version`` (str), ``name``.
    - container-group: ``identity`` (IdentityUse text of the registry credential).
    - web-app: ``vnet_image_pull`` (bool), ``uses_managed_identity`` (bool), ``image`` (str).
    - role-assignment: ``role`` (name, GUID or role definition id), ``principal_type``,
      ``principal_is_managed_identity`` (bool).
    - registry-patch: ``properties`` (dict RegistryProperty value -> Value), ``source``
      ("azapi_update_resource" | "deployment-script"), optionally ``api_version`` (str: the
      patch's API version; properties it predates are ignored, see ``ignored_patch_properties``).
    """

    kind: ConsumerKind
    symbol: str
    span: Span
    link: RegistryLink
    attributes: Mapping[str, Value] = field(factory=dict)
    suppressed: Mapping[str, str] = field(factory=dict)

    def attr(self, key: str) -> Value:
        return self.attributes.get(key, ABSENT)


@frozen
class ParseError:
    """A file of a handled type that cannot be read (rule ACRT000)."""

    span: Span
    reason: str


@frozen
class FileModel:
    """Everything one linted file declares (including what its local modules contribute)."""

    path: str
    format: str
    registries: tuple[Registry, ...] = ()
    consumers: tuple[Consumer, ...] = ()
    errors: tuple[ParseError, ...] = ()
    text: str = ""  # the decoded text, for suppression comments and --fix


def link_matches(link: RegistryLink, registry: Registry) -> bool:
    """Does ``link`` name ``registry``? Symbols first, then names and login servers (any case)."""
    if link.symbol and link.symbol == registry.symbol:
        return True
    name = registry.name.text()
    if name and link.name and link.name.lower() == name.lower():
        return True
    login = (registry.effective_login_server or "").lower()
    return bool(login and link.login_server and link.login_server.lower() == login)


def consumers_of(model: FileModel, registry: Registry) -> tuple[Consumer, ...]:
    return tuple(c for c in model.consumers if link_matches(c.link, registry))


IMAGE_PULL_OVER_VNET = (
    "properties.vnetImagePullEnabled",
    "properties.siteConfig.vnetImagePullEnabled",
    "properties.outboundVnetRouting.imagePullTraffic",
    "properties.outboundVnetRouting.allTraffic",
)
"""The App Service site properties (ARM paths) that pull a web app's image through its VNet
integration: ``outboundVnetRouting.imagePullTraffic`` (2024) is the former
``vnetImagePullEnabled``, and ``allTraffic`` routes image pulls too
(learn.microsoft.com/azure/app-service/configure-vnet-integration-routing)."""
IMAGE_PULL_SETTING = "WEBSITE_PULL_IMAGE_OVER_VNET"
"""The app setting that did the same before those properties, still honoured."""

INTRODUCED: Mapping[RegistryProperty, tuple[str, frozenset[str]]] = {
    RegistryProperty.PUBLIC_NETWORK_ACCESS: ("2019-12-01-preview", frozenset()),
    RegistryProperty.BYPASS_OPTIONS: ("2019-12-01-preview", frozenset()),
    RegistryProperty.TASKS_BYPASS: ("2025-05-01-preview", frozenset()),
    RegistryProperty.ROLE_ASSIGNMENT_MODE: ("2025-03-01-preview", frozenset({"2025-04-01"})),
}
"""The first API version with a property, and later versions that lack it (domain-facts
section 3); under an older version ARM ignores the property."""
_API_VERSION = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(-[A-Za-z0-9.]+)?$")


def api_version_key(version: str) -> tuple[str, int] | None:
    """Order ARM API versions: by date, then a preview before the stable release of that date."""
    match = _API_VERSION.match(version.strip())
    if match is None:
        return None
    year, month, day, suffix = match.groups()
    return (f"{year}-{month}-{day}", 0 if suffix else 1)


def predates(api_version: str, prop: RegistryProperty) -> bool:
    """Does ``api_version`` predate ``prop`` (or lack it), so that ARM ignores the property?"""
    if prop not in INTRODUCED:
        return False
    since, lacking = INTRODUCED[prop]
    current, first = api_version_key(api_version), api_version_key(since)
    if current is None or first is None:
        return False
    return current < first or api_version.strip().lower() in lacking


def ignored_properties(registry: Registry) -> tuple[RegistryProperty, ...]:
    """The declared properties the registry's API version predates, which ARM ignores."""
    api = registry.api_version
    if api is None:
        return ()
    ignored = []
    for prop in INTRODUCED:
        value = registry.properties.get(prop)
        if value is None or value.origin.kind is OriginKind.ABSENT:
            continue
        if value.known and value.value is None:
            continue  # null is not sent
        if predates(api, prop):
            ignored.append(prop)
    return tuple(ignored)


def ignored_patch_properties(patch: Consumer) -> tuple[RegistryProperty, ...]:
    """The properties a registry patch sets under an API version that predates them (its
    ``api_version`` attribute, e.g. ``azapi_update_resource``'s ``type = "...@2023-07-01"``)."""
    api = patch.attr("api_version").text()
    patched = patch.attr("properties")
    if not api or not patched.known or not isinstance(patched.value, Mapping):
        return ()
    return tuple(p for p in INTRODUCED if p.value in patched.value and predates(api, p))


def effective_properties(
    registry: Registry, consumers: Iterable[Consumer] = ()
) -> dict[RegistryProperty, Value]:
    """The registry's declared properties that its API version has (:func:`ignored_properties`
    are dropped, as ARM drops them), with its linked patches' values on top.

    Patches (azapi_update_resource, deployment scripts) run after the registry is created, so
    what they set wins; rules read values from here so a message can name the patch's span.
    A patch value that is not known (a variable, or a patch that only some ``count`` creates)
    makes the property undetermined: the rules must not decide from the declared value.
    """
    props: dict[RegistryProperty, Value] = dict(registry.properties)
    for prop in ignored_properties(registry):
        del props[prop]
    for consumer in consumers:
        if consumer.kind is not ConsumerKind.REGISTRY_PATCH:
            continue
        patched = consumer.attr("properties")
        ignored = {p.value for p in ignored_patch_properties(consumer)}
        if patched.known and isinstance(patched.value, Mapping):
            for key, value in patched.value.items():
                if isinstance(value, Value) and key not in ignored:
                    props[RegistryProperty(key)] = value
    return props


def posture_of(registry: Registry, consumers: Iterable[Consumer] = ()) -> NetworkPosture:
    """The posture a registry would have if every *known* value is as declared.

    Unknown values are treated as absent; rules must check ``Value.known`` before reporting an
    error that depends on one. ``consumers`` are those linked to the registry: private endpoints
    add to the declared count, and patches (azapi_update_resource, deployment scripts) are
    applied on top, as they run after the registry is created.
    """
    consumers = tuple(consumers)
    props = effective_properties(registry, consumers)
    endpoints = sum(1 for c in consumers if c.kind is ConsumerKind.PRIVATE_ENDPOINT)

    def text(prop: RegistryProperty) -> str | None:
        return props.get(prop, ABSENT).text()

    def items(prop: RegistryProperty) -> tuple[str, ...]:
        value = props.get(prop, ABSENT)
        if value.known and isinstance(value.value, list):
            return tuple(str(v) for v in value.value)
        return ()

    tasks = props.get(RegistryProperty.TASKS_BYPASS, ABSENT)
    declared = registry.private_endpoint_count
    if declared.known and isinstance(declared.value, int):
        endpoints += declared.value
    return NetworkPosture(
        sku=text(RegistryProperty.SKU),
        public_network_access=text(RegistryProperty.PUBLIC_NETWORK_ACCESS),
        default_action=text(RegistryProperty.DEFAULT_ACTION),
        ip_rules=items(RegistryProperty.IP_RULES),
        virtual_network_rules=items(RegistryProperty.VIRTUAL_NETWORK_RULES),
        network_rule_bypass_options=text(RegistryProperty.BYPASS_OPTIONS),
        network_rule_bypass_allowed_for_tasks=(
            tasks.value if tasks.known and isinstance(tasks.value, bool) else None
        ),
        role_assignment_mode=text(RegistryProperty.ROLE_ASSIGNMENT_MODE),
        private_endpoint_count=endpoints,
        login_server=registry.login_server,
    )


@frozen
class LoadContext:
    """What a loader may use besides the file itself.

    ``read_text`` reads (and caches) files that the linted file references -- modules, parameter
    files -- so pre-commit, which passes only changed files, still sees them; it raises
    ``OSError`` / ``UnicodeDecodeError`` like ``Path.read_text``. ``display_path`` renders a path
    the way reports print it. ``param_files`` come from ``--param-file`` or the config.
    """

    read_text: Callable[[Path], str]
    display_path: Callable[[Path], str]
    param_files: tuple[Path, ...] = ()
