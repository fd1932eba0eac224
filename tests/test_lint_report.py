from __future__ import annotations

import json
from pathlib import Path

import pytest

from acr_trusted.lint.engine import LintResult
from acr_trusted.lint.findings import RULES, Finding, Severity
from acr_trusted.lint.model import Span
from acr_trusted.lint.report import FORMATS, render, summary

BLOCKED = Finding(
    "ACRT001",
    Severity.ERROR,
    Span("infra/main.bicep", 12, 5, 12, 38),
    "registry 'acr' is restricted and networkRuleBypassOptions is 'None': set 'AzureServices'",
    "acr",
)
WARN = Finding(
    "ACRT004",
    Severity.WARNING,
    Span("infra/a b,c:d%.tf", 3, 1, 7, 2),
    "virtual-network rules: 50% of consumers\nare affected, use private endpoints",
    "azurerm_container_registry.acr",
)
NOTE = Finding("ACRT011", Severity.NOTE, Span.point("x.json", 1), "principalType missing")
SILENCED = Finding(
    "ACRT005",
    Severity.WARNING,
    Span("infra/main.bicep", 2, 1, 2, 30),
    "default None",
    "acr",
    suppressed=True,
    suppression_reason="reviewed in CHG-7",
)
RESULT = LintResult(4, (SILENCED, BLOCKED, WARN, NOTE))


def test_text_lists_active_findings_one_per_line() -> None:
    assert render(RESULT, "text").splitlines() == [
        "infra/main.bicep:12:5: ACRT001 [error] registry 'acr' is restricted and "
        "networkRuleBypassOptions is 'None': set 'AzureServices'",
        "infra/a b,c:d%.tf:3:1: ACRT004 [warning] virtual-network rules: 50% of consumers "
        "are affected, use private endpoints",
        "x.json:1:1: ACRT011 [note] principalType missing",
    ]
    assert render(LintResult(3, ()), "text") == ""


def test_summary() -> None:
    assert summary(RESULT) == (
        "acr-trusted-lint: 1 error, 1 warning, 1 note in 3 files (4 files scanned, 1 suppressed)"
    )
    assert summary(LintResult(1, ())) == "acr-trusted-lint: no findings (1 file scanned)"


def test_json_is_the_documented_version_1_shape() -> None:
    document = json.loads(render(RESULT, "json"))
    assert list(document) == ["version", "files_scanned", "findings"]
    assert document["version"] == 1
    assert document["files_scanned"] == 4
    assert document["findings"][1] == {
        "rule": "ACRT001",
        "name": "trusted-services-blocked",
        "severity": "error",
        "path": "infra/main.bicep",
        "line": 12,
        "column": 5,
        "end_line": 12,
        "end_column": 38,
        "resource": "acr",
        "message": BLOCKED.message,
        "suppressed": False,
    }
    assert [f["suppressed"] for f in document["findings"]] == [True, False, False, False]


@pytest.fixture
def sarif_schema(shared_dir: Path) -> dict[str, object]:
    schema: dict[str, object] = json.loads(
        (shared_dir / "schemas" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8")
    )
    return schema


@pytest.mark.parametrize("result", [RESULT, LintResult(0, ())])
def test_sarif_validates_against_the_oasis_schema(
    sarif_schema: dict[str, object], result: LintResult
) -> None:
    import jsonschema

    document = json.loads(render(result, "sarif"))
    jsonschema.validate(document, sarif_schema)


def test_sarif_rules_results_and_suppressions() -> None:
    (run,) = json.loads(render(RESULT, "sarif"))["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(RULES)
    acrt001 = rules[1]
    assert acrt001["name"] == "trusted-services-blocked"
    assert acrt001["helpUri"].endswith("/docs/rules/ACRT001.md")
    assert rules[list(RULES).index("ACRT011")]["defaultConfiguration"] == {
        "enabled": False,
        "level": "note",
    }
    silenced, blocked, warn, _ = run["results"]
    assert silenced["suppressions"] == [{"kind": "inSource", "justification": "reviewed in CHG-7"}]
    assert "suppressions" not in blocked
    assert blocked["ruleIndex"] == 1
    assert blocked["level"] == "error"
    location = blocked["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "infra/main.bicep"
    # SARIF end columns are exclusive
    assert location["region"] == {"startLine": 12, "startColumn": 5, "endLine": 12, "endColumn": 39}
    uri = warn["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "infra/a%20b%2Cc%3Ad%25.tf"


def test_github_annotations_escape_properties_and_data() -> None:
    lines = render(RESULT, "github").splitlines()
    assert lines == [
        "::error file=infra/main.bicep,line=12,col=5,endLine=12,endColumn=38,"
        f"title=ACRT001 trusted-services-blocked::{BLOCKED.message}",
        "::warning file=infra/a b%2Cc%3Ad%25.tf,line=3,endLine=7,"
        "title=ACRT004 service-endpoint-rules::virtual-network rules: 50%25 of consumers%0A"
        "are affected, use private endpoints",
        "::notice file=x.json,line=1,col=1,endLine=1,endColumn=1,"
        "title=ACRT011 role-principal-type::principalType missing",
    ]


def test_every_format_renders_an_empty_result() -> None:
    for fmt in FORMATS:
        assert isinstance(render(LintResult(0, ()), fmt), str)
