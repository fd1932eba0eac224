from __future__ import annotations

import os
import types
from pathlib import Path
from typing import Any

import pytest

from acr_trusted.lint import engine, processes
from acr_trusted.lint.config import LintConfig
from acr_trusted.lint.engine import lint
from acr_trusted.lint.findings import Finding, Severity
from acr_trusted.lint.model import FileModel, LoadContext, ParseError, Registry, Span

from .lint_fakes import FakeLoader, fakes, marker_check, write


class ExplodingLoader:
    def load(self, path: Path, text: str, ctx: LoadContext) -> FileModel:
        raise KeyError("resources")


def run(paths: list[Path], config: LintConfig | None = None, **kw: object) -> engine.LintResult:
    kw.setdefault("loaders", fakes())
    kw.setdefault("check", marker_check)
    return lint(paths, config=config or LintConfig(), **kw)  # type: ignore[arg-type]


@pytest.fixture
def chdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


# -- what is loaded ------------------------------------------------------------------------


def test_irrelevant_file_is_counted_but_not_loaded(chdir: Path) -> None:
    write(
        chdir / "storage.bicep", "resource sa 'Microsoft.Storage/storageAccounts@2023-01-01' = {}"
    )
    write(
        chdir / "acr.bicep", "resource acr 'Microsoft.ContainerRegistry/registries@2023-07-01' = {}"
    )
    loaders = fakes()
    result = run([chdir], loaders=loaders)
    assert result.files_scanned == 2
    assert [p.name for p, _ in loaders["bicep"].loaded] == ["acr.bicep"]


def test_loaders_are_imported_only_for_formats_seen(
    chdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    imported: list[str] = []

    def fake_import(name: str) -> FakeLoader:
        imported.append(name)
        return FakeLoader("terraform")

    monkeypatch.setattr(engine.importlib, "import_module", fake_import)
    write(chdir / "main.tf", 'resource "azurerm_container_registry" "acr" {}')
    write(chdir / "other.bicep", "param location string")  # filtered out: no loader needed
    lint([chdir], config=LintConfig(), check=marker_check)
    assert imported == ["acr_trusted.lint.terraform"]


# -- reading files --------------------------------------------------------------------------


def test_bom_is_dropped_and_line_endings_are_kept(chdir: Path) -> None:
    write(
        chdir / "a.json",
        b'\xef\xbb\xbf{\r\n  "type": "Microsoft.ContainerRegistry/registries"\r\n}',
    )
    loaders = fakes()
    run([chdir / "a.json"], loaders=loaders)
    ((_, text),) = loaders["arm"].loaded
    assert text.startswith("{\r\n")


def test_invalid_utf8_is_acrt000_at_the_bad_byte(chdir: Path) -> None:
    write(chdir / "a.bicep", b"// registry\nparam x string = 'caf\xe9'\n")
    write(chdir / "b.bicep", "resource acr 'x' = {} // EXPECT ACRT001")
    result = run([Path("a.bicep"), Path("b.bicep")])
    bad, other = result.findings
    assert (bad.rule, bad.span.path, bad.span.line, bad.span.column) == (
        "ACRT000",
        "a.bicep",
        2,
        22,
    )
    assert "not valid UTF-8" in bad.message
    assert (other.rule, other.span.path) == ("ACRT001", "b.bicep")


def test_a_crashing_loader_costs_only_its_own_file(chdir: Path) -> None:
    write(chdir / "a.json", '{"type": "Microsoft.ContainerRegistry/registries"}')
    write(chdir / "b.bicep", "resource acr 'x' = {} // EXPECT ACRT001")
    loaders = {"arm": ExplodingLoader(), "bicep": FakeLoader("bicep")}
    result = run([chdir], loaders=loaders)
    crash, finding = result.findings
    assert crash.rule == "ACRT000"
    assert crash.span.path == "a.json"  # the current directory: paths relative to it
    assert "KeyError: 'resources'" in crash.message
    assert "Traceback" not in crash.message
    assert finding.rule == "ACRT001"


def test_a_crashing_rule_is_reported_for_that_file(chdir: Path) -> None:
    write(chdir / "a.bicep", "resource acr 'x' = {}")

    def broken(model: FileModel, *, strict: bool = False) -> list[Finding]:
        raise ZeroDivisionError("division by zero")

    (finding,) = run([Path("a.bicep")], check=broken).findings
    assert finding.rule == "ACRT000"
    assert "ZeroDivisionError: division by zero" in finding.message


def test_parse_errors_become_acrt000_once(chdir: Path) -> None:
    write(chdir / "a.bicep", "resource acr 'x' = {")

    class Broken:
        def load(self, path: Path, text: str, ctx: LoadContext) -> FileModel:
            error = ParseError(Span.point("a.bicep", 1, 20), "expected '}'")
            return FileModel("a.bicep", "bicep", errors=(error,), text=text)

    (finding,) = run([Path("a.bicep")], loaders={"bicep": Broken()}).findings
    assert finding.rule == "ACRT000"
    assert (finding.span.line, finding.span.column) == (1, 20)
    assert finding.message == "cannot parse a.bicep:1:20: expected '}'"

    def reports_it(model: FileModel, *, strict: bool = False) -> list[Finding]:
        span = model.errors[0].span
        return [Finding("ACRT000", Severity.ERROR, span, "a.bicep:1:20: parse error")]

    findings = run([Path("a.bicep")], loaders={"bicep": Broken()}, check=reports_it).findings
    assert [f.message for f in findings] == ["a.bicep:1:20: parse error"]


# -- what is reported -----------------------------------------------------------------------


def test_findings_in_files_read_for_context_are_not_reported(chdir: Path) -> None:
    write(chdir / "main.bicep", "module m './acr.bicep' = {} // EXPECT ACRT003")
    write(chdir / "acr.bicep", "resource acr 'x' = {}")

    def module_check(model: FileModel, *, strict: bool = False) -> list[Finding]:
        other = Span.point("acr.bicep", 1)
        return [*marker_check(model), Finding("ACRT001", Severity.ERROR, other, "in module")]

    findings = run([Path("main.bicep")], check=module_check).findings
    assert [(f.rule, f.span.path) for f in findings] == [("ACRT003", "main.bicep")]


def test_findings_are_sorted_and_deduplicated(chdir: Path) -> None:
    write(chdir / "b.bicep", "registry EXPECT ACRT004\nEXPECT ACRT001 EXPECT ACRT001")
    write(chdir / "a.bicep", "registry\n\nEXPECT ACRT003")

    def twice(model: FileModel, *, strict: bool = False) -> list[Finding]:
        return marker_check(model) * 2

    findings = run([chdir], check=twice).findings
    keys = [(f.span.path.split("/")[-1], f.span.line, f.span.column, f.rule) for f in findings]
    assert keys == [
        ("a.bicep", 3, 1, "ACRT003"),
        ("b.bicep", 1, 10, "ACRT004"),
        ("b.bicep", 2, 1, "ACRT001"),
        ("b.bicep", 2, 16, "ACRT001"),
    ]


def test_default_selection_leaves_out_off_by_default_rules(chdir: Path) -> None:
    write(chdir / "a.bicep", "registry EXPECT ACRT011 EXPECT ACRT001")
    assert [f.rule for f in run([Path("a.bicep")]).findings] == ["ACRT001"]


def test_select_ignore_and_severity_overrides(chdir: Path) -> None:
    write(chdir / "a.bicep", "registry EXPECT ACRT011 EXPECT ACRT001 EXPECT ACRT004")
    config = LintConfig(
        select=frozenset({"ACRT011", "ACRT004", "ACRT001"}),
        ignore=frozenset({"ACRT001"}),
        severity={"ACRT004": Severity.ERROR},
    )
    findings = run([Path("a.bicep")], config).findings
    assert [(f.rule, f.severity) for f in findings] == [
        ("ACRT011", Severity.NOTE),
        ("ACRT004", Severity.ERROR),
    ]


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (LintConfig(), False),
        (LintConfig(strict=True), True),
        (LintConfig(select=frozenset({"ACRT099"})), True),
    ],
)
def test_strict_reaches_the_rules(chdir: Path, config: LintConfig, expected: bool) -> None:
    write(chdir / "a.bicep", "registry")
    assert any(f.rule == "ACRT099" for f in run([Path("a.bicep")], config).findings) is expected


@pytest.mark.parametrize(
    ("text", "suppressed"),
    [
        ("registry EXPECT ACRT001 // acr-trusted: ignore[ACRT001] tasks use an agent pool", True),
        ("// acr-trusted: ignore[ACRT005, ACRT001] -- reviewed\nregistry EXPECT ACRT001", True),
        ("# acr-trusted: ignore[acrt001] reviewed\nregistry EXPECT ACRT001", True),
        ("/* acr-trusted: ignore[ACRT001] reviewed */\nregistry EXPECT ACRT001", True),
        ("// acr-trusted: ignore[ACRT003] reviewed\nregistry EXPECT ACRT001", False),
        ("// acr-trusted: ignore[ACRT001] reviewed\n\nregistry EXPECT ACRT001", False),
        ("registry EXPECT ACRT001 acr-trusted: ignore[ACRT001] not in a comment", False),
    ],
)
def test_inline_suppressions(chdir: Path, text: str, suppressed: bool) -> None:
    write(chdir / "a.bicep", text)
    (finding,) = run([Path("a.bicep")]).findings
    assert finding.suppressed is suppressed


def test_suppression_without_reason_keeps_the_finding_and_says_why(chdir: Path) -> None:
    write(chdir / "a.bicep", "// acr-trusted: ignore[ACRT001]\nregistry EXPECT ACRT001")
    (finding,) = run([Path("a.bicep")]).findings
    assert not finding.suppressed
    assert "not suppressed: the comment on line 1 gives no reason" in finding.message


def test_resource_metadata_suppresses_findings_about_that_resource(chdir: Path) -> None:
    write(chdir / "a.json", "registry EXPECT ACRT001\nEXPECT ACRT003")

    class WithMetadata:
        def load(self, path: Path, text: str, ctx: LoadContext) -> FileModel:
            registry = Registry(
                "acr", Span.point("a.json", 1), suppressed={"ACRT001": "break-glass registry"}
            )
            return FileModel("a.json", "arm", registries=(registry,), text=text)

    findings = run([Path("a.json")], loaders={"arm": WithMetadata()}).findings
    assert [(f.rule, f.suppressed, f.suppression_reason) for f in findings] == [
        ("ACRT001", True, "break-glass registry"),
        ("ACRT003", False, ""),
    ]


def test_result_maps_display_paths_to_files_and_lists_missing_paths(chdir: Path) -> None:
    write(chdir / "a.bicep", "registry")
    result = run([Path("a.bicep"), Path("nope")])
    assert result.sources == {"a.bicep": Path("a.bicep")}
    assert result.missing == ("nope",)
    assert os.path.samefile(result.sources["a.bicep"], chdir / "a.bicep")


# -- the real loaders and rules -------------------------------------------------------------

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "iac"


@pytest.mark.parametrize("bad", ["bicep/bad.bicep", "arm/bad.json", "terraform/bad/main.tf"])
def test_bad_examples_show_the_headline_rules(bad: str) -> None:
    result = lint([EXAMPLES / bad], config=LintConfig())
    rules = {f.rule for f in result.active}
    assert {"ACRT001", "ACRT002", "ACRT003", "ACRT007"} <= rules
    assert "ACRT000" not in rules
    fixable = {f.rule for f in result.findings if f.fix is not None}
    assert fixable == {"ACRT001", "ACRT002"}


def test_good_examples_are_clean() -> None:
    result = lint(
        [EXAMPLES / "bicep/good.bicep", EXAMPLES / "arm/good.json", EXAMPLES / "terraform/good"],
        config=LintConfig(),
    )
    assert result.files_scanned == 3
    assert result.findings == ()


def test_the_corpus_lints_without_internal_errors(shared_dir: Path) -> None:
    result = lint([shared_dir / "corpus"], config=LintConfig(strict=True))
    assert result.files_scanned == 30
    internal = [f.message for f in result.findings if "internal error" in f.message]
    assert internal == []
    assert all(f.span.path.startswith("corpus/") for f in result.findings)


# -- shares in forked children -----------------------------------------------------------------


def _bad_examples() -> list[Path]:
    return [EXAMPLES / "bicep/bad.bicep", EXAMPLES / "arm/bad.json", EXAMPLES / "terraform/bad"]


def test_findings_are_the_same_with_and_without_children(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(processes, "cores", lambda: 2)
    forked = lint(_bad_examples(), config=LintConfig())
    monkeypatch.setattr(processes, "fork", lambda work: None)
    alone = lint(_bad_examples(), config=LintConfig())
    assert forked.findings == alone.findings
    assert any(f.span.path.endswith("main.tf") for f in forked.findings)


def test_a_failed_child_leaves_its_files_to_the_parent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(processes, "cores", lambda: 2)
    monkeypatch.setattr(processes, "fork", lambda work: lambda: None)
    result = lint(_bad_examples(), config=LintConfig())
    assert any(f.span.path.endswith("main.tf") for f in result.findings)


def test_what_two_shares_parse_is_loaded_before_forking(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The children inherit it; a format only one share parses loads in that process."""
    monkeypatch.setattr(processes, "cores", lambda: 2)
    found, _ = engine.discover(_bad_examples())
    linter = engine._Linter(found, LintConfig(), engine.TextCache(), loaders={})
    events: list[str] = []

    def import_module(name: str) -> object:
        events.append(f"import {name}")
        return types.SimpleNamespace(prepare=lambda: events.append(f"prepare {name}"))

    monkeypatch.setattr(engine.importlib, "import_module", import_module)
    bicep, arm, terraform = (
        [(d, p) for d, p in found.items() if p.suffix == suffix]
        for suffix in (".bicep", ".json", ".tf")
    )
    linter.prepare([bicep + arm, arm + terraform])
    assert events == [
        "import acr_trusted.lint.rules",
        "import acr_trusted.lint.arm",
        "prepare acr_trusted.lint.arm",
    ]


def test_files_a_failed_child_took_are_linted_here(monkeypatch: pytest.MonkeyPatch) -> None:
    """A real child takes the last file from its end, then dies: this process lints that file."""
    monkeypatch.setattr(processes, "cores", lambda: 2)
    monkeypatch.setattr(processes.threading, "active_count", lambda: 1)
    found, _ = engine.discover(_bad_examples())
    assert len(processes.plan(found, engine.TextCache())) == 2  # so a child runs
    alone = lint(_bad_examples(), config=LintConfig(), read_text=engine.TextCache())
    lint_from = engine._lint_from

    def dying(linter: Any, ends: processes.TwoEnds, from_end: bool) -> list[Any]:
        if not from_end:
            return lint_from(linter, ends, from_end)
        next(ends.take(from_end=True))  # in the child: a token spent, the file not linted
        raise RuntimeError("child killed")

    monkeypatch.setattr(engine, "_lint_from", dying)
    forked = lint(_bad_examples(), config=LintConfig(), read_text=engine.TextCache())
    assert forked.findings == alone.findings
    assert any(f.span.path.endswith("main.tf") for f in forked.findings)
