"""Runbook: let an Azure Machine Learning workspace pull from a network-restricted registry.

Against Azure (DefaultAzureCredential):
    python ml_workspace_pull.py --registry <registry resource ID> --workspace <workspace ID>
Offline, against LocalAzure seeded with a private registry and a workspace:
    python ml_workspace_pull.py --local

The workspace pulls with its primary user-assigned identity when it names one, else with its
system-assigned identity; that identity gets pull and the registry allows trusted services.
With ACR behind a VNet, image builds also need a compute cluster
(az ml workspace update --image-build-compute <cluster>). Safe to re-run.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import acr_trusted


def setup(registry: str, workspace: str, **azure: Any) -> int:
    result = acr_trusted.setup_machine_learning_access(registry, workspace, **azure)
    print(result.to_text())
    return 0 if result.ok else 3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--registry", help="registry resource ID")
    where.add_argument("--local", action="store_true", help="run against LocalAzure")
    parser.add_argument("--workspace", help="resource ID of the Machine Learning workspace")
    args = parser.parse_args(argv)
    try:
        if not args.local:
            if not args.workspace:
                parser.error("--registry needs --workspace")
            return setup(args.registry, args.workspace)
        from acr_trusted.testing import LocalAzure

        with LocalAzure() as az:
            ref = az.add_registry(
                "contoso", public_network_access="Disabled", network_rule_bypass_options="None"
            )
            workspace = az.add_workspace("ws1", container_registry=ref)
            return setup(ref.id, workspace["id"], **az.kwargs)
    except (acr_trusted.AcrTrustedError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3 if isinstance(exc, acr_trusted.AcrTrustedError) else 2


if __name__ == "__main__":
    sys.exit(main())
