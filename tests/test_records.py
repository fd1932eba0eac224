"""The linter's value classes behave as the attrs classes they replace."""

from __future__ import annotations

import pickle
from typing import ClassVar

import pytest

from acr_trusted.records import FrozenInstanceError, define, evolve, field, frozen


def _lower(value: str) -> str:
    return value.lower()


@frozen
class Point:
    """A point."""

    x: int
    y: int = 0
    tags: tuple[str, ...] = field(factory=tuple)
    label: str = field(default="P", converter=_lower)
    cache: dict[str, int] | None = field(init=False, default=None, eq=False, repr=False)
    ORIGIN_NAME: ClassVar[str] = "origin"

    @property
    def norm(self) -> int:
        return abs(self.x) + abs(self.y)

    @classmethod
    def diagonal(cls, n: int) -> Point:
        return cls(n, n)


@frozen
class Other:
    x: int
    y: int = 0
    tags: tuple[str, ...] = field(factory=tuple)
    label: str = "p"


@frozen(kw_only=True)
class Options:
    name: str
    level: int = 1


@define
class Builder:
    items: list[int] = field(factory=list)
    name: str = ""


@frozen
class Shown:
    value: int

    def __repr__(self) -> str:
        return f"<{self.value}>"


def test_init_takes_positional_and_keyword_arguments_with_defaults() -> None:
    p = Point(1, y=2)
    assert (p.x, p.y, p.tags, p.label, p.cache) == (1, 2, (), "p", None)
    with pytest.raises(TypeError):
        Point()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Point(1, cache={})  # type: ignore[call-arg]


def test_each_instance_gets_its_own_factory_value() -> None:
    a, b = Builder(), Builder()
    a.items.append(1)
    assert b.items == []


def test_converters_run_on_init_and_on_evolve() -> None:
    p = Point(1, label="ABC")
    assert p.label == "abc"
    assert evolve(p, label="XY").label == "xy"


def test_kw_only_class_refuses_positional_arguments() -> None:
    assert Options(name="a").level == 1
    with pytest.raises(TypeError):
        Options("a")  # type: ignore[call-arg]


def test_frozen_instances_refuse_changes() -> None:
    p = Point(1)
    with pytest.raises(FrozenInstanceError):
        p.x = 2  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del p.x
    with pytest.raises(AttributeError):
        p.other = 1  # type: ignore[attr-defined]


def test_equality_and_hash_follow_the_compared_fields_of_the_same_class() -> None:
    a, b = Point(1, 2), Point(1, 2)
    object.__setattr__(b, "cache", {"k": 1})  # eq=False: not compared, not hashed
    assert a == b
    assert hash(a) == hash(b)
    assert a != Point(1, 3)
    assert Point(1, 2, (), "p") != Other(1, 2, (), "p")  # type: ignore[comparison-overlap]
    assert len({a, b, Point(2)}) == 2


def test_define_is_mutable_comparable_and_unhashable() -> None:
    b = Builder()
    b.items.append(1)
    b.name = "n"
    assert b == Builder([1], "n")
    with pytest.raises(TypeError):
        hash(b)


def test_repr_names_the_shown_fields() -> None:
    assert repr(Point(1, label="Q")) == "Point(x=1, y=0, tags=(), label='q')"
    assert repr(Options(name="a")) == "Options(name='a', level=1)"


def test_a_method_the_class_writes_itself_is_kept() -> None:
    assert repr(Shown(3)) == "<3>"
    assert Shown(3) == Shown(3)


def test_methods_properties_classmethods_docstring_and_class_variables_stay() -> None:
    assert Point(3, -4).norm == 7
    assert Point.diagonal(2) == Point(2, 2)
    assert Point.__doc__ == "A point."
    assert Point.ORIGIN_NAME == "origin"
    assert Point.__slots__ == ("x", "y", "tags", "label", "cache")  # type: ignore[attr-defined]


def test_instances_pickle_as_forked_processes_send_them() -> None:
    p = Point(1, 2, ("a",), "b")
    object.__setattr__(p, "cache", {"k": 1})
    back = pickle.loads(pickle.dumps([p, Options(name="o"), Builder([1])]))
    assert back == [p, Options(name="o"), Builder([1])]
    assert back[0].cache == {"k": 1}


def test_evolve_copies_with_changes_and_leaves_the_original() -> None:
    p = Point(1, 2, ("t",))
    q = evolve(p, y=5)
    assert (q.x, q.y, q.tags, p.y) == (1, 5, ("t",), 2)
    assert evolve(Options(name="a"), level=3) == Options(name="a", level=3)
    with pytest.raises(TypeError):
        evolve(p, z=1)


def test_class_patterns_match_positionally() -> None:
    match Point(1, 2):
        case Point(1, y):
            assert y == 2
        case _:
            pytest.fail("no match")


def test_a_field_takes_a_default_or_a_factory_not_both() -> None:
    with pytest.raises(TypeError, match="not both"):
        field(default=[], factory=list)
