"""The ``local_azure`` pytest fixture: a started :class:`LocalAzure` per test.

Load it with ``pytest_plugins = ["acr_trusted.testing.pytest_plugin"]`` in a ``conftest.py``, or
through the ``pytest11`` entry point of the installed package.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from acr_trusted.testing import LocalAzure


@pytest.fixture
def local_azure() -> Iterator[LocalAzure]:
    """A running emulator with an empty Azure; stopped (and its temp files removed) afterwards."""
    with LocalAzure() as az:
        yield az
