"""``acr-trusted disable``: stop the bypass, warning about identities that may lose access."""

from __future__ import annotations

import argparse

from acr_trusted.commands.enable import configure, run_change

__all__ = ["configure", "run"]


def run(args: argparse.Namespace) -> int:
    return run_change("disable", args)
