"""``acr-trusted lint``: the same linter as ``acr-trusted-lint``, same options and exit codes."""

from __future__ import annotations

from acr_trusted.lint.cli import configure, run

__all__ = ["configure", "run"]
