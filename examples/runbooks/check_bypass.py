"""Runbook: why can't this service pull from this registry? Verdict, evidence, and fixes.

Against Azure (DefaultAzureCredential; needs only Reader on the registry):
    python check_bypass.py --registry <registry resource ID> --service aci --principal <object ID>
Offline, against LocalAzure seeded with a private registry and an identity holding AcrPull:
    python check_bypass.py --local [--service acr-tasks]

Services: aci, defender, ml, acr-import, acr-tasks, app-service. Exit 0 when nothing stands in
the way, 1 when something does (each reason prints the SDK call and the az command that fix it).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import acr_trusted


def check(registry: str, *, service: str, principal: str | None, **azure: Any) -> int:
    report = acr_trusted.check_bypass(registry, service=service, principal_id=principal, **azure)
    print(report.to_text())
    return 0 if report.ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--registry", help="registry resource ID")
    where.add_argument("--local", action="store_true", help="run against LocalAzure")
    parser.add_argument("--service", default="aci", help="service that pulls (default: aci)")
    parser.add_argument("--principal", help="object ID of the identity the service uses")
    args = parser.parse_args(argv)
    try:
        if not args.local:
            return check(args.registry, service=args.service, principal=args.principal)
        from acr_trusted.testing import LocalAzure

        with LocalAzure() as az:
            ref = az.add_registry("contoso", public_network_access="Disabled")
            principal = az.add_managed_identity("puller")
            az.add_role_assignment(ref, principal, "AcrPull")
            return check(ref.id, service=args.service, principal=principal, **az.kwargs)
    except (acr_trusted.AcrTrustedError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3 if isinstance(exc, acr_trusted.AcrTrustedError) else 2


if __name__ == "__main__":
    sys.exit(main())
