from __future__ import annotations

from acr_trusted.audit_report import AuditReport, RegistryVerdict
from acr_trusted.lint.findings import Severity
from tests.audit_samples import SUB_A, SUB_B, sample_report


def test_each_registry_gets_one_verdict() -> None:
    """Errors or a blocked consumer: blocked; warnings only: at-risk; else ok or not-restricted."""
    verdicts = {r.name: r.verdict for r in sample_report().registries}
    assert verdicts == {
        "blockedreg": RegistryVerdict.BLOCKED,
        "riskyreg": RegistryVerdict.AT_RISK,
        "privatereg": RegistryVerdict.OK,
        "openreg": RegistryVerdict.NOT_RESTRICTED,
    }


def test_a_blocked_consumer_alone_blocks_the_registry() -> None:
    """A registry without findings whose consumer cannot pull is blocked too."""
    report = sample_report()
    blocked = report.registries[0]
    assert [c.id.rsplit("/", 1)[-1] for c in blocked.blocked_consumers] == ["nightly"]


def test_counts_by_verdict_subscription_and_severity() -> None:
    """Every verdict and severity is present (zero included); subscriptions are sorted."""
    report = sample_report()
    assert list(report.by_verdict().values()) == [1, 1, 1, 1]
    by_sub = report.by_subscription()
    assert list(by_sub) == [SUB_A, SUB_B]
    assert by_sub[SUB_B] == {
        RegistryVerdict.BLOCKED: 0,
        RegistryVerdict.AT_RISK: 0,
        RegistryVerdict.OK: 0,
        RegistryVerdict.NOT_RESTRICTED: 1,
    }
    assert report.by_severity() == {Severity.ERROR: 2, Severity.WARNING: 1, Severity.NOTE: 0}


def test_summary_line() -> None:
    """One line with verdicts, findings by severity and the request count (singular forms)."""
    assert sample_report().summary() == (
        "4 registries (1 blocked, 1 at-risk, 1 ok, 1 not-restricted); "
        "3 findings (2 error, 1 warning); 2 Resource Graph requests"
    )
    assert AuditReport((), (), 1).summary() == "0 registries; 0 findings; 1 Resource Graph request"
