"""The Terraform loader (terraform.py): routing, module directories, tfvars, module calls, plans,
parse errors, the corpus and robustness."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acr_trusted.lint import terraform
from acr_trusted.lint.model import (
    ConsumerKind,
    FileModel,
    OriginKind,
    consumers_of,
    posture_of,
)
from acr_trusted.lint.rules import check
from tests.conftest import CORPUS
from tests.terraform_helpers import (
    ACR_HEAD,
    FIXTURES,
    P,
    context,
    load,
    load_files,
    registry,
)

AVM = CORPUS / "Azure__terraform-azurerm-avm-res-containerregistry-registry"


# -- routing -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("main.tf", True),
        ("main.tf.json", True),
        ("prod.tfvars", True),
        ("x.auto.tfvars.json", True),
        ("tfplan.json", True),
        ("azuredeploy.json", False),
        ("main.bicep", False),
    ],
)
def test_handles_by_name(name: str, expected: bool) -> None:
    assert terraform.handles(Path(name)) is expected


def test_is_plan_json_recognises_show_json_output() -> None:
    plan = json.loads((FIXTURES / "plan" / "tfplan.json").read_text())
    assert terraform.is_plan_json(plan)
    assert terraform.is_plan_json({"format_version": "1.2", "resource_changes": []})
    assert not terraform.is_plan_json({"$schema": "x", "resources": []})
    assert not terraform.is_plan_json([1, 2])


# -- variable values: tfvars and --param-file ----------------------------------------------------


def test_variable_defaults_and_tfvars_carry_their_origin() -> None:
    model = load(FIXTURES / "dynamic" / "main.tf")
    r = registry(model, "azurerm_container_registry.acr")
    bypass = r.get(P.BYPASS_OPTIONS)
    assert bypass.value == "None"
    assert bypass.origin.kind is OriginKind.PARAMETER_DEFAULT
    assert bypass.origin.span is not None
    assert bypass.origin.span.path.endswith("variables.tf")
    assert bypass.span is not None
    assert bypass.span.path.endswith("main.tf")
    assert not bypass.is_literal  # --fix never edits a value that comes from a variable
    # terraform.tfvars: restricted = true
    assert r.get(P.PUBLIC_NETWORK_ACCESS).value == "Disabled"
    assert "restricted" in r.get(P.PUBLIC_NETWORK_ACCESS).depends_on
    assert r.get(P.SKU).value == "Premium"
    # a local `restricted ? "Premium" : ...`: the tfvars value that chose the branch
    assert r.get(P.SKU).origin.kind is OriginKind.PARAMETER_VALUE
    assert r.get(P.SKU).origin.name == "restricted"


def test_param_file_tfvars_override_defaults() -> None:
    model = load(FIXTURES / "dynamic" / "main.tf", FIXTURES / "dynamic" / "env" / "prod.tfvars")
    bypass = registry(model, "azurerm_container_registry.acr").get(P.BYPASS_OPTIONS)
    assert bypass.value == "AzureServices"
    assert bypass.origin.kind is OriginKind.PARAMETER_VALUE
    assert bypass.origin.span is not None
    assert bypass.origin.span.path.endswith("prod.tfvars")


def test_tfvars_file_alone_only_reports_parse_errors(tmp_path: Path) -> None:
    good = tmp_path / "a.tfvars"
    good.write_text('bypass = "None"\n')
    assert load(good) == FileModel(good.as_posix(), "terraform", text='bypass = "None"\n')
    bad = tmp_path / "b.tfvars"
    bad.write_text("bypass = \n")
    assert load(bad).errors


# -- a directory is a module ---------------------------------------------------------------------


def test_sibling_files_form_one_module_but_report_only_their_own(tmp_path: Path) -> None:
    files = {
        "main.tf": ACR_HEAD + "  sku = var.sku\n  public_network_access_enabled = false\n}\n",
        "variables.tf": 'variable "sku" {\n  default = "Premium"\n}\n',
        "pe.tf": """
resource "azurerm_private_endpoint" "pe" {
  private_service_connection {
    private_connection_resource_id = local.acr_id
    subresource_names              = ["registry"]
  }
}
locals {
  acr_id = azurerm_container_registry.acr.id
}
""",
    }
    main = load_files(tmp_path, files)
    acr = registry(main, "azurerm_container_registry.acr")
    assert acr.get(P.SKU).value == "Premium"
    assert [c.symbol for c in consumers_of(main, acr)] == ["azurerm_private_endpoint.pe"]
    pe = load(tmp_path / "pe.tf")
    assert pe.registries == ()
    assert [c.link.symbol for c in pe.consumers] == ["azurerm_container_registry.acr"]


def test_broken_sibling_does_not_hide_the_linted_file(tmp_path: Path) -> None:
    model = load_files(
        tmp_path, {"main.tf": ACR_HEAD + '  sku = "Premium"\n}\n', "broken.tf": "resource {"}
    )
    assert model.errors == ()
    assert len(model.registries) == 1


# -- modules -------------------------------------------------------------------------------------


def test_local_module_reports_at_the_call_site() -> None:
    model = load(FIXTURES / "modules" / "root" / "main.tf")
    assert [r.symbol for r in model.registries] == ["module.registry"]  # count = 0, missing dir
    r = model.registries[0]
    assert r.via == "module '../child'"
    assert r.span.path.endswith("root/main.tf")
    assert r.name.value == "childacr"
    access = r.get(P.PUBLIC_NETWORK_ACCESS)
    assert access.value == "Disabled"
    assert access.origin.kind is OriginKind.PARAMETER_VALUE
    assert access.span is not None
    assert access.span.path.endswith("root/main.tf")
    bypass = r.get(P.BYPASS_OPTIONS)
    assert bypass.value == "None"
    assert bypass.origin.kind is OriginKind.PARAMETER_DEFAULT
    assert bypass.origin.span is not None
    assert bypass.origin.span.path.endswith("child/variables.tf")
    assert "module '../child'" in bypass.origin.describe()
    assert bypass.span == r.span
    # null for a non-nullable input takes the module default
    assert r.get(P.TASKS_BYPASS).value is False
    # the private endpoint in a sibling file links through the module's output
    assert [c.symbol for c in consumers_of(model, r)] == ["azurerm_private_endpoint.registry"]
    assert posture_of(r, consumers_of(model, r)).private_endpoint_count == 1


def test_a_callers_variable_default_stays_a_default_through_the_module_call() -> None:
    """``network_rule_bypass_option = var.x`` with x defaulting to None is the caller's unsafe
    default (ACRT005 was missed), and a restriction input given the caller's variable can vary
    at deployment, so the module's None default can bite."""
    model = load(FIXTURES / "modules" / "caller_defaults" / "main.tf")
    locked = registry(model, "module.locked")
    bypass = locked.get(P.BYPASS_OPTIONS)
    assert bypass.value == "None"
    assert bypass.origin.kind is OriginKind.PARAMETER_DEFAULT
    assert bypass.origin.span is not None
    assert (bypass.origin.span.path, bypass.origin.span.line) == (model.path, 4)
    access = registry(model, "module.open").get(P.PUBLIC_NETWORK_ACCESS)
    assert access.origin.kind is OriginKind.PARAMETER_DEFAULT
    # a value written in this file is reported there, else at the call
    found = sorted((f.rule, f.resource, f.span.line) for f in check(model))
    assert found == [
        ("ACRT001", "module.locked", 4),
        ("ACRT005", "module.locked", 4),
        ("ACRT005", "module.open", 19),
    ]


def test_registry_module_from_modules_json() -> None:
    model = load(FIXTURES / "installed" / "main.tf")
    r = registry(model, "module.acr")
    assert r.get(P.BYPASS_OPTIONS).value == "AzureServices"  # the installed code, not the table
    assert r.get(P.BYPASS_OPTIONS).origin.kind is OriginKind.PARAMETER_DEFAULT
    assert r.get(P.PUBLIC_NETWORK_ACCESS).value == "Disabled"


def test_known_module_table_when_not_on_disk() -> None:
    model = load(FIXTURES / "known" / "main.tf")
    r = registry(model, "module.containerregistry")
    assert "known-module table" in (r.via or "")
    bypass = r.get(P.BYPASS_OPTIONS)
    assert bypass.value == "None"
    assert bypass.origin.kind is OriginKind.MODULE_TABLE
    assert "Azure/avm-res-containerregistry-registry/azurerm" in bypass.origin.describe()
    assert r.private_endpoint_count.value == 1
    assert posture_of(r).is_restricted
    firewalled = registry(model, "module.firewalled")
    assert firewalled.get(P.DEFAULT_ACTION).value == "Deny"
    assert firewalled.get(P.IP_RULES).value == ["203.0.113.0/24"]
    assert firewalled.get(P.BYPASS_OPTIONS).origin.kind is OriginKind.PARAMETER_VALUE


def test_unknown_remote_module_declares_nothing(tmp_path: Path) -> None:
    model = load_files(tmp_path, {"main.tf": 'module "x" {\n  source = "foo/bar/azurerm"\n}\n'})
    assert model.registries == ()
    assert model.errors == ()


def test_module_that_calls_itself_terminates(tmp_path: Path) -> None:
    text = 'module "me" {\n  source = "./"\n}\n' + ACR_HEAD + '  sku = "Premium"\n}\n'
    model = load_files(tmp_path, {"main.tf": text})
    assert "azurerm_container_registry.acr" in {r.symbol for r in model.registries}


# -- plans ---------------------------------------------------------------------------------------


def test_plan_json_planned_values_and_configuration_references() -> None:
    model = load(FIXTURES / "plan" / "tfplan.json")
    acr = registry(model, "azurerm_container_registry.acr")
    assert acr.get(P.BYPASS_OPTIONS).value == "None"
    assert acr.get(P.DEFAULT_ACTION).value == "Deny"
    assert not acr.get(P.BYPASS_OPTIONS).is_literal  # plans are generated: never fixed
    assert [c.kind for c in consumers_of(model, acr)] == [ConsumerKind.PRIVATE_ENDPOINT]
    shared = registry(model, "module.shared")
    assert shared.get(P.SKU).value == "Standard"
    assert shared.span.line > acr.span.line  # spans stay in the plan, at the resource


def test_plan_json_module_inputs_from_configuration_link_a_child_module_endpoint() -> None:
    """Real shape (ACA landing zone): the endpoint module gets the registry id as an input."""
    model = load(FIXTURES / "plan" / "module-endpoint.tfplan.json")
    acr = registry(model, "module.containerRegistry")
    (endpoint,) = consumers_of(model, acr)
    assert endpoint.kind is ConsumerKind.PRIVATE_ENDPOINT
    assert endpoint.symbol.endswith("containerRegistryPrivateEndpoints.azurerm_private_endpoint.pe")
    assert posture_of(acr, consumers_of(model, acr)).is_restricted


def test_plan_json_from_resource_changes(tmp_path: Path) -> None:
    plan = {
        "format_version": "1.2",
        "resource_changes": [
            {
                "address": "azurerm_container_registry.acr",
                "mode": "managed",
                "type": "azurerm_container_registry",
                "name": "acr",
                "change": {"after": {"sku": "Basic", "public_network_access_enabled": False}},
            },
            {
                "address": "module.a.module.b.azurerm_container_registry.nested",
                "module_address": "module.a.module.b",
                "mode": "managed",
                "type": "azurerm_container_registry",
                "name": "nested",
                "change": {"after": {"sku": "Premium"}},
            },
        ],
    }
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan, indent=1))
    model = load(path)
    acr = registry(model, "azurerm_container_registry.acr")
    assert acr.get(P.SKU).value == "Basic"
    assert registry(model, "module.a").get(P.SKU).value == "Premium"  # one registry per module
    assert acr.get(P.PUBLIC_NETWORK_ACCESS).value == "Disabled"


def test_json_that_is_not_a_plan_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "plan-notes.json"
    path.write_text('{"hello": "world"}')
    model = load(path)
    assert model.registries == ()
    assert model.errors == ()


# -- parse errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "line"),
    [
        ("main.tf", 'resource "a" "b" {\n  x = 1\n', 2),
        ("main.tf", 'resource "a" "b" {\n  x = "\x00\n}\n', 3),  # the string never ends
        ("main.tf.json", '{"resource": {\n  "a": [1,\n}', 3),
        ("x.tfvars.json", "{\n  nope\n}", 2),
        ("tfplan.json", '{"format_version": "1.2", "resource_changes": [}', 1),
    ],
)
def test_parse_errors_in_every_syntax(tmp_path: Path, name: str, text: str, line: int) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    (error,) = load(path).errors
    assert error.span.line == line
    assert error.reason


# -- the corpus ----------------------------------------------------------------------------------


def corpus_files() -> list[Path]:
    return sorted(CORPUS.rglob("*.tf")) if CORPUS.is_dir() else []


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.relative_to(CORPUS).as_posix())
def test_corpus_file_loads(shared_dir: Path, path: Path) -> None:
    model = load(path)
    assert model.errors == ()
    labelled = {
        row["registry_symbol"].split(" ")[0]
        for row in csv.DictReader(
            (shared_dir / "corpus" / "MANIFEST.tsv").open(encoding="utf-8"), delimiter="\t"
        )
        if row["local_file"] == path.relative_to(CORPUS).as_posix()
        and not row["registry_symbol"].startswith("-")
    }
    assert {r.symbol for r in model.registries} == labelled


def test_corpus_avm_private_endpoint_example_blocks_trusted_services(shared_dir: Path) -> None:
    model = load(AVM / "examples" / "private-endpoint" / "main.tf")
    r = registry(model, "module.containerregistry")
    assert r.span.path.endswith("private-endpoint/main.tf")
    posture = posture_of(r, consumers_of(model, r))
    assert posture.is_restricted
    assert not posture.trusted_services_allowed
    assert r.private_endpoint_count.value == 1
    assert r.get(P.PUBLIC_NETWORK_ACCESS).value == "Disabled"
    bypass = r.get(P.BYPASS_OPTIONS)
    assert bypass.value == "None"
    assert bypass.origin.kind is OriginKind.PARAMETER_DEFAULT
    assert bypass.origin.span is not None
    assert bypass.origin.span.path.endswith("variables.containerregistry.tf")
    assert bypass.origin.span.line == 53
    assert r.get(P.SKU).value == "Premium"
    assert r.get(P.TASKS_BYPASS).value is False


@pytest.mark.parametrize("example", ["default", "low-cost"])
def test_corpus_avm_unrestricted_examples(shared_dir: Path, example: str) -> None:
    model = load(AVM / "examples" / example / "main.tf")
    r = registry(model, "module.containerregistry")
    assert not posture_of(r, consumers_of(model, r)).is_restricted
    assert r.get(P.BYPASS_OPTIONS).value == "None"
    assert r.get(P.SKU).value == ("Basic" if example == "low-cost" else "Premium")


def test_corpus_avm_module_source(shared_dir: Path) -> None:
    r = registry(load(AVM / "main.tf"), "azurerm_container_registry.this")
    assert r.get(P.BYPASS_OPTIONS).value == "None"
    assert r.get(P.TASKS_BYPASS).origin.kind is OriginKind.PARAMETER_DEFAULT
    assert P.DEFAULT_ACTION not in r.properties  # network_rule_set defaults to null
    assert not posture_of(r).is_restricted


def test_corpus_checkov_registries_without_sku(shared_dir: Path) -> None:
    path = (
        CORPUS / "bridgecrewio__checkov/tests/terraform/checks/resource/azure"
        "/example_ACRPublicNetworkAccessDisabled/main.tf"
    )
    model = load(path)
    restricted = {r.symbol: posture_of(r).is_restricted for r in model.registries}
    assert restricted == {
        "azurerm_container_registry.ckv_unittest_pass": True,
        "azurerm_container_registry.ckv_unittest_fail": False,
        "azurerm_container_registry.ckv_unittest_fail_2": False,
    }
    assert all(P.SKU not in r.properties for r in model.registries)


# -- robustness ----------------------------------------------------------------------------------

_NAMES = ["main.tf", "main.tf.json", "x.tfvars", "tfplan.json"]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=400), name=st.sampled_from(_NAMES))
def test_random_bytes_never_raise(tmp_path: Path, data: bytes, name: str) -> None:
    text = data.decode("utf-8", errors="replace")
    model = terraform.load(tmp_path / name, text, context())
    assert isinstance(model, FileModel)


def _mutations() -> list[str]:
    rng = random.Random(1234)
    sources = [p.read_text(encoding="utf-8") for p in corpus_files()]
    sources.append((FIXTURES / "consumers" / "main.tf").read_text(encoding="utf-8"))
    out = []
    for text in sources:
        for _ in range(12):
            chars = list(text)
            for _ in range(rng.randint(1, 6)):
                at = rng.randrange(len(chars))
                op = rng.choice(("drop", "dup", "swap", "insert"))
                if op == "drop":
                    del chars[at]
                elif op == "dup":
                    chars.insert(at, chars[at])
                elif op == "swap" and at + 1 < len(chars):
                    chars[at], chars[at + 1] = chars[at + 1], chars[at]
                else:
                    chars.insert(at, rng.choice('{}[]()"=?:!.,$%\n#/*\\'))
            out.append("".join(chars))
    return out


@pytest.mark.slow
def test_mutated_real_files_never_raise(tmp_path: Path) -> None:
    for index, text in enumerate(_mutations()):
        directory = tmp_path / str(index)
        directory.mkdir()
        path = directory / "main.tf"
        path.write_text(text, encoding="utf-8")
        model = terraform.load(path, text, context())
        assert model.errors or isinstance(model.registries, tuple)


def test_prepare_loads_the_parser_before_any_file() -> None:
    from acr_trusted.lint import hcl_grammar

    hcl_grammar._fast_parser.cache_clear()
    terraform.prepare()
    assert hcl_grammar._fast_parser.cache_info().currsize == 1
