"""Runbook: let trusted Azure services through a network-restricted registry's rules.

Against Azure (uses DefaultAzureCredential: `az login`, a managed identity, or env vars):
    REGISTRY_ID=$(az acr show --name <name> --query id --output tsv)
    python enable_trusted_access.py --registry "$REGISTRY_ID" [--include-tasks]
Offline, against LocalAzure seeded with a locked-down registry (same code path):
    python enable_trusted_access.py --local --include-tasks

Safe to re-run: when the registry is already as requested it reads once and writes nothing.
The caller needs Microsoft.ContainerRegistry/registries/write on the registry.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import acr_trusted


def enable(registry: str, *, include_tasks: bool, **azure: Any) -> int:
    result = acr_trusted.enable_trusted_access(registry, include_tasks=include_tasks, **azure)
    before, after = result.before, result.after
    print(f"registry: {registry}")
    print(
        f"  trusted services: {before.trusted_services_allowed} -> {after.trusted_services_allowed}"
    )
    print(f"  ACR Tasks bypass: {before.tasks_bypass_allowed} -> {after.tasks_bypass_allowed}")
    print("changed" if result.changed else "already enabled; nothing written")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--registry", help="registry resource ID")
    where.add_argument("--local", action="store_true", help="run against LocalAzure")
    parser.add_argument("--include-tasks", action="store_true", help="also let ACR Tasks through")
    args = parser.parse_args(argv)
    try:
        if not args.local:
            return enable(args.registry, include_tasks=args.include_tasks)
        from acr_trusted.testing import LocalAzure

        with LocalAzure() as az:
            ref = az.add_registry(
                "contoso", public_network_access="Disabled", network_rule_bypass_options="None"
            )
            return enable(ref.id, include_tasks=args.include_tasks, **az.kwargs)
    except acr_trusted.AcrTrustedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
