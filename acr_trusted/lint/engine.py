"""The linter's driver: find the files, skip the irrelevant ones cheaply, load, check, filter.

Speed matters because the common pre-commit run touches files that have nothing to do with a
registry: every file is read once and tested with :func:`~acr_trusted.lint.scan.is_relevant`, and
only a match is handed to a loader. Loaders are imported on first use, so a run over
Terraform never imports the Bicep parser. A loader or rule that fails unexpectedly costs only
its own file an ACRT000 finding.

On a machine with two or more cores, a run with enough to parse is shared between forked
processes (see :mod:`acr_trusted.lint.processes`): each process loads the parsers its share
needs (those two shares need are loaded before forking), the shares cost about the same, and
two processes work each two neighbouring shares from either end, so that the faster takes more.
"""

from __future__ import annotations

import importlib
import os
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Protocol

from acr_trusted.lint import processes
from acr_trusted.lint.config import LintConfig, parse_suppressions, suppress
from acr_trusted.lint.findings import RULES, Finding
from acr_trusted.lint.model import FileModel, LoadContext, Span
from acr_trusted.lint.processes import Share
from acr_trusted.lint.scan import (
    BOM,
    LintResult,
    TextCache,
    discover,
    format_of,
)
from acr_trusted.records import evolve

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
        return module if module is not None else self.load(fmt)

    def load(self, fmt: str) -> Loader:
        """Import the loader of ``fmt`` (now, rather than at its first file)."""
        loaded: Loader = importlib.import_module(LOADER_MODULES[fmt])
        self._modules[fmt] = loaded
        return loaded

    def prepare(self, fmt: str) -> None:
        """Import the loader of ``fmt`` and load its parser (a loader's ``prepare``)."""
        prepare = getattr(self[fmt], "prepare", None)
        if prepare is not None:
            prepare()


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
    discovered: tuple[Mapping[str, Path], Sequence[str]] | None = None,
) -> LintResult:
    """Lint files and directories; findings only for the files given or found under them.

    ``loaders`` (format -> object with ``load``) and ``check`` replace the real loaders and
    ``acr_trusted.lint.rules.check``, for tests; formats not in ``loaders`` use the real module.
    ``read_text`` is a cache the caller already filled (the command line's pre-filter pass),
    and ``discovered`` what :func:`~acr_trusted.lint.scan.discover` gave it for ``paths``.
    """
    found, missing = discovered if discovered is not None else discover(paths)
    read_text = read_text or TextCache()
    linter = _Linter(found, config, read_text, loaders, check)
    # doubles for loaders or rules may record what they see: keep such runs in one process
    doubles = loaders is not None or check is not None
    shares = [list(found.items())] if doubles else processes.plan(found, read_text)
    if len(shares) > 1:
        linter.prepare(shares)
    findings = _lint_shares(linter, shares)
    ordered = sorted(
        set(findings),
        key=lambda f: (f.span.path, f.span.line, f.span.column, f.rule, f.resource, f.message),
    )
    return LintResult(len(found), tuple(ordered), dict(found), tuple(missing))


_Work = tuple[Callable[[], list[Finding]], Callable[[], Share]]
"""What one process lints, and what is left for this process to lint if a child doing it fails."""


def _lint_shares(linter: _Linter, shares: list[Share]) -> list[Finding]:
    """Lint ``shares``, the first in this process and each other in a forked child.

    Each two neighbouring shares are linted by their two processes from either end
    (:class:`~acr_trusted.lint.processes.TwoEnds`), so that a process on a faster core takes
    more; an odd last share is linted as planned. Files with nothing to parse stay here.
    """
    first, *others = shares
    cheap: Share = []
    parsed: Share = []
    for file in first:
        (parsed if linter.format_of(file[1]) is not None else cheap).append(file)
    shares = [parsed, *others]
    works: list[_Work] = []
    pairs: list[processes.TwoEnds] = []
    for index in range(0, len(shares), 2):
        pair = shares[index : index + 2]
        files = [file for share in pair for file in share]
        if len(pair) < 2 or len(files) > processes.MAX_TOKENS:
            works += [(partial(linter, share), partial(list, share)) for share in pair]
            continue
        ends = processes.TwoEnds(files)
        pairs.append(ends)
        works += [
            (partial(_lint_from, linter, ends, from_end), ends.take_left)
            for from_end in (False, True)
        ]
    try:
        (mine, _), *forked = works
        waiting = [(processes.fork(work), left) for work, left in forked]
        findings = mine() + linter(cheap)
        for wait, left in waiting:
            from_child = wait() if wait is not None else None
            findings.extend(from_child if from_child is not None else linter(left()))
    finally:
        for ends in pairs:
            ends.close()
    return findings


def _lint_from(linter: _Linter, ends: processes.TwoEnds, from_end: bool) -> list[Finding]:
    return linter(ends.take(from_end=from_end))


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

    def prepare(self, shares: Sequence[Share]) -> None:
        """Before forking: import the rules, and the loaders and parsers of formats more than
        one share parses, so that the children inherit them instead of loading them again."""
        importlib.import_module("acr_trusted.lint.rules")
        seen: Counter[str] = Counter()
        for share in shares:
            seen.update({fmt for _, file in share if (fmt := self.format_of(file)) is not None})
        for fmt, count in seen.items():
            if count > 1:
                self.modules.prepare(fmt)

    def format_of(self, file: Path) -> str | None:
        """The loader a file goes to, if it has anything to parse."""
        try:
            text = self.read_text(file)
        except (OSError, UnicodeDecodeError):
            return None
        return format_of(file, text) if self.read_text.relevant(file) else None

    def __call__(self, files: Iterable[tuple[str, Path]]) -> list[Finding]:
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
    if fmt is None or not read_text.relevant(file):
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
