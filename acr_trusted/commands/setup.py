"""``acr-trusted setup``: one trusted-service workflow, step by step; exit 3 if a step failed."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from acr_trusted.commands._azure import (
    EXIT_AZURE,
    EXIT_OK,
    UsageError,
    add_azure_arguments,
    connection_kwargs,
    emit,
    registry_ref,
    run_azure,
)
from acr_trusted.ids import RegistryRef

if TYPE_CHECKING:
    from acr_trusted.azure.workflows import SetupResult

SERVICES = ("acr-tasks", "aci", "ml", "acr-import")
_NEEDS = {
    "acr-tasks": ("task",),
    "aci": ("identity",),
    "ml": ("workspace",),
    "acr-import": ("source", "principal"),
}


def configure(parser: argparse.ArgumentParser) -> None:
    add_azure_arguments(parser)
    parser.add_argument("--service", required=True, choices=SERVICES)
    parser.add_argument("--task", help="acr-tasks: the task (in --registry)")
    parser.add_argument("--role", choices=("push", "pull"), default="push", help="acr-tasks")
    parser.add_argument(
        "--target-registry", metavar="ID", help="acr-tasks: the registry the task pushes to"
    )
    parser.add_argument("--identity", metavar="ID", help="aci: user-assigned identity resource ID")
    parser.add_argument("--workspace", metavar="ID", help="ml: workspace resource ID")
    parser.add_argument(
        "--source", metavar="ID", help="acr-import: source registry ID (--registry is the target)"
    )
    parser.add_argument("--principal", help="acr-import: object ID of who imports")


def _require(args: argparse.Namespace) -> None:
    missing = [f"--{n}" for n in _NEEDS[args.service] if not getattr(args, n)]
    if missing:
        raise UsageError(f"--service {args.service} needs {' and '.join(missing)}")


def _parse(value: str, option: str) -> RegistryRef:
    try:
        return RegistryRef.parse(value)
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from exc


def as_dict(result: SetupResult) -> dict[str, Any]:
    return {
        "ok": result.ok,
        "changed": list(result.changed),
        "steps": [{"name": s.name, "status": s.status, "detail": s.detail} for s in result.steps],
    }


def run(args: argparse.Namespace) -> int:
    def body() -> int:
        from acr_trusted.azure import workflows

        _require(args)
        ref = registry_ref(args)
        azure = connection_kwargs(args)
        if args.service == "acr-tasks":
            target = (
                _parse(args.target_registry, "--target-registry") if args.target_registry else None
            )
            result = workflows.setup_task_access(
                ref, args.task, role=args.role, target_registry=target, **azure
            )
        elif args.service == "aci":
            result = workflows.setup_container_instances_access(ref, args.identity, **azure)
        elif args.service == "ml":
            result = workflows.setup_machine_learning_access(ref, args.workspace, **azure)
        else:
            source = _parse(args.source, "--source")
            result = workflows.setup_import_access(source, ref, args.principal, **azure)
        summary = "changed: " + (", ".join(result.changed) or "nothing (already set up)")
        emit(args, as_dict(result), f"{ref.id}: {args.service}\n{result.to_text()}\n{summary}")
        return EXIT_OK if result.ok else EXIT_AZURE

    return run_azure("setup", body)
