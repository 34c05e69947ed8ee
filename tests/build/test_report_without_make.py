"""`workbench report` builds the whole report without make (Windows, conda): on a tiny demo city with no `make`
on the PATH it runs data, check, chapter, profiles, index and audit; a second run does nothing; a deleted chapter
page makes only that chapter and the index due, not the data or the profiles."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from workbench.build import pipeline
from workbench.settings import load_report_config

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _workbench(config: Path, *args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "workbench.cli", "--config", str(config), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("ohne_make")
    base = yaml.safe_load((ROOT / "config" / "report.yaml").read_text(encoding="utf-8"))
    cfg = dict(
        base,
        data_raw=str(tmp / "raw"),
        data_processed=str(tmp / "processed"),
        reports=str(tmp / "reports"),
        chapters=["bevoelkerung"],
        demo={"areas": 8, "seed": 5},
    )
    projection = yaml.safe_load((ROOT / "config" / "projection.yaml").read_text(encoding="utf-8"))
    for scenario in projection.get("scenarios", []):
        if scenario.get("extra_in_migrants"):
            scenario["extra_in_migrants"] = {"0101": 50}
    (tmp / "projection.yaml").write_text(yaml.safe_dump(projection, allow_unicode=True), encoding="utf-8")
    cfg["projection_config"] = str(tmp / "projection.yaml")
    config = tmp / "report.yaml"
    config.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    # a PATH without make (and without bash): only an empty folder
    empty = tmp / "bin"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    env["PATH"] = str(empty)
    env.pop("WORKBENCH_MAKE_FOLDERS", None)
    assert shutil.which("make", path=env["PATH"]) is None
    first = _workbench(config, "report", "--workers", "1", env=env)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    return {"config": config, "reports": tmp / "reports", "env": env, "first": first}


def test_whole_pipeline_runs_without_make(tiny):
    reports = tiny["reports"]
    out = tiny["first"].stdout
    assert (reports / "index.html").is_file()
    assert (reports / "html" / "bevoelkerung.html").is_file()
    assert len([p for p in (reports / "profiles").glob("*.html") if p.name != "index.html"]) == 8
    for step in (
        "Import fertig",
        "Konfiguration passt",
        "Kapitel bevoelkerung",
        "Profile erstellt",
        "Übersicht",
    ):
        assert step in out, step
    assert "Geheimhaltungsprüfung: keine Befunde" in out
    assert out.count("Profile erstellt") == 1


def test_second_run_does_nothing(tiny):
    reports = tiny["reports"]
    pages = {p: p.stat().st_mtime_ns for p in reports.rglob("*.html")}
    again = _workbench(tiny["config"], "report", env=tiny["env"])
    assert again.returncode == 0, again.stderr[-2000:]
    assert "nichts zu tun" in again.stdout
    assert {p: p.stat().st_mtime_ns for p in pages} == pages
    assert pipeline.plan(load_report_config(tiny["config"])).nothing


def test_a_missing_chapter_page_is_due_alone_with_the_index(tiny):
    """Only the plan (the rebuild itself is the same step as in the first run; ~1 minute saved in make test)."""
    chapter = tiny["reports"] / "html" / "bevoelkerung.html"
    chapter.unlink()
    todo = pipeline.plan(load_report_config(tiny["config"]))
    assert todo.chapters == ["bevoelkerung"] and todo.index
    assert not (todo.data or todo.check or todo.profiles)


def test_plan_follows_make_rules(tmp_path):
    """outdated(): a missing target or a newer input is due; an older input is not."""
    target, older, newer = tmp_path / "t", tmp_path / "a", tmp_path / "b"
    assert pipeline.outdated(target, [])
    older.write_text("a")
    target.write_text("t")
    newer.write_text("b")
    os.utime(older, (1_000, 1_000))
    os.utime(target, (2_000, 2_000))
    os.utime(newer, (3_000, 3_000))
    assert not pipeline.outdated(target, [older, tmp_path / "fehlt"])
    assert pipeline.outdated(target, [older, newer])
