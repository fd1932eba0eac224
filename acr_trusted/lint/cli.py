"""``acr-trusted-lint``: the pre-commit entry point (also ``acr-trusted lint``).

Exit codes: 0 nothing at or above the fail level (default ``error``); 1 findings at or above it,
or ``--fix`` changed a file; 2 a usage or configuration error, or a path that does not exist
(the other paths are still linted and reported).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from acr_trusted import __version__
from acr_trusted.lint.report import FORMATS, SEVERITIES, render, summary
from acr_trusted.lint.scan import (
    LintResult,
    TextCache,
    config_file_near,
    discover,
    nothing_to_parse,
)

if TYPE_CHECKING:
    from acr_trusted.lint.config import LintConfig

PROG = "acr-trusted-lint"
EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def _rule_ids(text: str) -> frozenset[str]:
    from acr_trusted.lint.config import ConfigError, parse_rule_list

    try:
        return parse_rule_list(text, "rule list")
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("rule list: ")) from None


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files or directories")
    parser.add_argument("--format", choices=FORMATS, default="text", help="output format")
    parser.add_argument(
        "--select",
        type=_rule_ids,
        action="append",
        metavar="IDS",
        help="comma-separated rule IDs to run instead of the default set",
    )
    parser.add_argument(
        "--ignore",
        type=_rule_ids,
        action="append",
        default=[],
        metavar="IDS",
        help="comma-separated rule IDs to skip",
    )
    parser.add_argument(
        "--param-file",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="a .bicepparam, ARM parameter file or .tfvars whose values to use (repeatable)",
    )
    parser.add_argument(
        "--strict", action="store_true", help="report undetermined values (ACRT099) as warnings"
    )
    parser.add_argument(
        "--fix",
        action="store_true",
        help="rewrite literal None -> AzureServices (ACRT001) and false -> true (ACRT002)",
    )
    parser.add_argument(
        "--fail-level",
        choices=SEVERITIES[::-1],
        help="lowest severity that fails the run (default: error, or the config file's)",
    )
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="a pyproject.toml or .acr-trusted.toml to use instead of the nearest one",
    )


def _config(args: argparse.Namespace) -> LintConfig:
    from acr_trusted.lint.config import ConfigError, find_config, load_config_file
    from acr_trusted.lint.findings import Severity

    base = load_config_file(args.config) if args.config else find_config(args.paths[0])
    config = base.with_overrides(
        select=frozenset().union(*args.select) if args.select else None,
        ignore=frozenset().union(*args.ignore),
        fail_level=Severity(args.fail_level) if args.fail_level else None,
        param_files=args.param_file,
        strict=args.strict,
    )
    missing = [str(p) for p in config.param_files if not p.is_file()]
    if missing:
        raise ConfigError(f"parameter file not found: {', '.join(missing)}")
    return config


def _error(message: str) -> None:
    print(f"{PROG}: error: {message}", file=sys.stderr)


def _exit_code(result: LintResult, config: LintConfig, *, changed: bool) -> int:
    if result.missing:
        return EXIT_USAGE
    if changed or any(config.fails(f) for f in result.findings):
        return EXIT_FINDINGS
    return EXIT_OK


def _nothing_to_lint(
    args: argparse.Namespace,
    found: Mapping[str, Path],
    missing: Sequence[str],
    read_text: TextCache,
) -> bool:
    """Whether the run is clean without importing the linter.

    True only when every path exists, no configuration or parameter file could change the
    outcome, and no file passes the pre-filter: then there is nothing to report.
    """
    if missing or args.config or args.param_file or config_file_near(args.paths[0]) is not None:
        return False
    return nothing_to_parse(found, read_text)


@contextmanager
def _few_collections() -> Iterator[None]:
    """A lint run builds many objects that live to its end (parse trees) and little cyclic
    garbage: while it runs, the collector runs rarely and skips what was imported before it
    (forked children inherit both). About a tenth of a run's time; restored afterwards."""
    threshold = gc.get_threshold()
    gc.set_threshold(10_000, 20, 20)
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


def _report(result: LintResult, fmt: str) -> None:
    sys.stdout.write(render(result, fmt))
    if fmt in ("text", "github"):
        print(summary(result), file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    read_text = TextCache()
    found, missing = discover(args.paths)
    if _nothing_to_lint(args, found, missing, read_text):
        _report(LintResult(len(found), (), found), args.format)
        return EXIT_OK
    from acr_trusted.lint.config import ConfigError
    from acr_trusted.lint.engine import lint

    try:
        config = _config(args)
    except ConfigError as exc:
        _error(str(exc))
        return EXIT_USAGE
    with _few_collections():
        result = lint(args.paths, config=config, read_text=read_text, discovered=(found, missing))
    for path in result.missing:
        _error(f"{path}: no such file or directory")
    changed = False
    if args.fix:
        from acr_trusted.lint import fix

        fixes = fix.apply_fixes(result.findings, result.sources)
        for line in fix.describe(fixes):
            print(line, file=sys.stderr)
        if fixes.changed:
            changed = True
            result = lint(args.paths, config=config)
    _report(result, args.format)
    return _exit_code(result, config, changed=changed)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Find Azure Container Registries whose network rules lock out the trusted "
        "services, tasks and roles their consumers need (Bicep, ARM and Terraform).",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    configure(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
    except BrokenPipeError:
        return EXIT_OK


def entry() -> NoReturn:
    """The ``acr-trusted-lint`` console script: :func:`main`, then leave at once.

    A run ends with its parse trees alive, and letting the interpreter free them object by
    object took a sixth of a run over the corpus (about 65 ms): the output is flushed and the
    process exits with ``os._exit``. Nothing is left to do by then (``--fix`` has written its
    files), and the library's :func:`main` returns as usual.
    """
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):  # a reader that went away; a closed stream
        pass
    os._exit(code)


if __name__ == "__main__":
    entry()
