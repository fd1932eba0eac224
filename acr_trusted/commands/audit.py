"""``acr-trusted audit``: every registry of a fleet, through Resource Graph. Exit 1 on findings.

The report goes to stdout (``--output table|json|csv|sarif|html``); a progress bar goes to
stderr while pages arrive, only when stderr is a terminal, and one line per row that could not
be audited follows the report on stderr.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, TextIO

from acr_trusted.commands._azure import (
    EXIT_OK,
    EXIT_PROBLEM,
    UsageError,
    connection_kwargs,
    run_azure,
)

if TYPE_CHECKING:
    from acr_trusted.azure.audit import AuditProgress

FORMATS = ("table", "json", "csv", "sarif", "html")
BAR_WIDTH = 30


def configure(parser: argparse.ArgumentParser) -> None:
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument(
        "--subscription",
        action="append",
        metavar="ID",
        help="subscription to audit (repeat for several; default: every visible subscription)",
    )
    scope.add_argument("--management-group", metavar="ID", help="audit this management group")
    parser.add_argument("--output", "-o", choices=FORMATS, default="table")
    parser.add_argument(
        "--cloud",
        choices=("AzureCloud", "AzureChinaCloud", "AzureUSGovernment"),
        default="AzureCloud",
    )
    parser.add_argument("--endpoint", help=argparse.SUPPRESS)
    parser.add_argument("--ca-bundle", help=argparse.SUPPRESS)


class ProgressBar:
    """``[#####-----] 3000/5000 registries, 4 requests`` redrawn in place on a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.drawn = False

    def __call__(self, progress: AuditProgress) -> None:
        if progress.total is None:
            text = f"reading role assignments... {progress.requests} request(s)"
        else:
            total = max(progress.total, 1)
            done = min(progress.registries, total)
            filled = round(BAR_WIDTH * done / total)
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            text = (
                f"[{bar}] {progress.registries}/{progress.total} registries, "
                f"{progress.requests} request(s)"
            )
        self.stream.write(f"\r\x1b[2K{text}")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()


def run(args: argparse.Namespace) -> int:
    def body() -> int:
        from acr_trusted.audit_render import render
        from acr_trusted.azure.audit import audit

        bar = ProgressBar(sys.stderr) if sys.stderr.isatty() else None
        try:
            report = audit(
                subscriptions=args.subscription,
                management_group=args.management_group,
                progress=bar,
                **connection_kwargs(args),
            )
        except ValueError as exc:
            raise UsageError(str(exc)) from exc
        finally:
            if bar is not None:
                bar.close()
        sys.stdout.write(render(report, args.output))
        for line in report.warnings:
            print(f"acr-trusted audit: warning: {line}", file=sys.stderr)
        return EXIT_PROBLEM if report.findings else EXIT_OK

    return run_azure("audit", body)
