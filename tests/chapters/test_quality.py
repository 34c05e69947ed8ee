"""Datenqualität: provenance from the manifest, coverage and suppression cell counts, methods texts."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from workbench.chapters import quality
from workbench.confidentiality import Rules, protect_counts
from workbench.confidentiality.audit import audit_path
from workbench.errors import ConfigError
from workbench.indicators import load_catalogue
from workbench.io.dataset import Dataset
from workbench.settings import config_dir

RULES = Rules(threshold=3, show_zero=True, min_base=20, suppress_on_denominator=True)


def test_files_match_raw_checksums(small_raw, small_processed, tmp_path):
    ds = Dataset(small_processed)
    frame = quality.files_frame(ds.manifest)
    assert len(frame) == len(ds.manifest["files"])
    row = frame[frame["Datei"] == "haushalte.csv"].iloc[0]
    assert row["SHA-256"] == hashlib.sha256((small_raw / "haushalte.csv").read_bytes()).hexdigest()
    assert "Stichtag 31.12." in " ".join(frame["Stichtag / Inhalt"])
    (tmp_path / "f.html").write_text(quality.files_table(ds.manifest), encoding="utf-8")
    assert audit_path(tmp_path) == []
    with pytest.raises(ConfigError):
        quality.files_frame({"warnings": []})


def test_warnings_text():
    assert "keine Prüfhinweise" in quality.warnings_text({"warnings": []})
    text = quality.warnings_text({"warnings": ["a.xlsx: Blatt 'Jun 2024' übersprungen", "b"]})
    assert text.startswith("Beim Einlesen sind 2 Prüfhinweise") and "- b" in text


def test_coverage_counts_add_up():
    cat = load_catalogue()
    ind = cat.ids[:2]
    rows = []
    for i, (status, value) in enumerate(
        [("shown", 1.0), ("shown", 2.0), ("numerator", None), ("missing", None), ("min_base", None)]
    ):
        rows.append(
            {
                "indicator": ind[0],
                "level": "sozialraum",
                "unit_id": f"{i}",
                "year": 2020 + i,
                "status": status,
                "pub_value": value,
            }
        )
    rows.append(
        {
            "indicator": ind[1],
            "level": "stadt",
            "unit_id": "stadt",
            "year": 2024,
            "status": "shown",
            "pub_value": 3.0,
        }
    )
    frame = quality.coverage_frame(pd.DataFrame(rows), cat).set_index("indicator")
    r = frame.loc[ind[0]]
    assert (r["cells"], r["published"], r["suppressed"], r["missing"]) == (5, 2, 2, 1)
    assert r["share_published"] == pytest.approx(40.0)
    assert r["years"] == "2020–2021"
    assert frame.loc[ind[1], "cells"] == 0  # city rows are not counted at level sozialraum
    html = quality.coverage_table(frame.reset_index())
    assert 'data-kind="share" data-value="40"' in html


def test_suppression_cells(small_processed, tmp_path):
    ds = Dataset(small_processed)
    pc = protect_counts(ds.counts, ds.keys, RULES)
    frame = quality.suppression_frame(pc)
    assert frame["total"].sum() == len(pc)
    by_hand = ((pc["measure"] == "unemployed_u25") & (pc["status"] == "input")).sum()
    assert frame.loc["unemployed_u25", "input"] == by_hand
    assert (frame[list(quality.STATUS_LABELS)].sum(axis=1) == frame["total"]).all()
    (tmp_path / "s.html").write_text(quality.suppression_table(frame), encoding="utf-8")
    assert audit_path(tmp_path) == []
    assert "keine Personen" in quality.suppression_text(frame)


def test_methods_texts():
    html = quality.indicator_methods_table(load_catalogue())
    assert "Wilson" in html and "Poisson/Byar" in html
    text = quality.confidentiality_text(RULES)
    assert "Schwelle 3" in text and "kleiner als 20" in text
    idx = quality.index_text(config_dir() / "index.yaml")
    assert "300" in idx and "z-standardisiert" in idx
    with pytest.raises(ConfigError):
        quality.index_text({"indices": {"x": {"method": "unbekannt"}}})
    assert "9,5495" in quality.statistics_text()
    assert "3 Basisjahre" in quality.projection_text(3, 5)


def test_left_out_section_of_a_city_without_movements(small_processed, tmp_path):
    """One year of population and counts, no events: the import notes are followed by what was left out."""
    import shutil

    import yaml

    from workbench import settings
    from workbench.chapters.context import Chapter

    proc = tmp_path / "processed"
    shutil.copytree(small_processed, proc, ignore=shutil.ignore_patterns("cache"))
    (proc / "events.parquet").unlink()
    for table in ("population", "counts"):
        df = pd.read_parquet(proc / f"{table}.parquet")
        df[df["year"] == 2024].to_parquet(proc / f"{table}.parquet", index=False)
    cfg = tmp_path / "report.yaml"
    chapters = ["bevoelkerung", "monitoring", "demografie", "datenqualitaet"]
    cfg.write_text(
        yaml.safe_dump(
            {
                "city": "Kleinstadt",
                "data_processed": str(proc),
                "data_raw": str(tmp_path / "raw"),
                "reports": str(tmp_path / "reports"),
                "chapters": chapters,
            }  # fmt: skip
        ),
        encoding="utf-8",
    )
    try:
        m = quality.build(Chapter(cfg))
    finally:
        settings.activate(None)
    text = m.warnings_text()
    notes, section = text.split("\n\n", 1)
    assert notes == quality.warnings_text(Dataset(proc).manifest)
    assert section == m.left_out_text()
    lines = section.splitlines()
    assert lines[0] == "### Was die vorhandenen Daten nicht erlauben"
    assert [line.split(":")[0] for line in lines if line.startswith("- ")] == [
        "- Bevölkerung ohne Veränderung der Einwohnerzahl",
        "- Sozialraum-Monitoring ohne Dynamik-Index und Gesamtindex (12 Gruppen)",
        "- Sozialraum-Monitoring ohne Klassenwechsel gegenüber dem Vorjahr",
        "- Demografie und Bevölkerungsprognose ohne Geburten, Sterbefälle und Wanderungen",
        "- Demografie und Bevölkerungsprognose ohne Bevölkerungsprognose",
        "- Demografie und Bevölkerungsprognose ohne Rückrechnung der Prognose (Backtest)",
        "- Sozialraumprofile ohne Entwicklung der sozialen Lage",
        "- Sozialraumprofile ohne Dynamikklasse im Sozialraum-Monitoring",
    ]
    assert "(data_raw)" in section and str(tmp_path) not in section  # no absolute path in the report
    assert "Einwohner- und Fallzahldateien für 2023 im Rohdatenordner (data_raw)" in section
    assert quality.left_out_text(None) == ""
