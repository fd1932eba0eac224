"""Bicep loader: ``.bicep`` and ``.bicepparam`` files -> :class:`~acr_trusted.lint.model.FileModel`.

The file is parsed with acr-trusted's Bicep grammar (derived from pycep-parser's, see
:mod:`acr_trusted.lint.bicep_grammar`), its declarations are indexed
(:mod:`acr_trusted.lint.bicep_syntax`) and the expressions that matter are evaluated on demand
(:mod:`acr_trusted.lint.bicep_eval`) with the parameters' defaults or the values given.

- Registries: ``Microsoft.ContainerRegistry/registries`` resources (``existing`` ones are only
  references), local modules (``module x './acr.bicep'``, evaluated with the arguments of the
  call, reported at the call site) and well-known registry modules that are not on disk
  (:mod:`acr_trusted.lint.known_modules`).
- Consumers (:mod:`acr_trusted.lint.bicep_consumers`): private endpoints, tasks and agent pools,
  container groups, ML workspaces, web apps, role assignments, deployment scripts that switch on
  the tasks bypass; as resources or as the common Azure Verified Module calls.
- Parameter files: a linted ``.bicepparam`` reports its template's registries at the ``using``
  line; a linted template takes values from ``ctx.param_files`` (``.bicepparam`` whose ``using``
  names it, ARM parameter JSON whose parameters it all declares) and from a ``main.bicepparam``
  beside it that says ``using 'main.bicep'``.

Public entry points: :func:`handles`, :func:`load` and :func:`evaluate_template`; the last lets
another loader (the ARM loader, for CARML ``.test/*.parameters.json`` next to ``deploy.bicep``)
evaluate a Bicep template with parameter values it read itself::

    model = evaluate_template(template_path, {"acrSku": Value.of("Premium", span)}, ctx,
                              report_at=span_of_the_parameter_file)

``load`` never raises for bad input: a file that cannot be parsed yields a model with one
:class:`~acr_trusted.lint.model.ParseError` (line:col and the parser's reason).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from acr_trusted.lint import evaluate as ev
from acr_trusted.lint.bicep_consumers import (
    AVM_TASK_SOURCE,
    consumers_of_resource,
    is_consumer_module,
    is_consumer_type,
    only_registry_links,
    shape_from_params,
)
from acr_trusted.lint.bicep_eval import (
    REGISTRY_TYPE,
    Evaluator,
    Ref,
    bind,
    json_value,
    link_of,
    lookup,
    qualify,
    ref_of,
    unwrap_body,
    with_ref,
)
from acr_trusted.lint.bicep_syntax import (
    BicepSyntaxError,
    Module,
    Resource,
    Template,
    read_template,
)
from acr_trusted.lint.known_modules import find_known_module
from acr_trusted.lint.model import (
    Consumer,
    FileModel,
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
from acr_trusted.records import evolve, frozen

FORMAT = "bicep"
_TABLE_NOTE = "inputs' defaults from acr-trusted's known-module table"
MAX_MODULE_DEPTH = 8
MAX_LOOP_ITEMS = 64  # consumers of a loop: its first items only
MAX_READ = 1_000_000  # loadTextContent() reads at most this many characters
_LOCAL_MODULE = re.compile(r"^\.{0,2}/|^[^:]+\.(bicep|json)$", re.IGNORECASE)


def handles(path: Path) -> bool:
    return path.suffix.lower() in (".bicep", ".bicepparam")


def prepare() -> None:
    """Load the Bicep parser now (the engine does before it forks children that parse Bicep)."""
    from acr_trusted.lint import bicep_grammar

    bicep_grammar.prepare()


def load(path: Path, text: str, ctx: LoadContext) -> FileModel:
    display = ctx.display_path(path)
    try:
        template = read_template(text, display)
    except BicepSyntaxError as failure:
        return FileModel(display, FORMAT, errors=(failure.error,), text=text)
    loader = _Loader(ctx, display)
    try:
        if path.suffix.lower() == ".bicepparam":
            result = loader.param_file(path, template)
        else:
            result = loader.template(path, template, _param_values(path, ctx, loader))
    except RecursionError:
        error = ParseError(Span.point(display, 1), "expressions nested too deeply to evaluate")
        return FileModel(display, FORMAT, errors=(error,), text=text)
    return FileModel(
        display, FORMAT, result.registries, result.consumers, errors=result.errors, text=text
    )


def evaluate_template(
    path: Path,
    params: Mapping[str, Value],
    ctx: LoadContext,
    *,
    report_at: Span | None = None,
) -> FileModel:
    """Evaluate the Bicep template at ``path`` with ``params`` (name -> Value).

    With ``report_at``, registries and consumers are reported there (for a parameter file), and
    their ``via`` names the template; otherwise at their declarations in the template. A
    template that cannot be read or parsed yields an empty model.
    """
    display = ctx.display_path(path)
    loader = _Loader(ctx, report_at.path if report_at else display)
    template = loader.read(path)
    if template is None:
        return FileModel(display, FORMAT)
    try:
        result = loader.template(path, template, params)
    except RecursionError:
        return FileModel(display, FORMAT)
    if report_at is not None:
        result = result.moved(report_at, f"template '{display}'")
    return FileModel(report_at.path if report_at else display, FORMAT, *result.parts())


_Parts = tuple[tuple[Registry, ...], tuple[Consumer, ...]]


@frozen
class _Result:
    """What one evaluated template contributes, with scope-qualified symbols (see _qualify)."""

    scope: int
    registries: tuple[Registry, ...] = ()
    consumers: tuple[Consumer, ...] = ()
    errors: tuple[ParseError, ...] = ()

    def parts(self) -> tuple[tuple[Registry, ...], tuple[Consumer, ...], tuple[ParseError, ...]]:
        return self.registries, self.consumers, self.errors

    def moved(self, span: Span, via: str) -> _Result:
        return evolve(
            self,
            registries=tuple(
                evolve(
                    r, span=span, via=r.via or via, properties=_unfixable(r.properties, span.path)
                )
                for r in self.registries
            ),
            consumers=tuple(evolve(c, span=span) for c in self.consumers),
        )


def _unqualify(scope: int, symbol: str | None) -> str | None:
    prefix = f"@{scope}:"
    if symbol and symbol.startswith(prefix):
        return symbol[len(prefix) :]
    return None


def _unfixable(
    properties: Mapping[RegistryProperty, Value], linted: str
) -> dict[RegistryProperty, Value]:
    """Values written outside the linted file keep their place but lose the offsets ``--fix``
    uses: it edits the linted file only, wherever (module, parameter file) a value passed."""
    return {key: _strip_offsets(value, linted) for key, value in properties.items()}


def _strip_offsets(value: Value, path: str) -> Value:
    span = value.span
    if span is not None and span.path != path and span.start_offset is not None:
        value = evolve(value, span=evolve(span, start_offset=None, end_offset=None))
    if isinstance(value.value, Mapping):
        inner = {
            k: _strip_offsets(v, path) if isinstance(v, Value) else v
            for k, v in value.value.items()
        }
        value = evolve(value, value=inner)
    return value


class _Loader:
    """One load: module results cached per (path, arguments); recursion guarded.

    ``linted`` is the display path of the file being linted, whose literals ``--fix`` may
    rewrite.
    """

    def __init__(self, ctx: LoadContext, linted: str) -> None:
        self.ctx = ctx
        self.linted = linted
        self._stack: list[Path] = []
        self._results: dict[tuple[str, str], tuple[_Result, Evaluator]] = {}
        self._templates: dict[Path, Template | None] = {}
        self._module_parts: dict[tuple[int, str], _Parts] = {}

    # ---- files

    def read(self, path: Path) -> Template | None:
        resolved = _resolve(path)
        if resolved in self._templates:
            return self._templates[resolved]
        template: Template | None
        try:
            text = self.ctx.read_text(path)
            template = read_template(text, self.ctx.display_path(path))
        except (OSError, UnicodeDecodeError, BicepSyntaxError, RecursionError):
            template = None
        self._templates[resolved] = template
        return template

    # ---- a template, finalised for the linted file

    def template(self, path: Path, template: Template, params: Mapping[str, Value]) -> _Result:
        result, evaluator = self._evaluate(path, template, params)
        return _finalised(result, evaluator.scope)

    def param_file(self, path: Path, template: Template) -> _Result:
        """A linted ``.bicepparam``: its template's registries, reported at ``using``."""
        using = template.using
        scope_holder = Evaluator(template, {}, host=lambda kind, arg: None)
        if using is None:
            return _Result(scope_holder.scope)
        target_name, using_span = using
        target = _beside(path, target_name)
        main = self.read(target) if target_name.lower().endswith(".bicep") else None
        if main is None:
            return _Result(scope_holder.scope)
        values = self.param_values(path, template, scope_holder, literal=True)
        result, evaluator = self._evaluate(target, main, values)
        moved = result.moved(using_span, f"template '{self.ctx.display_path(target)}'")
        return _finalised(moved, evaluator.scope)

    def param_values(
        self, path: Path, template: Template, evaluator: Evaluator, *, literal: bool
    ) -> dict[str, Value]:
        """A ``.bicepparam``'s values over those of the files it ``extends``, nearest last."""
        chain: list[tuple[Path, Template]] = [(path, template)]
        while chain[-1][1].extends and len(chain) <= MAX_MODULE_DEPTH:
            base_path = _beside(chain[-1][0], chain[-1][1].extends or "")
            base = self.read(base_path)
            if base is None or any(_resolve(base_path) == _resolve(p) for p, _ in chain):
                break
            chain.append((base_path, base))
        values: dict[str, Value] = {}
        for _, base in reversed(chain[1:]):
            holder = Evaluator(base, {}, host=lambda kind, arg: None)
            values.update(_assignments(base, holder, literal=False))
        values.update(_assignments(template, evaluator, literal=literal))
        return values

    # ---- evaluation

    def _evaluate(
        self, path: Path, template: Template, params: Mapping[str, Value]
    ) -> tuple[_Result, Evaluator]:
        resolved = _resolve(path)
        key = (str(resolved), _fingerprint(params))
        cached = self._results.get(key)
        if cached is not None:
            return cached
        holder: list[Evaluator] = []
        outputs: dict[str, Value] = {}

        def host(kind: str, arg: str) -> Value | None:
            evaluator = holder[0]
            if kind == "read":
                return self._read_relative(path, arg)
            module_symbol, _, output = arg.partition(".")
            if module_symbol not in outputs:
                self._module(path, evaluator, module_symbol, outputs)
            value = outputs.get(module_symbol)
            if value is None or not value.known or not isinstance(value.value, Mapping):
                return None
            found = value.value.get(output)
            return found if isinstance(found, Value) else None

        evaluator = Evaluator(template, params, host=host)
        holder.append(evaluator)
        self._stack.append(resolved)
        try:
            result = self._collect(path, evaluator, outputs)
        finally:
            self._stack.pop()
        self._results[key] = (result, evaluator)
        return result, evaluator

    def _read_relative(self, path: Path, relative: str) -> Value | None:
        try:
            text = self.ctx.read_text(_beside(path, relative))
        except (OSError, UnicodeDecodeError):
            return None
        return Value.of(text[:MAX_READ], expression=f"loadTextContent('{relative}')")

    def _collect(self, path: Path, evaluator: Evaluator, outputs: dict[str, Value]) -> _Result:
        template = evaluator.template
        registries: list[Registry] = []
        consumers: list[Consumer] = []
        for resource in template.resources.values():
            if resource.existing:
                continue
            kind = resource.type.lower()
            if kind == REGISTRY_TYPE:
                registry = _registry(evaluator, resource)
                if registry is not None:
                    registries.append(registry)
                continue
            if not is_consumer_type(kind):
                continue
            deployed = instances(evaluator, resource.body)
            for index, (body, _, _) in enumerate(deployed):
                symbol = qualify(evaluator.scope, _item_symbol(resource.symbol, index, deployed))
                parent = _parent_link(evaluator, resource.parent, body)
                consumers.extend(
                    consumers_of_resource(
                        evaluator,
                        kind,
                        body,
                        symbol,
                        resource.span,
                        resource.api_version,
                        parent,
                        resource.symbol,
                    )
                )
        for module in template.modules.values():
            if module.symbol not in outputs:
                registries_, consumers_ = self._module(path, evaluator, module.symbol, outputs)
            else:
                registries_, consumers_ = self._module_parts.get(
                    (evaluator.scope, module.symbol), ((), ())
                )
            registries.extend(registries_)
            consumers.extend(consumers_)
        consumers = list(only_registry_links(consumers, registries))
        return _Result(evaluator.scope, tuple(registries), tuple(consumers))

    def _module(
        self, path: Path, evaluator: Evaluator, symbol: str, outputs: dict[str, Value]
    ) -> tuple[tuple[Registry, ...], tuple[Consumer, ...]]:
        """Evaluate a module call once: its registries, consumers and outputs."""
        module = evaluator.template.modules[symbol]
        outputs[symbol] = Value.unknown(f"{symbol}.outputs")  # guards re-entry
        known = find_known_module(module.path)
        local = _LOCAL_MODULE.match(module.path) is not None
        if known is None and not local and not is_consumer_module(module.path):
            self._module_parts[(evaluator.scope, symbol)] = ((), ())
            return (), ()  # another registry module: nothing it deploys touches a registry
        first = instance(evaluator, module.body)
        if first is None:
            self._module_parts[(evaluator.scope, symbol)] = ((), ())
            return (), ()
        body, _, conditional = first
        deployed = instances(evaluator, module.body, first)
        args = _arguments(evaluator, body)
        call_symbol = qualify(evaluator.scope, symbol)
        parts: _Parts | None = None
        if known is not None:
            built = known.build(args, module.span)
            registry = Registry(
                symbol=call_symbol,
                span=module.span,
                name=built.name,
                properties=dict(built.properties),
                private_endpoint_count=built.private_endpoint_count,
                via=f"module '{module.path}' ({_TABLE_NOTE})",
                conditional=conditional,
                format=FORMAT,
            )
            link = RegistryLink(symbol=call_symbol)
            consumers = consumers_of_resource(
                evaluator,
                "avm-registry-role-assignments",
                Value.of({"roleAssignments": args.get("roleAssignments", Value.of(None))}),
                call_symbol,
                module.span,
                None,
                link,
            )
            for index, inputs in enumerate(built.tasks):
                consumers.extend(
                    _shaped_consumers(
                        evaluator,
                        AVM_TASK_SOURCE,
                        inputs,
                        f"{call_symbol}.tasks[{index}]",
                        module.span,
                        link,
                    )
                )
            parts = ((registry,), tuple(consumers))
            outputs[symbol] = _registry_outputs(evaluator.scope, symbol, module.span)
        elif local:
            parts = self._local_module(path, evaluator, module, args, conditional, outputs)
        if parts is None:
            # a registry module, or a local module that is not on disk: what its inputs declare
            source = module.path
            if local:
                source = _resolve(_beside(path, source)).as_posix()
            consumers = []
            for index, (item, _, _) in enumerate(deployed):
                item_symbol = qualify(evaluator.scope, _item_symbol(symbol, index, deployed))
                item_args = args if item is body else _arguments(evaluator, item)
                consumers.extend(
                    _shaped_consumers(evaluator, source, item_args, item_symbol, module.span)
                )
            parts = ((), tuple(consumers))
            outputs[symbol] = Value.unknown(f"{symbol}.outputs", module.span)
        if not deployed:  # not deployed with these values: its registries stay (conditional)
            parts = (parts[0], ())
        self._module_parts[(evaluator.scope, symbol)] = parts
        return parts

    def _local_module(
        self,
        path: Path,
        evaluator: Evaluator,
        module: Module,
        args: dict[str, Value],
        conditional: bool,
        outputs: dict[str, Value],
    ) -> _Parts | None:
        """A local module's registries and consumers; ``None`` when its file cannot be read."""
        target = _beside(path, module.path)
        if len(self._stack) >= MAX_MODULE_DEPTH or _resolve(target) in self._stack:
            return (), ()
        template = self.read(target) if target.suffix.lower() == ".bicep" else None
        if template is None:
            return None
        inner, inner_eval = self._evaluate(target, template, args)
        call_symbol = qualify(evaluator.scope, module.symbol)
        mapping: dict[str, str] = {}
        registries: list[Registry] = []
        for registry in inner.registries:
            inner_plain = registry.symbol.split(":", 1)[-1]
            outer = call_symbol if len(inner.registries) == 1 else f"{call_symbol}.{inner_plain}"
            mapping[registry.symbol] = outer
            registries.append(
                evolve(
                    registry,
                    symbol=outer,
                    span=module.span,
                    via=registry.via or f"module '{module.path}'",
                    conditional=registry.conditional or conditional,
                    properties=_unfixable(registry.properties, self.linted),
                )
            )
        consumers = [
            evolve(
                c,
                span=module.span,
                link=evolve(c.link, symbol=mapping.get(c.link.symbol or "", c.link.symbol)),
                attributes={k: _strip_offsets(v, self.linted) for k, v in c.attributes.items()},
            )
            for c in inner.consumers
        ]
        translated = _Outputs(template.outputs, inner_eval, mapping, evaluator.scope)
        outputs[module.symbol] = Value.of(translated, module.span)
        return tuple(registries), tuple(consumers)


def _shaped_consumers(
    evaluator: Evaluator,
    source: str,
    args: Mapping[str, Value],
    symbol: str,
    span: Span,
    parent: RegistryLink | None = None,
) -> list[Consumer]:
    """The consumers a module call deploys, from the resource shape of its inputs (if known)."""
    shape = shape_from_params(source, args)
    if shape is None:
        return []
    kind, body = shape
    parent = parent or _parent_link(evaluator, None, body)
    return consumers_of_resource(evaluator, kind, body, symbol, span, None, parent)


def _item_symbol(symbol: str, index: int, items: list[Any]) -> str:
    """``x`` for a single deployment, ``x[1]`` for the items of a loop over several."""
    return f"{symbol}[{index}]" if len(items) > 1 else symbol


def _registry_outputs(scope: int, symbol: str, span: Span) -> Value:
    """The outputs of a known registry module: references to the registry it creates."""
    link = RegistryLink(symbol=symbol)
    outputs: dict[str, Value] = {}
    for name in ("resourceId", "name", "loginServer", "systemAssignedMIPrincipalId"):
        ref = Ref(link, f"outputs.{name}", REGISTRY_TYPE, scope)
        outputs[name] = with_ref(ref, span, f"{symbol}.outputs.{name}", ())
    return Value.of(outputs, span)


class _Outputs(Mapping[str, Value]):
    """A local module's outputs as its caller sees them, each evaluated when first read:
    most outputs of a big module are never used by the file that calls it."""

    def __init__(
        self,
        nodes: Mapping[str, Any],
        evaluator: Evaluator,
        mapping: Mapping[str, str],
        caller_scope: int,
    ) -> None:
        self._nodes = nodes
        self._evaluator = evaluator
        self._mapping = mapping
        self._caller_scope = caller_scope
        self._values: dict[str, Value] = {}

    def __getitem__(self, name: str) -> Value:
        found = self._values.get(name)
        if found is None:
            value = self._evaluator.value(self._nodes[name], {})
            found = self._values[name] = _translate(value, self._mapping, self._caller_scope)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._nodes)

    def __len__(self) -> int:
        return len(self._nodes)


def _translate(value: Value, mapping: Mapping[str, str], caller_scope: int) -> Value:
    """A module output as the caller sees it: references to its registries become the call's."""
    ref = value.value if not value.known else None
    if isinstance(ref, Ref) and ref.link.symbol and ref.scope:
        qualified = qualify(ref.scope, ref.link.symbol)
        if qualified in mapping:
            outer = _unqualify(caller_scope, mapping[qualified]) or ref.link.symbol
            link = evolve(ref.link, symbol=outer)
            return evolve(value, value=evolve(ref, link=link, scope=caller_scope))
    if value.alternatives:
        alternatives = tuple(_translate(a, mapping, caller_scope) for a in value.alternatives)
        return evolve(value, alternatives=alternatives)
    return value


def _finalised(result: _Result, scope: int) -> _Result:
    """Strip the linted file's scope from symbols; links into other scopes lose their symbol."""
    registries = tuple(
        evolve(r, symbol=_unqualify(scope, r.symbol) or r.symbol.split(":", 1)[-1])
        for r in result.registries
    )
    consumers = tuple(
        evolve(
            c,
            symbol=_unqualify(scope, c.symbol) or c.symbol.split(":", 1)[-1],
            link=evolve(c.link, symbol=_unqualify(scope, c.link.symbol)),
        )
        for c in result.consumers
    )
    return evolve(result, registries=registries, consumers=consumers)


def instance(evaluator: Evaluator, body_node: Any) -> tuple[Value, dict[str, Value], bool] | None:
    """Evaluate a resource/module body: (object Value, loop bindings, conditional?).

    A ``[for ...]`` is evaluated once, for its first item (unknown when the items are); the
    declaration is conditional unless its condition is known true and its loop has items.
    ``None`` when the loop is known to have no items: nothing is deployed.
    """
    node, condition, loop = unwrap_body(body_node)
    env: dict[str, Value] = {}
    conditional = False
    if loop is not None:
        items = evaluator.value(loop.children[1], {})
        data = items.value if items.known else None
        if isinstance(data, (list, Mapping)) and not data:
            return None
        if isinstance(data, list):
            bind(env, loop.children[0], data[0], 0)
        else:
            conditional = True
            for name in loop.children[0].children:
                env[str(name)] = Value.unknown(str(name), evaluator.source.span_of(name))
    if condition is not None:
        decided = ev.truthy(evaluator.value(condition, env))
        conditional = conditional or decided is not True
    value = evaluator.body_value(node, env) if not env else evaluator.value(node, env)
    return value, env, conditional


def instances(
    evaluator: Evaluator,
    body_node: Any,
    first: tuple[Value, dict[str, Value], bool] | None = None,
) -> list[tuple[Value, dict[str, Value], bool]]:
    """Like :func:`instance` (``first``, when the caller has it), for every item of a
    ``[for ...]`` over a known list (up to 64) that is deployed.

    Consumers come from every item (each task of a loop is a task); registries from the first,
    deployed or not. An item whose condition is false with these values is left out, as ARM
    skips it: ``if (usePrivateEndpoint)`` with the default ``false`` restricts nothing.
    """
    node, condition, loop = unwrap_body(body_node)
    first = first or instance(evaluator, body_node)
    if first is None:
        return []
    deployed = condition is None or ev.truthy(evaluator.value(condition, first[1])) is not False
    out = [first] if deployed else []
    items = evaluator.value(loop.children[1], {}) if loop is not None else None
    data = items.value if items is not None and items.known else None
    if not isinstance(data, list) or len(data) < 2:
        return out
    for index, item in enumerate(data[1:MAX_LOOP_ITEMS], start=1):
        env: dict[str, Value] = {}
        bind(env, loop.children[0], item, index)
        decided = ev.truthy(evaluator.value(condition, env)) if condition is not None else True
        if decided is not False:
            out.append((evaluator.value(node, env), env, decided is not True))
    return out


def _registry(evaluator: Evaluator, resource: Resource) -> Registry | None:
    deployed = instance(evaluator, resource.body)
    if deployed is None:
        return None
    body, _, conditional = deployed
    properties: dict[RegistryProperty, Value] = {}
    for prop in RegistryProperty:
        found = lookup(evaluator, body, prop.value)
        if found is None:
            continue
        if found.known and isinstance(found.value, (list, dict)):
            found = evolve(found, value=ev.plain(found))
        properties[prop] = found
    name = lookup(evaluator, body, "name") or Value.absent()
    return Registry(
        symbol=qualify(evaluator.scope, resource.symbol),
        span=resource.span,
        name=name,
        api_version=resource.api_version,
        api_version_span=resource.type_span,
        properties=properties,
        conditional=conditional,
        format=FORMAT,
    )


def _parent_link(evaluator: Evaluator, declared: str | None, body: Value) -> RegistryLink | None:
    """The registry a child resource (tasks, agentPools) belongs to.

    ``declared``: the enclosing resource's symbol, for a child declared inside its parent.
    """
    if declared is not None:
        return RegistryLink(symbol=qualify(evaluator.scope, declared))
    parent = lookup(evaluator, body, "parent")
    if parent is not None:
        link = link_of(parent)
        if not link.empty:
            return link
    name = lookup(evaluator, body, "name")
    if name is None:
        return None
    text = name.text()
    if text and "/" in text:
        return RegistryLink(name=text.split("/", 1)[0])
    ref = ref_of(name)
    if ref is not None and ref.link.symbol and ref.scope:
        return RegistryLink(symbol=qualify(ref.scope, ref.link.symbol))
    return RegistryLink(name=ref.link.name) if ref is not None and ref.link.name else None


def _arguments(evaluator: Evaluator, body: Value) -> dict[str, Value]:
    """A module call's ``params`` as name -> Value (computed values named as the input)."""
    params = lookup(evaluator, body, "params")
    if params is None or not params.known or not isinstance(params.value, Mapping):
        return {}
    out: dict[str, Value] = {}
    for name, value in params.value.items():
        if not isinstance(value, Value):
            continue
        if value.origin.kind is OriginKind.COMPUTED and value.known:
            value = value.with_origin(Origin(OriginKind.PARAMETER_VALUE, name, value.span))
        out[name] = value
    return out


def _assignments(template: Template, evaluator: Evaluator, *, literal: bool) -> dict[str, Value]:
    """``param x = value`` of a ``.bicepparam``, evaluated in its own scope.

    ``literal``: the param file is the linted file, so a literal may be fixed in place;
    otherwise values are marked as given by the parameter file. The default of
    ``readEnvironmentVariable('X', default)`` stays a default.
    """
    values: dict[str, Value] = {}
    for name, (node, span) in template.assignments.items():
        value = evaluator.value(node, {})
        fixable_here = literal and value.origin.kind is OriginKind.LITERAL
        if not fixable_here and value.origin.kind is not OriginKind.PARAMETER_DEFAULT:
            note = f"the value given for '{name}' in {span.path}:{span.line}"
            value = value.with_origin(Origin(OriginKind.PARAMETER_VALUE, name, value.span, note))
        values[name] = value
    return values


def _param_values(path: Path, ctx: LoadContext, loader: _Loader) -> dict[str, Value]:
    """Values for a linted template from the parameter files given (--param-file) that are
    for it, a later one winning; or else from a ``main.bicepparam`` beside ``main.bicep``.

    Files given explicitly replace the conventional one, as a deployment takes the parameter
    file it is given: a value only the conventional file sets is not used.
    """
    target = _resolve(path)
    conventional = [path.with_name("main.bicepparam")] if path.name.lower() == "main.bicep" else []
    for candidates in (ctx.param_files, conventional):
        values: dict[str, Value] = {}
        for candidate in candidates:
            values.update(_file_values(candidate, path, target, ctx, loader))
        if values:
            return values
    return {}


def _file_values(
    candidate: Path, path: Path, target: Path, ctx: LoadContext, loader: _Loader
) -> dict[str, Value]:
    """The values of the parameter file ``candidate`` when it is for the template ``path``."""
    suffix = candidate.suffix.lower()
    if suffix == ".bicepparam":
        params = loader.read(candidate)
        if params is None or params.using is None:
            return {}
        if _resolve(_beside(candidate, params.using[0])) != target:
            return {}
        holder = Evaluator(params, {}, host=lambda kind, arg: None)
        return loader.param_values(candidate, params, holder, literal=False)
    if suffix == ".json":
        return _json_parameters(candidate, ctx, loader, path)
    return {}


def _json_parameters(
    candidate: Path, ctx: LoadContext, loader: _Loader, path: Path
) -> dict[str, Value]:
    """An ARM parameter file's values, when the template declares every parameter it sets."""
    try:
        data = json.loads(ctx.read_text(candidate).lstrip("\ufeff"))
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    entries = data.get("parameters") if isinstance(data, dict) else None
    template = loader.read(path)
    if not isinstance(entries, dict) or not entries or template is None:
        return {}
    if not set(entries) <= set(template.params):
        return {}
    display = ctx.display_path(candidate)
    out: dict[str, Value] = {}
    for name, entry in entries.items():
        if isinstance(entry, dict) and "value" in entry:
            note = f"the value given for '{name}' in {display}"
            origin = Origin(OriginKind.PARAMETER_VALUE, name, None, note)
            out[name] = json_value(entry["value"], origin)
    return out


def _beside(path: Path, relative: str) -> Path:
    """The file ``relative`` names from ``path``'s folder, ``..`` folded in as Bicep does.

    Paths are shown in findings (a module's default, a parameter file), so
    ``infra/modules/acr.bicep`` rather than ``infra/app/../modules/acr.bicep``.
    """
    return Path(os.path.normpath(path.parent / relative))


def _resolve(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()


def _fingerprint(params: Mapping[str, Value]) -> str:
    parts = []
    for name in sorted(params):
        value = params[name]
        data = repr(ev.plain(value)) if value.known else f"?{value.expression}{value.value!r}"
        parts.append(f"{name}={data}")
    return "\x00".join(parts)
