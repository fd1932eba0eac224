"""``acr-trusted verify --task NAME [--prove]``: run an ACR task and show whether it got through.

Exit 0 when the run succeeded (and, with ``--prove``, the run with the bypass off failed),
1 when it did not, 3 on an Azure error. Progress is printed while the runs are waited on.
"""

from __future__ import annotations

import argparse
import sys

from acr_trusted.commands._azure import (
    EXIT_OK,
    EXIT_PROBLEM,
    add_azure_arguments,
    connection_kwargs,
    emit,
    registry_ref,
    run_azure,
)


def configure(parser: argparse.ArgumentParser) -> None:
    add_azure_arguments(parser)
    parser.add_argument("--task", required=True, help="the task to run (in --registry)")
    parser.add_argument(
        "--prove",
        action="store_true",
        help="the document's experiment: run, turn the bypass off, run again, then restore",
    )
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds to wait per run")
    parser.add_argument("--poll-interval", type=float, default=5.0, help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    def body() -> int:
        from acr_trusted.azure.workflows import verify_task_bypass

        ref = registry_ref(args)
        result = verify_task_bypass(
            ref,
            args.task,
            prove=args.prove,
            timeout=args.timeout,
            poll_interval=args.poll_interval,
            progress=lambda line: print(line, file=sys.stderr, flush=True),
            **connection_kwargs(args),
        )
        data = {
            "succeeded": result.succeeded,
            "proved": result.proved,
            "runIds": list(result.run_ids),
            "logExcerpt": result.log_excerpt,
            "restored": list(result.restored),
        }
        verdict = "succeeded" if result.succeeded else "failed"
        lines = [f"{ref.id}: task {args.task}: run {verdict}"]
        if result.proved is not None:
            lines.append(f"  bypass proved: {'yes' if result.proved else 'no'}")
        lines += [f"  {line}" for line in result.log_excerpt.splitlines()]
        lines += [f"  restored {line}" for line in result.restored]
        emit(args, data, "\n".join(lines))
        ok = result.succeeded and result.proved is not False
        return EXIT_OK if ok else EXIT_PROBLEM

    return run_azure("verify", body)
