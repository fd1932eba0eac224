"""The positioned HCL reader (terraform_syntax.py)."""

from __future__ import annotations

from pathlib import Path

from acr_trusted.lint import terraform
from tests.terraform_helpers import (
    ACR_HEAD,
    FIXTURES,
    P,
    context,
    fixed_text,
    load,
    registry,
)

# -- parse errors and encodings ------------------------------------------------------------------


def test_parse_error_names_line_column_and_reason() -> None:
    model = load(FIXTURES / "broken" / "main.tf")
    assert model.registries == ()
    (error,) = model.errors
    assert (error.span.line, error.span.column) == (3, 10)
    assert "unexpected" in error.reason
    assert "\n" not in error.reason


def test_bom_and_crlf(tmp_path: Path) -> None:
    text = "\ufeff" + (ACR_HEAD + '  network_rule_bypass_option = "None"\n}\n').replace(
        "\n", "\r\n"
    )
    path = tmp_path / "main.tf"
    path.write_bytes(text.encode("utf-8"))
    model = terraform.load(path, text, context())
    bypass = registry(model, "azurerm_container_registry.acr").get(P.BYPASS_OPTIONS)
    assert fixed_text(model, bypass) == '"None"'
