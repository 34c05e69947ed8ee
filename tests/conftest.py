"""Shared fixtures: a small demo city generated once per test session (raw and processed), and the full report of
a small demo city built once per session with `make report` (tests/build/test_e2e.py, tests/browser)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]

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


@pytest.fixture(scope="session")
def e2e_report(tmp_path_factory) -> dict:
    """`make -j2 report` of a 12-area demo city in its own folders, built once per session.

    Returns ``cfg`` (the config as a dict), ``tmp`` (its folder), ``reports``, ``args`` (make's CONFIG=…),
    ``env`` and ``log`` (make's stdout). Tests must leave the published files as they are.
    """
    tmp = tmp_path_factory.mktemp("e2e")
    base = yaml.safe_load((ROOT / "config" / "report.yaml").read_text(encoding="utf-8"))
    cfg = dict(
        base, data_raw=str(tmp / "raw"), data_processed=str(tmp / "processed"), reports=str(tmp / "reports")
    )
    cfg["demo"] = {"areas": 12, "seed": 11}
    # the shipped scenarios name Sozialräume of the 40-area demo city; point them at areas of this small one
    projection = yaml.safe_load((ROOT / "config" / "projection.yaml").read_text(encoding="utf-8"))
    for scenario in projection.get("scenarios", []):
        if scenario.get("extra_in_migrants"):
            scenario["extra_in_migrants"] = {"0101": 150, "0102": 150}
    (tmp / "projection.yaml").write_text(yaml.safe_dump(projection, allow_unicode=True), encoding="utf-8")
    cfg["projection_config"] = str(tmp / "projection.yaml")
    path = tmp / "report.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    (tmp / "raw").mkdir()
    env = dict(os.environ, PYTHON=sys.executable)
    # the folders come from the config alone (make reads data_raw, data_processed and reports from it)
    args = [f"CONFIG={path}"]
    res = subprocess.run(
        ["make", "--no-print-directory", "-j2", "report", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return {
        "cfg": cfg,
        "tmp": tmp,
        "reports": tmp / "reports",
        "args": args,
        "env": env,
        "log": res.stdout,
        "stderr": res.stderr,
    }
