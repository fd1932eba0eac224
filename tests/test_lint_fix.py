from __future__ import annotations

from pathlib import Path

import pytest

from acr_trusted.lint.findings import Edit, Finding, Severity
from acr_trusted.lint.fix import apply_edits, apply_fixes, describe, render_replacement
from acr_trusted.lint.model import Span


def finding_at(text: str, literal: str, rule: str = "ACRT001", replacement: str = "") -> Finding:
    start = text.index(literal)
    line = text.count("\n", 0, start) + 1
    column = start - (text.rfind("\n", 0, start) + 1) + 1
    span = Span(
        "main.bicep", line, column, line, column + len(literal) - 1, start, start + len(literal)
    )
    new = replacement or {"ACRT001": "AzureServices", "ACRT002": "true"}[rule]
    return Finding(
        rule, Severity.ERROR, span, "m", "acr", fix=Edit(start, start + len(literal), new)
    )


@pytest.mark.parametrize(
    ("old", "replacement", "new"),
    [
        ("'None'", "AzureServices", "'AzureServices'"),
        ('"None"', "AzureServices", '"AzureServices"'),
        ('"None"', "'AzureServices'", '"AzureServices"'),
        ("None", "'AzureServices'", "AzureServices"),
        ("false", "true", "true"),
    ],
)
def test_replacement_keeps_the_quote_style(old: str, replacement: str, new: str) -> None:
    assert render_replacement(old, replacement) == new


def test_edits_change_only_their_literals() -> None:
    text = (
        "resource acr 'x' = {\r\n"
        "  properties: {\r\n"
        "    networkRuleBypassOptions: 'None' // keep this comment 'None'\r\n"
        "    networkRuleBypassAllowedForTasks: false\r\n"
        "  }\r\n"
        "}\r\n"
    )
    bypass = finding_at(text, "'None'")
    tasks = finding_at(text, "false", "ACRT002")
    new, applied, skipped = apply_edits(text, [(f, f.fix) for f in (tasks, bypass) if f.fix])
    assert new == text.replace("'None' //", "'AzureServices' //").replace("false", "true")
    assert skipped == []
    assert [(a.rule, a.line, a.column, a.old, a.new) for a in applied] == [
        ("ACRT001", 3, 31, "'None'", "'AzureServices'"),
        ("ACRT002", 4, 39, "false", "true"),
    ]


def test_edit_is_skipped_when_the_text_is_not_the_expected_literal() -> None:
    text = "networkRuleBypassOptions: bypass\n"
    finding = finding_at(text, "bypass")
    assert finding.fix is not None
    new, applied, skipped = apply_edits(text, [(finding, finding.fix)])
    assert new == text
    assert applied == []
    assert skipped == ["main.bicep:1:27: ACRT001: expected 'none' here, found 'bypass'"]


def test_duplicate_and_overlapping_edits() -> None:
    text = "x: 'None'\n"
    first = finding_at(text, "'None'")
    assert first.fix is not None
    overlapping = Edit(first.fix.start + 1, first.fix.end, "AzureServices")
    edits = [(first, first.fix), (first, first.fix), (first, overlapping)]
    new, applied, skipped = apply_edits(text, edits)
    assert new == "x: 'AzureServices'\n"
    assert len(applied) == 1
    assert skipped == ["main.bicep:1:4: ACRT001: overlaps another fix"]


def test_rules_without_a_fix_and_edits_outside_the_text_are_skipped() -> None:
    text = "x: 'None'\n"
    finding = finding_at(text, "'None'")
    other = Finding("ACRT003", Severity.ERROR, finding.span, "m", fix=Edit(0, 1, "y"))
    outside = Finding("ACRT001", Severity.ERROR, finding.span, "m", fix=Edit(5, 99, "y"))
    _, applied, skipped = apply_edits(text, [(other, Edit(0, 1, "y")), (outside, Edit(5, 99, "y"))])
    assert applied == []
    assert [s.split(": ", 2)[-1] for s in skipped] == [
        "no automatic fix for this rule",
        "the fix points outside the file",
    ]


def test_apply_fixes_preserves_bom_and_line_endings(tmp_path: Path) -> None:
    text = 'variable "x" {\r\n  default = "None"\r\n}\r\n# café\r\n'
    path = tmp_path / "main.tf"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    finding = finding_at(text, '"None"')
    report = apply_fixes([finding], {"main.bicep": path})
    assert report.changed
    assert path.read_bytes() == b"\xef\xbb\xbf" + text.replace('"None"', '"AzureServices"').encode()
    assert describe(report) == ['main.bicep:2:13: fixed ACRT001: "None" -> "AzureServices"']


def test_apply_fixes_ignores_suppressed_and_unfixable_findings(tmp_path: Path) -> None:
    path = tmp_path / "main.bicep"
    path.write_text("x: 'None'\n", encoding="utf-8")
    finding = finding_at("x: 'None'\n", "'None'")
    silenced = Finding(
        "ACRT001", Severity.ERROR, finding.span, "m", suppressed=True, fix=finding.fix
    )
    no_fix = Finding("ACRT001", Severity.ERROR, finding.span, "m")
    report = apply_fixes([silenced, no_fix], {"main.bicep": path})
    assert not report.changed
    assert path.read_text(encoding="utf-8") == "x: 'None'\n"


def test_apply_fixes_reports_unreadable_files(tmp_path: Path) -> None:
    finding = finding_at("x: 'None'\n", "'None'")
    report = apply_fixes([finding], {"main.bicep": tmp_path / "gone.bicep"})
    assert not report.changed
    (line,) = describe(report)
    assert line.startswith("not fixed: main.bicep: cannot rewrite:")
    assert apply_fixes([finding], {}).skipped == ("main.bicep: not a linted file",)
