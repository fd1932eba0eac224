"""A fleet audit as a table for people, JSON for scripts, CSV for spreadsheets, SARIF, or HTML.

Pure functions of an ``AuditReport``; nothing here imports Azure. The JSON shape is versioned
(``"version": 1``): fields may be added, never renamed or removed. The HTML report is built by
:mod:`acr_trusted.audit_html`.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

from acr_trusted.audit_html import render_html
from acr_trusted.audit_report import AuditFinding, AuditReport, RegistryAudit, RegistryVerdict
from acr_trusted.commands._azure import posture_as_dict
from acr_trusted.sarif import log, rule_indices

FORMATS = ("table", "json", "csv", "sarif", "html")
JSON_VERSION = 1
TOOL_NAME = "acr-trusted audit"


def render(report: AuditReport, fmt: str) -> str:
    """The report in ``fmt`` (one of :data:`FORMATS`), ending with a newline."""
    renderers: dict[str, Callable[[AuditReport], str]] = {
        "table": render_table,
        "json": render_json,
        "csv": render_csv,
        "sarif": render_sarif,
        "html": render_html,
    }
    return renderers[fmt](report)


def _consumers_cell(registry: RegistryAudit) -> str:
    total = len(registry.consumers)
    blocked = len(registry.blocked_consumers)
    return f"{blocked}/{total}" if blocked else str(total)


def _rules(registry: RegistryAudit) -> str:
    return ",".join(dict.fromkeys(f.rule for f in registry.findings)) or "-"


def render_table(report: AuditReport) -> str:
    """Registries that need attention (worst first), their findings, then a summary line."""
    order = {v: i for i, v in enumerate(RegistryVerdict)}
    flagged = sorted(
        (
            r
            for r in report.registries
            if r.verdict in (RegistryVerdict.BLOCKED, RegistryVerdict.AT_RISK)
        ),
        key=lambda r: (
            order[r.verdict],
            r.subscription_id,
            r.resource_group.lower(),
            r.name.lower(),
        ),
    )
    header = ("VERDICT", "REGISTRY", "RESOURCE GROUP", "SUBSCRIPTION", "RULES", "BLOCKED/CONSUMERS")
    rows = [
        (
            r.verdict.value,
            r.name,
            r.resource_group,
            r.subscription_id,
            _rules(r),
            _consumers_cell(r),
        )
        for r in flagged
    ]
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)]
    lines = [
        "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in (header, *rows)
    ]
    if not rows:
        lines = ["no registry needs attention"]
    details = [f"  {f.rule} [{f.severity.value}] {f.message}" for r in flagged for f in r.findings]
    details += [
        f"  {r.name}: {c.service.value} '{c.id.rsplit('/', 1)[-1]}' is "
        f"{c.report.verdict.value}: {', '.join(x.code for x in c.report.reasons if x.blocking)}"
        for r in flagged
        for c in r.blocked_consumers
    ]
    if details:
        lines += ["", "findings:", *details]
    lines += ["", report.summary()]
    return "\n".join(lines) + "\n"


def finding_as_dict(finding: AuditFinding) -> dict[str, Any]:
    return {
        "rule": finding.rule,
        "name": finding.name,
        "severity": finding.severity.value,
        "registry_id": finding.registry_id,
        "consumer_id": finding.consumer_id,
        "message": finding.message,
    }


def registry_as_dict(registry: RegistryAudit) -> dict[str, Any]:
    return {
        "id": registry.id,
        "name": registry.name,
        "subscription_id": registry.subscription_id,
        "resource_group": registry.resource_group,
        "location": registry.location,
        "verdict": registry.verdict.value,
        "posture": posture_as_dict(registry.posture),
        "consumers": [
            {
                "id": c.id,
                "service": c.service.value,
                "authenticates_with": c.authenticates_with,
                "principal_id": c.identity.principal_id if c.identity else None,
                "agent_pool": c.agent_pool,
                "bypass": c.report.as_dict(),
            }
            for c in registry.consumers
        ],
        "findings": [finding_as_dict(f) for f in registry.findings],
    }


def render_json(report: AuditReport) -> str:
    document = {
        "version": JSON_VERSION,
        "requests": report.requests,
        "summary": {
            "registries": len(report.registries),
            "by_verdict": {v.value: n for v, n in report.by_verdict().items()},
            "by_severity": {s.value: n for s, n in report.by_severity().items()},
        },
        "registries": [registry_as_dict(r) for r in report.registries],
        "findings": [finding_as_dict(f) for f in report.findings],
        "warnings": list(report.warnings),
    }
    return json.dumps(document, indent=2) + "\n"


CSV_COLUMNS = (
    "registry_id",
    "name",
    "subscription_id",
    "resource_group",
    "location",
    "sku",
    "verdict",
    "restrictions",
    "network_rule_bypass_options",
    "network_rule_bypass_allowed_for_tasks",
    "role_assignment_mode",
    "consumers",
    "blocked_consumers",
    "rules",
)


def render_csv(report: AuditReport) -> str:
    """One row per registry; values as read (empty when not set)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in report.registries:
        p = r.posture
        tasks = p.network_rule_bypass_allowed_for_tasks
        writer.writerow(
            (
                r.id,
                r.name,
                r.subscription_id,
                r.resource_group,
                r.location,
                p.sku or "",
                r.verdict.value,
                ";".join(x.value for x in p.restrictions),
                p.network_rule_bypass_options or "",
                "" if tasks is None else str(tasks).lower(),
                p.role_assignment_mode or "",
                len(r.consumers),
                len(r.blocked_consumers),
                ";".join(dict.fromkeys(f.rule for f in r.findings)),
            )
        )
    return out.getvalue()


def render_sarif(report: AuditReport) -> str:
    """Findings as SARIF results located at the Azure resource (a logical location)."""
    indices = rule_indices()
    results = []
    for f in report.findings:
        located = [{"fullyQualifiedName": f.registry_id, "kind": "resource"}]
        if f.consumer_id:
            located.append({"fullyQualifiedName": f.consumer_id, "kind": "resource"})
        results.append(
            {
                "ruleId": f.rule,
                "ruleIndex": indices[f.rule],
                "level": f.severity.value,
                "message": {"text": f.message},
                "locations": [{"logicalLocations": located}],
            }
        )
    properties = {"resourceGraphRequests": report.requests, "registries": len(report.registries)}
    return json.dumps(log(TOOL_NAME, results, run_properties=properties), indent=2) + "\n"
