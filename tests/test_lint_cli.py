from __future__ import annotations

import functools
import json
import subprocess
import sys
from pathlib import Path

import pytest

from acr_trusted.lint import cli, engine

from .lint_fakes import fakes, marker_check, write

BAD = "resource acr 'x' = {\n  networkRuleBypassOptions: 'None' // EXPECT ACRT001\n}\n"
WARNS = "resource acr 'x' = { // EXPECT ACRT004\n}\n"
GOOD = "resource acr 'x' = {}\n"


@pytest.fixture(autouse=True)
def fake_linter(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Fake loaders and rules, and a working directory of our own (no stray config)."""
    fake = functools.partial(engine.lint, loaders=fakes(), check=marker_check)
    monkeypatch.setattr(engine, "lint", fake)
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)


def outputs(capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    captured = capsys.readouterr()
    return captured.out, captured.err


def test_clean_file_exits_0_with_a_summary(capsys: pytest.CaptureFixture[str]) -> None:
    write(Path("good.bicep"), GOOD)
    assert cli.main(["good.bicep"]) == 0
    out, err = outputs(capsys)
    assert out == ""
    assert err == "acr-trusted-lint: no findings (1 file scanned)\n"


def test_error_finding_exits_1_and_prints_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    write(Path("bad.bicep"), BAD)
    assert cli.main(["bad.bicep"]) == 1
    out, err = outputs(capsys)
    assert out == "bad.bicep:2:39: ACRT001 [error] ACRT001 here\n"
    assert "1 error in 1 file" in err


def test_fail_level_decides_whether_warnings_fail(capsys: pytest.CaptureFixture[str]) -> None:
    write(Path("warn.bicep"), WARNS)
    assert cli.main(["warn.bicep"]) == 0
    assert "ACRT004 [warning]" in outputs(capsys)[0]
    assert cli.main(["--fail-level", "warning", "warn.bicep"]) == 1
    write(Path(".acr-trusted.toml"), 'fail-level = "note"')
    assert cli.main(["warn.bicep"]) == 1


def test_select_and_ignore(capsys: pytest.CaptureFixture[str]) -> None:
    write(Path("bad.bicep"), BAD)
    assert cli.main(["--ignore", "ACRT001", "bad.bicep"]) == 0
    assert cli.main(["--select", "acrt004,ACRT005", "bad.bicep"]) == 0
    assert cli.main(["--select", "ACRT004", "--select", "ACRT001", "bad.bicep"]) == 1


@pytest.mark.parametrize(
    "argv",
    [
        ["--select", "ACRT001,ACRT1234", "x.bicep"],
        ["--ignore", "nope", "x.bicep"],
        ["--format", "xml", "x.bicep"],
        ["--fail-level", "fatal", "x.bicep"],
        [],
    ],
)
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    assert exc.value.code == 2
    assert "usage: acr-trusted-lint" in outputs(capsys)[1]


def test_unknown_rule_id_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--select", "ACRT001,ACRT1234", "x.bicep"])
    assert "unknown rule id ACRT1234" in outputs(capsys)[1]


def test_config_errors_exit_2_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    write(Path("good.bicep"), GOOD)
    write(Path("pyproject.toml"), "[tool.acr-trusted.lint]\nselcet = []\n")
    assert cli.main(["good.bicep"]) == 2
    out, err = outputs(capsys)
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("acr-trusted-lint: error: ")
    assert "pyproject.toml: unknown key 'selcet'" in err


def test_explicit_config_file_and_missing_param_file(capsys: pytest.CaptureFixture[str]) -> None:
    write(Path("bad.bicep"), BAD)
    write(Path("ci.toml"), '[lint]\nignore = ["ACRT001"]')
    assert cli.main(["--config", "ci.toml", "bad.bicep"]) == 0
    assert cli.main(["--param-file", "prod.bicepparam", "bad.bicep"]) == 2
    assert "parameter file not found: prod.bicepparam" in outputs(capsys)[1]


def test_missing_path_exits_2_but_the_rest_is_linted(capsys: pytest.CaptureFixture[str]) -> None:
    write(Path("bad.bicep"), BAD)
    assert cli.main(["gone.bicep", "bad.bicep"]) == 2
    out, err = outputs(capsys)
    assert "bad.bicep:2:39: ACRT001" in out
    assert "acr-trusted-lint: error: gone.bicep: no such file or directory" in err


def test_json_output_keeps_suppressed_findings(capsys: pytest.CaptureFixture[str]) -> None:
    write(Path("bad.bicep"), BAD.replace("// EXPECT", "// acr-trusted: ignore[ACRT001] ok EXPECT"))
    assert cli.main(["--format", "json", "bad.bicep"]) == 0
    out, err = outputs(capsys)
    (finding,) = json.loads(out)["findings"]
    assert finding["suppressed"] is True
    assert err == ""


def test_sarif_and_github_formats(capsys: pytest.CaptureFixture[str]) -> None:
    write(Path("bad.bicep"), BAD)
    assert cli.main(["--format", "sarif", "bad.bicep"]) == 1
    assert json.loads(outputs(capsys)[0])["version"] == "2.1.0"
    assert cli.main(["--format", "github", "bad.bicep"]) == 1
    assert outputs(capsys)[0].startswith("::error file=bad.bicep,line=2,col=39,")


def test_fix_rewrites_literals_and_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    path = write(Path("bad.bicep"), BAD.replace("\n", "\r\n"))
    assert cli.main(["--fix", "bad.bicep"]) == 1
    assert (
        path.read_bytes() == BAD.replace("'None'", "'AzureServices'").replace("\n", "\r\n").encode()
    )
    err = outputs(capsys)[1]
    assert "bad.bicep:2:29: fixed ACRT001: 'None' -> 'AzureServices'" in err
    # nothing left to fix: the second run changes nothing (the fake rule still reports)
    assert cli.main(["--fix", "bad.bicep"]) == 1
    assert "fixed" not in outputs(capsys)[1]


def test_fix_with_nothing_to_fix_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    write(Path("good.bicep"), GOOD)
    assert cli.main(["--fix", "good.bicep"]) == 0


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["--version"])
    assert exc.value.code == 0
    assert outputs(capsys)[0].startswith("acr-trusted-lint ")


def test_lint_path_imports_neither_azure_nor_attrs(tmp_path: Path) -> None:
    """The hook's start-up contract: linting never imports the Azure SDK, nor attrs and
    ``inspect`` (the linter's classes are :mod:`acr_trusted.records`, for start-up time)."""
    write(tmp_path / "main.tf", 'resource "azurerm_container_registry" "acr" {}\n')
    write(
        tmp_path / "main.bicep",
        "resource acr 'Microsoft.ContainerRegistry/registries@2023-07-01' = {}\n",
    )
    write(
        tmp_path / "azuredeploy.json",
        '{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/'
        'deploymentTemplate.json#", "resources": [{"type": '
        '"Microsoft.ContainerRegistry/registries", "apiVersion": "2023-07-01", "name": "acr"}]}\n',
    )
    code = (
        "import sys\n"
        "from acr_trusted.lint import processes\n"
        "from acr_trusted.lint.cli import main\n"
        "processes.cores = lambda: 1  # one process, so that it imports every loader\n"
        f"main([{str(tmp_path)!r}, '--format', 'json'])\n"
        "print('\\n'.join(sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    modules = set(out.split())
    assert {
        "acr_trusted.lint.arm",
        "acr_trusted.lint.bicep",
        "acr_trusted.lint.terraform",
    } <= modules
    assert not {m for m in modules if m.split(".")[0] in ("azure", "attr", "attrs", "inspect")}


def test_a_run_with_nothing_to_parse_imports_neither_the_model_nor_the_engine(
    tmp_path: Path,
) -> None:
    """The common pre-commit run (no registry in sight) pays for a read and a regex only."""
    write(
        tmp_path / "storage.bicep",
        "resource sa 'Microsoft.Storage/storageAccounts@2023-01-01' = {}",
    )
    code = (
        "import sys\n"
        "from acr_trusted.lint.cli import main\n"
        f"code = main([{str(tmp_path / 'storage.bicep')!r}, '--format', 'json'])\n"
        "print(code)\n"
        "print('\\n'.join(sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    assert '"files_scanned": 1' in out
    modules = set(out.split())
    assert "0" in modules
    assert not {"acr_trusted.lint.model", "acr_trusted.lint.engine"} & modules


def test_a_config_file_is_still_validated_when_nothing_needs_parsing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    write(Path("storage.bicep"), "param location string\n")
    assert cli.main(["storage.bicep"]) == 0
    write(Path(".acr-trusted.toml"), "fail-levle = 'note'\n")
    assert cli.main(["storage.bicep"]) == 2
    assert "unknown key 'fail-levle'" in outputs(capsys)[1]


def test_the_collector_is_tuned_for_the_run_and_restored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import gc

    seen: list[tuple[int, ...]] = []
    fake = engine.lint

    def recording(*args: object, **kwargs: object) -> object:
        seen.append(gc.get_threshold())
        return fake(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "lint", recording)
    write(Path("good.bicep"), GOOD)
    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    assert cli.main(["good.bicep"]) == 0
    assert seen == [(10_000, 20, 20)]
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == frozen


def test_the_console_script_flushes_its_output_and_exits_with_the_code() -> None:
    """``entry`` leaves with os._exit: the JSON must still be whole and the code right."""
    bad = Path(__file__).resolve().parents[1] / "examples" / "iac" / "bicep" / "bad.bicep"
    code = (
        "import sys\n"
        f"sys.argv = ['acr-trusted-lint', '--format', 'json', {str(bad)!r}]\n"
        "from acr_trusted.lint.cli import entry\n"
        "entry()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 1
    assert json.loads(done.stdout)["findings"]
    assert done.stderr == ""
