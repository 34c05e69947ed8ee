"""Build pipeline by configuration only: the demo city lives in its own folder and never touches a planner's data;
a planner's config without raw data gets no demo; every make step uses the folders of the config it is given, so
two cities never share an output (checked on make's dry run, without building)."""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from workbench import demo
from workbench.build.report import ensure_demo_data
from workbench.cli import main as cli_main
from workbench.demo import MARKER
from workbench.errors import DataValidationError, WorkbenchError
from workbench.settings import load_report_config

ROOT = Path(__file__).resolve().parents[2]


def _config(path: Path, raw, processed, reports, **extra) -> Path:
    data = {
        "city": "Teststadt",
        "reporting_year": 2024,
        "data_raw": str(raw),
        "data_processed": str(processed),
        "reports": str(reports),
        "chapters": ["bevoelkerung", "wohnen"],
        **extra,
    }
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _city(tmp_path: Path, name: str, **extra) -> tuple[Path, dict[str, Path]]:
    folders = {k: tmp_path / name / k for k in ("raw", "processed", "reports")}
    return _config(tmp_path / f"{name}.yaml", *folders.values(), **extra), folders


# ------------------------------------------------------------------------------------------ demo location


def test_default_config_keeps_the_demo_in_its_own_folder():
    cfg = load_report_config(ROOT / "config" / "report.yaml")
    assert cfg.paths.raw == ROOT / "data" / "demo" / "raw"
    assert cfg.paths.processed == ROOT / "data" / "demo" / "processed"
    assert cfg.paths.reports == ROOT / "reports"
    assert "demo" in cfg.extra
    assert "data/demo/" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()


def test_planner_config_with_empty_raw_folder_gets_no_demo(tmp_path, capsys):
    config, folders = _city(tmp_path, "stadt")
    folders["raw"].mkdir(parents=True)
    with pytest.raises(DataValidationError) as info:
        ensure_demo_data(config)
    msg = str(info.value)
    assert f"keine Rohdaten in {folders['raw']}" in msg and "Was tun" in msg and "demo:" in msg
    assert list(folders["raw"].iterdir()) == []
    # the command line (`make data`) stops with the same message, no traceback, nothing written
    assert cli_main(["--config", str(config), "data"]) == 2
    err = capsys.readouterr().err
    assert f"keine Rohdaten in {folders['raw']}" in err and "Traceback" not in err
    assert list(folders["raw"].iterdir()) == [] and not folders["processed"].exists()
    # a missing raw folder is not created either
    config2, folders2 = _city(tmp_path, "ohne_ordner")
    with pytest.raises(DataValidationError, match="keine Rohdaten"):
        ensure_demo_data(config2)
    assert not folders2["raw"].exists()


def test_demo_config_generates_once_and_regenerates_on_new_settings(tmp_path):
    config, folders = _city(tmp_path, "demo", demo={"areas": 5, "seed": 3})
    assert ensure_demo_data(config) is True
    assert (folders["raw"] / MARKER).is_file() and (folders["raw"] / "einwohner_2024.csv").is_file()
    stamp = (folders["raw"] / "schluessel_gebiete.csv").stat().st_mtime_ns
    assert ensure_demo_data(config) is False  # its own, complete generation: nothing to do
    assert (folders["raw"] / "schluessel_gebiete.csv").stat().st_mtime_ns == stamp
    _config(config, *folders.values(), demo={"areas": 6, "seed": 3})
    assert (
        ensure_demo_data(config) is True
    )  # the config asks for another demo city: its own folder is replaced
    keys = (folders["raw"] / "schluessel_gebiete.csv").read_text(encoding="utf-8-sig")
    assert len({line.split(";")[2] for line in keys.splitlines()[1:]}) == 6


def test_demo_made_by_an_older_generator_is_regenerated(tmp_path):
    """A checkout that pulls a changed generator gets new demo files, not the old ones kept silently."""
    config, folders = _city(tmp_path, "demo", demo={"areas": 5, "seed": 3})
    assert ensure_demo_data(config) is True
    marker = folders["raw"] / MARKER
    text = marker.read_text(encoding="utf-8")
    assert f"generator={demo.GENERATOR}" in text
    assert ensure_demo_data(config) is False
    marker.write_text(text.replace(f"generator={demo.GENERATOR}", "generator=1"), encoding="utf-8")
    assert ensure_demo_data(config) is True
    assert f"generator={demo.GENERATOR}" in marker.read_text(encoding="utf-8")
    # a marker of a generation before the fingerprint existed (no generator= at all) is regenerated too
    marker.write_text(text.replace(f" generator={demo.GENERATOR}", ""), encoding="utf-8")
    assert ensure_demo_data(config) is True


def test_demo_config_refuses_a_folder_with_planner_data(tmp_path, capsys):
    config, folders = _city(tmp_path, "stadt", demo={"areas": 5})
    folders["raw"].mkdir(parents=True)
    own = folders["raw"] / "einwohner_2024.csv"
    own.write_bytes(b"Sozialraum;Anzahl\r\n0101;17\r\n")
    with pytest.raises(WorkbenchError) as info:
        ensure_demo_data(config)
    msg = str(info.value)
    assert f"Ordner {folders['raw']}" in msg and "einwohner_2024.csv" in msg
    assert "demo:" in msg and "entfernen" in msg and "leeren Ordner" in msg
    assert own.read_bytes() == b"Sozialraum;Anzahl\r\n0101;17\r\n"
    assert sorted(p.name for p in folders["raw"].iterdir()) == ["einwohner_2024.csv"]
    # `workbench demo` refuses the same folder
    assert cli_main(["--config", str(config), "demo"]) == 2
    assert "nicht von der Demo-Stadt" in capsys.readouterr().err
    assert sorted(p.name for p in folders["raw"].iterdir()) == ["einwohner_2024.csv"]


def test_planner_config_reads_a_demo_folder_without_generating(tmp_path, small_raw):
    """A config without demo: may point at a demo generation (e.g. for training); it is read, never rewritten."""
    config, _ = _city(tmp_path, "kurs")
    _config(config, small_raw, tmp_path / "p", tmp_path / "r")
    before = {p.name: p.stat().st_mtime_ns for p in small_raw.iterdir()}
    assert ensure_demo_data(config) is False
    assert {p.name: p.stat().st_mtime_ns for p in small_raw.iterdir()} == before


def test_cli_refuses_a_missing_config(tmp_path, capsys):
    assert cli_main(["--config", str(tmp_path / "gibtsnicht.yaml"), "data"]) == 2
    err = capsys.readouterr().err
    assert "Berichtskonfiguration" in err and "gibtsnicht.yaml" in err and "nicht gefunden" in err


def test_cli_stops_when_make_read_other_folders(tmp_path, monkeypatch, capsys):
    config, folders = _city(tmp_path, "stadt")
    made = [config, folders["raw"], tmp_path / "anders", folders["reports"]]
    monkeypatch.setenv("WORKBENCH_MAKE_FOLDERS", "|".join(map(str, made)))
    assert cli_main(["--config", str(config), "data"]) == 2
    err = capsys.readouterr().err
    assert "data_processed" in err and str(tmp_path / "anders") in err and "Was tun" in err
    # another config than the one make parsed is not compared
    other, _ = _city(tmp_path, "andere")
    monkeypatch.setenv("WORKBENCH_MAKE_FOLDERS", "|".join(map(str, [other, *made[1:]])))
    assert cli_main(["--config", str(config), "data"]) == 2
    assert "keine Rohdaten" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------ make, per config


def _make(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}}
    env.pop("WORKBENCH_MAKE_FOLDERS", None)
    return subprocess.run(
        ["make", "--no-print-directory", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


def _dry_run(config: Path) -> tuple[list[str], set[str]]:
    """Commands and remade file targets of ``make -n report CONFIG=config`` (nothing is built)."""
    res = _make("-n", "--debug=b", "report", f"CONFIG={config}")
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    targets = set(re.findall(r"Must remake target '([^']+)'", res.stdout))
    commands = [
        ln for ln in res.stdout.splitlines() if ln and not ln.startswith((" ", "GNU", "Reading", "Updating"))
    ]
    return commands, {t for t in targets if "/" in t and not t.startswith(".venv")}


def _under(path: str, folders) -> bool:
    p = Path(path) if Path(path).is_absolute() else ROOT / path
    return any(p == f or f in p.parents for f in folders)


def test_dry_run_uses_the_configs_folders_for_every_step(tmp_path):
    config, folders = _city(tmp_path, "stadt_a")
    commands, targets = _dry_run(config)
    wb = [c for c in commands if "workbench.cli" in c]
    steps = [c.split(f"--config {config} ", 1)[1].split()[0] for c in wb if f"--config {config} " in c]
    assert len(steps) == len(wb), f"a workbench step without this config: {wb}"
    assert sorted(steps) == ["audit", "chapter", "chapter", "check", "data", "index", "profiles"]
    # the configuration is checked against the data after the import and before the first chapter or profile
    assert steps.index("data") < steps.index("check") < min(steps.index("chapter"), steps.index("profiles"))
    assert f"--config {config} check --quiet" in wb[steps.index("check")]
    assert str(folders["processed"] / ".konfiguration-geprueft") in targets
    audit = next(c for c in wb if " audit " in c)
    assert re.search(rf" audit {re.escape(str(folders['reports']))}( |$)", audit)
    for command in commands:
        assert "data/demo" not in command and "data/raw" not in command and "data/processed" not in command
        for token in re.findall(r"(?:^|\s)((?:/|reports|data/)\S*)", command):
            if token != str(config) and not token.startswith(str(ROOT / ".venv")):
                assert _under(token, folders.values()), f"{token!r} outside this config's folders: {command}"
    assert {str(folders["processed"] / "manifest.json"), str(folders["reports"] / "index.html")} <= targets
    assert str(folders["reports"] / "html" / "wohnen.html") in targets
    assert all(_under(t, folders.values()) for t in targets), targets


def test_two_configs_never_share_an_output(tmp_path):
    """Absolute and project-relative folders: each config's targets lie in its own folders, none shared."""
    config_a, folders_a = _city(tmp_path, "stadt_a")
    rel = {k: f"data/test_pipeline_{os.getpid()}/{k}" for k in ("raw", "processed", "reports")}
    config_b = _config(tmp_path / "stadt_b.yaml", *rel.values())
    folders_b = {k: ROOT / v for k, v in rel.items()}
    _, targets_a = _dry_run(config_a)
    _, targets_b = _dry_run(config_b)
    assert targets_a and targets_b and not targets_a & targets_b
    assert all(_under(t, folders_a.values()) for t in targets_a)
    assert all(_under(t, folders_b.values()) for t in targets_b)
    assert f"{rel['processed']}/manifest.json" in targets_b  # relative to the project root, normalised
    assert not (ROOT / f"data/test_pipeline_{os.getpid()}").exists()  # a dry run writes nothing


def test_data_reruns_when_the_configs_raw_files_change(tmp_path):
    """`make data CONFIG=…` follows that config's raw folder: a changed, added or removed raw file reruns it."""
    config, folders = _city(tmp_path, "stadt")
    raw, processed = folders["raw"], folders["processed"]
    raw.mkdir(parents=True)
    processed.mkdir(parents=True)
    for name in ("einwohner_2024.csv", "haushalte.csv"):
        (raw / name).write_text("x", encoding="utf-8")
    (processed / ".rohdateien").write_text("einwohner_2024.csv\nhaushalte.csv\n", encoding="utf-8")
    manifest = processed / "manifest.json"
    manifest.write_text("{}", encoding="utf-8")
    now = time.time()
    past, built, later = now - 3600, now + 86400, now + 2 * 86400  # built after every source file
    for p in (config, *raw.iterdir()):
        os.utime(p, (past, past))
    os.utime(manifest, (built, built))

    def up_to_date() -> bool:
        res = _make("-q", "data", f"CONFIG={config}")
        assert res.returncode in (0, 1), res.stderr
        return res.returncode == 0

    assert up_to_date()
    os.utime(raw / "haushalte.csv", (later, later))
    assert not up_to_date()
    os.utime(raw / "haushalte.csv", (past, past))
    assert up_to_date()
    (raw / "haushalte.csv").unlink()
    assert not up_to_date()  # a removed raw file: the recorded file list differs
    (raw / "haushalte.csv").write_text("x", encoding="utf-8")
    os.utime(raw / "haushalte.csv", (past, past))
    (raw / "bewegungen.csv").write_text("x", encoding="utf-8")
    os.utime(raw / "bewegungen.csv", (past, past))
    assert not up_to_date()  # an added raw file, even an old one
    os.utime(config, (later, later))
    (raw / "bewegungen.csv").unlink()
    assert not up_to_date()  # the config itself (reporting_year, demo:) is a prerequisite of the import


def test_make_check_target_calls_workbench_check(tmp_path):
    config, _ = _city(tmp_path, "stadt")
    res = _make("-n", "check", f"CONFIG={config}")
    assert res.returncode == 0, res.stderr
    assert re.search(rf"workbench\.cli --config {re.escape(str(config))} check\b", res.stdout)


def test_make_pdf_builds_the_report_first_then_prints_into_the_configs_pdf_folder(tmp_path):
    """`make pdf`: the report's steps, then one `workbench pdf --no-report` whose target is reports/pdf/bericht.pdf."""
    config, folders = _city(tmp_path, "stadt_a")
    res = _make("-n", "--debug=b", "pdf", f"CONFIG={config}")
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    commands = [ln for ln in res.stdout.splitlines() if "workbench.cli" in ln]
    steps = [c.split(f"--config {config} ", 1)[1].split()[0] for c in commands]
    assert steps[-1] == "pdf" and steps.count("pdf") == 1 and "index" in steps[:-1]
    assert commands[-1].endswith("pdf --no-report")
    assert f"Must remake target '{folders['reports'] / 'pdf' / 'bericht.pdf'}'" in res.stdout
