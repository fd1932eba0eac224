"""Stand-ins for the loaders and rules, so the engine and CLI are tested on their own."""

from __future__ import annotations

import re
from pathlib import Path

from acr_trusted.lint.findings import RULES, Edit, Finding, Severity
from acr_trusted.lint.model import FileModel, LoadContext, Registry, Span

MARK = re.compile(r"EXPECT (ACRT\d{3})")
FIXABLE_LITERAL = {"ACRT001": ("'None'", "AzureServices"), "ACRT002": ("false", "true")}


class FakeLoader:
    """Records what it is asked to load; declares one registry, ``acr``."""

    def __init__(self, fmt: str) -> None:
        self.fmt = fmt
        self.loaded: list[tuple[Path, str]] = []

    def load(self, path: Path, text: str, ctx: LoadContext) -> FileModel:
        self.loaded.append((path, text))
        display = ctx.display_path(path)
        registry = Registry("acr", Span.point(display, 1))
        return FileModel(display, self.fmt, registries=(registry,), text=text)


def fakes() -> dict[str, FakeLoader]:
    return {fmt: FakeLoader(fmt) for fmt in ("arm", "bicep", "terraform")}


def marker_check(model: FileModel, *, strict: bool = False) -> list[Finding]:
    """A finding for every ``EXPECT ACRTnnn`` in the text, at that line and column.

    ACRT001 / ACRT002 carry a fix when their line holds the literal ``'None'`` / ``false``.
    """
    out = []
    offset = 0
    for number, line in enumerate(model.text.splitlines(keepends=True), 1):
        for match in MARK.finditer(line):
            rule = match.group(1)
            span = Span(model.path, number, match.start() + 1, number, match.end())
            fix = None
            literal, replacement = FIXABLE_LITERAL.get(rule, ("", ""))
            if literal and literal in line:
                start = offset + line.index(literal)
                fix = Edit(start, start + len(literal), replacement)
            out.append(Finding(rule, RULES[rule].severity, span, f"{rule} here", "acr", fix=fix))
        offset += len(line)
    if strict:
        out.append(Finding("ACRT099", Severity.WARNING, Span.point(model.path, 1), "unknown"))
    return out


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path
