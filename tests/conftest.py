from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["acr_trusted.testing.pytest_plugin"]

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
REST_EXAMPLES = SHARED / "azure-rest-examples"


@pytest.fixture
def shared_dir() -> Path:
    """``../shared`` beside the checkout: always there in CI, absent in a user's clone."""
    if not SHARED.is_dir():
        pytest.skip("../shared (corpus, REST examples, schemas) is not beside this checkout")
    return SHARED
