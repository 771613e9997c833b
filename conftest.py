"""Fixtures for every test, the docstring examples in src/pygan included."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _docstring_examples_write_under_tmp_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The examples' ``tempfile.mkdtemp()`` calls make their folders in the test's own
    ``tmp_path`` (which pytest cleans up), not in the system's temporary folder."""
    if isinstance(request.node, pytest.DoctestItem):
        tmp_path: Path = request.getfixturevalue("tmp_path")
        monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
