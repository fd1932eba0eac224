"""What a fleet audit found: one ``RegistryAudit`` per registry, findings, and the request count.

These are plain values (attrs, frozen), built by the pure evaluation in
:mod:`acr_trusted.audit_rules` from Resource Graph rows and rendered by
:mod:`acr_trusted.audit_render` / :mod:`acr_trusted.audit_html`; nothing here imports Azure.
Findings carry the linter's rule IDs and default severities (``lint.findings.RULES``), so
``ACRT001`` means the same thing in a template and in production.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable

from attrs import field, frozen

from acr_trusted.access import BypassReport, ConsumerIdentity, Verdict
from acr_trusted.catalog import TrustedService
from acr_trusted.lint.findings import RULES, Severity
from acr_trusted.posture import NetworkPosture


class RegistryVerdict(str, enum.Enum):
    """One word per registry, for the fleet summary (worst first)."""

    BLOCKED = "blocked"
    """An error-severity finding, or a consumer that cannot reach the registry."""
    AT_RISK = "at-risk"
    """Only warnings (service-endpoint rules, a container group pulling the wrong way, ...)."""
    OK = "ok"
    """Restricted, and every consumer found gets through."""
    NOT_RESTRICTED = "not-restricted"
    """No network restriction, nothing found."""


@frozen
class AuditFinding:
    """A rule that fired on a live registry; ``consumer_id`` names the consumer it is about."""

    rule: str
    severity: Severity
    registry_id: str
    message: str
    consumer_id: str | None = None

    @property
    def name(self) -> str:
        return RULES[self.rule].name


@frozen
class ConsumerAudit:
    """A resource that pulls from the registry, and what ``evaluate_bypass`` says about it.

    ``authenticates_with`` is how it signs in to this registry: ``user-assigned``,
    ``system-assigned``, ``admin-credentials`` (username and password) or ``none``.
    """

    id: str
    service: TrustedService
    authenticates_with: str
    identity: ConsumerIdentity | None
    agent_pool: bool
    report: BypassReport


def _tuple_of_findings(values: Iterable[AuditFinding]) -> tuple[AuditFinding, ...]:
    return tuple(values)


def _tuple_of_consumers(values: Iterable[ConsumerAudit]) -> tuple[ConsumerAudit, ...]:
    return tuple(values)


@frozen
class RegistryAudit:
    """One registry: where it is, its posture, its consumers and the findings about it."""

    id: str
    name: str
    subscription_id: str
    resource_group: str
    location: str
    posture: NetworkPosture
    consumers: tuple[ConsumerAudit, ...] = field(default=(), converter=_tuple_of_consumers)
    findings: tuple[AuditFinding, ...] = field(default=(), converter=_tuple_of_findings)

    @property
    def verdict(self) -> RegistryVerdict:
        blocked = any(
            c.report.verdict in (Verdict.BLOCKED, Verdict.UNSUPPORTED) for c in self.consumers
        )
        if blocked or any(f.severity is Severity.ERROR for f in self.findings):
            return RegistryVerdict.BLOCKED
        if self.findings:
            return RegistryVerdict.AT_RISK
        return RegistryVerdict.OK if self.posture.is_restricted else RegistryVerdict.NOT_RESTRICTED

    @property
    def blocked_consumers(self) -> tuple[ConsumerAudit, ...]:
        return tuple(c for c in self.consumers if not c.report.ok)


@frozen
class AuditReport:
    """The fleet audit's answer.

    ``requests`` counts the Resource Graph queries sent, one per page (retries the SDK makes on
    its own, e.g. after a 429, are not counted); ``warnings`` holds one line per row that could
    not be audited (naming the resource) or per truncated answer.
    """

    registries: tuple[RegistryAudit, ...]
    findings: tuple[AuditFinding, ...]
    requests: int
    warnings: tuple[str, ...] = ()

    def by_verdict(self) -> dict[RegistryVerdict, int]:
        """Registry count per verdict, every verdict present (worst first)."""
        counts = Counter(r.verdict for r in self.registries)
        return {v: counts[v] for v in RegistryVerdict}

    def by_subscription(self) -> dict[str, dict[RegistryVerdict, int]]:
        """Registry count per verdict for each subscription, subscriptions sorted."""
        table: dict[str, Counter[RegistryVerdict]] = {}
        for registry in self.registries:
            table.setdefault(registry.subscription_id, Counter())[registry.verdict] += 1
        return {sub: {v: table[sub][v] for v in RegistryVerdict} for sub in sorted(table)}

    def by_severity(self) -> dict[Severity, int]:
        counts = Counter(f.severity for f in self.findings)
        return {s: counts[s] for s in (Severity.ERROR, Severity.WARNING, Severity.NOTE)}

    def summary(self) -> str:
        """One line: registries by verdict, findings by severity, Resource Graph requests."""
        count = len(self.registries)
        verdicts = ", ".join(f"{n} {v.value}" for v, n in self.by_verdict().items() if n)
        severities = ", ".join(f"{n} {s.value}" for s, n in self.by_severity().items() if n)
        found = len(self.findings)
        by_severity = f" ({severities})" if severities else ""
        return (
            f"{count} registr{'y' if count == 1 else 'ies'}"
            f"{f' ({verdicts})' if verdicts else ''}; "
            f"{found} finding{'' if found == 1 else 's'}{by_severity}; "
            f"{self.requests} Resource Graph request{'' if self.requests == 1 else 's'}"
        )
