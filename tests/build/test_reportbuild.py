"""Report building: a failing chapter names its cell and keeps the last good HTML; the index records provenance."""

from __future__ import annotations

import nbformat
import pytest
import yaml

from workbench import settings
from workbench.build import report as reportbuild
from workbench.errors import WorkbenchError


def _config(tmp_path, processed, chapters=("bevoelkerung",)):
    path = tmp_path / "report.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "city": "Teststadt",
                "reporting_year": 2024,
                "data_processed": str(processed),
                "reports": str(tmp_path / "reports"),
                "chapters": list(chapters),
            }
        ),
        encoding="utf-8",
    )
    return path


def test_failing_chapter_names_cell_and_keeps_last_html(tmp_path, monkeypatch, small_processed):
    nbdir = tmp_path / "notebooks"
    nbdir.mkdir()
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('config_file = "config/report.yaml"')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("ergebnis = 1 / 0")]
    nb.metadata["kernelspec"] = {"name": "workbench", "display_name": "Workbench", "language": "python"}
    nbformat.write(nb, nbdir / "kaputt.ipynb")
    monkeypatch.setattr(reportbuild, "notebooks_dir", lambda: nbdir)
    monkeypatch.setattr(settings, "notebooks_dir", lambda: nbdir)
    cfg = _config(tmp_path, small_processed, chapters=["kaputt"])
    html = tmp_path / "reports" / "html" / "kaputt.html"
    html.parent.mkdir(parents=True)
    html.write_text("letzte gute Fassung", encoding="utf-8")
    with pytest.raises(WorkbenchError) as info:
        reportbuild.build_chapter("kaputt", cfg)
    msg = str(info.value)
    assert (
        "Kapitel 'kaputt' fehlgeschlagen" in msg and "ergebnis = 1 / 0" in msg and "ZeroDivisionError" in msg
    )
    assert "Zelle" in msg
    assert html.read_text(encoding="utf-8") == "letzte gute Fassung"


def test_unknown_chapter_is_a_clear_error(tmp_path, small_processed):
    with pytest.raises(WorkbenchError, match="hat kein Notebook"):
        reportbuild.build_chapter("gibtesnicht", _config(tmp_path, small_processed))


def test_index_lists_existing_chapters_and_provenance(tmp_path, small_processed):
    cfg = _config(tmp_path, small_processed)
    out = reportbuild.build_index(cfg)
    text = out.read_text(encoding="utf-8")
    assert "Sozialbericht Teststadt 2024" in text
    assert "nicht erstellt" in text  # the chapter has no HTML yet
    assert "einwohner_2024.csv" in text and "pandas" in text
    assert str(tmp_path) not in text  # no absolute paths
    first = out.read_bytes()
    reportbuild.build_index(cfg)
    assert out.read_bytes() == first
