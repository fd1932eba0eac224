"""``acr-trusted catalog``: what may bypass a restricted registry, and which roles grant pull."""

from __future__ import annotations

import argparse
import json

from acr_trusted.catalog import ROLES, SERVICES, Permission, RoleAssignmentMode


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--output", choices=("table", "json"), default="table")


def catalog_as_dict() -> dict[str, object]:
    return {
        "services": [
            {
                "service": e.service.value,
                "name": e.display_name,
                "bypass": e.bypass.value,
                "trusted": e.trusted,
                "identity_required": e.identity_required,
                "identity_kinds": sorted(k.value for k in e.identity_kinds),
                "removed_from_trusted_list": (
                    e.removed_from_trusted_list.isoformat() if e.removed_from_trusted_list else None
                ),
                "note": e.note,
                "source": e.source_url,
            }
            for e in SERVICES.values()
        ],
        "roles": [
            {
                "name": r.name,
                "id": r.guid,
                "legacy": sorted(p.value for p in r.legacy),
                "abac": sorted(p.value for p in r.abac),
            }
            for r in ROLES
        ],
    }


def render_table() -> str:
    lines = [f"{'service':<12} {'name':<36} {'bypass via':<34} identity"]
    for e in SERVICES.values():
        kinds = "/".join(sorted(k.value for k in e.identity_kinds)) or "-"
        lines.append(f"{e.service.value:<12} {e.display_name:<36} {e.bypass.value:<34} {kinds}")
    lines.append("")
    lines.append(f"{'role':<50} {'legacy mode':<22} ABAC mode")
    for r in ROLES:
        legacy = ",".join(sorted(p.value for p in r.permissions(RoleAssignmentMode.LEGACY)))
        abac = ",".join(sorted(p.value for p in r.permissions(RoleAssignmentMode.ABAC)))
        lines.append(f"{r.name:<50} {legacy or '-':<22} {abac or '-'}")
    pull_legacy = [r.name for r in ROLES if r.grants(Permission.PULL, RoleAssignmentMode.LEGACY)]
    lines.append("")
    lines.append(f"pull in legacy mode: {', '.join(pull_legacy)}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    if args.output == "json":
        print(json.dumps(catalog_as_dict(), indent=2))
    else:
        print(render_table())
    return 0
