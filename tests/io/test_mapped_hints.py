"""Hints of the mapped reader for typical first mistakes of a planner (found by the new-user test)."""

from __future__ import annotations

import pytest
import yaml

from workbench.errors import WorkbenchError
from workbench.io.mapped import read_table


def test_title_line_above_the_header_suggests_skip_rows(tmp_path):
    """Vienna's open-data CSV has a title line above the header: the error names skip_rows, not only sep."""
    (tmp_path / "wien.csv").write_text(
        "Bevölkerung nach Bezirk\nNUTS;DISTRICT_CODE;REF_YEAR;POP\nAT130;90100;2024;17000\n", encoding="utf-8"
    )
    (tmp_path / "wien.yaml").write_text(yaml.safe_dump({"file": "wien.csv", "sep": ";"}), encoding="utf-8")
    with pytest.raises(WorkbenchError) as err:
        read_table(tmp_path / "wien.yaml")
    text = str(err.value)
    assert "Zeile 2" in text and "skip_rows" in text and "Titelzeile" in text
