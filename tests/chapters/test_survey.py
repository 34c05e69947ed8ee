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
from workbench.render import fmt

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
    ch = context.setup(path)
    m = survey.build(ch)
    assert "Personen teilgenommen" in m.summary()
    # the profile sentence reads the cached all-area frame: the same shares and comparisons as the model
    city = {i: survey.item_estimates(m.survey, i, m.settings).iloc[0] for i in m.items}
    for area in sorted(m.survey["area_id"].astype(str).unique())[:4]:
        text = survey.profile_text(ch, area)
        assert text.startswith(f"**Bewohnerbefragung {m.year}, Zustimmung im Vergleich mit der Stadt:** ")
        for item in m.items:
            est = m._estimates(item, "area_id")
            if area in est.index and est.loc[area, "published"]:
                a = est.loc[area]
                cmp = stats.compare(a["lower"], a["upper"], city[item]["share"], "hoch = gut")
                assert f"{m.label(item)} {fmt.percent(a['share'])} ({cmp})" in text
            else:
                assert f"{m.label(item)} " not in text
    assert len(list((ch.cfg.paths.processed / "cache").glob("survey_profile-*.parquet"))) == 1
    assert survey.profile_text(ch, "9999") == ""
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


# ------------------------------------------------------------------ per-answer protection (minimum n per cell)


def test_protect_levels_primary_and_secondary_suppression():
    """An answer with 1 or 2 respondents is withheld, and so is a second one of the same side, so neither
    100 % − the others nor approval − the other positive answer gives it back; 0 stays visible."""
    c = pd.DataFrame(
        {
            1: [1.0, 0.0, 10.0, 6.0],
            2: [5.0, 2.0, 10.0, 6.0],
            3: [9.0, 9.0, 10.0, 6.0],
            4: [12.0, 12.0, 1.0, 6.0],
            5: [8.0, 8.0, 10.0, 6.0],
        },
        index=["a", "b", "c", "d"],
    )
    h = survey.protect_levels(c, (4, 5), RULES, 3)
    levels = h[[1, 2, 3, 4, 5]]
    assert levels.loc["a"].tolist() == [True, True, False, False, False]
    # the 0 is shown, the 9 protects the 2
    assert levels.loc["b"].tolist() == [False, True, True, False, False]
    assert levels.loc["c"].tolist() == [False, False, False, True, True]  # approval = 4 + 5 is published
    assert not levels.loc["d"].any()
    assert not h["positiv"].any() and not h["n"].any()
    # every row: no relation (all answers, the positive ones, the others) with exactly one withheld answer
    for groups in ([1, 2, 3, 4, 5], [4, 5], [1, 2, 3]):
        assert not (levels[groups].sum(axis=1) == 1).any()
    # the cell minimum is configurable and never below the report's threshold
    assert survey.protect_levels(c.loc[["d"]], (4, 5), RULES, 7).loc["d", [1, 2, 3, 4, 5]].all()
    assert survey.load_settings({"min_n_cell": 5}, RULES).min_n_cell == 5
    assert survey.load_settings({"min_n_cell": 1}, RULES).min_n_cell == 3
    with pytest.raises(ConfigError, match="bedarfserhebung.min_n_cell"):
        survey.load_settings({"min_n_cell": "wenige"}, RULES)


def _likert_survey() -> pd.DataFrame:
    """Area 01: 40 answers, exactly one „sehr unzufrieden“ (1) and one „sehr zufrieden“ (5); area 02: 35."""
    a = [1] + [2] * 9 + [3] * 10 + [4] * 19 + [5]
    b = [1] * 5 + [2] * 5 + [3] * 10 + [4] * 10 + [5] * 5
    df = _survey(len(a), len(b))
    return df.assign(F1_Test=np.array(a + b, dtype=float))


def test_likert_levels_of_one_or_two_respondents_are_withheld_everywhere(tmp_path):
    from workbench.render.figure_text import data_details

    m = _model(_likert_survey())
    fig = m.likert_chart("F1_Test")
    data = fig.wb_text.data
    row = data.loc["01 Nord"]
    # the single 1 and the single 5 withheld, and one more answer on each side (approval is published)
    assert row.isna().sum() >= 3 and np.isnan(row["sehr unzufrieden"]) and np.isnan(row["sehr zufrieden"])
    assert not data.loc["02 Süd"].isna().any()
    assert "Zustimmung ." not in fig.wb_text.alt  # approval itself rests on 20 and 20 answers
    html = data_details(fig.wb_text)
    assert 'data-wb-totals="' in html and "shares" in html
    out = tmp_path / "pub"
    out.mkdir()
    (out / "b.html").write_text(
        f"<html><body>{html}{m.item_table('F1_Test')}{m.overview_table()}</body></html>", encoding="utf-8"
    )
    assert audit_path(out, threshold=3) == []


def test_audit_finds_a_share_that_is_100_percent_minus_the_others(tmp_path):
    """The audit's distribution check: one withheld answer share per row is a finding, two are not."""
    from workbench.render.tables import html_table

    df = pd.DataFrame({"a": [10.0, 10.0], "b": [30.0, 30.0], "c": [60.0, 60.0]}, index=["x", "y"])
    sup = pd.DataFrame({"a": [True, True], "b": [False, True], "c": [False, False]}, index=df.index)
    html = html_table(
        df.mask(sup),
        dict.fromkeys(df.columns, "share"),
        table_id="verteilung",
        caption="Verteilung",
        suppressed=sup,
        totals={"rows": [], "columns": [], "shares": [{"parts": ["a", "b", "c"]}]},
    )
    (tmp_path / "v.html").write_text(f"<html><body>{html}</body></html>", encoding="utf-8")
    found = audit_path(tmp_path, threshold=3)
    assert [(f.row, f.column, f.kind) for f in found] == [("x", "a", "share_recoverable")]
    assert found[0].value == pytest.approx(10.0)


# ------------------------------------------------------------------ second wave: change with interval


def test_share_difference_matches_statsmodels_newcombe():
    """Reference: statsmodels confint_proportions_2indep(method="newcomb", compare="diff") on the weighted
    counts p̂·n_eff and n_eff of each wave; with equal weights it is the plain two-sample case."""
    from statsmodels.stats.proportion import confint_proportions_2indep

    # equal weights: 3 of 10 in the earlier wave, 7 of 12 in the later one
    early = np.array([1, 1, 1] + [0] * 7, dtype=float)
    late = np.array([1] * 7 + [0] * 5, dtype=float)
    d = stats.weighted_share_difference(early, np.ones(10), late, np.ones(12))
    lo, up = confint_proportions_2indep(7, 12, 3, 10, method="newcomb", compare="diff")
    assert d.difference == pytest.approx(7 / 12 - 3 / 10)
    assert (d.lower, d.upper) == pytest.approx((lo, up), abs=1e-9)
    assert not d.significant  # -0.12 … 0.62 contains 0
    # unequal weights: the small reference case of this module against a second sample
    ok = ~np.isnan(ANSWERS)
    hit = np.where(ok, np.isin(ANSWERS, [4, 5]).astype(float), np.nan)
    hit2 = np.array([1, 1, 1, 0, 1, 1, 1, 1, 0, 1], dtype=float)
    w2 = np.array([1.0, 0.6, 1.4, 2.0, 0.9, 1.1, 1.0, 0.7, 1.3, 0.8])
    d = stats.weighted_share_difference(hit, WEIGHTS, hit2, w2)
    a, b = stats.weighted_share_ci(hit, WEIGHTS), stats.weighted_share_ci(hit2, w2)
    lo, up = confint_proportions_2indep(
        b.share * b.n_eff, b.n_eff, a.share * a.n_eff, a.n_eff, method="newcomb", compare="diff"
    )
    assert d.difference == pytest.approx(b.share - a.share)
    assert (d.lower, d.upper) == pytest.approx((lo, up), abs=1e-9)
    assert d.lower < d.difference < d.upper


def test_trend_frame_two_waves_and_withheld_shares():
    """Area 01 improves from 20 % to 80 % approval (significant), area 02 has too few answers in the earlier
    wave: its change is withheld; without an earlier wave the chapter says so."""
    n = 40
    early = _survey(n, 12, seed=5).assign(F1_Test=np.array([4.0] * 8 + [2.0] * 32 + [3.0] * 12))
    late = _survey(n, 35, seed=6).assign(F1_Test=np.array([5.0] * 32 + [1.0] * 3 + [2.0] * 5 + [4.0] * 35))
    m = _model(late)
    assert "nur eine Befragungswelle" in survey.trend_text(m)
    from dataclasses import replace

    m2 = replace(m, previous=early, previous_year=2022)
    f = survey.trend_frame(m2, "F1_Test")
    a = f.loc["01"]
    r = stats.weighted_share_difference(
        np.isin(early["F1_Test"][:n], [4, 5]).astype(float),
        early["weight"][:n],
        np.isin(late["F1_Test"][:n], [4, 5]).astype(float),
        late["weight"][:n],
    )
    assert a["difference"] == pytest.approx(100 * r.difference) and a["direction"] == 1 and a["published"]
    assert not f.loc["02", "published"] and f.loc["02", "direction"] == 0
    html = survey.trend_table(m2)
    row = html.split('data-wb-row="02 Süd"')[1].split("</tr>")[0]
    assert "bis" not in row  # withheld: only the sign
    assert "▲" in html.split('data-wb-row="01 Nord"')[1].split("</tr>")[0]
    assert "gestiegen" in survey.trend_text(m2)


def test_withheld_pair_with_a_small_known_sum_is_widened():
    """The attack on the demo: two withheld answers whose sum follows from the published ones (100 % minus
    the others) held 2 respondents, so with zeros shown both were 1. Further answers are withheld until each
    withheld small answer could hold the threshold."""
    c = pd.DataFrame({1: [1.0], 2: [1.0], 3: [4.0], 4: [16.0], 5: [9.0]}, index=["0501"])
    h = survey.protect_levels(c, (4, 5), Rules(threshold=3), 3)
    row = h.loc["0501"]
    withheld = [v for v in survey.SCALE if row[v]]
    assert {1, 2} <= set(withheld) and 3 in withheld  # the pair alone held 2: the 3rd negative answer joins
    total = sum(c.loc["0501", v] for v in withheld)
    assert total - (len(withheld) - 1) >= 3  # a withheld answer could hold 3 respondents
    # no withheld answer is a difference of published ones: the negative answers are withheld together,
    # the positive ones (and the approval) stay published
    assert not row[4] and not row[5] and not row["positiv"]
    # a pair whose sum is large enough is left as it was
    c2 = pd.DataFrame({1: [1.0], 2: [6.0], 3: [4.0], 4: [16.0], 5: [9.0]}, index=["x"])
    h2 = survey.protect_levels(c2, (4, 5), Rules(threshold=3), 3)
    assert [v for v in survey.SCALE if h2.loc["x", v]] == [1, 3]
