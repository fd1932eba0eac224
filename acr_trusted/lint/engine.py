"""The linter's driver: find the files, skip the irrelevant ones cheaply, load, check, filter.

Speed matters because the common pre-commit run touches files that have nothing to do with a
registry: every file is read once and tested with :data:`RELEVANT`, and only a match is handed
to a loader. Loaders are imported on first use, so a run over Terraform never imports the Bicep
parser. A loader or rule that fails unexpectedly costs only its own file an ACRT000 finding.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Protocol

from attrs import evolve, field, frozen

from acr_trusted.lint.config import LintConfig, parse_suppressions, suppress
from acr_trusted.lint.findings import RULES, Finding
from acr_trusted.lint.model import FileModel, LoadContext, Span

BOM = b"\xef\xbb\xbf"
SKIPPED_DIRS = frozenset({".git", "node_modules"})
BICEP_SUFFIXES = (".bicep", ".bicepparam")
TERRAFORM_SUFFIXES = (".tf", ".tfvars", ".tf.json", ".tfvars.json")
HANDLED_SUFFIXES = (*BICEP_SUFFIXES, *TERRAFORM_SUFFIXES, ".json")

# The pre-filter. A file is parsed only if its text matches, case-insensitively:
# - a registry token: "registr" (Microsoft.ContainerRegistry/registries, container-registry/
#   registry modules, azurerm_container_registry*, imageRegistryCredentials, containerRegistry),
#   "azurecr" (login servers) or "acr" (acrUseManagedIdentityCreds, AcrPull, acr* symbols);
# - or a reference to another local file that may declare one: a Bicep module with a relative
#   path (`module x './acr.bicep'`), a .bicepparam `using '...'`, a Terraform `source = "./..."`
#   or `"../..."` (HCL or JSON), an ARM linked template's `relativePath`, or an ARM parameter
#   file (`deploymentParameters` schema), whose template is read by the loader.
# A false match only costs a parse; a miss would hide a finding, so the tokens are broad.
RELEVANT = re.compile(
    r"registr|azurecr|acr"
    r"|\bmodule\s+[A-Za-z_]\w*\s+'(?!br[:/]|ts[:/])"
    r"|\busing\s+'"
    r"|\bsource\"?\s*[=:]\s*\"\.\.?/"
    r"|relativePath|deploymentParameters",
    re.IGNORECASE,
)
# `terraform show -json` output: routed to the Terraform loader whatever the file is called.
_PLAN_JSON = re.compile(r'"format_version"[\s\S]*"(?:planned_values|resource_changes)"')


class Loader(Protocol):
    def load(self, path: Path, text: str, ctx: LoadContext) -> FileModel: ...


CheckFn = Callable[..., list[Finding]]
LOADER_MODULES: dict[str, str] = {
    "arm": "acr_trusted.lint.arm",
    "bicep": "acr_trusted.lint.bicep",
    "terraform": "acr_trusted.lint.terraform",
}


@frozen
class LintResult:
    """What one run found. ``sources`` maps each linted display path to the file on disk."""

    files_scanned: int
    findings: tuple[Finding, ...]
    sources: Mapping[str, Path] = field(factory=dict)
    missing: tuple[str, ...] = ()  # paths given that do not exist

    @property
    def active(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if not f.suppressed)


def format_of(path: Path, text: str) -> str | None:
    """Which loader reads ``path``: by suffix, and plan JSON by its content."""
    name = path.name.lower()
    if name.endswith(BICEP_SUFFIXES):
        return "bicep"
    if name.endswith(TERRAFORM_SUFFIXES):
        return "terraform"
    if name.endswith(".json"):
        return "terraform" if _PLAN_JSON.search(text[:4096]) else "arm"
    return None


def is_handled(path: Path) -> bool:
    return path.name.lower().endswith(HANDLED_SUFFIXES)


def _skipped(parent: str, name: str) -> bool:
    return name in SKIPPED_DIRS or (parent == ".terraform" and name == "providers")


def discover(paths: Sequence[Path]) -> tuple[dict[str, Path], list[str]]:
    """Display path -> file for every handled file; and the arguments that do not exist.

    A file argument is shown as given; a file found under a directory argument is shown
    relative to that directory's parent (``infra/main.bicep`` for ``infra``), except under
    ``.`` or the current directory, where it is shown relative to it (as ``ruff .`` does).
    Files are listed in a stable order and each is linted once.
    """
    found: dict[str, Path] = {}
    seen: set[Path] = set()
    missing: list[str] = []
    cwd = Path.cwd().resolve()

    def add(display: str, file: Path) -> None:
        key = file.resolve()
        if key not in seen:
            seen.add(key)
            found[display] = file

    for arg in paths:
        if arg.is_file():
            if is_handled(arg):
                add(str(arg), arg)
        elif arg.is_dir():
            base = arg.resolve()
            root = base if base == cwd else base.parent
            for file in _walk(arg):
                add(os.path.relpath(file.resolve(), root), file)
        else:
            missing.append(str(arg))
    return found, missing


def _walk(directory: Path) -> Iterator[Path]:
    for current, dirs, files in os.walk(directory):
        parent = os.path.basename(current)
        dirs[:] = sorted(d for d in dirs if not _skipped(parent, d))
        for name in sorted(files):
            if name.lower().endswith(HANDLED_SUFFIXES):
                yield Path(current, name)


class TextCache:
    """Reads each file once, decoded as UTF-8 (a BOM is dropped), newlines kept as written.

    Keeping ``\\r\\n`` matters: findings' offsets index this text and ``--fix`` writes it back.
    """

    def __init__(self) -> None:
        self._texts: dict[Path, str] = {}

    def __call__(self, path: Path) -> str:
        key = path.resolve()
        text = self._texts.get(key)
        if text is None:
            text = key.read_bytes().decode("utf-8-sig")
            self._texts[key] = text
        return text


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
    by_file = {file.resolve(): display for display, file in found.items()}

    def display(path: Path) -> str:
        resolved = path.resolve()
        known = by_file.get(resolved)
        if known is not None:
            return known
        try:
            return resolved.relative_to(cwd).as_posix()
        except ValueError:
            return str(path)

    return display


def lint(
    paths: Sequence[Path],
    *,
    config: LintConfig,
    loaders: Mapping[str, Loader] | None = None,
    check: CheckFn | None = None,
) -> LintResult:
    """Lint files and directories; findings only for the files given or found under them.

    ``loaders`` (format -> object with ``load``) and ``check`` replace the real loaders and
    ``acr_trusted.lint.rules.check``, for tests; formats not in ``loaders`` use the real module.
    """
    found, missing = discover(paths)
    read_text = TextCache()
    ctx = LoadContext(
        read_text=read_text,
        display_path=_display_path_for(found, Path.cwd().resolve()),
        param_files=config.param_files,
    )
    modules = _Loaders(loaders)
    run_rules = check or _default_check
    findings: list[Finding] = []
    for display, file in found.items():
        findings.extend(_lint_file(display, file, read_text, ctx, modules, run_rules, config))
    ordered = sorted(
        set(findings),
        key=lambda f: (f.span.path, f.span.line, f.span.column, f.rule, f.resource, f.message),
    )
    return LintResult(len(found), tuple(ordered), dict(found), tuple(missing))


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
