"""The course city of the workshop tests: the session's 12-area demo city (tests/conftest.py), shared by all
workshop tests through ``WORKBENCH_KURSDATEN`` (also inherited by the notebook kernels)."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session")
def kurs(small_raw, small_processed, tmp_path_factory):
    """A course data folder (raw/ and processed/ linked to the small demo city) set as the course city."""
    from workbench import workshop

    folder = tmp_path_factory.mktemp("kursdaten")
    (folder / "raw").symlink_to(small_raw, target_is_directory=True)
    (folder / "processed").symlink_to(small_processed, target_is_directory=True)
    old = os.environ.get(workshop.ENV)
    os.environ[workshop.ENV] = str(folder)
    yield workshop.kursdaten()
    if old is None:
        os.environ.pop(workshop.ENV, None)
    else:
        os.environ[workshop.ENV] = old
