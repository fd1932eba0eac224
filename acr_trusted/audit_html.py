"""A fleet audit as one self-contained HTML file: charts, then a sortable table.

No external asset of any kind (no script, style sheet, font or image URL): the charts are inline
SVG and sorting is a few lines of inline JavaScript, so the file can be mailed, attached to a
ticket or opened offline. Every value from Azure is HTML-escaped.
"""

from __future__ import annotations

from html import escape

from acr_trusted.audit_report import AuditReport, RegistryAudit, RegistryVerdict

COLORS = {
    RegistryVerdict.BLOCKED: "#c62828",
    RegistryVerdict.AT_RISK: "#ef6c00",
    RegistryVerdict.OK: "#2e7d32",
    RegistryVerdict.NOT_RESTRICTED: "#78909c",
}
MAX_SUBSCRIPTION_BARS = 15

_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #212121; }
h1 { font-size: 1.5em; margin-bottom: .2em; }
.summary { color: #424242; }
.charts { display: flex; flex-wrap: wrap; gap: 2em; margin: 1.5em 0; }
figure { margin: 0; }
figcaption { font-weight: 600; margin-bottom: .5em; }
svg text { font: 12px system-ui, sans-serif; fill: #212121; }
.legend span { display: inline-block; margin-right: 1.2em; }
.legend i { display: inline-block; width: .9em; height: .9em; margin-right: .3em;
  vertical-align: -.1em; }
.warnings { background: #fff3e0; padding: .5em 1em; }
input[type=search] { margin: .5em 0; padding: .3em; width: 20em; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #e0e0e0; padding: .3em .5em; text-align: left;
  vertical-align: top; white-space: nowrap; }
th { cursor: pointer; background: #f5f5f5; position: sticky; top: 0; user-select: none; }
th[aria-sort=ascending]::after { content: " \\25B2"; }
th[aria-sort=descending]::after { content: " \\25BC"; }
td.verdict { font-weight: 600; white-space: nowrap; }
.rule { display: inline-block; margin-right: .3em; border-bottom: 1px dotted; }
"""

_SCRIPT = """
(function () {
  var table = document.getElementById("registries");
  var body = table.tBodies[0];
  var heads = table.tHead.rows[0].cells;
  function key(cell) {
    return cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent;
  }
  function sortBy(index) {
    var th = heads[index];
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    for (var i = 0; i < heads.length; i++) { heads[i].removeAttribute("aria-sort"); }
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var numeric = th.getAttribute("data-type") === "number";
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a.cells[index]), y = key(b.cells[index]);
      var order = numeric ? parseFloat(x) - parseFloat(y) : x.localeCompare(y);
      return ascending ? order : -order;
    });
    var fragment = document.createDocumentFragment();
    rows.forEach(function (row) { fragment.appendChild(row); });
    body.appendChild(fragment);
  }
  Array.prototype.forEach.call(heads, function (th, index) {
    th.addEventListener("click", function () { sortBy(index); });
    th.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sortBy(index); }
    });
  });
  document.getElementById("filter").addEventListener("input", function (event) {
    var needle = event.target.value.toLowerCase();
    Array.prototype.forEach.call(body.rows, function (row) {
      row.hidden = needle !== "" && row.textContent.toLowerCase().indexOf(needle) < 0;
    });
  });
})();
"""

_COLUMNS = (
    ("Verdict", "number"),
    ("Registry", "text"),
    ("Subscription", "text"),
    ("Resource group", "text"),
    ("Location", "text"),
    ("SKU", "text"),
    ("Restricted by", "text"),
    ("Trusted services", "text"),
    ("Tasks bypass", "text"),
    ("Role mode", "text"),
    ("Blocked consumers", "number"),
    ("Consumers", "number"),
    ("Findings", "number"),
)


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _bar_chart(report: AuditReport) -> str:
    """Registries by verdict: one horizontal bar each."""
    counts = report.by_verdict()
    top = max(counts.values(), default=0) or 1
    label_width, bar_width, row = 110, 300, 28
    parts = []
    for index, (verdict, count) in enumerate(counts.items()):
        y = index * row
        width = round(bar_width * count / top, 1)
        parts.append(
            f'<text x="0" y="{y + 18}">{_e(verdict.value)}</text>'
            f'<rect x="{label_width}" y="{y + 4}" width="{width}" height="20" '
            f'fill="{COLORS[verdict]}"><title>{_e(verdict.value)}: {count}</title></rect>'
            f'<text x="{label_width + width + 6}" y="{y + 18}">{count}</text>'
        )
    height = row * len(counts)
    width = label_width + bar_width + 60
    return (
        f'<svg role="img" aria-label="Registries by verdict" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">{"".join(parts)}</svg>'
    )


def _subscription_rows(report: AuditReport) -> list[tuple[str, dict[RegistryVerdict, int]]]:
    """The largest subscriptions, then the rest folded into one row."""
    table = sorted(report.by_subscription().items(), key=lambda item: -sum(item[1].values()))
    shown = table[:MAX_SUBSCRIPTION_BARS]
    rest = table[MAX_SUBSCRIPTION_BARS:]
    if rest:
        folded = {v: sum(counts[v] for _, counts in rest) for v in RegistryVerdict}
        shown.append((f"{len(rest)} other subscriptions", folded))
    return shown


def _stacked_chart(report: AuditReport) -> str:
    """Registries by subscription, each bar stacked by verdict."""
    rows = _subscription_rows(report)
    top = max((sum(c.values()) for _, c in rows), default=0) or 1
    label_width, bar_width, row = 270, 300, 24
    parts = []
    for index, (subscription, counts) in enumerate(rows):
        y = index * row
        x = float(label_width)
        parts.append(f'<text x="0" y="{y + 16}">{_e(subscription)}</text>')
        for verdict, count in counts.items():
            if not count:
                continue
            width = round(bar_width * count / top, 1)
            parts.append(
                f'<rect x="{x}" y="{y + 3}" width="{width}" height="18" '
                f'fill="{COLORS[verdict]}"><title>{_e(subscription)}: {count} '
                f"{_e(verdict.value)}</title></rect>"
            )
            x += width
        parts.append(f'<text x="{x + 6}" y="{y + 16}">{sum(counts.values())}</text>')
    height = max(row * len(rows), row)
    width = label_width + bar_width + 60
    return (
        f'<svg role="img" aria-label="Registries by subscription" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}">{"".join(parts)}</svg>'
    )


def _legend() -> str:
    items = "".join(
        f'<span><i style="background:{color}"></i>{_e(verdict.value)}</span>'
        for verdict, color in COLORS.items()
    )
    return f'<p class="legend">{items}</p>'


_RANK = {v: i for i, v in enumerate(RegistryVerdict)}


def _row(registry: RegistryAudit) -> str:
    p = registry.posture
    tasks = p.network_rule_bypass_allowed_for_tasks
    rules = "".join(
        f'<span class="rule" title="{_e(f.severity.value)}: {_e(f.message)}">{_e(f.rule)}</span>'
        for f in registry.findings
    )
    cells = (
        f'<td class="verdict" data-sort="{_RANK[registry.verdict]}" '
        f'style="color:{COLORS[registry.verdict]}">{_e(registry.verdict.value)}</td>',
        f'<td title="{_e(registry.id)}">{_e(registry.name)}</td>',
        f"<td>{_e(registry.subscription_id)}</td>",
        f"<td>{_e(registry.resource_group)}</td>",
        f"<td>{_e(registry.location)}</td>",
        f"<td>{_e(p.sku or '')}</td>",
        f"<td>{_e(', '.join(r.value for r in p.restrictions) or '-')}</td>",
        f"<td>{'allowed' if p.trusted_services_allowed else 'blocked'}</td>",
        f"<td>{'(not set)' if tasks is None else str(tasks).lower()}</td>",
        f"<td>{_e(p.effective_role_assignment_mode.value)}</td>",
        f"<td>{len(registry.blocked_consumers)}</td>",
        f"<td>{len(registry.consumers)}</td>",
        f'<td data-sort="{len(registry.findings)}">{rules or "-"}</td>',
    )
    return f"<tr>{''.join(cells)}</tr>"


def render_html(report: AuditReport) -> str:
    """The whole report as one HTML5 document."""
    head = "".join(
        f'<th scope="col" tabindex="0" data-type="{kind}">{_e(name)}</th>'
        for name, kind in _COLUMNS
    )
    order = sorted(
        report.registries, key=lambda r: (_RANK[r.verdict], r.subscription_id, r.name.lower())
    )
    body = "\n".join(_row(r) for r in order)
    warnings = ""
    if report.warnings:
        items = "".join(f"<li>{_e(w)}</li>" for w in report.warnings)
        warnings = f'<div class="warnings"><p>Not audited:</p><ul>{items}</ul></div>'
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<title>acr-trusted fleet audit</title>\n"
        f"<style>{_STYLE}</style>\n</head>\n<body>\n"
        "<h1>Container registry fleet audit</h1>\n"
        f'<p class="summary">{_e(report.summary())}</p>\n{warnings}'
        '<section class="charts">\n'
        f"<figure><figcaption>Registries by verdict</figcaption>{_bar_chart(report)}</figure>\n"
        "<figure><figcaption>Registries by subscription</figcaption>"
        f"{_stacked_chart(report)}</figure>\n"
        f"</section>\n{_legend()}\n"
        '<section>\n<input id="filter" type="search" placeholder="Filter registries" '
        'aria-label="Filter registries">\n'
        f'<table id="registries">\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n'
        f"</table>\n</section>\n<script>{_SCRIPT}</script>\n</body>\n</html>\n"
    )
