"""``--fix``: rewrite the literal that blocks trusted services, and nothing else.

Rules attach an :class:`~acr_trusted.lint.findings.Edit` only to literals written in place
(never to a value that came from a parameter). This module is the second guard: it rewrites a
span only if the text there still is the literal the rule replaces (``None`` for ACRT001,
``false`` for ACRT002, quoted or not), keeps the literal's quote style, and writes the file back
byte for byte otherwise -- BOM, line endings and all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path

from acr_trusted.lint.findings import Edit, Finding
from acr_trusted.lint.scan import BOM
from acr_trusted.records import frozen

# rule -> the literal its fix replaces (compared without quotes, ignoring case as ARM does)
FIXABLE: dict[str, str] = {"ACRT001": "none", "ACRT002": "false"}
_QUOTES = ("'", '"')


@frozen
class AppliedEdit:
    rule: str
    line: int
    column: int
    old: str
    new: str


@frozen
class FileFix:
    path: str
    edits: tuple[AppliedEdit, ...]


@frozen
class FixReport:
    fixed: tuple[FileFix, ...]
    skipped: tuple[str, ...]  # one line per edit that was not applied, and why

    @property
    def changed(self) -> bool:
        return bool(self.fixed)


def _quote_of(text: str) -> str:
    if len(text) >= 2 and text[0] in _QUOTES and text[-1] == text[0]:
        return text[0]
    return ""


def render_replacement(old: str, replacement: str) -> str:
    """``replacement`` in the quote style of ``old`` (``'None'`` -> ``'AzureServices'``).

    Rules may give the bare value or a quoted one; the quotes written are always ``old``'s.
    """
    bare = replacement[1:-1] if _quote_of(replacement) else replacement
    quote = _quote_of(old)
    return f"{quote}{bare}{quote}"


def _matches(rule: str, old: str) -> bool:
    quote = _quote_of(old)
    bare = old[1:-1] if quote else old
    return bare.lower() == FIXABLE[rule]


def apply_edits(
    text: str, edits: Iterable[tuple[Finding, Edit]]
) -> tuple[str, list[AppliedEdit], list[str]]:
    """Apply the safe, non-overlapping edits to ``text``; report what was skipped and why."""
    applied: list[tuple[Edit, AppliedEdit]] = []
    skipped: list[str] = []
    taken: list[tuple[int, int]] = []
    for finding, edit in sorted(edits, key=lambda pair: (pair[1].start, pair[1].end)):
        where = f"{finding.span}: {finding.rule}"
        if finding.rule not in FIXABLE:
            skipped.append(f"{where}: no automatic fix for this rule")
            continue
        if not 0 <= edit.start < edit.end <= len(text):
            skipped.append(f"{where}: the fix points outside the file")
            continue
        if any(start == edit.start and end == edit.end for start, end in taken):
            continue  # the same literal reported twice: one edit
        if any(edit.start < end and start < edit.end for start, end in taken):
            skipped.append(f"{where}: overlaps another fix")
            continue
        old = text[edit.start : edit.end]
        if not _matches(finding.rule, old):
            skipped.append(f"{where}: expected {FIXABLE[finding.rule]!r} here, found {old!r}")
            continue
        new = render_replacement(old, edit.replacement)
        taken.append((edit.start, edit.end))
        line = text.count("\n", 0, edit.start) + 1
        column = edit.start - (text.rfind("\n", 0, edit.start) + 1) + 1
        applied.append((edit, AppliedEdit(finding.rule, line, column, old, new)))
    for edit, done in sorted(applied, key=lambda pair: pair[0].start, reverse=True):
        text = text[: edit.start] + done.new + text[edit.end :]
    return text, [done for _, done in applied], skipped


def apply_fixes(findings: Iterable[Finding], sources: Mapping[str, Path]) -> FixReport:
    """Rewrite the files of ``findings`` that carry edits (suppressed findings are left alone)."""
    by_path: dict[str, list[tuple[Finding, Edit]]] = defaultdict(list)
    for finding in findings:
        if finding.fix is not None and not finding.suppressed:
            by_path[finding.span.path].append((finding, finding.fix))
    fixed: list[FileFix] = []
    skipped: list[str] = []
    for display, edits in sorted(by_path.items()):
        source = sources.get(display)
        if source is None:
            skipped.append(f"{display}: not a linted file")
            continue
        try:
            raw = source.read_bytes()
            bom = BOM if raw.startswith(BOM) else b""
            text = raw[len(bom) :].decode("utf-8")
            new_text, done, why = apply_edits(text, edits)
            skipped.extend(why)
            if done:
                source.write_bytes(bom + new_text.encode("utf-8"))
                fixed.append(FileFix(display, tuple(done)))
        except (OSError, UnicodeDecodeError) as exc:
            skipped.append(f"{display}: cannot rewrite: {exc}")
    return FixReport(tuple(fixed), tuple(skipped))


def describe(report: FixReport) -> list[str]:
    """One line per change and per skipped edit, for stderr."""
    lines = [
        f"{fix.path}:{e.line}:{e.column}: fixed {e.rule}: {e.old} -> {e.new}"
        for fix in report.fixed
        for e in fix.edits
    ]
    lines.extend(f"not fixed: {reason}" for reason in report.skipped)
    return lines
