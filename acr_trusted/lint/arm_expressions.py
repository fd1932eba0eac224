"""ARM template expressions: ``"[if(equals(parameters('x'), 'a'), 'b', null())]"``.

A string value that starts with ``[`` and ends with ``]`` is an expression (``[[`` escapes a
literal ``[``). :func:`parse` turns one into a small AST; :class:`Evaluator` evaluates it (and
whole JSON values that contain expressions) against one template scope -- its parameters, with
values from a parameter file or an enclosing deployment, and its variables -- through the shared
evaluator in :mod:`acr_trusted.lint.evaluate`.

Functions that depend on the deployment (``reference``, ``resourceGroup``, ``uniqueString``,
...) and functions acr-trusted does not implement give unknown values, never an exception.
An unknown value's ``expression`` is canonical ARM syntax built from what *was* known
(``resourceId('Microsoft.ContainerRegistry/registries', parameters('name'))``), so the loader can
parse it again to see which registry a consumer points at.

``reference(<inline nested deployment>).outputs.<name>.value`` -- how compiled Bicep passes one
module's outputs to another -- is evaluated from the nested template's ``outputs``, so a private
endpoint module that receives a registry module's resource id still points at that registry.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeAlias

from acr_trusted.lint import evaluate
from acr_trusted.lint.arm_json import JArray, JNode, JObject, JScalar, Positions
from acr_trusted.lint.model import Origin, OriginKind, Span, Value
from acr_trusted.records import evolve, frozen

MAX_EXPRESSION_DEPTH = 100
MAX_COPIES = 64  # copy loops longer than this are evaluated once, with an unknown index


# -- syntax --------------------------------------------------------------------------------------


class ExpressionError(ValueError):
    """Not a valid template expression."""


@frozen
class Str:
    value: str


@frozen
class Num:
    value: int | float


@frozen
class Word:
    """``true``, ``false`` or ``null`` written without parentheses."""

    value: bool | None


@frozen
class Call:
    name: str
    args: tuple[Expr, ...]


@frozen
class Member:
    target: Expr
    name: str


@frozen
class Index:
    target: Expr
    index: Expr


Expr: TypeAlias = "Str | Num | Word | Call | Member | Index"

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)|(?P<punct>[()\[\],.]))"
)


def expression_text(value: str) -> str | None:
    """The expression inside a template string, or ``None`` for a literal string."""
    if len(value) >= 2 and value[0] == "[" and value[-1] == "]" and value[1] != "[":
        return value[1:-1]
    return None


def literal_text(value: str) -> str:
    """A literal template string as deployed: ``[[x]`` stands for ``[x]``."""
    return value[1:] if value.startswith("[[") else value


@functools.lru_cache(maxsize=4096)
def parse(text: str) -> Expr:
    """Parse one expression (without the brackets); raises :class:`ExpressionError`."""
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            if text[pos:].strip() == "":
                break
            raise ExpressionError(f"unexpected character {text[pos]!r} at {pos + 1}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    parser = _Parser(tokens)
    node = parser.expr(0)
    if parser.pos != len(tokens):
        raise ExpressionError(f"unexpected {parser.peek()[1]!r} after the expression")
    return node


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else ("end", "end")

    def take(self, punct: str) -> bool:
        if self.peek() == ("punct", punct):
            self.pos += 1
            return True
        return False

    def need(self, punct: str) -> None:
        if not self.take(punct):
            raise ExpressionError(f"expected {punct!r}, found {self.peek()[1]!r}")

    def expr(self, depth: int) -> Expr:
        if depth > MAX_EXPRESSION_DEPTH:
            raise ExpressionError("expression nested too deeply")
        node = self.primary(depth)
        while True:
            if self.take("."):
                kind, name = self.peek()
                if kind != "name":
                    raise ExpressionError(f"expected a property name after '.', found {name!r}")
                self.pos += 1
                for part in name.split("."):
                    node = Member(node, part)
            elif self.take("["):
                node = Index(node, self.expr(depth + 1))
                self.need("]")
            else:
                return node

    def primary(self, depth: int) -> Expr:
        kind, text = self.peek()
        self.pos += 1
        if kind == "str":
            return Str(text[1:-1].replace("''", "'"))
        if kind == "num":
            return Num(float(text) if "." in text else int(text))
        if kind == "name":
            if self.take("("):
                args: list[Expr] = []
                if not self.take(")"):
                    args.append(self.expr(depth + 1))
                    while self.take(","):
                        args.append(self.expr(depth + 1))
                    self.need(")")
                return Call(text, tuple(args))
            if text.lower() in ("true", "false", "null"):
                return Word({"true": True, "false": False}.get(text.lower()))
            raise ExpressionError(f"expected '(' after {text!r}")
        raise ExpressionError(f"unexpected {text!r}")


def render(node: Expr) -> str:
    """Canonical text of an expression (function names as written, single spaces)."""
    if isinstance(node, Str):
        return quote(node.value)
    if isinstance(node, Num):
        return str(node.value)
    if isinstance(node, Word):
        return {True: "true()", False: "false()", None: "null()"}[node.value]
    if isinstance(node, Call):
        return f"{node.name}({', '.join(render(a) for a in node.args)})"
    if isinstance(node, Member):
        return f"{render(node.target)}.{node.name}"
    return f"{render(node.target)}[{render(node.index)}]"


def quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def calls(node: Expr) -> list[Call]:
    """Every function call in ``node``, outermost first."""
    found: list[Call] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Call):
            found.append(current)
            stack.extend(reversed(current.args))
        elif isinstance(current, Member):
            stack.append(current.target)
        elif isinstance(current, Index):
            stack.extend((current.index, current.target))
    return found


# -- evaluation ----------------------------------------------------------------------------------


@frozen
class Source:
    """The file a node was read from: turns node offsets into spans."""

    path: str
    positions: Positions

    @classmethod
    def of(cls, path: str, text: str) -> Source:
        return cls(path, Positions(text))

    def span(self, node: JNode, *, literal: bool = False) -> Span:
        """The node's region; ``literal`` adds the offsets ``--fix`` needs."""
        line, column = self.positions.line_col(node.start)
        end_line, end_column = self.positions.line_col(max(node.end - 1, node.start))
        if literal:
            return Span(self.path, line, column, end_line, end_column, node.start, node.end)
        return Span(self.path, line, column, end_line, end_column)


CopyIndex = Mapping[str | None, Value]  # loop name (lower case; None: the resource's loop) -> index
NO_COPY: CopyIndex = {}
_REFERENCE = re.compile(r"^(?:parameters|variables)\('[^']*'\)$")


def value_text(value: Value) -> str:
    """ARM syntax for a value inside an expression text."""
    if not value.known:
        return value.expression or "unknown()"
    data = evaluate.plain(value)
    if isinstance(data, bool):
        return "true()" if data else "false()"
    if data is None:
        return "null()"
    if isinstance(data, (int, float)):
        return str(data)
    if isinstance(data, str):
        return quote(data)
    return f"json({quote(json.dumps(data, separators=(',', ':')))})"


class Evaluator:
    """Evaluates JSON values and expressions in one template scope.

    ``template`` is the (nested) template whose ``parameters`` and ``variables`` are in scope;
    ``values`` are the parameter values supplied from outside (a parameter file, or an enclosing
    deployment for ``inner`` scope), keyed by lower-case name.
    """

    def __init__(
        self, source: Source, template: JObject, values: Mapping[str, Value] | None = None
    ) -> None:
        self.source = source
        self.values = {k.lower(): v for k, v in (values or {}).items()}
        self.parameters = _members(template.get("parameters"))
        self.variables = _members(template.get("variables"))
        self._copy_variables = {
            str(loop.text("name")).lower(): loop
            for loop in _items(_members(template.get("variables")).get("copy"))
            if isinstance(loop, JObject) and loop.text("name")
        }
        self._parameter_cache: dict[str, Value] = {}
        self._variable_cache: dict[str, Value] = {}
        self._evaluating: set[str] = set()
        self._resources = template.get("resources")
        self._deployments: _Deployments | None = None
        self._outputs_cache: dict[int, Value] = {}

    # -- JSON values -----------------------------------------------------------------------
    def node(self, node: JNode, copy: CopyIndex = NO_COPY) -> Value:
        """A JSON value with every expression in it evaluated."""
        if isinstance(node, JScalar):
            if isinstance(node.value, str):
                text = expression_text(node.value)
                if text is not None:
                    return self.expression(text, self.source.span(node), copy)
                return Value.of(literal_text(node.value), self.source.span(node, literal=True))
            return Value.of(node.value, self.source.span(node, literal=True))
        span = self.source.span(node)
        if isinstance(node, JArray):
            return Value.of([self.node(item, copy) for item in node.items], span)
        members: dict[str, Value] = {}
        for key, child in node.items():
            if key.lower() == "copy" and isinstance(child, JArray):
                members.update(self.property_copies(child, copy))
            else:
                members[self.key(key, copy)] = self.node(child, copy)
        return Value.of(members, span)

    def key(self, key: str, copy: CopyIndex = NO_COPY) -> str:
        """An object key as deployed: ``"[expr]"`` keys are evaluated when they are known.

        An unknown key stays as written, so the loader can still tell it is an expression.
        """
        text = expression_text(key)
        if text is None:
            return literal_text(key)
        value = self.expression(text, Span.point(self.source.path, 1, 1), copy)
        known = value.text()
        return known if known is not None else key

    def property_copies(self, loops: JArray, copy: CopyIndex = NO_COPY) -> dict[str, Value]:
        """A property ``copy`` array: each loop makes the array property it names."""
        made: dict[str, Value] = {}
        for loop in loops.items:
            name = loop.text("name") if isinstance(loop, JObject) else None
            if not isinstance(loop, JObject) or not name:
                continue
            span = self.source.span(loop)
            count_node, template = loop.get("count"), loop.get("input")
            count = self.node(count_node, copy) if count_node is not None else Value.absent()
            n = count.value if count.known and isinstance(count.value, int) else None
            if template is None or n is None or n > MAX_COPIES:
                made[name] = Value.unknown(
                    f"copy({quote(name)})", span, depends_on=count.depends_on
                )
                continue
            items = [
                self.node(template, {**copy, name.lower(): Value.of(i)}) for i in range(max(n, 0))
            ]
            made[name] = evaluate.computed(items, [count, *items], expression="", span=span)
        return made

    def expression(self, text: str, span: Span, copy: CopyIndex = NO_COPY) -> Value:
        try:
            tree = parse(text)
        except (ExpressionError, RecursionError):
            return Value.unknown(text, span)
        return self.eval(tree, span, copy)

    # -- expressions -----------------------------------------------------------------------
    def eval(self, node: Expr, span: Span, copy: CopyIndex) -> Value:
        if isinstance(node, Str):
            return Value.of(node.value, span, expression=quote(node.value))
        if isinstance(node, (Num, Word)):
            return Value.of(node.value, span, expression=render(node))
        if isinstance(node, Member):
            if render(node).lower() == _ACR_SUFFIX:
                return Value.of(
                    ".azurecr.io", span, expression=render(node), origin=evaluate.COMPUTED
                )
            return self.member(self.eval(node.target, span, copy), node.name, span)
        if isinstance(node, Index):
            index = self.eval(node.index, span, copy)
            target = self.eval(node.target, span, copy)
            key = index.value if index.known else None
            if isinstance(key, bool) or not isinstance(key, (str, int)):
                text = f"{value_text(target)}[{value_text(index)}]"
                return Value.unknown(text, span, depends_on=target.depends_on | index.depends_on)
            return self.member(target, key, span, text=f"[{value_text(index)}]")
        return self.call(node, span, copy)

    def member(
        self,
        target: Value,
        key: str | int,
        span: Span | None,
        *,
        text: str = "",
        safe: bool = False,
    ) -> Value:
        """``target.key``; a member of a parameter's or variable's value keeps its origin."""
        result = evaluate.member(target, key, span=span, safe=safe)
        if not result.known and not (target.known and _has_member(target.value, key)):
            return evolve(result, expression=f"{value_text(target)}{text or '.' + str(key)}")
        if result.origin.kind is OriginKind.LITERAL and target.origin.kind in _INHERITED:
            result = evolve(result, origin=target.origin)
        return evolve(result, span=span)

    def call(self, node: Call, span: Span, copy: CopyIndex) -> Value:
        name = node.name.lower()
        if name == "copyindex":
            return self._copy_index(node, span, copy)
        args = [self.eval(arg, span, copy) for arg in node.args]
        shown = ", ".join(_arg_text(a, v) for a, v in zip(node.args, args, strict=True))
        text = f"{node.name}({shown})"
        handler = _FUNCTIONS.get(name)
        result = handler(self, args, span) if handler else None
        if result is None:
            return evaluate.unknown_from(args, expression=text, span=span)
        if not result.known and not _keeps_text(name, args, result):
            return evolve(result, expression=text, span=span)
        return evolve(result, span=span)

    def _copy_index(self, node: Call, span: Span, copy: CopyIndex) -> Value:
        loop: str | None = None
        offset = 0
        for arg in node.args:
            if isinstance(arg, Str):
                loop = arg.value.lower()
            elif isinstance(arg, Num) and isinstance(arg.value, int):
                offset = arg.value
        index = copy.get(loop)
        text = render(node)
        if index is None or not index.known or not isinstance(index.value, int):
            return Value.unknown(text, span)
        return Value.of(index.value + offset, span, expression=text, origin=evaluate.COMPUTED)

    # -- parameters and variables ----------------------------------------------------------
    def parameter(self, name: str, span: Span) -> Value:
        key = name.lower()
        if key not in self._parameter_cache:
            self._parameter_cache[key] = self._parameter(name)
        return evolve(self._parameter_cache[key], span=span)

    def _parameter(self, name: str) -> Value:
        key = name.lower()
        reference = f"parameters({quote(name)})"
        declared = self.parameters.get(key)
        given = self.values.get(key)
        if given is not None:
            if not given.known:
                return given
            origin = given.origin
            if origin.kind is OriginKind.LITERAL:
                origin = Origin(OriginKind.PARAMETER_VALUE, name, given.span)
            return evolve(
                given,
                origin=origin,
                expression=reference,
                depends_on=given.depends_on | {name},
            )
        if not isinstance(declared, JObject):
            return Value.unknown(reference, depends_on=(name,))
        default = declared.get("defaultValue")
        if default is None:
            if _is_true(declared.get("nullable")):
                origin = Origin(
                    OriginKind.PARAMETER_DEFAULT,
                    name,
                    self.source.span(declared),
                    note=f"nullable parameter '{name}' left unset ({self.source.span(declared)})",
                )
                return Value.of(None, expression=reference, origin=origin, depends_on=(name,))
            return Value.unknown(reference, depends_on=(name,))
        if key in self._evaluating:
            return Value.unknown(reference, depends_on=(name,))
        self._evaluating.add(key)
        try:
            value = self.node(default)
        finally:
            self._evaluating.discard(key)
        if not value.known:
            return Value.unknown(reference, depends_on=value.depends_on | {name})
        origin = Origin(OriginKind.PARAMETER_DEFAULT, name, self.source.span(default))
        return evolve(
            value, origin=origin, expression=reference, depends_on=value.depends_on | {name}
        )

    def variable(self, name: str, span: Span) -> Value:
        key = name.lower()
        if key not in self._variable_cache:
            marker = f"variable:{key}"
            if marker in self._evaluating:
                return Value.unknown(f"variables({quote(name)})", span)
            self._evaluating.add(marker)
            try:
                self._variable_cache[key] = self._variable(name)
            finally:
                self._evaluating.discard(marker)
        return evolve(self._variable_cache[key], span=span)

    def _variable(self, name: str) -> Value:
        key = name.lower()
        reference = f"variables({quote(name)})"
        loop = self._copy_variables.get(key)
        if loop is not None:
            value = self._copy_variable(key, loop)
        elif key in self.variables and key != "copy":
            node = self.variables[key]
            value = self.node(node)
            if value.known and value.origin.kind is OriginKind.LITERAL:
                value = evolve(value, origin=Origin(OriginKind.VARIABLE, name, value.span))
        else:
            return Value.unknown(reference)
        if not value.known and not _REFERENCE.match(value.expression):
            return evolve(value, expression=reference)
        return value

    def _copy_variable(self, key: str, loop: JObject) -> Value:
        count_node, template = loop.get("count"), loop.get("input")
        count = self.node(count_node) if count_node is not None else Value.unknown("count")
        if template is None or not count.known or not isinstance(count.value, int):
            return Value.unknown(f"variables({quote(key)})", depends_on=count.depends_on)
        if count.value > MAX_COPIES:
            return Value.unknown(f"variables({quote(key)})", depends_on=count.depends_on)
        items = [self.node(template, {key: Value.of(i)}) for i in range(max(count.value, 0))]
        if not all(item.known for item in items):
            return evaluate.unknown_from(items, expression=f"variables({quote(key)})", span=None)
        return evaluate.computed(items, items, expression="", span=self.source.span(loop))

    # -- nested deployments ----------------------------------------------------------------
    def deployment_parameters(
        self, node: JNode | None, copy: CopyIndex = NO_COPY
    ) -> dict[str, Value]:
        """A deployment's ``properties.parameters``, evaluated in this (the enclosing) scope."""
        values: dict[str, Value] = {}
        if not isinstance(node, JObject):
            return values
        for name, entry in node.items():
            if isinstance(entry, JObject):
                given = entry.get("value")
                values[name.lower()] = (
                    self.node(given, copy)
                    if given is not None
                    else Value.unknown(f"parameters({quote(name)})", depends_on=(name,))
                )
            else:  # an expression producing {"value": ...}
                wrapper = self.node(entry, copy)
                values[name.lower()] = evaluate.member(
                    wrapper, "value", span=wrapper.span, safe=True
                )
        return values

    def deployment_scope(self, properties: JObject, copy: CopyIndex = NO_COPY) -> Evaluator:
        """The evaluator for an inline nested template: a new scope for ``inner``, else this one."""
        body = properties.get("template")
        options = properties.get("expressionEvaluationOptions")
        scope = options.text("scope") if isinstance(options, JObject) else None
        if not isinstance(body, JObject) or (scope or "").lower() != "inner":
            return self
        values = self.deployment_parameters(properties.get("parameters"), copy)
        return Evaluator(self.source, body, values)

    def reference(self, target: Value, span: Span) -> Value | None:
        """``reference(x)``: a nested deployment's outputs, or a registry's runtime state.

        A registry declared in this template by symbolic name (``reference('registry')``) has
        unknown runtime properties; they are written as ``reference(resourceId(<registries>,
        <name>))`` so that an enclosing template, where the inner symbol means nothing, can
        still tell which registry a module output such as ``loginServer`` comes from.
        """
        if self._deployments is None:
            self._deployments = _Deployments.index(self, self._resources)
        node = self._deployments.find(target)
        if node is None:
            return self._registry_reference(target, span)
        marker = id(node)
        if marker in self._outputs_cache:
            return self._outputs_cache[marker]
        if f"deployment:{marker}" in self._evaluating:
            return None
        self._evaluating.add(f"deployment:{marker}")
        try:
            outputs = self._deployment_outputs(node, span)
        finally:
            self._evaluating.discard(f"deployment:{marker}")
        self._outputs_cache[marker] = outputs
        return outputs

    def _registry_reference(self, target: Value, span: Span) -> Value | None:
        assert self._deployments is not None  # reference() indexed them
        name_node = self._deployments.registries.get(target.text() or "")
        if name_node is None:
            return None
        name = value_text(self.node(name_node))
        return Value.unknown(f"reference(resourceId({quote(_REGISTRIES)}, {name}))", span)

    def _deployment_outputs(self, node: JObject, span: Span) -> Value:
        properties = node.get("properties")
        body = properties.get("template") if isinstance(properties, JObject) else None
        if not isinstance(properties, JObject) or not isinstance(body, JObject):
            return Value.unknown("outputs", span)
        scope = self.deployment_scope(properties)
        outputs: dict[str, Value] = {}
        for name, output in _members(body.get("outputs")).items():
            given = output.get("value") if isinstance(output, JObject) else None
            if given is not None:
                outputs[name] = Value.of({"value": scope.node(given)}, span)
        return Value.of(
            {"outputs": Value.of(outputs, span, origin=evaluate.COMPUTED)},
            span,
            origin=evaluate.COMPUTED,
        )


@frozen
class _Deployments:
    """The inline nested deployments of one template, by symbolic name, name or name expression."""

    by_symbol: Mapping[str, JObject]
    by_name: Mapping[str, JObject]
    registries: Mapping[str, JNode]  # languageVersion 2.0 symbol -> the registry's name node

    @classmethod
    def index(cls, ev: Evaluator, resources: JNode | None) -> _Deployments:
        entries: list[tuple[str | None, JNode]] = []
        if isinstance(resources, JArray):
            entries = [(None, item) for item in resources.items]
        elif isinstance(resources, JObject):
            entries = list(resources.items())
        by_symbol: dict[str, JObject] = {}
        by_name: dict[str, JObject] = {}
        registries: dict[str, JNode] = {}
        for symbol, node in entries:
            kind = (node.text("type") or "").lower() if isinstance(node, JObject) else ""
            name_node = node.get("name") if isinstance(node, JObject) else None
            if symbol is not None and kind == _REGISTRIES.lower() and name_node is not None:
                registries[symbol] = name_node
            if not isinstance(node, JObject) or kind != _DEPLOYMENTS:
                continue
            if symbol is not None:
                by_symbol[symbol] = node
            if name_node is not None and node.get("copy") is None:
                by_name[_name_key(ev.node(name_node))] = node
        return cls(by_symbol, by_name, registries)

    def find(self, target: Value) -> JObject | None:
        """The deployment ``target`` (a symbolic name, name or resource id) names."""
        text = target.text()
        if text is not None:
            match = _DEPLOYMENT_ID.search(text)
            if match:
                return self.by_name.get(match.group(1).lower())
            return self.by_symbol.get(text) or self.by_name.get(text.lower())
        try:
            tree = parse(target.expression) if target.expression else None
        except (ExpressionError, RecursionError):
            return None
        if not (isinstance(tree, Call) and tree.name.lower().endswith("resourceid")):
            return None
        args = tree.args
        for i, arg in enumerate(args[:-1]):
            if isinstance(arg, Str) and arg.value.lower() == _DEPLOYMENTS:
                return self.by_name.get(render(args[i + 1]))
        return None


def _name_key(name: Value) -> str:
    """How a deployment is found by name: its text (lower case), else its expression."""
    text = name.text()
    return text.lower() if text is not None else name.expression


_DEPLOYMENTS = "microsoft.resources/deployments"
_REGISTRIES = "Microsoft.ContainerRegistry/registries"
_DEPLOYMENT_ID = re.compile(r"/providers/microsoft\.resources/deployments/([^/]+)$", re.I)
_ACR_SUFFIX = "environment().suffixes.acrloginserver"


_INHERITED = frozenset(
    {OriginKind.PARAMETER_DEFAULT, OriginKind.PARAMETER_VALUE, OriginKind.VARIABLE}
)


def _has_member(data: Any, key: str | int) -> bool:
    """Is ``key`` in ``data``? Then an unknown member keeps its own expression."""
    if isinstance(data, Mapping) and isinstance(key, str):
        return any(k.lower() == key.lower() for k in data)
    return isinstance(data, list) and isinstance(key, int) and -len(data) <= key < len(data)


def _members(node: JNode | None) -> dict[str, JNode]:
    return {k.lower(): v for k, v in node.items()} if isinstance(node, JObject) else {}


def _items(node: JNode | None) -> tuple[JNode, ...]:
    return node.items if isinstance(node, JArray) else ()


def _keeps_text(name: str, args: Sequence[Value], result: Value) -> bool:
    """Does an unknown call result keep its own text rather than the call's?

    ``parameters``/``variables`` show what they stand for, a decided ``if`` shows its branch
    and ``reference`` of a registry shows the registry's resource id.
    """
    if name in ("parameters", "variables"):
        return True
    if name == "if":
        return len(args) == 3 and evaluate.truthy(args[0]) is not None
    return name == "reference" and result.expression.startswith("reference(")


def _is_true(node: JNode | None) -> bool:
    return isinstance(node, JScalar) and node.value is True


def _arg_text(node: Expr, value: Value) -> str:
    """An argument in an unknown call's text: what was known, else its own expression."""
    if value.known and isinstance(evaluate.plain(value), (list, dict)):
        return render(node)
    return value_text(value)


# -- functions -----------------------------------------------------------------------------------
# Each takes the evaluated arguments and returns a Value, or None for "unknown" (the caller then
# builds the unknown value with the call's canonical text and the arguments' dependencies).

Function = Callable[[Evaluator, list[Value], Span], "Value | None"]


def _text_arg(args: Sequence[Value], i: int) -> str | None:
    return args[i].text() if len(args) > i else None


def _parameters(ev: Evaluator, args: list[Value], span: Span) -> Value | None:
    name = _text_arg(args, 0)
    return ev.parameter(name, span) if name is not None else None


def _variables(ev: Evaluator, args: list[Value], span: Span) -> Value | None:
    name = _text_arg(args, 0)
    return ev.variable(name, span) if name is not None else None


def _if(ev: Evaluator, args: list[Value], span: Span) -> Value | None:
    return evaluate.ternary(*args, span=span) if len(args) == 3 else None


def _fold(op: Callable[..., Value]) -> Function:
    def apply(ev: Evaluator, args: list[Value], span: Span) -> Value | None:
        if not args:
            return None
        result = args[0]
        for arg in args[1:]:
            result = op(result, arg, span=span)
        return result

    return apply


def _unary(op: Callable[..., Value]) -> Function:
    def apply(ev: Evaluator, args: list[Value], span: Span) -> Value | None:
        return op(args[0], span=span) if len(args) == 1 else None

    return apply


def _equals(ev: Evaluator, args: list[Value], span: Span) -> Value | None:
    return evaluate.equals(args[0], args[1], span=span) if len(args) == 2 else None


def _contains(ev: Evaluator, args: list[Value], span: Span) -> Value | None:
    return evaluate.contains(args[0], args[1], span=span) if len(args) == 2 else None


def _concat(ev: Evaluator, args: list[Value], span: Span) -> Value | None:
    if any(a.known and isinstance(a.value, list) for a in args):
        return evaluate.concat_arrays(args, span=span)
    return evaluate.interpolate(args, span=span)


def _create_object(ev: Evaluator, args: list[Value], span: Span) -> Value | None:
    if len(args) % 2:
        return None
    keys = args[0::2]
    if not all(k.text() is not None for k in keys):
        return None
    members = {str(k.text()): v for k, v in zip(keys, args[1::2], strict=True)}
    return evaluate.computed(members, args, expression="", span=span)


def _create_array(ev: Evaluator, args: list[Value], span: Span) -> Value | None:
    return evaluate.computed(list(args), args, expression="", span=span)


def _union(ev: Evaluator, args: list[Value], span: Span) -> Value | None:
    return evaluate.union(args, span=span) if args else None


def _json(ev: Evaluator, args: list[Value], span: Span) -> Value | None:
    text = _text_arg(args, 0)
    if text is None:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return evaluate.computed(data, args, expression="", span=span)


def _constant(data: bool | None) -> Function:
    def apply(ev: Evaluator, args: list[Value], span: Span) -> Value | None:
        return Value.of(data, span, origin=evaluate.COMPUTED)

    return apply


def _convert(convert: Callable[[Any], Any]) -> Function:
    """``bool`` / ``string`` / ``int``: known when the conversion is defined for the value."""

    def apply(ev: Evaluator, args: list[Value], span: Span) -> Value | None:
        if len(args) != 1 or not args[0].known:
            return None
        try:
            result = convert(evaluate.plain(args[0]))
        except (TypeError, ValueError):
            return None
        return evaluate.computed(result, args, expression="", span=span)

    return apply


def _to_bool(data: Any) -> bool:
    if isinstance(data, bool):
        return data
    if isinstance(data, str) and data.lower() in ("true", "false"):
        return data.lower() == "true"
    if isinstance(data, int):
        return data != 0
    raise ValueError(data)


def _to_string(data: Any) -> str:
    if isinstance(data, str):
        return data
    if isinstance(data, bool):
        return "True" if data else "False"
    if isinstance(data, (int, float)):
        return str(data)
    return json.dumps(data, separators=(",", ":"))


def _to_int(data: Any) -> int:
    if isinstance(data, bool):
        raise ValueError(data)
    return int(data)


_FORMAT_ITEM = re.compile(r"\{\{|\}\}|\{(\d+)(?::[^}]*)?\}")


def _format(ev: Evaluator, args: list[Value], span: Span) -> Value | None:
    template = _text_arg(args, 0)
    if template is None:
        return None
    parts: list[Value] = []
    pos = 0
    for match in _FORMAT_ITEM.finditer(template):
        parts.append(Value.of(template[pos : match.start()]))
        if match.group(1) is None:
            parts.append(Value.of(match.group()[0]))
        else:
            index = int(match.group(1)) + 1
            if index >= len(args):
                return None
            parts.append(args[index])
        pos = match.end()
    parts.append(Value.of(template[pos:]))
    return evaluate.interpolate(parts, span=span)


def _resource_id(prefix: Callable[[list[str]], str | None]) -> Function:
    """``resourceId`` and friends: ``<scope>/providers/<ns>/<type>/<name>[/<type>/<name>]``.

    The subscription and resource group are placeholders unless given: what matters for
    linking is the type and the names, which make the id's last segments.
    """

    def apply(ev: Evaluator, args: list[Value], span: Span) -> Value | None:
        texts = [a.text() for a in args]
        type_at = next(
            (i for i, t in enumerate(texts) if t and "/" in t and "." in t.split("/")[0]), None
        )
        if type_at is None or any(t is None for t in texts):
            return None
        scope = prefix([str(t) for t in texts[:type_at]])
        if scope is None:
            return None
        namespace, *types = str(texts[type_at]).split("/")
        names = [str(t) for t in texts[type_at + 1 :]]
        segments = [namespace]
        for i, kind in enumerate(types):
            segments.append(kind)
            if i < len(names):
                segments.append(names[i])
        segments.extend(names[len(types) :])
        return evaluate.computed(
            f"{scope}/providers/{'/'.join(segments)}", args, expression="", span=span
        )

    return apply


def _group_scope(given: list[str]) -> str | None:
    subscription, group = "{subscriptionId}", "{resourceGroupName}"
    if len(given) == 1:
        group = given[0]
    elif len(given) == 2:
        subscription, group = given
    elif given:
        return None
    return f"/subscriptions/{subscription}/resourceGroups/{group}"


def _subscription_scope(given: list[str]) -> str | None:
    if len(given) > 1:
        return None
    return f"/subscriptions/{given[0] if given else '{subscriptionId}'}"


def _tenant_scope(given: list[str]) -> str | None:
    return "" if not given else None


def _extension_scope(given: list[str]) -> str | None:
    return given[0].rstrip("/") if len(given) == 1 else None


def _try_get(ev: Evaluator, args: list[Value], span: Span) -> Value | None:
    if len(args) < 2:
        return None
    result = args[0]
    for key in args[1:]:
        k = key.value if key.known else None
        if isinstance(k, bool) or not isinstance(k, (str, int)):
            return None
        if result.known and result.value is None:
            break
        result = ev.member(result, k, span, safe=True)
    return result


def _end(pick: int) -> Function:
    """``first`` / ``last`` of a known array or string."""

    def apply(ev: Evaluator, args: list[Value], span: Span) -> Value | None:
        if len(args) != 1 or not args[0].known:
            return None
        data = args[0].value
        if isinstance(data, (list, str)) and data:
            item = data[pick]
            if isinstance(item, Value):
                return evolve(item, depends_on=item.depends_on | args[0].depends_on)
            return evaluate.computed(item, args, expression="", span=span)
        return None

    return apply


def _reference(ev: Evaluator, args: list[Value], span: Span) -> Value | None:
    return ev.reference(args[0], span) if args else None


def _replace(ev: Evaluator, args: list[Value], span: Span) -> Value | None:
    texts = [_text_arg(args, i) for i in range(3)]
    if len(args) != 3 or any(t is None for t in texts) or not texts[1]:
        return None
    text, old, new = (str(t) for t in texts)
    return evaluate.computed(text.replace(old, new), args, expression="", span=span)


def _split(ev: Evaluator, args: list[Value], span: Span) -> Value | None:
    text, delimiter = _text_arg(args, 0), _text_arg(args, 1)
    if text is None or not delimiter:
        return None
    return evaluate.computed(text.split(delimiter), args, expression="", span=span)


def _plain(operation: Callable[..., Any], arity: int) -> Function:
    """A pure function of known plain arguments (``take``, ``greater``, ``startsWith`` ...).

    Unknown arguments, a wrong count or a type the function does not take leave the call
    unknown; booleans are never numbers here, as in ARM.
    """

    def apply(ev: Evaluator, args: list[Value], span: Span) -> Value | None:
        if len(args) != arity or not all(a.known for a in args):
            return None
        data = [evaluate.plain(a) for a in args]
        if any(isinstance(d, bool) for d in data):
            return None
        try:
            result = operation(*data)
        except (TypeError, ValueError, AttributeError):
            return None
        return evaluate.computed(result, args, expression="", span=span)

    return apply


def _sequence_slice(keep_start: bool) -> Callable[[Any, Any], Any]:
    """``take`` (``keep_start``) and ``skip`` of a string or array."""

    def cut(items: Any, count: Any) -> Any:
        if not isinstance(items, (str, list)) or not isinstance(count, int):
            raise TypeError(count)
        count = max(count, 0)
        return items[:count] if keep_start else items[count:]

    return cut


def _ordered(compare: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def apply(left: Any, right: Any) -> bool:
        if not (isinstance(left, type(right)) and isinstance(left, (int, float, str))):
            raise TypeError(left)
        return compare(left, right)

    return apply


def _affix(at_start: bool) -> Callable[[Any, Any], bool]:
    """``startsWith`` / ``endsWith``: case-insensitive, as ARM compares them."""

    def apply(text: Any, part: Any) -> bool:
        if not (isinstance(text, str) and isinstance(part, str)):
            raise TypeError(text)
        low, affix = text.lower(), part.lower()
        return low.startswith(affix) if at_start else low.endswith(affix)

    return apply


_FUNCTIONS: dict[str, Function] = {
    "parameters": _parameters,
    "variables": _variables,
    "if": _if,
    "equals": _equals,
    "not": _unary(evaluate.not_),
    "and": _fold(evaluate.and_),
    "or": _fold(evaluate.or_),
    "empty": _unary(evaluate.empty),
    "coalesce": lambda ev, args, span: evaluate.coalesce(args, span=span) if args else None,
    "concat": _concat,
    "tolower": _unary(evaluate.to_lower),
    "toupper": _unary(evaluate.to_upper),
    "length": _unary(evaluate.length),
    "items": _unary(evaluate.items),
    "contains": _contains,
    "createobject": _create_object,
    "createarray": _create_array,
    "union": _union,
    "json": _json,
    "null": _constant(None),
    "true": _constant(True),
    "false": _constant(False),
    "bool": _convert(_to_bool),
    "string": _convert(_to_string),
    "int": _convert(_to_int),
    "format": _format,
    "resourceid": _resource_id(_group_scope),
    "subscriptionresourceid": _resource_id(_subscription_scope),
    "tenantresourceid": _resource_id(_tenant_scope),
    "extensionresourceid": _resource_id(_extension_scope),
    "tryget": _try_get,
    "first": _end(0),
    "last": _end(-1),
    "split": _split,
    "reference": _reference,
    "replace": _replace,
    "take": _plain(_sequence_slice(keep_start=True), 2),
    "skip": _plain(_sequence_slice(keep_start=False), 2),
    "greater": _plain(_ordered(lambda a, b: a > b), 2),
    "greaterorequals": _plain(_ordered(lambda a, b: a >= b), 2),
    "less": _plain(_ordered(lambda a, b: a < b), 2),
    "lessorequals": _plain(_ordered(lambda a, b: a <= b), 2),
    "startswith": _plain(_affix(at_start=True), 2),
    "endswith": _plain(_affix(at_start=False), 2),
    "trim": _plain(str.strip, 1),
}
