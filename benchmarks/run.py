"""``make bench``: acr-trusted-lint against checkov, whole processes on the same inputs.

1. the real-world corpus (``../shared/corpus``) in one process, against ``checkov -d`` with the
   arm, bicep and terraform frameworks, offline (target: at least 20x faster);
2. one irrelevant file, the common pre-commit run (target: under 100 ms), and one Bicep
   registry file, cold (target: under 700 ms);
3. generated trees of 2,500, 5,000 and 10,000 IaC files of which 1% declare registries (target
   for 10,000: under 10 s and 300 MB peak RSS, and the cost per file flat as the tree grows).

checkov is installed into its own virtualenv under ``benchmarks/.work`` (gitignored) on first
run, from the package registry. It runs offline: ``--skip-download``, ``BC_SKIP_MAPPING``,
``CKV_SKIP_PACKAGE_UPDATE_CHECK``, no API key, no external module download.
Timings are wall-clock medians; peak RSS is the child's own ``ru_maxrss`` from ``os.wait4``
(the per-child figure that ``getrusage(RUSAGE_CHILDREN)`` aggregates as a running maximum).
For the comparison the two tools take turns (a checkov run, then a few acr-trusted-lint runs,
per round), so that a machine whose speed drifts -- a shared or throttled one -- slows both
alike; each round's ratio is printed besides the ratio of the medians.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
import venv
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / ".work"
CORPUS = ROOT.parent / "shared" / "corpus"
CHECKOV_VENV = WORK / "checkov-venv"
LINT = Path(sys.executable).parent / "acr-trusted-lint"
SIZES = (2_500, 5_000, 10_000)
OFFLINE_ENV = {
    "BC_SKIP_MAPPING": "TRUE",
    "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true",
    "BC_API_KEY": "",
    "PRISMA_API_URL": "",
}


def measure(argv: Sequence[str], *, env: dict[str, str] | None = None) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of one run of ``argv``, output discarded."""
    start = time.perf_counter()
    process = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env or None
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 1):
        raise SystemExit(f"{argv[0]} exited {process.returncode}: {' '.join(argv)}")
    rss_mb = usage.ru_maxrss / 1024  # kilobytes on Linux
    return elapsed, rss_mb


def median_of(
    argv: Sequence[str], runs: int, env: dict[str, str] | None = None
) -> tuple[float, float]:
    results = [measure(argv, env=env) for _ in range(runs)]
    return statistics.median(t for t, _ in results), max(r for _, r in results)


def compare(
    ours: Sequence[str],
    theirs: Sequence[str],
    rounds: int,
    per_round: int,
    env: dict[str, str],
) -> tuple[float, float, float, list[float]]:
    """(our median, our peak RSS, their median, each round's ratio), the tools taking turns."""
    mine: list[float] = []
    other: list[float] = []
    ratios: list[float] = []
    peak = 0.0
    for _ in range(rounds):
        other.append(measure(theirs, env=env)[0])
        runs = [measure(ours) for _ in range(per_round)]
        mine += [t for t, _ in runs]
        peak = max(peak, *(r for _, r in runs))
        ratios.append(other[-1] / statistics.median(t for t, _ in runs))
    return statistics.median(mine), peak, statistics.median(other), ratios


def checkov() -> Path:
    """The checkov executable, installed into its own virtualenv on first use."""
    exe = CHECKOV_VENV / "bin" / "checkov"
    if not exe.exists():
        print(f"installing checkov into {CHECKOV_VENV} (first run only; a few minutes)...")
        venv.create(CHECKOV_VENV, with_pip=True, clear=True)
        pip = [str(CHECKOV_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, "checkov"], check=True)
    return exe


def checkov_argv(exe: Path, directory: Path) -> list[str]:
    return [
        str(exe),
        "-d",
        str(directory),
        "--framework",
        "arm",
        "bicep",
        "terraform",
        "--skip-download",
        "--download-external-modules",
        "false",
        "--quiet",
        "--compact",
    ]


# -- the generated tree -----------------------------------------------------------------------

STORAGE_BICEP = """\
param location string = resourceGroup().location
param name string = 'st{i:05d}'

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {{
  name: name
  location: location
  sku: {{
    name: 'Standard_LRS'
  }}
  kind: 'StorageV2'
  properties: {{
    minimumTlsVersion: 'TLS1_2'
    allowBlobPublicAccess: false
    networkAcls: {{
      bypass: 'AzureServices'
      defaultAction: 'Deny'
    }}
  }}
}}

output id string = storage.id
"""
VNET_TF = """\
variable "location" {{
  type    = string
  default = "westeurope"
}}

resource "azurerm_resource_group" "rg{i}" {{
  name     = "rg-app-{i:05d}"
  location = var.location
}}

resource "azurerm_virtual_network" "vnet{i}" {{
  name                = "vnet-{i:05d}"
  address_space       = ["10.{a}.0.0/16"]
  location            = azurerm_resource_group.rg{i}.location
  resource_group_name = azurerm_resource_group.rg{i}.name
}}

resource "azurerm_subnet" "snet{i}" {{
  name                 = "snet-app"
  resource_group_name  = azurerm_resource_group.rg{i}.name
  virtual_network_name = azurerm_virtual_network.vnet{i}.name
  address_prefixes     = ["10.{a}.1.0/24"]
}}
"""
KEYVAULT_JSON = """\
{{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "parameters": {{
    "location": {{ "type": "string", "defaultValue": "[resourceGroup().location]" }}
  }},
  "resources": [
    {{
      "type": "Microsoft.KeyVault/vaults",
      "apiVersion": "2023-07-01",
      "name": "kv-{i:05d}",
      "location": "[parameters('location')]",
      "properties": {{
        "tenantId": "[subscription().tenantId]",
        "sku": {{ "family": "A", "name": "standard" }},
        "enableRbacAuthorization": true,
        "networkAcls": {{ "bypass": "AzureServices", "defaultAction": "Deny" }}
      }}
    }}
  ]
}}
"""
REGISTRY_BICEP = """\
param location string = resourceGroup().location
param subnetId string

resource acr 'Microsoft.ContainerRegistry/registries@2025-11-01' = {{
  name: 'acr{i:05d}'
  location: location
  sku: {{
    name: 'Premium'
  }}
  properties: {{
    publicNetworkAccess: 'Disabled'
    networkRuleBypassOptions: '{bypass}'
  }}
}}

resource pe 'Microsoft.Network/privateEndpoints@2023-11-01' = {{
  name: 'pe-acr{i:05d}'
  location: location
  properties: {{
    subnet: {{
      id: subnetId
    }}
    privateLinkServiceConnections: [
      {{
        name: 'registry'
        properties: {{
          privateLinkServiceId: acr.id
          groupIds: [
            'registry'
          ]
        }}
      }}
    ]
  }}
}}
"""
REGISTRY_TF = """\
resource "azurerm_container_registry" "acr{i}" {{
  name                          = "acr{i:05d}"
  resource_group_name           = "rg-registry"
  location                      = "westeurope"
  sku                           = "Premium"
  public_network_access_enabled = false
  network_rule_bypass_option    = "{bypass}"
}}
"""
IRRELEVANT = ((".bicep", STORAGE_BICEP), (".tf", VNET_TF), (".json", KEYVAULT_JSON))
RELEVANT = ((".bicep", REGISTRY_BICEP), (".tf", REGISTRY_TF))


def generate_tree(count: int) -> Path:
    """``count`` files in 100-file directories; every 100th declares a registry."""
    root = WORK / f"tree-{count}"
    if root.is_dir() and sum(1 for _ in root.rglob("*.*")) == count:
        return root
    shutil.rmtree(root, ignore_errors=True)
    rng = random.Random(count)
    for i in range(count):
        directory = root / f"team-{i // 100:03d}" / f"stack-{i % 100 // 10}"
        directory.mkdir(parents=True, exist_ok=True)
        if i % 100 == 50:
            suffix, template = RELEVANT[(i // 100) % 2]
        else:
            suffix, template = IRRELEVANT[i % 3]
        bypass = rng.choice(("None", "AzureServices"))
        text = template.format(i=i, a=i % 250, bypass=bypass)
        (directory / f"file-{i:05d}{suffix}").write_text(text, encoding="utf-8")
    return root


# -- the report -------------------------------------------------------------------------------


def row(name: str, ours: float, rss: float, target: str, other: float | None = None) -> str:
    theirs = f"{other:8.2f} s" if other is not None else " " * 10
    ratio = f"{other / ours:7.1f}x" if other is not None else " " * 8
    return f"{name:<42} {ours * 1000:9.0f} ms {rss:7.0f} MB {theirs} {ratio}   {target}"


def _ratios(ratios: Sequence[float]) -> str:
    return ", ".join(f"{r:.1f}x" for r in ratios)


def byte_compile() -> None:
    """Compile acr-trusted's modules, as installing a package does.

    pip byte-compiles what it installs (checkov's modules load compiled); an editable install
    does not, and with ``PYTHONDONTWRITEBYTECODE`` set every timed run would compile the linter
    from source again.
    """
    import compileall

    compileall.compile_dir(ROOT / "acr_trusted", quiet=1)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each acr-trusted-lint case")
    parser.add_argument("--checkov-runs", type=int, default=3, help="runs of checkov")
    parser.add_argument("--skip-checkov", action="store_true", help="time acr-trusted-lint only")
    args = parser.parse_args(argv)
    if not CORPUS.is_dir():
        print(f"the corpus is not at {CORPUS}; nothing to compare", file=sys.stderr)
        return 2
    WORK.mkdir(exist_ok=True)
    byte_compile()
    env = {**os.environ, **OFFLINE_ENV}
    lint = [str(LINT), "--format", "json"]
    print(
        f"{'case':<42} {'acr-trusted-lint':>15} {'peak':>8} {'checkov':>10} {'ratio':>8}   target"
    )
    theirs = None
    ratios: list[float] = []
    if args.skip_checkov:
        ours, rss = median_of([*lint, str(CORPUS)], args.runs)
    else:
        per_round = max(1, -(-args.runs // args.checkov_runs))
        checkov_run = checkov_argv(checkov(), CORPUS)
        ours, rss, theirs, ratios = compare(
            [*lint, str(CORPUS)], checkov_run, args.checkov_runs, per_round, env
        )
    print(row("corpus (30 files), one process", ours, rss, ">= 20x faster", theirs))
    if ratios:
        print(f"  ratio per round (checkov / our median that round): {_ratios(ratios)}")

    irrelevant = WORK / "irrelevant" / "storage.bicep"
    irrelevant.parent.mkdir(exist_ok=True)
    irrelevant.write_text(STORAGE_BICEP.format(i=1), encoding="utf-8")
    ours, rss = median_of([*lint, str(irrelevant)], max(args.runs, 10))
    print(row("one irrelevant file", ours, rss, "< 100 ms"))
    registry = CORPUS / "mspnp__aks-baseline" / "workload-team" / "acr-stamp.bicep"
    ours, rss = median_of([*lint, str(registry)], args.runs)
    print(row("one Bicep registry file, cold", ours, rss, "< 700 ms"))

    per_file = []
    for size in SIZES:
        tree = generate_tree(size)
        ours, rss = median_of([*lint, str(tree)], max(1, args.runs // 2))
        per_file.append(ours / size)
        target = "< 10 s, < 300 MB" if size == 10_000 else ""
        print(row(f"generated tree, {size:,} files (1% registries)", ours, rss, target))
    growth = per_file[-1] / per_file[0]
    print(
        f"cost per file: {', '.join(f'{p * 1e6:.0f} us' for p in per_file)} "
        f"({growth:.2f}x from {SIZES[0]:,} to {SIZES[-1]:,} files; 1.0 is linear)"
    )
    print("\nfleet audit (benchmarks/audit_bench.py):")
    return subprocess.run([sys.executable, str(HERE / "audit_bench.py")], check=False).returncode


if __name__ == "__main__":
    raise SystemExit(main())
