"""The chapter contract: every chapter declares its inputs and builds a model; notebooks stay thin."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from workbench import chapters, settings
from workbench.chapters.context import Chapter
from workbench.io.dataset import Dataset

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"


def code_cells(name: str) -> list[str]:
    nb = json.loads((NOTEBOOKS / f"{name}.ipynb").read_text(encoding="utf-8"))
    return [
        "".join(c["source"])
        for c in nb["cells"]
        if c["cell_type"] == "code" and "parameters" not in c.get("metadata", {}).get("tags", [])
    ]


def test_every_notebook_is_a_registered_chapter_and_back():
    # explorer.ipynb is the interactive explorer (workbench.explore, make explorer), not a report chapter
    assert {p.stem for p in NOTEBOOKS.glob("*.ipynb")} - {"explorer"} == set(chapters.CHAPTERS)
    report = yaml.safe_load((ROOT / "config" / "report.yaml").read_text(encoding="utf-8"))
    assert set(report["chapters"]) <= set(chapters.CHAPTERS)


@pytest.mark.parametrize("name", sorted(chapters.CHAPTERS))
def test_chapter_declares_inputs_and_build(name):
    module = chapters.chapter_module(name)
    assert callable(module.build)
    # an input is a processed table, or alternatives "a|b" of which one is enough (counts or published shares)
    tables = {t for alternatives in module.INPUTS for t in alternatives.split("|")}
    assert module.INPUTS and tables <= set(Dataset.FILES), module.INPUTS
    assert "keys" in module.INPUTS


@pytest.mark.parametrize("name", sorted(chapters.CHAPTERS))
def test_notebooks_only_build_the_model_and_show_its_views(name):
    cells = code_cells(name)
    module = chapters.CHAPTERS[name]
    first = cells[0]
    assert f"{module}.build(ch" in first, first
    imports = [line for cell in cells for line in cell.splitlines() if line.startswith(("from ", "import "))]
    assert all(line.startswith("from workbench.chapters import ") for line in imports), imports
    for cell in cells[1:]:
        assert "import" not in cell
        # views only: no computation, no data access in the notebook
        assert ".ds." not in cell and "ch.indicators" not in cell and "ch.protected_counts" not in cell, cell
        assert len(cell.splitlines()) <= 8, cell


def test_unknown_chapter_is_named():
    with pytest.raises(KeyError, match="unbekanntes Kapitel 'haushaltsplan'"):
        chapters.chapter_module("haushaltsplan")


@pytest.fixture(scope="module")
def small_chapter(small_processed, tmp_path_factory):
    root = tmp_path_factory.mktemp("contract")
    processed = root / "processed"
    shutil.copytree(small_processed, processed)
    cfg = root / "report.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {"city": "Kleinstadt", "data_processed": str(processed), "reports": str(root / "reports")}
        ),
        encoding="utf-8",
    )
    yield Chapter(cfg)
    settings.activate(None)


def test_missing_inputs_of_a_partial_city(small_chapter, tmp_path):
    partial = tmp_path / "processed"
    shutil.copytree(small_chapter.ds.processed, partial)
    (partial / "events.parquet").unlink()
    (partial / "facilities.gpkg").unlink()
    ds = Dataset(partial)
    assert chapters.missing_inputs("bevoelkerung", ds) == []
    assert chapters.missing_inputs("soziale_lage", ds) == []
    assert chapters.missing_inputs("demografie", ds) == []  # movements and projection are parts of it
    assert chapters.missing_inputs("kinder_jugend", ds) == ["events", "facilities"]
    assert chapters.missing_inputs("profil", ds) == []  # facilities are a part of the profile
    with pytest.raises(KeyError, match="unbekannte Tabelle"):
        ds.has("finanzen")


def test_population_model_on_the_small_city(small_chapter):
    from workbench.chapters import population

    m = population.build(small_chapter)
    assert m.year == 2024 and m.first == small_chapter.ds.years[0]
    pop = small_chapter.ds.population
    assert m.city["population"] == pop.loc[pop["year"] == 2024, "count"].sum()
    assert len(m.areas) == 12
    assert m.youngest_id == m.areas.sort_values("under_18_pct").iloc[-1]["unit_id"]
    assert "Kleinstadt" in m.summary()
    assert 'data-wb-table="altersgruppen-2024"' in m.age_group_table()
