"""Terraform source as a small positioned tree: blocks, attributes and expressions.

python-hcl2 renders expressions back to strings and drops positions, so we walk its raw parse
tree instead (``hcl2.parses_to_tree``, with positions; :mod:`acr_trusted.lint.hcl_grammar` builds
the same tree from generated tables without importing python-hcl2 or Lark): every expression
keeps its file, line, column and, for literals that ``--fix`` may rewrite, its character offsets.
``.tf.json`` files and plan JSON are read into the same shape by
:mod:`acr_trusted.lint.terraform_json`, so the evaluator and the resource readers do not care
which syntax a module was written in.
"""

from __future__ import annotations

import enum
import re
import textwrap
from collections.abc import Callable, Mapping
from typing import Any

from acr_trusted.lint.bicep_lalr import Node, Token
from acr_trusted.lint.model import Span
from acr_trusted.records import evolve, field, frozen


class Kind(str, enum.Enum):
    LITERAL = "literal"  # value: str | int | float | bool | None
    TEMPLATE = "template"  # children: literal and interpolated parts
    NAME = "name"  # value: the identifier
    ATTR = "attr"  # children: (object,), value: attribute name
    INDEX = "index"  # children: (object, key)
    CALL = "call"  # value: function name, children: arguments
    CONDITIONAL = "conditional"  # children: (condition, when_true, when_false)
    BINARY = "binary"  # value: operator, children: (left, right)
    UNARY = "unary"  # value: operator, children: (operand,)
    TUPLE = "tuple"
    OBJECT = "object"  # keys: key expressions, children: values
    FOR = "for"  # value: ForClause, children: (collection, result[, condition]), keys: (key,)
    SPLAT = "splat"  # children: (source, per-element traversal rooted at SPLAT_ITEM)
    OPAQUE = "opaque"  # template directives, f(args...): never evaluated


SPLAT_ITEM = "[*]"  # the name a splat's per-element traversal starts from (not an identifier)


@frozen
class ForClause:
    """``for key_var, value_var in ...``; an object ``for`` has a key expression in ``keys``."""

    key_var: str | None
    value_var: str
    grouped: bool = False  # `{for ... : k => v...}` collects values per key
    conditional: bool = False  # an `if` clause is the last child


@frozen
class Expr:
    kind: Kind
    span: Span
    text: str
    value: Any = None
    children: tuple[Expr, ...] = ()
    keys: tuple[Expr, ...] = ()

    def walk(self) -> list[Expr]:
        """This expression and every sub-expression, depth first."""
        out = [self]
        for child in (*self.keys, *self.children):
            out.extend(child.walk())
        return out


@frozen
class Attribute:
    name: str
    expr: Expr
    span: Span


@frozen
class Block:
    type: str
    labels: tuple[str, ...]
    body: Body
    span: Span  # the header: from the block type to its opening brace


@frozen
class Body:
    attributes: Mapping[str, Attribute] = field(factory=dict)
    blocks: tuple[Block, ...] = ()

    def expr(self, name: str) -> Expr | None:
        attribute = self.attributes.get(name)
        return attribute.expr if attribute else None

    def blocks_of(self, block_type: str) -> tuple[Block, ...]:
        return tuple(b for b in self.blocks if b.type == block_type)


class HclSyntaxError(Exception):
    """The text is not valid HCL: where and why, in the parser's words."""

    def __init__(self, line: int, column: int, reason: str) -> None:
        super().__init__(f"{line}:{column}: {reason}")
        self.line = line
        self.column = column
        self.reason = reason


class Positions:
    """Offsets to 1-based line/column for one text, and spans in that text's file."""

    def __init__(self, path: str, text: str) -> None:
        from acr_trusted.lint.arm_json import Positions as LineIndex

        self.path = path
        self.text = text
        self._index = LineIndex(text)

    def line_col(self, offset: int) -> tuple[int, int]:
        return self._index.line_col(offset)

    def span(self, start: int, end: int, *, fixable: bool = False) -> Span:
        """The span of ``text[start:end]`` (end exclusive)."""
        end = max(end, start + 1)
        line, column = self.line_col(start)
        end_line, end_column = self.line_col(end - 1)
        if fixable:
            return Span(self.path, line, column, end_line, end_column, start, end)
        return Span(self.path, line, column, end_line, end_column)


_HEREDOC = re.compile(r"<<(-?)([A-Za-z][A-Za-z0-9._-]*)\r?\n((?:.*?\n)?)[ \t]*\2\s*\Z", re.S)
_OPERATOR = re.compile(r"(==|!=|<=|>=|&&|\|\||[<>+\-*/%])\s*\Z")


def parse_hcl(positions: Positions) -> Body:
    """Parse HCL text into a :class:`Body`; raises :class:`HclSyntaxError` with line/column."""
    from acr_trusted.lint import hcl_grammar

    text = positions.text
    # A BOM is legal in front of a .tf file; blank it without moving any offset.
    source = " " + text[1:] if text.startswith("\ufeff") else text
    try:
        tree = hcl_grammar.parse(source)
    except Exception as exc:  # python-hcl2 reports text that is not HCL with Lark's exceptions
        raise _syntax_error(exc, positions, source) from None
    return _HclReader(positions).body(tree.children[0])


def _syntax_error(exc: Exception, positions: Positions, source: str) -> Exception:
    """Lark's error as an :class:`HclSyntaxError`; any other exception as it is."""
    from lark.exceptions import (
        UnexpectedCharacters,
        UnexpectedEOF,
        UnexpectedInput,
        UnexpectedToken,
    )

    text = positions.text
    if isinstance(exc, UnexpectedCharacters):
        pos = exc.pos_in_stream or 0
        char = source[pos] if pos < len(source) else ""
        return HclSyntaxError(exc.line, exc.column, f"unexpected character {char!r}")
    if isinstance(exc, UnexpectedToken):
        token = exc.token
        if token.type == "$END":
            line, column = positions.line_col(max(len(text) - 1, 0))
            return HclSyntaxError(line, column, "unexpected end of file")
        expected = ", ".join(sorted(exc.expected)[:6])
        shown = str(token).strip().splitlines()[0][:30] if str(token).strip() else ""
        reason = f"unexpected {token.type} {shown!r}" + (
            f" (expected one of: {expected})" if expected else ""
        )
        return HclSyntaxError(token.line or 1, token.column or 1, reason)
    if isinstance(exc, UnexpectedEOF):
        line, column = positions.line_col(max(len(text) - 1, 0))
        return HclSyntaxError(line, column, "unexpected end of file")
    if isinstance(exc, UnexpectedInput):  # any other Lark input error
        return HclSyntaxError(exc.line, exc.column, "invalid HCL")
    return exc


def parse_hcl_expression(source: str, span: Span) -> Expr:
    """Parse an expression found inside a JSON string (``"${var.x}"``); every node gets ``span``.

    Raises :class:`HclSyntaxError` when the string is not a valid template.
    """
    text = "x = " + source
    positions = Positions(span.path, text)
    body = parse_hcl(positions)
    expr = body.expr("x")
    if expr is None:
        raise HclSyntaxError(span.line, span.column, "invalid template")
    return _HclReader(positions, fixed=span).rebase(expr)


def quoted(value: str) -> str:
    """``value`` as an HCL quoted string whose template text is ``value`` itself."""
    escaped = (
        value.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    return f'"{escaped}"'


_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|(.))", re.S)
_SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


def unescape(raw: str) -> str:
    """The value of a quoted template's literal text: HCL's escapes resolved in one pass.

    As python-hcl2 reads them (``hcl2.utils.process_escape_sequences``): an escape HCL does not
    define, or a ``\\u`` / ``\\U`` escape that is no character (a surrogate, past U+10FFFF),
    stays as written, backslash included.
    """
    if "\\" not in raw:
        return raw

    def resolve(match: re.Match[str]) -> str:
        digits = match.group(1) or match.group(2)
        if digits is None:
            return _SIMPLE_ESCAPES.get(match.group(3), match.group(0))
        codepoint = int(digits, 16)
        if codepoint > 0x10FFFF or 0xD800 <= codepoint < 0xE000:
            return match.group(0)
        return chr(codepoint)

    return _ESCAPE.sub(resolve, raw)


def _trees(node: Node) -> list[Node]:
    return [c for c in node.children if c.__class__ is Node and c.data != "new_line_or_comment"]


class _HclReader:
    def __init__(self, positions: Positions, fixed: Span | None = None) -> None:
        self.positions = positions
        self.fixed = fixed

    def rebase(self, expr: Expr) -> Expr:
        """Give every node the fixed span (expressions parsed out of JSON strings)."""
        assert self.fixed is not None
        return Expr(
            expr.kind,
            self.fixed,
            expr.text,
            expr.value,
            tuple(self.rebase(c) for c in expr.children),
            tuple(self.rebase(k) for k in expr.keys),
        )

    def _bounds(self, node: Node | Token) -> tuple[int, int]:
        if node.start_pos is None:  # a node that covers no token
            return 0, 0
        return node.start_pos, node.end_pos or 0

    def span(self, node: Any, *, fixable: bool = False) -> Span:
        start, end = self._bounds(node)
        return self.positions.span(start, end, fixable=fixable)

    def source(self, node: Any) -> str:
        start, end = self._bounds(node)
        return self.positions.text[start:end]

    def body(self, node: Any) -> Body:
        attributes: dict[str, Attribute] = {}
        blocks: list[Block] = []
        for child in _trees(node):
            if child.data == "attribute":
                name = self.name(child.children[0])
                expr = self.expr(_trees(child)[-1])
                attributes[name] = Attribute(name, expr, self.span(child))
            elif child.data == "block":
                blocks.append(self.block(child))
        return Body(attributes, tuple(blocks))

    def block(self, node: Any) -> Block:
        parts = _trees(node)
        block_type = self.name(parts[0])
        labels = tuple(
            self.string_text(p) if p.data == "string" else self.name(p) for p in parts[1:-1]
        )
        brace = next(c for c in node.children if isinstance(c, Token) and c.type == "LBRACE")
        start, _ = self._bounds(node)
        header = self.positions.span(start, brace.end_pos or start + 1)
        return Block(block_type, labels, self.body(parts[-1]), header)

    def name(self, node: Any) -> str:
        token = node if isinstance(node, Token) else node.children[0]
        return str(token)

    def string_text(self, node: Any) -> str:
        return "".join(str(part.children[0]) for part in _trees(node))

    def expr(self, node: Any) -> Expr:
        if isinstance(node, Token):
            return self._make(Kind.OPAQUE, node)
        handler: Callable[[Any], Expr] | None = getattr(self, f"_x_{node.data}", None)
        if handler is None:
            return self._make(Kind.OPAQUE, node)
        return handler(node)

    def _make(
        self,
        kind: Kind,
        node: Any,
        value: Any = None,
        children: tuple[Expr, ...] = (),
        keys: tuple[Expr, ...] = (),
        *,
        fixable: bool = False,
    ) -> Expr:
        span = self.fixed or self.span(node, fixable=fixable)
        return Expr(kind, span, self.source(node), value, children, keys)

    def _x_expr_term(self, node: Any) -> Expr:
        return self.expr(_trees(node)[0])

    def _x_conditional(self, node: Any) -> Expr:
        parts = tuple(self.expr(t) for t in _trees(node))
        return self._make(Kind.CONDITIONAL, node, children=parts)

    def _x_binary_op(self, node: Any) -> Expr:
        left, term = _trees(node)[:2]
        operator_node, right = _trees(term)[:2]
        match = _OPERATOR.search(str(operator_node.children[0]))
        operator = match.group(1) if match else "?"
        # the parser's node runs on over the newline or comment after the right operand
        start, end = self._bounds(node)[0], self._bounds(right)[1]
        span = self.fixed or self.positions.span(start, end)
        operands = (self.expr(left), self.expr(right))
        return Expr(Kind.BINARY, span, self.positions.text[start:end], operator, operands)

    def _x_unary_op(self, node: Any) -> Expr:
        operator = str(node.children[0]).strip()
        return self._make(Kind.UNARY, node, operator, (self.expr(_trees(node)[0]),))

    def _x_int_lit(self, node: Any) -> Expr:
        return self._make(Kind.LITERAL, node, int(str(node.children[0])), fixable=True)

    def _x_float_lit(self, node: Any) -> Expr:
        return self._make(Kind.LITERAL, node, float(str(node.children[0])), fixable=True)

    def _x_literal_value(self, node: Any) -> Expr:
        word = str(node.children[0])
        value = {"true": True, "false": False, "null": None}[word]
        return self._make(Kind.LITERAL, node, value, fixable=True)

    def _x_identifier(self, node: Any) -> Expr:
        return self._make(Kind.NAME, node, str(node.children[0]))

    def _x_keyword(self, node: Any) -> Expr:
        return self._make(Kind.NAME, node, str(node.children[0]))

    def _x_string(self, node: Any) -> Expr:
        parts: list[Expr] = []
        literal = True
        for part in _trees(node):
            inner = part.children[0]
            if isinstance(inner, Node):  # an interpolation or a directive
                literal = False
                if inner.data == "interpolation":
                    parts.append(self.expr(_trees(inner)[0]))
                else:
                    parts.append(self._make(Kind.OPAQUE, inner))
                continue
            raw = str(inner)
            if inner.type in ("ESCAPED_INTERPOLATION", "ESCAPED_DIRECTIVE"):  # $${ and %%{
                text = raw[1:]
            else:
                text = unescape(raw)
            parts.append(self._make(Kind.LITERAL, part, text))
        if literal:
            value = "".join(str(p.value) for p in parts)
            return self._make(Kind.LITERAL, node, value, fixable=True)
        return self._make(Kind.TEMPLATE, node, children=tuple(parts))

    def _heredoc(self, node: Any) -> Expr:
        """A heredoc's lines up to the closing marker, with the last newline, as in HCL.

        ``<<-`` removes the indentation common to every line. A heredoc is a template:
        one with ``${...}`` or ``%{...}`` is parsed as a quoted string holding the same text.
        """
        match = _HEREDOC.match(str(node.children[0]))
        if match is None:
            return self._make(Kind.OPAQUE, node)
        content = match.group(3).replace("\r\n", "\n")
        if match.group(1):
            content = textwrap.dedent(content)
        if "${" not in content and "%{" not in content:
            return self._make(Kind.LITERAL, node, content)
        span = self.fixed or self.span(node)
        try:
            template = parse_hcl_expression(quoted(content), span)
        except HclSyntaxError:
            return self._make(Kind.OPAQUE, node)
        return evolve(template, text=self.source(node))

    _x_heredoc_template = _heredoc
    _x_heredoc_template_trim = _heredoc

    def _x_tuple(self, node: Any) -> Expr:
        items = tuple(self.expr(t) for t in _trees(node))
        return self._make(Kind.TUPLE, node, children=items)

    def _x_object(self, node: Any) -> Expr:
        keys: list[Expr] = []
        values: list[Expr] = []
        for element in _trees(node):
            key_node, value_node = _trees(element)[:2]
            key = self.expr(_trees(key_node)[0])
            if key.kind is Kind.NAME:  # `{ a = 1 }`: a bare key is a string
                key = Expr(Kind.LITERAL, key.span, key.text, key.value)
            keys.append(key)
            values.append(self.expr(value_node))
        return self._make(Kind.OBJECT, node, children=tuple(values), keys=tuple(keys))

    def _x_function_call(self, node: Any) -> Expr:
        names = [self.name(t) for t in _trees(node) if t.data == "identifier"]
        arguments = next((t for t in _trees(node) if t.data == "arguments"), None)
        args = tuple(self.expr(t) for t in _trees(arguments)) if arguments is not None else ()
        expands = arguments is not None and any(
            str(c) == "..." for c in arguments.children if not hasattr(c, "data")
        )
        if expands:  # f(list...) spreads its last argument: not something we evaluate
            return self._make(Kind.OPAQUE, node)
        return self._make(Kind.CALL, node, "::".join(names), args)

    def _index_key(self, node: Any) -> Expr:
        """The key of ``[key]``, or the number of ``.0``."""
        if node.data == "short_index":
            number = int(str(node.children[-1]))
            return Expr(Kind.LITERAL, self.fixed or self.span(node), str(number), number)
        return self.expr(_trees(node)[0])

    def _x_index_expr_term(self, node: Any) -> Expr:
        target, index = _trees(node)[:2]
        key = self._index_key(index)
        return self._make(Kind.INDEX, node, children=(self.expr(target), key))

    def _x_get_attr_expr_term(self, node: Any) -> Expr:
        target, get_attr = _trees(node)[:2]
        name = self.name(_trees(get_attr)[0])
        return self._make(Kind.ATTR, node, name, (self.expr(target),))

    def _step(self, base: Expr, step: Any, span: Span) -> Expr:
        """``base.name`` or ``base[key]`` for one step of a splat's traversal."""
        if step.data == "get_attr":
            name = self.name(_trees(step)[0])
            return Expr(Kind.ATTR, span, f"{base.text}.{name}", name, (base,))
        key = self._index_key(step)
        return Expr(Kind.INDEX, span, f"{base.text}[{key.text}]", None, (base, key))

    def _splat(self, node: Any, *, attributes_only: bool) -> Expr:
        """``src[*].a.b``: the traversal after the splat is applied to each element.

        The legacy attribute splat (``src.*.a[0]``) applies only its leading attribute steps
        to each element; an index after them applies to the resulting list, as in HCL.
        """
        source, splat = _trees(node)[:2]
        steps = _trees(splat)
        span = self.fixed or self.span(node)
        if attributes_only:
            inner = next((i for i, s in enumerate(steps) if s.data != "get_attr"), len(steps))
        else:
            inner = len(steps)
        each = Expr(Kind.NAME, span, SPLAT_ITEM, SPLAT_ITEM)
        for step in steps[:inner]:
            each = self._step(each, step, span)
        target = self.expr(source)
        text = f"{target.text}{'.*' if attributes_only else '[*]'}{each.text[len(SPLAT_ITEM) :]}"
        result = Expr(Kind.SPLAT, span, text, None, (target, each))
        for step in steps[inner:]:
            result = self._step(result, step, span)
        return result

    def _x_full_splat_expr_term(self, node: Any) -> Expr:
        return self._splat(node, attributes_only=False)

    def _x_attr_splat_expr_term(self, node: Any) -> Expr:
        return self._splat(node, attributes_only=True)

    def _for(self, node: Any, *, is_object: bool) -> Expr:
        intro, *parts = _trees(node)
        names = [self.name(t) for t in _trees(intro) if t.data == "identifier"]
        collection = self.expr(_trees(intro)[-1])
        condition = [self.expr(_trees(parts.pop())[0])] if parts[-1].data == "for_cond" else []
        grouped = any(isinstance(c, Token) and c.type == "ELLIPSIS" for c in node.children)
        clause = ForClause(
            key_var=names[0] if len(names) == 2 else None,
            value_var=names[-1],
            grouped=grouped,
            conditional=bool(condition),
        )
        exprs = [self.expr(p) for p in parts]
        keys = (exprs.pop(0),) if is_object else ()
        return self._make(Kind.FOR, node, clause, (collection, *exprs, *condition), keys)

    def _x_for_tuple_expr(self, node: Any) -> Expr:
        return self._for(node, is_object=False)

    def _x_for_object_expr(self, node: Any) -> Expr:
        return self._for(node, is_object=True)
