from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from acr_trusted.lint.scan import (
    TextCache,
    config_file_near,
    discover,
    format_of,
    is_relevant,
    nothing_to_parse,
    parameter_file_templates,
)

from .conftest import CORPUS
from .lint_fakes import write


@pytest.fixture
def chdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


# -- discovery and display paths ------------------------------------------------------------


def test_directory_walk_skips_vcs_vendored_and_provider_dirs(chdir: Path) -> None:
    for rel in (
        "infra/main.bicep",
        "infra/params.bicepparam",
        "infra/azuredeploy.json",
        "infra/tf/main.tf",
        "infra/tf/prod.tfvars",
        "infra/tf/x.tf.json",
        "infra/tf/.terraform/modules/acr/main.tf",
        "infra/tf/.terraform/providers/registry/x.tf",
        "infra/.git/hooks/x.json",
        "infra/node_modules/pkg/package.json",
        "infra/README.md",
        "infra/script.sh",
    ):
        write(chdir / rel, "x")
    found, missing = discover([Path("infra")])
    assert missing == []
    assert sorted(found) == [
        "infra/azuredeploy.json",
        "infra/main.bicep",
        "infra/params.bicepparam",
        "infra/tf/.terraform/modules/acr/main.tf",
        "infra/tf/main.tf",
        "infra/tf/prod.tfvars",
        "infra/tf/x.tf.json",
    ]


def test_display_paths_relative_to_the_directory_arguments_parent(tmp_path: Path) -> None:
    write(tmp_path / "repo" / "infra" / "main.bicep", "x")
    found, _ = discover([tmp_path / "repo" / "infra"])
    assert list(found) == ["infra/main.bicep"]


def test_current_directory_gives_paths_relative_to_it(chdir: Path) -> None:
    write(chdir / "infra" / "main.bicep", "x")
    assert list(discover([Path(".")])[0]) == ["infra/main.bicep"]


def test_file_arguments_are_shown_as_given_and_linted_once(chdir: Path) -> None:
    write(chdir / "infra" / "main.bicep", "x")
    found, _ = discover([Path("infra/main.bicep"), Path("infra"), Path("./infra/main.bicep")])
    assert list(found) == ["infra/main.bicep"]


def test_unhandled_file_argument_is_ignored_and_missing_ones_are_listed(chdir: Path) -> None:
    write(chdir / "notes.txt", "registry")
    found, missing = discover([Path("notes.txt"), Path("gone.bicep")])
    assert found == {}
    assert missing == ["gone.bicep"]


# -- routing and the pre-filter -------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "fmt"),
    [
        ("main.bicep", "", "bicep"),
        ("main.bicepparam", "", "bicep"),
        ("main.tf", "", "terraform"),
        ("terraform.tfvars", "", "terraform"),
        ("prod.auto.tfvars", "", "terraform"),
        ("main.tf.json", "{}", "terraform"),
        ("vars.tfvars.json", "{}", "terraform"),
        ("azuredeploy.json", '{"resources": []}', "arm"),
        ("MAIN.JSON", "{}", "arm"),
        ("out.json", '{"format_version": "1.2", "planned_values": {}}', "terraform"),
        ("out.json", '{"format_version":"1.2","resource_changes":[]}', "terraform"),
        ("readme.md", "", None),
    ],
)
def test_format_routing(name: str, text: str, fmt: str | None) -> None:
    assert format_of(Path(name), text) == fmt


@pytest.mark.parametrize(
    "text",
    [
        "resource acr 'Microsoft.ContainerRegistry/registries@2023-07-01' = {",
        'resource "azurerm_container_registry" "this" {',
        "image: 'myreg.azurecr.io/app:1'",
        "module reg 'br/public:avm/res/container-registry/registry:0.9.3' = {",
        "module registry '../../../main.bicep' = {",
        "module stamp './stamp.bicep' = {",
        "using './main.bicep'",
        'module "containerregistry" {\n  source = "../../"\n}',
        'module "x" {\n  source = "./modules/x"\n}',
        '{"module": {"x": {"source": "./m"}}}',
        '"templateLink": {"relativePath": "nested/acr.json"}',
        '"templateLink": {"uri": "[uri(parameters(\'base\'), \'b.json\')]"}',
        '{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/'
        'deploymentParameters.json#"}',
    ],
)
def test_prefilter_keeps_registry_files_and_local_module_calls(text: str) -> None:
    assert is_relevant(text)


@pytest.mark.parametrize(
    "text",
    [
        "resource sa 'Microsoft.Storage/storageAccounts@2023-01-01' = {",
        'resource "azurerm_storage_account" "sa" {\n  source_content = "x"\n}',
        "module kv 'br/public:avm/res/key-vault/vault:0.9.0' = {",
        'module "net" {\n  source = "Azure/avm-res-network-virtualnetwork/azurerm"\n}',
        '{"name": "web", "version": "1.0.0"}',
    ],
)
def test_prefilter_skips_files_without_registry_tokens(text: str) -> None:
    assert not is_relevant(text)


def test_corpus_files_that_only_call_a_local_registry_module_pass_the_prefilter(
    shared_dir: Path,
) -> None:
    callers = [
        *CORPUS.glob(
            "Azure__bicep-registry-modules/avm/res/container-registry/registry/tests/e2e/*/main.test.bicep"
        ),
        *CORPUS.glob(
            "Azure__terraform-azurerm-avm-res-containerregistry-registry/examples/*/main.tf"
        ),
    ]
    assert len(callers) >= 7
    for file in callers:
        assert is_relevant(file.read_text(encoding="utf-8")), file


def test_every_labelled_corpus_file_passes_the_prefilter(shared_dir: Path) -> None:
    rows = (CORPUS / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()[1:]
    for row in rows:
        file = CORPUS / row.split("\t")[0]
        assert is_relevant(file.read_text(encoding="utf-8-sig")), file


def test_text_cache_reads_once_drops_the_bom_and_keeps_crlf(tmp_path: Path) -> None:
    path = write(tmp_path / "a.json", b"\xef\xbb\xbf{\r\n}")
    cache = TextCache()
    assert cache(path) == "{\r\n}"
    path.write_text("changed", encoding="utf-8")
    assert cache(tmp_path / "." / "a.json") == "{\r\n}"
    with pytest.raises(UnicodeDecodeError):
        cache(write(tmp_path / "b.json", b"\xff"))


def test_nothing_to_parse(tmp_path: Path) -> None:
    storage = write(
        tmp_path / "s.bicep", "resource sa 'Microsoft.Storage/storageAccounts@2023-01-01' = {}"
    )
    acr = write(tmp_path / "a.tf", 'resource "azurerm_container_registry" "acr" {}')
    binary = write(tmp_path / "b.json", b"\xff\xfe")
    assert nothing_to_parse({"s.bicep": storage}, TextCache())
    assert not nothing_to_parse({"s.bicep": storage, "a.tf": acr}, TextCache())
    assert not nothing_to_parse({"b.json": binary}, TextCache())  # the engine reports it


def test_config_file_near(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    app = tmp_path / "infra" / "app"
    app.mkdir(parents=True)
    assert config_file_near(app) is None
    write(tmp_path / "pyproject.toml", "[tool.acr-trusted.lint]\nstrict = true\n")
    write(tmp_path / "infra" / "pyproject.toml", '[project]\ndependencies = ["acr-trusted"]\n')
    assert config_file_near(app / "main.bicep") == tmp_path / "pyproject.toml"
    write(app / "pyproject.toml", "[tool]\n'acr-trusted'.lint.strict = true\n")
    assert config_file_near(app) == app / "pyproject.toml"
    write(app / "pyproject.toml", '[tool."acr-trusted".lint]\nstrict = true\n')
    assert config_file_near(app) == app / "pyproject.toml"
    write(app / ".acr-trusted.toml", "strict = true\n")
    assert config_file_near(app / "main.bicep") == app / ".acr-trusted.toml"


def test_parameter_file_templates_most_specific_first() -> None:
    """The named template, then <name>.json / <name>.bicep, then the usual names beside a
    .test or tests folder (the Azure Resource Modules layout)."""
    base = Path("modules/registries")
    found = parameter_file_templates(base / ".test/pe.parameters.json", "../deploy.json")
    assert found[:3] == [
        base / ".test/../deploy.json",
        base / ".test/pe.json",
        base / ".test/pe.bicep",
    ]
    assert found[3:] == [
        base / name
        for name in ("deploy.bicep", "main.bicep", "main.json", "azuredeploy.json", "deploy.json")
    ]
    assert parameter_file_templates(Path("infra/azuredeploy.parameters.json")) == [
        Path("infra/azuredeploy.json"),
        Path("infra/azuredeploy.bicep"),
    ]
    assert parameter_file_templates(Path("infra/main.parameters.prod.json")) == [
        Path("infra/main.json"),
        Path("infra/main.bicep"),
    ]
    assert parameter_file_templates(Path("infra/values.json")) == []


_DOCUMENTED = re.compile(  # docs/lint.md, "The pre-filter"
    r"registr|azurecr|acr"
    r"|\bmodule\s+[A-Za-z_]\w*\s+'(?!br[:/]|ts[:/])"
    r"|\busing\s+'"
    r"|\bsource\"?\s*[=:]\s*\"\.\.?/"
    r"|templateLink|deploymentParameters",
    re.IGNORECASE,
)
_FRAGMENTS = [
    *("module", "MODULE", "using", "Using", "source", "reSource", "resource", "x", "_", "1"),
    *(" ", "\t", "\n", "'", '"', "=", ":", "./", "../", ".", "/", "br:", "br/", "ts/", "é"),
    *("acr", "AcR", "a", "cr", "registr", "azurecr", "templateLink", "deploymentparameters"),
]


@given(st.lists(st.sampled_from(_FRAGMENTS), max_size=12).map("".join))
def test_prefilter_agrees_with_the_documented_pattern(text: str) -> None:
    assert is_relevant(text) == bool(_DOCUMENTED.search(text))


def test_relevance_is_found_once_per_file(tmp_path: Path) -> None:
    cache = TextCache()
    acr, storage = tmp_path / "acr.bicep", tmp_path / "sa.bicep"
    write(acr, "resource acr 'Microsoft.ContainerRegistry/registries@2023-07-01' = {}")
    write(storage, "resource sa 'Microsoft.Storage/storageAccounts@2023-01-01' = {}")
    assert cache.relevant(acr)
    assert not cache.relevant(storage)
    acr.unlink()  # the answer, like the text, is kept for the run
    assert cache.relevant(acr)
