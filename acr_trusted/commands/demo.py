"""``acr-trusted demo``: the trusted-services worked example against an embedded LocalAzure."""

from __future__ import annotations

import argparse

from acr_trusted.demo import DEMO_POLL_INTERVAL, scenario


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--poll-interval", type=float, default=DEMO_POLL_INTERVAL, help=argparse.SUPPRESS
    )


def run(args: argparse.Namespace) -> int:
    return 0 if scenario(poll_interval=args.poll_interval) else 1
