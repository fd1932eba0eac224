"""Rule identities and findings: the vocabulary shared by the rules, the reports and the CLI.

Rule IDs are fixed (issue #3); the table here is the single source for names, default
severities and documentation links, and a meta-test keeps ``docs/rules/`` and the README in step.
"""

from __future__ import annotations

import enum

from acr_trusted.lint.model import Span
from acr_trusted.records import frozen

DOCS_BASE = "https://github.com/acr-trusted/acr-trusted/blob/main/docs/rules/"


class Severity(str, enum.Enum):
    NOTE = "note"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return {"note": 0, "warning": 1, "error": 2}[self.value]

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls(text.lower())
        except ValueError:
            raise ValueError(
                f"unknown severity {text!r}; expected one of: note, warning, error"
            ) from None


@frozen
class RuleInfo:
    id: str
    name: str
    severity: Severity
    summary: str
    enabled_by_default: bool = True

    @property
    def help_uri(self) -> str:
        return f"{DOCS_BASE}{self.id}.md"


RULES: dict[str, RuleInfo] = {
    r.id: r
    for r in (
        RuleInfo(
            "ACRT000", "parse-error", Severity.ERROR, "A file of a handled type cannot be parsed."
        ),
        RuleInfo(
            "ACRT001",
            "trusted-services-blocked",
            Severity.ERROR,
            "A network-restricted registry sets networkRuleBypassOptions to None.",
        ),
        RuleInfo(
            "ACRT002",
            "tasks-bypass-missing",
            Severity.ERROR,
            "ACR tasks target a restricted registry without networkRuleBypassAllowedForTasks.",
        ),
        RuleInfo(
            "ACRT003",
            "premium-required",
            Severity.ERROR,
            "Network rules, disabled public access or a private endpoint on a non-Premium SKU.",
        ),
        RuleInfo(
            "ACRT004",
            "service-endpoint-rules",
            Severity.WARNING,
            "Virtual-network (service endpoint) rules: trusted services do not bypass them.",
        ),
        RuleInfo(
            "ACRT005",
            "unsafe-bypass-default",
            Severity.WARNING,
            "The bypass comes from a default of None while the registry is or can be restricted.",
        ),
        RuleInfo(
            "ACRT006",
            "api-version-too-old",
            Severity.ERROR,
            "A property is set under an API version that predates it.",
        ),
        RuleInfo(
            "ACRT007",
            "abac-ignores-acr-roles",
            Severity.ERROR,
            "ABAC role mode ignores AcrPull / AcrPush / AcrDelete assignments.",
        ),
        RuleInfo(
            "ACRT008",
            "aci-identity",
            Severity.WARNING,
            "A container group pulls from a restricted registry without a user-assigned identity.",
        ),
        RuleInfo(
            "ACRT009",
            "app-service-not-trusted",
            Severity.WARNING,
            "An App Service / Function app pulls from a restricted registry without VNet pull.",
        ),
        RuleInfo(
            "ACRT010",
            "task-identity-credential-missing",
            Severity.WARNING,
            "A task identity has no custom-registry credential for the restricted registry.",
        ),
        RuleInfo(
            "ACRT011",
            "role-principal-type",
            Severity.NOTE,
            "A role assignment for a managed identity without principalType ServicePrincipal.",
            enabled_by_default=False,
        ),
        RuleInfo(
            "ACRT099",
            "undetermined",
            Severity.WARNING,
            "A value that decides a rule cannot be determined statically (--strict only).",
            enabled_by_default=False,
        ),
    )
}


@frozen
class Edit:
    """Replace ``text[start:end]`` with ``replacement`` (character offsets of the decoded text)."""

    start: int
    end: int
    replacement: str


@frozen
class Finding:
    rule: str
    severity: Severity
    span: Span
    message: str
    resource: str = ""
    suppressed: bool = False
    suppression_reason: str = ""
    fix: Edit | None = None

    @property
    def name(self) -> str:
        return RULES[self.rule].name
