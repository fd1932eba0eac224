"""Terraform's JSON syntax (``.tf.json``, ``.tfvars.json``, plan JSON) read with positions.

The positioned reader is ARM's (:mod:`acr_trusted.lint.arm_json`); this module maps
Terraform's JSON configuration syntax to the :class:`~acr_trusted.lint.terraform_syntax.Body`
shape the HCL reader produces: in ``.tf.json`` a string is a template (``"${var.x}"``), and an
object member may be an attribute or a nested block, so members that hold objects are offered
as both.
"""

from __future__ import annotations

from acr_trusted.lint import arm_json
from acr_trusted.lint.arm_json import JArray, JNode, JObject
from acr_trusted.lint.model import Span
from acr_trusted.lint.terraform_syntax import (
    Attribute,
    Block,
    Body,
    Expr,
    HclSyntaxError,
    Kind,
    Positions,
    parse_hcl_expression,
    quoted,
)


def parse_json(positions: Positions) -> JNode:
    """JSON with positions (ARM's tolerant reader); errors as :class:`HclSyntaxError`."""
    try:
        return arm_json.parse(positions.text)
    except arm_json.JsonSyntaxError as exc:
        offset = min(exc.offset, max(len(positions.text) - 1, 0))
        line, column = positions.line_col(offset)
        raise HclSyntaxError(line, column, exc.reason) from None


# How many labels each top-level block type has in Terraform's JSON syntax.
_LABELS = {
    "resource": 2,
    "data": 2,
    "module": 1,
    "variable": 1,
    "output": 1,
    "provider": 1,
    "locals": 0,
    "terraform": 0,
}


def json_config(positions: Positions, root: JNode) -> Body:
    """The top-level blocks of a ``.tf.json`` document."""
    converter = _JsonConfig(positions)
    blocks: list[Block] = []
    for block_type, node in root.items() if isinstance(root, JObject) else ():
        depth = _LABELS.get(block_type)
        if depth is not None:
            blocks.extend(converter.labelled(block_type, node, (), depth, node))
    return Body({}, tuple(blocks))


def json_expr(positions: Positions, node: JNode, *, templates: bool) -> Expr:
    """A JSON value as an expression; with ``templates``, strings may hold ``${...}``."""
    return _JsonConfig(positions).expr(node, templates=templates)


def json_body(positions: Positions, node: JNode, *, templates: bool) -> Body:
    return _JsonConfig(positions).body(node, templates=templates)


class _JsonConfig:
    def __init__(self, positions: Positions) -> None:
        self.positions = positions

    def span(self, node: JNode, *, fixable: bool = False) -> Span:
        return self.positions.span(node.start, node.end, fixable=fixable)

    def labelled(
        self, block_type: str, node: JNode, labels: tuple[str, ...], depth: int, header: JNode
    ) -> list[Block]:
        if isinstance(node, JArray):
            out: list[Block] = []
            for item in node.items:
                out.extend(self.labelled(block_type, item, labels, depth, item))
            return out
        if not isinstance(node, JObject):
            return []
        if depth == 0:
            body = self.body(node, templates=block_type != "variable")
            if block_type == "variable":
                body = self._typed(body)
            return [Block(block_type, labels, body, self._header(header))]
        out = []
        for key, child in node.items():
            out.extend(self.labelled(block_type, child, (*labels, key), depth - 1, child))
        return out

    @staticmethod
    def _typed(body: Body) -> Body:
        """A variable's ``type`` is a type expression written in a string: parse it."""
        attribute = body.attributes.get("type")
        if attribute is None or not isinstance(attribute.expr.value, str):
            return body
        try:
            type_expr = parse_hcl_expression(attribute.expr.value, attribute.expr.span)
        except HclSyntaxError:
            return body
        typed = Attribute("type", type_expr, attribute.span)
        return Body({**body.attributes, "type": typed}, body.blocks)

    def _header(self, node: JNode) -> Span:
        line, column = self.positions.line_col(node.start)
        return Span.point(self.positions.path, line, column)

    def body(self, node: JNode, *, templates: bool) -> Body:
        attributes: dict[str, Attribute] = {}
        blocks: list[Block] = []
        for key, child in node.items() if isinstance(node, JObject) else ():
            if key == "//":  # a JSON-syntax comment
                continue
            span = self.positions.span(child.start, child.end)
            attributes[key] = Attribute(key, self.expr(child, templates=templates), span)
            if key == "dynamic" and isinstance(child, JObject):
                for label, content in child.items():
                    for item in _objects(content):
                        body = self.body(item, templates=templates)
                        blocks.append(Block(key, (label,), body, self._header(item)))
                continue
            for item in _objects(child):
                blocks.append(
                    Block(key, (), self.body(item, templates=templates), self._header(item))
                )
        return Body(attributes, tuple(blocks))

    def expr(self, node: JNode, *, templates: bool) -> Expr:
        text = self.positions.text[node.start : node.end]
        if isinstance(node, JObject):
            keys = tuple(
                Expr(Kind.LITERAL, self.span(k), self.positions.text[k.start : k.end], k.value)
                for k in node.keys
            )
            values = tuple(self.expr(child, templates=templates) for child in node.values)
            return Expr(Kind.OBJECT, self.span(node), text, None, values, keys)
        if isinstance(node, JArray):
            items = tuple(self.expr(child, templates=templates) for child in node.items)
            return Expr(Kind.TUPLE, self.span(node), text, None, items)
        value = node.value
        if isinstance(value, str) and templates and ("${" in value or "%{" in value):
            try:
                return parse_hcl_expression(quoted(value), self.span(node))
            except HclSyntaxError:
                return Expr(Kind.OPAQUE, self.span(node), text)
        return Expr(Kind.LITERAL, self.span(node, fixable=True), text, value)


def _objects(node: JNode) -> tuple[JObject, ...]:
    """A block's bodies: an object, or a non-empty array of objects."""
    if isinstance(node, JObject):
        return (node,)
    if isinstance(node, JArray) and node.items and all(isinstance(i, JObject) for i in node.items):
        return tuple(i for i in node.items if isinstance(i, JObject))
    return ()
