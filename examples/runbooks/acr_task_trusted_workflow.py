"""Runbook: the trusted-services worked example for an ACR task, then prove the bypass.

Against Azure (DefaultAzureCredential; needs Owner or Contributor + RBAC Administrator):
    python acr_task_trusted_workflow.py --registry <registry resource ID> --task <task> [--prove]
Offline, against LocalAzure seeded with a private registry and a task:
    python acr_task_trusted_workflow.py --local [--prove]

One call sets the task up (system identity, --auth-mode None, a [system] credential, the role,
trusted access including networkRuleBypassAllowedForTasks); safe to re-run. Then a run of the
task is scheduled and waited for. --prove also runs the document's experiment and restores
every setting it changed. Exit 0 when the run (and the proof) went as expected.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import acr_trusted


def workflow(registry: str, task: str, *, prove: bool, poll_interval: float, **azure: Any) -> int:
    setup = acr_trusted.setup_task_access(registry, task, **azure)
    print(f"setup of task {task}:")
    print(setup.to_text())
    if not setup.ok:
        return 3
    result = acr_trusted.verify_task_bypass(
        registry,
        task,
        prove=prove,
        poll_interval=poll_interval,
        progress=lambda line: print(f"  {line}"),
        **azure,
    )
    print(f"run succeeded: {result.succeeded}")
    if result.proved is not None:
        print(f"bypass proved: {result.proved}")
    return 0 if result.succeeded and result.proved is not False else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--registry", help="registry resource ID (it hosts the task)")
    where.add_argument("--local", action="store_true", help="run against LocalAzure")
    parser.add_argument("--task", default="hello", help="the ACR task (default: hello)")
    parser.add_argument("--prove", action="store_true", help="run the document's experiment")
    args = parser.parse_args(argv)
    try:
        if not args.local:
            return workflow(args.registry, args.task, prove=args.prove, poll_interval=5.0)
        from acr_trusted.testing import LocalAzure

        with LocalAzure() as az:
            ref = az.add_registry("contoso", public_network_access="Disabled")
            az.add_task(ref, args.task, identity=None)
            return workflow(ref.id, args.task, prove=args.prove, poll_interval=0.05, **az.kwargs)
    except (acr_trusted.AcrTrustedError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3 if isinstance(exc, acr_trusted.AcrTrustedError) else 2


if __name__ == "__main__":
    sys.exit(main())
