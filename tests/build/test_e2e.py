"""End-to-end: `make report CONFIG=<tmp config>` on a small demo city generates the demo into the config's raw folder,
builds every chapter, the profiles and the index in the config's folders, passes the audit, and a second run does no
work; a changed notebook rebuilds only its chapter, with identical bytes."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _make(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


@pytest.fixture(scope="module")
def built(e2e_report):
    """The small demo report of the session (tests/conftest.py: built once, also used by tests/browser)."""
    return e2e_report


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


def test_build_log_is_quiet_and_german(built):
    """No kernel warnings or spurious errors in make's output; the profiles' summary is printed once."""
    log = built["log"] + built["stderr"]
    assert "without encryption" not in log
    assert "KeyboardInterrupt" not in log
    assert "IPKernelApp" not in log and "Traceback" not in log
    assert log.count("Profile erstellt") == 1, log[-2000:]
