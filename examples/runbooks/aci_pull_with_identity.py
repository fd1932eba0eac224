"""Runbook: let Azure Container Instances pull from a network-restricted registry.

Against Azure (DefaultAzureCredential):
    python aci_pull_with_identity.py --registry <registry resource ID> --identity <UAMI resource ID>
Offline, against LocalAzure (also creates a container group that pulls with the identity):
    python aci_pull_with_identity.py --local

ACI pulls from ACR only with a user-assigned identity: the group names it in `identity` and in
`imageRegistryCredentials[].identity` (az container create --acr-identity <id> --assign-identity
<id>). This gives that identity pull on the registry and allows trusted services. Safe to re-run.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import acr_trusted


def setup(registry: str, identity: str, **azure: Any) -> int:
    result = acr_trusted.setup_container_instances_access(registry, identity, **azure)
    print(result.to_text())
    return 0 if result.ok else 3


def _local() -> int:
    from acr_trusted.azure.clients import Connection
    from acr_trusted.azure.consumers import CONTAINER_GROUP_API_VERSION, arm_json
    from acr_trusted.testing import LocalAzure

    with LocalAzure() as az:
        ref = az.add_registry("contoso", public_network_access="Disabled")
        uami = az.add_user_assigned_identity("aci-puller")
        code = setup(ref.id, uami.resource_id, **az.kwargs)
        image = "contoso.azurecr.io/app:v1"
        group = arm_json(
            Connection.resolve(**az.kwargs),
            "PUT",
            ref.id.split("/providers/")[0]
            + "/providers/Microsoft.ContainerInstance/containerGroups/app",
            CONTAINER_GROUP_API_VERSION,
            {
                "location": "westus",
                "identity": {
                    "type": "UserAssigned",
                    "userAssignedIdentities": {uami.resource_id: {}},
                },
                "properties": {
                    "osType": "Linux",
                    "containers": [{"name": "app", "properties": {"image": image}}],
                    "imageRegistryCredentials": [
                        {"server": "contoso.azurecr.io", "identity": uami.resource_id}
                    ],
                },
            },
        )
        print(f"container group app pulled {image}: {group['properties']['provisioningState']}")
        return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--registry", help="registry resource ID")
    where.add_argument("--local", action="store_true", help="run against LocalAzure")
    parser.add_argument("--identity", help="resource ID of the user-assigned identity")
    args = parser.parse_args(argv)
    try:
        if args.local:
            return _local()
        if not args.identity:
            parser.error("--registry needs --identity")
        return setup(args.registry, args.identity)
    except (acr_trusted.AcrTrustedError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3 if isinstance(exc, acr_trusted.AcrTrustedError) else 2


if __name__ == "__main__":
    sys.exit(main())
