"""Maßnahmencontrolling: DiD reference cases (known effect recovered, violated pre-trend flagged), matching by
hand, traffic-light rule from the config, KPI confidentiality, and the chapter on the small demo city."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from workbench.chapters import context, measures
from workbench.confidentiality.audit import audit_path
from workbench.errors import ConfigError
from workbench.render import fmt
from workbench.stats import did_estimate, match_controls

TRUE_EFFECT = -1.5
YEARS = list(range(2017, 2025))
START = 2021


def synthetic_panel(seed: int = 1, pretrend: float = 0.0) -> tuple[pd.DataFrame, list[str], list[str]]:
    """30 areas × 8 years: area and year effects, noise sd 0.4; areas 00–07 treated from 2021 with
    TRUE_EFFECT; ``pretrend``: extra slope per year of the treated areas over all years."""
    rng = np.random.default_rng(seed)
    fe, ye = rng.normal(10, 2, 30), rng.normal(0, 0.5, len(YEARS))
    rows = []
    for i in range(30):
        for j, y in enumerate(YEARS):
            v = fe[i] + ye[j] + rng.normal(0, 0.4)
            if i < 8:
                v += pretrend * j + (TRUE_EFFECT if y >= START else 0.0)
            rows.append((f"{i:02d}", y, v))
    ids = [f"{i:02d}" for i in range(30)]
    return pd.DataFrame(rows, columns=["area_id", "year", "value"]), ids[:8], ids[8:]


def test_known_effect_is_recovered_within_interval():
    panel, treated, controls = synthetic_panel()
    r = did_estimate(panel, treated, controls, START)
    assert r.lower <= TRUE_EFFECT <= r.upper
    assert r.significant and r.upper < 0
    assert abs(r.estimate - TRUE_EFFECT) < 0.2
    assert r.pre_years == (2017, 2018, 2019, 2020) and r.post_years == (2021, 2022, 2023, 2024)
    assert r.pretrend_violated is False
    # without an effect the interval covers 0
    null = panel.copy()
    hit = null["area_id"].isin(treated) & (null["year"] >= START)
    null.loc[hit, "value"] -= TRUE_EFFECT
    r0 = did_estimate(null, treated, controls, START)
    assert r0.lower <= 0 <= r0.upper


def test_violated_pretrend_is_flagged():
    panel, treated, controls = synthetic_panel(pretrend=0.3)
    r = did_estimate(panel, treated, controls, START)
    assert r.pretrend_violated is True and r.pretrend_p < 0.01
    assert r.pretrend_slope == pytest.approx(0.3, abs=0.1)
    # one pre year: not checkable
    r1 = did_estimate(panel[panel["year"] >= 2020], treated, controls, START)
    assert r1.pretrend_violated is None and r1.pretrend_p is None


def test_match_controls_by_hand():
    # two features; a and b treated; z-scores over all six areas
    f = pd.DataFrame(
        {"x": [0.0, 10.0, 0.5, 9.0, 5.0, 20.0], "y": [0.0, 10.0, 0.0, 10.0, 5.0, 0.0]},
        index=["a", "b", "c", "d", "e", "f"],
    )
    assert match_controls(f, ["a", "b"], ["c", "d", "e", "f"], k=1) == ["c", "d"]
    assert match_controls(f, ["a"], ["c", "d", "e", "f"], k=2) == ["c", "e"]
    assert match_controls(f, ["a"], ["a"], k=1) == []


def test_traffic_light_rule_and_config():
    s = measures.ControllingSettings.from_entry({"ampel": {"gruen": 90, "gelb": 70}})
    assert [measures.status_of(v, s) for v in (95, 90, 89.9, 70, 69.9, float("nan"))] == [
        "grün",
        "grün",
        "gelb",
        "gelb",
        "rot",
        "",
    ]
    assert "mindestens 90 %" in s.rule() and "unter 70 %" in s.rule()
    with pytest.raises(ConfigError, match="gelb"):
        measures.ControllingSettings.from_entry({"ampel": {"gruen": 80, "gelb": 90}})
    assert measures.trend_of(106, 100) == "steigend"
    assert measures.trend_of(104, 100) == "gleichbleibend"
    assert measures.trend_of(90, 100) == "fallend"
    assert measures.first_post_year("01.01.2022") == 2022
    assert measures.first_post_year("15.03.2022") == 2023


def test_small_kpi_is_withheld_with_everything_derived():
    reg = pd.DataFrame(
        {
            "measure_id": ["M1"],
            "name": ["Test"],
            "area_ids": ["0101"],
            "start": ["01.01.2023"],
            "end": [""],
            "budget": [10_000.0],
        }
    )
    kpis = pd.DataFrame(
        {
            "measure_id": ["M1", "M1", "M1"],
            "kpi": ["Teilnehmende", "Teilnehmende", "Quote (%)"],
            "year": [2023, 2024, 2024],
            "value": [1.0, 2.0, 50.0],
            "target": [10.0, 10.0, 40.0],
        }
    )
    s = measures.ControllingSettings()
    f = measures.kpi_frame(reg, kpis, 2024, s).set_index("kpi")
    assert f.loc["Teilnehmende", "withheld"] and f.loc["Teilnehmende", "unit_withheld"]
    assert not f.loc["Quote (%)", "withheld"] and f.loc["Quote (%)", "status"] == "grün"
    html = measures.kpi_table(f.reset_index(), s, 2024)
    row = re.search(r"Test: Teilnehmende</th>(.*?)</tr>", html, re.S).group(1)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
    assert cells[1] == "." and cells[3] == "." and cells[4] == "." and cells[6] == "."
    assert "2 " not in " ".join(cells) and "1.000 €" not in row  # neither the value nor 10.000 € / 10 cases


@pytest.fixture(scope="module")
def chapter(small_processed, tmp_path_factory):
    root = tmp_path_factory.mktemp("massnahmen")
    cfg = root / "report.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "city": "Kleinstadt",
                "reporting_year": 2024,
                "data_raw": str(root / "raw"),
                "data_processed": str(small_processed),
                "reports": str(root / "reports"),
                "chapters": ["massnahmen", "finanzen"],
            }
        ),
        encoding="utf-8",
    )
    ch = context.Chapter(cfg)
    return ch, measures.build(ch), root


def test_demo_measures_chapter(chapter):
    ch, m, root = chapter
    assert "M09" in set(m.measures["measure_id"])
    planted = next(e for e in m.effects if e.measure_id == "M09")
    assert planted.indicator == "jugend_alo" and planted.first_post == 2022
    assert planted.result is not None and planted.result.pre_years == (2019, 2020, 2021)
    assert set(planted.result.controls).isdisjoint(planted.result.treated)
    text = m.effect_text()
    assert "Keine kausale Wirkung belegbar, weil" in text
    out = Path(root / "reports" / "html")
    out.mkdir(parents=True)
    parts = [m.summary(), m.register_table(), m.kpi_table(), m.effect_table()]
    (out / "massnahmen.html").write_text("<html><body>" + "".join(parts) + "</body></html>", encoding="utf-8")
    assert audit_path(out) == []


def test_running_in_and_profile_text(chapter):
    """The profile lists the measures running in the area in the reporting year with KPI against target and
    the status word; an area without a measure says so; a small count KPI is withheld."""
    ch, m, _ = chapter
    reg = pd.DataFrame(
        {
            "measure_id": ["A", "B", "C"],
            "name": ["Läuft", "Beendet", "Anderswo"],
            "area_ids": ["01,02", "01", "03"],
            "start": ["01.03.2020", "01.01.2019", "01.01.2020"],
            "end": ["", "31.12.2023", ""],
            "budget": [1.0, 1.0, 1.0],
        }
    )
    assert measures.running_in(reg, "01", 2024)["measure_id"].tolist() == ["A"]
    assert measures.running_in(reg, "01", 2023)["measure_id"].tolist() == ["A", "B"]
    planted = m.measures.set_index("measure_id").loc["M09"]
    area = planted["area_ids"].split(",")[0]
    text = measures.profile_text(ch, area)
    assert text.startswith("**Maßnahmen im Sozialraum 2024:**") and planted["name"] in text
    row = m.frame[m.frame["measure_id"] == "M09"].iloc[0]
    assert f"{fmt.number(row['value'])} von {fmt.number(row['target'])}" in text
    assert f"{measures.STATUS_SYMBOLS[row['status']]} {row['status']}" in text
    busy = {a for ids in m.measures["area_ids"] for a in ids.split(",")}
    idle = next(a for a in ch.ds.area_keys["area_id"].astype(str) if a not in busy)
    assert "keine Maßnahme" in measures.profile_text(ch, idle)
    small = measures.kpi_frame(
        reg.iloc[[0]],
        pd.DataFrame(
            {"measure_id": ["A"], "kpi": ["Teilnehmende"], "year": [2024], "value": [2.0], "target": [10.0]}
        ),
        2024,
        m.settings,
    )
    assert measures._kpi_words(small.iloc[0]) == "Teilnehmende geheimgehalten"


def test_wild_cluster_bootstrap_interval_recovers_known_effect():
    """Wild cluster bootstrap (Rademacher, areas as clusters) next to the cluster-robust interval: it contains
    the planted effect and excludes 0; without the effect it covers 0; its standard error is statsmodels' CR1
    one; with few clusters all 2^G sign patterns are used (deterministic)."""
    import statsmodels.api as sm

    from workbench.stats import wild_cluster_bootstrap

    panel, treated, controls = synthetic_panel()
    r = did_estimate(panel, treated, controls, START)
    assert r.boot_draws == 9999 and r.boot_lower is not None
    assert r.boot_lower <= TRUE_EFFECT <= r.boot_upper and r.boot_upper < 0
    assert r.boot_lower < r.estimate < r.boot_upper
    null = panel.copy()
    hit = null["area_id"].isin(treated) & (null["year"] >= START)
    null.loc[hit, "value"] -= TRUE_EFFECT
    r0 = did_estimate(null, treated, controls, START)
    assert r0.boot_lower <= 0 <= r0.boot_upper
    # few clusters: 3 treated + 5 comparison areas → 2^8 = 256 sign patterns, same result twice
    small = panel[panel["area_id"].isin(treated[:3] + controls[:5])]
    r8 = did_estimate(small, treated[:3], controls[:5], START)
    assert r8.boot_draws == 256
    again = did_estimate(small, treated[:3], controls[:5], START)
    assert (r8.boot_lower, r8.boot_upper) == (again.boot_lower, again.boot_upper)
    assert r8.boot_lower <= TRUE_EFFECT <= r8.boot_upper
    # fewer than six areas: no bootstrap interval (16 sign patterns are too few), nothing absurd
    tiny = panel[panel["area_id"].isin(treated[:2] + controls[:2])]
    r4 = did_estimate(tiny, treated[:2], controls[:2], START)
    assert r4.boot_lower is None and r4.boot_draws == 0 and np.isfinite(r4.upper)
    lo4, up4, n4, _ = wild_cluster_bootstrap(
        tiny["value"].to_numpy(),
        np.column_stack([np.ones(len(tiny)), tiny["year"].to_numpy() >= START]),
        tiny["area_id"].to_numpy(),
        1,
    )
    assert n4 == 16 and np.isfinite(lo4) and np.isfinite(up4)
    # its cluster-robust standard error is statsmodels' CR1 one
    rng = np.random.default_rng(3)
    x = np.column_stack([rng.normal(size=40), np.ones(40)])
    groups = np.repeat(np.arange(8), 5)
    y = 0.5 * x[:, 0] + rng.normal(size=40)
    fit = sm.OLS(y, x).fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    lo, up, n, se = wild_cluster_bootstrap(y, x, groups, 0, level=0.95)
    assert se == pytest.approx(fit.bse[0], rel=1e-9)
    assert n == 256 and lo < fit.params[0] < up
