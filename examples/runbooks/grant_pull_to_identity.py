"""Runbook: let a managed identity pull from a registry, with the role the registry honours.

Against Azure (DefaultAzureCredential):
    python grant_pull_to_identity.py --registry "$REGISTRY_ID" --principal "$OBJECT_ID"
Offline, against LocalAzure seeded with a locked-down registry and a new identity:
    python grant_pull_to_identity.py --local

AcrPull on a legacy registry, "Container Registry Repository Reader" on an ABAC one; re-running
creates nothing. A just-created identity may be unknown to Entra ID for a minute: the grant
retries PrincipalNotFound for up to --principal-wait seconds. Afterwards the script checks
that the service can now reach the registry and prints any remaining fix.
The caller needs Microsoft.Authorization/roleAssignments/write (e.g. Role Based Access Control
Administrator) on the registry.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import acr_trusted


def grant(registry: str, principal_id: str, *, service: str, wait: float, **azure: Any) -> int:
    result = acr_trusted.grant_pull(registry, principal_id, principal_wait=wait, **azure)
    state = "assigned" if result.created else "already assigned"
    print(f"{state}: {result.role_name} to {principal_id}")
    print(f"  assignment: {result.assignment_id}")
    report = acr_trusted.check_bypass(registry, service=service, principal_id=principal_id, **azure)
    print(report.to_text())
    return 0 if report.ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--registry", help="registry resource ID")
    where.add_argument("--local", action="store_true", help="run against LocalAzure")
    parser.add_argument("--principal", help="object (principal) ID of the identity")
    parser.add_argument("--service", default="aci", help="service that pulls (default: aci)")
    parser.add_argument("--principal-wait", type=float, default=60.0, metavar="SECONDS")
    args = parser.parse_args(argv)
    try:
        if not args.local:
            if not args.principal:
                parser.error("--principal is required with --registry")
            return grant(
                args.registry, args.principal, service=args.service, wait=args.principal_wait
            )
        from acr_trusted.testing import LocalAzure

        with LocalAzure() as az:
            ref = az.add_registry("contoso", public_network_access="Disabled")
            principal = az.add_managed_identity("aci-puller")
            return grant(
                ref.id, principal, service=args.service, wait=args.principal_wait, **az.kwargs
            )
    except acr_trusted.AcrTrustedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
