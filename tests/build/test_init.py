"""`workbench init`: a city folder with a commented report config and mapping templates that work."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import yaml
from shapely.geometry import box

from workbench.build.init import MAPPINGS, create_city, slug
from workbench.cli import main
from workbench.errors import ConfigError
from workbench.io.importer import import_report, source_files
from workbench.settings import load_report_config

ROOT = Path(__file__).resolve().parents[2]


def test_slug():
    assert slug("Bad Oldesloe") == "bad_oldesloe"
    assert slug("Lüneburg") == "lueneburg"
    assert slug("  Groß-Gerau ") == "gross_gerau"


def test_creates_files_and_config_loads(tmp_path):
    made = create_city("Bad Oldesloe", tmp_path / "bad_oldesloe", year=2024)
    names = {p.name for p in made.files}
    assert {"report.yaml", *MAPPINGS.values(), ".gitkeep"} <= names
    assert all(p.is_file() for p in made.files)
    text = made.config.read_text(encoding="utf-8")
    assert "# Berichtskonfiguration für Bad Oldesloe" in text and "Geheimhaltung" in text
    cfg = load_report_config(made.config)
    assert cfg.city == "Bad Oldesloe" and cfg.reporting_year == 2024
    assert cfg.paths.raw == (tmp_path / "bad_oldesloe" / "rohdaten").resolve()
    assert cfg.paths.processed == (tmp_path / "bad_oldesloe" / "aufbereitet").resolve()
    assert cfg.paths.reports == (tmp_path / "bad_oldesloe" / "bericht").resolve()
    assert cfg.confidentiality["threshold"] == 3
    assert set(cfg.extra["sources"]) == {"keys", "areas", "population", "counts"}
    # every template is valid YAML with German comments and names its file in rohdaten/
    for name in MAPPINGS.values():
        spec = yaml.safe_load((made.folder / name).read_text(encoding="utf-8"))
        assert spec["file"].startswith("rohdaten/")
        assert "docs/ZUORDNUNGEN.md" in (made.folder / name).read_text(encoding="utf-8")
    # the mappings are dependencies of `make data` (their data files once they exist)
    files = {p.name for p in source_files(cfg.extra["sources"])}
    assert set(MAPPINGS.values()) <= files


def test_refuses_existing_folder(tmp_path):
    target = tmp_path / "stadt"
    target.mkdir()
    (target / "report.yaml").write_text("city: Alt\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        create_city("Neu", target)
    assert "gibt es schon" in str(info.value)
    assert (target / "report.yaml").read_text(encoding="utf-8") == "city: Alt\n"


def test_command_line(tmp_path, capsys):
    assert main(["init", "Musterhausen", "--dir", str(tmp_path / "mh"), "--year", "2023"]) == 0
    out = capsys.readouterr().out
    assert "Nächste Schritte" in out and "make check CONFIG=" in out and "make report CONFIG=" in out
    assert main(["init", "Musterhausen", "--dir", str(tmp_path / "mh")]) == 2
    assert "gibt es schon" in capsys.readouterr().err


def _example_city(tmp_path):
    """A city from the templates with the example files their comments describe."""
    made = create_city("Kleinstadt", tmp_path / "kleinstadt", year=2024)
    raw = made.folder / "rohdaten"
    (raw / "schluessel.csv").write_text(
        "Nr;Sozialraum;Bezirk_Nr;Bezirk\n1;Altstadt;1;Mitte\n2;Neustadt;1;Mitte\n3;Nordstadt;2;Nord\n",
        encoding="utf-8",
    )
    gpd.GeoDataFrame(
        {"Nr": [1, 2, 3]},
        geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000), box(0, 1000, 1000, 2000)],
        crs="EPSG:25832",
    ).to_file(raw / "sozialraeume.geojson", driver="GeoJSON")
    (raw / "einwohner.csv").write_text(
        "Nr;Sozialraum;Einwohner_2023;Einwohner_2024\n1;Altstadt;3.812;3.866\n2;Neustadt;4.725;4.850\n"
        "3;Nordstadt;1.200;1.210\n",
        encoding="utf-8",
    )
    (raw / "sgb2.csv").write_text(
        "Nr;Sozialraum;RLB_2023;RLB_2024\n1;Altstadt;554;475\n2;Neustadt;*;1.116\n3;Nordstadt;-;2\n"
        ";Stadt insgesamt;1.653;1.593\n",
        encoding="utf-8",
    )
    return made


def test_templates_read_the_files_they_describe(tmp_path):
    """The example files described in the template comments import without any change to the mappings."""
    made = _example_city(tmp_path)
    cfg = load_report_config(made.config)
    result = import_report(cfg)
    pop = result.tables["population"]
    assert pop.groupby("year")["count"].sum().to_dict() == {2023: 9737, 2024: 9926}
    counts = result.tables["counts"].set_index(["area_id", "year"])
    assert counts.loc[("01", 2024), "value"] == 475
    assert bool(counts.loc[("02", 2023), "suppressed"]) and pd.isna(counts.loc[("02", 2023), "value"])
    assert counts.loc[("03", 2023), "value"] == 0
    assert set(result.tables["keys"]["district_name"]) == {"Mitte", "Nord"}
    assert (cfg.paths.processed / "manifest.json").is_file()


def _make(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}}
    env.pop("WORKBENCH_MAKE_FOLDERS", None)
    return subprocess.run(
        ["make", "--no-print-directory", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


@pytest.mark.skipif(
    shutil.which("make") is None or not (ROOT / ".venv" / "bin" / "python").exists(),
    reason="make or the project venv not available",
)
def test_make_data_reruns_when_a_mapping_or_its_file_changes(tmp_path):
    """The mappings of `sources:` and their data files are prerequisites of `make data`."""
    made = _example_city(tmp_path)
    config = made.config
    processed = made.folder / "aufbereitet"
    processed.mkdir()
    manifest = processed / "manifest.json"
    manifest.write_text("{}", encoding="utf-8")
    raw_files = sorted(p.name for p in (made.folder / "rohdaten").iterdir() if not p.name.startswith("."))
    (processed / ".rohdateien").write_text("".join(f"{n}\n" for n in raw_files), encoding="utf-8")
    now = time.time()
    past, built, later = now - 3600, now + 86400, now + 2 * 86400
    for p in [config, *made.folder.rglob("*")]:
        if p.is_file():
            os.utime(p, (past, past))
    os.utime(manifest, (built, built))

    def up_to_date() -> bool:
        res = _make("-q", "data", f"CONFIG={config}")
        assert res.returncode in (0, 1), res.stderr
        return res.returncode == 0

    assert up_to_date()
    for changed in (made.folder / "sgb2.yaml", made.folder / "rohdaten" / "einwohner.csv"):
        os.utime(changed, (later, later))
        assert not up_to_date(), changed.name
        os.utime(changed, (past, past))
        assert up_to_date()
