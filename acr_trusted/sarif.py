"""SARIF 2.1.0 envelopes for acr-trusted's rules, shared by every report that emits SARIF.

A SARIF log is one run of one tool: its rules (``reportingDescriptor``) and its results. The
rule metadata comes from ``lint.findings.RULES`` so the linter and the fleet audit describe
``ACRT001`` identically; each caller builds its own results (a file region for the linter, a
logical location naming the Azure resource for the audit).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from acr_trusted import __version__
from acr_trusted.lint.findings import RULES

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/acr-trusted/acr-trusted"


def rule_descriptor(rule_id: str) -> dict[str, Any]:
    """The ``reportingDescriptor`` of one ACRT rule."""
    info = RULES[rule_id]
    return {
        "id": info.id,
        "name": info.name,
        "shortDescription": {"text": info.summary},
        "helpUri": info.help_uri,
        "defaultConfiguration": {
            "enabled": info.enabled_by_default,
            "level": info.severity.value,
        },
    }


def rule_indices(rule_ids: Iterable[str] | None = None) -> dict[str, int]:
    """``ruleIndex`` of each rule in the driver's rule list (all rules by default)."""
    return {rule_id: index for index, rule_id in enumerate(rule_ids or RULES)}


def log(
    tool_name: str,
    results: Iterable[Mapping[str, Any]],
    *,
    rule_ids: Iterable[str] | None = None,
    run_properties: Mapping[str, Any] | None = None,
    column_kind: str | None = None,
) -> dict[str, Any]:
    """A SARIF log with one run of ``tool_name`` over ``rule_ids`` (all rules by default).

    ``column_kind`` ("unicodeCodePoints" / "utf16CodeUnits") says how result columns count,
    for tools whose results point into files.
    """
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": tool_name,
                "version": __version__,
                "informationUri": INFORMATION_URI,
                "rules": [rule_descriptor(r) for r in rule_indices(rule_ids)],
            }
        },
        "results": [dict(r) for r in results],
    }
    if column_kind:
        run["columnKind"] = column_kind
    if run_properties:
        run["properties"] = dict(run_properties)
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
