"""Regression over ../shared/corpus: the linter's verdict on each hand-labelled registry.

Driven by the rows of ``MANIFEST.tsv``: a registry labelled network-restricted (or restricted by
its parameters' defaults) whose bypass resolves to ``None`` must give ACRT001; one whose bypass is
``AzureServices``, written or by default, must not. No file is special-cased in the linter; where
the issue or the rule docs say more than the labels (ACRT005, ACRT003, ACRT006), that is spelled
out in ``EXTRA`` below with the reason. Every corpus file must lint without an ACRT000.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from pathlib import Path

import pytest
from attrs import frozen

from acr_trusted.lint.config import LintConfig
from acr_trusted.lint.engine import lint
from acr_trusted.lint.findings import Finding, Severity

from .conftest import CORPUS


@frozen
class Row:
    local_file: str
    symbol: str | None  # None: a parameter file, judged as a whole
    restricted: bool | None  # None: the row declares no registry (n/a)
    bypass_none: bool

    @property
    def expects_acrt001(self) -> bool:
        return bool(self.restricted) and self.bypass_none


def restricted(label: str) -> bool | None:
    """``yes ...`` / ``no ...`` / ``depends-on-param:... (-> yes|no with the defaults)``."""
    if label.startswith("n/a"):
        return None
    if label.startswith("depends-on-param"):
        verdict = re.search(r"->\s*(?:defaults\s+)?(yes|no)\b", label)
        assert verdict, f"cannot read the default verdict of {label!r}"
        return verdict.group(1) == "yes"
    return label.startswith("yes")


def bypass_none(label: str) -> bool:
    """Does the bypass label resolve (with defaults) to ``None``?

    ``AzureServices (explicit)``, ``default (... AzureServices)``, ``param:x (default None)``,
    ``default -> module default "None"``, ``conditional: c ? ... (default -> AzureServices)``.
    """
    if label.startswith("AzureServices"):
        return False
    resolved = re.findall(r'default\W+(?:module default\W+)?"?(\w+)', label)
    return "None" in resolved


def symbol(label: str) -> str | None:
    """``acr (module ...)`` -> ``acr``; ARM name expressions stay whole; param files -> None."""
    if label.startswith("("):
        return None
    if label.startswith("["):
        return label
    return label.split(" (")[0]


def manifest_rows() -> list[Row]:
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.is_file():
        return []
    with manifest.open(encoding="utf-8", newline="") as handle:
        return [
            Row(
                local_file=r["local_file"],
                symbol=symbol(r["registry_symbol"]),
                restricted=restricted(r["network_restricted"]),
                bypass_none=bypass_none(r["bypass"]),
            )
            for r in csv.DictReader(handle, delimiter="\t")
        ]


ROWS = manifest_rows()

AVM_TF = "Azure__terraform-azurerm-avm-res-containerregistry-registry"
AVM_BICEP = "Azure__bicep-registry-modules/avm/res/container-registry/registry"
QUICKSTART = (
    "Azure__azure-quickstart-templates/quickstarts/microsoft.containerregistry/"
    "container-registry-with-policies-and-diagnostics"
)
CHECKOV_ARM = (
    "bridgecrewio__checkov/tests/arm/checks/resource/example_ACRPublicNetworkAccessDisabled"
)

# What must also (not) be reported, beyond ACRT001 -- rule ids that must appear, per file.
EXTRA: Mapping[str, frozenset[str]] = {
    # bypass parameter defaults to None and the restriction is a parameter: the unsafe default
    f"{QUICKSTART}/main.bicep": frozenset({"ACRT005"}),
    f"{QUICKSTART}/azuredeploy.json": frozenset({"ACRT005"}),
    # the prime true positive: restricted, and None comes from the module's variable default
    f"{AVM_TF}/examples/private-endpoint/main.tf": frozenset({"ACRT001", "ACRT005"}),
    # the module's own template: its inputs vary, and its bypass default is None
    f"{AVM_TF}/main.tf": frozenset({"ACRT005"}),
    # restricted, and an ACR task passed through the module's `tasks` input runs outside an
    # agent pool; the module cannot set networkRuleBypassAllowedForTasks
    f"{AVM_BICEP}/tests/e2e/max/main.test.bicep": frozenset({"ACRT002"}),
    # Standard / Basic with network rules, under 2019-05-01 which predates the properties used
    f"{CHECKOV_ARM}/pass.json": frozenset({"ACRT003", "ACRT006"}),
    f"{CHECKOV_ARM}/fail.json": frozenset({"ACRT003", "ACRT006"}),
}

# Labelled "should not flag, or at most warn": nothing at error level.
AT_MOST_WARN = (f"{AVM_TF}/examples/default/main.tf", f"{AVM_TF}/examples/low-cost/main.tf")


@pytest.fixture(scope="module")
def findings_by_file() -> dict[str, list[Finding]]:
    """Lint every corpus file once, in one run, as the hook would see them."""
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not beside this checkout")
    files = sorted({row.local_file for row in ROWS})
    result = lint([CORPUS / f for f in files], config=LintConfig())
    by_file: dict[str, list[Finding]] = {f: [] for f in files}
    for finding in result.findings:
        local = Path(finding.span.path).resolve().relative_to(CORPUS.resolve())
        by_file.setdefault(local.as_posix(), []).append(finding)
    return by_file


def test_manifest_is_read() -> None:
    """The manifest parses into rows with both verdicts represented."""
    if not ROWS:
        pytest.skip("../shared/corpus is not beside this checkout")
    assert any(row.expects_acrt001 for row in ROWS)
    assert any(row.restricted and not row.bypass_none for row in ROWS)


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r.local_file}::{r.symbol or 'parameters'}")
def test_acrt001_follows_the_label(row: Row, findings_by_file: dict[str, list[Finding]]) -> None:
    """Restricted + bypass None gives ACRT001 on that registry; AzureServices never does."""
    if row.restricted is None:
        return  # declarations only (variables file): nothing to judge
    flagged = {f.resource for f in findings_by_file[row.local_file] if f.rule == "ACRT001"}
    if row.symbol is None:
        assert bool(flagged) is row.expects_acrt001, flagged
    else:
        assert (row.symbol in flagged) is row.expects_acrt001, flagged


@pytest.mark.parametrize("local_file", sorted({r.local_file for r in ROWS}))
def test_no_parse_errors(local_file: str, findings_by_file: dict[str, list[Finding]]) -> None:
    """Every real-world file parses (ACRT000 would mean a loader cannot read it)."""
    assert [f for f in findings_by_file[local_file] if f.rule == "ACRT000"] == []


@pytest.mark.parametrize(("local_file", "expected"), sorted(EXTRA.items()))
def test_other_rules_on_labelled_files(
    local_file: str, expected: frozenset[str], findings_by_file: dict[str, list[Finding]]
) -> None:
    """The issue's named cases: unsafe defaults, Premium and API-version problems."""
    assert expected <= {f.rule for f in findings_by_file[local_file]}


@pytest.mark.parametrize("local_file", AT_MOST_WARN)
def test_unrestricted_module_defaults_are_at_most_warnings(
    local_file: str, findings_by_file: dict[str, list[Finding]]
) -> None:
    """AVM Terraform examples/default and low-cost: None has no effect while unrestricted."""
    errors = [f for f in findings_by_file[local_file] if f.severity is Severity.ERROR]
    assert errors == []
