"""``acr-trusted check``: can this service reach this registry? Exit 1 when it cannot."""

from __future__ import annotations

import argparse

from acr_trusted.catalog import IdentityKind, TrustedService
from acr_trusted.commands._azure import (
    EXIT_OK,
    EXIT_PROBLEM,
    add_azure_arguments,
    connection_kwargs,
    emit,
    registry_ref,
    run_azure,
)

_KINDS = {"system": IdentityKind.SYSTEM_ASSIGNED, "user": IdentityKind.USER_ASSIGNED}


def configure(parser: argparse.ArgumentParser) -> None:
    add_azure_arguments(parser)
    parser.add_argument("--service", required=True, choices=[s.value for s in TrustedService])
    parser.add_argument("--principal", help="object ID of the identity the service uses")
    parser.add_argument(
        "--identity-kind", choices=sorted(_KINDS), help="kind of that identity, when known"
    )
    parser.add_argument(
        "--agent-pool", action="store_true", help="the ACR task runs on an agent pool"
    )
    parser.add_argument(
        "--push", action="store_true", help="the consumer pushes (an ACR task that builds)"
    )


def run(args: argparse.Namespace) -> int:
    def body() -> int:
        from acr_trusted.azure.bypass import check_bypass

        report = check_bypass(
            registry_ref(args),
            service=args.service,
            principal_id=args.principal,
            identity_kind=_KINDS[args.identity_kind] if args.identity_kind else None,
            agent_pool=args.agent_pool,
            permission="push" if args.push else None,
            **connection_kwargs(args),
        )
        emit(args, report.as_dict(), report.to_text())
        return EXIT_OK if report.ok else EXIT_PROBLEM

    return run_azure("check", body)
