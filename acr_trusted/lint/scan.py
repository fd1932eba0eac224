"""Which files to lint, and which of them are worth parsing: the cheap first pass.

This module imports nothing but the standard library (``typing`` is already loaded by the
package), because for the most common pre-commit run -- a commit that touches no registry --
it is all the linter runs: the command line reads each file once, tests it with
:func:`is_relevant` and exits without importing the model, the rules or any parser.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from acr_trusted.lint.findings import Finding

BOM = b"\xef\xbb\xbf"
SKIPPED_DIRS = frozenset({".git", "node_modules"})
BICEP_SUFFIXES = (".bicep", ".bicepparam")
TERRAFORM_SUFFIXES = (".tf", ".tfvars", ".tf.json", ".tfvars.json")
HANDLED_SUFFIXES = (*BICEP_SUFFIXES, *TERRAFORM_SUFFIXES, ".json")

# The pre-filter. A file is parsed only if its text has, in any case:
# - a registry token: "registr" (Microsoft.ContainerRegistry/registries, container-registry/
#   registry modules, azurerm_container_registry*, imageRegistryCredentials, containerRegistry),
#   "azurecr" (login servers) or "acr" (acrUseManagedIdentityCreds, AcrPull, acr* symbols);
# - or a reference to another local file that may declare one: a Bicep module with a relative
#   path (`module x './acr.bicep'`), a .bicepparam `using '...'`, a Terraform `source = "./..."`
#   or `"../..."` (HCL or JSON), an ARM linked template (`templateLink`, by `relativePath` or a
#   `uri` naming a file beside it), or an ARM parameter file (`deploymentParameters` schema),
#   whose template is read by the loader.
# A false match only costs a parse; a miss would hide a finding, so the tokens are broad.
# The text is lowered once and searched for plain words, the references' patterns tried only
# where their keyword starts a word: one case-insensitive regular expression of all of it
# took 80 us a file, most of a 10,000-file run.
_TOKENS = ("registr", "azurecr", "acr", "templatelink", "deploymentparameters")
_REFERENCES = (
    ("module", re.compile(r"module\s+[a-z_]\w*\s+'(?!br[:/]|ts[:/])")),
    ("using", re.compile(r"using\s+'")),
    ("source", re.compile(r"source\"?\s*[=:]\s*\"\.\.?/")),
)


def is_relevant(text: str) -> bool:
    """Whether ``text`` passes the pre-filter (see above)."""
    lowered = text.lower()
    return any(token in lowered for token in _TOKENS) or _refers(lowered)


def _refers(lowered: str) -> bool:
    for word, pattern in _REFERENCES:
        at = lowered.find(word)
        while at >= 0:
            before = lowered[at - 1] if at else " "
            if not (before.isalnum() or before == "_") and pattern.match(lowered, at):
                return True
            at = lowered.find(word, at + 1)
    return False


# `terraform show -json` output: routed to the Terraform loader whatever the file is called.
_PLAN_JSON = re.compile(r'"format_version"[\s\S]*"(?:planned_values|resource_changes)"')


TEMPLATE_BESIDE_TESTS = (
    "deploy.bicep",
    "main.bicep",
    "main.json",
    "azuredeploy.json",
    "deploy.json",
)


_PARAMETER_FILE_NAME = re.compile(r"(.+)\.parameters(?:\.[^.]+)?\.json$", re.IGNORECASE)


def parameter_file_templates(path: Path, named: str | None = None) -> list[Path]:
    """Where the template of the ARM parameter file ``path`` may be, most specific first.

    The template its metadata names (``named``); ``<name>.json`` / ``<name>.bicep`` beside
    ``<name>.parameters.json`` or ``<name>.parameters.<environment>.json`` (the quickstarts'
    ``azuredeploy.parameters.us.json``, ``main.parameters.prod.json``); the usual template
    names beside a ``.test`` / ``tests`` folder the file is in (the Azure Resource Modules
    layout).
    """
    found: list[Path] = []
    if named:
        found.append(path.parent / named)
    conventional = _PARAMETER_FILE_NAME.match(path.name)
    if conventional:
        stem = conventional.group(1)
        found += [path.with_name(f"{stem}.json"), path.with_name(f"{stem}.bicep")]
    for folder in path.parents:
        if folder.name.lower() in (".test", "tests"):
            found += [folder.parent / name for name in TEMPLATE_BESIDE_TESTS]
    return found


class LintResult(NamedTuple):
    """What one run found. ``sources`` maps each linted display path to the file on disk.

    A ``NamedTuple``, so that a run with nothing to parse imports no module for it (see the
    module docstring).
    """

    files_scanned: int
    findings: tuple[Finding, ...]
    sources: Mapping[str, Path] = {}
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
    seen: set[str] = set()
    missing: list[str] = []
    cwd = os.getcwd()

    def add(display: str, file: Path) -> None:
        # lexical, not resolve(): a syscall per path component is the cost of a 10,000-file run
        key = os.path.abspath(file)
        if key not in seen:
            seen.add(key)
            found[display] = file

    for arg in paths:
        if arg.is_file():
            if is_handled(arg):
                add(str(arg), arg)
        elif arg.is_dir():
            base = os.path.abspath(arg)
            prefix = "" if base == cwd else os.path.basename(base)
            for relative, file in _walk(arg):
                add(os.path.join(prefix, relative), file)
        else:
            missing.append(str(arg))
    return found, missing


def _walk(directory: Path) -> Iterator[tuple[str, Path]]:
    """(path relative to ``directory``, file) for each handled file, in a stable order."""
    top = str(directory)
    for current, dirs, files in os.walk(top):
        parent = os.path.basename(current)
        dirs[:] = sorted(d for d in dirs if not _skipped(parent, d))
        here = os.path.relpath(current, top)
        for name in sorted(files):
            if name.lower().endswith(HANDLED_SUFFIXES):
                yield os.path.normpath(os.path.join(here, name)), Path(current, name)


class TextCache:
    """Reads each file once, decoded as UTF-8 (a BOM is dropped), newlines kept as written.

    Keeping ``\\r\\n`` matters: findings' offsets index this text and ``--fix`` writes it back.
    """

    def __init__(self) -> None:
        self._texts: dict[str, str] = {}
        self._relevant: dict[str, bool] = {}

    def __call__(self, path: Path) -> str:
        given = os.fspath(path)
        text = self._texts.get(given)
        if text is None:
            key = os.path.abspath(given)
            text = self._texts.get(key)
            if text is None:
                with open(key, "rb") as handle:
                    text = handle.read().decode("utf-8-sig")
                self._texts[key] = text
            self._texts[given] = text
        return text

    def relevant(self, path: Path) -> bool:
        """Whether the file passes the pre-filter (:func:`is_relevant`), found once per file."""
        key = os.fspath(path)
        found = self._relevant.get(key)
        if found is None:
            found = self._relevant[key] = is_relevant(self(path))
        return found


PYPROJECT = "pyproject.toml"
DOTFILE = ".acr-trusted.toml"
# a [tool.acr-trusted...] table, or a tool.acr-trusted... / (under [tool]) acr-trusted... dotted
# key, quoted or not; a project that merely depends on acr-trusted does not count
_OUR_TOML_SECTION = re.compile(
    r"""(?m)^\s*(?:\[?\s*tool\s*\.\s*["']?acr-trusted\b|["']?acr-trusted["']?\s*\.)"""
)


def config_file_near(start: Path) -> Path | None:
    """The nearest ``.acr-trusted.toml``, or ``pyproject.toml`` with a ``[tool.acr-trusted]``.

    In each directory from ``start`` up, the dotfile wins over pyproject.toml; a pyproject
    without a ``tool.acr-trusted`` table is passed over. The walk stops at a directory holding
    ``.git``, so a checkout never picks up settings from whatever lies above it.
    """
    directory = start if start.is_dir() else start.parent
    for candidate in (directory.absolute(), *directory.absolute().parents):
        dotfile = candidate / DOTFILE
        if dotfile.is_file():
            return dotfile
        pyproject = candidate / PYPROJECT
        if pyproject.is_file() and _OUR_TOML_SECTION.search(_read_or_empty(pyproject)):
            return pyproject
        if (candidate / ".git").exists():
            break
    return None


def _read_or_empty(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def nothing_to_parse(found: Mapping[str, Path], read_text: TextCache) -> bool:
    """No file needs a loader: each one decodes and fails the pre-filter."""
    for file in found.values():
        try:
            text = read_text(file)
        except (OSError, UnicodeDecodeError):
            return False  # reported as ACRT000 by the engine
        if format_of(file, text) is not None and read_text.relevant(file):
            return False
    return True
