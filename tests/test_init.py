from __future__ import annotations

import subprocess
import sys

import pytest

import acr_trusted


def _loaded_modules(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return set(out.split())


@pytest.mark.parametrize(
    "code",
    [
        "import acr_trusted",
        "import acr_trusted; acr_trusted.NetworkPosture; acr_trusted.TrustedService",
        "import acr_trusted.cli",
    ],
)
def test_no_azure_module_is_imported(code: str) -> None:
    assert not {m for m in _loaded_modules(code) if m == "azure" or m.startswith("azure.")}


def test_every_public_name_resolves() -> None:
    for name in acr_trusted.__all__:
        assert getattr(acr_trusted, name) is not None


def test_unknown_attribute() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        acr_trusted.nope  # noqa: B018


def test_all_matches_lazy_table() -> None:
    """``__all__`` is spelled out for linters; keep it equal to the lazy table."""
    assert set(acr_trusted.__all__) == {*acr_trusted._LAZY, "__version__"}
