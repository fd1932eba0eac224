from __future__ import annotations

import re
from html.parser import HTMLParser

from attrs import evolve

from acr_trusted.audit_html import MAX_SUBSCRIPTION_BARS, render_html
from acr_trusted.audit_report import AuditReport
from acr_trusted.audit_rules import InheritedGrants, audit_registry
from tests.audit_samples import registry_row, sample_report


class Outline(HTMLParser):
    """Tags, attributes and text of a document, checked for balance as it is parsed."""

    VOID = frozenset({"meta", "input", "br", "img", "link", "hr"})

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.scripts: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            self.errors.append(f"unbalanced </{tag}>")

    def handle_data(self, data: str) -> None:
        if self.open and self.open[-1] == "script":
            self.scripts.append(data)
        self.text.append(data)

    def count(self, tag: str) -> int:
        return sum(1 for t, _ in self.tags if t == tag)


def outline(html: str) -> Outline:
    parsed = Outline()
    parsed.feed(html)
    parsed.close()
    assert parsed.errors == []
    assert parsed.open == []
    return parsed


def test_document_is_well_formed_and_self_contained() -> None:
    """Balanced tags, inline style and script only, and no URL anywhere in the file."""
    html = render_html(sample_report())
    assert html.startswith('<!DOCTYPE html>\n<html lang="en">')
    parsed = outline(html)
    assert not re.search(r"(?i)\b(?:https?|ftp|file):|//[a-z0-9.-]+\.[a-z]{2,}/", html)
    for tag, attrs in parsed.tags:
        assert "src" not in attrs, tag
        assert "href" not in attrs, tag
    assert parsed.count("script") == parsed.count("style") == 1


def test_charts_are_inline_svg() -> None:
    """A bar per verdict, and a bar per subscription stacked by verdict."""
    parsed = outline(render_html(sample_report()))
    svgs = [attrs for tag, attrs in parsed.tags if tag == "svg"]
    assert [s["aria-label"] for s in svgs] == [
        "Registries by verdict",
        "Registries by subscription",
    ]
    assert parsed.count("rect") == 4 + 4  # verdict bars; subscription A has 3 slices, B has 1


def test_table_is_sortable() -> None:
    """One row per registry, worst first; headers are focusable and sorted by inline script."""
    parsed = outline(render_html(sample_report()))
    heads = [attrs for tag, attrs in parsed.tags if tag == "th"]
    assert len(heads) == 13
    assert all(h["tabindex"] == "0" and h["data-type"] in ("text", "number") for h in heads)
    assert parsed.count("tr") == 1 + 4
    (script,) = parsed.scripts
    assert "rows.sort(" in script
    assert "aria-sort" in script
    verdicts = [
        attrs.get("data-sort")
        for tag, attrs in parsed.tags
        if tag == "td" and attrs.get("class") == "verdict"
    ]
    assert verdicts == ["0", "1", "2", "3"]


def test_values_from_azure_are_escaped() -> None:
    """Markup in a name, location or message cannot reach the page as markup."""
    report = sample_report()
    hostile = evolve(report.registries[0], name="<script>x</script>", location='"><b>')
    html = render_html(evolve(report, registries=(hostile, *report.registries[1:])))
    assert "<script>x</script>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html
    outline(html)


def test_many_subscriptions_fold_into_one_bar() -> None:
    """Past the largest subscriptions, the rest are one 'other subscriptions' bar."""
    count = MAX_SUBSCRIPTION_BARS + 3
    registries = tuple(
        audit_registry(
            registry_row(f"00000000-0000-0000-0000-{i:012d}", f"reg{i:05d}"), InheritedGrants()
        )
        for i in range(count)
    )
    html = render_html(AuditReport(registries, (), 1))
    assert "3 other subscriptions" in html
    outline(html)
