"""Runbook: import an image from (or into) a network-restricted registry.

Against Azure (DefaultAzureCredential; the caller's object ID gets the importer role):
    python import_from_restricted_registry.py --source <source ID> --target <target ID> \
        --image app:v1 --principal <your object ID> [--principal-type User]
Offline, against LocalAzure (a source with public access disabled):
    python import_from_restricted_registry.py --local

The importer needs "Container Registry Data Importer and Data Reader" on both registries; the
restricted registry must allow trusted services; a source without public access is named by
resource ID (az acr import --registry <source ID>). Safe to re-run.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import acr_trusted


def run(source: str, target: str, image: str, principal: str, kind: str, **azure: Any) -> int:
    result = acr_trusted.setup_import_access(
        source, target, principal, principal_type=kind, **azure
    )
    print(result.to_text())
    if not result.ok:
        return 3
    done = acr_trusted.import_image(source, target, image, **azure)
    print(f"imported {done.image} as {', '.join(done.target_tags)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--local", action="store_true", help="run against LocalAzure")
    parser.add_argument("--source", help="source registry resource ID")
    parser.add_argument("--target", help="target registry resource ID")
    parser.add_argument("--image", default="app:v1", help="repository:tag to import")
    parser.add_argument("--principal", help="object ID of who imports (you)")
    parser.add_argument("--principal-type", default="User", help="User, Group or ServicePrincipal")
    args = parser.parse_args(argv)
    try:
        if not args.local:
            if not (args.source and args.target and args.principal):
                parser.error("give --source, --target and --principal, or --local")
            return run(args.source, args.target, args.image, args.principal, args.principal_type)
        from acr_trusted.testing import LocalAzure

        with LocalAzure() as az:
            source = az.add_registry(
                "source1", public_network_access="Disabled", network_rule_bypass_options="None"
            )
            target = az.add_registry("target1")
            principal = az.add_principal("User")
            az.act_as(principal)
            return run(source.id, target.id, args.image, principal, "User", **az.kwargs)
    except (acr_trusted.AcrTrustedError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3 if isinstance(exc, acr_trusted.AcrTrustedError) else 2


if __name__ == "__main__":
    sys.exit(main())
