"""The linter's driver: find the files, skip the irrelevant ones cheaply, load, check, filter.

Speed matters because the common pre-commit run touches files that have nothing to do with a
registry: every file is read once and tested with :data:`~acr_trusted.lint.scan.RELEVANT`, and
only a match is handed to a loader. Loaders are imported on first use, so a run over
Terraform never imports the Bicep parser. A loader or rule that fails unexpectedly costs only
its own file an ACRT000 finding.

On a machine with two or more cores, a run with enough to parse is shared between forked
processes (see :mod:`acr_trusted.lint.workload` for how the files are split): each process
loads only the parsers its share needs, and the shares cost about the same.
"""

from __future__ import annotations

import importlib
import os
import pickle
import threading
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from attrs import evolve

from acr_trusted.lint.config import LintConfig, parse_suppressions, suppress
from acr_trusted.lint.findings import RULES, Finding
from acr_trusted.lint.model import FileModel, LoadContext, Span
from acr_trusted.lint.scan import (
    BOM,
    RELEVANT,
    LintResult,
    TextCache,
    discover,
    format_of,
    parameter_file_templates,
)

if TYPE_CHECKING:
    from acr_trusted.lint.workload import Job

__all__ = ["LintResult", "lint"]


class Loader(Protocol):
    def load(self, path: Path, text: str, ctx: LoadContext) -> FileModel: ...


CheckFn = Callable[..., list[Finding]]
MAX_PROCESSES = 4
"""Shares beyond this many cost more in forking and loading parsers than they save."""
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
) -> LintResult:
    """Lint files and directories; findings only for the files given or found under them.

    ``loaders`` (format -> object with ``load``) and ``check`` replace the real loaders and
    ``acr_trusted.lint.rules.check``, for tests; formats not in ``loaders`` use the real module.
    ``read_text`` is a cache the caller already filled (the command line's pre-filter pass).
    """
    found, missing = discover(paths)
    read_text = read_text or TextCache()
    ctx = LoadContext(
        read_text=read_text,
        display_path=_display_path_for(found, Path.cwd()),
        param_files=config.param_files,
    )
    modules = _Loaders(loaders)
    run_rules = check or _default_check

    def lint_files(files: Sequence[tuple[str, Path]]) -> list[Finding]:
        out: list[Finding] = []
        for display, file in files:
            out.extend(_lint_file(display, file, read_text, ctx, modules, run_rules, config))
        return out

    # doubles for loaders or rules may record what they see: keep such runs in one process
    shares = _shares(found, read_text) if loaders is None and check is None else []
    here = shares[0] if shares else list(found.items())
    waiting = [(_forked(partial(lint_files, share)), share) for share in shares[1:]]
    findings = lint_files(here)
    for wait, share in waiting:
        from_child = wait() if wait is not None else None
        findings.extend(from_child if from_child is not None else lint_files(share))
    ordered = sorted(
        set(findings),
        key=lambda f: (f.span.path, f.span.line, f.span.column, f.rule, f.resource, f.message),
    )
    return LintResult(len(found), tuple(ordered), dict(found), tuple(missing))


def _shares(found: Mapping[str, Path], read_text: TextCache) -> list[list[tuple[str, Path]]]:
    """The files in shares, one per process; the first share is this process's.

    Files with nothing to parse (and those that cannot be read, which :func:`_lint_file`
    reports) stay here. One share when there is one core or not enough work for two.
    """
    from acr_trusted.lint.workload import split

    here: list[tuple[str, Path]] = []
    jobs: list[Job] = []
    for display, file in found.items():
        try:
            text = read_text(file)
        except (OSError, UnicodeDecodeError):
            here.append((display, file))
            continue
        fmt = format_of(file, text)
        if fmt is None or RELEVANT.search(text) is None:
            here.append((display, file))
        else:
            jobs.append(_job(display, file, fmt, text))
    parts = split(jobs, min(_cores(), MAX_PROCESSES))
    if len(parts) < 2:
        return [list(found.items())]
    # what every share needs is loaded once, before the children are forked
    importlib.import_module("acr_trusted.lint.rules")
    first, *others = ([(job.display, job.path) for job in part] for part in parts)
    return [here + first, *others]


def _job(display: str, file: Path, fmt: str, text: str) -> Job:
    """What linting ``file`` reads: itself, and the templates it evaluates.

    An ARM parameter file is its template evaluated, in the template's format; a Bicep file
    evaluates each local module it calls; a ``.bicepparam`` file the template it is for.
    """
    from acr_trusted.lint.workload import Job, bicep_references

    itself = ((file, len(text)),)
    if fmt == "arm" and "deploymentParameters" in text:
        for template in parameter_file_templates(file):
            found = _size(template)
            if template.suffix.lower() in (".bicep", ".json") and found is not None:
                fmt = "bicep" if template.suffix.lower() == ".bicep" else "arm"
                return Job(display, file, fmt, (*itself, (template, found)), template)
    elif fmt == "bicep":
        modules, using = bicep_references(text)
        read = [_read(file.parent / module) for module in modules]
        if using is not None:
            template, size = _read(file.parent / using)
            return Job(display, file, fmt, (*itself, (template, size), *read), template)
        return Job(display, file, fmt, (*itself, *read))
    return Job(display, file, fmt, itself)


def _read(path: Path) -> tuple[Path, int]:
    """``path`` (with ``..`` folded, so that two routes to it are one file) and its size."""
    path = Path(os.path.normpath(path))
    return path, _size(path) or 0


def _size(path: Path) -> int | None:
    """The size of the file at ``path``; ``None`` when there is no such file."""
    try:
        return os.stat(path).st_size if os.path.isfile(path) else None
    except (OSError, ValueError):
        return None


def _cores() -> int:
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else os.cpu_count() or 1


def _forked(work: Callable[[], list[Finding]]) -> Callable[[], list[Finding] | None] | None:
    """Run ``work`` in a forked child; the function returned waits for its findings.

    ``None`` where processes cannot fork or other threads run; the waiting function gives
    ``None`` if the child failed, and the caller does the work itself. The findings come back
    pickled through a pipe only this process and its child hold.
    """
    fork = getattr(os, "fork", None)
    # Forking a process that runs other threads can copy a lock another thread holds (and
    # Python 3.12 warns about it): only the single-threaded command line forks.
    if fork is None or threading.active_count() > 1:
        return None
    try:
        read_end, write_end = os.pipe()
        pid = fork()
    except OSError:
        return None
    if pid == 0:  # the child: never returns into the caller's code
        status = 1
        try:
            os.close(read_end)
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(pickle.dumps(work()))
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)

    def wait() -> list[Finding] | None:
        with os.fdopen(read_end, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(pid, 0)
        if status != 0 or not data:
            return None
        findings: list[Finding] = pickle.loads(data)
        return findings

    return wait


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
