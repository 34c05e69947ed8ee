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
    assert set(cfg.extra["sources"]) == {"keys", "areas", "population", "counts", "shares"}


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


@pytest.fixture(scope="module")
def flensburg_chapter(tmp_path_factory):
    """The Flensburg config with its processed data and reports in a temporary folder, imported; the chapter
    context (population: totals per Stadtteil only)."""
    import os

    import yaml

    from workbench import settings
    from workbench.chapters import context
    from workbench.io.importer import import_report

    old = os.environ.get("WORKBENCH_ROOT")
    os.environ["WORKBENCH_ROOT"] = str(ROOT)
    tmp = tmp_path_factory.mktemp("flensburg")
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    config.update(data_processed=str(tmp / "daten"), reports=str(tmp / "bericht"))
    path = tmp / "report.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    import_report(load_report_config(path))
    yield context.Chapter(path)
    settings.activate(None)
    if old is None:
        os.environ.pop("WORKBENCH_ROOT", None)
    else:
        os.environ["WORKBENCH_ROOT"] = old


@needs_data
def test_chapters_build_on_flensburg_totals(flensburg_chapter, tmp_path):
    """Totals per Stadtteil only: Bevölkerung, Soziale Lage, Wohnen and Datenqualität build, with the German
    reason for every left-out part; the profiles build without pyramid; nothing computed from a wrong base."""
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    from workbench.chapters import housing, population, profile, quality, social
    from workbench.chapters import profile_figures as pf
    from workbench.confidentiality.audit import audit_path

    ch = flensburg_chapter
    av = ch.availability
    assert av.population.summary() == (
        "Die Einwohner liegen nach den Altersgruppen 0–17, 18–64, 65 und älter (2011 und 2017–2021) vor, ohne "
        "Aufteilung nach Geschlecht und Staatsangehörigkeit"
    )
    assert av.buildable_chapters() == ["bevoelkerung", "soziale_lage", "demografie", "wohnen", "datenqualitaet"]
    # six dates with age groups, but 0–17, 18–64 and 65+ say nothing about single cohorts: no projection
    prognose = next(p for p in av.parts if p.key == "demografie.prognose")
    assert prognose.gaps[0].what.startswith(
        "keine Prognose möglich: die Altersgruppen der Einwohner (2011, 2017, 2018, 2019, 2020 und 2021) sind zu "
        "grob"
    )
    # 0–64 = Tab. 6 + Tab. 7 (rest 65+ from Tab. 1) makes the SGB-II-Quote computable; the published share too
    assert {i.key for i in av.indicators if i.ok} == {"migration", "sgb2_anteil_sozialatlas", "sgb2_quote"}
    kinder = next(i for i in av.indicators if i.key == "kinderarmut")
    assert (
        "Einwohner 0–14 Jahre nicht bestimmbar: die Altersgruppen 2021 (0–17, 18–64, 65 und älter)"
        in kinder.reason
    )
    assert "sources.population: examples/flensburg/einwohner_tab1.yaml" in kinder.reason

    # Anteil mit Migrationshintergrund 2021 (Tab. 9 / Tab. 1): Altstadt 1.374 / 3.866 = 35,5 %
    ind = ch.indicators
    row = ind[(ind["indicator"] == "migration") & (ind["unit_id"] == "01") & (ind["year"] == 2021)].iloc[0]
    assert row["numerator"] == 1374 and row["denominator"] == 3866
    assert row["value"] == pytest.approx(100 * 1374 / 3866)
    # SGB-II-Quote Altstadt 2021: 475 Regelleistungsberechtigte (Tab. 18) / (360 + 3.093) unter 65 (Tab. 6 + 7)
    q = ind[(ind["indicator"] == "sgb2_quote") & (ind["unit_id"] == "01") & (ind["year"] == 2021)].iloc[0]
    assert q["numerator"] == 475 and q["denominator"] == 360 + 3093
    assert q["pub_value"] == pytest.approx(100 * 475 / 3453) and q["lower95"] < q["value"] < q["upper95"]

    m = population.build(ch)
    assert "Zum 31.12.2021 lebten in Flensburg **97.877** Menschen" in m.summary()
    assert "Seit 31.12.2011 ist die Stadt um 8.429 Personen" in m.summary()
    chart = m.pyramid()  # the age-group chart instead of the pyramid (no single years)
    assert isinstance(chart, Figure)
    plt.close(chart)
    overview = m.overview_table()
    # shares under 18 and 65+ come from the age groups; the share of non-Germans is not determined
    assert 'data-wb-col="Einwohner 2021"' in overview and 'data-wb-col="unter 18 Jahre"' in overview
    assert (
        'data-wb-col="65 Jahre und älter"' in overview and "nichtdeutsch" not in overview.split("<tbody>")[0]
    )
    fig = m.change_map()
    assert isinstance(fig, Figure)
    plt.close(fig)
    s = social.build(ch)
    assert "Einwohner 0–14 Jahre nicht bestimmbar" in s.views.heading(s.views.catalogue["kinderarmut"])
    h = housing.build(ch)
    q = quality.build(ch)
    assert "- Die Einwohner liegen nach den Altersgruppen 0–17, 18–64, 65 und älter" in q.warnings_text()

    profile.warm_caches(ch)
    p = profile.build(ch, "08")
    assert p.title_markdown().startswith("# Sozialraumprofil 08 Sandberg")
    assert str(pf.pyramid(p)).startswith(
        "Ohne Altersaufbau: die Einwohner liegen 2021 nach Altersgruppen vor"
    )
    steckbrief = p.steckbrief_html()
    assert "Anteil mit Migrationshintergrund" in steckbrief
    page = tmp_path / "seite.html"
    page.write_text(
        '<html lang="de"><body>' + overview + h.table() + q.coverage_table() + steckbrief + "</body></html>",
        encoding="utf-8",
    )
    assert audit_path(tmp_path) == []
