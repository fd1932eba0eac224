"""``audit``: every registry of a fleet through Azure Resource Graph, in a handful of requests.

A one-GET-per-registry loop needs a request per registry (and per role-assignment list), takes
minutes for thousands of registries and meets ARM throttling. Resource Graph answers one query
across subscriptions or a management group, 1,000 rows a page. The audit sends the two queries of
:mod:`acr_trusted.azure.audit_queries`: the inherited role assignments first (few), then the
registries, one row each with their role assignments and consumers joined in, so 5,000 registries
take 6 requests. Rows are evaluated as pages arrive and no page is kept.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from attrs import frozen
from azure.core.credentials import TokenCredential
from azure.mgmt.resourcegraph import ResourceGraphClient
from azure.mgmt.resourcegraph.models import QueryRequest, QueryRequestOptions

from acr_trusted.audit_report import AuditFinding, AuditReport, RegistryAudit
from acr_trusted.audit_rules import InheritedGrants, RowError, audit_registry
from acr_trusted.azure.audit_queries import INHERITED_ASSIGNMENTS_QUERY, REGISTRIES_QUERY
from acr_trusted.azure.clients import Connection, RedactingNetworkTraceLoggingPolicy

logger = logging.getLogger(__name__)

PAGE_SIZE = 1000
"""Resource Graph's largest page (``$top`` maximum)."""

_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_MANAGEMENT_GROUP = re.compile(r"[-\w.()]{1,90}")


@frozen
class AuditProgress:
    """Where the audit is, reported after each Resource Graph page.

    ``total`` is Resource Graph's ``totalRecords`` for the registries query (``None`` until its
    first page arrives); ``registries`` counts the rows audited so far.
    """

    requests: int
    registries: int
    total: int | None


ProgressCallback = Callable[[AuditProgress], None]


def _scope(
    subscriptions: Sequence[str] | None, management_group: str | None
) -> tuple[list[str] | None, list[str] | None]:
    """Validated ``(subscriptions, management_groups)`` for ``QueryRequest``."""
    if subscriptions is not None and management_group is not None:
        raise ValueError("give subscriptions or a management group, not both")
    if isinstance(subscriptions, str):
        raise ValueError("subscriptions must be a list of subscription IDs, not one string")
    if subscriptions is not None:
        subs = [s.strip() for s in subscriptions]
        bad = [s for s in subs if not _GUID.fullmatch(s)]
        if bad:
            raise ValueError(f"subscription ID {bad[0]!r} is not a GUID")
        if not subs:
            raise ValueError("subscriptions is empty: omit it to audit every visible subscription")
        return subs, None
    if management_group is not None:
        group = management_group.strip()
        if not _MANAGEMENT_GROUP.fullmatch(group):
            raise ValueError(f"management group ID {management_group!r} is not valid")
        return None, [group]
    return None, None


def _client(connection: Connection) -> ResourceGraphClient:
    """Resource Graph is tenant-level: its client takes no subscription (unlike the others)."""
    options = dict(connection.client_options)
    options.setdefault("logging_policy", RedactingNetworkTraceLoggingPolicy(**options))
    return ResourceGraphClient(
        connection.credential,
        base_url=connection.endpoint,
        credential_scopes=list(connection.credential_scopes),
        **options,
    )


class _Pager:
    """Runs queries page by page (``$skipToken``), counting requests and noting truncation."""

    def __init__(
        self,
        client: ResourceGraphClient,
        subscriptions: list[str] | None,
        management_groups: list[str] | None,
    ) -> None:
        self.client = client
        self.subscriptions = subscriptions
        self.management_groups = management_groups
        self.requests = 0
        self.warnings: list[str] = []

    def rows(
        self, query: str, on_page: Callable[[int], None] | None = None
    ) -> Iterator[Mapping[str, Any]]:
        """Each row of ``query``; ``on_page(total_records)`` runs after each page is consumed."""
        token: str | None = None
        while True:
            request = QueryRequest(
                subscriptions=self.subscriptions,
                management_groups=self.management_groups,
                query=query,
                options=QueryRequestOptions(
                    skip_token=token, top=PAGE_SIZE, result_format="objectArray"
                ),
            )
            response = self.client.resources(request)
            self.requests += 1
            for row in response.data or ():
                if isinstance(row, Mapping):
                    yield row
            if str(response.result_truncated).lower() == "true":
                self.warnings.append(
                    f"Resource Graph truncated the answer after {response.count} rows "
                    "(no $skipToken); the audit is incomplete"
                )
            if on_page is not None:
                on_page(response.total_records)
            token = response.skip_token
            if not token:
                return


def iter_audit(
    *,
    subscriptions: Sequence[str] | None = None,
    management_group: str | None = None,
    credential: TokenCredential | None = None,
    endpoint: str | None = None,
    cloud: str | None = None,
    client_options: Mapping[str, Any] | None = None,
    progress: ProgressCallback | None = None,
    warnings: list[str] | None = None,
) -> Iterator[RegistryAudit]:
    """Yield one ``RegistryAudit`` per registry as Resource Graph pages arrive.

    The streaming form of :func:`audit` (same arguments): memory stays flat however large the
    fleet, because neither pages nor audits are kept. Lines about rows that could not be audited
    are appended to ``warnings`` when given (and logged).
    """
    subs, groups = _scope(subscriptions, management_group)
    connection = Connection.resolve(
        credential=credential, endpoint=endpoint, cloud=cloud, client_options=client_options
    )
    pager = _Pager(_client(connection), subs, groups)
    audited = 0

    def report(total: int | None) -> None:
        if progress is not None:
            progress(AuditProgress(pager.requests, audited, total))

    def note(line: str) -> None:
        logger.warning("%s", line)
        if warnings is not None:
            warnings.append(line)

    inherited = InheritedGrants()
    for row in pager.rows(INHERITED_ASSIGNMENTS_QUERY, lambda _total: report(None)):
        inherited.add(row)
    for row in pager.rows(REGISTRIES_QUERY, report):
        try:
            registry = audit_registry(row, inherited)
        except RowError as exc:
            note(str(exc))
            continue
        audited += 1
        yield registry
    for line in pager.warnings:
        note(line)


def audit(
    *,
    subscriptions: Sequence[str] | None = None,
    management_group: str | None = None,
    credential: TokenCredential | None = None,
    endpoint: str | None = None,
    cloud: str | None = None,
    client_options: Mapping[str, Any] | None = None,
    progress: ProgressCallback | None = None,
) -> AuditReport:
    """Audit every container registry in scope, with the linter's rules, through Resource Graph.

    Reads only (``Microsoft.ResourceGraph/resources/read`` plus read access to the resources and
    role assignments in scope; Reader is enough). Rows that cannot be audited are skipped and
    named in ``AuditReport.warnings``.

    Args:
        subscriptions: subscription IDs to query; ``None`` (and no management group) queries
            every subscription the credential can see.
        management_group: a management group ID: its whole hierarchy is queried.
        credential, endpoint, cloud, client_options: as for every acr_trusted call
            (``DefaultAzureCredential`` and public Azure by default).
        progress: called after each Resource Graph page with an :class:`AuditProgress`.

    Returns:
        One ``RegistryAudit`` per registry (posture, consumers with their ``BypassReport``,
        findings), every finding, and the number of Resource Graph requests made.

    Raises:
        ValueError: both scopes given, or a subscription or management group ID that is not
            valid (before any request).
        azure.core.exceptions.HttpResponseError: Resource Graph refused a query (status and ARM
            error code included), e.g. 403 without read access or 429 when throttled.
    """
    warnings: list[str] = []
    registries: list[RegistryAudit] = []
    findings: list[AuditFinding] = []
    counter = _RequestCounter(progress)
    for registry in iter_audit(
        subscriptions=subscriptions,
        management_group=management_group,
        credential=credential,
        endpoint=endpoint,
        cloud=cloud,
        client_options=client_options,
        progress=counter,
        warnings=warnings,
    ):
        registries.append(registry)
        findings.extend(registry.findings)
    return AuditReport(tuple(registries), tuple(findings), counter.requests, tuple(warnings))


class _RequestCounter:
    """Forwards progress and remembers the last request count it saw."""

    def __init__(self, forward: ProgressCallback | None) -> None:
        self.forward = forward
        self.requests = 0

    def __call__(self, progress: AuditProgress) -> None:
        self.requests = progress.requests
        if self.forward is not None:
            self.forward(progress)
