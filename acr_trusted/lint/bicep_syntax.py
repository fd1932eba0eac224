"""A Bicep file as declarations: the parse tree cut into params, vars, resources and modules.

:func:`read_template` parses a file with :mod:`acr_trusted.lint.bicep_grammar` and indexes its
declarations, keeping the subtrees of their values for the evaluator
(:mod:`acr_trusted.lint.bicep_eval`) to evaluate on demand, and turns tree offsets into
:class:`~acr_trusted.lint.model.Span` objects. Interpolation holes (``'${a}-x'``) are parsed
here too, with positions rebased to the file.
"""

from __future__ import annotations

import bisect
import re
from collections import OrderedDict
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from acr_trusted.lint.model import ParseError, Span
from acr_trusted.records import define, evolve, field, frozen

if TYPE_CHECKING:
    from acr_trusted.lint.bicep_lalr import Node, Token


_NEWLINE = re.compile("\n")


class SourceFile:
    """A file's text and display path; converts character offsets to spans."""

    def __init__(self, text: str, display: str) -> None:
        self.text = text
        self.display = display
        self._starts = [0]
        self._starts.extend(found.end() for found in _NEWLINE.finditer(text))
        self.holes: dict[int, Node | ParseError] = {}  # parse_hole's, by file offset
        self._spans: dict[tuple[int, int, bool], Span] = {}  # a module is evaluated per call

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1] + 1

    def span(self, start: int, end: int, *, literal: bool = False) -> Span:
        """The span of ``text[start:end]`` (``literal``: with offsets, so ``--fix`` may edit it)."""
        key = (start, end, literal)
        found = self._spans.get(key)
        if found is None:
            line, column = self.position(start)
            end_line, end_column = self.position(max(start, end - 1))
            if literal:
                found = Span(self.display, line, column, end_line, end_column, start, end)
            else:
                found = Span(self.display, line, column, end_line, end_column)
            self._spans[key] = found
        return found

    def span_of(self, node: Node | Token, *, literal: bool = False) -> Span:
        start, end = bounds(node)
        return self.span(start, end, literal=literal)

    def source(self, node: Node | Token) -> str:
        start, end = bounds(node)
        return self.text[start:end]


def bounds(node: Any) -> tuple[int, int]:
    """Start and end offsets of a node or token ((0, 0) for a node that covers no text)."""
    start = node.start_pos
    if start is None:
        return 0, 0
    return int(start), int(node.end_pos)


@frozen
class Param:
    name: str
    span: Span
    default: Any  # Tree | Token | None
    nullable: bool
    type_name: str


@frozen
class Resource:
    """A ``resource`` declaration (top-level or nested); ``symbol`` of a nested one is ``a::b``."""

    symbol: str
    type: str  # full type without API version, e.g. Microsoft.ContainerRegistry/registries/tasks
    api_version: str | None
    type_span: Span
    span: Span
    body: Any  # Tree: object, loop, if_body
    existing: bool
    parent: str | None  # enclosing resource symbol for nested declarations
    decorators: tuple[Any, ...] = ()


@frozen
class Module:
    symbol: str
    path: str
    path_span: Span
    span: Span
    body: Any


@define
class Template:
    """The declarations of one Bicep or ``.bicepparam`` file."""

    source: SourceFile
    params: dict[str, Param] = field(factory=dict)
    variables: dict[str, Any] = field(factory=dict)
    resources: dict[str, Resource] = field(factory=dict)
    modules: dict[str, Module] = field(factory=dict)
    outputs: dict[str, Any] = field(factory=dict)
    functions: frozenset[str] = frozenset()
    # user-defined ``func f(a string) string => body``: parameter names and the body node
    function_bodies: dict[str, tuple[tuple[str, ...], Any]] = field(factory=dict)
    using: tuple[str, Span] | None = None  # .bicepparam: the template it supplies values for
    extends: str | None = None  # .bicepparam: the shared parameter file it builds on
    assignments: dict[str, tuple[Any, Span]] = field(factory=dict)  # .bicepparam ``param x = v``
    types: dict[str, Any] = field(factory=dict)  # ``type name = <type>``: the type node by name


class BicepSyntaxError(Exception):
    def __init__(self, error: ParseError) -> None:
        super().__init__(error.reason)
        self.error = error


_TEMPLATES: OrderedDict[tuple[str, str], Template | ParseError] = OrderedDict()  # by (path, text)
_TEMPLATE_CACHE_SIZE = 64


def _parse(text: str, start: str, source: SourceFile, offset: int = 0) -> Node:
    from acr_trusted.lint.bicep_grammar import parse

    try:
        return parse(text, start, offset)
    except RecursionError:
        span = source.span(0, 1)
        raise BicepSyntaxError(ParseError(span, "expression nested too deeply")) from None
    except Exception as error:  # Lark's exceptions: Lark is imported only for a syntax error
        from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

        if not isinstance(error, UnexpectedInput):
            raise
        at = max(0, min(len(text), getattr(error, "pos_in_stream", 0) or 0))
        if isinstance(error, UnexpectedToken):
            token = error.token
            found = "end of file" if token.type == "$END" else repr(str(token))
            reason = f"unexpected {found}; expected {_expected(error.accepts or error.expected)}"
        elif isinstance(error, UnexpectedCharacters):
            reason = f"unexpected character {text[at : at + 1]!r}"
        else:
            reason = "unexpected end of file"
        raise BicepSyntaxError(ParseError(source.span(at, at + 1), reason)) from None


_TERMINAL_TEXT = {
    "_NL": "a new line",
    "NAME": "a name",
    "STRING": "a string",
    "INT": "a number",
    "RBRACE": "'}'",
    "RSQB": "']'",
    "RPAR": "')'",
    "LBRACE": "'{'",
    "LSQB": "'['",
    "LPAR": "'('",
    "EQUAL": "'='",
    "COMMA": "','",
    "_COLON": "':'",
}


def _expected(names: Any) -> str:
    shown = sorted({_TERMINAL_TEXT.get(n, n.lower()) for n in names if not n.startswith("__")})
    if len(shown) > 6:
        shown = [*shown[:6], "..."]
    return ", ".join(shown) or "something else"


def parse_hole(text: str, base: int, source: SourceFile) -> Node:
    """Parse the expression inside ``${...}`` that starts at file offset ``base``.

    Parsed once per file: the evaluator meets a string again for every loop item and caller.
    """
    cached = source.holes.get(base)
    if cached is None:
        try:
            cached = _parse(text, "hole", source, base)
        except BicepSyntaxError as failure:
            cached = failure.error
        source.holes[base] = cached
    if isinstance(cached, ParseError):
        raise BicepSyntaxError(cached)
    return cached


def string_parts(token: Any) -> Iterator[tuple[str, int, int]]:
    """Split a quoted string token into ("text", start, end) and ("hole", start, end) parts.

    Offsets are file offsets of the decoded text piece (text) or of the hole's expression.
    """
    raw = str(token)
    base = int(token.start_pos)
    i, n = 1, len(raw) - 1
    text_start = i
    while i < n:
        ch = raw[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "$" and raw.startswith("${", i):
            if i > text_start:
                yield "text", base + text_start, base + i
            end = _hole_end(raw, i + 2)
            yield "hole", base + i + 2, base + end
            i = end + 1
            text_start = i
            continue
        i += 1
    if n > text_start:
        yield "text", base + text_start, base + n


def _hole_end(raw: str, i: int) -> int:
    """Index of the ``}`` closing a hole whose expression starts at ``i``."""
    depth = 0
    while i < len(raw):
        ch = raw[i]
        if ch == "'":
            i = _string_end(raw, i)
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            if depth == 0:
                return i
            depth -= 1
        i += 1
    return len(raw) - 1


def _string_end(raw: str, i: int) -> int:
    """Index just after the nested string starting at ``raw[i] == "'"``."""
    i += 1
    while i < len(raw):
        ch = raw[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "'":
            return i + 1
        if raw.startswith("${", i):
            i = _hole_end(raw, i + 2) + 1
            continue
        i += 1
    return i


_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", "'": "'", "$": "$"}


def unescape(raw: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\\" and i + 1 < len(raw):
            nxt = raw[i + 1]
            if nxt == "u" and raw.startswith("{", i + 2) and "}" in raw[i + 3 :]:
                close = raw.index("}", i + 3)
                try:
                    out.append(chr(int(raw[i + 3 : close], 16)))
                except ValueError:
                    out.append(raw[i : close + 1])
                i = close + 1
                continue
            out.append(_ESCAPES.get(nxt, nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def read_template(text: str, display: str) -> Template:
    """Parse and index a Bicep / ``.bicepparam`` file; raises :class:`BicepSyntaxError`.

    Templates are kept for the run by display path and content: a module or parameter file
    several linted files use is read once.
    """
    key = (display, text)
    cached = _TEMPLATES.get(key)
    if cached is None:
        try:
            cached = _read_template(text, display)
        except BicepSyntaxError as failure:
            cached = failure.error
        _TEMPLATES[key] = cached
        while len(_TEMPLATES) > _TEMPLATE_CACHE_SIZE:
            _TEMPLATES.popitem(last=False)
    else:
        _TEMPLATES.move_to_end(key)
    if isinstance(cached, ParseError):
        raise BicepSyntaxError(cached)
    return cached


def _read_template(text: str, display: str) -> Template:
    source = SourceFile(text, display)
    tree = _parse(text, "start", source)
    template = Template(source)
    functions: set[str] = set()
    pending_decorators: tuple[Any, ...] = ()
    for child in tree.children:
        node: Any = child
        if not hasattr(node, "data"):
            continue
        if node.data == "decorators":
            pending_decorators = tuple(node.children)
            continue
        decorators, pending_decorators = pending_decorators, ()
        _index(template, node, decorators, functions)
    template.functions = frozenset(functions)
    for name, param in template.params.items():
        if not param.nullable and _nullable_alias(template.types, param.type_name):
            template.params[name] = evolve(param, nullable=True)
    return template


def _nullable_alias(types: dict[str, Any], name: str) -> bool:
    """Whether ``name`` is a type alias that allows null (``type peType = {...}[]?``).

    CARML and AVM modules type their optional inputs this way; such a parameter without a
    default is null when no value is given, as ``param x T?`` is. Types are declared anywhere
    in the file (usually after the parameters), hence the pass after indexing.
    """
    seen: set[str] = set()
    node = types.get(name)
    while node is not None and name not in seen:
        seen.add(name)
        data = getattr(node, "data", "")
        if data == "type_nullable":
            return True
        if data != "type_name":
            return False
        name = str(node.children[0])
        node = types.get(name)
    return False


def _name(node: Any) -> str:
    return str(node)


def _index(template: Template, node: Node, decorators: tuple[Any, ...], funcs: set[str]) -> None:
    source = template.source
    kind = node.data
    children = node.children
    if kind == "param":
        name = _name(children[0])
        rest = children[1:]
        type_node = next((c for c in rest if _is_type(c)), None)
        default = next((c for c in rest if not _is_type(c)), None)
        if template.using is not None or (type_node is None and default is not None):
            template.assignments[name] = (default, source.span_of(node))
            return
        nullable = type_node is not None and getattr(type_node, "data", "") == "type_nullable"
        type_name = source.source(type_node) if type_node is not None else ""
        template.params[name] = Param(name, source.span_of(node), default, nullable, type_name)
    elif kind == "var":
        template.variables[_name(children[0])] = children[-1]
    elif kind == "type_decl":
        template.types[_name(children[0])] = children[-1]
    elif kind == "output":
        template.outputs[_name(children[0])] = children[-1]
    elif kind == "resource_decl":
        _index_resource(template, node, None, "", decorators)
    elif kind == "module":
        symbol, path_token, body = children[0], children[1], children[2]
        template.modules[_name(symbol)] = Module(
            _name(symbol),
            unescape(str(path_token)[1:-1]),
            source.span_of(path_token),
            _declaration_span(source, node),
            body,
        )
    elif kind == "func":
        name = _name(children[0])
        funcs.add(name)
        params = tuple(_name(c.children[0]) for c in children[1:-2])
        template.function_bodies[name] = (params, children[-1])
    elif kind == "extends":
        template.extends = unescape(str(children[0])[1:-1])
    elif kind == "using":
        target = children[0]
        path = unescape(str(target)[1:-1]) if str(target).startswith("'") else str(target)
        template.using = (path, source.span_of(node))


def _is_type(node: Any) -> bool:
    data = getattr(node, "data", None)
    return isinstance(data, str) and data.startswith("type_")


def _declaration_span(source: SourceFile, node: Node) -> Span:
    """The first line of a declaration (``resource x '...' = {``), as reports show it."""
    start, end = bounds(node)
    newline = source.text.find("\n", start, end)
    return source.span(start, newline if newline != -1 else end)


def _index_resource(
    template: Template,
    node: Node,
    parent: Resource | None,
    prefix: str,
    decorators: tuple[Any, ...],
) -> None:
    source = template.source
    symbol_token, type_token = node.children[0], node.children[1]
    existing = any(getattr(c, "type", None) == "EXISTING" for c in node.children[2:-1])
    body = node.children[-1]
    declared = unescape(str(type_token)[1:-1])
    type_name, _, api = declared.partition("@")
    if parent is not None and "/" not in type_name:
        type_name = f"{parent.type}/{type_name}"
        api = api or (parent.api_version or "")
    symbol = f"{prefix}{symbol_token}"
    resource = Resource(
        symbol=symbol,
        type=type_name,
        api_version=api or None,
        type_span=source.span_of(type_token, literal=True),
        span=_declaration_span(source, node),
        body=body,
        existing=existing,
        parent=parent.symbol if parent else None,
        decorators=decorators,
    )
    template.resources[symbol] = resource
    for child, child_decorators in _nested_resources(body):
        _index_resource(template, child, resource, f"{symbol}::", child_decorators)


def _nested_resources(body: Any) -> Iterator[tuple[Any, tuple[Any, ...]]]:
    """``resource`` declarations inside a resource body (through a loop or condition)."""
    node = body
    while getattr(node, "data", None) in ("loop", "if_body"):
        node = node.children[-1]
    if getattr(node, "data", None) != "object":
        return
    decorators: tuple[Any, ...] = ()
    for child in node.children:
        data = getattr(child, "data", None)
        if data == "decorators":
            decorators = tuple(child.children)
        elif data == "resource_decl":
            yield child, decorators
            decorators = ()
