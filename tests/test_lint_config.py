from __future__ import annotations

from pathlib import Path

import pytest

from acr_trusted.lint.config import (
    ConfigError,
    LintConfig,
    find_config,
    load_config_file,
    parse_rule_list,
    parse_suppressions,
    suppress,
)
from acr_trusted.lint.findings import Finding, Severity
from acr_trusted.lint.model import Span

PYPROJECT = """
[project]
name = "infra"

[tool.acr-trusted.lint]
select = ["ACRT001", "ACRT011"]
ignore = "ACRT004"
severity = { ACRT011 = "warning" }
fail-level = "warning"
param-files = ["params/prod.bicepparam"]
strict = true
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_pyproject_section_is_read(tmp_path: Path) -> None:
    config = load_config_file(write(tmp_path / "pyproject.toml", PYPROJECT))
    assert config.select == {"ACRT001", "ACRT011"}
    assert config.ignore == {"ACRT004"}
    assert config.severity == {"ACRT011": Severity.WARNING}
    assert config.fail_level is Severity.WARNING
    assert config.param_files == (tmp_path / "params/prod.bicepparam",)
    assert config.strict is True
    assert config.source == tmp_path / "pyproject.toml"


@pytest.mark.parametrize(
    "text",
    [
        'select = ["ACRT001"]\nfail_level = "note"',
        '[lint]\nselect = ["ACRT001"]\nfail-level = "note"',
    ],
)
def test_dotfile_takes_top_level_keys_or_a_lint_table(tmp_path: Path, text: str) -> None:
    config = load_config_file(write(tmp_path / ".acr-trusted.toml", text))
    assert config.select == {"ACRT001"}
    assert config.fail_level is Severity.NOTE


def test_nearest_config_wins_and_dotfile_beats_pyproject(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.acr-trusted.lint]\nignore = ["ACRT004"]')
    write(tmp_path / "infra" / "pyproject.toml", '[project]\nname = "x"')  # no section: passed over
    write(tmp_path / "infra" / "app" / ".acr-trusted.toml", 'ignore = ["ACRT005"]')
    write(tmp_path / "infra" / "app" / "pyproject.toml", "[tool.acr-trusted.lint]\nstrict = true")
    assert find_config(tmp_path / "infra" / "app" / "main.bicep").ignore == {"ACRT005"}
    assert find_config(tmp_path / "infra" / "main.bicep").ignore == {"ACRT004"}


def test_search_stops_at_the_repository_root(tmp_path: Path) -> None:
    write(tmp_path / ".acr-trusted.toml", 'ignore = ["ACRT004"]')
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    assert find_config(tmp_path / "repo") == LintConfig()


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("pyproject.toml", "[tool.acr-trusted.lint]\nselct = []", "unknown key 'selct'"),
        (".acr-trusted.toml", "[lint]\nfail-levle = 'x'", "unknown key 'fail-levle' in [lint]"),
        (".acr-trusted.toml", 'select = ["ACRT001"]\n[lint]\nstrict = true', "outside [lint]"),
        (".acr-trusted.toml", 'select = ["ACRT999"]', "unknown rule id ACRT999"),
        (".acr-trusted.toml", 'severity = { ACRT001 = "fatal" }', "unknown severity 'fatal'"),
        (".acr-trusted.toml", 'fail-level = "high"', "unknown severity 'high'"),
        (".acr-trusted.toml", 'strict = "yes"', "'strict' in the top level must be true or false"),
        (".acr-trusted.toml", "select = [1]", "must be a string or a list of strings"),
        (".acr-trusted.toml", "select = [", "invalid TOML"),
    ],
)
def test_bad_config_is_a_clear_error_naming_file_and_key(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    path = write(tmp_path / name, text)
    with pytest.raises(ConfigError, match="^" + str(path).replace("\\", "\\\\")) as exc:
        load_config_file(path)
    assert message in str(exc.value)


def test_missing_config_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config_file(tmp_path / "nope.toml")


def test_rule_lists() -> None:
    assert parse_rule_list("acrt001, ACRT005,") == {"ACRT001", "ACRT005"}
    with pytest.raises(ConfigError, match="unknown rule id ACRT1"):
        parse_rule_list("ACRT1")


def test_command_line_overrides() -> None:
    base = LintConfig(select=frozenset({"ACRT001"}), ignore=frozenset({"ACRT004"}))
    merged = base.with_overrides(
        select=frozenset({"ACRT002"}),
        ignore=frozenset({"ACRT005"}),
        fail_level=Severity.NOTE,
        param_files=[Path("p.tfvars")],
        strict=True,
    )
    assert merged.select == {"ACRT002"}
    assert merged.ignore == {"ACRT004", "ACRT005"}
    assert merged.fail_level is Severity.NOTE
    assert merged.param_files == (Path("p.tfvars"),)
    assert merged.strict
    assert base.with_overrides() == base


def test_enabled_and_fails() -> None:
    config = LintConfig()
    assert config.enabled("ACRT001")
    assert not config.enabled("ACRT011")
    assert not config.enabled("ACRT099")
    assert LintConfig(strict=True).enabled("ACRT099")
    span = Span.point("a.bicep", 1)
    warning = Finding("ACRT004", Severity.WARNING, span, "m")
    error = Finding("ACRT001", Severity.ERROR, span, "m")
    assert not config.fails(warning)
    assert config.fails(error)
    assert LintConfig(fail_level=Severity.WARNING).fails(warning)
    assert not config.fails(Finding("ACRT001", Severity.ERROR, span, "m", suppressed=True))


def test_parse_suppressions_by_line() -> None:
    text = (
        "resource acr 'x' = {\n"
        "  // acr-trusted: ignore[ACRT001, ACRT005] - registry for break-glass only\n"
        "  networkRuleBypassOptions: 'None'\n"
        "  x: 1 # acr-trusted: ignore[ACRT004]\n"
        "}\n"
    )
    found = parse_suppressions(text)
    assert sorted(found) == [2, 4]
    (first,) = found[2]
    assert first.rules == {"ACRT001", "ACRT005"}
    assert first.reason == "registry for break-glass only"
    assert found[4][0].reason == ""


def test_suppress_with_and_without_reason() -> None:
    comments = parse_suppressions("// acr-trusted: ignore[ACRT001]\nx\n")
    finding = Finding("ACRT001", Severity.ERROR, Span.point("a", 2), "blocked")
    kept = suppress(finding, comments)
    assert not kept.suppressed
    assert kept.message.startswith("blocked (not suppressed: the comment on line 1")
    done = suppress(finding, {}, {"ACRT001": "approved in CHG-1"})
    assert done.suppressed
    assert done.suppression_reason == "approved in CHG-1"
    empty = suppress(finding, {}, {"ACRT001": " "})
    assert not empty.suppressed
    assert "the resource's metadata gives no reason" in empty.message
    assert suppress(finding, {}) is finding
