"""Runbook: audit every container registry of a fleet through Azure Resource Graph.

Against Azure (DefaultAzureCredential; Reader on the scope is enough):
    python audit_fleet.py [--subscription ID ... | --management-group ID] [--html report.html]
Offline, against LocalAzure seeded with a small fleet of known problems:
    python audit_fleet.py --local [--html report.html]

Prints the registries that need attention, their findings (the linter's ACRT rule IDs) and a
summary; writes the self-contained HTML report when asked. Exit 0 when nothing was found, 1 when
something was, 2 for bad arguments, 3 for an Azure error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from azure.core.exceptions import AzureError

import acr_trusted
from acr_trusted.audit_render import render


def run(html: str | None, **kwargs: Any) -> int:
    report = acr_trusted.audit(**kwargs)
    print(render(report, "table"), end="")
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if html:
        Path(html).write_text(render(report, "html"), encoding="utf-8")
        print(f"HTML report: {html}")
    return 1 if report.findings else 0


def seed(az: Any) -> None:
    """A small fleet: one registry per known problem, and two that are fine."""
    puller = az.add_managed_identity("fleet-puller")
    az.add_registry("opendefault", resource_group="team-a")
    private = az.add_registry(
        "privateok", public_network_access="Disabled", resource_group="team-a"
    )
    az.add_role_assignment(private, puller, "AcrPull")
    az.add_registry(
        "lockedout",
        public_network_access="Disabled",
        network_rule_bypass_options="None",
        resource_group="team-b",
    )
    az.add_registry("standardfw", sku="Standard", default_action="Deny", resource_group="team-b")
    abac = az.add_registry(
        "abacmode",
        private_endpoints=1,
        role_assignment_mode="AbacRepositoryPermissions",
        resource_group="team-c",
    )
    az.add_role_assignment(abac, puller, "AcrPull")
    builds = az.add_registry("buildsprivate", public_network_access="Disabled")
    az.add_task(builds, "nightlybuild")
    workspace = az.add_workspace("training", container_registry=private, resource_group="team-a")
    az.add_role_assignment(private, workspace["identity"]["principalId"], "AcrPull")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument("--subscription", action="append", help="subscription ID (repeatable)")
    scope.add_argument("--management-group", help="management group ID")
    scope.add_argument("--local", action="store_true", help="run against LocalAzure")
    parser.add_argument("--html", metavar="FILE", help="also write the HTML report to FILE")
    args = parser.parse_args(argv)
    try:
        if not args.local:
            return run(
                args.html, subscriptions=args.subscription, management_group=args.management_group
            )
        from acr_trusted.testing import LocalAzure

        with LocalAzure() as az:
            seed(az)
            return run(args.html, **az.kwargs)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (acr_trusted.AcrTrustedError, AzureError) as exc:
        print(f"error: {type(exc).__name__}: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
