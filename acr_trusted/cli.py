"""``acr-trusted``: one entry point that dispatches to a command module.

Each command lives in its own module exposing ``configure(parser)`` and ``run(args) -> int``,
so that the linter's command never imports the Azure SDK and vice versa. Exit codes: 0 ok,
1 a check found a problem, 2 usage, 3 an Azure error, 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Protocol

from acr_trusted import __version__


class Command(Protocol):
    def configure(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


# command name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "catalog": ("acr_trusted.commands.catalog", "print the trusted-service and role catalog"),
    "lint": (
        "acr_trusted.commands.lint",
        "lint Bicep, ARM and Terraform for registries that lock out trusted services",
    ),
    "status": ("acr_trusted.commands.status", "show a registry's network posture"),
    "enable": ("acr_trusted.commands.enable", "let trusted services bypass the network rules"),
    "disable": ("acr_trusted.commands.disable", "stop trusted services bypassing the rules"),
    "grant": ("acr_trusted.commands.grant", "give an identity pull or push on a registry"),
    "check": ("acr_trusted.commands.check", "diagnose whether a service can reach a registry"),
    "setup": (
        "acr_trusted.commands.setup",
        "set up a trusted-service workflow (acr-tasks, aci, ml, acr-import), idempotently",
    ),
    "verify": ("acr_trusted.commands.verify", "run an ACR task and prove the bypass works"),
    "demo": ("acr_trusted.commands.demo", "the worked example against an embedded LocalAzure"),
    "audit": (
        "acr_trusted.commands.audit",
        "audit every registry of subscriptions or a management group through Resource Graph",
    ),
}


def _load(name: str) -> Command:
    module: Command = importlib.import_module(COMMANDS[name][0])
    return module


def build_parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="acr-trusted",
        description="Make Azure Container Registry's trusted-services exception safe to use.",
    )
    parser.add_argument("--version", action="version", version=f"acr-trusted {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    wanted = next((a for a in argv if a in COMMANDS), None)
    for name, (_, help_text) in COMMANDS.items():
        command_parser = sub.add_parser(name, help=help_text, description=help_text)
        # Only the chosen command's module is imported: `acr-trusted lint` stays Azure-free.
        if name == wanted:
            _load(name).configure(command_parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(args_list)
    args = parser.parse_args(args_list)
    try:
        return _load(args.command).run(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
