"""End-to-end: `make report CONFIG=<tmp config>` on a small demo city generates the demo into the config's raw folder,
builds every chapter, the profiles and the index in the config's folders, passes the audit, and a second run does no
work; a changed notebook rebuilds only its chapter, with identical bytes."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _make(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory):
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
    res = _make(["-j2", "report", *args], env)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return {"cfg": cfg, "tmp": tmp, "reports": tmp / "reports", "args": args, "env": env, "log": res.stdout}


def test_all_chapters_and_profiles_published(built):
    reports = built["reports"]
    index = (reports / "index.html").read_text(encoding="utf-8")
    for name in built["cfg"]["chapters"]:
        html = reports / "html" / f"{name}.html"
        assert html.exists(), name
        assert f'href="html/{name}.html"' in index
        text = html.read_text(encoding="utf-8")
        soup = BeautifulSoup(text, "html.parser")
        assert not soup.select(".jp-CodeMirrorEditor, .highlight, .jp-InputPrompt"), name  # no code visible
    assert "Sozialbericht" in index and "SHA-256" in index and "pandas" in index
    assert "executed" not in index
    profiles = sorted((reports / "profiles").glob("*.html"))
    assert len(profiles) == 12 + 1  # one per area + overview
    assert "Geheimhaltungsprüfung: keine Befunde" in built["log"]


def test_demo_generated_into_the_configs_raw_folder(built):
    raw = built["tmp"] / "raw"
    assert (raw / ".workbench-demo").is_file() and (raw / "einwohner_2024.csv").is_file()
    assert (built["tmp"] / "processed" / "manifest.json").is_file()
    assert "Demo-Stadt in" in built["log"]


def test_second_make_does_nothing(built):
    res = _make(["-q", "report", *built["args"]], built["env"])
    assert res.returncode == 0, "make report would rebuild something on an unchanged tree"


def test_changed_notebook_rebuilds_only_its_chapter_identically(built):
    reports = built["reports"]
    target = reports / "html" / "bevoelkerung.html"
    before = hashlib.sha256(target.read_bytes()).hexdigest()
    others = {p: p.stat().st_mtime_ns for p in (reports / "html").glob("*.html") if p != target}
    res = _make(["report", "-W", "notebooks/bevoelkerung.ipynb", *built["args"]], built["env"])
    assert res.returncode == 0, res.stderr[-2000:]
    assert "chapter bevoelkerung" in res.stdout
    assert hashlib.sha256(target.read_bytes()).hexdigest() == before
    assert {p: p.stat().st_mtime_ns for p in others} == others
