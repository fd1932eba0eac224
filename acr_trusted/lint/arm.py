"""ARM JSON templates and parameter files -> :class:`~acr_trusted.lint.model.FileModel`.

A template is walked resource by resource -- ``resources`` arrays and languageVersion 2.0
objects keyed by symbolic name, nested child resources, ``copy`` loops and ``condition``, and
inline nested deployments (``Microsoft.Resources/deployments`` with ``properties.template``)
in ``inner`` or ``outer`` expression scope -- evaluating expressions with values from parameter
files. Registries become :class:`Registry` objects; private endpoints, tasks, task runs, agent
pools, container groups, ML workspaces, web apps, role assignments and deployment scripts that
patch ``networkRuleBypassAllowedForTasks`` become :class:`Consumer` objects linked to them.

Links are made after the walk, so a consumer may come before its registry. A registry whose
name cannot be evaluated is still linked: an unknown value's text is canonical ARM syntax, so
``resourceId('Microsoft.ContainerRegistry/registries', variables('acrName'))`` matches the
registry named ``[variables('acrName')]``.

A linted parameter file is evaluated against its template (found by convention) and its
findings are reported at the parameter file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from acr_trusted.lint import evaluate
from acr_trusted.lint.arm_expressions import (
    MAX_COPIES,
    NO_COPY,
    Call,
    CopyIndex,
    Evaluator,
    ExpressionError,
    Source,
    Str,
    calls,
    expression_text,
    parse,
    render,
)
from acr_trusted.lint.arm_json import JArray, JNode, JObject, JScalar, JsonSyntaxError
from acr_trusted.lint.arm_json import parse as parse_json
from acr_trusted.lint.model import (
    IMAGE_PULL_OVER_VNET,
    IMAGE_PULL_SETTING,
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
    credential_identity,
    task_settings,
    with_source_registry_credential,
)
from acr_trusted.lint.scan import parameter_file_templates
from acr_trusted.records import evolve, field, frozen

FORMAT = "arm"
REGISTRY_TYPE = "microsoft.containerregistry/registries"
MAX_NESTING = 20  # nested deployments deeper than this are not walked

_REGISTRY_ID = re.compile(r"(?:^|/)microsoft\.containerregistry/registries/([^/]+)", re.I)
_LOGIN_SERVER = re.compile(r"([a-z0-9-]+)\.azurecr\.io", re.I)
_ROLE_GUID = re.compile(
    r"(?:roleDefinitions/?(?:',\s*')?|^)"
    r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})",
    re.I,
)
_MANAGED_IDENTITY = re.compile(
    r"\.principalId\b|identity\.principalId|Microsoft\.ManagedIdentity|kubeletidentity", re.I
)
_VARIABLE_REFERENCE = re.compile(r"variables\('([^']*)'\)", re.I)
_TASKS_BYPASS_ON = re.compile(r"networkRuleBypassAllowedForTasks\s*=\s*true", re.I)
_FORMAT_SLOT = re.compile(r"containerregistry/registries/\{(\d+)\}|\{(\d+)\}\.azurecr\.io")
_CLI_NAME = re.compile(r"(?:--name|-n)\s+\\?[\"']?([A-Za-z0-9]{5,50})\b")


def handles(path: Path) -> bool:
    """ARM templates and parameter files are ``.json``; Terraform's JSON files are not."""
    name = path.name.lower()
    return name.endswith(".json") and not name.endswith((".tf.json", ".tfvars.json"))


def load(path: Path, text: str, ctx: LoadContext) -> FileModel:
    """The registries and consumers ``text`` declares; never raises for bad input."""
    display = ctx.display_path(path)
    try:
        root = parse_json(text)
    except JsonSyntaxError as exc:
        source = Source.of(display, text)
        line, column = source.positions.line_col(exc.offset)
        error = ParseError(Span.point(display, line, column), f"invalid JSON: {exc.reason}")
        return FileModel(display, FORMAT, errors=(error,), text=text)
    kind = document_kind(root)
    if kind == "template" and isinstance(root, JObject):
        source = Source.of(display, text)
        values = _given_values(path, root, ctx)
        registries, consumers = _Walker(source, path, ctx).template(root, values)
        return FileModel(display, FORMAT, registries, consumers, text=text)
    if kind == "parameters" and isinstance(root, JObject):
        return _parameter_file(path, text, root, ctx)
    return FileModel(display, FORMAT, text=text)


def document_kind(root: JNode) -> str | None:
    """``"template"``, ``"parameters"`` or ``None`` for JSON that is neither."""
    if not isinstance(root, JObject):
        return None
    schema = (root.text("$schema") or "").lower()
    if "deploymenttemplate" in schema:
        return "template"
    if "deploymentparameters" in schema:
        return "parameters"
    parameters = root.get("parameters")
    if root.get("resources") is not None:
        has_header = parameters is not None or root.get("contentVersion") is not None
        return "template" if has_header else None
    if isinstance(parameters, JObject) and parameters.values:
        entries = parameters.values
        if all(isinstance(e, JObject) and (e.get("value") or e.get("reference")) for e in entries):
            return "parameters"
    return None


# -- parameter files -----------------------------------------------------------------------------


def parameter_values(source: Source, root: JObject) -> dict[str, Value]:
    """The values a parameter file gives, as literals spanning the file."""
    entries = root.get("parameters")
    values: dict[str, Value] = {}
    if not isinstance(entries, JObject):
        return values
    for name, entry in entries.items():
        if not isinstance(entry, JObject):
            continue
        given = entry.get("value")
        if given is not None:
            values[name] = _literal(source, given)
        elif entry.get("reference") is not None:  # a Key Vault secret: known only at deployment
            values[name] = Value.unknown(
                f"parameters('{name}')", source.span(entry), depends_on=(name,)
            )
    return values


def _literal(source: Source, node: JNode) -> Value:
    """A parameter file's value: JSON as written (parameter files hold no expressions)."""
    if isinstance(node, JScalar):
        return Value.of(node.value, source.span(node, literal=True))
    if isinstance(node, JArray):
        return Value.of([_literal(source, n) for n in node.items], source.span(node))
    return Value.of({k: _literal(source, v) for k, v in node.items()}, source.span(node))


def _read_json(path: Path, ctx: LoadContext) -> tuple[str, JNode] | None:
    try:
        text = ctx.read_text(path)
        return text, parse_json(text)
    except (OSError, UnicodeDecodeError, JsonSyntaxError):
        return None


def _given_values(path: Path, template: JObject, ctx: LoadContext) -> dict[str, Value]:
    """Values for a linted template: from the --param-file files that set its parameters (a
    later file wins), or else from ``<name>.parameters.json`` beside it.

    A parameter file applies when it sets at least one parameter the template declares. Files
    given explicitly replace the conventional one, as a deployment takes the parameter files
    it is given: a value only the conventional (often development) file sets is not used.
    """
    declared = template.get("parameters")
    names = {k.lower() for k, _ in declared.items()} if isinstance(declared, JObject) else set()
    conventional = path.with_name(f"{_stem(path.name)}.parameters.json")
    for candidates in (ctx.param_files, [conventional]):
        values: dict[str, Value] = {}
        for candidate in candidates:
            values.update(_applying_values(candidate, path, names, ctx))
        if values:
            return values
    return {}


def _applying_values(
    candidate: Path, path: Path, names: set[str], ctx: LoadContext
) -> dict[str, Value]:
    """The values of the parameter file ``candidate`` for a template declaring ``names``."""
    if candidate.suffix.lower() != ".json" or candidate == path:
        return {}
    found = _read_json(candidate, ctx)
    if found is None or document_kind(found[1]) != "parameters":
        return {}
    assert isinstance(found[1], JObject)  # document_kind checked it
    given = parameter_values(Source.of(ctx.display_path(candidate), found[0]), found[1])
    return {k.lower(): v for k, v in given.items() if k.lower() in names}


def _stem(name: str) -> str:
    return name[: -len(".json")] if name.lower().endswith(".json") else name


def template_candidates(path: Path, root: JObject) -> list[Path]:
    """Where the template of a parameter file may be, most specific first."""
    metadata = root.get("metadata")
    named = metadata.text("template") if isinstance(metadata, JObject) else None
    return parameter_file_templates(path, named)


def _parameter_file(path: Path, text: str, root: JObject, ctx: LoadContext) -> FileModel:
    """Evaluate the parameter file's template with its values; report at the parameter file."""
    display = ctx.display_path(path)
    source = Source.of(display, text)
    values = parameter_values(source, root)
    for candidate in template_candidates(path, root):
        if candidate.suffix.lower() == ".bicep":
            bicep_model = _bicep_template(candidate, values, ctx, Span.point(display, 1, 1))
            if bicep_model is not None:
                return evolve(bicep_model, path=display, format=FORMAT, text=text)
            continue
        found = _read_json(candidate, ctx)
        if found is None or document_kind(found[1]) != "template":
            continue
        template_text, template = found
        assert isinstance(template, JObject)  # document_kind checked it
        template_source = Source.of(ctx.display_path(candidate), template_text)
        registries, consumers = _Walker(template_source, candidate, ctx).template(template, values)
        via = f"template '{template_source.path}'"
        start = Span.point(display, 1, 1)
        entries = _entry_spans(source, root)
        return FileModel(
            display,
            FORMAT,
            tuple(_moved_registry(r, display, entries, start, via) for r in registries),
            tuple(_moved_consumer(c, display, start, entries) for c in consumers),
            text=text,
        )
    return FileModel(display, FORMAT, text=text)


def _bicep_template(
    path: Path, values: Mapping[str, Value], ctx: LoadContext, report_at: Span
) -> FileModel | None:
    """The Bicep template of a JSON parameter file, evaluated by the Bicep loader."""
    try:
        ctx.read_text(path)
    except (OSError, UnicodeDecodeError):
        return None
    from acr_trusted.lint import bicep  # the Bicep parser loads only when a file needs it

    given = {
        name: evolve(value, origin=Origin(OriginKind.PARAMETER_VALUE, name, value.span))
        for name, value in values.items()
    }
    return bicep.evaluate_template(path, given, ctx, report_at=report_at)


def _entry_spans(source: Source, root: JObject) -> dict[str, Span]:
    entries = root.get("parameters")
    if not isinstance(entries, JObject):
        return {}
    return {
        str(key.value).lower(): source.span(key)
        for key in entries.keys  # the "name": token
    }


def _moved_registry(
    registry: Registry, path: str, entries: Mapping[str, Span], start: Span, via: str
) -> Registry:
    """The template's registry as seen from the parameter file that configures it."""
    here = _entry_for((registry.name, *registry.properties.values()), entries, start)
    return evolve(
        registry,
        span=here,
        name=_moved(registry.name, path, here),
        api_version_span=None,
        properties={k: _moved(v, path, here) for k, v in registry.properties.items()},
        private_endpoint_count=_moved(registry.private_endpoint_count, path, here),
        via=via,
    )


def _moved_consumer(
    consumer: Consumer, path: str, start: Span, entries: Mapping[str, Span] | None = None
) -> Consumer:
    """The template's consumer as seen from the file that configures or calls it."""
    here = _entry_for(consumer.attributes.values(), entries or {}, start)
    return evolve(
        consumer,
        span=here,
        attributes={k: _moved(v, path, here) for k, v in consumer.attributes.items()},
    )


def _moved_pending(pending: _Pending, here: Span) -> _Pending:
    """A linked template's consumer, before linking, as seen from the deployment calling it."""
    moved = {k: _moved(v, here.path, here) for k, v in pending.attributes.items()}
    return evolve(pending, span=here, attributes=moved)


def _entry_for(values: Iterable[Value], entries: Mapping[str, Span], start: Span) -> Span:
    """The first parameter-file entry (in file order) that ``values`` depend on."""
    used = {name.lower() for value in values for name in value.depends_on}
    return next((span for name, span in entries.items() if name in used), start)


def _moved(value: Value, path: str, here: Span) -> Value:
    """``value`` with spans outside ``path`` replaced by ``here`` (and no offsets to rewrite)."""
    data = value.value
    if isinstance(data, dict):
        data = {k: _moved(v, path, here) if isinstance(v, Value) else v for k, v in data.items()}
    elif isinstance(data, list):
        data = [_moved(v, path, here) if isinstance(v, Value) else v for v in data]
    span = value.span if value.span is not None and value.span.path == path else here
    given = value.origin.span
    if span is here and given is not None and given.path == path:
        span = Span(path, given.line, given.column, given.end_line, given.end_column)
    return evolve(value, value=data, span=span)


# -- the walk ------------------------------------------------------------------------------------


@frozen
class _Target:
    """What a consumer points at: a symbol, a registry name, an unevaluated name, a server."""

    symbol: str | None = None
    name: str | None = None
    key: str | None = None  # canonical text of a name expression that could not be evaluated
    login_server: str | None = None


@frozen
class _Pending:
    """A consumer before linking: registries later in the file are not known yet."""

    kind: ConsumerKind
    symbol: str
    span: Span
    target: _Target
    attributes: Mapping[str, Value] = field(factory=dict)
    suppressed: Mapping[str, str] = field(factory=dict)
    site: str | None = None  # the site (lower-case name, '' unknown) whose VNet pull settings count


@frozen
class _Level:
    """One template being walked: its evaluator, symbolic names and symbol prefix."""

    evaluator: Evaluator
    prefix: str
    depth: int
    symbols: dict[str, _Target] = field(factory=dict)  # languageVersion 2.0 symbol -> target


@frozen
class _Place:
    """Where a resource sits: its enclosing resource, loop index and deployment state."""

    level: _Level
    copy: CopyIndex = NO_COPY
    parent_type: str | None = None
    parent: _Target | None = None
    conditional: bool = False
    active: bool = True  # False: not deployed with these values (condition false, zero copies)


class _Walker:
    """Walks one template file; ``path`` and ``ctx`` let it read linked templates."""

    def __init__(
        self, source: Source, path: Path, ctx: LoadContext, *, opened: frozenset[Path] = frozenset()
    ) -> None:
        self.source = source
        self.path = path
        self.ctx = ctx
        self.opened = opened | {path}  # linked templates being walked, against cycles
        self.registries: list[Registry] = []
        self.pending: list[_Pending] = []  # linked after the walk, linked templates' included
        # site name (lower case) -> the VNet image pull settings of the site and its app settings
        self.site_pulls: dict[str, list[Value]] = {}

    def template(
        self, root: JObject, values: Mapping[str, Value]
    ) -> tuple[tuple[Registry, ...], tuple[Consumer, ...]]:
        self.walk(root, values)
        return tuple(self.registries), tuple(self.link(p) for p in self.pending)

    def walk(
        self, root: JObject, values: Mapping[str, Value], *, prefix: str = "", depth: int = 0
    ) -> None:
        level = _Level(Evaluator(self.source, root, values), prefix, depth)
        self.resources(root.get("resources"), _Place(level))

    # -- resources -------------------------------------------------------------------------
    def resources(self, node: JNode | None, place: _Place) -> None:
        entries: list[tuple[str | None, JNode]]
        if isinstance(node, JArray):
            entries = [(None, item) for item in node.items]
        elif isinstance(node, JObject):  # languageVersion 2.0: keyed by symbolic name
            entries = list(node.items())
        else:
            return
        resources = [(s, n) for s, n in entries if isinstance(n, JObject)]
        for symbol, resource in resources:
            if symbol is not None:
                self.declare_symbol(symbol, resource, place)
        for symbol, resource in resources:
            assert isinstance(resource, JObject)
            self.resource(symbol, resource, place)

    def declare_symbol(self, symbol: str, node: JObject, place: _Place) -> None:
        kind = (node.text("type") or "").lower()
        if kind == REGISTRY_TYPE:
            name = self.value(node.get("name"), place)
            place.level.symbols[symbol] = _name_target(name, place.level.prefix + symbol)

    def resource(self, symbol: str | None, node: JObject, place: _Place) -> None:
        kind = node.text("type")
        if not kind:
            return
        if place.parent_type and "." not in kind.split("/")[0]:
            kind = f"{place.parent_type}/{kind}"
        label = place.level.prefix + (symbol or node.text("name") or kind)
        for instance, suffix in self.instances(node, place):
            self.one(node, kind, label + suffix, instance)

    def instances(self, node: JObject, place: _Place) -> Iterator[tuple[_Place, str]]:
        """The resource once per copy (index known) or once with an unknown index."""
        conditional, active = place.conditional, place.active
        condition = node.get("condition")
        if condition is not None:
            deployed = evaluate.truthy(self.value(condition, place))
            conditional = conditional or deployed is not True
            active = active and deployed is not False
        loop = node.get("copy")
        if not isinstance(loop, JObject):
            yield evolve(place, conditional=conditional, active=active), ""
            return
        loop_name = (loop.text("name") or "").lower()
        count_node = loop.get("count")
        count = self.value(count_node, place) if count_node is not None else Value.unknown("")
        n = count.value if count.known and isinstance(count.value, int) else None
        if n is None or n <= 0 or n > MAX_COPIES:
            index = Value.unknown("copyIndex()")
            copy = {**place.copy, None: index, loop_name: index}
            active = active and n != 0
            yield evolve(place, copy=copy, conditional=True, active=active), ""
            return
        for i in range(n):
            index = Value.of(i, origin=evaluate.COMPUTED)
            copy = {**place.copy, None: index, loop_name: index}
            here = evolve(place, copy=copy, conditional=conditional, active=active)
            yield here, f"[{i}]" if n > 1 else ""

    def one(self, node: JObject, kind: str, symbol: str, place: _Place) -> None:
        lower = kind.lower()
        name = self.value(node.get("name"), place)
        handler = _HANDLERS.get(lower)
        target: _Target | None = None
        if lower == REGISTRY_TYPE:
            target = self.registry(node, symbol, name, place)
        elif handler is not None and (place.active or lower == "microsoft.resources/deployments"):
            handler(self, node, symbol, name, place)
        children = node.get("resources")
        if children is not None:
            parent = target or self.parent_of(name, place) or _name_target(name, symbol)
            self.resources(children, evolve(place, parent_type=kind, parent=parent))

    def value(self, node: JNode | None, place: _Place) -> Value:
        if node is None:
            return Value.absent()
        return place.level.evaluator.node(node, place.copy)

    def resolve(self, node: JObject, path: str, place: _Place) -> Value | None:
        """The value at a dotted ``path`` inside ``node``; ``None`` when it is absent.

        Literal JSON keeps its own span (with offsets for ``--fix``); once an expression or a
        property ``copy`` loop is met, the rest of the path is read from its value and the span
        is the expression's.
        """
        current: JNode | Value = node
        for key in path.split("."):
            if _evaluated_whole(current):
                assert isinstance(current, (JScalar, JObject))  # _evaluated_whole checked it
                current = self.value(current, place)
            if isinstance(current, JObject):
                child = current.get(key)
                if child is None:
                    return None
                current = child
            elif isinstance(current, Value):
                if not current.known:
                    text = f"{current.expression}.{key}"
                    return Value.unknown(text, current.span, depends_on=current.depends_on)
                if not isinstance(current.value, dict):
                    return None
                found = next((k for k in current.value if k.lower() == key.lower()), None)
                if found is None:
                    return None
                current = place.level.evaluator.member(current, found, current.span)
            else:
                return None
        if isinstance(current, Value):
            return current
        return self.value(current, place)

    def suppressions(self, node: JObject) -> dict[str, str]:
        metadata = node.get("metadata")
        ours = metadata.get("acr-trusted") if isinstance(metadata, JObject) else None
        if not isinstance(ours, JObject):
            return {}
        ignore = ours.get("ignore")
        rules = ignore.items if isinstance(ignore, JArray) else (ignore,) if ignore else ()
        reason = ours.text("reason") or ""
        return {
            str(r.value).upper(): reason
            for r in rules
            if isinstance(r, JScalar) and isinstance(r.value, str)
        }

    # -- registries ------------------------------------------------------------------------
    def registry(self, node: JObject, symbol: str, name: Value, place: _Place) -> _Target:
        target = _name_target(name, symbol)
        if node.get("existing") is not None and evaluate.truthy(
            self.value(node.get("existing"), place)
        ):
            return target  # declared elsewhere: consumers may link to it by name only
        properties: dict[RegistryProperty, Value] = {}
        for prop in RegistryProperty:
            found = self.resolve(node, prop.value, place)
            if found is not None:
                if found.known and isinstance(found.value, (list, dict)):
                    found = evolve(found, value=evaluate.plain(found))
                properties[prop] = found
        api = node.get("apiVersion")
        api_text = api.value if isinstance(api, JScalar) and isinstance(api.value, str) else None
        self.registries.append(
            Registry(
                symbol=symbol,
                span=self.source.span(node),
                name=name,
                api_version=api_text,
                api_version_span=self.source.span(api) if api is not None else None,
                properties=properties,
                conditional=place.conditional,
                suppressed=self.suppressions(node),
                format=FORMAT,
            )
        )
        return target

    # -- consumers -------------------------------------------------------------------------
    def consumer(
        self,
        kind: ConsumerKind,
        node: JObject,
        symbol: str,
        target: _Target | None,
        attributes: Mapping[str, Value] | None = None,
        *,
        site: str | None = None,
    ) -> None:
        if target is None:
            return
        self.pending.append(
            _Pending(
                kind,
                symbol,
                self.source.span(node),
                target,
                attributes or {},
                self.suppressions(node),
                site,
            )
        )

    def parent_of(self, name: Value, place: _Place) -> _Target | None:
        """The registry a child resource (``reg/task``) belongs to."""
        if place.parent is not None:
            return place.parent
        if name.known and isinstance(name.value, str) and "/" in name.value:
            return _Target(name=name.value.split("/")[0])
        tree = _tree(name)
        if isinstance(tree, Call) and tree.args:
            first = tree.args[0]
            low = tree.name.lower()
            if low == "format" and isinstance(first, Str) and first.value.startswith("{0}/"):
                return _expr_target(tree.args[1]) if len(tree.args) > 1 else None
            if low == "concat" and len(tree.args) > 1:
                second = tree.args[1]
                if isinstance(second, Str) and second.value.startswith("/"):
                    return _expr_target(first)
        return None

    def target_of(self, value: Value | None, place: _Place) -> _Target | None:
        """Which registry ``value`` (a resource id, login server or expression) names."""
        if value is None:
            return None
        text = value.text()
        if text is not None:
            match = _REGISTRY_ID.search(text)
            if match:
                return _Target(name=match.group(1))
            server = _LOGIN_SERVER.search(text)
            return _Target(login_server=server.group().lower()) if server else None
        if value.known:
            return None
        return self._tree_target(_tree(value), place, depth=0)

    def _tree_target(self, tree: Any, place: _Place, *, depth: int) -> _Target | None:
        for call in calls(tree) if tree is not None else ():
            found = self._call_target(call, place, depth=depth)
            if found is not None:
                return found
        return None

    def _call_target(self, call: Call, place: _Place, *, depth: int) -> _Target | None:
        args = call.args
        low = call.name.lower()
        if low == "reference" and args and isinstance(args[0], Str):
            symbol = place.level.symbols.get(args[0].value)
            if symbol is not None:
                return symbol
        if low == "variables" and args and isinstance(args[0], Str) and depth < MAX_NESTING:
            # an unknown variable's text is only its name: read what it was written as
            written = _string(place.level.evaluator.variables.get(args[0].value.lower()))
            inner = expression_text(written) if written is not None else None
            if inner is not None:
                return self._tree_target(_parsed(inner), place, depth=depth + 1)
        for i, arg in enumerate(args):
            if not isinstance(arg, Str):
                continue
            text = arg.value.lower()
            if low.endswith("resourceid") and text.rstrip("/") == REGISTRY_TYPE:
                return _expr_target(args[i + 1]) if i + 1 < len(args) else None
            slot = _FORMAT_SLOT.search(text) if low == "format" and i == 0 else None
            if slot:
                at = int(slot.group(1) or slot.group(2)) + 1
                return _expr_target(args[at]) if at < len(args) else None
            if low == "concat" and i > 0 and text.startswith(".azurecr.io"):
                return _expr_target(args[i - 1])
            match = _REGISTRY_ID.search(arg.value)
            if match:  # an evaluated resource id inside an unknown call, e.g. reference(id)
                return _Target(name=match.group(1))
        return None

    def link(self, pending: _Pending) -> Consumer:
        target = pending.target
        symbol = target.symbol
        for registry in self.registries:
            if _matches(target, registry):
                symbol = registry.symbol
                break
        attributes = pending.attributes
        if pending.site is not None:  # sites and their config children are all known now
            inherited = self.site_pulls.get(pending.site) or [
                Value.unknown("the parent site's VNet image pull")
            ]
            own = attributes["vnet_image_pull"]
            written = [] if own.known and own.value is None else [own]
            pull = evaluate.first_true([*written, *inherited])
            attributes = {**attributes, "vnet_image_pull": pull}
        return Consumer(
            pending.kind,
            pending.symbol,
            pending.span,
            RegistryLink(symbol=symbol, name=target.name, login_server=target.login_server),
            attributes,
            pending.suppressed,
        )


# -- resource kinds ------------------------------------------------------------------------------


def _private_endpoint(w: _Walker, node: JObject, symbol: str, name: Value, place: _Place) -> None:
    """One consumer per (manual) private link service connection that targets a registry."""
    connections: list[Value] = []
    for path in (
        "properties.privateLinkServiceConnections",
        "properties.manualPrivateLinkServiceConnections",
    ):
        found = w.resolve(node, path, place)
        if found is not None and found.known and isinstance(found.value, list):
            connections += [c for c in found.value if isinstance(c, Value)]
    for i, connection in enumerate(connections):
        props = evaluate.member(connection, "properties", span=connection.span, safe=True)
        service = evaluate.member(props, "privateLinkServiceId", span=props.span, safe=True)
        w.consumer(
            ConsumerKind.PRIVATE_ENDPOINT,
            node,
            symbol if len(connections) == 1 else f"{symbol}[{i}]",
            w.target_of(service, place),
        )


def _task(w: _Walker, node: JObject, symbol: str, name: Value, place: _Place) -> None:
    """``registries/tasks`` and ``registries/taskRuns``: both run on ACR's task compute."""
    base = ".".join(task_settings(node.text("type") or ""))
    pool = w.resolve(node, f"{base}.agentPoolName", place) or Value.absent()
    credentials = w.resolve(node, f"{base}.credentials.customRegistries", place)
    api = node.text("apiVersion")
    parent = w.parent_of(name, place)
    customs = with_source_registry_credential(
        _custom_registries(w, credentials, place, parent),
        w.resolve(node, f"{base}.credentials.sourceRegistry.identity", place),
        api,
    )
    w.consumer(
        ConsumerKind.TASK,
        node,
        symbol,
        parent,
        {
            "identity": IdentityUse.from_identity_type(w.resolve(node, "identity.type", place)),
            "agent_pool": pool,
            "custom_registries": customs,
            "api_version": Value.of(api) if api else Value.absent(),
            "name": name,
        },
    )


def _agent_pool(w: _Walker, node: JObject, symbol: str, name: Value, place: _Place) -> None:
    w.consumer(ConsumerKind.AGENT_POOL, node, symbol, w.parent_of(name, place), {"name": name})


def _container_group(w: _Walker, node: JObject, symbol: str, name: Value, place: _Place) -> None:
    """One consumer per image registry credential naming a registry."""
    credentials = w.resolve(node, "properties.imageRegistryCredentials", place)
    if credentials is None or not credentials.known or not isinstance(credentials.value, list):
        return
    group_identity = w.resolve(node, "identity.type", place)
    for i, credential in enumerate(credentials.value):
        if not isinstance(credential, Value):
            continue
        server = evaluate.member(credential, "server", span=credential.span, safe=True)
        w.consumer(
            ConsumerKind.CONTAINER_GROUP,
            node,
            symbol if len(credentials.value) == 1 else f"{symbol}[{i}]",
            w.target_of(server, place),
            {"identity": _credential_identity(credential, group_identity)},
        )


def _ml_workspace(w: _Walker, node: JObject, symbol: str, name: Value, place: _Place) -> None:
    registry = w.resolve(node, "properties.containerRegistry", place)
    w.consumer(ConsumerKind.ML_WORKSPACE, node, symbol, w.target_of(registry, place))


def _web_app(w: _Walker, node: JObject, symbol: str, name: Value, place: _Place) -> None:
    """A site (or its ``config``) running a container image from a registry. Whether it pulls
    over the VNet is decided when linking, from every source for the site: its own settings,
    a ``config`` 'web' child's, an ``appsettings`` child's ``WEBSITE_PULL_IMAGE_OVER_VNET``."""
    is_config = str(node.text("type")).lower().endswith("config")
    if is_config and (name.text() or "").lower().rsplit("/", 1)[-1] == "appsettings":
        parent = w.parent_of(name, place)
        setting = w.resolve(node, f"properties.{IMAGE_PULL_SETTING}", place)
        if parent is not None and parent.name and setting is not None:
            w.site_pulls.setdefault(parent.name.lower(), []).append(setting)
        return
    config = "properties" if is_config else "properties.siteConfig"
    image = w.resolve(node, f"{config}.linuxFxVersion", place) or w.resolve(
        node, f"{config}.windowsFxVersion", place
    )
    paths = [f"{config}.vnetImagePullEnabled"] if is_config else list(IMAGE_PULL_OVER_VNET)
    found = [v for v in (w.resolve(node, path, place) for path in paths) if v is not None]
    settings = w.resolve(node, f"{config}.appSettings", place)
    if settings is not None and settings.known and isinstance(settings.value, list):
        for entry in settings.value:
            if not isinstance(entry, Value):
                continue
            setting = evaluate.member(entry, "name", span=entry.span, safe=True)
            if (setting.text() or "").upper() == IMAGE_PULL_SETTING:
                found.append(evaluate.member(entry, "value", span=entry.span, safe=True))
    pull = evaluate.first_true(found) if found else None
    site = None
    if is_config:
        parent = w.parent_of(name, place)
        site = (parent.name or "").lower() if parent is not None else ""
    elif name.text():
        site = str(name.text()).lower()
        w.site_pulls.setdefault(site, []).append(pull or Value.of(False))
    identity = w.resolve(node, f"{config}.acrUseManagedIdentityCreds", place)
    w.consumer(
        ConsumerKind.WEB_APP,
        node,
        symbol,
        w.target_of(image, place),
        {
            "vnet_image_pull": pull or Value.absent(),
            "uses_managed_identity": identity or Value.absent(),
            "image": image or Value.absent(),
        },
        site=site,
    )


def _role_assignment(w: _Walker, node: JObject, symbol: str, name: Value, place: _Place) -> None:
    """A role assignment scoped to a registry (``scope``, or nested under it)."""
    kind = str(node.text("type")).lower()
    if kind.startswith(REGISTRY_TYPE) or (place.parent_type or "").lower() == REGISTRY_TYPE:
        target = w.parent_of(name, place)
    else:
        target = w.target_of(w.resolve(node, "scope", place), place)
    principal = w.resolve(node, "properties.principalId", place) or Value.absent()
    principal_text = principal.text() if principal.known else principal.expression
    is_identity = bool(principal_text and _MANAGED_IDENTITY.search(principal_text))
    w.consumer(
        ConsumerKind.ROLE_ASSIGNMENT,
        node,
        symbol,
        target,
        {
            "role": _role(w, node, place),
            "principal_type": w.resolve(node, "properties.principalType", place) or Value.absent(),
            "principal_is_managed_identity": (
                Value.of(True, principal.span, origin=evaluate.COMPUTED)
                if is_identity
                else Value.unknown(principal.expression or "principalId", principal.span)
            ),
        },
    )


def _deployment_script(w: _Walker, node: JObject, symbol: str, name: Value, place: _Place) -> None:
    """A script that runs ``az resource update ... networkRuleBypassAllowedForTasks=true``."""
    properties = node.get("properties")
    if not isinstance(properties, JObject):
        return
    for key in ("scriptContent", "arguments"):
        script = properties.get(key)
        if not (isinstance(script, JScalar) and isinstance(script.value, str)):
            continue
        if not _TASKS_BYPASS_ON.search(script.value):
            continue
        span = w.source.span(script)
        named = _CLI_NAME.search(script.value)
        target = _Target(name=named.group(1)) if named else None
        if target is None and len(w.registries) == 1:
            target = _Target(symbol=w.registries[0].symbol)
        flag = Value.of(True, span, origin=evaluate.COMPUTED)
        w.consumer(
            ConsumerKind.REGISTRY_PATCH,
            node,
            symbol,
            target or _Target(),
            {
                "properties": Value.of({RegistryProperty.TASKS_BYPASS.value: flag}, span),
                "source": Value.of("deployment-script"),
            },
        )
        return


def _deployment(w: _Walker, node: JObject, symbol: str, name: Value, place: _Place) -> None:
    """An inline nested template, walked in ``inner`` or ``outer`` expression scope."""
    template = node.get("properties")
    if not isinstance(template, JObject) or place.level.depth >= MAX_NESTING:
        return
    body = template.get("template")
    link = template.get("templateLink")
    if isinstance(link, JObject):
        relative = link.text("relativePath") or _local_link(link.text("uri"))
        if relative:
            _linked_template(w, node, symbol, relative, place)
    if not isinstance(body, JObject):
        return
    evaluator = place.level.evaluator.deployment_scope(template, place.copy)
    level = _Level(evaluator, f"{symbol}/", place.level.depth + 1)
    inner = _Place(level, place.copy if evaluator is place.level.evaluator else NO_COPY)
    w.resources(
        body.get("resources"),
        evolve(inner, conditional=place.conditional, active=place.active),
    )


def _linked_template(w: _Walker, node: JObject, symbol: str, relative: str, place: _Place) -> None:
    """A local linked template (``templateLink.relativePath``), like a Bicep module call.

    Its registries and consumers are reported at the deployment in this file, with ``via``
    naming the linked file; a file that cannot be read or parsed contributes nothing.
    """
    path = w.path.parent / relative
    if path in w.opened:
        return
    found = _read_json(path, w.ctx)
    if found is None or document_kind(found[1]) != "template":
        return
    template = found[1]
    assert isinstance(template, JObject)  # document_kind checked it
    parameters = _member_node(node, "properties.parameters")
    values = place.level.evaluator.deployment_parameters(parameters, place.copy)
    child = _Walker(Source.of(w.ctx.display_path(path), found[0]), path, w.ctx, opened=w.opened)
    child.walk(template, values, prefix=f"{symbol}/", depth=place.level.depth + 1)
    here = w.source.span(node)
    via = f"linked template '{child.source.path}'"
    for registry in child.registries:
        moved = _moved_registry(registry, here.path, {}, here, via)
        w.registries.append(evolve(moved, conditional=moved.conditional or place.conditional))
    if place.active:  # linked with this file's registries: the registry is often passed in
        w.pending.extend(_moved_pending(p, here) for p in child.pending)
        for site, pulls in child.site_pulls.items():
            w.site_pulls.setdefault(site, []).extend(pulls)


def _local_link(uri: str | None) -> str | None:
    """The repository-relative file a ``templateLink.uri`` expression ends in, if any.

    ``[uri(deployment().properties.templateLink.uri, 'nested/acr.json')]`` and
    ``[concat(variables('templateBaseUrl'), 'acr.json')]`` deploy a file published next to
    this one; its local copy is what gets deployed. A literal URL names a file elsewhere.
    """
    inner = expression_text(uri) if uri else None
    tree = _parsed(inner) if inner is not None else None
    if tree is None:
        return None
    for call in calls(tree):
        run: list[str] = []
        for arg in call.args:
            run = [*run, arg.value] if isinstance(arg, Str) else []
            path = "".join(run).split("?")[0]
            if path.lower().endswith(".json") and "://" not in path:
                return path.lstrip("/")
    return None


def _evaluated_whole(node: JNode | Value) -> bool:
    """An expression string, or an object with a property ``copy`` loop: read as a value."""
    if isinstance(node, JScalar):
        return isinstance(node.value, str)
    return isinstance(node, JObject) and isinstance(node.get("copy"), JArray)


def _member_node(node: JObject, path: str) -> JNode | None:
    current: JNode | None = node
    for key in path.split("."):
        current = current.get(key) if isinstance(current, JObject) else None
    return current


_Handler = Callable[[_Walker, JObject, str, Value, _Place], None]
_HANDLERS: dict[str, _Handler] = {
    "microsoft.network/privateendpoints": _private_endpoint,
    f"{REGISTRY_TYPE}/tasks": _task,
    f"{REGISTRY_TYPE}/taskruns": _task,
    f"{REGISTRY_TYPE}/agentpools": _agent_pool,
    "microsoft.containerinstance/containergroups": _container_group,
    "microsoft.machinelearningservices/workspaces": _ml_workspace,
    "microsoft.web/sites": _web_app,
    "microsoft.web/sites/slots": _web_app,
    "microsoft.web/sites/config": _web_app,
    "microsoft.authorization/roleassignments": _role_assignment,
    f"{REGISTRY_TYPE}/providers/roleassignments": _role_assignment,
    "microsoft.resources/deploymentscripts": _deployment_script,
    "microsoft.resources/deployments": _deployment,
}


# -- helpers -------------------------------------------------------------------------------------


def _tree(value: Value) -> Any:
    """The expression of an unknown value, parsed again (``None`` if it is not ARM syntax)."""
    if value.known or not value.expression:
        return None
    return _parsed(value.expression)


def _parsed(text: str) -> Any:
    try:
        return parse(text)
    except (ExpressionError, RecursionError):
        return None


def _expr_target(node: Any) -> _Target:
    if isinstance(node, Str):
        registry_id = _REGISTRY_ID.search(node.value)  # a whole id passed where a name goes
        return _Target(name=registry_id.group(1) if registry_id else node.value)
    return _Target(key=render(node))


def _name_target(name: Value, symbol: str) -> _Target:
    text = name.text()
    if text is not None:
        return _Target(symbol=symbol, name=text)
    return _Target(symbol=symbol, key=name.expression or None)


def _matches(target: _Target, registry: Registry) -> bool:
    if target.symbol and target.symbol == registry.symbol:
        return True
    name = registry.name.text()
    if name is not None:
        if target.name and target.name.lower() == name.lower():
            return True
        server = f"{name}.azurecr.io".lower()
        return bool(target.login_server and target.login_server.lower() == server)
    return bool(target.key and target.key == registry.name.expression)


def _credential_identity(credential: Value, group_identity: Value | None) -> Value:
    span = credential.span
    return IdentityUse.from_registry_credential(
        username=evaluate.member(credential, "username", span=span, safe=True),
        identity=evaluate.member(credential, "identity", span=span, safe=True),
        group_identity_type=group_identity,
        span=span,
    )


def _custom_registries(
    w: _Walker, credentials: Value | None, place: _Place, parent: _Target | None
) -> Value:
    """``credentials.customRegistries`` as ``[{"login_server", "identity"}]``.

    A login server written as an expression that stays unknown (``[reference(<the registry>)
    .loginServer]``) is marked ``same_registry`` when it names the task's own registry.
    """
    if credentials is None or (credentials.known and credentials.value is None):
        return Value.of([], origin=Origin(OriginKind.ABSENT))
    if not credentials.known or not isinstance(credentials.value, dict):
        return Value.unknown(credentials.expression or "customRegistries", credentials.span)
    entries: list[dict[str, Any]] = []
    for server, entry in credentials.value.items():
        if not isinstance(entry, Value):
            continue
        identity = credential_identity(
            evaluate.member(entry, "identity", span=entry.span, safe=True)
        )
        text = expression_text(server)
        if text is None:
            entries.append({"login_server": server, "identity": identity})
            continue
        span = entry.span or Span.point(w.source.path, 1, 1)
        named = w.target_of(place.level.evaluator.expression(text, span, place.copy), place)
        same = named is not None and parent is not None and _same_target(named, parent)
        entries.append(
            {"login_server": None, "identity": identity} | ({"same_registry": True} if same else {})
        )
    return evolve(credentials, value=entries)


def _same_target(left: _Target, right: _Target) -> bool:
    """Do two targets name the same registry (by symbol, name or name expression)?"""
    return bool(
        (left.symbol and left.symbol == right.symbol)
        or (left.name and right.name and left.name.lower() == right.name.lower())
        or (left.key and left.key == right.key)
    )


def _role(w: _Walker, node: JObject, place: _Place) -> Value:
    """The role definition: its GUID when one can be read, even from an unknown expression.

    ``concat(subscription().id, '/providers/Microsoft.Authorization/roleDefinitions/<guid>')``
    cannot be evaluated, but its text (or the text of the variable it is read from) names
    the role.
    """
    definition = w.resolve(node, "properties.roleDefinitionId", place)
    if definition is None:
        return Value.absent()
    texts = [definition.text() if definition.known else definition.expression]
    properties = node.get("properties")
    raw = properties.text("roleDefinitionId") if isinstance(properties, JObject) else None
    for text in (definition.expression, raw):
        for name in _VARIABLE_REFERENCE.findall(text or ""):
            texts.append(_string(place.level.evaluator.variables.get(name.lower())))
    for text in texts:
        match = _ROLE_GUID.search(text or "")
        if match:
            guid = match.group(1).lower()
            return Value.of(
                guid, definition.span, origin=definition.origin, depends_on=definition.depends_on
            )
    return definition


def _string(node: JNode | None) -> str | None:
    return node.value if isinstance(node, JScalar) and isinstance(node.value, str) else None
