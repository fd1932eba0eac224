from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import jsonschema
import pytest

from acr_trusted.audit_render import CSV_COLUMNS, FORMATS, render
from tests.audit_samples import sample_report


def test_table_shows_registries_needing_attention() -> None:
    """Blocked then at-risk registries, each finding, blocked consumers, and the summary."""
    text = render(sample_report(), "table")
    lines = text.splitlines()
    assert lines[0].split() == [
        "VERDICT",
        "REGISTRY",
        "RESOURCE",
        "GROUP",
        "SUBSCRIPTION",
        "RULES",
        "BLOCKED/CONSUMERS",
    ]
    assert lines[1].split()[:2] == ["blocked", "blockedreg"]
    assert lines[2].split()[:2] == ["at-risk", "riskyreg"]
    assert "privatereg" not in text
    assert "  ACRT004 [warning] registry 'riskyreg' has 1 virtual-network" in text
    assert "  blockedreg: acr-tasks 'nightly' is blocked: tasks-switch-off" in text
    assert lines[-1] == sample_report().summary()


def test_json_is_versioned_and_complete() -> None:
    """Version 1: summary, every registry with posture, consumers and findings, warnings."""
    document = json.loads(render(sample_report(warnings=("x: not audited",)), "json"))
    assert document["version"] == 1
    assert document["requests"] == 2
    assert document["summary"]["by_verdict"] == {
        "blocked": 1,
        "at-risk": 1,
        "ok": 1,
        "not-restricted": 1,
    }
    blocked = document["registries"][0]
    assert blocked["posture"]["networkRuleBypassOptions"] == "None"
    assert blocked["consumers"][0]["bypass"]["verdict"] == "blocked"
    assert [f["rule"] for f in document["findings"]] == ["ACRT001", "ACRT002", "ACRT004"]
    assert document["findings"][0]["name"] == "trusted-services-blocked"
    assert document["warnings"] == ["x: not audited"]


def test_csv_has_one_row_per_registry() -> None:
    """Header then a row per registry; multi-valued cells joined with ';'."""
    rows = list(csv.DictReader(io.StringIO(render(sample_report(), "csv"))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [r["verdict"] for r in rows] == ["blocked", "at-risk", "ok", "not-restricted"]
    assert rows[0]["rules"] == "ACRT001;ACRT002"
    assert rows[0]["blocked_consumers"] == "1"
    assert rows[1]["restrictions"] == "service-endpoint-rules"


def test_sarif_locates_findings_at_the_resource(shared_dir: Path) -> None:
    """Valid SARIF 2.1.0; each result's logical location is the registry resource ID."""
    schema = json.loads((shared_dir / "schemas" / "sarif-schema-2.1.0.json").read_text("utf-8"))
    report = sample_report()
    document = json.loads(render(report, "sarif"))
    jsonschema.validate(document, schema)
    (run,) = document["runs"]
    rules = run["tool"]["driver"]["rules"]
    for result, finding in zip(run["results"], report.findings, strict=True):
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"] == finding.rule
        (location,) = result["locations"]
        assert location["logicalLocations"][0]["fullyQualifiedName"] == finding.registry_id
    assert run["properties"] == {"resourceGraphRequests": 2, "registries": 4}


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_ends_with_a_newline(fmt: str) -> None:
    """Reports are whole lines, ready for a pipe or a file."""
    assert render(sample_report(), fmt).endswith("\n")
