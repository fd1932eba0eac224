"""The small expression evaluator shared by the Bicep, ARM and Terraform loaders.

Each loader walks its own syntax and calls these functions for the operators and built-ins it
meets; they combine :class:`~acr_trusted.lint.model.Value` objects, so every format gets the
same semantics: a result is known only when everything it needed was known, it remembers the
parameters it depended on, and string comparison follows the template languages: ``==`` and
ARM ``equals`` are case-sensitive in all three, Bicep ``=~`` is not. (The *service* reads enum
property values case-insensitively -- 'none' is None -- which the rules apply through
``Value.is_`` and ``posture.canonical``, not here.)

A ternary whose condition is unknown stays unknown but keeps both branches in ``alternatives``
so a rule can still say "can be restricted" when either branch restricts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from acr_trusted.lint.model import Origin, OriginKind, Span, Value
from acr_trusted.records import evolve

COMPUTED = Origin(OriginKind.COMPUTED)


def _deps(values: Iterable[Value]) -> frozenset[str]:
    out: frozenset[str] = frozenset()
    for v in values:
        out |= v.depends_on
    return out


def _expr(name: str, args: Sequence[Value]) -> str:
    return f"{name}({', '.join(a.expression or a.describe() for a in args)})"


def computed(value: Any, args: Sequence[Value], *, expression: str, span: Span | None) -> Value:
    """A known result computed from ``args``; it keeps their dependencies."""
    return Value.of(value, span, expression=expression, origin=COMPUTED, depends_on=_deps(args))


def unknown_from(args: Sequence[Value], *, expression: str, span: Span | None) -> Value:
    return Value.unknown(expression, span, depends_on=_deps(args))


def plain(value: Value) -> Any:
    """The plain Python data of a known value (nested Values unwrapped)."""
    return _unwrap(value.value)


def _unwrap(data: Any) -> Any:
    if isinstance(data, Value):
        return _unwrap(data.value)
    if isinstance(data, list):
        return [_unwrap(v) for v in data]
    if isinstance(data, dict):
        return {k: _unwrap(v) for k, v in data.items()}
    return data


def equal_values(left: Any, right: Any, *, ignore_case: bool = False) -> bool:
    """Template equality for plain data: Bicep ``==``, ARM ``equals`` and HCL ``==``.

    All three compare strings case-sensitively (Bicep compiles ``a =~ b`` to
    ``equals(toLower(a), toLower(b))``); ``ignore_case`` serves ``=~`` / ``!~``. Case-insensitive
    *enum* semantics ('none' is None) belong to the service and live in ``Value.is_`` and
    ``posture.canonical``, not here.
    """
    if isinstance(left, str) and isinstance(right, str):
        return left.lower() == right.lower() if ignore_case else left == right
    if isinstance(left, bool) or isinstance(right, bool):
        return left is right
    return bool(left == right)


def truthy(value: Value) -> bool | None:
    """Bicep/ARM/HCL truth of a known value; ``None`` when unknown."""
    if not value.known:
        return None
    data = plain(value)
    if isinstance(data, bool):
        return data
    if isinstance(data, str):
        if data.lower() in ("true", "false"):  # HCL and ARM coerce these strings
            return data.lower() == "true"
        return None
    return None


def ternary(condition: Value, when_true: Value, when_false: Value, *, span: Span | None) -> Value:
    """``c ? a : b``: the chosen branch (with the condition's dependencies), or unknown."""
    chosen = truthy(condition)
    if chosen is None:
        result = unknown_from(
            (condition, when_true, when_false),
            expression=condition.expression or "condition",
            span=span,
        )
        return evolve(result, alternatives=(when_true, when_false))
    branch = when_true if chosen else when_false
    return evolve(
        branch,
        depends_on=branch.depends_on | condition.depends_on,
        origin=_chosen_by(condition, branch),
    )


_NAMED_ORIGINS = frozenset(OriginKind) - {
    OriginKind.LITERAL,
    OriginKind.ABSENT,
    OriginKind.COMPUTED,
}


def _chosen_by(condition: Value, branch: Value) -> Origin:
    """A literal branch picked by a parameter (or variable) takes that parameter's origin.

    ``allow ? 'AzureServices' : 'None'`` with ``allow`` defaulting to false is a default of
    None: a message must name ``allow``, and ``--fix`` must not rewrite the branch (that would
    silently drop the parameter's effect). A branch with its own named origin keeps it.
    """
    if branch.origin.kind is not OriginKind.LITERAL or condition.origin.kind not in _NAMED_ORIGINS:
        return branch.origin
    decided = plain(condition)
    shown = str(decided).lower() if isinstance(decided, bool) else repr(decided)
    return Origin(
        condition.origin.kind,
        condition.origin.name,
        condition.origin.span,
        note=f"chosen because {condition.origin.describe()} is {shown}",
    )


def not_(operand: Value, *, span: Span | None) -> Value:
    t = truthy(operand)
    if t is None:
        return unknown_from((operand,), expression=f"!{operand.expression}", span=span)
    return computed(not t, (operand,), expression=f"!{operand.expression}", span=span)


def and_(left: Value, right: Value, *, span: Span | None) -> Value:
    """``&&`` with short-circuit: a known false on either side decides."""
    lt, rt = truthy(left), truthy(right)
    expression = f"{left.expression} && {right.expression}"
    if lt is False or rt is False:
        return computed(False, (left, right), expression=expression, span=span)
    if lt is None or rt is None:
        return unknown_from((left, right), expression=expression, span=span)
    return computed(True, (left, right), expression=expression, span=span)


def or_(left: Value, right: Value, *, span: Span | None) -> Value:
    lt, rt = truthy(left), truthy(right)
    expression = f"{left.expression} || {right.expression}"
    if lt is True or rt is True:
        return computed(True, (left, right), expression=expression, span=span)
    if lt is None or rt is None:
        return unknown_from((left, right), expression=expression, span=span)
    return computed(False, (left, right), expression=expression, span=span)


def first_true(values: Sequence[Value]) -> Value:
    """Whether any of ``values`` is true, as the value that decides it: the first that is
    true, else the first that cannot be decided, else false."""
    decided = [truthy(v) for v in values]
    if True in decided:
        return values[decided.index(True)]
    if None in decided:
        return values[decided.index(None)]
    return Value.of(False)


def equals(
    left: Value,
    right: Value,
    *,
    negate: bool = False,
    ignore_case: bool = False,
    span: Span | None,
) -> Value:
    """``==`` / ``!=`` (and ARM ``equals``); Bicep ``=~`` / ``!~`` with ``ignore_case``."""
    operator = ("!" if negate else "=") + ("~" if ignore_case else "=")
    expression = f"{left.expression} {operator} {right.expression}"
    if not (left.known and right.known):
        return unknown_from((left, right), expression=expression, span=span)
    result = equal_values(plain(left), plain(right), ignore_case=ignore_case)
    return computed(result != negate, (left, right), expression=expression, span=span)


def coalesce(values: Sequence[Value], *, span: Span | None) -> Value:
    """First non-null argument (Bicep ``??``, ARM/HCL ``coalesce``); unknown if one before it is."""
    for v in values:
        if not v.known:
            return unknown_from(values, expression=_expr("coalesce", values), span=span)
        if plain(v) is not None:
            return evolve(v, depends_on=v.depends_on | _deps(values))
    return computed(None, values, expression=_expr("coalesce", values), span=span)


def empty(operand: Value, *, span: Span | None) -> Value:
    expression = _expr("empty", (operand,))
    if not operand.known:
        return unknown_from((operand,), expression=expression, span=span)
    data = plain(operand)
    result = data is None or (isinstance(data, (str, list, dict)) and len(data) == 0)
    return computed(result, (operand,), expression=expression, span=span)


def length(operand: Value, *, span: Span | None) -> Value:
    expression = _expr("length", (operand,))
    data = plain(operand) if operand.known else None
    if not isinstance(data, (str, list, dict)):
        return unknown_from((operand,), expression=expression, span=span)
    return computed(len(data), (operand,), expression=expression, span=span)


def items(operand: Value, *, span: Span | None) -> Value:
    """ARM/Bicep ``items(object)``: one ``{key, value}`` object per entry, ordered by key, so a
    loop over it (``[for role in items(roles)]``, ``copy`` over ``length(items(...))``) is
    read item by item."""
    expression = _expr("items", (operand,))
    data = operand.value if operand.known else None
    if not isinstance(data, Mapping):
        return unknown_from((operand,), expression=expression, span=span)
    entries = [
        {"key": Value.of(key), "value": item if isinstance(item, Value) else Value.of(item)}
        for key, item in sorted(data.items(), key=lambda pair: str(pair[0]))
    ]
    return computed(entries, (operand,), expression=expression, span=span)


def contains(container: Value, item: Value, *, span: Span | None) -> Value:
    expression = _expr("contains", (container, item))
    if not (container.known and item.known):
        return unknown_from((container, item), expression=expression, span=span)
    data, needle = plain(container), plain(item)
    # ARM: "The string comparison is case-sensitive. However, when testing if an object
    # contains a key, the comparison is case-insensitive."
    if isinstance(data, dict):
        result = any(equal_values(k, needle, ignore_case=True) for k in data)
    elif isinstance(data, list):
        result = any(equal_values(v, needle) for v in data)
    elif isinstance(data, str) and isinstance(needle, str):
        result = needle in data
    else:
        return unknown_from((container, item), expression=expression, span=span)
    return computed(result, (container, item), expression=expression, span=span)


def _string_op(name: str, op: Callable[[str], str]) -> Callable[..., Value]:
    def apply(operand: Value, *, span: Span | None) -> Value:
        expression = _expr(name, (operand,))
        text = operand.text()
        if text is None:
            return unknown_from((operand,), expression=expression, span=span)
        return computed(op(text), (operand,), expression=expression, span=span)

    return apply


to_lower = _string_op("toLower", str.lower)
to_upper = _string_op("toUpper", str.upper)


def interpolate(parts: Sequence[Value], *, span: Span | None, expression: str = "") -> Value:
    """String interpolation / ``concat``: known when every part is a known scalar."""
    expression = expression or _expr("concat", parts)
    pieces: list[str] = []
    for part in parts:
        data = plain(part) if part.known else None
        if not part.known or isinstance(data, (list, dict)):
            return unknown_from(parts, expression=expression, span=span)
        if isinstance(data, bool):
            pieces.append("true" if data else "false")
        elif data is not None:
            pieces.append(str(data))
    return computed("".join(pieces), parts, expression=expression, span=span)


def member(container: Value, key: str | int, *, span: Span | None, safe: bool = False) -> Value:
    """``a.b`` / ``a[0]`` / ``a[?'b']``: a missing key is null with ``safe``, else unknown."""
    expression = f"{container.expression}.{key}"
    if not container.known:
        return unknown_from((container,), expression=expression, span=span)
    data = container.value
    found: Any = _MISSING
    if isinstance(data, Mapping) and isinstance(key, str):
        found = next((v for k, v in data.items() if k.lower() == key.lower()), _MISSING)
    elif isinstance(data, list) and isinstance(key, int) and -len(data) <= key < len(data):
        found = data[key]
    if found is _MISSING:
        if safe or data is None:
            return computed(None, (container,), expression=expression, span=span)
        return unknown_from((container,), expression=expression, span=span)
    if isinstance(found, Value):
        return evolve(
            found,
            depends_on=found.depends_on | container.depends_on,
            origin=_member_origin(container, found),
        )
    return computed(found, (container,), expression=expression, span=span)


def _member_origin(container: Value, found: Value) -> Origin:
    """A literal member of a parameter's (or variable's) object is that parameter's value,
    declared where the member is written (the ``'None'`` to change, not the object's brace)."""
    if found.origin.kind is not OriginKind.LITERAL or container.origin.kind not in _NAMED_ORIGINS:
        return found.origin
    if found.span is None:
        return container.origin
    return Origin(container.origin.kind, container.origin.name, found.span)


_MISSING = object()


def concat_arrays(values: Sequence[Value], *, span: Span | None) -> Value:
    """ARM ``concat`` of arrays: known when every argument is a known array (null is empty)."""
    expression = _expr("concat", values)
    items: list[Any] = []
    for v in values:
        if not v.known or not isinstance(v.value, (list, type(None))):
            return unknown_from(values, expression=expression, span=span)
        items.extend(v.value or ())
    return computed(items, values, expression=expression, span=span)


def union(values: Sequence[Value], *, span: Span | None) -> Value:
    """ARM/Bicep ``union``: objects merge (later keys win, any case); arrays keep first copies."""
    expression = _expr("union", values)
    if not all(v.known and isinstance(v.value, (dict, list, type(None))) for v in values):
        return unknown_from(values, expression=expression, span=span)
    present = [v.value for v in values if v.value is not None]
    if all(isinstance(data, dict) for data in present):
        merged: dict[str, Any] = {}
        for data in present:
            for key, item in data.items():
                old = next((k for k in merged if k.lower() == key.lower()), key)
                merged.pop(old, None)
                merged[key] = item
        return computed(merged, values, expression=expression, span=span)
    if all(isinstance(data, list) for data in present):
        items: list[Any] = []
        for data in present:
            for item in data:
                if not any(_unwrap(item) == _unwrap(seen) for seen in items):
                    items.append(item)
        return computed(items, values, expression=expression, span=span)
    return unknown_from(values, expression=expression, span=span)


class EvaluationError(Exception):
    """An expression that would fail at deployment (e.g. an attribute of null): ``try`` skips it."""


def try_(attempts: Sequence[Callable[[], Value]], *, span: Span | None) -> Value:
    """HCL ``try``: the first attempt that does not fail; unknown once one cannot be decided.

    Each attempt evaluates one argument and raises :class:`EvaluationError` where Terraform
    would raise an error.
    """
    for attempt in attempts:
        try:
            value = attempt()
        except EvaluationError:
            continue
        if not value.known:
            return unknown_from((value,), expression=value.expression or "try(...)", span=span)
        return value
    return Value.unknown("try(...)", span)


def lookup(container: Value, key: Value, default: Value | None, *, span: Span | None) -> Value:
    """HCL ``lookup(map, key, default)``: the default when the key is missing."""
    args = (container, key) if default is None else (container, key, default)
    expression = _expr("lookup", args)
    name = key.text()
    if not container.known or name is None or not isinstance(container.value, Mapping):
        return unknown_from(args, expression=expression, span=span)
    if any(k == name for k in container.value):
        return member(container, name, span=span)
    if default is None:
        return unknown_from(args, expression=expression, span=span)
    return evolve(default, depends_on=default.depends_on | _deps(args))


def to_bool(operand: Value, *, span: Span | None) -> Value:
    """HCL ``tobool``: booleans and the strings ``"true"``/``"false"``; null stays null."""
    expression = _expr("tobool", (operand,))
    if operand.known and plain(operand) is None:
        return computed(None, (operand,), expression=expression, span=span)
    result = truthy(operand)
    if result is None:
        return unknown_from((operand,), expression=expression, span=span)
    return computed(result, (operand,), expression=expression, span=span)


def to_string(operand: Value, *, span: Span | None) -> Value:
    """HCL ``tostring``: scalars become strings (bools as ``true``/``false``); null stays null."""
    expression = _expr("tostring", (operand,))
    data = plain(operand) if operand.known else None
    if not operand.known or isinstance(data, (list, dict)):
        return unknown_from((operand,), expression=expression, span=span)
    if data is None:
        return computed(None, (operand,), expression=expression, span=span)
    text = ("true" if data else "false") if isinstance(data, bool) else str(data)
    return computed(text, (operand,), expression=expression, span=span)


_COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}
_ARITHMETIC: dict[str, Callable[[float, float], float]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
}


def _number(value: Value) -> float | None:
    data = plain(value) if value.known else None
    if isinstance(data, bool) or not isinstance(data, (int, float)):
        return None
    return data


def compare(left: Value, operator: str, right: Value, *, span: Span | None) -> Value:
    """``<``, ``<=``, ``>``, ``>=`` on numbers (``length(x) > 0 ? 1 : 0``); unknown otherwise."""
    expression = f"{left.expression} {operator} {right.expression}"
    a, b = _number(left), _number(right)
    if a is None or b is None or operator not in _COMPARISONS:
        return unknown_from((left, right), expression=expression, span=span)
    return computed(_COMPARISONS[operator](a, b), (left, right), expression=expression, span=span)


def arithmetic(left: Value, operator: str, right: Value, *, span: Span | None) -> Value:
    """``+``, ``-``, ``*`` on numbers (counts such as ``length(a) + 1``); unknown otherwise."""
    expression = f"{left.expression} {operator} {right.expression}"
    a, b = _number(left), _number(right)
    if a is None or b is None or operator not in _ARITHMETIC:
        return unknown_from((left, right), expression=expression, span=span)
    return computed(_ARITHMETIC[operator](a, b), (left, right), expression=expression, span=span)
