"""Frozen value classes for the linter and the pure core it imports, built without attrs.

``acr-trusted-lint`` runs on every commit, so its start is most of what a user waits for. With
attrs, importing the linter and its loaders took 108 ms of CPU; with these classes it takes 70 ms
(``python -c "import acr_trusted.lint.cli, acr_trusted.lint.engine, ..."``, best of 30): attrs
imports ``inspect`` and more, and compiles four or five methods for each of the ~55 classes the
linter defines, all before the first file is read and before the run can fork (see
``benchmarks/README.md``). These classes keep attrs' API and behaviour (``frozen``, ``define``,
``field``, ``evolve``), so they read as the attrs classes of the rest of the package do, but only
``__init__`` is compiled; comparison, hashing and ``repr`` are shared functions over the fields.

What is supported is what this package uses: defaults, ``factory``, ``converter``,
``init=False``, ``eq=False`` and ``repr=False`` fields, and ``kw_only`` classes. Instances are
slotted, compare equal only to instances of the same class, hash when frozen, and pickle (the
linter's forked processes send findings back pickled).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar, overload

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:

    def dataclass_transform(**_: object) -> Callable[[Any], Any]:
        return lambda decorated: decorated


__all__ = ["FrozenInstanceError", "define", "evolve", "field", "frozen"]

T = TypeVar("T")
C = TypeVar("C", bound=type)


class FrozenInstanceError(AttributeError):
    """An attribute of a frozen instance was set or deleted."""


class _Nothing:
    """No default: the argument is required."""

    def __repr__(self) -> str:
        return "NOTHING"


NOTHING: Any = _Nothing()


class _Field(NamedTuple):
    """What :func:`field` declares; read once, when the class is built."""

    default: Any = NOTHING
    factory: Callable[[], Any] | None = None
    converter: Callable[[Any], Any] | None = None
    init: bool = True
    eq: bool = True
    repr: bool = True


def field(
    *,
    default: Any = NOTHING,
    factory: Callable[[], Any] | None = None,
    converter: Callable[[Any], Any] | None = None,
    init: bool = True,
    eq: bool = True,
    repr: bool = True,
) -> Any:
    """A field with a default, a factory for one, a converter, or left out of
    ``__init__``, comparison or ``repr`` (as ``attrs.field``)."""
    if default is not NOTHING and factory is not None:
        raise TypeError("a field takes a default or a factory, not both")
    return _Field(default, factory, converter, init, eq, repr)


@overload
@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def frozen(cls: C, /) -> C: ...
@overload
@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def frozen(*, kw_only: bool = False) -> Callable[[C], C]: ...
@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def frozen(cls: C | None = None, /, *, kw_only: bool = False) -> C | Callable[[C], C]:
    """An immutable, hashable value class (as ``attrs.frozen``)."""
    if cls is None:
        return lambda undecorated: _build(undecorated, frozen=True, kw_only=kw_only)
    return _build(cls, frozen=True, kw_only=kw_only)


@overload
@dataclass_transform(field_specifiers=(field,))
def define(cls: C, /) -> C: ...
@overload
@dataclass_transform(field_specifiers=(field,))
def define(*, kw_only: bool = False) -> Callable[[C], C]: ...
@dataclass_transform(field_specifiers=(field,))
def define(cls: C | None = None, /, *, kw_only: bool = False) -> C | Callable[[C], C]:
    """A mutable class with the same fields and comparison, and no hash (as ``attrs.define``)."""
    if cls is None:
        return lambda undecorated: _build(undecorated, frozen=False, kw_only=kw_only)
    return _build(cls, frozen=False, kw_only=kw_only)


def evolve(instance: T, **changes: Any) -> T:
    """A copy of ``instance`` with ``changes`` (as ``attrs.evolve``: converters run again)."""
    for name in type(instance).__record_init__:  # type: ignore[attr-defined]
        if name not in changes:
            changes[name] = getattr(instance, name)
    return type(instance)(**changes)


# -- building a class -----------------------------------------------------------------------


def _build(cls: C, *, frozen: bool, kw_only: bool) -> C:
    """``cls`` again, slotted, with the methods its fields call for."""
    own = cls.__dict__
    names = [
        name
        for name, annotation in own.get("__annotations__", {}).items()
        if not str(annotation).startswith(("ClassVar", "typing.ClassVar"))
    ]
    declared = {
        name: value if isinstance(value, _Field) else _Field(default=value)
        for name in names
        for value in [own.get(name, NOTHING)]
    }
    namespace = {
        key: value
        for key, value in own.items()
        if key not in declared and key not in ("__dict__", "__weakref__")
    }
    init_names = tuple(name for name in names if declared[name].init)
    init, scope = _init(cls.__qualname__, declared, frozen=frozen, kw_only=kw_only)
    generated = {
        "__slots__": tuple(names),
        "__init__": init,
        "__record_init__": init_names,
        "__match_args__": () if kw_only else init_names,
        **_comparison([name for name in names if declared[name].eq], frozen=frozen),
        "__repr__": _repr([name for name in names if declared[name].repr]),
    }
    # as attrs does by default, a method the class writes itself is kept
    namespace.update({key: value for key, value in generated.items() if key not in own})
    namespace.update(_pickling(names))
    if frozen:
        namespace["__setattr__"] = _refuse
        namespace["__delattr__"] = _refuse
    built: C = type(cls)(cls.__name__, cls.__bases__, namespace)
    # a frozen ``__init__`` sets each field through its slot, as fast as setting goes here
    scope.update({f"_set_{name}": built.__dict__[name].__set__ for name in names})
    return built


def _init(
    qualname: str, declared: dict[str, _Field], *, frozen: bool, kw_only: bool
) -> tuple[Callable[..., None], dict[str, Any]]:
    """``__init__``, compiled as attrs compiles it: one assignment per field; and the globals
    it runs in, where a frozen class's slot setters (``_set_<field>``) go once it is built."""
    scope: dict[str, Any] = {"NOTHING": NOTHING}
    parameters: list[str] = []
    body: list[str] = []
    for name, spec in declared.items():
        value = name
        if not spec.init:
            scope[f"_default_{name}"] = spec.default
            value = f"_default_{name}"
        elif spec.factory is not None:
            scope[f"_factory_{name}"] = spec.factory
            parameters.append(f"{name}=NOTHING")
            value = f"_factory_{name}() if {name} is NOTHING else {name}"
        elif spec.default is not NOTHING:
            scope[f"_default_{name}"] = spec.default
            parameters.append(f"{name}=_default_{name}")
        else:
            parameters.append(name)
        if spec.converter is not None and spec.init:
            scope[f"_convert_{name}"] = spec.converter
            value = f"_convert_{name}({value})"
        body.append(f"_set_{name}(self, {value})" if frozen else f"self.{name} = {value}")
    if kw_only and parameters:
        parameters.insert(0, "*")
    source = f"def __init__(self, {', '.join(parameters)}):\n    " + ("\n    ".join(body) or "pass")
    exec(compile(source, f"<record {qualname}>", "exec"), scope)
    init: Callable[..., None] = scope["__init__"]
    return init, scope


def _values(names: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    """The values of ``names`` of an instance, as a tuple."""
    if len(names) == 1:
        get = operator.attrgetter(names[0])
        return lambda instance: (get(instance),)
    if not names:
        return lambda instance: ()
    return operator.attrgetter(*names)


def _comparison(names: list[str], *, frozen: bool) -> dict[str, Any]:
    """``__eq__`` over ``names``; ``__hash__`` too when the class is frozen."""
    values = _values(names)

    def __eq__(self: object, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return values(self) == values(other)

    def __hash__(self: object) -> int:
        return hash(values(self))

    return {"__eq__": __eq__, "__hash__": __hash__ if frozen else None}


def _repr(names: list[str]) -> Callable[[object], str]:
    def __repr__(self: object) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        return f"{self.__class__.__qualname__}({shown})"

    return __repr__


def _pickling(names: list[str]) -> dict[str, Any]:
    """``__getstate__`` and ``__setstate__``: a frozen instance refuses pickle's ``setattr``."""
    values = _values(names)

    def __getstate__(self: object) -> tuple[Any, ...]:
        return values(self)

    def __setstate__(self: object, state: tuple[Any, ...]) -> None:
        for name, value in zip(names, state, strict=True):
            object.__setattr__(self, name, value)

    return {"__getstate__": __getstate__, "__setstate__": __setstate__}


def _refuse(self: object, name: str, *_: object) -> None:
    raise FrozenInstanceError(f"cannot change {name!r} of a frozen {type(self).__name__}")
