"""Shared fixtures: a small demo city generated once per test session (raw and processed)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def small_raw(tmp_path_factory) -> Path:
    """Raw files of a 12-area demo city (do not modify: copy with ``raw_copy``)."""
    from workbench import demo

    out = tmp_path_factory.mktemp("raw_small")
    demo.generate(out, n_areas=12, seed=7)
    return out


@pytest.fixture(scope="session")
def small_processed(small_raw, tmp_path_factory) -> Path:
    """Processed tables of the 12-area demo city."""
    from workbench.io.importer import run_import

    out = tmp_path_factory.mktemp("processed_small")
    run_import(small_raw, out)
    return out


@pytest.fixture
def raw_copy(small_raw, tmp_path) -> Path:
    """A private copy of the small demo city's raw files, free to break."""
    dst = tmp_path / "raw"
    shutil.copytree(small_raw, dst)
    return dst
