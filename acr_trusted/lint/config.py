"""What the user asked the linter to do: config files, command-line overrides, suppressions.

Configuration lives in ``[tool.acr-trusted.lint]`` of the nearest ``pyproject.toml`` or in an
``.acr-trusted.toml`` (top-level keys, or a ``[lint]`` table), found by walking up from the first
linted path and stopping at the repository root. A typo in a key must not silently switch a rule
off, so unknown keys and unknown rule IDs are a :class:`ConfigError` (exit 2).

Suppressions are comments ``acr-trusted: ignore[ACRT001,ACRT005] <reason>`` on the finding's line
or the line above. A reason is required: a suppression without one does not suppress, and the
finding says why, so an unexplained exception never slips through review.
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from acr_trusted.lint.findings import RULES, Finding, Severity
from acr_trusted.lint.scan import PYPROJECT, config_file_near
from acr_trusted.records import evolve, field, frozen

KEYS = ("select", "ignore", "severity", "fail-level", "param-files", "strict")


class ConfigError(Exception):
    """A configuration file or option the linter cannot honour (exit 2)."""


def _rule_ids(ids: Iterable[str], where: str) -> frozenset[str]:
    wanted = frozenset(i.strip().upper() for i in ids if i.strip())
    unknown = sorted(wanted - RULES.keys())
    if unknown:
        raise ConfigError(
            f"{where}: unknown rule id {', '.join(unknown)}; known: {', '.join(RULES)}"
        )
    return wanted


def parse_rule_list(text: str, where: str = "--select") -> frozenset[str]:
    """``"ACRT001, acrt005"`` -> ``{"ACRT001", "ACRT005"}``; unknown IDs are an error."""
    return _rule_ids(text.split(","), where)


@frozen
class LintConfig:
    """The effective settings of one run.

    ``select`` is ``None`` for "the rules enabled by default" (all but ACRT011, and ACRT099
    unless ``strict``); a selection replaces that set, so ``select = ["ACRT011"]`` runs only
    ACRT011. ``ignore`` is
    applied after ``select``. ``fail_level`` defaults to ``error``: warnings and notes are
    reported but do not fail a commit unless the user lowers it.
    """

    select: frozenset[str] | None = None
    ignore: frozenset[str] = frozenset()
    severity: Mapping[str, Severity] = field(factory=dict)
    fail_level: Severity = Severity.ERROR
    param_files: tuple[Path, ...] = ()
    strict: bool = False
    source: Path | None = None  # the file the settings came from, for messages

    def enabled(self, rule: str) -> bool:
        if rule in self.ignore:
            return False
        if self.select is not None:
            return rule in self.select
        if rule == "ACRT099":
            return self.strict
        return RULES[rule].enabled_by_default if rule in RULES else True

    @property
    def wants_undetermined(self) -> bool:
        """``--strict``, or ACRT099 selected explicitly (it only exists in strict mode)."""
        return self.strict or (self.select is not None and "ACRT099" in self.select)

    def severity_of(self, finding: Finding) -> Severity:
        return self.severity.get(finding.rule, finding.severity)

    def fails(self, finding: Finding) -> bool:
        return not finding.suppressed and finding.severity.rank >= self.fail_level.rank

    def with_overrides(
        self,
        *,
        select: frozenset[str] | None = None,
        ignore: frozenset[str] = frozenset(),
        fail_level: Severity | None = None,
        param_files: Sequence[Path] = (),
        strict: bool = False,
    ) -> LintConfig:
        """Command-line options on top of the file: select replaces, the rest add up."""
        return evolve(
            self,
            select=self.select if select is None else select,
            ignore=self.ignore | ignore,
            fail_level=fail_level or self.fail_level,
            param_files=(*self.param_files, *param_files),
            strict=self.strict or strict,
        )


def _load_toml(path: Path) -> dict[str, Any]:
    # tomllib is in the standard library from 3.11; 3.10 gets the tomli backport (same API)
    tomllib = importlib.import_module("tomllib" if sys.version_info >= (3, 11) else "tomli")
    try:
        with path.open("rb") as handle:
            data: dict[str, Any] = tomllib.load(handle)
            return data
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def _table(path: Path, data: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
    """Our settings in a parsed file (``None`` if the file has none) and their TOML location."""
    if path.name == PYPROJECT:
        tool = data.get("tool", {})
        section = tool.get("acr-trusted", {}) if isinstance(tool, dict) else {}
        table = section.get("lint") if isinstance(section, dict) else None
        if table is None:
            return None, ""
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [tool.acr-trusted.lint] must be a table")
        return table, "[tool.acr-trusted.lint]"
    if "lint" in data:
        others = sorted(k for k in data if k != "lint")
        if others:
            raise ConfigError(
                f"{path}: key {others[0]!r} outside [lint]; put all settings in [lint] "
                "or all at the top level"
            )
        if not isinstance(data["lint"], dict):
            raise ConfigError(f"{path}: 'lint' must be a table")
        return data["lint"], "[lint]"
    return data, "the top level"


def _strings(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise ConfigError(f"{where} must be a string or a list of strings")


def parse_config(path: Path, data: dict[str, Any]) -> LintConfig | None:
    """Validate the settings in one parsed file; ``None`` when a pyproject has no section."""
    table, location = _table(path, data)
    if table is None:
        return None
    settings: dict[str, Any] = {}
    for raw_key, value in table.items():
        key = raw_key.replace("_", "-")
        where = f"{path}: {key!r} in {location}"
        if key not in KEYS:
            raise ConfigError(
                f"{path}: unknown key {raw_key!r} in {location}; expected one of: {', '.join(KEYS)}"
            )
        if key in ("select", "ignore"):
            settings[key] = _rule_ids(_strings(value, where), where)
        elif key == "severity":
            if not isinstance(value, dict):
                raise ConfigError(f"{where} must be a table of rule id = level")
            levels = {}
            for rule, level in value.items():
                (rule_id,) = _rule_ids([rule], where)
                try:
                    levels[rule_id] = Severity.parse(str(level))
                except ValueError as exc:
                    raise ConfigError(f"{where}: {rule}: {exc}") from None
            settings[key] = levels
        elif key == "fail-level":
            try:
                settings["fail_level"] = Severity.parse(str(value))
            except ValueError as exc:
                raise ConfigError(f"{where}: {exc}") from None
        elif key == "param-files":
            settings["param_files"] = tuple(path.parent / p for p in _strings(value, where))
        else:
            if not isinstance(value, bool):
                raise ConfigError(f"{where} must be true or false")
            settings["strict"] = value
    return LintConfig(source=path, **settings)


def load_config_file(path: Path) -> LintConfig:
    """An explicitly named file (``--config``): a pyproject without our section is fine."""
    return parse_config(path, _load_toml(path)) or LintConfig(source=path)


def find_config(start: Path) -> LintConfig:
    """The nearest configuration above ``start`` (see :func:`config_file_near`); else defaults."""
    path = config_file_near(start)
    if path is None:
        return LintConfig()
    return parse_config(path, _load_toml(path)) or LintConfig()


# -- inline suppressions ---------------------------------------------------------------------

_SUPPRESSION = re.compile(
    r"(?://|#|/\*)[^\n]*?acr-trusted:\s*ignore\[(?P<ids>[^\]\n]*)\](?P<reason>[^\n]*)",
    re.IGNORECASE,
)
_REASON_LEADER = " \t-–—:;,"  # separators people put between the rule list and the reason


@frozen
class Suppression:
    line: int
    rules: frozenset[str]
    reason: str  # empty: the comment does not suppress


def _reason(text: str) -> str:
    text = text.strip()
    if text.endswith("*/"):
        text = text[:-2]
    return text.strip().lstrip(_REASON_LEADER).strip()


def parse_suppressions(text: str) -> dict[int, list[Suppression]]:
    """Suppression comments by 1-based line number.

    Cheap on files without any: one substring test before the regex runs.
    """
    found: dict[int, list[Suppression]] = {}
    if "acr-trusted" not in text.lower():
        return found
    for match in _SUPPRESSION.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        rules = frozenset(r.strip().upper() for r in match.group("ids").split(",") if r.strip())
        found.setdefault(line, []).append(Suppression(line, rules, _reason(match.group("reason"))))
    return found


def suppress(
    finding: Finding,
    comments: Mapping[int, list[Suppression]],
    resource_ignores: Mapping[str, str] | None = None,
) -> Finding:
    """The finding, suppressed if a comment or the resource's metadata says so with a reason.

    Comments count on the finding's line or the line above. ``resource_ignores`` maps rule IDs
    to reasons from ARM ``metadata`` on the resource the finding is about. A matching suppression
    without a reason leaves the finding active and adds a note to its message.
    """
    line = finding.span.line
    candidates = [
        s for n in (line, line - 1) for s in comments.get(n, ()) if finding.rule in s.rules
    ]
    reasons = [s.reason for s in candidates]
    if resource_ignores and finding.rule in resource_ignores:
        reasons.append(resource_ignores[finding.rule].strip())
    if not reasons:
        return finding
    reason = next((r for r in reasons if r), "")
    if reason:
        return evolve(finding, suppressed=True, suppression_reason=reason)
    where = f"the comment on line {candidates[0].line}" if candidates else "the resource's metadata"
    return evolve(
        finding,
        message=f"{finding.message} (not suppressed: {where} gives no reason after "
        f"ignore[{finding.rule}])",
    )
