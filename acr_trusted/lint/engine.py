"""The linter's driver: find the files, skip the irrelevant ones cheaply, load, check, filter.

Speed matters because the common pre-commit run touches files that have nothing to do with a
registry: every file is read once and tested with :data:`~acr_trusted.lint.scan.RELEVANT`, and
only a match is handed to a loader. Loaders are imported on first use, so a run over
Terraform never imports the Bicep parser. A loader or rule that fails unexpectedly costs only
its own file an ACRT000 finding.

On a machine with two or more cores, a run with enough to parse is shared between forked
processes (see :mod:`acr_trusted.lint.processes`): each process loads only the parsers its
share needs, and the shares cost about the same.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Protocol

from attrs import evolve

from acr_trusted.lint.config import LintConfig, parse_suppressions, suppress
from acr_trusted.lint.findings import RULES, Finding
from acr_trusted.lint.model import FileModel, LoadContext, Span
from acr_trusted.lint.processes import Share, Started, alone, start
from acr_trusted.lint.scan import (
    BOM,
    RELEVANT,
    LintResult,
    TextCache,
    discover,
    format_of,
)

__all__ = ["LintResult", "lint"]


class Loader(Protocol):
    def load(self, path: Path, text: str, ctx: LoadContext) -> FileModel: ...


CheckFn = Callable[..., list[Finding]]
LOADER_MODULES: dict[str, str] = {
    "arm": "acr_trusted.lint.arm",
    "bicep": "acr_trusted.lint.bicep",
    "terraform": "acr_trusted.lint.terraform",
}


def _parse_error(display: str, reason: str, line: int = 1, column: int = 1) -> Finding:
    return Finding(
        "ACRT000",
        RULES["ACRT000"].severity,
        Span.point(display, line, column),
        f"cannot parse {display}:{line}:{column}: {reason}",
    )


def _decode_error(display: str, raw: bytes) -> Finding:
    """ACRT000 at the first byte that is not UTF-8."""
    body = raw.removeprefix(BOM)
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = body[: exc.start].decode("utf-8").rsplit("\n", 1)
        line, column = len(before), len(before[-1]) + 1
        reason = f"not valid UTF-8 (byte 0x{body[exc.start]:02x}: {exc.reason})"
        return _parse_error(display, reason, line, column)
    return _parse_error(display, "not valid UTF-8")


def _errors_as_findings(model: FileModel, findings: list[Finding]) -> list[Finding]:
    """ACRT000 for each parse error the rules did not already report."""
    reported = {(f.span.line, f.span.column) for f in findings if f.rule == "ACRT000"}
    return [
        _parse_error(e.span.path, e.reason, e.span.line, e.span.column)
        for e in model.errors
        if (e.span.line, e.span.column) not in reported
    ]


class _Loaders:
    """Loader modules, imported the first time a file of their format is seen."""

    def __init__(self, given: Mapping[str, Loader] | None) -> None:
        self._modules: dict[str, Loader] = dict(given or {})

    def __getitem__(self, fmt: str) -> Loader:
        module = self._modules.get(fmt)
        if module is None:
            loaded: Loader = importlib.import_module(LOADER_MODULES[fmt])
            module = self._modules[fmt] = loaded
        return module


class _Rules(Protocol):
    def check(self, model: FileModel, *, strict: bool = False) -> list[Finding]: ...


def _default_check(model: FileModel, *, strict: bool = False) -> list[Finding]:
    rules: _Rules = importlib.import_module("acr_trusted.lint.rules")
    return rules.check(model, strict=strict)


def _display_path_for(found: Mapping[str, Path], cwd: Path) -> Callable[[Path], str]:
    by_file = {os.path.abspath(file): display for display, file in found.items()}

    def display(path: Path) -> str:
        absolute = os.path.abspath(path)
        known = by_file.get(absolute)
        if known is not None:
            return known
        try:
            return Path(absolute).relative_to(cwd).as_posix()
        except ValueError:
            return str(path)

    return display


def lint(
    paths: Sequence[Path],
    *,
    config: LintConfig,
    loaders: Mapping[str, Loader] | None = None,
    check: CheckFn | None = None,
    read_text: TextCache | None = None,
    started: Started | None = None,
) -> LintResult:
    """Lint files and directories; findings only for the files given or found under them.

    ``loaders`` (format -> object with ``load``) and ``check`` replace the real loaders and
    ``acr_trusted.lint.rules.check``, for tests; formats not in ``loaders`` use the real module.
    ``read_text`` is a cache the caller already filled (the command line's pre-filter pass),
    and ``started`` the children it already forked (:func:`acr_trusted.lint.processes.start`)
    for the files of ``paths``.
    """
    read_text = read_text or TextCache()
    # doubles for loaders or rules may record what they see: keep such runs in one process
    doubles = loaders is not None or check is not None
    if started is None:
        found, missing = discover(paths)
        linter = _Linter(found, config, read_text, loaders, check)
        started = alone(found, missing) if doubles else start(found, missing, read_text, linter)
    else:
        linter = _Linter(started.found, config, read_text, loaders, check)
        if doubles:  # the children lint with the real loaders: reap them, lint everything here
            for _, wait in started.children:
                if wait is not None:
                    wait()
            started = alone(started.found, started.missing)
    findings = linter(started.here)
    for share, wait in started.children:
        from_child = wait() if wait is not None else None
        findings.extend(from_child if from_child is not None else linter(share))
    ordered = sorted(
        set(findings),
        key=lambda f: (f.span.path, f.span.line, f.span.column, f.rule, f.resource, f.message),
    )
    return LintResult(
        len(started.found), tuple(ordered), dict(started.found), tuple(started.missing)
    )


def lint_share(
    found: Mapping[str, Path], share: Share, config: LintConfig, read_text: TextCache
) -> list[Finding]:
    """The findings of the files ``share`` of a run over ``found``, in a forked child."""
    return _Linter(found, config, read_text)(share)


class _Linter:
    """Lints files of a run: what every file shares (paths as shown, loaders, rules)."""

    def __init__(
        self,
        found: Mapping[str, Path],
        config: LintConfig,
        read_text: TextCache,
        loaders: Mapping[str, Loader] | None = None,
        check: CheckFn | None = None,
    ) -> None:
        self.config = config
        self.read_text = read_text
        self.ctx = LoadContext(
            read_text=read_text,
            display_path=_display_path_for(found, Path.cwd()),
            param_files=config.param_files,
        )
        self.modules = _Loaders(loaders)
        self.run_rules = check or _default_check

    def __call__(self, files: Sequence[tuple[str, Path]]) -> list[Finding]:
        out: list[Finding] = []
        for display, file in files:
            out.extend(
                _lint_file(
                    display,
                    file,
                    self.read_text,
                    self.ctx,
                    self.modules,
                    self.run_rules,
                    self.config,
                )
            )
        return out


def _lint_file(
    display: str,
    file: Path,
    read_text: TextCache,
    ctx: LoadContext,
    modules: _Loaders,
    run_rules: CheckFn,
    config: LintConfig,
) -> list[Finding]:
    try:
        text = read_text(file)
    except UnicodeDecodeError:
        return [_decode_error(display, file.read_bytes())]
    except OSError as exc:
        return [_parse_error(display, f"cannot read: {exc.strerror or exc}")]
    fmt = format_of(file, text)
    if fmt is None or not RELEVANT.search(text):
        return []
    try:
        model = modules[fmt].load(file, text, ctx)
        raw = list(run_rules(model, strict=config.wants_undetermined))
    except Exception as exc:  # a bug in one loader or rule must not stop the other files
        return [_parse_error(display, f"internal error in the {fmt} linter: {_describe(exc)}")]
    raw += _errors_as_findings(model, raw)
    return _filter(display, model, text, raw, config)


def _describe(exc: BaseException) -> str:
    message = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _filter(
    display: str,
    model: FileModel,
    text: str,
    raw: list[Finding],
    config: LintConfig,
) -> list[Finding]:
    """Keep this file's enabled findings, with configured severities and suppressions."""
    ignores: dict[str, dict[str, str]] = {}
    for symbol, suppressed in [
        *((r.symbol, r.suppressed) for r in model.registries),
        *((c.symbol, c.suppressed) for c in model.consumers),
    ]:
        if suppressed:
            ignores.setdefault(symbol, {}).update(suppressed)
    comments = parse_suppressions(text)
    kept = []
    for finding in raw:
        if finding.span.path != display or not config.enabled(finding.rule):
            continue
        finding = evolve(finding, severity=config.severity_of(finding))
        kept.append(suppress(finding, comments, ignores.get(finding.resource)))
    return kept
