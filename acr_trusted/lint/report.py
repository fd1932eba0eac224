"""Findings as text for people, JSON for scripts, SARIF for code scanning, annotations for GitHub.

The JSON shape is a public interface (``"version": 1``, documented in ``docs/lint.md``): fields
may be added in version 1, never renamed or removed. Suppressed findings are kept in JSON and
SARIF (marked) so an audit can see every exception, and left out of text and annotations, which
are for what must be fixed.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from acr_trusted.lint.scan import LintResult

if TYPE_CHECKING:
    from acr_trusted.lint.findings import Finding

# Severity values, worst first. The rule table (findings.py, with the model) is imported
# only by the SARIF renderer, so a clean run's report costs no import (see scan.py).
SEVERITIES = ("error", "warning", "note")

FORMATS = ("text", "json", "sarif", "github")
JSON_VERSION = 1
TOOL_NAME = "acr-trusted-lint"
_GITHUB_LEVEL = {"error": "error", "warning": "warning", "note": "notice"}


def render(result: LintResult, fmt: str) -> str:
    """The report in ``fmt`` (one of :data:`FORMATS`), ending with a newline when not empty."""
    renderers: dict[str, Callable[[LintResult], str]] = {
        "text": render_text,
        "json": render_json,
        "sarif": render_sarif,
        "github": render_github,
    }
    return renderers[fmt](result)


def render_text(result: LintResult) -> str:
    """``path:line:col: RULE [severity] message``, one finding per line, whatever the message."""
    return "".join(
        f"{f.span}: {f.rule} [{f.severity.value}] {' '.join(f.message.splitlines())}\n"
        for f in result.active
    )


def summary(result: LintResult) -> str:
    """One line for stderr: counts by severity, files, suppressions."""
    counts = Counter(f.severity.value for f in result.active)
    parts = [f"{counts[s]} {s}{'' if counts[s] == 1 else 's'}" for s in SEVERITIES if counts[s]]
    files = len({f.span.path for f in result.active})
    found = (
        f"{', '.join(parts)} in {files} file{'' if files == 1 else 's'}" if parts else "no findings"
    )
    suppressed = len(result.findings) - len(result.active)
    tail = f", {suppressed} suppressed" if suppressed else ""
    scanned = result.files_scanned
    return f"acr-trusted-lint: {found} ({scanned} file{'' if scanned == 1 else 's'} scanned{tail})"


def finding_as_dict(finding: Finding) -> dict[str, Any]:
    span = finding.span
    return {
        "rule": finding.rule,
        "name": finding.name,
        "severity": finding.severity.value,
        "path": span.path,
        "line": span.line,
        "column": span.column,
        "end_line": span.end_line,
        "end_column": span.end_column,
        "resource": finding.resource,
        "message": finding.message,
        "suppressed": finding.suppressed,
    }


def render_json(result: LintResult) -> str:
    document = {
        "version": JSON_VERSION,
        "files_scanned": result.files_scanned,
        "findings": [finding_as_dict(f) for f in result.findings],
    }
    return json.dumps(document, indent=2) + "\n"


def _sarif_result(finding: Finding, rule_index: int) -> dict[str, Any]:
    span = finding.span
    region = {
        "startLine": span.line,
        "startColumn": span.column,
        "endLine": max(span.end_line, span.line),
        # SARIF's endColumn is exclusive; ours is inclusive
        "endColumn": span.end_column + 1,
    }
    if (region["endLine"], region["endColumn"]) <= (span.line, span.column):
        region["endLine"], region["endColumn"] = span.line, span.column + 1
    out: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": finding.severity.value,
        "message": {"text": finding.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": quote(span.path.replace("\\", "/"))},
                    "region": region,
                }
            }
        ],
    }
    if finding.resource:
        out["properties"] = {"resource": finding.resource}
    if finding.suppressed:
        out["suppressions"] = [{"kind": "inSource", "justification": finding.suppression_reason}]
    return out


def render_sarif(result: LintResult) -> str:
    from acr_trusted import sarif

    indices = sarif.rule_indices()
    results = [_sarif_result(f, indices[f.rule]) for f in result.findings]
    document = sarif.log(TOOL_NAME, results, column_kind="unicodeCodePoints")
    return json.dumps(document, indent=2) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(result: LintResult) -> str:
    """Workflow commands (``::error file=...::message``), escaped as actions/toolkit does.

    GitHub accepts columns only for a single-line region, so multi-line spans give lines only.
    """
    lines = []
    for f in result.active:
        span = f.span
        props = [f"file={_escape_property(span.path)}", f"line={span.line}"]
        if span.end_line == span.line:
            props.append(f"col={span.column}")
        props.append(f"endLine={max(span.end_line, span.line)}")
        if span.end_line == span.line:
            props.append(f"endColumn={max(span.end_column, span.column)}")
        props.append(f"title={_escape_property(f'{f.rule} {f.name}')}")
        lines.append(
            f"::{_GITHUB_LEVEL[f.severity.value]} {','.join(props)}::{_escape_data(f.message)}\n"
        )
    return "".join(lines)
