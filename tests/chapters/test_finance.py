"""Sozial- und Finanzplanung: protection of cases and costs (1–2 cases never shown, nor their costs), the
prevention scenario by hand, and the chapter on the small demo city; left out with a German note without
kosten.csv."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from workbench.chapters import assess, context, finance
from workbench.confidentiality import Rules
from workbench.confidentiality.audit import audit_path
from workbench.io.dataset import Dataset
from workbench.render import fmt

RULES = Rules(threshold=3, show_zero=True, min_base=20, suppress_on_denominator=True)


def frame(hze: list[float], bg: list[float]) -> pd.DataFrame:
    ids = [f"0{i + 1}" for i in range(len(hze))]
    return pd.DataFrame(
        {
            "hze_cases": hze,
            "hze_spend": [25_000.0 * n for n in hze],
            "bg": bg,
            "kdu_spend": [6_500.0 * n for n in bg],
            "residents": [1_000.0] * len(hze),
        },
        index=pd.Index(ids, name="area_id"),
    )


def test_two_cases_are_withheld_with_their_costs_and_a_second_cell():
    f = frame([2, 10, 12, 15], [40, 50, 60, 70])
    p = finance.protect_area_frame(f, RULES, group=[])
    assert p.hze_hidden["01"] and p.hze_hidden.sum() == 2  # primary + one secondary
    assert not p.bg_hidden.any()
    m = finance.FinanceModel(
        2024,
        RULES,
        finance.ScenarioSettings(),
        pd.DataFrame(),
        pd.DataFrame(),
        p,
        pd.Series({a: f"{a} Gebiet" for a in f.index}),
        None,
        None,
        None,
        "kein Index",
    )
    pub = m._area_published()
    assert pub.loc["01", ["hze_cases", "hze_spend", "total", "per_inhabitant"]].isna().all()
    html = m.area_table()
    row = re.search(r"01 Gebiet</th>(.*?)</tr>", html, re.S).group(1)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
    assert cells[0] == "." and cells[1] == "." and "50.000" not in row


def test_scenario_by_hand_and_withheld_group():
    f = frame([20, 10, 30, 40, 50], [40, 50, 60, 70, 80])
    p = finance.protect_area_frame(f, RULES, group=["04", "05"])
    assert not p.group_hidden
    city = pd.DataFrame({("spend", 2024): [f["hze_spend"].sum()]}, index=[finance.HZE_TOTAL])
    v = finance.scenario(p, finance.ScenarioSettings(reduction=10, share=40), city, 2024)
    assert v["cases"] == 90 and v["fewer_cases"] == 9
    assert v["saving"] == pytest.approx(round(0.1 * 90 * 25_000, -3))
    assert v["saving_share"] == pytest.approx(100 * 0.1 * 90 / 150)
    # a withheld area in the group (1 case) makes the group's sum withheld or protected by a second cell
    f2 = frame([20, 10, 30, 40, 1], [40, 50, 60, 70, 80])
    p2 = finance.protect_area_frame(f2, RULES, group=["04", "05"])
    assert p2.hze_hidden["05"]
    shown = [a for a in f2.index if not p2.hze_hidden[a]]
    if not p2.group_hidden:  # then 05 must not follow from group − 04
        assert p2.hze_hidden["04"]
    assert len(shown) <= 3


def test_city_types_with_one_case_are_withheld():
    costs = pd.DataFrame(
        {
            "area_id": ["01", "01", "01", "02", "01"],
            "year": [2024] * 5,
            "item": ["§34", "§35", "§31", "§31", "KdU"],
            "cases": [10, 1, 5, 6, 80],
            "expenditure": [650_000.0, 45_000.0, 65_000.0, 78_000.0, 520_000.0],
        }
    )
    city, hidden = finance.city_items(costs, RULES, 2024)
    assert hidden.loc["§35", 2024] and hidden[2024].drop(["KdU"]).sum() == 2
    assert not hidden.loc[finance.HZE_TOTAL, 2024] and not hidden.loc["KdU", 2024]


@pytest.fixture(scope="module")
def chapter(small_processed, tmp_path_factory):
    root = tmp_path_factory.mktemp("finanzen")
    cfg = root / "report.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "city": "Kleinstadt",
                "reporting_year": 2024,
                "data_raw": str(root / "raw"),
                "data_processed": str(small_processed),
                "reports": str(root / "reports"),
                "chapters": ["finanzen"],
            }
        ),
        encoding="utf-8",
    )
    ch = context.Chapter(cfg)
    return ch, finance.build(ch), root


def test_demo_finance_chapter_passes_audit(chapter):
    ch, m, root = chapter
    costs = ch.ds.costs
    assert {"KdU", "§34", "§31"} <= set(costs["item"])
    # calibration: Heimerziehung costs tens of thousands of euros per case and year, KdU some 500 € a month
    c = costs[costs["year"] == 2024].groupby("item")[["cases", "expenditure"]].sum()
    assert 50_000 < c.loc["§34", "expenditure"] / c.loc["§34", "cases"] < 80_000
    assert 400 < c.loc["KdU", "expenditure"] / c.loc["KdU", "cases"] / 12 < 700
    assert "Annahmen des Szenarios" in m.scenario_text()
    out = root / "reports" / "html"
    out.mkdir(parents=True)
    parts = [
        m.summary(),
        m.city_table(),
        m.area_table(),
        m.index_text(),
        m.scenario_text(),
        m.scenario_table(),
    ]
    (out / "finanzen.html").write_text(
        "<html><body>" + "".join(map(str, parts)) + "</body></html>", encoding="utf-8"
    )
    assert audit_path(out) == []


def test_left_out_without_costs(small_processed, tmp_path):
    proc = tmp_path / "processed"
    shutil.copytree(small_processed, proc, ignore=shutil.ignore_patterns("cache"))
    (proc / Dataset.FILES["costs"]).unlink()
    (proc / Dataset.FILES["measures"]).unlink()
    cfg = tmp_path / "report.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "city": "Ohne Kosten",
                "reporting_year": 2024,
                "data_raw": str(tmp_path / "raw"),
                "data_processed": str(proc),
                "reports": str(tmp_path / "reports"),
                "chapters": ["bevoelkerung", "massnahmen", "finanzen"],
            }
        ),
        encoding="utf-8",
    )
    av = assess(context.settings.load_report_config(cfg))
    assert av.buildable_chapters() == ["bevoelkerung"]
    fin = av.chapter("finanzen")
    assert "kosten.csv" in fin.reason and "Ausgaben" in fin.reason
    assert "massnahmen.csv" in av.chapter("massnahmen").reason


EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"


@pytest.mark.skipif(
    not (SHARED / "flensburg-sozialatlas-2022").is_dir(),
    reason="../shared/data fehlt (Flensburger Sozialatlas) – Beispiel nicht prüfbar",
)
def test_flensburg_example_leaves_both_chapters_out_with_a_note(tmp_path, monkeypatch):
    from workbench.build.availability import check
    from workbench.io.importer import import_report

    monkeypatch.setenv("WORKBENCH_ROOT", str(EXAMPLES.parent))
    config = yaml.safe_load((EXAMPLES / "flensburg" / "report.yaml").read_text(encoding="utf-8"))
    assert {"massnahmen", "finanzen"} <= set(config["chapters"])
    config.update(data_processed=str(tmp_path / "daten"), reports=str(tmp_path / "bericht"))
    path = tmp_path / "report.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    cfg = context.settings.load_report_config(path)
    import_report(cfg)
    av = assess(cfg)
    for name, raw in (("finanzen", "kosten.csv"), ("massnahmen", "massnahmen.csv")):
        item = av.chapter(name)
        assert not item.ok and raw in item.reason
    text = check(cfg)
    assert "Sozial- und Finanzplanung (finanzen)" in text and "Maßnahmencontrolling (massnahmen)" in text
    context.settings.activate(None)


def test_broken_cost_file_is_refused_with_file_and_line(raw_copy, tmp_path):
    from workbench.errors import WorkbenchError
    from workbench.io.importer import run_import

    path = raw_copy / "kosten.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    parts = lines[3].split(";")
    parts[3] = "-2"
    lines[3] = ";".join(parts)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(WorkbenchError) as err:
        run_import(raw_copy, tmp_path / "processed", write=False)
    msg = str(err.value)
    assert "kosten.csv" in msg and "Zeile 4" in msg and "Faelle" in msg


def test_profile_text_matches_the_area_table(chapter):
    """The profile's expenditure per inhabitant is the chapter's (withheld where the chapter withholds it)."""
    ch, m, _ = chapter
    pub = m._area_published()
    shown = pub["per_inhabitant"].dropna()
    area = str(shown.index[0])
    text = finance.profile_text(ch, area)
    assert text.startswith("**Ausgaben 2024:**")
    assert f"{fmt.number(shown.iloc[0])} € je Einwohner" in text
    hidden = pub.index[pub["per_inhabitant"].isna()]
    for a in hidden:
        assert "nicht ausgewiesen" in finance.profile_text(ch, str(a))


def test_profile_sections_left_out_with_a_note(small_processed, tmp_path):
    from workbench.chapters import measures

    proc = tmp_path / "processed"
    shutil.copytree(small_processed, proc, ignore=shutil.ignore_patterns("cache"))
    (proc / Dataset.FILES["costs"]).unlink()
    (proc / Dataset.FILES["measures"]).unlink()
    cfg = tmp_path / "report.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "city": "Ohne Kosten",
                "reporting_year": 2024,
                "data_raw": str(tmp_path / "raw"),
                "data_processed": str(proc),
                "reports": str(tmp_path / "reports"),
                "chapters": ["bevoelkerung", "massnahmen", "finanzen"],
            }
        ),
        encoding="utf-8",
    )
    ch = context.Chapter(cfg)
    area = str(ch.ds.area_keys["area_id"].iloc[0])
    assert "kosten.csv" in finance.profile_text(ch, area) and finance.profile_frame(ch) is None
    assert "massnahmen.csv" in measures.profile_text(ch, area)
    cfg.write_text(cfg.read_text(encoding="utf-8").replace("- massnahmen\n", ""), encoding="utf-8")
    assert measures.profile_text(context.Chapter(cfg), area) == ""  # not part of the report: nothing
    context.settings.activate(None)
