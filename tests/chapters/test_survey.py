"""Bedarfserhebung: weighted shares against statsmodels, Kish n_eff, minimum-n rule, topics, audit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.weightstats import DescrStatsW

from workbench import stats
from workbench.chapters import survey
from workbench.confidentiality import Rules
from workbench.confidentiality.audit import audit_path
from workbench.errors import ConfigError

RULES = Rules(threshold=3, show_zero=True, min_base=20, suppress_on_denominator=True)

# Small reference case: 8 respondents, answers 1–5 (one missing), unequal design weights.
ANSWERS = np.array([5, 4, 2, 3, 4, np.nan, 1, 5], dtype=float)
WEIGHTS = np.array([0.5, 1.2, 2.0, 0.8, 1.5, 3.0, 0.7, 1.1])


def test_weighted_share_matches_statsmodels():
    """Reference: statsmodels DescrStatsW (weighted mean of the 0/1 answer) and proportion_confint (Wilson)
    on Kish's effective sample size; to 1e-9."""
    ok = ~np.isnan(ANSWERS)
    hit = np.where(ok, np.isin(ANSWERS, [4, 5]).astype(float), np.nan)
    r = stats.weighted_share_ci(hit, WEIGHTS)
    d = DescrStatsW((hit[ok]), weights=WEIGHTS[ok])
    # by hand: positive weights 0.5 + 1.2 + 1.5 + 1.1 = 4.3 of 7.8 → 0.551282; n_eff = 7.8² / 10.28 = 5.918288
    assert r.share == pytest.approx(d.mean, abs=1e-9)
    assert r.share == pytest.approx(4.3 / 7.8, abs=1e-9)
    n_eff = d.sum_weights**2 / np.sum(WEIGHTS[ok] ** 2)
    assert r.n_eff == pytest.approx(n_eff, abs=1e-9) and r.n_eff == pytest.approx(5.918288, abs=1e-6)
    lo, up = proportion_confint(d.mean * n_eff, n_eff, alpha=0.05, method="wilson")
    assert r.lower == pytest.approx(lo, abs=1e-9) and r.upper == pytest.approx(up, abs=1e-9)
    assert (round(r.lower, 6), round(r.upper, 6)) == (0.218411, 0.843784)
    assert r.n == 7 and r.deff == pytest.approx(7 / n_eff)
    # the variance behind the interval is the weighted variance over n_eff (statsmodels, ddof 0)
    assert r.share * (1 - r.share) / r.n_eff == pytest.approx(d.var / n_eff, abs=1e-12)


def test_kish_equal_weights_is_simple_random_sample():
    assert stats.kish_effective_n(np.full(50, 2.5)) == pytest.approx(50.0)
    assert stats.design_effect(np.full(50, 2.5)) == pytest.approx(1.0)
    x = np.array([1, 0, 1, 1, 0, 1, 1, 0, 1, 1], dtype=float)
    r = stats.weighted_share_ci(x, np.ones(10))
    lo, up = stats.wilson_ci(7, 10)
    assert (r.lower, r.upper) == pytest.approx((lo, up))
    with pytest.raises(stats.StatisticsInputError):
        stats.weighted_share_ci([1, 0], [1.0, -1.0])
    with pytest.raises(stats.StatisticsInputError):
        stats.weighted_share_ci([1, 2], [1.0, 1.0])


def _survey(n_a: int, n_b: int, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = n_a + n_b
    return pd.DataFrame(
        {
            "respondent_id": [f"B{i:03d}" for i in range(n)],
            "area_id": ["01"] * n_a + ["02"] * n_b,
            "age_group": rng.choice(["18 bis 29", "30 bis 64"], n),
            "sex": ["d"] + list(rng.choice(["w", "m"], n - 1)),
            "weight": rng.uniform(0.5, 2.0, n),
            "F1_Test": rng.integers(1, 6, n).astype(float),
            "text": ["Es fehlen Kitaplätze."] * 4 + ["Der Spielplatz ist kaputt."] * 2 + [""] * (n - 6),
        }
    )


def _model(df: pd.DataFrame, min_n: int = 30) -> survey.SurveyModel:
    keys = pd.DataFrame({"area_id": ["01", "02"], "area_name": ["Nord", "Süd"]})
    settings = survey.load_settings(
        {"min_n": min_n, "topics": {"Kinderbetreuung": ["kita"], "Spielplätze": ["spielplatz"]}}, RULES
    )
    return survey.SurveyModel(2024, df, settings, ("F1_Test",), keys, None, None, RULES)


def test_item_estimates_by_area_match_reference():
    df = _survey(40, 12)
    s = survey.load_settings({"min_n": 30}, RULES)
    est = survey.item_estimates(df, "F1_Test", s, by="area_id")
    a = df[df["area_id"] == "01"]
    d = DescrStatsW(a["F1_Test"].isin([4, 5]).astype(float).to_numpy(), weights=a["weight"].to_numpy())
    assert est.loc["01", "share"] == pytest.approx(100 * d.mean, abs=1e-7)
    assert bool(est.loc["01", "enough"]) and not bool(est.loc["02", "enough"])


def test_min_n_rule_withholds_cells_and_passes_audit(tmp_path):
    m = _model(_survey(40, 12))
    html = m.item_table("F1_Test")
    # area 02 has 12 answers < 30: no share, no interval; the single "divers" respondent's count is withheld
    row = html.split('data-wb-row="02 Süd"')[1].split("</tr>")[0]
    assert 'data-kind="share" data-value' not in row and "%" not in row
    div = html.split('data-wb-row="Geschlecht: divers"')[1].split("</tr>")[0]
    assert 'data-value="1"' not in div
    (tmp_path / "b.html").write_text(f"<html><body>{html}{m.topic_table()}</body></html>", encoding="utf-8")
    assert audit_path(tmp_path, threshold=3) == []


def test_min_n_never_below_threshold_and_config_errors():
    assert survey.load_settings({"min_n": 1}, Rules(threshold=5)).min_n == 5
    with pytest.raises(ConfigError, match="bedarfserhebung.min_n"):
        survey.load_settings({"min_n": "viele"}, RULES)
    with pytest.raises(ConfigError):
        survey.load_settings({"positive": [6]}, RULES)


def test_topics_from_code_book_and_code_column():
    df = _survey(40, 12)
    m = _model(df)
    t = survey.topic_counts(df, m.settings).set_index("topic")
    assert t.loc["Kinderbetreuung", "mentions"] == 4 and t.loc["Spielplätze", "mentions"] == 2
    html = m.topic_table()
    assert 'data-wb-row="Spielplätze"' in html
    sp = html.split('data-wb-row="Spielplätze"')[1].split("</tr>")[0]
    assert 'data-value="2"' not in sp  # 2 mentions: withheld
    coded = df.assign(text_code=["Wohnen"] * 3 + [""] * (len(df) - 3))
    t2 = survey.topic_counts(coded, m.settings)
    assert t2["topic"].tolist() == ["Wohnen"] and int(t2["mentions"].iloc[0]) == 3
    none = survey.topic_counts(df.drop(columns="text"), survey.load_settings({}, RULES))
    assert none is None


def test_likert_distribution_weighted():
    df = pd.DataFrame({"area_id": ["01"] * 3, "weight": [1.0, 1.0, 2.0], "F1_Test": [1.0, 5.0, 5.0]})
    d = survey.likert_distribution(df, "F1_Test").loc["stadt"]
    assert d[1] == pytest.approx(25.0) and d[5] == pytest.approx(75.0) and d["n"] == 3


def test_demo_chapter_builds(small_processed, tmp_path):
    """The chapter on the 12-area demo city: every view renders and the page passes the audit."""
    import shutil

    import yaml

    from workbench.chapters import context
    from workbench.settings import load_report_config

    processed = tmp_path / "processed"
    shutil.copytree(small_processed, processed)
    base = yaml.safe_load(open(load_report_config().source, encoding="utf-8"))
    cfg = dict(
        base, data_raw=str(tmp_path / "raw"), data_processed=str(processed), reports=str(tmp_path / "r")
    )
    cfg.pop("demo", None)
    (tmp_path / "raw").mkdir()
    path = tmp_path / "report.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    m = survey.build(context.setup(path))
    assert "Personen teilgenommen" in m.summary()
    tables = [m.overview_table(), *(m.item_table(i) for i in m.items), str(m.topic_table())]
    for fig in (m.likert_chart(), m.likert_chart(m.items[0]), m.comparison_chart(m.items[0])):
        assert fig.wb_text.alt
    out = tmp_path / "pub"
    out.mkdir()
    (out / "b.html").write_text("<html><body>" + "".join(tables) + "</body></html>", encoding="utf-8")
    assert audit_path(out, threshold=3) == []


def test_coded_free_texts_pass_the_import(raw_copy, tmp_path):
    """A delivered column Freitext_Code becomes text_code of survey.parquet; the topic table then counts codes."""
    from workbench.io.importer import run_import

    path = next(raw_copy.glob("befragung_*.csv"))
    raw = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False)
    raw["Freitext_Code"] = np.where(raw["Freitext"].str.contains("Kita"), "Kinderbetreuung", "")
    raw.to_csv(path, sep=";", index=False)
    run_import(raw_copy, tmp_path / "processed")
    df = pd.read_parquet(tmp_path / "processed" / "survey.parquet")
    assert set(df["text_code"]) <= {"", "Kinderbetreuung"}
    n = int(raw["Freitext"].str.contains("Kita").sum())
    t = survey.topic_counts(df, survey.load_settings({"topics": {"Egal": ["park"]}}, RULES))
    assert t["topic"].tolist() == ["Kinderbetreuung"] and int(t["mentions"].iloc[0]) == n
