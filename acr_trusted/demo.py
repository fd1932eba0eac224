"""``make demo``: lint the sample IaC, then walk the trusted-services scenario on the emulator.

Each step runs only when its part of the package is present, so the demo grows with the project.
"""

from __future__ import annotations

import sys

from acr_trusted.commands.catalog import render_table


def main() -> int:
    print("== acr-trusted: the trusted-service catalog ==")
    print(render_table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
