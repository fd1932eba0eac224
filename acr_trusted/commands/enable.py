"""``acr-trusted enable``: let trusted services (and, with --include-tasks, ACR Tasks) through.

``disable`` is the same command in reverse, so it reuses ``configure`` and ``run_change`` from here.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from acr_trusted.commands._azure import (
    EXIT_OK,
    add_azure_arguments,
    connection_kwargs,
    emit,
    posture_as_dict,
    registry_ref,
    run_azure,
)

if TYPE_CHECKING:
    from acr_trusted.azure.registry import ChangeResult

_SWITCHES = ("networkRuleBypassOptions", "networkRuleBypassAllowedForTasks")


def configure(parser: argparse.ArgumentParser) -> None:
    add_azure_arguments(parser)
    parser.add_argument(
        "--include-tasks",
        action="store_true",
        help="also set networkRuleBypassAllowedForTasks (ACR Tasks' system-assigned identities)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="read and compare only; write nothing"
    )


def _as_dict(registry_id: str, result: ChangeResult, *, dry_run: bool) -> dict[str, Any]:
    return {
        "registry": registry_id,
        "changed": result.changed,
        "dryRun": dry_run,
        "before": posture_as_dict(result.before),
        "after": posture_as_dict(result.after),
        "atRisk": [
            {"principalId": r.principal_id, "role": r.role_name, "scope": r.scope}
            for r in result.at_risk
        ],
    }


def _as_text(registry_id: str, data: dict[str, Any]) -> str:
    verb = "would change" if data["dryRun"] else "changed"
    head = f"{registry_id}: {verb if data['changed'] else 'already as requested; nothing to do'}"
    lines = [head]
    for name in _SWITCHES:
        before, after = data["before"][name], data["after"][name]
        mark = "->" if before != after else "=="
        lines.append(f"  {name}: {before} {mark} {after}")
    for risk in data["atRisk"]:
        lines.append(
            f"  WARNING: {risk['principalId']} holds {risk['role']} at {risk['scope']} and may "
            "have reached the registry through the bypass"
        )
    return "\n".join(lines)


def run_change(command: str, args: argparse.Namespace) -> int:
    def body() -> int:
        from acr_trusted.azure.registry import disable_trusted_access, enable_trusted_access

        change = enable_trusted_access if command == "enable" else disable_trusted_access
        ref = registry_ref(args)
        result = change(
            ref, include_tasks=args.include_tasks, dry_run=args.dry_run, **connection_kwargs(args)
        )
        data = _as_dict(ref.id, result, dry_run=args.dry_run)
        emit(args, data, _as_text(ref.id, data))
        return EXIT_OK

    return run_azure(command, body)


def run(args: argparse.Namespace) -> int:
    return run_change("enable", args)
