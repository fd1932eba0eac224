"""``acr-trusted grant``: give an identity pull or push with the role the registry honours."""

from __future__ import annotations

import argparse

from acr_trusted.commands._azure import (
    EXIT_OK,
    add_azure_arguments,
    connection_kwargs,
    emit,
    registry_ref,
    run_azure,
)


def configure(parser: argparse.ArgumentParser) -> None:
    add_azure_arguments(parser)
    parser.add_argument("--principal", required=True, help="object (principal) ID of the identity")
    parser.add_argument("--role", choices=("pull", "push"), default="pull")
    parser.add_argument(
        "--principal-type",
        choices=("ServicePrincipal", "User", "Group"),
        default="ServicePrincipal",
        help="ServicePrincipal for managed identities (default)",
    )
    parser.add_argument(
        "--principal-wait",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="how long to retry PrincipalNotFound for a just-created identity (default 60)",
    )


def run(args: argparse.Namespace) -> int:
    def body() -> int:
        from acr_trusted.azure.rbac import grant_pull, grant_push

        grant = grant_pull if args.role == "pull" else grant_push
        ref = registry_ref(args)
        result = grant(
            ref,
            args.principal,
            principal_type=args.principal_type,
            principal_wait=args.principal_wait,
            **connection_kwargs(args),
        )
        data = {
            "registry": ref.id,
            "principalId": args.principal,
            "role": result.role_name,
            "roleDefinitionId": result.role_definition_id,
            "assignmentId": result.assignment_id,
            "scope": result.scope,
            "created": result.created,
        }
        verb = "assigned" if result.created else "already assigned"
        emit(args, data, f"{verb}: {result.role_name} to {args.principal} on {result.scope}")
        return EXIT_OK

    return run_azure("grant", body)
