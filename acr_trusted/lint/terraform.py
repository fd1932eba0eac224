"""The Terraform loader: ``.tf``, ``.tf.json``, ``.tfvars`` and plan JSON -> :class:`FileModel`.

A ``.tf`` file is read as part of its directory (a module): variables, locals and outputs may
live in sibling files, variable values come from ``terraform.tfvars``, ``*.auto.tfvars`` and
``--param-file`` ``.tfvars`` files, and ``module`` blocks are followed to local sources, to
``.terraform/modules/modules.json`` for registry modules, or to acr-trusted's table of
well-known modules. Only what the linted file declares is reported: a module's registries at
its call site. A plan (``terraform show -json``) is read from its planned values, with the
configuration's references used to link resources whose ids are not known yet.

python-hcl2 is imported only when a file is parsed.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from acr_trusted.lint import arm_json
from acr_trusted.lint.known_modules import find_known_module
from acr_trusted.lint.model import (
    FileModel,
    LoadContext,
    Origin,
    OriginKind,
    ParseError,
    Span,
    Value,
)
from acr_trusted.lint.terraform_eval import (
    Instance,
    KnownCall,
    Module,
    Scope,
    evaluate,
    meta_instances,
    with_origin,
)
from acr_trusted.lint.terraform_json import json_body, json_config, json_expr, parse_json
from acr_trusted.lint.terraform_resources import read_instance
from acr_trusted.lint.terraform_syntax import (
    Attribute,
    Block,
    Body,
    Expr,
    HclSyntaxError,
    Kind,
    Positions,
    parse_hcl,
    parse_hcl_expression,
)

FORMAT = "terraform"
_CALL_META = frozenset({"source", "version", "count", "for_each", "providers", "depends_on"})


def handles(path: Path) -> bool:
    name = path.name.lower()
    if name.endswith((".tf", ".tf.json", ".tfvars", ".tfvars.json")):
        return True
    return name.endswith(".json") and ("plan" in name or "tfplan" in name)


def is_plan_json(data: Any) -> bool:
    """Is this parsed JSON the output of ``terraform show -json`` for a plan?"""
    return (
        isinstance(data, Mapping)
        and "format_version" in data
        and ("planned_values" in data or "resource_changes" in data)
    )


def prepare() -> None:
    """Load the HCL parser now (the engine does before it forks children that parse HCL)."""
    from acr_trusted.lint import hcl_grammar

    hcl_grammar.prepare()


def load(path: Path, text: str, ctx: LoadContext) -> FileModel:
    display = ctx.display_path(path)
    name = path.name.lower()
    try:
        if name.endswith((".tfvars", ".tfvars.json")):
            tfvars_values(display, text)  # only to report parse errors
            return FileModel(display, FORMAT, text=text)
        if name.endswith((".tf", ".tf.json")):
            return _load_configuration(path, display, text, ctx)
        return _load_plan(display, text)
    except HclSyntaxError as exc:
        error = ParseError(Span.point(display, exc.line, exc.column), exc.reason)
        return FileModel(display, FORMAT, errors=(error,), text=text)
    except RecursionError:
        error = ParseError(Span.point(display, 1), "nested too deeply to read")
        return FileModel(display, FORMAT, errors=(error,), text=text)


# -- configuration ----------------------------------------------------------------------------


@functools.lru_cache(maxsize=512)
def _parse(display: str, text: str, json_syntax: bool) -> tuple[Block, ...]:
    positions = Positions(display, text)
    if json_syntax:
        return json_config(positions, parse_json(positions)).blocks
    return parse_hcl(positions).blocks


def _is_config(name: str) -> bool:
    return name.endswith((".tf", ".tf.json"))


def _module_blocks(
    directory: Path, ctx: LoadContext, skip: Path | None = None
) -> tuple[Block, ...] | None:
    """Every block of the module in ``directory``; ``None`` when it has no readable file."""
    try:
        names = sorted(p.name for p in directory.iterdir() if _is_config(p.name.lower()))
    except OSError:
        return None
    blocks: list[Block] = []
    found = False
    for file_name in names:
        file_path = directory / file_name
        if skip is not None and file_name == skip.name:
            continue
        try:
            text = ctx.read_text(file_path)
            blocks.extend(_parse(ctx.display_path(file_path), text, file_name.endswith(".json")))
            found = True
        except (OSError, UnicodeDecodeError, HclSyntaxError, RecursionError):
            continue  # a broken sibling is reported when it is linted itself
    return tuple(blocks) if found or skip is not None else None


def _load_configuration(path: Path, display: str, text: str, ctx: LoadContext) -> FileModel:
    own = _parse(display, text, path.name.lower().endswith(".json"))
    siblings = _module_blocks(path.parent, ctx, skip=path) or ()
    module = Module.of(str(path.parent), (*own, *siblings))
    loader = _ChildLoader(ctx, path.parent)
    root = Instance(
        module,
        root_path=display,
        label="",
        inputs=_root_inputs(path.parent, ctx),
        load_child=loader.load,
    )
    registries, consumers = read_instance(root, only_path=display)
    return FileModel(display, FORMAT, tuple(registries), tuple(consumers), (), text)


class _ChildLoader:
    """Instantiates module calls: local sources, modules.json entries, the known-module table."""

    def __init__(self, ctx: LoadContext, root_directory: Path) -> None:
        self.ctx = ctx
        self.root_directory = root_directory
        self._installed: dict[str, str] | None = None

    def installed(self) -> Mapping[str, str]:
        """``.terraform/modules/modules.json`` of the root module: call key -> directory."""
        if self._installed is None:
            self._installed = {}
            manifest = self.root_directory / ".terraform" / "modules" / "modules.json"
            try:
                data = arm_json.plain(arm_json.parse(self.ctx.read_text(manifest)))
            except (OSError, UnicodeDecodeError, arm_json.JsonSyntaxError, RecursionError):
                return self._installed
            entries = data.get("Modules") if isinstance(data, dict) else None
            for entry in entries if isinstance(entries, list) else ():
                if isinstance(entry, dict) and isinstance(entry.get("Key"), str):
                    directory = entry.get("Dir")
                    if isinstance(directory, str):
                        self._installed[entry["Key"]] = directory
        return self._installed

    def load(self, parent: Instance, call: Block) -> Instance | KnownCall | None:
        scope = parent.scope()
        expansions = meta_instances(call.body, scope)
        if not expansions:
            return None  # count = 0 / empty for_each: the module is not called
        call_scope, certain = expansions[0]
        source = evaluate(call.body.expr("source"), scope).text()
        if not source:
            return None
        label = f"module '{source}'"
        inputs, input_exprs = _call_inputs(call, call_scope, label)
        conditional = parent.conditional or not certain
        directory = self.directory(parent, call, source)
        blocks = _module_blocks(directory, self.ctx) if directory is not None else None
        if blocks is None:
            if find_known_module(source) is None:
                return None
            return KnownCall(source, inputs, conditional)
        child = Instance(
            Module.of(str(directory), blocks),
            root_path=parent.root_path,
            label=label,
            inputs=inputs,
            input_exprs=input_exprs,
            parent=parent,
            call=call,
            load_child=self.load,
            depth=parent.depth + 1,
        )
        child.conditional = conditional
        return child

    def directory(self, parent: Instance, call: Block, source: str) -> Path | None:
        if source.startswith(("./", "../")) or source in (".", ".."):
            return Path(os.path.normpath(Path(parent.module.directory) / source))
        keys: list[str] = [call.labels[0]]
        node = parent
        while node.call is not None and node.parent is not None:
            keys.insert(0, node.call.labels[0])
            node = node.parent
        installed = self.installed().get(".".join(keys))
        return self.root_directory / installed if installed else None


def _call_inputs(
    call: Block, scope: Scope, label: str
) -> tuple[dict[str, Value], dict[str, tuple[Expr, Scope]]]:
    """A module call's input values and the expressions they come from (for links).

    An input given the caller's own variable default stays that default (as a Bicep module
    argument does): it varies with the caller's deployment, and a None there is the caller's
    unsafe default (ACRT005).
    """
    inputs: dict[str, Value] = {}
    input_exprs: dict[str, tuple[Expr, Scope]] = {}
    for name, attribute in call.body.attributes.items():
        if name in _CALL_META:
            continue
        expr = attribute.expr
        value = evaluate(expr, scope)
        if value.origin.kind is not OriginKind.PARAMETER_DEFAULT:
            note = f"the value given for '{name}' in {label} ({expr.span})"
            origin = Origin(OriginKind.PARAMETER_VALUE, name, expr.span, note)
            value = with_origin(value, origin)
        inputs[name] = value
        input_exprs[name] = (expr, scope)
    return inputs, input_exprs


# -- variable values ------------------------------------------------------------------------


def _root_inputs(directory: Path, ctx: LoadContext) -> dict[str, Value]:
    """Variable values for a root module: tfvars by Terraform's conventions, then --param-file."""
    candidates = [directory / "terraform.tfvars", directory / "terraform.tfvars.json"]
    with contextlib.suppress(OSError):
        candidates.extend(
            sorted(
                p
                for p in directory.iterdir()
                if p.name.endswith((".auto.tfvars", ".auto.tfvars.json"))
            )
        )
    candidates.extend(p for p in ctx.param_files if p.name.endswith((".tfvars", ".tfvars.json")))
    values: dict[str, Value] = {}
    for candidate in candidates:
        try:
            text = ctx.read_text(candidate)
            values.update(tfvars_values(ctx.display_path(candidate), text))
        except (OSError, UnicodeDecodeError, HclSyntaxError, RecursionError):
            continue
    return values


def tfvars_values(display: str, text: str) -> dict[str, Value]:
    """The values a ``.tfvars`` / ``.tfvars.json`` file assigns, with where they were written."""
    positions = Positions(display, text)
    exprs: dict[str, Expr] = {}
    if display.endswith(".json"):
        root = parse_json(positions)
        if isinstance(root, arm_json.JObject):
            for name, node in root.items():
                exprs[name] = json_expr(positions, node, templates=False)
    else:
        exprs = {name: a.expr for name, a in parse_hcl(positions).attributes.items()}
    scope = Instance(Module.of(display, ()), root_path=display, label="").scope()
    values: dict[str, Value] = {}
    for name, expr in exprs.items():
        note = f"the value of '{name}' in {expr.span}"
        origin = Origin(OriginKind.PARAMETER_VALUE, name, expr.span, note)
        values[name] = with_origin(evaluate(expr, scope), origin)
    return values


# -- plans ------------------------------------------------------------------------------------


class _ReadOnlyPositions(Positions):
    """A plan is generated output: nothing in it is offered to ``--fix``."""

    def span(self, start: int, end: int, *, fixable: bool = False) -> Span:
        return super().span(start, end)


def _load_plan(display: str, text: str) -> FileModel:
    positions = _ReadOnlyPositions(display, text)
    root = parse_json(positions)
    if not isinstance(root, arm_json.JObject) or not is_plan_json(
        {k: True for k, _ in root.items()}
    ):
        return FileModel(display, FORMAT, text=text)
    references = _configuration_references(root)
    modules: dict[str, list[Block]] = {}
    planned = root.get("planned_values")
    root_module = planned.get("root_module") if isinstance(planned, arm_json.JObject) else None
    if isinstance(root_module, arm_json.JObject):
        _plan_module(positions, root_module, modules, references)
    else:
        _plan_changes(positions, root.get("resource_changes"), modules, references)
    # every module address, and its ancestors, with the module calls that lead to its children
    calls: dict[str, list[Block]] = {}
    for module_address in list(modules):
        while module_address:
            parent_address, separator, name = module_address.rpartition(".module.")
            if not separator:
                parent_address, name = "", module_address.removeprefix("module.")
            at = Span.point(display, 1)
            inputs = _with_references(Body(), references.get(module_address), at)
            call = Block("module", (name,), inputs, at)
            siblings = calls.setdefault(parent_address, [])
            if all(c.labels != call.labels for c in siblings):
                siblings.append(call)
            modules.setdefault(parent_address, [])
            module_address = parent_address
    addresses: dict[int, str] = {}

    def instantiate(module_address: str, parent: Instance | None, call: Block | None) -> Instance:
        blocks = (*modules.get(module_address, ()), *calls.get(module_address, ()))
        label = f"module '{module_address}'" if module_address else ""
        inputs, input_exprs = (
            _call_inputs(call, parent.scope(), label) if call and parent else ({}, {})
        )
        instance = Instance(
            Module.of(display, blocks),
            root_path=display,
            label=label,
            inputs=inputs,
            input_exprs=input_exprs,
            parent=parent,
            call=call,
            load_child=load_child,
            depth=module_address.count("module."),
        )
        instance.anchored = False  # a plan's resources keep their own spans
        addresses[id(instance)] = module_address
        return instance

    def load_child(parent: Instance, call: Block) -> Instance | KnownCall | None:
        prefix = addresses[id(parent)]
        child = f"{prefix}.module.{call.labels[0]}" if prefix else f"module.{call.labels[0]}"
        return instantiate(child, parent, call) if child in modules else None

    registries, consumers = read_instance(instantiate("", None, None))
    return FileModel(display, FORMAT, tuple(registries), tuple(consumers), (), text)


def _plan_module(
    positions: Positions,
    module: arm_json.JObject,
    out: dict[str, list[Block]],
    references: Mapping[str, Any],
) -> None:
    module_address = module.text("address") or ""
    for resource in _items(module.get("resources")):
        _plan_resource(positions, resource, resource.get("values"), module_address, out, references)
    for child in _items(module.get("child_modules")):
        _plan_module(positions, child, out, references)


def _plan_changes(
    positions: Positions,
    changes: arm_json.JNode | None,
    out: dict[str, list[Block]],
    references: Mapping[str, Any],
) -> None:
    for change in _items(changes):
        after = change.get("change")
        values = after.get("after") if isinstance(after, arm_json.JObject) else None
        module_address = change.text("module_address") or ""
        _plan_resource(positions, change, values, module_address, out, references)


def _plan_resource(
    positions: Positions,
    resource: arm_json.JObject,
    values: arm_json.JNode | None,
    module_address: str,
    out: dict[str, list[Block]],
    references: Mapping[str, Any],
) -> None:
    kind, name = resource.text("type"), resource.text("name")
    if resource.text("mode") == "data" or not kind or not name:
        return
    body = json_body(positions, values, templates=False) if values is not None else Body()
    line, column = positions.line_col(resource.start)
    span = Span.point(positions.path, line, column)
    key = f"{module_address}.{kind}.{name}" if module_address else f"{kind}.{name}"
    body = _with_references(body, references.get(key), span)
    out.setdefault(module_address, []).append(Block("resource", (kind, name), body, span))


def _items(node: arm_json.JNode | None) -> list[arm_json.JObject]:
    if not isinstance(node, arm_json.JArray):
        return []
    return [item for item in node.items if isinstance(item, arm_json.JObject)]


def _configuration_references(root: arm_json.JObject) -> dict[str, Any]:
    """Resource address (module path + type.name) -> its configuration ``expressions``; also
    module address -> its call's input ``expressions`` (a child's ``var.x`` reads them)."""
    found: dict[str, Any] = {}
    configuration = root.get("configuration")
    module = (
        configuration.get("root_module") if isinstance(configuration, arm_json.JObject) else None
    )

    def walk(node: arm_json.JNode | None, prefix: str) -> None:
        if not isinstance(node, arm_json.JObject):
            return
        for resource in _items(node.get("resources")):
            address = resource.text("address")
            expressions = resource.get("expressions")
            if address and expressions is not None:
                found[f"{prefix}{address}"] = arm_json.plain(expressions)
        calls = node.get("module_calls")
        if isinstance(calls, arm_json.JObject):
            for name, call in calls.items():
                if not isinstance(call, arm_json.JObject):
                    continue
                inputs = call.get("expressions")
                if inputs is not None:
                    found[f"{prefix}module.{name}"] = arm_json.plain(inputs)
                walk(call.get("module"), f"{prefix}module.{name}.")

    walk(module, "")
    return found


def _with_references(body: Body, expressions: Any, span: Span) -> Body:
    """Fill attributes a plan does not know yet (ids) with the references the config used."""
    if not isinstance(expressions, Mapping):
        return body
    attributes = dict(body.attributes)
    blocks = list(body.blocks)
    for name, expression in expressions.items():
        if isinstance(expression, Mapping) and "constant_value" in expression:
            if name not in attributes:  # a module call's literal input
                try:
                    expr = parse_hcl_expression(json.dumps(expression["constant_value"]), span)
                except HclSyntaxError:
                    continue
                attributes[name] = Attribute(name, expr, span)
        elif isinstance(expression, Mapping) and "references" in expression:
            current = attributes.get(name)
            unknown = current is None or (
                current.expr.kind is Kind.LITERAL and current.expr.value is None
            )
            refs = expression.get("references")
            if unknown and isinstance(refs, list) and refs and isinstance(refs[0], str):
                try:
                    expr = parse_hcl_expression(refs[0], span)
                except HclSyntaxError:
                    continue
                attributes[name] = Attribute(name, expr, span)
        elif isinstance(expression, list):
            nested = [b for b in blocks if b.type == name]
            for index, (block, inner) in enumerate(zip(nested, expression, strict=False)):
                updated = Block(
                    block.type, block.labels, _with_references(block.body, inner, span), block.span
                )
                blocks[blocks.index(nested[index])] = updated
    return Body(attributes, tuple(blocks))
