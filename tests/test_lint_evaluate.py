"""The shared evaluator: known/unknown propagation, ARM equality, dependencies, alternatives.

Append-friendly: each operation has its own test class; add new operations' classes at the end.
"""

from __future__ import annotations

import pytest

from acr_trusted.lint import evaluate as ev
from acr_trusted.lint.model import Origin, OriginKind, Span, Value

SPAN = Span.point("main.bicep", 3, 5)


def param(name: str, value: object) -> Value:
    """A value from a parameter default, as loaders produce it."""
    return Value.of(
        value,
        SPAN,
        expression=name,
        origin=Origin(OriginKind.PARAMETER_DEFAULT, name, SPAN),
        depends_on=(name,),
    )


def unknown(expression: str = "reference(x)") -> Value:
    return Value.unknown(expression, SPAN)


class TestPlainAndEquality:
    def test_plain_unwraps_nested_values(self) -> None:
        """Nested Values inside lists and dicts come out as plain data."""
        nested = Value.of({"a": Value.of([Value.of(1), 2]), "b": Value.of("x")})
        assert ev.plain(nested) == {"a": [1, 2], "b": "x"}

    @pytest.mark.parametrize(
        ("left", "right", "expected"),
        [
            pytest.param("None", "none", False, id="strings-are-case-sensitive"),
            pytest.param("Premium", "Standard", False, id="different-strings"),
            pytest.param(True, 1, False, id="bool-is-not-int"),
            pytest.param(False, False, True, id="bools"),
            pytest.param(1, 1.0, True, id="numbers"),
            pytest.param(None, None, True, id="nulls"),
            pytest.param([1, "A"], [1, "A"], True, id="lists"),
        ],
    )
    def test_equal_values(self, left: object, right: object, expected: bool) -> None:
        """ARM equality: strings case-insensitive, bools never equal numbers."""
        assert ev.equal_values(left, right) is expected


class TestTruthy:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            pytest.param(Value.of(True), True, id="true"),
            pytest.param(Value.of(False), False, id="false"),
            pytest.param(Value.of("TRUE"), True, id="string-true"),
            pytest.param(Value.of("false"), False, id="string-false"),
            pytest.param(Value.of("yes"), None, id="other-string"),
            pytest.param(Value.of(1), None, id="number"),
            pytest.param(unknown(), None, id="unknown"),
        ],
    )
    def test_truthy(self, value: Value, expected: bool | None) -> None:
        """Only booleans and the strings true/false have a truth value."""
        assert ev.truthy(value) is expected


class TestTernary:
    def test_known_condition_picks_branch_and_keeps_dependencies(self) -> None:
        """The chosen branch is returned with the condition's parameters added."""
        result = ev.ternary(
            param("private", True), Value.of("Premium"), Value.of("Standard"), span=SPAN
        )
        assert result.known
        assert result.value == "Premium"
        assert result.depends_on == {"private"}

    def test_unknown_condition_keeps_both_branches(self) -> None:
        """An unknown condition gives an unknown value whose alternatives are both branches."""
        result = ev.ternary(unknown("flag"), Value.of("Disabled"), Value.of("Enabled"), span=SPAN)
        assert not result.known
        assert [a.value for a in result.possible()] == ["Disabled", "Enabled"]


class TestLogic:
    def test_not(self) -> None:
        """``!`` flips known truth and stays unknown otherwise."""
        assert ev.not_(Value.of(True), span=SPAN).value is False
        assert not ev.not_(unknown(), span=SPAN).known

    @pytest.mark.parametrize(
        ("left", "right", "expected"),
        [
            pytest.param(Value.of(False), unknown(), False, id="false-short-circuits"),
            pytest.param(unknown(), Value.of(False), False, id="false-on-right-decides"),
            pytest.param(Value.of(True), Value.of(True), True, id="both-true"),
            pytest.param(Value.of(True), unknown(), None, id="unknown"),
        ],
    )
    def test_and(self, left: Value, right: Value, expected: bool | None) -> None:
        """``&&``: a known false on either side decides."""
        result = ev.and_(left, right, span=SPAN)
        assert (result.value if result.known else None) is expected

    @pytest.mark.parametrize(
        ("left", "right", "expected"),
        [
            pytest.param(Value.of(True), unknown(), True, id="true-short-circuits"),
            pytest.param(unknown(), Value.of(True), True, id="true-on-right-decides"),
            pytest.param(Value.of(False), Value.of(False), False, id="both-false"),
            pytest.param(Value.of(False), unknown(), None, id="unknown"),
        ],
    )
    def test_or(self, left: Value, right: Value, expected: bool | None) -> None:
        """``||``: a known true on either side decides."""
        result = ev.or_(left, right, span=SPAN)
        assert (result.value if result.known else None) is expected


class TestEquals:
    def test_template_equality_is_case_sensitive(self) -> None:
        """Bicep ``==`` and ARM ``equals`` compare strings case-sensitively."""
        assert ev.equals(Value.of("none"), Value.of("None"), span=SPAN).value is False

    def test_ignore_case_serves_bicep_tilde_operators(self) -> None:
        """``=~`` is true and ``!~`` false for the same letters in another case."""
        assert ev.equals(Value.of("none"), Value.of("None"), ignore_case=True, span=SPAN).value
        negated = ev.equals(
            Value.of("none"), Value.of("None"), negate=True, ignore_case=True, span=SPAN
        )
        assert negated.value is False
        assert "!~" in negated.expression

    def test_negate(self) -> None:
        """``!=`` negates and keeps both sides' dependencies."""
        result = ev.equals(param("sku", "Basic"), Value.of("Premium"), negate=True, span=SPAN)
        assert result.value is True
        assert result.depends_on == {"sku"}

    def test_unknown_side(self) -> None:
        """Either side unknown makes the comparison unknown."""
        assert not ev.equals(unknown(), Value.of("x"), span=SPAN).known


class TestCoalesce:
    def test_first_non_null(self) -> None:
        """The first non-null argument wins, keeping every argument's dependencies."""
        result = ev.coalesce([param("a", None), param("b", "AzureServices")], span=SPAN)
        assert result.value == "AzureServices"
        assert result.depends_on == {"a", "b"}

    def test_unknown_before_the_first_value(self) -> None:
        """An unknown argument before any non-null one makes the result unknown."""
        assert not ev.coalesce([unknown(), Value.of("x")], span=SPAN).known

    def test_all_null(self) -> None:
        """All-null arguments give a known null."""
        result = ev.coalesce([Value.of(None), Value.of(None)], span=SPAN)
        assert result.known
        assert result.value is None


class TestCollections:
    @pytest.mark.parametrize(
        ("data", "expected"),
        [
            pytest.param(None, True, id="null"),
            pytest.param("", True, id="empty-string"),
            pytest.param([], True, id="empty-list"),
            pytest.param({}, True, id="empty-object"),
            pytest.param(["x"], False, id="list"),
            pytest.param(0, False, id="number"),
        ],
    )
    def test_empty(self, data: object, expected: bool) -> None:
        """``empty()`` of null, '' , [] and {} is true."""
        assert ev.empty(Value.of(data), span=SPAN).value is expected

    def test_empty_unknown(self) -> None:
        """``empty()`` of an unknown is unknown."""
        assert not ev.empty(unknown(), span=SPAN).known

    def test_length(self) -> None:
        """``length()`` of strings, lists and objects; unknown for anything else."""
        assert ev.length(Value.of([1, 2, 3]), span=SPAN).value == 3
        assert ev.length(Value.of("abcd"), span=SPAN).value == 4
        assert not ev.length(Value.of(7), span=SPAN).known

    def test_items(self) -> None:
        """``items()`` of an object: ``{key, value}`` per entry, ordered by key, for loops."""
        found = ev.items(Value.of({"b": Value.of(2), "a": 1}), span=SPAN)
        assert ev.plain(found) == [{"key": "a", "value": 1}, {"key": "b", "value": 2}]
        assert not ev.items(Value.of([1]), span=SPAN).known
        assert not ev.items(unknown(), span=SPAN).known

    @pytest.mark.parametrize(
        ("container", "item", "expected"),
        [
            pytest.param({"Key": 1}, "key", True, id="object-key-any-case"),
            pytest.param(["a", "B"], "b", False, id="list-item-case-sensitive"),
            pytest.param("Hello", "ell", True, id="substring"),
            pytest.param("Hello", "ELL", False, id="substring-case-sensitive"),
            pytest.param(["a"], "z", False, id="missing"),
        ],
    )
    def test_contains(self, container: object, item: object, expected: bool) -> None:
        """``contains()`` over objects, lists and strings."""
        assert ev.contains(Value.of(container), Value.of(item), span=SPAN).value is expected

    def test_contains_unsupported_types(self) -> None:
        """``contains()`` of a number is unknown, not an exception."""
        assert not ev.contains(Value.of(5), Value.of(5), span=SPAN).known


class TestStrings:
    def test_case_functions(self) -> None:
        """``toLower`` / ``toUpper`` on known strings; unknown otherwise."""
        assert ev.to_lower(Value.of("AzureServices"), span=SPAN).value == "azureservices"
        assert ev.to_upper(Value.of("none"), span=SPAN).value == "NONE"
        assert not ev.to_lower(Value.of(3), span=SPAN).known

    def test_interpolate(self) -> None:
        """Interpolation renders bools the IaC way and skips nulls."""
        result = ev.interpolate(
            [Value.of("acr"), Value.of(True), Value.of(None), param("suffix", 1)], span=SPAN
        )
        assert result.value == "acrtrue1"
        assert result.depends_on == {"suffix"}

    def test_interpolate_unknown_or_structured_part(self) -> None:
        """An unknown or list part makes the string unknown."""
        assert not ev.interpolate([Value.of("a"), unknown()], span=SPAN).known
        assert not ev.interpolate([Value.of("a"), Value.of([1])], span=SPAN).known


class TestMember:
    def test_object_member_any_case(self) -> None:
        """Object members are found ignoring case; nested Values keep their own span."""
        inner = Value.of("Deny", Span.point("main.bicep", 9, 3))
        result = ev.member(Value.of({"defaultAction": inner}), "DEFAULTACTION", span=SPAN)
        assert result.value == "Deny"
        assert result.span == inner.span

    def test_index(self) -> None:
        """List indexes work, negative ones too."""
        assert ev.member(Value.of(["a", "b"]), -1, span=SPAN).value == "b"

    def test_missing_member(self) -> None:
        """A missing member is unknown, or null with the safe operator."""
        assert not ev.member(Value.of({}), "x", span=SPAN).known
        safe = ev.member(Value.of({}), "x", span=SPAN, safe=True)
        assert safe.known
        assert safe.value is None

    def test_member_of_null_or_unknown(self) -> None:
        """A member of null is null; a member of an unknown is unknown."""
        assert ev.member(Value.of(None), "x", span=SPAN).value is None
        assert not ev.member(unknown(), "x", span=SPAN).known


class TestArmCollections:
    def test_concat_arrays(self) -> None:
        """ARM concat of arrays joins them; null counts as empty; an unknown part is unknown."""
        joined = ev.concat_arrays([Value.of([1]), Value.of(None), Value.of([2, 3])], span=SPAN)
        assert joined.value == [1, 2, 3]
        assert not ev.concat_arrays([Value.of([1]), unknown()], span=SPAN).known

    def test_union_of_objects(self) -> None:
        """union merges objects; a later key wins whatever its case."""
        merged = ev.union([Value.of({"a": 1, "B": 2}), Value.of({"b": 3})], span=SPAN)
        assert merged.value == {"a": 1, "b": 3}

    def test_union_of_arrays(self) -> None:
        """union of arrays keeps the first copy of each element."""
        assert ev.union([Value.of([1, 2]), Value.of([2, 3])], span=SPAN).value == [1, 2, 3]

    def test_union_unknown_or_mixed(self) -> None:
        """An unknown argument, or an object with an array, gives an unknown result."""
        assert not ev.union([Value.of({}), unknown()], span=SPAN).known
        assert not ev.union([Value.of({}), Value.of([1])], span=SPAN).known


class TestHclFunctions:
    def test_try_skips_failures_and_stops_at_unknown(self) -> None:
        """try returns the first attempt that does not fail; an unknown one decides nothing."""

        def fails() -> Value:
            raise ev.EvaluationError("var.x.missing")

        assert ev.try_([fails, lambda: Value.of("b")], span=SPAN).value == "b"
        assert not ev.try_([lambda: unknown(), lambda: Value.of("b")], span=SPAN).known
        assert not ev.try_([fails], span=SPAN).known

    def test_lookup(self) -> None:
        """lookup falls back to the default only for a missing key."""
        flags = Value.of({"a": Value.of(1)})
        assert ev.lookup(flags, Value.of("a"), Value.of(2), span=SPAN).value == 1
        assert ev.lookup(flags, Value.of("b"), Value.of(2), span=SPAN).value == 2
        assert not ev.lookup(flags, Value.of("b"), None, span=SPAN).known
        assert not ev.lookup(unknown(), Value.of("a"), Value.of(2), span=SPAN).known

    def test_to_bool_and_to_string(self) -> None:
        """tobool accepts "true"/"false"; tostring renders bools as HCL does; null stays null."""
        assert ev.to_bool(Value.of("false"), span=SPAN).value is False
        assert ev.to_bool(Value.of(None), span=SPAN).value is None
        assert not ev.to_bool(Value.of("maybe"), span=SPAN).known
        assert ev.to_string(Value.of(True), span=SPAN).value == "true"
        assert ev.to_string(Value.of(3), span=SPAN).value == "3"
        assert not ev.to_string(Value.of([1]), span=SPAN).known

    def test_compare_and_arithmetic_on_numbers(self) -> None:
        """Numbers compare and add (count expressions); anything else is unknown."""
        assert ev.compare(Value.of(2), ">", Value.of(0), span=SPAN).value is True
        assert ev.compare(Value.of(2), "<=", Value.of(1), span=SPAN).value is False
        assert not ev.compare(Value.of("2"), ">", Value.of(0), span=SPAN).known
        assert ev.arithmetic(Value.of(2), "+", Value.of(1), span=SPAN).value == 3
        assert not ev.arithmetic(Value.of(True), "-", Value.of(1), span=SPAN).known


def test_first_true_is_the_value_that_decides() -> None:
    yes, no, unknown = Value.of(True), Value.of(False), Value.unknown("p")
    assert ev.first_true([no, unknown, yes]) is yes
    assert ev.first_true([no, unknown]) is unknown
    assert ev.first_true([no]).value is False
    assert ev.first_true([]).value is False


class TestOriginOfAChoice:
    """A literal picked by a parameter is that parameter's doing: messages name it, and --fix
    leaves it alone (rewriting the branch would silently drop the parameter's effect)."""

    def test_a_ternary_branch_chosen_by_a_parameter_default_names_the_parameter(self) -> None:
        none = Value.of(
            "None",
            Span(
                path="main.bicep",
                line=9,
                column=40,
                end_line=9,
                end_column=45,
                start_offset=90,
                end_offset=96,
            ),
        )
        result = ev.ternary(param("allow", False), Value.of("AzureServices"), none, span=SPAN)
        assert result.value == "None"
        assert result.span == none.span
        assert result.origin.kind is OriginKind.PARAMETER_DEFAULT
        assert result.origin.name == "allow"
        assert result.origin.span == SPAN
        assert "the default of 'allow'" in result.origin.describe()
        assert "is false" in result.origin.describe()
        assert not result.is_literal
        assert result.depends_on == {"allow"}

    def test_a_literal_condition_or_a_named_branch_keeps_the_branch_origin(self) -> None:
        none = Value.of("None", SPAN)
        assert ev.ternary(Value.of(False), Value.of("x"), none, span=SPAN).origin.kind is (
            OriginKind.LITERAL
        )
        bypass = param("bypass", "None")
        chosen = ev.ternary(param("allow", False), Value.of("x"), bypass, span=SPAN)
        assert chosen.origin == bypass.origin

    def test_a_literal_member_of_a_parameter_object_is_the_parameter_declared_there(
        self,
    ) -> None:
        member_span = Span.point("main.bicep", 4, 11)
        network = param("network", {"bypass": Value.of("None", member_span)})
        found = ev.member(network, "bypass", span=SPAN)
        assert found.origin == Origin(OriginKind.PARAMETER_DEFAULT, "network", member_span)
        assert found.depends_on == {"network"}
        literal = ev.member(
            Value.of({"bypass": Value.of("None", member_span)}), "bypass", span=SPAN
        )
        assert literal.origin.kind is OriginKind.LITERAL
