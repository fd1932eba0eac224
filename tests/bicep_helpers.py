"""Shared helpers for the Bicep loader's test modules (not a test module itself)."""

from __future__ import annotations

from pathlib import Path

import pytest

from acr_trusted.lint import bicep
from acr_trusted.lint.model import FileModel, LoadContext, Registry, RegistryProperty
from tests.conftest import CORPUS

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "bicep"
SKU = RegistryProperty.SKU
ACCESS = RegistryProperty.PUBLIC_NETWORK_ACCESS
BYPASS = RegistryProperty.BYPASS_OPTIONS
TASKS = RegistryProperty.TASKS_BYPASS
ACTION = RegistryProperty.DEFAULT_ACTION
IP_RULES = RegistryProperty.IP_RULES
AVM = "Azure__bicep-registry-modules/avm/"


def context(root: Path, param_files: tuple[Path, ...] = ()) -> LoadContext:
    """Files read from disk, shown relative to ``root``."""

    def display(path: Path) -> str:
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            return path.as_posix()

    return LoadContext(
        read_text=lambda p: Path(p).read_text(encoding="utf-8"),
        display_path=display,
        param_files=param_files,
    )


def load(path: Path, root: Path = FIXTURES, **kwargs: tuple[Path, ...]) -> FileModel:
    return bicep.load(path, path.read_text(encoding="utf-8"), context(root, **kwargs))


def load_text(text: str, name: str = "inline.bicep") -> FileModel:
    return bicep.load(Path(name), text, context(Path(".")))


def corpus_model(relative: str) -> FileModel:
    path = CORPUS / relative
    if not path.exists():
        pytest.skip("corpus not beside the checkout")
    return load(path, CORPUS)


def registry(model: FileModel, symbol: str) -> Registry:
    found = [r for r in model.registries if r.symbol == symbol]
    assert found, f"no registry {symbol!r} in {[r.symbol for r in model.registries]}"
    return found[0]


def value(reg: Registry, prop: RegistryProperty) -> object:
    return reg.get(prop).value
