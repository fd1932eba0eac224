"""Terraform modules and their expressions, evaluated into :class:`Value` objects.

A directory is a module: its variables, locals, outputs, resources and module calls may sit
in any of its files. An :class:`Instance` is one use of a module, either the root (variables
from ``terraform.tfvars`` and friends, else their defaults) or a ``module`` call (variables
from the call's arguments, evaluated in the caller). Expressions are evaluated with the shared
operators of :mod:`acr_trusted.lint.evaluate`; anything that needs a deployment to know
(another resource's id, a data source) stays unknown, never an error.

References between resources are followed separately (:func:`registry_links`): a private
endpoint's ``private_connection_resource_id = azurerm_container_registry.acr.id`` is unknown as
a value but names the registry it belongs to, even through locals, module inputs and outputs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from acr_trusted.lint import evaluate as E
from acr_trusted.lint.model import Origin, OriginKind, RegistryLink, Span, Value
from acr_trusted.lint.terraform_syntax import (
    SPLAT_ITEM,
    Attribute,
    Block,
    Body,
    Expr,
    ForClause,
    Kind,
)
from acr_trusted.records import evolve, frozen

REGISTRY_TYPE = "microsoft.containerregistry/registries"
_REGISTRY_ID = re.compile(r"/providers/microsoft\.containerregistry/registries/([^/\s\"'?]+)", re.I)
_LOGIN_SERVER = re.compile(r"\b([a-z0-9][a-z0-9-]*\.azurecr\.(?:io|cn|us))\b", re.I)
_MAX_INSTANCES = 32  # instances read per count/for_each; a larger for_each is uncertain


@frozen
class Module:
    """The configuration of one directory (all its ``.tf`` / ``.tf.json`` files)."""

    directory: str  # display path of the directory, for messages
    variables: Mapping[str, Block]
    locals: Mapping[str, Attribute]
    outputs: Mapping[str, Block]
    resources: tuple[Block, ...]
    data: tuple[Block, ...]
    calls: tuple[Block, ...]  # module blocks

    @classmethod
    def of(cls, directory: str, blocks: Sequence[Block]) -> Module:
        variables: dict[str, Block] = {}
        locals_: dict[str, Attribute] = {}
        outputs: dict[str, Block] = {}
        resources: list[Block] = []
        data: list[Block] = []
        calls: list[Block] = []
        for block in blocks:
            labels = block.labels
            if block.type == "variable" and len(labels) == 1:
                variables[labels[0]] = block
            elif block.type == "locals":
                locals_.update(block.body.attributes)
            elif block.type == "output" and len(labels) == 1:
                outputs[labels[0]] = block
            elif block.type == "resource" and len(labels) == 2:
                resources.append(block)
            elif block.type == "data" and len(labels) == 2:
                data.append(block)
            elif block.type == "module" and len(labels) == 1:
                calls.append(block)
        return cls(
            directory, variables, locals_, outputs, tuple(resources), tuple(data), tuple(calls)
        )


def address(block: Block) -> str:
    return ".".join(block.labels)


def meta_instances(body: Body, scope: Scope) -> list[tuple[Scope, bool]]:
    """The instances a resource or module block declares through ``count`` / ``for_each``."""
    found = instances(body.expr("count"), "count", scope)
    if found is None:
        found = instances(body.expr("for_each"), "for_each", scope)
    return [(scope, True)] if found is None else found


def resource_type_of(block: Block, scope: Scope) -> str:
    """``azurerm_*`` type, or for azapi the ARM type in lower case (``microsoft.x/y``)."""
    kind = block.labels[0]
    if kind.startswith("azapi_"):
        type_expr = block.body.expr("type")
        text = evaluate(type_expr, scope).text() if type_expr else None
        return text.split("@", 1)[0].lower() if text else ""
    return kind


class Instance:
    """One use of a module: where its variables come from and how its symbols are named.

    ``load_child`` (supplied by the loader, which does the file I/O) instantiates a module call
    of this instance, returning an :class:`Instance`, a :class:`KnownCall` for a module from
    acr-trusted's table, or ``None`` when the module is not available.
    """

    def __init__(
        self,
        module: Module,
        *,
        root_path: str,
        label: str,
        inputs: Mapping[str, Value] | None = None,
        input_exprs: Mapping[str, tuple[Expr, Scope]] | None = None,
        parent: Instance | None = None,
        call: Block | None = None,
        load_child: Callable[[Instance, Block], Instance | KnownCall | None] | None = None,
        depth: int = 0,
    ) -> None:
        self.module = module
        self.root_path = root_path
        self.label = label  # "module '../../'" for notes; "" for the root
        self.inputs = dict(inputs or {})
        self.input_exprs = dict(input_exprs or {})
        self.parent = parent
        self.call = call
        self.load_child = load_child
        self.depth = depth
        self.conditional = False  # the module call has a count/for_each we cannot decide
        self.anchored = True  # report at the root call site (False: plan modules keep spans)
        self._vars: dict[str, Value] = {}
        self._locals: dict[str, Value] = {}
        self._busy: set[str] = set()
        self._children: dict[str, Instance | KnownCall | None] = {}
        self._registry_addresses: frozenset[str] | None = None

    @property
    def anchor(self) -> Span | None:
        """Where this instance's findings are reported in the linted file: its root call site."""
        if self.parent is None or self.call is None or not self.anchored:
            return None
        return self.parent.anchor or self.call.span

    @property
    def call_symbol(self) -> str:
        return f"module.{self.call.labels[0]}" if self.call else ""

    def scope(self, **iterators: Value) -> Scope:
        return Scope(self, iterators)

    def child(self, name: str) -> Instance | KnownCall | None:
        if name not in self._children:
            self._children[name] = None  # a module that (indirectly) calls itself
            block = next((c for c in self.module.calls if c.labels[0] == name), None)
            if block is not None and self.load_child is not None and self.depth < 8:
                self._children[name] = self.load_child(self, block)
        return self._children[name]

    def registry_addresses(self) -> frozenset[str]:
        """Inner addresses that declare registries: resources and module calls."""
        if self._registry_addresses is None:
            self._registry_addresses = frozenset()  # guards recursion while computing
            found = {
                address(b) for b in self.module.resources if self._is_registry(b, self.scope())
            }
            for call in self.module.calls:
                child = self.child(call.labels[0])
                if isinstance(child, KnownCall) or (
                    isinstance(child, Instance) and child.registry_count() > 0
                ):
                    found.add(f"module.{call.labels[0]}")
            self._registry_addresses = frozenset(found)
        return self._registry_addresses

    @staticmethod
    def _is_registry(block: Block, scope: Scope) -> bool:
        kind = resource_type_of(block, scope)
        return kind == "azurerm_container_registry" or (
            block.labels[0] == "azapi_resource" and kind == REGISTRY_TYPE
        )

    def registry_count(self) -> int:
        count = 0
        for inner in self.registry_addresses():
            child = self.child(inner[len("module.") :]) if inner.startswith("module.") else None
            count += child.registry_count() if isinstance(child, Instance) else 1
        return count

    def public(self, inner: str) -> str:
        """The symbol of an inner address as the linted file knows it.

        The root's symbols are its addresses; a module call's registries are
        ``module.<name>`` when the module declares one registry, else ``module.<name>.<address>``.
        """
        if self.parent is None:
            return inner
        if self.registry_count() == 1:
            return self.parent.public(self.call_symbol)
        return self.parent.public(f"{self.call_symbol}.{inner}")

    def consumer_symbol(self, inner: str) -> str:
        if self.parent is None:
            return inner
        return self.parent.consumer_symbol(f"{self.call_symbol}.{inner}")

    # -- values ---------------------------------------------------------------------------

    def var(self, name: str) -> Value:
        if name not in self._vars:
            self._vars[name] = self._resolve_var(name)
        return self._vars[name]

    def _resolve_var(self, name: str) -> Value:
        declaration = self.module.variables.get(name)
        given = self.inputs.get(name)
        body = declaration.body if declaration else None
        nullable_expr = body.expr("nullable") if body else None
        nullable = E.truthy(evaluate(nullable_expr, self.scope())) if nullable_expr else True
        default_expr = body.expr("default") if body else None
        value: Value
        if given is not None and not (given.known and given.value is None and nullable is False):
            value = given
        elif default_expr is not None:
            where = f"{self.label} " if self.label else ""
            note = (
                f"the default of {'input' if self.label else 'variable'} '{name}' "
                f"{('of ' + where) if where else ''}({default_expr.span})"
            )
            origin = Origin(OriginKind.PARAMETER_DEFAULT, name, default_expr.span, note)
            value = with_origin(evaluate(default_expr, self.scope()), origin)
        else:
            origin = Origin(
                OriginKind.PARAMETER_VALUE, name, declaration.span if declaration else None
            )
            return Value.unknown(f"var.{name}", origin=origin, depends_on=(name,))
        type_expr = body.expr("type") if body else None
        if type_expr is not None:
            value = apply_type_defaults(type_expr, value, self.scope(), name)
        return evolve(value, depends_on=value.depends_on | {name})

    def local(self, name: str) -> Value:
        if name in self._locals:
            return self._locals[name]
        attribute = self.module.locals.get(name)
        if attribute is None or name in self._busy:
            return Value.unknown(f"local.{name}")
        self._busy.add(name)
        try:
            value = evaluate(attribute.expr, self.scope())
        finally:
            self._busy.discard(name)
        if value.origin.kind is OriginKind.LITERAL or attribute.expr.kind is Kind.OBJECT:
            # an object's literal members take this origin too (evaluate.member), as in ARM
            value = with_origin(
                value, Origin(OriginKind.VARIABLE, f"local.{name}", attribute.expr.span)
            )
        self._locals[name] = value
        return value

    def output(self, name: str) -> Value:
        block = self.module.outputs.get(name)
        expr = block.body.expr("value") if block else None
        if expr is None or f"output.{name}" in self._busy:
            return Value.unknown(f"module output {name}")
        self._busy.add(f"output.{name}")
        try:
            return evaluate(expr, self.scope())
        finally:
            self._busy.discard(f"output.{name}")

    def data_name(self, data_type: str, name: str) -> str | None:
        block = next((d for d in self.module.data if d.labels == (data_type, name)), None)
        expr = block.body.expr("name") if block else None
        return evaluate(expr, self.scope()).text() if expr else None


@frozen
class KnownCall:
    """A module call answered from acr-trusted's table (see :mod:`known_modules`)."""

    source: str
    inputs: Mapping[str, Value]
    conditional: bool = False


@frozen
class Scope:
    """Where an expression is evaluated: its module instance and the iterators in force.

    ``sources`` keeps, per ``for_each`` iterator, the collection it walks and that collection's
    scope, so that ``each.value.id`` links to the registry a ``for_each =
    azurerm_container_registry.acr`` chains from even when the collection is unknown.
    """

    instance: Instance
    iterators: Mapping[str, Value]
    sources: Mapping[str, tuple[Expr, Scope]] = {}

    def bind(self, name: str, value: Value, source: tuple[Expr, Scope] | None = None) -> Scope:
        sources = self.sources
        if source is not None:
            sources = {**sources, name: source}
        elif name in sources:
            sources = {k: v for k, v in sources.items() if k != name}
        return Scope(self.instance, {**self.iterators, name: value}, sources)


def with_origin(value: Value, origin: Origin) -> Value:
    """Give ``value`` and every Value nested in it the same origin (where it was declared).

    A nested value written in place (``network_rule_bypass_option = "None"`` inside an object
    default) is declared where it is written, so its origin points there, not at the object.
    """

    def deep(data: Any, top: bool) -> Any:
        if isinstance(data, Value):
            own = origin
            if not top and data.span is not None and data.span != origin.span:
                note = origin.note.replace(f"({origin.span})", f"({data.span})")
                own = evolve(origin, span=data.span, note=note)
            return evolve(data, value=deep(data.value, False), origin=own)
        if isinstance(data, list):
            return [deep(v, False) for v in data]
        if isinstance(data, dict):
            return {k: deep(v, False) for k, v in data.items()}
        return data

    result: Value = deep(value, True)
    return result


def iteration(key: Any, element: Any) -> Value:
    """The value of ``each`` / a dynamic block iterator: ``.key`` and ``.value``."""
    wrap = element if isinstance(element, Value) else Value.of(element)
    return Value.of({"key": Value.of(key), "value": wrap})


def instances(
    expr: Expr | None, kind: str, scope: Scope, iterator: str = "each"
) -> list[tuple[Scope, bool]] | None:
    """The scopes of each instance a ``count``/``for_each`` creates, and whether it is certain.

    ``None`` when there is no meta-argument (one certain instance). An unknown collection
    gives one uncertain instance whose iterator is unknown; an empty one gives none.
    ``iterator`` names the iteration variable (``each``, or a dynamic block's iterator).
    """
    if expr is None:
        return None
    value = evaluate(expr, scope)
    name = "count" if kind == "count" else iterator
    undecided = Value.unknown(expr.text, expr.span, depends_on=value.depends_on)
    source = None if kind == "count" else (expr, scope)
    if not value.known:
        return [(scope.bind(name, undecided, source), False)]
    data = value.value
    if kind == "count":
        number = E.plain(value)
        if isinstance(number, bool) or not isinstance(number, (int, float)):
            return [(scope.bind(name, undecided), False)]
        indexes = range(int(number))
        elements: list[tuple[Any, Any]] = [(i, Value.of({"index": Value.of(i)})) for i in indexes]
        return [(scope.bind(name, v), True) for _, v in elements[:_MAX_INSTANCES]]
    if isinstance(data, Mapping):
        pairs: list[tuple[Any, Any]] = list(data.items())
    elif isinstance(data, list):
        pairs = [(E.plain(v) if isinstance(v, Value) else v, v) for v in data]
    elif data is None:
        pairs = []
    else:
        return [(scope.bind(name, undecided), False)]
    certain = len(pairs) <= _MAX_INSTANCES
    return [(scope.bind(name, iteration(k, v), source), certain) for k, v in pairs[:_MAX_INSTANCES]]


# -- evaluation ---------------------------------------------------------------------------


def evaluate(expr: Expr | None, scope: Scope, *, strict: bool = False) -> Value:
    """The value of ``expr``; with ``strict``, raise where Terraform would fail (for ``try``)."""
    if expr is None:
        return Value.absent()
    handler = _HANDLERS.get(expr.kind)
    if handler is None:
        return Value.unknown(expr.text, expr.span)
    return handler(expr, scope, strict)


def _literal(expr: Expr, scope: Scope, strict: bool) -> Value:
    return Value.of(expr.value, expr.span, expression=expr.text)


def _template(expr: Expr, scope: Scope, strict: bool) -> Value:
    if len(expr.children) == 1 and expr.text.startswith('"${') and expr.text.endswith('}"'):
        return evaluate(expr.children[0], scope, strict=strict)  # "${x}" is x, as in Terraform
    parts = [evaluate(c, scope, strict=strict) for c in expr.children]
    return E.interpolate(parts, span=expr.span, expression=expr.text)


def _tuple(expr: Expr, scope: Scope, strict: bool) -> Value:
    items = [evaluate(c, scope, strict=strict) for c in expr.children]
    return E.computed(items, items, expression=expr.text, span=expr.span)


def _object(expr: Expr, scope: Scope, strict: bool) -> Value:
    members: dict[str, Value] = {}
    for key_expr, value_expr in zip(expr.keys, expr.children, strict=True):
        key = evaluate(key_expr, scope, strict=strict)
        text = _key_text(key)
        if text is None:
            return Value.unknown(expr.text, expr.span, depends_on=key.depends_on)
        members[text] = evaluate(value_expr, scope, strict=strict)
    return E.computed(members, list(members.values()), expression=expr.text, span=expr.span)


def _key_text(key: Value) -> str | None:
    """An object key as Terraform converts it: numbers and bools become strings."""
    return E.to_string(key, span=None).text()


def _elements(collection: Value) -> list[tuple[Any, Value]] | None:
    """(key, element) pairs of a known list (by index) or map (by key, in lexical order)."""
    data = collection.value
    if isinstance(data, list):
        pairs: list[tuple[Any, Any]] = list(enumerate(data))
    elif isinstance(data, Mapping):
        pairs = sorted(data.items())
    else:
        return None
    return [(k, v if isinstance(v, Value) else Value.of(v)) for k, v in pairs]


def _for(expr: Expr, scope: Scope, strict: bool) -> Value:
    """``[for k, v in c : r if cond]`` / ``{for ... : k => v...}`` over a known collection."""
    clause: ForClause = expr.value
    collection = evaluate(expr.children[0], scope, strict=strict)
    pairs = _elements(collection) if collection.known else None
    if pairs is None:
        if strict and collection.known:
            raise E.EvaluationError(expr.text)  # iterating over null or a scalar fails
        return E.unknown_from((collection,), expression=expr.text, span=expr.span)
    result, condition = expr.children[1], expr.children[2] if clause.conditional else None
    used: list[Value] = [collection]
    items: list[Value] = []
    members: dict[str, Any] = {}
    for key, element in pairs:
        inner = scope.bind(clause.value_var, element)
        if clause.key_var is not None:
            inner = inner.bind(clause.key_var, Value.of(key))
        if condition is not None:
            keep = evaluate(condition, inner, strict=strict)
            used.append(keep)
            if E.truthy(keep) is None:
                return E.unknown_from(used, expression=expr.text, span=expr.span)
            if not E.truthy(keep):
                continue
        item = evaluate(result, inner, strict=strict)
        items.append(item)
        if not expr.keys:
            continue
        name = evaluate(expr.keys[0], inner, strict=strict)
        used.append(name)
        text = _key_text(name)
        if text is None or (text in members and not clause.grouped):
            return E.unknown_from(used, expression=expr.text, span=expr.span)
        if clause.grouped:
            members.setdefault(text, []).append(item)
        else:
            members[text] = item
    used.extend(items)
    if not expr.keys:
        return E.computed(items, used, expression=expr.text, span=expr.span)
    if clause.grouped:
        members = {
            k: E.computed(v, v, expression=expr.text, span=expr.span) for k, v in members.items()
        }
    return E.computed(members, used, expression=expr.text, span=expr.span)


def _splat(expr: Expr, scope: Scope, strict: bool) -> Value:
    """``src[*].a``: the traversal for each element; null is ``[]``, another value ``[src]``."""
    source = evaluate(expr.children[0], scope, strict=strict)
    if not source.known:
        return E.unknown_from((source,), expression=expr.text, span=expr.span)
    data = source.value
    if data is None:
        elements: list[Value] = []
    elif isinstance(data, list):
        elements = [v if isinstance(v, Value) else Value.of(v) for v in data]
    else:
        elements = [source]
    items = [evaluate(expr.children[1], scope.bind(SPLAT_ITEM, e), strict=strict) for e in elements]
    return E.computed(items, [source, *items], expression=expr.text, span=expr.span)


def _conditional(expr: Expr, scope: Scope, strict: bool) -> Value:
    condition, when_true, when_false = (evaluate(c, scope, strict=strict) for c in expr.children)
    result = E.ternary(condition, when_true, when_false, span=expr.span)
    return result if result.known else evolve(result, expression=expr.text)


def _unary(expr: Expr, scope: Scope, strict: bool) -> Value:
    operand = evaluate(expr.children[0], scope, strict=strict)
    if expr.value == "!":
        result = E.not_(operand, span=expr.span)
    else:
        result = E.arithmetic(Value.of(0), "-", operand, span=expr.span)
    return evolve(result, expression=expr.text)


def _binary(expr: Expr, scope: Scope, strict: bool) -> Value:
    left, right = (evaluate(c, scope, strict=strict) for c in expr.children)
    operator = expr.value
    if operator in ("==", "!="):
        result = E.equals(left, right, negate=operator == "!=", span=expr.span)
    elif operator == "&&":
        result = E.and_(left, right, span=expr.span)
    elif operator == "||":
        result = E.or_(left, right, span=expr.span)
    elif operator in ("<", "<=", ">", ">="):
        result = E.compare(left, operator, right, span=expr.span)
    else:
        result = E.arithmetic(left, operator, right, span=expr.span)
    return evolve(result, expression=expr.text)


def _name(expr: Expr, scope: Scope, strict: bool) -> Value:
    if expr.value in scope.iterators:
        return scope.iterators[expr.value]
    return Value.unknown(expr.text, expr.span)


def traversal(expr: Expr) -> tuple[str, list[str | Expr]] | None:
    """``var.a.b[0]`` as ("var", ["a", "b", <0>]); ``None`` when it does not start at a name."""
    steps: list[str | Expr] = []
    node = expr
    while node.kind in (Kind.ATTR, Kind.INDEX):
        steps.append(node.value if node.kind is Kind.ATTR else node.children[1])
        node = node.children[0]
    if node.kind is not Kind.NAME:
        return None
    return str(node.value), steps[::-1]


def _step(container: Value, step: str | Expr, expr: Expr, scope: Scope, strict: bool) -> Value:
    if isinstance(step, Expr):
        key = evaluate(step, scope, strict=strict)
        if not key.known or not isinstance(key.value, (str, int)) or isinstance(key.value, bool):
            return E.unknown_from((container, key), expression=expr.text, span=expr.span)
        step_key: str | int = key.value
    else:
        step_key = step
    data = container.value
    if strict and container.known:
        missing = (
            data is None
            or (isinstance(data, Mapping) and step_key not in data)
            or (isinstance(data, list) and not _in_range(data, step_key))
        )
        if missing:
            raise E.EvaluationError(expr.text)
    if isinstance(data, list) and isinstance(step_key, str) and step_key.isdigit():
        step_key = int(step_key)
    return E.member(container, step_key, span=expr.span)


def _in_range(data: list[Any], key: str | int) -> bool:
    return isinstance(key, int) and -len(data) <= key < len(data)


def _traverse(expr: Expr, scope: Scope, strict: bool) -> Value:
    path = traversal(expr)
    if path is None:
        base = expr.children[0]
        step: str | Expr = expr.value if expr.kind is Kind.ATTR else expr.children[1]
        return _step(evaluate(base, scope, strict=strict), step, expr, scope, strict)
    root, steps = path
    instance = scope.instance
    value: Value
    rest: list[str | Expr]
    first = steps[0] if steps and isinstance(steps[0], str) else None
    if root == "var" and first:
        value, rest = instance.var(first), steps[1:]
    elif root == "local" and first:
        value, rest = instance.local(first), steps[1:]
    elif root in scope.iterators:
        value, rest = scope.iterators[root], steps
    elif root == "module" and first and len(steps) > 1 and isinstance(steps[1], str):
        child = instance.child(first)
        value = child.output(steps[1]) if isinstance(child, Instance) else Value.unknown(expr.text)
        rest = steps[2:]
    else:  # another resource, a data source, path.module, terraform.workspace, self
        return Value.unknown(expr.text, expr.span)
    for step in rest:
        value = _step(value, step, expr, scope, strict)
    if not value.known:
        return evolve(value, expression=expr.text, span=value.span or expr.span)
    return value


def _call(expr: Expr, scope: Scope, strict: bool) -> Value:
    name = str(expr.value).rsplit("::", 1)[-1]
    span = expr.span
    if name == "try":
        attempts = [(lambda c=c: evaluate(c, scope, strict=True)) for c in expr.children]
        return E.try_(attempts, span=span)
    if name == "can":
        try:
            result = evaluate(expr.children[0], scope, strict=True) if expr.children else None
        except E.EvaluationError:
            return Value.of(False, span, expression=expr.text, origin=E.COMPUTED)
        if result is None or not result.known:
            return Value.unknown(expr.text, span)
        return Value.of(True, span, expression=expr.text, origin=E.COMPUTED)
    args = [evaluate(c, scope, strict=strict) for c in expr.children]
    function = _FUNCTIONS.get(name)
    result = function(args, span) if function else None
    if result is None:
        return E.unknown_from(args, expression=expr.text, span=span)
    return result if result.known else evolve(result, expression=expr.text)


def _one(op: Callable[..., Value]) -> Callable[[list[Value], Span], Value | None]:
    def apply(args: list[Value], span: Span) -> Value | None:
        return op(args[0], span=span) if len(args) == 1 else None

    return apply


def _json_encode(args: list[Value], span: Span) -> Value | None:
    if len(args) != 1 or not args[0].known:
        return None
    text = json.dumps(E.plain(args[0]), separators=(",", ":"))
    return E.computed(text, args, expression="jsonencode(...)", span=span)


def _json_decode(args: list[Value], span: Span) -> Value | None:
    text = args[0].text() if len(args) == 1 else None
    if text is None:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return E.computed(data, args, expression="jsondecode(...)", span=span)


def _str_contains(args: list[Value], span: Span) -> Value | None:
    """``strcontains(string, substr)``: case-sensitive, as Terraform compares (the AVM modules'
    role assignments pick role_definition_id or _name with it)."""
    if len(args) != 2 or not all(a.known and isinstance(a.value, str) for a in args):
        return None
    return E.contains(args[0], args[1], span=span)


def _identity(args: list[Value], span: Span) -> Value | None:
    return args[0] if len(args) == 1 else None


def _map_part(part: str) -> Callable[[list[Value], Span], Value | None]:
    """``keys(map)`` / ``values(map)``: in lexical key order, as Terraform returns them."""

    def apply(args: list[Value], span: Span) -> Value | None:
        data = args[0].value if len(args) == 1 and args[0].known else None
        if not isinstance(data, Mapping):
            return None
        ordered = sorted(data)
        items = ordered if part == "keys" else [data[k] for k in ordered]
        return E.computed(items, args, expression=f"{part}(...)", span=span)

    return apply


_FUNCTIONS: dict[str, Callable[[list[Value], Span], Value | None]] = {
    "coalesce": lambda args, span: E.coalesce(args, span=span),
    "merge": lambda args, span: E.union(args, span=span),
    "concat": lambda args, span: E.concat_arrays(args, span=span),
    "length": _one(E.length),
    "lower": _one(E.to_lower),
    "upper": _one(E.to_upper),
    "tobool": _one(E.to_bool),
    "tostring": _one(E.to_string),
    "tolist": _identity,
    "toset": _identity,
    "tomap": _identity,
    "keys": _map_part("keys"),
    "values": _map_part("values"),
    "jsonencode": _json_encode,
    "jsondecode": _json_decode,
    "contains": lambda args, span: (
        E.contains(args[0], args[1], span=span) if len(args) == 2 else None
    ),
    "strcontains": _str_contains,
    "lookup": lambda args, span: (
        E.lookup(args[0], args[1], args[2] if len(args) == 3 else None, span=span)
        if len(args) in (2, 3)
        else None
    ),
}

_HANDLERS: dict[Kind, Callable[[Expr, Scope, bool], Value]] = {
    Kind.LITERAL: _literal,
    Kind.TEMPLATE: _template,
    Kind.TUPLE: _tuple,
    Kind.OBJECT: _object,
    Kind.CONDITIONAL: _conditional,
    Kind.UNARY: _unary,
    Kind.BINARY: _binary,
    Kind.NAME: _name,
    Kind.ATTR: _traverse,
    Kind.INDEX: _traverse,
    Kind.CALL: _call,
    Kind.FOR: _for,
    Kind.SPLAT: _splat,
}


# -- variable types -------------------------------------------------------------------------


def apply_type_defaults(type_expr: Expr, value: Value, scope: Scope, name: str) -> Value:
    """Fill ``optional(type, default)`` attributes that ``value`` leaves out, as Terraform does."""
    if not value.known or value.value is None or type_expr.kind is not Kind.CALL:
        return value
    function, args = type_expr.value, type_expr.children
    data = value.value
    if function == "object" and len(args) == 1 and args[0].kind is Kind.OBJECT:
        if not isinstance(data, Mapping):
            return value
        members: dict[str, Any] = dict(data)
        for key_expr, attr_type in zip(args[0].keys, args[0].children, strict=True):
            key = str(key_expr.value)
            inner, default = attr_type, None
            if attr_type.kind is Kind.CALL and attr_type.value == "optional":
                inner = attr_type.children[0] if attr_type.children else attr_type
                default = attr_type.children[1] if len(attr_type.children) > 1 else None
            current = members.get(key)
            if current is None:
                if default is None:
                    members[key] = Value.of(None, origin=Origin(OriginKind.ABSENT))
                    continue
                note = f"the default of '{key}' in the type of '{name}' ({default.span})"
                origin = Origin(OriginKind.PARAMETER_DEFAULT, f"{name}.{key}", default.span, note)
                current = with_origin(evaluate(default, scope), origin)
            elif not isinstance(current, Value):
                current = Value.of(current)
            members[key] = apply_type_defaults(inner, current, scope, name)
        return evolve(value, value=members)
    if function in ("list", "set", "map") and len(args) == 1:

        def element(v: Any) -> Value:
            return apply_type_defaults(
                args[0], v if isinstance(v, Value) else Value.of(v), scope, name
            )

        if isinstance(data, list):
            return evolve(value, value=[element(v) for v in data])
        if isinstance(data, Mapping) and function == "map":
            return evolve(value, value={k: element(v) for k, v in data.items()})
    return value


# -- links ----------------------------------------------------------------------------------


def registry_links(expr: Expr | None, scope: Scope, depth: int = 0) -> list[RegistryLink]:
    """The registries ``expr`` refers to (public symbols, or names via data sources)."""
    if expr is None or depth > 12:
        return []
    found: list[RegistryLink] = []
    path = traversal(expr) if expr.kind in (Kind.ATTR, Kind.INDEX) else None
    if path is None:
        for child in (*expr.keys, *expr.children):
            found.extend(registry_links(child, scope, depth + 1))
        return found
    root, steps = path
    instance = scope.instance
    first = steps[0] if steps and isinstance(steps[0], str) else None
    for step in steps:
        if isinstance(step, Expr):
            found.extend(registry_links(step, scope, depth + 1))
    if first is None:
        return found
    if root == "var" and first in instance.input_exprs:
        parent_expr, parent_scope = instance.input_exprs[first]
        found.extend(registry_links(parent_expr, parent_scope, depth + 1))
    elif root == "local" and first in instance.module.locals:
        found.extend(registry_links(instance.module.locals[first].expr, scope, depth + 1))
    elif root == "module":
        found.extend(_module_links(instance, first, steps[1:], depth))
    elif first == "value" and root in scope.sources:
        collection, outer = scope.sources[root]
        found.extend(registry_links(collection, outer, depth + 1))
    elif root == "data" and len(steps) > 1 and isinstance(steps[1], str):
        if steps[0] == "azurerm_container_registry":
            name = instance.data_name("azurerm_container_registry", steps[1])
            if name:
                found.append(RegistryLink(name=name))
    elif f"{root}.{first}" in instance.registry_addresses():
        found.append(RegistryLink(symbol=instance.public(f"{root}.{first}")))
    return found


def _module_links(
    instance: Instance, name: str, steps: list[str | Expr], depth: int
) -> list[RegistryLink]:
    child = instance.child(name)
    if isinstance(child, KnownCall):
        return [RegistryLink(symbol=instance.public(f"module.{name}"))]
    if not isinstance(child, Instance):
        return []
    output = steps[0] if steps and isinstance(steps[0], str) else None
    block = child.module.outputs.get(output) if output else None
    expr = block.body.expr("value") if block else None
    if expr is not None:
        return registry_links(expr, child.scope(), depth + 1)
    # No such output on disk: any registry the module declares is the best guess.
    return [RegistryLink(symbol=child.public(a)) for a in sorted(child.registry_addresses())][:1]


def link_from_text(text: str | None) -> RegistryLink:
    """A registry named by a resource ID or a login server in a string."""
    if not text:
        return RegistryLink()
    match = _REGISTRY_ID.search(text)
    if match:
        return RegistryLink(name=match.group(1))
    match = _LOGIN_SERVER.search(text)
    if match:
        return RegistryLink(login_server=match.group(1).lower())
    return RegistryLink()


def link_of(expr: Expr | None, scope: Scope) -> RegistryLink:
    """The registry an attribute points at: by reference first, else by the string it holds."""
    links = registry_links(expr, scope)
    if links:
        return links[0]
    return link_from_text(evaluate(expr, scope).text() if expr else None)


def public_access(value: Value) -> Value:
    """Terraform's ``public_network_access_enabled`` (bool) as ARM's ``publicNetworkAccess``."""
    if not value.known:
        return evolve(value, alternatives=tuple(public_access(v) for v in value.alternatives))
    flag = E.truthy(value)
    if flag is None:  # null: the provider default applies
        return value
    return evolve(value, value="Enabled" if flag else "Disabled")
