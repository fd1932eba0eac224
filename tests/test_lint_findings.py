"""Rule identities and findings: the fixed rule table, severities, help links."""

from __future__ import annotations

import re

import pytest

from acr_trusted.lint.findings import RULES, Finding, Severity
from acr_trusted.lint.model import Span


def test_rule_ids_are_fixed() -> None:
    """Issue #3 fixes the IDs ACRT000-ACRT011 plus ACRT099."""
    assert list(RULES) == [f"ACRT{n:03d}" for n in range(12)] + ["ACRT099"]


def test_rule_entries_are_consistent() -> None:
    """Each entry is keyed by its id, named in kebab-case, and links to its docs page."""
    for rule_id, info in RULES.items():
        assert info.id == rule_id
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", info.name)
        assert info.help_uri.endswith(f"docs/rules/{rule_id}.md")
        assert info.summary.endswith(".")


def test_default_severities_and_enablement() -> None:
    """Severities follow the issue's table; ACRT011 and ACRT099 are off by default."""
    severities = {rule_id: info.severity.value for rule_id, info in RULES.items()}
    assert [k for k, v in severities.items() if v == "warning"] == [
        "ACRT004",
        "ACRT005",
        "ACRT008",
        "ACRT009",
        "ACRT010",
        "ACRT099",
    ]
    assert severities["ACRT011"] == "note"
    assert [k for k, info in RULES.items() if not info.enabled_by_default] == [
        "ACRT011",
        "ACRT099",
    ]


class TestSeverity:
    def test_rank_orders_severities(self) -> None:
        """note < warning < error."""
        assert Severity.NOTE.rank < Severity.WARNING.rank < Severity.ERROR.rank

    def test_parse_any_case(self) -> None:
        """Config files may spell severities in any case."""
        assert Severity.parse("Warning") is Severity.WARNING

    def test_parse_rejects_unknown(self) -> None:
        """An unknown severity is a one-line error listing the choices."""
        with pytest.raises(ValueError, match="expected one of: note, warning, error"):
            Severity.parse("fatal")


def test_finding_name_comes_from_the_table() -> None:
    """A finding knows its rule's name and is unsuppressed without a fix by default."""
    finding = Finding("ACRT001", Severity.ERROR, Span.point("a.bicep", 1), "m", resource="acr")
    assert finding.name == "trusted-services-blocked"
    assert not finding.suppressed
    assert finding.fix is None
