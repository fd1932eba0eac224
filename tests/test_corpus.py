"""Regression over ../shared/corpus: the linter's verdict on each hand-labelled registry.

Driven by the rows of ``MANIFEST.tsv``: a registry labelled network-restricted (or restricted by
its parameters' defaults) whose bypass resolves to ``None`` must give ACRT001; one whose bypass is
``AzureServices``, written or by default, must not. No file is special-cased in the linter; where
the issue or the rule docs say more than the labels (ACRT005, ACRT003, ACRT006), that is spelled
out in ``EXTRA`` below with the reason. Every corpus file must lint without an ACRT000.
``VARIANTS`` edit copies of real files as users do (bypass spelling and source, restriction,
SKU, API version) and check the verdicts follow the domain facts.
"""

from __future__ import annotations

import csv
import re
import shutil
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


@frozen
class Variant:
    """A real corpus file edited as users edit templates, and the verdicts the facts demand."""

    id: str
    local_file: str
    edits: tuple[tuple[str, str], ...]  # (old, new): each must occur in the file
    must: frozenset[str]
    never: frozenset[str]


STAMP_BICEP = "mspnp__aks-baseline/workload-team/acr-stamp.bicep"
STAMP_ARM = "mspnp__aks-baseline/acr-stamp.json"
AZURERM = "hashicorp__terraform-provider-azurerm/examples/container-registry/main.tf"
BYPASS_BICEP = "networkRuleBypassOptions: 'AzureServices'"
BYPASS_ARM = '"networkRuleBypassOptions": "AzureServices"'
SKU_TF = '  sku                 = "Standard"'
PE_CALL = "  public_network_access_enabled = false\n"
NO_NETWORK = frozenset({"ACRT001", "ACRT003", "ACRT005"})

VARIANTS = (
    Variant(
        "bicep-lower-case-none",
        STAMP_BICEP,
        ((BYPASS_BICEP, "networkRuleBypassOptions: 'none'"),),
        frozenset({"ACRT001"}),
        frozenset({"ACRT005"}),
    ),
    Variant(
        "bicep-none-from-param-default",
        STAMP_BICEP,
        (
            (BYPASS_BICEP, "networkRuleBypassOptions: bypass"),
            ("param location", "param bypass string = 'None'\n\nparam location"),
        ),
        frozenset({"ACRT001", "ACRT005"}),
        frozenset(),
    ),
    Variant(
        "bicep-unrestricted-none",
        STAMP_BICEP,
        (
            (BYPASS_BICEP, "networkRuleBypassOptions: 'None'"),
            ("publicNetworkAccess: 'Disabled'", "publicNetworkAccess: 'Enabled'"),
            ("defaultAction: 'Deny'", "defaultAction: 'Allow'"),
            (
                "privateLinkServiceId: acrAks.id",
                "privateLinkServiceId: resourceId('Microsoft.Storage/storageAccounts', 'st')",
            ),
        ),
        frozenset(),
        NO_NETWORK,
    ),
    Variant(
        "arm-none-on-standard",
        STAMP_ARM,
        ((BYPASS_ARM, '"networkRuleBypassOptions": "None"'), ('"Premium"', '"Standard"')),
        frozenset({"ACRT001", "ACRT003"}),
        frozenset(),
    ),
    Variant(
        "arm-bypass-param-without-default",
        STAMP_ARM,
        (
            (BYPASS_ARM, '"networkRuleBypassOptions": "[parameters(\'bypass\')]"'),
            ('"parameters": {', '"parameters": {\n        "bypass": {"type": "string"},'),
        ),
        frozenset(),
        frozenset({"ACRT001", "ACRT005"}),
    ),
    Variant(
        "quickstart-defaults-restrict-a-premium-registry",
        f"{QUICKSTART}/main.bicep",
        (
            ("param acrSku string = 'Basic'", "param acrSku string = 'Premium'"),
            ("publicNetworkAccess string = 'Enabled'", "publicNetworkAccess string = 'Disabled'"),
        ),
        frozenset({"ACRT001", "ACRT005"}),
        frozenset({"ACRT003"}),
    ),
    Variant(
        "quickstart-arm-safe-default",
        f"{QUICKSTART}/azuredeploy.json",
        (('"defaultValue": "None"', '"defaultValue": "AzureServices"'),),
        frozenset(),
        NO_NETWORK,
    ),
    Variant(
        "avm-tf-explicit-azure-services",
        f"{AVM_TF}/examples/private-endpoint/main.tf",
        ((PE_CALL, PE_CALL + '  network_rule_bypass_option = "AzureServices"\n'),),
        frozenset(),
        NO_NETWORK,
    ),
    Variant(
        "avm-tf-none-from-callers-variable-default",
        f"{AVM_TF}/examples/private-endpoint/main.tf",
        (
            (PE_CALL, PE_CALL + "  network_rule_bypass_option = var.bypass\n"),
            (
                'module "containerregistry"',
                'variable "bypass" {\n  default = "None"\n}\n\nmodule "containerregistry"',
            ),
        ),
        frozenset({"ACRT001", "ACRT005"}),
        frozenset(),
    ),
    Variant(
        "azurerm-rule-set-attribute-syntax",
        AZURERM,
        (
            (
                SKU_TF,
                '  sku = "Premium"\n  network_rule_bypass_option = "None"\n'
                '  network_rule_set = [{ default_action = "Deny", ip_rule = [] }]',
            ),
        ),
        frozenset({"ACRT001"}),
        frozenset({"ACRT003"}),
    ),
    Variant(
        "azurerm-standard-without-public-access",
        AZURERM,
        ((SKU_TF, SKU_TF + "\n  public_network_access_enabled = false"),),
        frozenset({"ACRT003"}),
        frozenset({"ACRT001"}),
    ),
    Variant(
        "checkov-arm-premium-current-api-none",
        f"{CHECKOV_ARM}/fail.json",
        (
            ('"Basic"', '"Premium"'),
            ('"2019-05-01"', '"2025-11-01"'),
            ('"AzureServices"', '"None"'),
        ),
        frozenset({"ACRT001"}),
        frozenset({"ACRT003", "ACRT006"}),
    ),
)


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.id)
def test_variants_of_real_files(variant: Variant, shared_dir: Path, tmp_path: Path) -> None:
    """An edited copy of a real file (its repository folder beside it, for modules and
    parameter files) gets the verdicts the domain facts give, and nothing unknown is an error."""
    corpus = shared_dir / "corpus"
    repository = variant.local_file.split("/")[0]
    shutil.copytree(corpus / repository, tmp_path / repository)
    target = tmp_path / variant.local_file
    text = target.read_text(encoding="utf-8-sig")
    for old, new in variant.edits:
        assert old in text, f"{variant.id}: {old!r} is no longer in {variant.local_file}"
        text = text.replace(old, new, 1)
    target.write_text(text, encoding="utf-8")
    findings = lint([target], config=LintConfig()).findings
    rules = {f.rule for f in findings}
    assert variant.must <= rules, findings
    assert not variant.never & rules, findings
    assert {f.rule for f in findings if f.severity is Severity.ERROR} <= variant.must, findings
