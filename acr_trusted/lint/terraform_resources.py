"""Registries and their consumers, read from the resources of a Terraform module instance.

Each reader turns one resource block (one instance of its ``count`` / ``for_each``) into
:class:`Registry` or :class:`Consumer` objects, with values in ARM terms
(``public_network_access_enabled = false`` is ``publicNetworkAccess: 'Disabled'``). Spans point
at the linted file: a literal written in place keeps its own span (``--fix`` may rewrite it),
anything else is anchored at the attribute that uses it, or, inside a module, at the module call.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from acr_trusted.lint import evaluate as E
from acr_trusted.lint.known_modules import find_known_module
from acr_trusted.lint.model import (
    ABSENT,
    IMAGE_PULL_OVER_VNET,
    IMAGE_PULL_SETTING,
    Consumer,
    ConsumerKind,
    IdentityUse,
    Origin,
    OriginKind,
    Registry,
    RegistryLink,
    RegistryProperty,
    Span,
    Value,
    credential_identity,
    link_matches,
    task_settings,
    with_source_registry_credential,
)
from acr_trusted.lint.terraform_eval import (
    REGISTRY_TYPE,
    Instance,
    KnownCall,
    Scope,
    address,
    evaluate,
    instances,
    link_from_text,
    link_of,
    meta_instances,
    public_access,
    registry_links,
    resource_type_of,
    traversal,
)
from acr_trusted.lint.terraform_syntax import Block, Body, Expr, Kind
from acr_trusted.records import evolve

_TASKS_PATCH = re.compile(r"networkRuleBypassAllowedForTasks[\"']?\s*[=:]\s*[\"']?true", re.I)
_MANAGED_IDENTITY = re.compile(
    r"azurerm_user_assigned_identity\.[\w-]+(\[[^\]]*\])?\.principal_id"
    r"|\.output\)?\.(properties|identity)\.principalId"  # azapi: a UAMI's or an identity block's
    r"|\.kubeletidentity\.objectId"  # azapi: an AKS cluster's kubelet identity
    r"|identity(\[0\]|\.0)\.principal_id|kubelet_identity(\[0\]|\.0)\.object_id"
)
_ROLE_GUID = re.compile(  # a role definition id ends with the role's GUID
    r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})[\"']?\s*\Z", re.I
)
_ROLE_DATA = re.compile(r"data\.azurerm_role_definition\.([\w-]+)\.(?:role_definition_)?id")
_NAME_OPTION = re.compile(r"(?:--name|-n)\s+[\"']?([A-Za-z0-9]{5,50})\b")
_WEB_APPS = frozenset(
    {
        "azurerm_linux_web_app",
        "azurerm_windows_web_app",
        "azurerm_linux_function_app",
        "azurerm_windows_function_app",
        "azurerm_linux_web_app_slot",
        "azurerm_windows_web_app_slot",
        "azurerm_linux_function_app_slot",
        "azurerm_windows_function_app_slot",
        "azurerm_app_service",
        "azurerm_function_app",
    }
)
_POOLS = frozenset({"azurerm_container_registry_agent_pool", f"{REGISTRY_TYPE}/agentpools"})
_SCRIPT_ATTRIBUTES = {
    "azurerm_resource_deployment_script_azure_cli": "script_content",
    "azurerm_resource_deployment_script_azure_power_shell": "script_content",
}
# ARM property path of a registry body -> the property the rules read
_ARM_PATHS: dict[RegistryProperty, tuple[str, ...]] = {
    p: tuple(p.value.split(".")) for p in RegistryProperty
}


def read_instance(
    instance: Instance, only_path: str | None = None
) -> tuple[list[Registry], list[Consumer]]:
    """Everything ``instance`` declares; for the root, only what ``only_path`` declares.

    Consumers declared elsewhere in the module are kept when they touch a registry of
    ``only_path`` (a private endpoint in ``pe.tf`` restricts the registry in ``main.tf``).
    """
    reader = _Reader(instance)
    for block in instance.module.resources:
        reader.resource(block)
    for call in instance.module.calls:
        if only_path is None or call.span.path == only_path:
            reader.module_call(call)
    registries, consumers = reader.registries, reader.consumers
    if only_path is None:
        return registries, consumers
    mine = [r for r in registries if r.span.path == only_path or _called_from(r, only_path)]
    kept = [
        c
        for c in consumers
        if c.span.path == only_path or any(link_matches(c.link, r) for r in mine)
    ]
    return mine, kept


def _called_from(registry: Registry, path: str) -> bool:
    return registry.via is not None and registry.span.path == path


class _Reader:
    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        self.registries: list[Registry] = []
        self.consumers: list[Consumer] = []

    # -- spans and values -------------------------------------------------------------------

    def span(self, own: Span) -> Span:
        return self.instance.anchor or own

    def anchored(self, value: Value, at: Span) -> Value:
        """Keep a value's own span when it is written in the linted file, else use ``at``.

        In the linted file a default is reported where it is used; through a module call,
        a value written in the linted file (the caller's own variable default) is nearer the
        decision than the call site.
        """
        own = value.span
        in_place = (
            own is not None
            and own.path == self.instance.root_path
            and (
                value.origin.kind in (OriginKind.LITERAL, OriginKind.PARAMETER_VALUE)
                or self.instance.anchor is not None
                or _within(own, at)  # already where it is used: a ternary's chosen branch
            )
        )
        if in_place:
            return value
        target = self.instance.anchor or _plain_span(at)
        return evolve(value, span=target)

    def value(self, body: Body, name: str, scope: Scope) -> Value | None:
        expr = body.expr(name)
        if expr is None:
            return None
        return self.anchored(evaluate(expr, scope), expr.span)

    # -- blocks -----------------------------------------------------------------------------

    def resource(self, block: Block) -> None:
        kind = block.labels[0]
        reader = _READERS.get(kind)
        if kind.startswith("azapi_"):
            reader = _AZAPI_READERS.get(resource_type_of(block, self.instance.scope()))
            if kind == "azapi_update_resource" and reader is _Reader.azapi_registry:
                reader = _Reader.azapi_patch
        elif kind in _WEB_APPS:
            reader = _Reader.web_app
        if reader is None:
            return
        scope = self.instance.scope()
        found = meta_instances(block.body, scope)
        if not found and reader in _REGISTRY_READERS:
            # no instance with these inputs (`count = var.create ? 1 : 0`): the registry stays,
            # conditional, as a Bicep or ARM registry whose condition is false with the
            # parameters' defaults does; a literal `count = 0` never deploys it
            meta = block.body.expr("count") or block.body.expr("for_each")
            if meta is not None and evaluate(meta, scope).depends_on:
                undecided = Value.unknown(meta.text, meta.span)
                found = [(scope.bind("count", undecided).bind("each", undecided), False)]
        for instance_scope, certain in found:
            reader(self, block, instance_scope, not certain or self.instance.conditional)

    def module_call(self, call: Block) -> None:
        name = call.labels[0]
        child = self.instance.child(name)
        if isinstance(child, KnownCall):
            self.known_module(call, child)
        elif isinstance(child, Instance):
            registries, consumers = read_instance(child)
            self.registries.extend(self._via_inputs(call, child, registries, consumers))
            self.consumers.extend(consumers)

    def _via_inputs(
        self,
        call: Block,
        child: Instance,
        registries: list[Registry],
        consumers: list[Consumer],
    ) -> Iterator[Registry]:
        """Module registries; AVM modules create private endpoints from ``private_endpoints``.

        When the module's own private endpoint resources are not on disk (or not linked),
        the AVM interface convention counts the entries of the ``private_endpoints`` input.
        """
        given = child.inputs.get("private_endpoints")
        for registry in registries:
            linked = any(
                c.kind is ConsumerKind.PRIVATE_ENDPOINT and link_matches(c.link, registry)
                for c in consumers
            )
            if given is not None and not linked and len(registries) == 1:
                count = E.length(given, span=given.span)
                registry = evolve(registry, private_endpoint_count=count)
            yield registry

    def known_module(self, call: Block, known: KnownCall) -> None:
        entry = find_known_module(known.source)
        if entry is None:
            return
        span = self.span(call.span)
        built = entry.build(known.inputs, span)
        name = built.name
        symbol = self.instance.public(f"module.{call.labels[0]}")
        self.known_module_consumers(call, known, RegistryLink(symbol=symbol))
        self.registries.append(
            Registry(
                symbol=symbol,
                span=span,
                name=name,
                properties=built.properties,
                private_endpoint_count=built.private_endpoint_count,
                via=(
                    f"module '{known.source}' (inputs' defaults from acr-trusted's "
                    "known-module table)"
                ),
                conditional=known.conditional or self.instance.conditional,
                login_server=_login_server(name),
                format="terraform",
            )
        )

    def known_module_consumers(self, call: Block, known: KnownCall, link: RegistryLink) -> None:
        """What the AVM module's ``role_assignments`` and ``tasks`` inputs create on the registry.

        The module turns each entry into an ``azurerm_role_assignment`` / a task child module
        scoped to its registry (``main.tf``, ``main.tasks.tf``), so each is a consumer of it,
        reported at the call site. An input that is not known stands for one unknown entry.
        """
        at = self.span(call.span)
        prefix = f"module.{call.labels[0]}"
        for key, item in _entries(known.inputs.get("role_assignments")):
            principal = E.member(item, "principal_id", span=at, safe=True)
            role = E.member(item, "role_definition_id_or_name", span=at, safe=True)
            attributes = {
                "role": _role(self.anchored(role, call.span)),
                "principal_type": self.anchored(
                    E.member(item, "principal_type", span=at, safe=True), call.span
                ),
                "principal_is_managed_identity": _managed_identity_value(principal, at),
            }
            symbol = f"{prefix}.azurerm_role_assignment.this{key}"
            self.known_consumer(ConsumerKind.ROLE_ASSIGNMENT, symbol, at, link, attributes)
        for key, item in _entries(known.inputs.get("tasks")):
            identity = E.member(E.member(item, "identity", span=at, safe=True), "type", span=at)
            customs: list[dict[str, Any]] = []
            credential = E.member(item, "registry_credential", span=at, safe=True)
            for _, custom in _entries(E.member(credential, "custom", span=at, safe=True)):
                customs.append(
                    {
                        "login_server": E.member(custom, "login_server", span=at).text(),
                        "identity": credential_identity(
                            E.member(custom, "identity", span=at, safe=True)
                        ),
                    }
                )
            attributes = {
                "identity": IdentityUse.from_identity_type(identity),
                "agent_pool": self.anchored(
                    E.member(item, "agent_pool_name", span=at, safe=True), call.span
                ),
                "custom_registries": Value.of(customs, at),
                "name": self.anchored(E.member(item, "name", span=at, safe=True), call.span),
            }
            symbol = f"{prefix}.module.tasks{key}.azurerm_container_registry_task.this"
            self.known_consumer(ConsumerKind.TASK, symbol, at, link, attributes)

    def known_consumer(
        self,
        kind: ConsumerKind,
        symbol: str,
        span: Span,
        link: RegistryLink,
        attributes: Mapping[str, Value],
    ) -> None:
        self.consumers.append(
            Consumer(
                kind=kind,
                symbol=self.instance.consumer_symbol(symbol),
                span=span,
                link=link,
                attributes=dict(attributes),
            )
        )

    def add_registry(
        self,
        block: Block,
        scope: Scope,
        conditional: bool,
        properties: dict[RegistryProperty, Value],
        api_version: tuple[str, Span] | None = None,
    ) -> None:
        name = self.value(block.body, "name", scope) or ABSENT
        via = self.instance.label or None
        self.registries.append(
            Registry(
                symbol=self.instance.public(address(block)),
                span=self.span(block.span),
                name=name,
                api_version=api_version[0] if api_version else None,
                api_version_span=self.span(api_version[1]) if api_version else None,
                properties=properties,
                via=via,
                conditional=conditional,
                login_server=_login_server(name),
                format="terraform",
            )
        )

    def add_consumer(
        self,
        kind: ConsumerKind,
        block: Block,
        link: RegistryLink,
        attributes: Mapping[str, Value],
        span: Span | None = None,
    ) -> None:
        if link.empty:
            return
        self.consumers.append(
            Consumer(
                kind=kind,
                symbol=self.instance.consumer_symbol(address(block)),
                span=self.span(span or block.span),
                link=link,
                attributes=dict(attributes),
            )
        )

    # -- azurerm ----------------------------------------------------------------------------

    def container_registry(self, block: Block, scope: Scope, conditional: bool) -> None:
        body = block.body
        props: dict[RegistryProperty, Value] = {}
        simple = {
            RegistryProperty.SKU: "sku",
            RegistryProperty.BYPASS_OPTIONS: "network_rule_bypass_option",
            RegistryProperty.TASKS_BYPASS: "network_rule_bypass_for_tasks_enabled",
            RegistryProperty.ROLE_ASSIGNMENT_MODE: "role_assignment_mode",
        }
        for prop, attribute in simple.items():
            value = self.value(body, attribute, scope)
            if value is not None:
                props[prop] = value
        access = self.value(body, "public_network_access_enabled", scope)
        if access is not None:
            props[RegistryProperty.PUBLIC_NETWORK_ACCESS] = public_access(access)
        listed = self.value(body, "network_rule_set", scope)
        if listed is not None:
            _listed_rule_set(props, listed)
        for rule_set, rule_scope, certain in expand(body, "network_rule_set", scope):
            self.network_rule_set(props, rule_set, rule_scope, certain)
            break  # only one network_rule_set block is allowed
        self.add_registry(block, scope, conditional, props)

    def network_rule_set(
        self, props: dict[RegistryProperty, Value], body: Body, scope: Scope, certain: bool
    ) -> None:
        found: dict[RegistryProperty, Value] = {}
        action = self.value(body, "default_action", scope)
        if action is not None:
            found[RegistryProperty.DEFAULT_ACTION] = action
        for prop, block_type, key in (
            (RegistryProperty.IP_RULES, "ip_rule", "ip_range"),
            (RegistryProperty.VIRTUAL_NETWORK_RULES, "virtual_network", "subnet_id"),
        ):
            listed = self.value(body, block_type, scope)  # `ip_rule = [...]`: attributes as blocks
            if listed is not None:
                found[prop] = _rule_members(listed, key)
                continue
            rules = expand(body, block_type, scope)
            if not rules:
                continue
            items = [self.value(rule, key, s) or ABSENT for rule, s, _ in rules]
            texts = [v.text() or v.expression or "?" for v in items]
            at = _plain_span(items[0].span) if items[0].span else None
            value = E.computed(texts, items, expression=block_type, span=at)
            if not all(sure for _, _, sure in rules):
                value = _maybe(value, Value.of([], origin=Origin(OriginKind.ABSENT)))
            found[prop] = value
        for prop, value in found.items():
            props[prop] = value if certain else _maybe(value, ABSENT)

    def task(self, block: Block, scope: Scope, conditional: bool) -> None:
        body = block.body
        link = link_of(body.expr("container_registry_id"), scope)
        identities = [
            self.value(b, "type", s) or ABSENT for b, s, _ in expand(body, "identity", scope)
        ]
        customs: list[dict[str, Any]] = []
        for credential, cred_scope, _ in expand(body, "registry_credential", scope):
            for custom, custom_scope, _ in expand(credential, "custom", cred_scope):
                identity = self.value(custom, "identity", custom_scope)
                customs.append(
                    self.credential(
                        custom.expr("login_server"),
                        custom_scope,
                        link,
                        credential_identity(identity),
                    )
                )
        pool_expr = body.expr("agent_pool_name")
        attributes = {
            "identity": IdentityUse.from_identity_type(identities[0] if identities else None),
            "agent_pool": self.agent_pool_of(self.value(body, "agent_pool_name", scope), pool_expr),
            "custom_registries": Value.of(customs, block.span),
            "name": self.value(body, "name", scope) or ABSENT,
        }
        self.add_consumer(ConsumerKind.TASK, block, link, attributes)

    def credential(
        self, server: Expr | None, scope: Scope, task_link: RegistryLink, identity: str | None
    ) -> dict[str, Any]:
        """A task's custom-registry credential; ``same_registry`` when the server is written
        through the task's own registry (``azurerm_container_registry.acr.login_server``, an AVM
        module's ``resource.login_server``), whose name may be unknown."""
        entry: dict[str, Any] = {
            "login_server": self.login_server_of(server, scope),
            "identity": identity,
        }
        if task_link.symbol and any(
            link.symbol == task_link.symbol for link in registry_links(server, scope)
        ):
            entry["same_registry"] = True
        return entry

    def agent_pool_of(self, pool: Value | None, expr: Expr | None) -> Value:
        """A task's agent pool; a reference to a declared agent pool runs it there, whatever
        that pool's (maybe unknown) name."""
        if pool is None:
            return Value.of(None, origin=Origin(OriginKind.ABSENT))
        path = traversal(expr) if expr is not None and pool.known is False else None
        if path is None or not path[1] or not isinstance(path[1][0], str):
            return pool
        labels = (path[0], path[1][0])
        declared = next((b for b in self.instance.module.resources if b.labels == labels), None)
        if declared is None or resource_type_of(declared, self.instance.scope()) not in _POOLS:
            return pool
        return Value.of(address(declared), pool.span, expression=pool.expression, origin=E.COMPUTED)

    def login_server_of(self, expr: Expr | None, scope: Scope) -> str | None:
        """A login server as written, or that of the registry it references (by its name)."""
        if expr is None:
            return None
        text = evaluate(expr, scope).text()
        if text:
            return text
        for node in expr.walk():
            path = traversal(node) if node.kind is Kind.ATTR else None
            if path and path[1] and isinstance(path[1][0], str):
                labels = (path[0], path[1][0])
                block = next(
                    (b for b in self.instance.module.resources if b.labels == labels), None
                )
                name = evaluate(block.body.expr("name"), scope).text() if block else None
                if name:
                    return f"{name.lower()}.azurecr.io"
        for link in registry_links(expr, scope):
            if link.login_server or link.name:
                return link.login_server or f"{link.name}.azurecr.io"
        return None

    def agent_pool(self, block: Block, scope: Scope, conditional: bool) -> None:
        body = block.body
        link = link_of(body.expr("container_registry_id"), scope)
        if link.empty:
            name_expr = body.expr("container_registry_name")
            links = registry_links(name_expr, scope)
            name = evaluate(name_expr, scope).text() if name_expr else None
            link = links[0] if links else RegistryLink(name=name)
        self.add_consumer(ConsumerKind.AGENT_POOL, block, link, {})

    def private_endpoint(self, block: Block, scope: Scope, conditional: bool) -> None:
        for connection, con_scope, _ in expand(block.body, "private_service_connection", scope):
            names = evaluate(connection.expr("subresource_names"), con_scope)
            data = E.plain(names) if names.known else None
            if isinstance(data, list) and not any(str(n).lower() == "registry" for n in data):
                continue
            link = link_of(connection.expr("private_connection_resource_id"), con_scope)
            self.add_consumer(ConsumerKind.PRIVATE_ENDPOINT, block, link, {})

    def container_group(self, block: Block, scope: Scope, conditional: bool) -> None:
        for credential, cred_scope, _ in expand(block.body, "image_registry_credential", scope):
            link = link_of(credential.expr("server"), cred_scope)
            if credential.expr("user_assigned_identity_id") is not None:
                use = IdentityUse.USER_ASSIGNED
            elif credential.expr("username") is not None or credential.expr("password") is not None:
                use = IdentityUse.ADMIN_CREDENTIALS
            else:
                use = IdentityUse.UNKNOWN
            attributes = {"identity": Value.of(use.value, self.span(block.span))}
            self.add_consumer(ConsumerKind.CONTAINER_GROUP, block, link, attributes)

    def ml_workspace(self, block: Block, scope: Scope, conditional: bool) -> None:
        link = link_of(block.body.expr("container_registry_id"), scope)
        self.add_consumer(ConsumerKind.ML_WORKSPACE, block, link, {})

    def web_app(self, block: Block, scope: Scope, conditional: bool) -> None:
        body = block.body
        settings = _object_member(body.expr("app_settings"))
        servers: list[tuple[Expr | None, Scope]] = []
        images: list[tuple[Expr | None, Scope]] = []
        uses_identity: Value | None = None
        for site, site_scope, _ in expand(body, "site_config", scope):
            for stack, stack_scope, _ in expand(site, "application_stack", site_scope):
                servers.append((stack.expr("docker_registry_url"), stack_scope))
                images.append((stack.expr("docker_image_name"), stack_scope))
                images.append((stack.expr("docker_image"), stack_scope))
                # function apps: application_stack { docker { registry_url, image_name } }
                for docker, docker_scope, _ in expand(stack, "docker", stack_scope):
                    servers.append((docker.expr("registry_url"), docker_scope))
                    images.append((docker.expr("image_name"), docker_scope))
            images.append((site.expr("linux_fx_version"), site_scope))  # DOCKER|server/image
            images.append((site.expr("windows_fx_version"), site_scope))
            uses_identity = self.value(
                site, "container_registry_use_managed_identity", site_scope
            ) or self.value(site, "acr_use_managed_identity_credentials", site_scope)
        servers.append((settings("DOCKER_REGISTRY_SERVER_URL"), scope))
        present = [(e, s) for e, s in (*servers, *images) if e is not None]
        links = (link_of(e, s) for e, s in present)
        link = next((found for found in links if not found.empty), RegistryLink())
        image = next(
            (self.anchored(evaluate(e, s), e.span) for e, s in images if e is not None), ABSENT
        )
        pull = self.value(body, "vnet_image_pull_enabled", scope)
        over_vnet = settings("WEBSITE_PULL_IMAGE_OVER_VNET")
        if pull is None and over_vnet is not None:
            pull = self.anchored(E.to_bool(evaluate(over_vnet, scope), span=None), over_vnet.span)
        attributes = {
            "vnet_image_pull": pull or Value.of(False, origin=Origin(OriginKind.ABSENT)),
            "uses_managed_identity": uses_identity
            or Value.of(False, origin=Origin(OriginKind.ABSENT)),
            "image": image,
        }
        self.add_consumer(ConsumerKind.WEB_APP, block, link, attributes)

    def role_assignment(self, block: Block, scope: Scope, conditional: bool) -> None:
        body = block.body
        link = link_of(body.expr("scope"), scope)
        role = self.value(body, "role_definition_name", scope)
        if role is None or (role.known and role.value is None):
            role = self.value(body, "role_definition_id", scope) or role
        attributes = {
            "role": _role(_role_of_data_source(role, scope)) if role else ABSENT,
            "principal_type": self.value(body, "principal_type", scope) or ABSENT,
            "principal_is_managed_identity": _managed_identity(body.expr("principal_id"), scope),
        }
        self.add_consumer(ConsumerKind.ROLE_ASSIGNMENT, block, link, attributes)

    def script_runner(self, block: Block, scope: Scope, conditional: bool) -> None:
        body = block.body
        scripts: list[Expr] = []
        attribute = _SCRIPT_ATTRIBUTES.get(block.labels[0])
        if attribute and body.expr(attribute) is not None:
            scripts.append(body.expr(attribute))  # type: ignore[arg-type]
        for provisioner in body.blocks_of("provisioner"):
            command = provisioner.body.expr("command")
            if command is not None:
                scripts.append(command)
        for script in scripts:
            self.patch_script(block, script, scope, conditional)

    def patch_script(self, block: Block, script: Expr, scope: Scope, conditional: bool) -> None:
        """A script that runs ``az resource update ... networkRuleBypassAllowedForTasks=true``."""
        text = script.text
        value = evaluate(script, scope).text()
        if not (_TASKS_PATCH.search(text) or (value and _TASKS_PATCH.search(value))):
            return
        links = registry_links(script, scope)
        link = links[0] if links else link_from_text(value or text)
        if link.empty:
            match = _NAME_OPTION.search(value or "")
            link = RegistryLink(name=match.group(1)) if match else link
        allowed = Value.of(True, self.span(_plain_span(script.span)))
        patched = {RegistryProperty.TASKS_BYPASS.value: _if_created(allowed, block, conditional)}
        attributes = {
            "properties": Value.of(patched, self.span(block.span)),
            "source": Value.of("deployment-script"),
        }
        self.add_consumer(ConsumerKind.REGISTRY_PATCH, block, link, attributes)

    # -- azapi ------------------------------------------------------------------------------

    def azapi_body(self, block: Block, scope: Scope) -> tuple[Value, Expr | None]:
        expr = block.body.expr("body")
        if (
            expr is not None
            and expr.kind is Kind.CALL
            and expr.value == "jsonencode"
            and len(expr.children) == 1
        ):
            expr = expr.children[0]
        value = evaluate(expr, scope) if expr is not None else Value.of({})
        text = value.text()
        if text is not None:  # azapi 1.x: a JSON string
            try:
                value = Value.of(json.loads(text), value.span)
            except ValueError:
                value = Value.unknown(text, value.span)
        return value, expr

    def arm_properties(self, body: Value, at: Span) -> dict[RegistryProperty, Value]:
        props: dict[RegistryProperty, Value] = {}
        for prop, path in _ARM_PATHS.items():
            found = _dig(body, path)
            if found is None:
                continue
            if prop in (RegistryProperty.IP_RULES, RegistryProperty.VIRTUAL_NETWORK_RULES):
                found = _rule_texts(found)
            props[prop] = self.anchored(found, at)
        return props

    def azapi_registry(self, block: Block, scope: Scope, conditional: bool) -> None:
        body, expr = self.azapi_body(block, scope)
        props = self.arm_properties(body, expr.span if expr else block.span)
        type_expr = block.body.expr("type")
        type_text = evaluate(type_expr, scope).text() or ""
        api = (
            (type_text.split("@", 1)[1], type_expr.span) if "@" in type_text and type_expr else None
        )
        self.add_registry(block, scope, conditional, props, api)

    def azapi_patch(self, block: Block, scope: Scope, conditional: bool) -> None:
        body, expr = self.azapi_body(block, scope)
        props = self.arm_properties(body, expr.span if expr else block.span)
        if not props:
            return
        link = link_of(block.body.expr("resource_id"), scope)
        if link.empty:
            link = RegistryLink(name=(self.value(block.body, "name", scope) or ABSENT).text())
        attributes = {
            "properties": Value.of(
                {p.value: _if_created(v, block, conditional) for p, v in props.items()},
                self.span(block.span),
            ),
            "source": Value.of("azapi_update_resource"),
            "api_version": Value.of(_api_version(evaluate(block.body.expr("type"), scope))),
        }
        self.add_consumer(ConsumerKind.REGISTRY_PATCH, block, link, attributes)

    def azapi_identity_type(self, block: Block, scope: Scope, body: Value) -> Value | None:
        """The resource's managed identity type: its ``identity`` block, else the body's."""
        identity_blocks = expand(block.body, "identity", scope)
        if identity_blocks:
            return self.value(identity_blocks[0][0], "type", identity_blocks[0][1])
        return _dig(body, ("identity", "type"))

    def azapi_task(self, block: Block, scope: Scope, conditional: bool) -> None:
        """``registries/tasks`` and ``registries/taskRuns`` (a run's settings are in its
        ``runRequest``): both run on ACR's task compute, as ARM reads them."""
        body, _ = self.azapi_body(block, scope)
        link = link_of(block.body.expr("parent_id"), scope)
        identity = self.azapi_identity_type(block, scope, body)
        type_text = evaluate(block.body.expr("type"), scope).text() or ""
        body_expr = block.body.expr("body")
        base = task_settings(type_text)
        api_version = _api_version(Value.of(type_text))
        customs = with_source_registry_credential(
            self.azapi_credentials(block, body, body_expr, scope, link, base),
            _dig(body, (*base, "credentials", "sourceRegistry", "identity")),
            api_version,
        )
        attributes = {
            "identity": IdentityUse.from_identity_type(identity),
            "agent_pool": self.agent_pool_of(
                _dig(body, (*base, "agentPoolName")),
                _expr_path(body_expr, (*base, "agentPoolName")),
            ),
            "custom_registries": customs,
            "api_version": Value.of(api_version),
            "name": self.value(block.body, "name", scope) or ABSENT,
        }
        self.add_consumer(ConsumerKind.TASK, block, link, attributes)

    def azapi_credentials(
        self,
        block: Block,
        body: Value,
        body_expr: Expr | None,
        scope: Scope,
        link: RegistryLink,
        base: tuple[str, ...],
    ) -> Value:
        """``<base>.credentials.customRegistries``, keyed by login server: read from the
        object as written when it is one (a key may be an expression such as
        ``(azapi_resource.acr.output.properties.loginServer)``), else from its value."""
        path = (*base, "credentials", "customRegistries")
        written = _expr_path(body_expr, path)
        if written is not None and written.kind is Kind.OBJECT:
            entries = []
            for key, credential in zip(written.keys, written.children, strict=True):
                identity = evaluate(_expr_path(credential, ("identity",)), scope)
                entries.append(self.credential(key, scope, link, credential_identity(identity)))
            return Value.of(entries, block.span)
        customs = _dig(body, path)
        if customs is not None and not customs.known:
            return customs
        registries: list[dict[str, Any]] = []
        if customs is not None and isinstance(customs.value, Mapping):
            for server, credential in customs.value.items():
                who = _dig(
                    credential if isinstance(credential, Value) else Value.of(credential),
                    ("identity",),
                )
                registries.append({"login_server": server, "identity": credential_identity(who)})
        return Value.of(registries, block.span)

    def azapi_agent_pool(self, block: Block, scope: Scope, conditional: bool) -> None:
        link = link_of(block.body.expr("parent_id"), scope)
        self.add_consumer(ConsumerKind.AGENT_POOL, block, link, {})

    def azapi_private_endpoint(self, block: Block, scope: Scope, conditional: bool) -> None:
        """Each connection, automatic or manual (approved by the registry's owner), to a
        registry, as in ARM."""
        for list_name in ("privateLinkServiceConnections", "manualPrivateLinkServiceConnections"):
            connections = _expr_path(block.body.expr("body"), ("properties", list_name))
            for connection in (
                connections.children if connections and connections.kind is Kind.TUPLE else ()
            ):
                target = _expr_path(connection, ("properties", "privateLinkServiceId"))
                link = link_of(target, scope)
                self.add_consumer(ConsumerKind.PRIVATE_ENDPOINT, block, link, {})

    def azapi_container_group(self, block: Block, scope: Scope, conditional: bool) -> None:
        """One consumer per ``imageRegistryCredentials`` entry, as for ARM container groups."""
        body, body_expr = self.azapi_body(block, scope)
        credentials = _dig(body, ("properties", "imageRegistryCredentials"))
        if credentials is None or not credentials.known or not isinstance(credentials.value, list):
            return
        written = _expr_path(body_expr, ("properties", "imageRegistryCredentials"))
        entries = written.children if written is not None and written.kind is Kind.TUPLE else ()
        group = self.azapi_identity_type(block, scope, body)
        for index, item in enumerate(credentials.value):
            credential = item if isinstance(item, Value) else Value.of(item)
            entry = entries[index] if index < len(entries) else None
            server = _expr_path(entry, ("server",))
            if server is not None:
                link = link_of(server, scope)
            else:
                link = link_from_text((_dig(credential, ("server",)) or ABSENT).text())
            identity = _aci_identity(credential, _expr_path(entry, ("identity",)), group)
            attributes = {"identity": evolve(identity, span=self.span(block.span))}
            self.add_consumer(ConsumerKind.CONTAINER_GROUP, block, link, attributes)

    def azapi_web_app(self, block: Block, scope: Scope, conditional: bool) -> None:
        """A site (or slot) whose ``siteConfig`` runs a ``DOCKER|`` image, as for ARM sites."""
        body, body_expr = self.azapi_body(block, scope)
        written = (
            _expr_path(body_expr, ("properties", "siteConfig", stack))
            for stack in ("linuxFxVersion", "windowsFxVersion")
        )
        image = next((e for e in written if e is not None), None)
        if image is None:
            return
        written_pulls = (_dig(body, path.split(".")) for path in IMAGE_PULL_OVER_VNET)
        found = [v for v in written_pulls if v is not None]
        settings = _dig(body, ("properties", "siteConfig", "appSettings"))
        if settings is not None and settings.known and isinstance(settings.value, list):
            for entry in settings.value:
                setting = entry if isinstance(entry, Value) else Value.of(entry)
                name = _dig(setting, ("name",))
                if name is not None and (name.text() or "").upper() == IMAGE_PULL_SETTING:
                    found.append(_dig(setting, ("value",)) or ABSENT)
        at = body_expr.span if body_expr is not None else block.span
        identity = _dig(body, ("properties", "siteConfig", "acrUseManagedIdentityCreds"))
        attributes = {
            "vnet_image_pull": self.anchored(E.first_true(found), at) if found else ABSENT,
            "uses_managed_identity": ABSENT if identity is None else self.anchored(identity, at),
            "image": self.anchored(evaluate(image, scope), image.span),
        }
        self.add_consumer(ConsumerKind.WEB_APP, block, link_of(image, scope), attributes)

    def azapi_role_assignment(self, block: Block, scope: Scope, conditional: bool) -> None:
        """A role assignment whose ``parent_id`` (its scope) is a registry."""
        body, body_expr = self.azapi_body(block, scope)
        link = link_of(block.body.expr("parent_id"), scope)
        at = body_expr.span if body_expr is not None else block.span
        definition = _dig(body, ("properties", "roleDefinitionId"))
        principal_type = _dig(body, ("properties", "principalType"))
        principal = _expr_path(body_expr, ("properties", "principalId"))
        if principal is not None:
            is_identity = _managed_identity(principal, scope)
        else:  # a JSON string body: a principal id written out is not recognisable
            written = _dig(body, ("properties", "principalId"))
            is_identity = (
                Value.of(False, at, origin=E.COMPUTED)
                if written is not None and written.known
                else Value.unknown("principalId", at)
            )
        attributes = {
            "role": _role(self.anchored(definition, at)) if definition else ABSENT,
            "principal_type": self.anchored(principal_type, at) if principal_type else ABSENT,
            "principal_is_managed_identity": is_identity,
        }
        self.add_consumer(ConsumerKind.ROLE_ASSIGNMENT, block, link, attributes)

    def azapi_script(self, block: Block, scope: Scope, conditional: bool) -> None:
        script = _expr_path(block.body.expr("body"), ("properties", "scriptContent"))
        if script is not None:
            self.patch_script(block, script, scope, conditional)


Reader = Callable[[_Reader, Block, Scope, bool], None]

_READERS: dict[str, Reader] = {
    "azurerm_container_registry": _Reader.container_registry,
    "azurerm_container_registry_task": _Reader.task,
    "azurerm_container_registry_agent_pool": _Reader.agent_pool,
    "azurerm_private_endpoint": _Reader.private_endpoint,
    "azurerm_container_group": _Reader.container_group,
    "azurerm_machine_learning_workspace": _Reader.ml_workspace,
    "azurerm_role_assignment": _Reader.role_assignment,
    "null_resource": _Reader.script_runner,
    "terraform_data": _Reader.script_runner,
    **dict.fromkeys(_SCRIPT_ATTRIBUTES, _Reader.script_runner),
}
_REGISTRY_READERS = (_Reader.container_registry, _Reader.azapi_registry)
_AZAPI_READERS: dict[str, Reader] = {
    REGISTRY_TYPE: _Reader.azapi_registry,
    f"{REGISTRY_TYPE}/tasks": _Reader.azapi_task,
    f"{REGISTRY_TYPE}/taskruns": _Reader.azapi_task,
    f"{REGISTRY_TYPE}/agentpools": _Reader.azapi_agent_pool,
    "microsoft.network/privateendpoints": _Reader.azapi_private_endpoint,
    "microsoft.resources/deploymentscripts": _Reader.azapi_script,
    "microsoft.containerinstance/containergroups": _Reader.azapi_container_group,
    "microsoft.authorization/roleassignments": _Reader.azapi_role_assignment,
    "microsoft.web/sites": _Reader.azapi_web_app,
    "microsoft.web/sites/slots": _Reader.azapi_web_app,
}


def expand(body: Body, block_type: str, scope: Scope) -> list[tuple[Body, Scope, bool]]:
    """The nested blocks of a type, static and ``dynamic``: (body, scope, certain)."""
    found: list[tuple[Body, Scope, bool]] = [
        (b.body, scope, True) for b in body.blocks_of(block_type)
    ]
    for dynamic in body.blocks_of("dynamic"):
        if dynamic.labels != (block_type,):
            continue
        contents = dynamic.body.blocks_of("content")
        if not contents:
            continue
        iterator_expr = dynamic.body.expr("iterator")
        iterator = str(iterator_expr.value) if iterator_expr is not None else block_type
        expanded = instances(dynamic.body.expr("for_each"), "for_each", scope, iterator)
        for item_scope, certain in [(scope, False)] if expanded is None else expanded:
            found.append((contents[0].body, item_scope, certain))
    return found


def _api_version(type_value: Value) -> str | None:
    """The ``@api-version`` of an azapi ``type``, if known."""
    text = type_value.text() or ""
    return text.split("@", 1)[1] if "@" in text else None


def _listed_rule_set(props: dict[RegistryProperty, Value], listed: Value) -> None:
    """``network_rule_set = [{...}]``, the azurerm 3.x attribute syntax of the block: its one
    object's action and rules (an undecided list leaves them undecided)."""
    if listed.known and isinstance(listed.value, list):
        if not listed.value:
            return
        listed = E.member(listed, 0, span=listed.span)
    action = E.member(listed, "default_action", span=listed.span, safe=True)
    if not action.known or action.value is not None:
        props[RegistryProperty.DEFAULT_ACTION] = action
    for prop, key, member in (
        (RegistryProperty.IP_RULES, "ip_rule", "ip_range"),
        (RegistryProperty.VIRTUAL_NETWORK_RULES, "virtual_network", "subnet_id"),
    ):
        rules = E.member(listed, key, span=listed.span, safe=True)
        if not rules.known or rules.value is not None:
            props[prop] = _rule_members(rules, member)


def _rule_members(rules: Value, key: str) -> Value:
    """An ``ip_rule = [...]`` / ``virtual_network = [...]`` list as its ranges / subnet ids."""
    if not rules.known or not isinstance(rules.value, list):
        return rules
    items = [r if isinstance(r, Value) else Value.of(r) for r in rules.value]
    members = [E.member(item, key, span=rules.span, safe=True) for item in items]
    texts = [m.text() or m.expression or "?" for m in members]
    return evolve(rules, value=texts)


def _maybe(value: Value, otherwise: Value) -> Value:
    """A value that exists only if an undecided ``for_each`` / ``count`` creates its block."""
    unknown = Value.unknown(
        value.expression or "dynamic block", value.span, depends_on=value.depends_on
    )
    return evolve(unknown, alternatives=(value, otherwise))


def _if_created(value: Value, block: Block, conditional: bool) -> Value:
    """A patch's value; undetermined when only an undecided ``count`` / ``for_each`` runs it."""
    if not conditional:
        return value
    unknown = Value.unknown(
        f"whether {address(block)} is created (count / for_each)",
        value.span,
        depends_on=value.depends_on,
    )
    return evolve(unknown, alternatives=(value, ABSENT))


def _within(inner: Span, outer: Span) -> bool:
    return (
        inner.path == outer.path
        and (inner.line, inner.column) >= (outer.line, outer.column)
        and (inner.end_line, inner.end_column) <= (outer.end_line, outer.end_column)
    )


def _plain_span(span: Span) -> Span:
    return Span(span.path, span.line, span.column, span.end_line, span.end_column)


def _login_server(name: Value) -> str | None:
    text = name.text()
    return f"{text.lower()}.azurecr.io" if text else None


def _managed_identity(expr: Expr | None, scope: Scope) -> Value:
    """Does ``principal_id`` name a managed identity (a UAMI, or a resource's identity block)?"""
    if expr is None:
        return ABSENT
    text = expr.text.replace(" ", "")
    if _MANAGED_IDENTITY.search(text):
        return Value.of(True, expr.span, expression=expr.text, origin=E.COMPUTED)
    value = evaluate(expr, scope)
    if value.known or not value.depends_on:  # a literal id, or another resource's attribute
        return Value.of(False, expr.span, expression=expr.text, origin=E.COMPUTED)
    return Value.unknown(expr.text, expr.span, depends_on=value.depends_on)


def _managed_identity_value(principal: Value, at: Span) -> Value:
    """``_managed_identity`` for a value passed into a module, read from its expression."""
    text = (principal.expression or "").replace(" ", "")
    if _MANAGED_IDENTITY.search(text):
        return Value.of(True, at, expression=principal.expression, origin=E.COMPUTED)
    if principal.known or not principal.depends_on:
        return Value.of(False, at, expression=principal.expression, origin=E.COMPUTED)
    return Value.unknown(
        principal.expression or "principal_id", at, depends_on=principal.depends_on
    )


def _entries(collection: Value | None) -> list[tuple[str, Value]]:
    """The entries of a map / list input with their instance keys; unknown: one unknown entry."""
    if collection is None or (collection.known and collection.value is None):
        return []
    if not collection.known:
        return [("", collection)]
    data = collection.value
    items: list[tuple[str, Any]] = []
    if isinstance(data, Mapping):
        items = [(json.dumps(str(k)), v) for k, v in data.items()]
    elif isinstance(data, list):
        items = [(str(i), v) for i, v in enumerate(data)]
    return [(f"[{k}]", v if isinstance(v, Value) else Value.of(v)) for k, v in items]


def _aci_identity(credential: Value, identity_expr: Expr | None, group: Value | None) -> Value:
    return IdentityUse.from_registry_credential(
        username=_dig(credential, ("username",)),
        identity=_dig(credential, ("identity",)),
        group_identity_type=group,
        identity_text=identity_expr.text if identity_expr else "",
    )


def _role_of_data_source(role: Value, scope: Scope) -> Value:
    """``data.azurerm_role_definition.x.id``: the role the data source looks up by ``name``."""
    match = None if role.known else _ROLE_DATA.fullmatch((role.expression or "").strip())
    name = scope.instance.data_name("azurerm_role_definition", match.group(1)) if match else None
    return Value.of(name, role.span, origin=E.COMPUTED) if name else role


def _role(definition: Value) -> Value:
    """A role definition id; its GUID when only the GUID can be read from the expression.

    ``"${data.azurerm_subscription.current.id}/providers/.../roleDefinitions/<guid>"`` is
    unknown as a value, but its text ends with the role's GUID.
    """
    if definition.known:
        return definition
    match = _ROLE_GUID.search(definition.expression or "")
    if match is None:
        return definition
    return Value.of(match.group(1).lower(), definition.span, origin=E.COMPUTED)


def _dig(value: Value, path: Sequence[str]) -> Value | None:
    """``value.a.b``; ``None`` when a step is missing (the property is absent)."""
    current = value
    for step in path:
        if not current.known:
            return Value.unknown(
                current.expression or ".".join(path), current.span, depends_on=current.depends_on
            )
        data = current.value
        if not isinstance(data, Mapping):
            return None
        key = next((k for k in data if k.lower() == step.lower()), None)
        if key is None:
            return None
        current = E.member(current, key, span=current.span)
    return current


def _rule_texts(rules: Value) -> Value:
    """ARM ``ipRules`` / ``virtualNetworkRules`` as a list of their values / subnet ids."""
    if not rules.known or not isinstance(rules.value, list):
        return rules
    texts = []
    for rule in rules.value:
        data = E.plain(rule) if isinstance(rule, Value) else rule
        if isinstance(data, Mapping):
            texts.append(str(data.get("value") or data.get("id") or "?"))
        else:
            texts.append(str(data))
    return evolve(rules, value=texts)


def _expr_path(expr: Expr | None, path: Sequence[str]) -> Expr | None:
    """The sub-expression at ``path`` in an object literal (through ``jsonencode``)."""
    node = expr
    for step in path:
        if (
            node is not None
            and node.kind is Kind.CALL
            and node.value == "jsonencode"
            and node.children
        ):
            node = node.children[0]
        if node is None or node.kind is not Kind.OBJECT:
            return None
        node = next(
            (
                v
                for k, v in zip(node.keys, node.children, strict=True)
                if k.kind is Kind.LITERAL and str(k.value).lower() == step.lower()
            ),
            None,
        )
    return node


def _object_member(expr: Expr | None) -> Callable[[str], Expr | None]:
    def get(key: str) -> Expr | None:
        return _expr_path(expr, (key,))

    return get
