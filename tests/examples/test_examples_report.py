"""End-to-end build of the Berlin and Flensburg example reports from ../shared (real data)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(__file__).resolve().parents[2].parent / "shared"
SHARED_DATA = SHARED / "data"


def test_missing_shared_folder_is_a_clear_error(tmp_path):
    from workbench.errors import WorkbenchError
    from workbench.examples.report import build, shared_data

    with pytest.raises(WorkbenchError, match="Beispieldaten nicht gefunden"):
        shared_data(tmp_path / "nirgends", "berlin")
    with pytest.raises(WorkbenchError, match="Beispieldaten nicht gefunden"):
        build("berlin", shared_dir=tmp_path)
    with pytest.raises(WorkbenchError, match="unbekanntes Beispiel"):
        build("hamburg")


@pytest.mark.slow
@pytest.mark.realdata
@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="../shared/data fehlt")
def test_build_both_example_reports(tmp_path):
    from workbench.confidentiality.audit import audit_path

    out = tmp_path / "reports" / "examples"
    env = {**os.environ, "WORKBENCH_ROOT": str(ROOT)}
    # both notebooks run at the same time (one kernel each) to keep the test short
    procs = {
        name: subprocess.Popen(
            [
                sys.executable,
                "-m",
                "workbench.examples.report",
                name,
                "--shared",
                str(SHARED),
                "--out",
                str(out),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("berlin", "flensburg")
    }
    for name, p in procs.items():
        stdout, stderr = p.communicate(timeout=300)
        assert p.returncode == 0, (name, stdout, stderr[-2000:])
    berlin = (out / "berlin.html").read_text(encoding="utf-8")
    assert "Status 536 von 536, Dynamik 536 von 536, Gesamtindex 536 von 536" in berlin
    assert 'data-wb-table="berlin_klassen"' in berlin and 'data-wb-table="berlin_bezirke"' in berlin
    assert berlin.count("data:image/png;base64,") >= 3
    flensburg = (out / "flensburg.html").read_text(encoding="utf-8")
    assert 'data-wb-table="flensburg_sgb2"' in flensburg and "13 Tarup" in flensburg
    assert "Westliche Höhe" in flensburg
    assert (tmp_path / "reports" / "executed" / "examples" / "berlin.ipynb").exists()
    assert audit_path(out) == []
