"""Shared helpers for the Terraform loader's test modules (not a test module itself)."""

from __future__ import annotations

from pathlib import Path

from acr_trusted.lint import terraform
from acr_trusted.lint.model import FileModel, LoadContext, Registry, RegistryProperty, Value

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "terraform"
P = RegistryProperty

ACR_HEAD = """
resource "azurerm_container_registry" "acr" {
  name                = "acr1"
  resource_group_name = "rg"
  location            = "westeurope"
"""


def context(*param_files: Path) -> LoadContext:
    return LoadContext(
        read_text=lambda p: p.read_text(encoding="utf-8"),
        display_path=lambda p: p.as_posix(),
        param_files=param_files,
    )


def load(path: Path, *param_files: Path) -> FileModel:
    return terraform.load(path, path.read_text(encoding="utf-8"), context(*param_files))


def load_files(tmp_path: Path, files: dict[str, str], target: str = "main.tf") -> FileModel:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    return load(tmp_path / target)


def registry(model: FileModel, symbol: str) -> Registry:
    return next(r for r in model.registries if r.symbol == symbol)


def fixed_text(model: FileModel, value: Value) -> str:
    """The source text ``--fix`` would rewrite for ``value`` (its span's offsets)."""
    assert value.span is not None
    assert value.span.start_offset is not None
    assert value.span.end_offset is not None
    return model.text[value.span.start_offset : value.span.end_offset]


def registry_with(tmp_path: Path, body: str, extra: str = "") -> Registry:
    """The registry of a ``main.tf`` made of ACR_HEAD, ``body`` and ``extra`` blocks."""
    model = load_files(tmp_path, {"main.tf": ACR_HEAD + body + "\n}\n" + extra})
    assert not model.errors, model.errors
    return registry(model, "azurerm_container_registry.acr")
