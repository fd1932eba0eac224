"""Meta-test: the rule table, the docs pages and the README rules table stay in step."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from acr_trusted.lint.findings import RULES

ROOT = Path(__file__).resolve().parent.parent
RULE_DOCS = ROOT / "docs" / "rules"
SECTIONS = (
    "What it does",
    "Why is this bad?",
    "Example",
    "Use instead",
    "How to fix",
    "Suppression",
)
LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")


def table_rows(markdown: str) -> dict[str, list[str]]:
    """Rule rows of a markdown table, keyed by rule ID, cells with links reduced to their text."""
    rows: dict[str, list[str]] = {}
    for line in markdown.splitlines():
        if not line.startswith("|"):
            continue
        cells = [LINK.sub(r"\1", c).strip() for c in line.strip().strip("|").split("|")]
        if cells and re.fullmatch(r"ACRT\d{3}", cells[0]):
            rows[cells[0]] = cells
    return rows


def section(markdown: str, heading: str) -> str:
    """The text under a ``## heading`` up to the next ``## `` heading."""
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", markdown, re.M | re.S)
    return match.group(1) if match else ""


def test_every_rule_has_a_page_and_every_page_a_rule() -> None:
    """docs/rules/ACRTnnn.md exists for exactly the rules in RULES."""
    pages = {p.stem for p in RULE_DOCS.glob("ACRT*.md")}
    assert pages == set(RULES)


@pytest.mark.parametrize("rule_id", list(RULES))
def test_page_matches_the_rule_table(rule_id: str) -> None:
    """Each page is titled with the ID and name, states the severity and has every section."""
    info = RULES[rule_id]
    text = (RULE_DOCS / f"{rule_id}.md").read_text(encoding="utf-8")
    assert text.splitlines()[0] == f"# {rule_id}: {info.name}"
    assert f"**Default severity:** {info.severity.value}" in text
    for heading in SECTIONS:
        assert f"\n## {heading}\n" in text, f"{rule_id}.md lacks '## {heading}'"


@pytest.mark.parametrize("rule_id", [r for r in RULES if r != "ACRT000"])
def test_page_shows_every_format(rule_id: str) -> None:
    """Bad and good examples in Bicep, ARM JSON and Terraform."""
    text = (RULE_DOCS / f"{rule_id}.md").read_text(encoding="utf-8")
    for part in ("Example", "Use instead"):
        body = section(text, part)
        for fence in ("```bicep", "```json", "```hcl"):
            assert fence in body, f"{rule_id}.md '{part}' lacks a {fence} block"


def test_docs_index_lists_every_rule() -> None:
    """docs/rules/README.md has one row per rule with its name, severity and summary."""
    rows = table_rows((RULE_DOCS / "README.md").read_text(encoding="utf-8"))
    assert list(rows) == list(RULES)
    for rule_id, info in RULES.items():
        _, name, severity, summary = rows[rule_id]
        assert name == info.name
        assert severity.split()[0] == info.severity.value
        assert ("off by default" in severity) is (not info.enabled_by_default)
        assert summary == info.summary


def test_project_readme_has_the_same_rules_table() -> None:
    """README.md's "Rules" section carries the same rows as docs/rules/README.md."""
    readme = section((ROOT / "README.md").read_text(encoding="utf-8"), "Rules")
    rows = table_rows(readme)
    if not rows:
        pytest.skip("README.md has no rules table under '## Rules' yet (pasted by its owner)")
    expected = table_rows((RULE_DOCS / "README.md").read_text(encoding="utf-8"))
    assert rows == expected
