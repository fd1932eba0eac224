"""What touches a registry in a Bicep file: consumers from resources and Azure Verified Modules.

Each extractor reads the ARM-shaped body of a resource (an evaluated object Value) and returns
:class:`~acr_trusted.lint.model.Consumer` objects with the attributes the rules read (see the
Consumer docstring). Calls of the common AVM consumer modules (``br/public:avm/...``) are
translated into the same ARM shape from their parameters (:data:`AVM_CONSUMERS`), so one
extractor serves the resource and the module.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence

from acr_trusted.lint import evaluate as ev
from acr_trusted.lint.bicep_eval import (
    REGISTRY_TYPE,
    Evaluator,
    Obj,
    link_of,
    lookup,
    ref_of,
    unwrap_body,
)
from acr_trusted.lint.bicep_syntax import Resource
from acr_trusted.lint.model import (
    IMAGE_PULL_OVER_VNET,
    IMAGE_PULL_SETTING,
    Consumer,
    ConsumerKind,
    IdentityUse,
    Registry,
    RegistryLink,
    RegistryProperty,
    Span,
    Value,
    credential_identity,
    task_settings,
    with_source_registry_credential,
)
from acr_trusted.records import evolve

_TASKS_BYPASS_ON = re.compile(
    r"networkRuleBypassAllowedForTasks['\"]?\s*[=:\s]\s*['\"]?true", re.IGNORECASE
)
_NAME_OPTION = re.compile(r"(?:--name|-n)\s+['\"]?([A-Za-z0-9]{5,50})\b")
_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
_IDENTITY_TYPE = "microsoft.managedidentity/userassignedidentities"
_ROLE_TYPE = "microsoft.authorization/roledefinitions"


class _Site:
    """One resource (or module call) being read: where it is and how to evaluate paths."""

    def __init__(
        self,
        evaluator: Evaluator,
        body: Value,
        symbol: str,
        span: Span,
        api_version: str | None,
        parent: RegistryLink | None,
        declared: str | None = None,
        kind: str = "",
    ) -> None:
        self.evaluator = evaluator
        self.body = body
        self.symbol = symbol
        self.span = span
        self.api_version = api_version
        self.parent = parent
        self.declared = declared  # the resource's symbol in the template, when one is read
        self.kind = kind  # the resource's type, lower case, when one is read

    def get(self, path: str, within: Value | None = None) -> Value | None:
        return lookup(self.evaluator, self.body if within is None else within, path)

    def items(self, path: str, within: Value | None = None) -> list[Value]:
        found = self.get(path, within)
        if found is None or not found.known or not isinstance(found.value, list):
            return []
        return [v if isinstance(v, Value) else Value.of(v) for v in found.value]

    def consumer(
        self, kind: ConsumerKind, link: RegistryLink, attributes: Mapping[str, Value | None]
    ) -> Consumer:
        kept = {k: v for k, v in attributes.items() if v is not None}
        return Consumer(kind, self.symbol, self.span, link, kept)


def _private_endpoint(site: _Site) -> list[Consumer]:
    out = []
    for list_name in ("privateLinkServiceConnections", "manualPrivateLinkServiceConnections"):
        for entry in site.items(f"properties.{list_name}"):
            target = site.get("properties.privateLinkServiceId", entry)
            if target is None:
                continue
            ref = ref_of(target)
            groups = site.get("properties.groupIds", entry)
            group_text = repr(ev.plain(groups)).lower() if groups and groups.known else ""
            is_registry = "registry" in group_text or (
                not group_text and (ref is None or ref.resource_type in (REGISTRY_TYPE, "module"))
            )
            link = link_of(target)
            if is_registry and not link.empty:
                out.append(site.consumer(ConsumerKind.PRIVATE_ENDPOINT, link, {}))
    return out


def _task(site: _Site) -> list[Consumer]:
    """``registries/tasks`` and ``registries/taskRuns`` (a run's settings are in its
    ``runRequest``): both run on ACR's task compute, as ARM reads them."""
    link = site.parent or RegistryLink()
    base = ".".join(task_settings(site.kind))
    registries: list[dict[str, str | bool | None]] = []
    custom = site.get(f"{base}.credentials.customRegistries")
    if custom is not None and custom.known and isinstance(custom.value, Mapping):
        keys = custom.value.key_values if isinstance(custom.value, Obj) else {}
        for server, entry in custom.value.items():
            key = keys.get(server)
            identity = site.get("identity", entry) if isinstance(entry, Value) else None
            entry_data: dict[str, str | bool | None] = {
                "login_server": key.text() if key is not None and key.known else server,
                "identity": credential_identity(identity),
            }
            if _names_registry(key, link):
                entry_data["same_registry"] = True
            registries.append(entry_data)
    agent_pool = site.get(f"{base}.agentPoolName") or Value.of(None)
    listed = Value.of(registries, custom.span if custom else None)
    if custom is not None and not (
        custom.known and (custom.value is None or isinstance(custom.value, Mapping))
    ):  # a parameter without a default: undetermined, as ARM and azapi read it
        listed = Value.unknown(
            custom.expression or "customRegistries", custom.span, depends_on=custom.depends_on
        )
    customs = with_source_registry_credential(
        listed,
        site.get(f"{base}.credentials.sourceRegistry.identity"),
        site.api_version,
    )
    return [
        site.consumer(
            ConsumerKind.TASK,
            link,
            {
                "identity": IdentityUse.from_identity_type(site.get("identity.type")),
                "agent_pool": agent_pool,
                "custom_registries": customs,
                "api_version": Value.of(site.api_version) if site.api_version else None,
                "name": site.get("name"),
            },
        )
    ]


def _names_registry(key: Value | None, registry: RegistryLink) -> bool:
    """Whether a credential's login server is written through the task's own registry.

    ``'${acr.properties.loginServer}'``, ``'${acr.name}.azurecr.io'`` or an AVM module's
    ``'${acr.outputs.loginServer}'`` name the registry the task belongs to even when its name,
    and so its login server, is not known statically.
    """
    if key is None or key.known or not registry.symbol:
        return False
    return link_of(key).symbol == registry.symbol


def _agent_pool(site: _Site) -> list[Consumer]:
    link = site.parent or RegistryLink()
    return [site.consumer(ConsumerKind.AGENT_POOL, link, {"name": site.get("name")})]


def _container_group(site: _Site) -> list[Consumer]:
    out = []
    for entry in site.items("properties.imageRegistryCredentials"):
        server = site.get("server", entry)
        link = link_of(server) if server is not None else RegistryLink()
        if link.empty:
            continue
        use = IdentityUse.from_registry_credential(
            username=site.get("username", entry),
            identity=site.get("identity", entry),
            group_identity_type=site.get("identity.type"),
            span=entry.span,
        )
        out.append(site.consumer(ConsumerKind.CONTAINER_GROUP, link, {"identity": use}))
    return out


def _ml_workspace(site: _Site) -> list[Consumer]:
    registry = site.get("properties.containerRegistry")
    link = link_of(registry) if registry is not None else RegistryLink()
    return [] if link.empty else [site.consumer(ConsumerKind.ML_WORKSPACE, link, {})]


def _web_app(site: _Site) -> list[Consumer]:
    return _docker_app(site, "properties.siteConfig", lambda: _vnet_image_pull(site))


def _site_config(site: _Site) -> list[Consumer]:
    """A site's ``config`` child named ``web`` (its ``siteConfig`` as a resource of its own):
    a ``DOCKER|`` image there is pulled over the VNet when its own settings or its parent
    site's (``outboundVnetRouting``, ``vnetImagePullEnabled``, app settings) say so."""
    name = site.get("name")
    if name is None or (name.text() or "").rsplit("/", 1)[-1].lower() != "web":
        return []

    def pull() -> Value:
        parent = _parent_site(site)
        inherited = (
            _vnet_image_pull(parent)
            if parent is not None
            else Value.unknown("the parent site's VNet image pull")
        )
        return ev.first_true([_vnet_image_pull(site, "properties"), inherited])

    return _docker_app(site, "properties", pull)


def _docker_app(site: _Site, config: str, pull: Callable[[], Value]) -> list[Consumer]:
    """The consumer of a site whose site config (at ``config``) runs a ``DOCKER|`` image."""
    image = site.get(f"{config}.linuxFxVersion") or site.get(f"{config}.windowsFxVersion")
    if image is None:
        return []
    text = image.text()
    if text and not text.upper().startswith("DOCKER|"):
        return []  # a runtime stack ('PYTHON|3.12'), or 'SITECONTAINERS': see _site_container
    link = link_of(image)
    if link.empty:
        return []
    shown = (
        Value.of(text.split("|", 1)[-1], image.span) if text else Value.unknown(image.expression)
    )
    return [
        site.consumer(
            ConsumerKind.WEB_APP,
            link,
            {
                "image": shown,
                "vnet_image_pull": pull(),
                "uses_managed_identity": site.get(f"{config}.acrUseManagedIdentityCreds")
                or Value.of(False),
            },
        )
    ]


_SITE_TYPES = ("microsoft.web/sites", "microsoft.web/sites/slots")
_CONFIG_TYPES = ("microsoft.web/sites/config", "microsoft.web/sites/slots/config")
_MANAGED_AUTH = ("systemidentity", "userassigned")


def _site_container(site: _Site) -> list[Consumer]:
    """A container of a site in the sidecar model (``Microsoft.Web/sites/sitecontainers``; the
    site's ``linuxFxVersion`` is ``SITECONTAINERS``): App Service pulls its ``image`` as it pulls
    a ``DOCKER|`` image, over the VNet when its parent site says so."""
    image = site.get("properties.image")
    link = link_of(image) if image is not None else RegistryLink()
    if image is None or link.empty:
        return []
    auth = site.get("properties.authType")
    managed = Value.of(False)
    if auth is not None:
        text = (auth.text() or "").lower()
        managed = Value.of(text in _MANAGED_AUTH, auth.span) if auth.known else auth
    parent = _parent_site(site)
    pull = _vnet_image_pull(parent) if parent is not None else None
    return [
        site.consumer(
            ConsumerKind.WEB_APP,
            link,
            {
                "image": image,
                "vnet_image_pull": pull or Value.unknown("the parent site's VNet image pull"),
                "uses_managed_identity": managed,
            },
        )
    ]


def _parent_site(site: _Site) -> _Site | None:
    """The site a ``parent:`` names or a nested child is declared in, in the same file."""
    resources = site.evaluator.template.resources
    symbol = _parent_symbol(site, site.body, resources.get(site.declared or ""))
    resource = resources.get(symbol or "")
    if resource is None or resource.type.lower() not in _SITE_TYPES:
        return None
    body = site.evaluator.body_value(unwrap_body(resource.body)[0], {})
    return _Site(site.evaluator, body, site.symbol, site.span, None, None, symbol)


def _parent_symbol(site: _Site, body: Value, resource: Resource | None) -> str | None:
    """The symbol of a child's parent resource: its ``parent:``, else the enclosing one."""
    parent = site.get("parent", body)
    if parent is not None:
        ref = ref_of(parent)
        return ref.link.symbol if ref is not None and not ref.attribute else None
    return resource.parent if resource is not None else None


def _app_settings_pull(site: _Site) -> list[Value]:
    """``WEBSITE_PULL_IMAGE_OVER_VNET`` in the site's ``config`` 'appsettings' children (their
    ``properties`` are the settings, name to value)."""
    found = []
    for resource in site.evaluator.template.resources.values():
        if site.declared is None or resource.type.lower() not in _CONFIG_TYPES:
            continue
        body = site.evaluator.body_value(unwrap_body(resource.body)[0], {})
        name = site.get("name", body)
        if name is None or (name.text() or "").rsplit("/", 1)[-1].lower() != "appsettings":
            continue
        setting = site.get(f"properties.{IMAGE_PULL_SETTING}", body)
        if setting is not None and _parent_symbol(site, body, resource) == site.declared:
            found.append(setting)
    return found


def _vnet_image_pull(site: _Site, config: str | None = None) -> Value:
    """Whether any of the ways to pull the image over the VNet is on (see
    :data:`~acr_trusted.lint.model.IMAGE_PULL_OVER_VNET`); with ``config``, the site config
    written as a ``config`` child, whose own ``vnetImagePullEnabled`` and app settings count."""
    paths = IMAGE_PULL_OVER_VNET if config is None else (f"{config}.vnetImagePullEnabled",)
    found = [v for v in map(site.get, paths) if v is not None]
    if config is None:
        found.extend(_app_settings_pull(site))
    for entry in site.items(f"{config or 'properties.siteConfig'}.appSettings"):
        name = site.get("name", entry)
        if name is not None and (name.text() or "").upper() == IMAGE_PULL_SETTING:
            found.append(site.get("value", entry) or Value.of(None))
    return ev.first_true(found)


def _role_assignment(
    site: _Site, within: Value | None = None, link: RegistryLink | None = None
) -> list[Consumer]:
    if link is None:
        scope = site.get("scope", within)
        link = link_of(scope) if scope is not None else RegistryLink()
    if link.empty:
        return []
    role = site.get("properties.roleDefinitionId", within) or site.get(
        "roleDefinitionIdOrName", within
    )
    principal = site.get("properties.principalId", within) or site.get("principalId", within)
    principal_type = site.get("properties.principalType", within) or site.get(
        "principalType", within
    )
    attributes: dict[str, Value | None] = {
        "role": _role(role) if role is not None else None,
        "principal_type": principal_type or Value.of(None),
    }
    if principal is not None and _is_managed_identity(principal):
        attributes["principal_is_managed_identity"] = Value.of(True, principal.span)
    return [site.consumer(ConsumerKind.ROLE_ASSIGNMENT, link, attributes)]


def _role(value: Value) -> Value:
    """A role as a name, a GUID or a role definition ID (GUIDs out of ``*ResourceId()``, or
    the name of an ``existing`` role definition resource whose ``id`` is used)."""
    if value.known:
        return value
    ref = ref_of(value)
    guid = ""
    if ref is not None and ref.attribute.startswith("id:"):
        guid = ref.attribute[3:]
    elif ref is not None and ref.resource_type == _ROLE_TYPE and ref.attribute == "id":
        guid = ref.link.name or ""
    if _GUID.fullmatch(guid):
        return Value.of(guid, value.span, origin=value.origin, depends_on=value.depends_on)
    return value


def _is_managed_identity(principal: Value) -> bool:
    """``identity.properties.principalId``, ``x.identity.principalId``, an AKS kubelet identity
    (``identityProfile.kubeletidentity.objectId``), or an AVM output of one."""
    ref = ref_of(principal)
    if ref is None:
        return False
    attribute = ref.attribute.lower()
    if ref.resource_type == _IDENTITY_TYPE and attribute.endswith("principalid"):
        return True
    if "kubeletidentity." in attribute:
        return True
    return attribute.endswith("identity.principalid") or (
        attribute.startswith("outputs.") and "principalid" in attribute
    )


def _registry_module_roles(site: _Site) -> list[Consumer]:
    out = []
    for entry in site.items("roleAssignments"):
        out.extend(_role_assignment(site, entry, site.parent))
    return out


def _deployment_script(site: _Site) -> list[Consumer]:
    for path in ("properties.scriptContent", "properties.arguments"):
        script = site.get(path)
        if script is None:
            continue
        text = script.text() or script.expression
        if not _TASKS_BYPASS_ON.search(text):
            continue
        link = link_of(script)
        if link.empty or (link.name is None and link.symbol is None):
            named = _NAME_OPTION.search(text)
            link = RegistryLink(name=named.group(1)) if named else RegistryLink()
        on = Value.of(True, script.span, expression="networkRuleBypassAllowedForTasks=true")
        properties = Value.of({RegistryProperty.TASKS_BYPASS.value: on}, script.span)
        return [
            site.consumer(
                ConsumerKind.REGISTRY_PATCH,
                link,
                {"properties": properties, "source": Value.of("deployment-script")},
            )
        ]
    return []


Extractor = Callable[[_Site], list[Consumer]]

_BY_TYPE: dict[str, Extractor] = {
    "microsoft.containerregistry/registries/tasks": _task,
    "microsoft.containerregistry/registries/taskruns": _task,
    "microsoft.containerregistry/registries/agentpools": _agent_pool,
    "microsoft.network/privateendpoints": _private_endpoint,
    "microsoft.containerinstance/containergroups": _container_group,
    "microsoft.machinelearningservices/workspaces": _ml_workspace,
    "microsoft.web/sites": _web_app,
    "microsoft.web/sites/slots": _web_app,
    "microsoft.web/sites/config": _site_config,
    "microsoft.web/sites/slots/config": _site_config,
    "microsoft.web/sites/sitecontainers": _site_container,
    "microsoft.web/sites/slots/sitecontainers": _site_container,
    "microsoft.authorization/roleassignments": _role_assignment,
    "microsoft.resources/deploymentscripts": _deployment_script,
    "avm-registry-role-assignments": _registry_module_roles,
}


def is_consumer_type(kind: str) -> bool:
    """Whether a resource of (lower-case) type ``kind`` can touch a registry."""
    return kind in _BY_TYPE


def consumers_of_resource(
    evaluator: Evaluator,
    kind: str,
    body: Value,
    symbol: str,
    span: Span,
    api_version: str | None,
    parent: RegistryLink | None,
    declared: str | None = None,
) -> list[Consumer]:
    """The consumers in one resource's evaluated ``body``; ``declared``: its symbol in the
    template, so that its children (a site's ``config``) can be read too."""
    extractor = _BY_TYPE.get(kind)
    if extractor is None:
        return []
    return extractor(_Site(evaluator, body, symbol, span, api_version, parent, declared, kind))


AVM_TASK_SOURCE = "avm/res/container-registry/registry/task"
"""The AVM registry module's task child module (its ``tasks`` input items are its inputs).

Matched by its last path segments, so a vendored copy of the registry module whose
``task/main.bicep`` was left out is recognised too."""

# AVM consumer modules: source pattern -> (resource type, ARM path <- module parameter).
# A pattern is searched in a registry source (``br/public:avm/...:1.0``) or, for a local module
# whose file is not on disk, in its resolved path (``.../registry/task/main.bicep``).
# ``parent`` is the name of the parent resource, for child resources such as registry tasks.
AVM_CONSUMERS: Sequence[tuple[re.Pattern[str], str, Mapping[str, str]]] = (
    (
        re.compile(r"container-registry/registry/task(?:/main\.bicep)?(?::|$)"),
        "microsoft.containerregistry/registries/tasks",
        {
            "parent": "registryName",
            "name": "name",
            "properties.agentPoolName": "agentPoolName",
            "properties.credentials": "credentials",
            "properties.status": "status",
        },
    ),
    (
        re.compile(r"avm/res/container-instance/container-group\b"),
        "microsoft.containerinstance/containergroups",
        {"properties.imageRegistryCredentials": "imageRegistryCredentials"},
    ),
    (
        re.compile(r"avm/res/machine-learning-services/workspace\b"),
        "microsoft.machinelearningservices/workspaces",
        {"properties.containerRegistry": "associatedContainerRegistryResourceId"},
    ),
    (
        re.compile(r"avm/res/network/private-endpoint\b"),
        "microsoft.network/privateendpoints",
        {
            "properties.privateLinkServiceConnections": "privateLinkServiceConnections",
            "properties.manualPrivateLinkServiceConnections": "manualPrivateLinkServiceConnections",
        },
    ),
    (
        re.compile(r"avm/res/resources/deployment-script\b"),
        "microsoft.resources/deploymentscripts",
        {"properties.scriptContent": "scriptContent", "properties.arguments": "arguments"},
    ),
    (
        re.compile(r"avm/ptn/authorization/resource-role-assignment\b"),
        "microsoft.authorization/roleassignments",
        {
            "scope": "resourceId",
            "properties.roleDefinitionId": "roleDefinitionId",
            "properties.principalId": "principalId",
            "properties.principalType": "principalType",
        },
    ),
    (
        re.compile(r"avm/res/web/site\b"),
        "microsoft.web/sites",
        {
            "properties.siteConfig": "siteConfig",
            "properties.vnetImagePullEnabled": "vnetImagePullEnabled",
        },
    ),
)


def is_consumer_module(source: str) -> bool:
    """Whether a module from ``source`` is one of the AVM consumer modules above."""
    return any(pattern.search(source) for pattern, _, _ in AVM_CONSUMERS)


def shape_from_params(source: str, args: Mapping[str, Value]) -> tuple[str, Value] | None:
    """An AVM consumer module call as the ARM-shaped resource body it deploys."""
    for pattern, kind, paths in AVM_CONSUMERS:
        if not pattern.search(source):
            continue
        root: dict[str, object] = {}
        for arm_path, param in paths.items():
            if param not in args:
                continue
            *parents, leaf = arm_path.split(".")
            node = root
            for key in parents:
                node = node.setdefault(key, {})  # type: ignore[assignment]
            node[leaf] = args[param]
        if "managedIdentities" in args:
            identity = avm_identity_type(args["managedIdentities"])
            if identity is not None:
                root["identity"] = {"type": identity}
        return kind, _as_value(root)
    return None


def avm_identity_type(managed: Value) -> Value | None:
    """The ARM ``identity.type`` that AVM's common ``managedIdentities`` input produces.

    AVM modules build ``{systemAssigned, userAssignedResourceIds}`` into ``SystemAssigned``,
    ``UserAssigned``, both, or ``None``; an empty or null input gives the resource no identity
    (``None`` here). Undecidable parts make the type unknown, never a guess.
    """
    span = managed.span
    undecided = Value.unknown(
        managed.expression or "managedIdentities", span, depends_on=managed.depends_on
    )
    if not managed.known:
        return undecided
    data = managed.value
    if data is None or (isinstance(data, Mapping) and not data):
        return None
    if not isinstance(data, Mapping):
        return undecided
    system, users = data.get("systemAssigned"), data.get("userAssignedResourceIds")
    has_system = _flag(system)
    has_users = (
        _flag(ev.not_(ev.empty(users, span=span), span=span)) if isinstance(users, Value) else False
    )
    if has_system is None or has_users is None:
        return undecided
    names = [n for n, on in (("SystemAssigned", has_system), ("UserAssigned", has_users)) if on]
    return Value.of(
        ", ".join(names) or "None", span, origin=managed.origin, depends_on=managed.depends_on
    )


def _flag(value: object) -> bool | None:
    """An optional boolean input: absent or null is false; ``None`` when undecidable."""
    if not isinstance(value, Value) or (value.known and value.value is None):
        return False
    return ev.truthy(value)


def _as_value(data: Mapping[str, object]) -> Value:
    obj = Obj({k: v if isinstance(v, Value) else _as_value(v) for k, v in data.items()})  # type: ignore[arg-type]
    obj.key_values = {}
    return Value.of(obj)


_SELF_LINKED = frozenset({ConsumerKind.REGISTRY_PATCH, ConsumerKind.TASK, ConsumerKind.AGENT_POOL})


def only_registry_links(
    consumers: Iterable[Consumer], registries: Sequence[Registry]
) -> Iterable[Consumer]:
    """Link what names no registry (a tasks-bypass script, a child whose parent's name is a
    parameter) to the only registry declared here; drop it when there is not exactly one."""
    for consumer in consumers:
        if consumer.link.empty:
            if consumer.kind not in _SELF_LINKED or len(registries) != 1:
                continue
            consumer = evolve(consumer, link=RegistryLink(symbol=registries[0].symbol))
        yield consumer
