"""Evaluate Bicep expressions to :class:`~acr_trusted.lint.model.Value` objects.

Bicep syntax is translated into calls of the shared evaluator (:mod:`acr_trusted.lint.evaluate`).
What the evaluator cannot know (a parameter without default, ``uniqueString()``, a resource's
runtime property) is an unknown Value; evaluation never raises for such things.

References to declared resources and modules (``acr.id``, ``acr.properties.loginServer``,
``'${acr.name}/task'``, ``mod.outputs.resourceId``, ``resourceId('...registries', 'x')``) are
unknown Values whose ``value`` is a :class:`Ref`: what they point at, so the loader can link a
consumer to its registry. A Ref belongs to the scope (file evaluation) it was made in; the loader
translates Refs that leave a module through its outputs.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from acr_trusted.lint import evaluate as ev
from acr_trusted.lint.bicep_syntax import (
    BicepSyntaxError,
    Resource,
    SourceFile,
    Template,
    parse_hole,
    string_parts,
    unescape,
)
from acr_trusted.lint.model import Origin, OriginKind, RegistryLink, Span, Value
from acr_trusted.records import evolve, frozen

REGISTRY_TYPE = "microsoft.containerregistry/registries"
_SCOPES = itertools.count(1)


def new_scope_id() -> int:
    return next(_SCOPES)


@frozen
class Ref:
    """What an unknown value points at: a resource or module (``link``) and which attribute."""

    link: RegistryLink
    attribute: str = ""  # "" (the resource itself), "id", "name", "properties.loginServer", ...
    resource_type: str = ""  # lower-case type of the referenced resource, when known
    scope: int = 0  # the evaluation the symbol in ``link`` belongs to (0: by name, any scope)

    def extend(self, key: str | int) -> Ref:
        attribute = f"{self.attribute}.{key}" if self.attribute else str(key)
        return evolve(self, attribute=attribute)


def qualify(scope: int, symbol: str) -> str:
    """Symbols are unique per evaluation while loading: ``@<scope>:<symbol>``."""
    return f"@{scope}:{symbol}"


def link_of(value: Value) -> RegistryLink:
    """How ``value`` names a registry: a reference, a resource ID, a login server or a name."""
    ref = ref_of(value)
    if ref is not None:
        if ref.link.symbol and ref.scope:
            return RegistryLink(symbol=qualify(ref.scope, ref.link.symbol))
        return ref.link
    text = value.text()
    if not text:
        return RegistryLink()
    found = _REGISTRY_ID.search(text)
    if found:
        return RegistryLink(name=found.group(1))
    server = _LOGIN_SERVER.search(text)
    if server:
        return RegistryLink(login_server=server.group(0).lower())
    if re.fullmatch(r"[A-Za-z0-9]{5,50}", text):
        return RegistryLink(name=text)
    return RegistryLink()


_REGISTRY_ID = re.compile(r"microsoft\.containerregistry/registries/([^/]+)", re.IGNORECASE)
_LOGIN_SERVER = re.compile(r"[a-z0-9-]+\.azurecr\.io", re.IGNORECASE)


def ref_of(value: Value) -> Ref | None:
    """The reference a value carries, itself or in an undecided ternary's branches."""
    if isinstance(value.value, Ref) and not value.known:
        return value.value
    for alternative in value.alternatives:
        found = ref_of(alternative)
        if found is not None:
            return found
    return None


def with_ref(ref: Ref, span: Span | None, expression: str, sources: Sequence[Value]) -> Value:
    depends: frozenset[str] = frozenset()
    for s in sources:
        depends |= s.depends_on
    return Value(False, ref, span, expression, Origin(OriginKind.COMPUTED), depends)


class Obj(dict[str, Value]):
    """An evaluated object literal; ``key_values`` keeps the Values of its (interpolated) keys."""

    key_values: dict[str, Value]


Host = Callable[[str, str], Value | None]
"""Loader services: ``host("module-output", "mod.outputs.x")`` / ``host("read", "./f.ps1")``."""


class Evaluator:
    """Evaluates one template's expressions with given parameter values (lazy, memoised)."""

    MAX_DEPTH = 200

    def __init__(
        self,
        template: Template,
        supplied: Mapping[str, Value],
        *,
        host: Host,
        scope: int | None = None,
    ) -> None:
        self.template = template
        self.source: SourceFile = template.source
        self.supplied = supplied
        self.host = host
        self.scope = scope if scope is not None else new_scope_id()
        self._params: dict[str, Value] = {}
        self._undecided_params: set[str] = set()  # unknown from the declaration, not a value
        self._vars: dict[str, Value] = {}
        self._active: set[str] = set()
        self._names: dict[str, Value] = {}
        self._depth = 0

    # ---- declarations

    def param(self, name: str) -> Value:
        if name in self._params:
            return self._params[name]
        if name in self._active:
            return Value.unknown(name)
        self._active.add(name)
        try:
            value = self._param(name)
        finally:
            self._active.discard(name)
        self._params[name] = value
        return value

    def _param(self, name: str) -> Value:
        decl = self.template.params[name]
        given = self.supplied.get(name)
        if given is not None and not (given.known and ev.plain(given) is None):
            return evolve(given, depends_on=given.depends_on | {name})
        if decl.default is None:
            if decl.nullable or given is not None:
                origin = Origin(OriginKind.PARAMETER_DEFAULT, name, decl.span)
                return Value.of(None, decl.span, expression=name, origin=origin, depends_on=[name])
            self._undecided_params.add(name)
            note = (
                f"parameter '{name}' ({decl.span.path}:{decl.span.line}), "
                "which has no default and no value given"
            )
            origin = Origin(OriginKind.PARAMETER_VALUE, name, decl.span, note)
            return Value.unknown(name, decl.span, origin=origin, depends_on=[name])
        value = self.value(decl.default, {})
        span = value.span or self.source.span_of(decl.default)
        note = f"the default of '{name}' ({span.path}:{span.line})"
        origin = Origin(OriginKind.PARAMETER_DEFAULT, name, span, note)
        if not value.known:
            self._undecided_params.add(name)
        value = value.with_origin(origin)
        return evolve(value, depends_on=value.depends_on | {name})

    def _param_at(self, name: str, span: Span) -> Value:
        """A parameter where it is used: undecidable ones are reported there (ACRT099).

        Their origin keeps the declaration; values given by a caller keep their own place.
        """
        value = self.param(name)
        if name in self._undecided_params and not value.known:
            return evolve(value, span=span)
        if value.origin.kind is OriginKind.PARAMETER_DEFAULT and name not in self.supplied:
            # the declaration's default is reported where it is used, as in ARM and
            # Terraform; its origin names the default
            return evolve(value, span=span)
        return value

    def variable(self, name: str) -> Value:
        if name in self._vars:
            return self._vars[name]
        if name in self._active:
            return Value.unknown(name)
        self._active.add(name)
        try:
            value = self.value(self.template.variables[name], {})
        finally:
            self._active.discard(name)
        node = self.template.variables[name]
        written = getattr(node, "data", None)
        if written in _LITERALS | {"object"} and value.origin.kind is OriginKind.LITERAL:
            # an object's literal members take this origin too (evaluate.member), as in ARM
            value = value.with_origin(Origin(OriginKind.VARIABLE, name, value.span))
        self._vars[name] = value
        return value

    def resource_ref(self, resource: Resource) -> Ref:
        """What a resource symbol points at. An ``existing`` one is known by its name; an
        ``existing`` registry named by another registry's name (a registry module's ``name``
        output passed to a module, as azd's ``registry-access.bicep`` is called) is that one."""
        link = RegistryLink(symbol=resource.symbol)
        if resource.existing:
            named = self.property_of(resource, "name")
            same = ref_of(named)
            kind = resource.type.lower()
            if (
                same is not None
                and kind == REGISTRY_TYPE == same.resource_type
                and same.attribute in ("name", "outputs.name")
            ):
                return Ref(same.link, "", kind, same.scope)
            name = named.text()
            link = RegistryLink(name=name) if name else link
        scope = 0 if resource.existing else self.scope
        return Ref(link, "", resource.type.lower(), scope)

    def property_of(self, resource: Resource, key: str) -> Value:
        body, _, _ = unwrap_body(resource.body)
        return self.member(self.body_value(body, {}), key, None)

    def body_value(self, body: Any, env: Mapping[str, Value]) -> Value:
        cache_key = f"@body:{id(body)}"
        if not env and cache_key in self._names:
            return self._names[cache_key]
        value = self.value(body, env)
        if not env:
            self._names[cache_key] = value
        return value

    # ---- expressions

    def value(self, node: Any, env: Mapping[str, Value]) -> Value:
        if node is None:
            return Value.of(None)
        self._depth += 1
        try:
            if self._depth > self.MAX_DEPTH:
                return Value.unknown(self._text(node), self._span(node))
            return self._value(node, env)
        finally:
            self._depth -= 1

    def _span(self, node: Any, literal: bool = False) -> Span:
        return self.source.span_of(node, literal=literal)

    def _text(self, node: Any) -> str:
        """The node's source on one line: expressions end up in one-line messages."""
        return " ".join(self.source.source(node).split())

    def _value(self, node: Any, env: Mapping[str, Value]) -> Value:
        kind = getattr(node, "data", None)
        if kind is None:  # a bare token
            return self._token(node, env)
        handler = _HANDLERS.get(kind)
        if handler is None:
            return Value.unknown(self._text(node), self._span(node))
        return handler(self, node, env)

    def _token(self, token: Any, env: Mapping[str, Value]) -> Value:
        if token.type == "STRING":
            return self._string(token, env)
        if token.type == "NAME":
            return self.name(str(token), token, env)
        if token.type == "INT":
            return Value.of(int(token.value), self._span(token, True), expression=str(token))
        return Value.unknown(str(token), self._span(token))

    def _string(self, token: Any, env: Mapping[str, Value]) -> Value:
        raw = str(token)
        span = self._span(token, True)
        if "${" not in raw:
            return Value.of(unescape(raw[1:-1]), span, expression=raw)
        parts: list[Value] = []
        for kind, start, end in string_parts(token):
            text = self.source.text[start:end]
            if kind == "text":
                parts.append(Value.of(unescape(text), self.source.span(start, end)))
                continue
            try:
                hole = parse_hole(text, start, self.source)
            except BicepSyntaxError:
                parts.append(Value.unknown(text, self.source.span(start, end)))
                continue
            parts.append(self.value(hole.children[0] if hole.children else None, env))
        result = ev.interpolate(parts, span=self._span(token), expression=raw)
        if result.known:
            return result
        refs = [r for r in map(ref_of, parts) if r is not None]
        ref = next((r for r in refs if r.resource_type in (REGISTRY_TYPE, "module")), None)
        ref = ref or (refs[0] if refs else None)
        return with_ref(evolve(ref, attribute="text"), result.span, raw, parts) if ref else result

    def name(self, name: str, node: Any, env: Mapping[str, Value]) -> Value:
        span = self._span(node)
        if name in env:
            return env[name]
        template = self.template
        if name in template.params:
            return self._param_at(name, span)
        if name in template.variables:
            return self.variable(name)
        if name in template.resources:
            resource = template.resources[name]
            return with_ref(self.resource_ref(resource), span, name, ())
        if name in template.modules:
            ref = Ref(RegistryLink(symbol=name), "", "module", self.scope)
            return with_ref(ref, span, name, ())
        return Value.unknown(name, span)

    def member(self, container: Value, key: str | int, node: Any, *, safe: bool = False) -> Value:
        span = self._span(node) if node is not None else container.span
        expression = f"{container.expression}.{key}"
        ref = container.value if not container.known else None
        if isinstance(ref, Ref):
            return self._ref_member(ref, key, container, span, expression)
        if not container.known and container.alternatives:
            alternatives = tuple(
                self.member(a, key, node, safe=safe) for a in container.alternatives
            )
            result = ev.unknown_from((container,), expression=expression, span=span)
            return evolve(result, alternatives=alternatives)
        found = ev.member(container, key, span=span, safe=safe)
        if (
            container.origin.kind is OriginKind.PARAMETER_DEFAULT
            and found.origin.kind is OriginKind.PARAMETER_DEFAULT
            and found.span == found.origin.span
        ):
            return evolve(found, span=span)  # like the parameter itself: where it is used
        return found

    def _ref_member(
        self, ref: Ref, key: str | int, container: Value, span: Span | None, expression: str
    ) -> Value:
        symbol = ref.link.symbol
        if ref.attribute == "" and ref.resource_type == "module" and key == "outputs":
            return with_ref(ref.extend(key), span, expression, (container,))
        if ref.attribute == "outputs" and symbol and ref.scope == self.scope:
            found = self.host("module-output", f"{symbol}.{key}")
            if found is not None:
                return found
        if ref.attribute == "" and key == "name" and symbol in self.template.resources:
            name = self.property_of(self.template.resources[symbol], "name")
            if name.known and name.value is not None:
                return name
        return with_ref(ref.extend(key), span, expression, (container,))

    def call(self, name: str, args: list[Value], node: Any) -> Value:
        span = self._span(node)
        fn = _FUNCTIONS.get(name.lower())
        if fn is None:
            return ev.unknown_from(args, expression=self._text(node), span=span)
        return fn(self, args, span, self._text(node))


def lookup(evaluator: Evaluator, value: Value, path: str) -> Value | None:
    """``value.a.b``; ``None`` when absent (a missing key or a null on the way)."""
    current = value
    for key in path.split("."):
        if current.known:
            data = current.value
            if not isinstance(data, Mapping):
                return None if data is None else Value.unknown(f"{current.expression}.{key}")
            found = next((v for k, v in data.items() if k.lower() == key.lower()), None)
            if found is None:
                return None
            current = found if isinstance(found, Value) else Value.of(found)
        else:
            current = evaluator.member(current, key, None)
    return current


def unwrap_body(body: Any) -> tuple[Any, Any, Any]:
    """(object node, condition node or None, loop node or None) of a resource/module body."""
    loop = None
    condition = None
    node = body
    if getattr(node, "data", None) == "loop":
        loop = node
        node = node.children[-1]
    if getattr(node, "data", None) == "if_body":
        condition = node.children[0]
        node = node.children[1]
    return node, condition, loop


# ---- node handlers


def _object(self: Evaluator, node: Any, env: Mapping[str, Value]) -> Value:
    result = Obj()
    result.key_values = {}
    for child in node.children:
        kind = getattr(child, "data", None)
        if kind == "property":
            key_node, value_node = child.children[0], child.children[-1]
            key_value = _key(self, key_node, env)
            key = key_value.text() if key_value.known else None
            key = key if key is not None else self._text(key_node)
            result[key] = self.value(value_node, env)
            result.key_values[key] = key_value
        elif kind == "spread":
            spread = self.value(child.children[0], env)
            if spread.known and isinstance(spread.value, Mapping):
                for k, v in spread.value.items():
                    result[k] = v if isinstance(v, Value) else Value.of(v)
    return Value.of(result, self._span(node), expression="{...}")


def _key(self: Evaluator, node: Any, env: Mapping[str, Value]) -> Value:
    if getattr(node, "data", None) == "keyword":
        return Value.of(str(node.children[0]))
    if getattr(node, "type", None) == "STRING":
        return self._string(node, env)
    return Value.of(str(node), self._span(node))


def _array(self: Evaluator, node: Any, env: Mapping[str, Value]) -> Value:
    items: list[Value] = []
    for child in node.children:
        if getattr(child, "data", None) != "spread":
            items.append(self.value(child, env))
            continue
        spread = self.value(child.children[0], env)
        if not (spread.known and isinstance(spread.value, list)):
            expression = self._text(node)[:80]
            return ev.unknown_from((spread,), expression=expression, span=self._span(node))
        items.extend(v if isinstance(v, Value) else Value.of(v) for v in spread.value)
    return Value.of(items, self._span(node), expression=self._text(node)[:80])


def _loop(self: Evaluator, node: Any, env: Mapping[str, Value]) -> Value:
    names, items_node, body = node.children[0], node.children[1], node.children[2]
    items = self.value(items_node, env)
    span = self._span(node)
    expression = self._text(node)[:80]
    data = items.value if items.known else None
    if not isinstance(data, (list, Mapping)) or len(data) > 64:
        return ev.unknown_from((items,), expression=expression, span=span)
    out: list[Value] = []
    pairs = enumerate(data.values() if isinstance(data, Mapping) else data)
    for index, item in pairs:
        scope = dict(env)
        bind(scope, names, item, index)
        element = self.value(body, scope)
        out.append(element)
    return ev.computed(out, (items,), expression=expression, span=span)


def bind(env: dict[str, Value], names: Any, item: Any, index: int) -> None:
    """Bind ``x`` or ``(x, i)`` of a ``for`` loop."""
    tokens = [str(t) for t in names.children]
    env[tokens[0]] = item if isinstance(item, Value) else Value.of(item)
    if len(tokens) > 1:
        env[tokens[1]] = Value.of(index)


def _if_body(self: Evaluator, node: Any, env: Mapping[str, Value]) -> Value:
    condition = self.value(node.children[0], env)
    body = self.value(node.children[1], env)
    return ev.ternary(condition, body, Value.of(None), span=self._span(node))


def _conditional(self: Evaluator, node: Any, env: Mapping[str, Value]) -> Value:
    condition, a, b = (self.value(c, env) for c in node.children)
    return ev.ternary(condition, a, b, span=self._span(node))


def _binary(
    op: Callable[..., Value],
) -> Callable[[Evaluator, Any, Mapping[str, Value]], Value]:
    def handle(self: Evaluator, node: Any, env: Mapping[str, Value]) -> Value:
        left, right = (self.value(c, env) for c in node.children)
        return op(left, right, span=self._span(node))

    return handle


def _coalesce(self: Evaluator, node: Any, env: Mapping[str, Value]) -> Value:
    left, right = (self.value(c, env) for c in node.children)
    return _coalesced([left, right], self._span(node))


def _coalesced(values: list[Value], span: Span) -> Value:
    """``??`` / ``coalesce()``; a reference (a resource ID, a name) is never null."""
    for index, value in enumerate(values):
        if isinstance(value.value, Ref) and not value.known:
            if all(v.known and ev.plain(v) is None for v in values[:index]):
                return value
            break
    return ev.coalesce(values, span=span)


def _compare(self: Evaluator, node: Any, env: Mapping[str, Value]) -> Value:
    left_node, operator, right_node = node.children
    left, right = self.value(left_node, env), self.value(right_node, env)
    span = self._span(node)
    op = str(operator)
    if op in ("==", "=~", "!=", "!~"):
        return ev.equals(left, right, negate=op[0] == "!", ignore_case=op[1] == "~", span=span)
    return ev.compare(left, op, right, span=span)


def _arith(self: Evaluator, node: Any, env: Mapping[str, Value]) -> Value:
    left_node, operator, right_node = node.children
    left, right = self.value(left_node, env), self.value(right_node, env)
    return ev.arithmetic(left, str(operator), right, span=self._span(node))


def _not(self: Evaluator, node: Any, env: Mapping[str, Value]) -> Value:
    return ev.not_(self.value(node.children[0], env), span=self._span(node))


def _negate(self: Evaluator, node: Any, env: Mapping[str, Value]) -> Value:
    operand = self.value(node.children[0], env)
    return ev.arithmetic(Value.of(0), "-", operand, span=self._span(node))


def _property(self: Evaluator, node: Any, env: Mapping[str, Value], *, safe: bool = False) -> Value:
    container = self.value(node.children[0], env)
    key = node.children[-1]
    name = str(key.children[0]) if getattr(key, "data", None) == "keyword" else str(key)
    return self.member(container, name, node, safe=safe)


def _index(self: Evaluator, node: Any, env: Mapping[str, Value], *, safe: bool = False) -> Value:
    container = self.value(node.children[0], env)
    index = self.value(node.children[-1], env)
    key = index.value if index.known and isinstance(index.value, (str, int)) else None
    if key is None or isinstance(key, bool):
        return ev.unknown_from(
            (container, index), expression=self._text(node), span=self._span(node)
        )
    return self.member(container, key, node, safe=safe)


def _child_access(self: Evaluator, node: Any, env: Mapping[str, Value]) -> Value:
    parent = self.value(node.children[0], env)
    ref = ref_of(parent)
    symbol = f"{ref.link.symbol}::{node.children[1]}" if ref and ref.link.symbol else ""
    resource = self.template.resources.get(symbol)
    if resource is None:
        return Value.unknown(self._text(node), self._span(node))
    return with_ref(self.resource_ref(resource), self._span(node), symbol, ())


def _call(self: Evaluator, node: Any, env: Mapping[str, Value]) -> Value:
    target, *arg_nodes = node.children
    args = [self.value(a, env) for a in arg_nodes if getattr(a, "data", None) != "spread"]
    kind = getattr(target, "data", None)
    if kind == "name" and str(target.children[0]) in self.template.function_bodies:
        return _user_function(self, str(target.children[0]), args, node)
    if kind == "name" and str(target.children[0]) not in self.template.functions:
        return self.call(str(target.children[0]), args, node)
    if kind == "property" and _is_namespace(target.children[0]):
        return self.call(str(target.children[-1]), args, node)
    return ev.unknown_from(args, expression=self._text(node), span=self._span(node))


def _user_function(self: Evaluator, name: str, args: list[Value], node: Any) -> Value:
    """A ``func`` declared in the file: its body with the arguments bound to its parameters
    (a function sees only its parameters and other functions, as Bicep allows)."""
    params, body = self.template.function_bodies[name]
    text, span = self._text(node), self._span(node)
    if len(args) != len(params):
        return ev.unknown_from(args, expression=text, span=span)
    result = self.value(body, dict(zip(params, args, strict=True)))
    if not result.known:
        return evolve(result, span=span, expression=text)
    # reported at the call; not a literal of the call site, so --fix leaves the function alone
    where = f" at line {result.span.line}" if result.span else ""
    note = f"returned by function '{name}'{where}"
    origin = Origin(OriginKind.COMPUTED, name, result.span, note)
    return evolve(result, span=span, expression=text, origin=origin)


def _is_namespace(node: Any) -> bool:
    return getattr(node, "data", None) == "name" and str(node.children[0]) in ("sys", "az")


def _passthrough(self: Evaluator, node: Any, env: Mapping[str, Value]) -> Value:
    return self.value(node.children[0], env)


def _literal(value: Any) -> Callable[[Evaluator, Any, Mapping[str, Value]], Value]:
    def handle(self: Evaluator, node: Any, env: Mapping[str, Value]) -> Value:
        return Value.of(value, self._span(node, True), expression=self._text(node))

    return handle


def _multiline(self: Evaluator, node: Any, env: Mapping[str, Value]) -> Value:
    raw = str(node.children[0])
    text = raw[3:-3]
    if text.startswith("\r\n"):
        text = text[2:]
    elif text.startswith("\n"):
        text = text[1:]
    return Value.of(text, self._span(node), expression=raw[:80])


def _name_node(self: Evaluator, node: Any, env: Mapping[str, Value]) -> Value:
    return self.name(str(node.children[0]), node, env)


def _string_node(self: Evaluator, node: Any, env: Mapping[str, Value]) -> Value:
    return self._string(node.children[0], env)


def _int_node(self: Evaluator, node: Any, env: Mapping[str, Value]) -> Value:
    return self._token(node.children[0], env)


def _unknown(self: Evaluator, node: Any, env: Mapping[str, Value]) -> Value:
    return Value.unknown(self._text(node)[:80], self._span(node))


_LITERALS = frozenset({"string", "multiline_string", "int_", "true", "false", "null"})

_HANDLERS: dict[str, Callable[[Evaluator, Any, Mapping[str, Value]], Value]] = {
    "object": _object,
    "array": _array,
    "loop": _loop,
    "if_body": _if_body,
    "conditional": _conditional,
    "coalesce": _coalesce,
    "or_op": _binary(ev.or_),
    "and_op": _binary(ev.and_),
    "compare": _compare,
    "arith": _arith,
    "not_op": _not,
    "negate": _negate,
    "property": _property,
    "safe_property": lambda self, node, env: _property(self, node, env, safe=True),
    "index": _index,
    "safe_index": lambda self, node, env: _index(self, node, env, safe=True),
    "child_access": _child_access,
    "call": _call,
    "non_null": _passthrough,
    "string": _string_node,
    "multiline_string": _multiline,
    "int_": _int_node,
    "true": _literal(True),
    "false": _literal(False),
    "null": _literal(None),
    "name": _name_node,
    "lambda_": _unknown,
    "tuple_": _unknown,
}


# ---- functions

Function = Callable[[Evaluator, list[Value], Span, str], Value]


def _unary(op: Callable[..., Value]) -> Function:
    def call(self: Evaluator, args: list[Value], span: Span, text: str) -> Value:
        if len(args) != 1:
            return ev.unknown_from(args, expression=text, span=span)
        return op(args[0], span=span)

    return call


def _contains(self: Evaluator, args: list[Value], span: Span, text: str) -> Value:
    if len(args) != 2:
        return ev.unknown_from(args, expression=text, span=span)
    return ev.contains(args[0], args[1], span=span)


def _coalesce_fn(self: Evaluator, args: list[Value], span: Span, text: str) -> Value:
    return _coalesced(args, span)


def _union(self: Evaluator, args: list[Value], span: Span, text: str) -> Value:
    return ev.union(args, span=span)


def _concat(self: Evaluator, args: list[Value], span: Span, text: str) -> Value:
    if args and all(a.known and isinstance(a.value, (list, type(None))) for a in args):
        return ev.concat_arrays(args, span=span)
    return ev.interpolate(args, span=span, expression=text)


def _identity(self: Evaluator, args: list[Value], span: Span, text: str) -> Value:
    return args[0] if len(args) == 1 else ev.unknown_from(args, expression=text, span=span)


_ID_FUNCTIONS = {"resourceid", "subscriptionresourceid", "tenantresourceid", "extensionresourceid"}


def _resource_id(self: Evaluator, args: list[Value], span: Span, text: str) -> Value:
    """``resourceId('Microsoft.ContainerRegistry/registries', 'x')`` and its relatives.

    The ID is unknown (subscription and resource group are), but it names its resource: a
    Ref whose link names the registry, and whose attribute keeps the resource type and the last
    name segment (a role definition's GUID for ``roleDefinitions``).
    """
    texts = [a.text() for a in args]
    type_index = next(
        (i for i, t in enumerate(texts) if t and re.fullmatch(r"[\w.]+/[\w./]+", t)), None
    )
    if type_index is None:
        return ev.unknown_from(args, expression=text, span=span)
    resource_type = (texts[type_index] or "").lower()
    names = texts[type_index + 1 :]
    last = names[-1] if names and names[-1] else ""
    link = RegistryLink()
    if resource_type == REGISTRY_TYPE and len(names) == 1 and last:
        link = RegistryLink(name=last)
    return with_ref(Ref(link, f"id:{last}", resource_type, 0), span, text, args)


def _load_text(self: Evaluator, args: list[Value], span: Span, text: str) -> Value:
    path = args[0].text() if args else None
    found = self.host("read", path) if path else None
    return found if found is not None else ev.unknown_from(args, expression=text, span=span)


def _load_json(self: Evaluator, args: list[Value], span: Span, text: str) -> Value:
    """``loadJsonContent('config.json')``, optionally narrowed by a ``'$.a.b'`` path."""
    path = args[0].text() if args else None
    found = self.host("read", path) if path else None
    content = found.text() if found is not None else None
    steps = _json_path(args[1].text()) if len(args) > 1 else []
    if content is None or steps is None:
        return ev.unknown_from(args, expression=text, span=span)
    try:
        data: Any = json.loads(content.lstrip("\ufeff"))
    except ValueError:
        return ev.unknown_from(args, expression=text, span=span)
    for step in steps:
        if not isinstance(data, dict) or step not in data:
            return ev.unknown_from(args, expression=text, span=span)
        data = data[step]
    return json_value(data, Origin(OriginKind.COMPUTED, note=f"the content of '{path}'"))


def _json_path(path: str | None) -> list[str] | None:
    """The keys of a plain ``$.a.b`` JSONPath; ``None`` for anything richer."""
    if path is None or not re.fullmatch(r"\$(\.[A-Za-z_][\w-]*)*", path):
        return None
    return path.split(".")[1:]


def json_value(data: Any, origin: Origin) -> Value:
    """JSON data (a parameter file's value, a loaded file) as the Values Bicep objects hold."""
    if isinstance(data, dict):
        obj = Obj({k: json_value(v, origin) for k, v in data.items()})
        obj.key_values = {}
        return Value.of(obj, origin=origin)
    if isinstance(data, list):
        return Value.of([json_value(v, origin) for v in data], origin=origin)
    return Value.of(data, origin=origin)


def _environment_variable(self: Evaluator, args: list[Value], span: Span, text: str) -> Value:
    """``readEnvironmentVariable('X', 'default')`` (``.bicepparam``): its default, as a
    parameter's, since the variable is read only where the deployment runs."""
    name = args[0].text() if args else None
    if name is None or len(args) < 2 or not args[1].known:
        return ev.unknown_from(args, expression=text, span=span)
    where = f" ({args[1].span})" if args[1].span else ""
    note = f"the default of environment variable '{name}'{where}"
    origin = Origin(OriginKind.PARAMETER_DEFAULT, name, args[1].span, note)
    return Value(True, args[1].value, span, text, origin, frozenset({name}))


def _string_fn(self: Evaluator, args: list[Value], span: Span, text: str) -> Value:
    if len(args) == 1 and args[0].known and isinstance(ev.plain(args[0]), (list, dict)):
        return ev.unknown_from(args, expression=text, span=span)
    return _unary(ev.to_string)(self, args, span, text)


_FUNCTIONS: dict[str, Function] = {
    "empty": _unary(ev.empty),
    "length": _unary(ev.length),
    "items": _unary(ev.items),
    "contains": _contains,
    "coalesce": _coalesce_fn,
    "tolower": _unary(ev.to_lower),
    "toupper": _unary(ev.to_upper),
    "union": _union,
    "concat": _concat,
    "string": _string_fn,
    "bool": _unary(ev.to_bool),
    "any": _identity,
    "loadtextcontent": _load_text,
    "loadjsoncontent": _load_json,
    "readenvironmentvariable": _environment_variable,
    **dict.fromkeys(_ID_FUNCTIONS, _resource_id),
}
