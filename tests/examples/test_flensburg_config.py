"""examples/flensburg/report.yaml: Flensburg (Sozialatlas 2022) as an ordinary report config with `sources:`."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.io.importer import run_import, source_files
from workbench.io.mapped import default_shared_dir
from workbench.settings import load_report_config, project_root

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "examples" / "flensburg" / "report.yaml"


def _flensburg() -> Path:
    return default_shared_dir() / "flensburg-sozialatlas-2022"


needs_data = pytest.mark.skipif(
    not _flensburg().is_dir(), reason="shared data folder (Flensburg Sozialatlas 2022) not present"
)


def test_guide_shows_the_real_yaml():
    """docs/EIGENE_STADT.md quotes the Flensburg config and mappings exactly as they are in examples/flensburg."""
    guide = (ROOT / "docs" / "EIGENE_STADT.md").read_text(encoding="utf-8")
    for name in ("report.yaml", "schluessel_stadtteile.yaml", "einwohner_tab1.yaml", "sgb2_tab18.yaml"):
        text = (ROOT / "examples" / "flensburg" / name).read_text(encoding="utf-8").rstrip("\n")
        assert f"```yaml\n{text}\n```" in guide, f"{name} in docs/EIGENE_STADT.md veraltet"


@pytest.fixture()
def cfg(monkeypatch):
    monkeypatch.setenv("WORKBENCH_ROOT", str(ROOT))
    return load_report_config(CONFIG)


@needs_data
def test_config_loads_with_its_own_folders(cfg):
    assert cfg.city == "Flensburg" and cfg.reporting_year == 2021
    folders = {cfg.paths.raw, cfg.paths.processed, cfg.paths.reports}
    assert len(folders) == 3
    assert cfg.paths.reports == ROOT / "berichte" / "flensburg"
    for p in (cfg.paths.processed, cfg.paths.reports):  # outputs never in a tracked folder
        assert p.relative_to(ROOT).parts[0] == "berichte"
    assert set(cfg.extra["sources"]) == {"keys", "areas", "population", "counts"}


@needs_data
def test_source_files_are_the_mappings_and_the_tables(cfg):
    files = source_files(cfg.extra["sources"], config=cfg.source)
    names = {p.name for p in files}
    assert "sgb2_tab18.yaml" in names and "tab_18_regelleistungsberechtigte_sgb2_2018_2021.csv" in names
    assert all(p.is_file() for p in files)


@needs_data
def test_import_by_sources(cfg, tmp_path):
    result = run_import(
        cfg.paths.raw,
        tmp_path / "processed",
        reporting_year=cfg.reporting_year,
        config=cfg.source,
        sources=cfg.extra["sources"],
        base=project_root(),
    )
    t = result.tables
    keys = t["keys"].set_index("area_id")
    assert len(keys) == 13 and keys.loc["04", "area_name"] == "Westliche Höhe"
    assert set(keys["district_name"]) == {"Stadtgebiet"}
    assert len(t["areas"]["sozialraum"]) == 13
    pop = t["population"].groupby(["area_id", "year"])["count"].sum()
    assert sorted({y for _, y in pop.index}) == [2011, 2017, 2018, 2019, 2020, 2021]
    assert pop[("01", 2021)] == 3866 and pop[("08", 2021)] == 6702  # Tab. 1, not the wrong 7602 of Tab. 5
    counts = t["counts"].set_index(["measure", "area_id", "year"])["value"]
    assert counts[("sgb2_rlb", "01", 2021)] == 475 and counts[("sgb2_rlb", "13", 2018)] == 74
    assert counts[("employees_svb", "11", 2017)] == 4381
    assert counts[("migration_background", "01", 2021)] == 1374
    assert counts[("births", "03", 2021)] == 124
    assert not t["counts"]["suppressed"].any()
    assert (tmp_path / "processed" / "manifest.json").is_file()
