"""German feedback of the workshop checks: each right answer passes, each recognised mistake gets its message."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from workbench import index, stats, workshop
from workbench.confidentiality import Rules, primary_mask, with_margins
from workbench.render import fmt, maps
from workbench.workshop import Rueckmeldung, feedback


def fails(check, *args, match: str, **kwargs) -> str:
    """Run a check that must fail; return its message (German, never a bare "falsch")."""
    with pytest.raises(Rueckmeldung, match=match) as info:
        check(*args, **kwargs)
    message = str(info.value)
    assert len(message) > 40 and message.lower() != "falsch"
    return message


# ------------------------------------------------------------------------------------------- module 1


def read_keys(kurs, **kwargs) -> pd.DataFrame:
    return pd.read_csv(kurs.raw / "schluessel_gebiete.csv", **kwargs)


def test_key_table(kurs):
    feedback.check_key_table(read_keys(kurs, sep=";", encoding="utf-8-sig", dtype=str))
    fails(feedback.check_key_table, read_keys(kurs, sep=",", dtype=str), match="sep=';'")
    fails(
        feedback.check_key_table,
        read_keys(kurs, sep=";", encoding="cp1252", dtype=str),
        match="Byte-Order-Mark",
    )
    fails(feedback.check_key_table, read_keys(kurs, sep=";", encoding="utf-8-sig"), match="führenden Nullen")
    broken = read_keys(kurs, sep=";", encoding="utf-8-sig", dtype=str)
    broken["stat_bezirk_name"] = broken["stat_bezirk_name"].str.encode("utf-8").str.decode("cp1252")
    assert broken["stat_bezirk_name"].str.contains("Ã").any()  # the demo city has names with umlauts
    fails(feedback.check_key_table, broken, match="Umlaute")
    fails(feedback.check_key_table, broken.head(5).assign(stat_bezirk_name="x"), match="ganze Datei")
    fails(feedback.check_key_table, ..., match="noch leer")


def population_file(kurs, **kwargs) -> pd.DataFrame:
    return pd.read_csv(kurs.raw / f"einwohner_{kurs.year}.csv", sep=";", encoding="cp1252", **kwargs)


def test_population_by_area(kurs):
    melde = population_file(kurs, dtype={"Sozialraum": str})
    feedback.check_population_by_area(melde.groupby("Sozialraum")["Anzahl"].sum())
    feedback.check_population_by_area(melde.groupby("Sozialraum")[["Anzahl"]].sum())  # a table is fine too
    fails(
        feedback.check_population_by_area,
        population_file(kurs).groupby("Sozialraum")["Anzahl"].sum(),
        match="führenden Nullen",
    )
    fails(
        feedback.check_population_by_area,
        melde.groupby("Sozialraum")["Anzahl"].count(),
        match="Zeilen der Datei",
    )
    fails(
        feedback.check_population_by_area,
        melde[melde["Geschlecht"] == "w"].groupby("Sozialraum")["Anzahl"].sum(),
        match="Geschlecht",
    )
    older = pd.read_csv(
        kurs.raw / f"einwohner_{kurs.year - 1}.csv", sep=";", encoding="cp1252", dtype={"Sozialraum": str}
    )
    fails(
        feedback.check_population_by_area,
        older.groupby("Sozialraum")["Anzahl"].sum(),
        match=f"gefragt ist {kurs.year}",
    )
    text = population_file(kurs, dtype=str).groupby("Sozialraum")["Anzahl"].sum()  # strings concatenated
    fails(feedback.check_population_by_area, text, match="Text, keine Zahlen")
    by_name = melde.groupby("Sozialraum")["Anzahl"].sum().rename(index=dict(kurs.area_names))
    fails(feedback.check_population_by_area, by_name, match="Namen")


def test_join(kurs):
    lieferung = workshop.delivery_from_department(kurs)
    keys = read_keys(kurs, sep=";", encoding="utf-8-sig", dtype=str).drop_duplicates("sozialraum_id")
    areas = keys[["sozialraum_id", "sozialraum_name"]]
    feedback.check_join(areas.merge(lieferung, left_on="sozialraum_id", right_on="Kennung", how="left"))
    by_name = areas.merge(lieferung, left_on="sozialraum_name", right_on="Sozialraum", how="left")
    assert by_name["Kita_Plaetze"].isna().any()  # the delivery spells names differently
    fails(feedback.check_join, by_name, match="über den Namen")
    fails(
        feedback.check_join,
        areas.merge(lieferung, left_on="sozialraum_name", right_on="Sozialraum"),
        match="Namen",
    )
    side_by_side = pd.concat([areas.reset_index(drop=True), lieferung[["Kita_Plaetze"]]], axis=1)
    fails(feedback.check_join, side_by_side, match="falschen Sozialraum")
    blocks = read_keys(kurs, sep=";", encoding="utf-8-sig", dtype=str)
    fails(
        feedback.check_join,
        blocks.merge(lieferung, left_on="sozialraum_id", right_on="Kennung"),
        match="nicht eindeutig",
    )


def test_import_error(kurs, tmp_path):
    from workbench.errors import DataValidationError
    from workbench.io.importer import run_import

    folder = workshop.broken_delivery(kurs, tmp_path / "lieferung")
    with pytest.raises(DataValidationError) as info:
        run_import(folder, write=False)
    line, area = workshop.broken_line(kurs)
    assert f"(Zeile {line})" in str(info.value) and f"'{area.lstrip('0')}'" in str(info.value)
    feedback.check_import_error(line, area)
    fails(feedback.check_import_error, line - 2, area, match="Zählung von pandas")
    fails(feedback.check_import_error, line, int(area), match="Zahl")
    fails(feedback.check_import_error, line, area.lstrip("0"), match="fehlerhafte Kennung")
    fails(feedback.check_import_error, line + 7, area, match="kein Fehler")


# ------------------------------------------------------------------------------------------- module 2


@pytest.fixture(scope="module")
def share(kurs):
    x, n = feedback.child_poverty(kurs)
    return x, n


def test_child_share(kurs, share):
    x, n = share
    feedback.check_child_share(x / n * 100)
    fails(
        feedback.check_child_share,
        x / kurs.population() * 100,
        match="Der Nenner sollte die Bevölkerung unter 15 Jahren sein, nicht die Gesamtbevölkerung",
    )
    fails(feedback.check_child_share, x / kurs.population(0, 17) * 100, match="unter 18")
    fails(feedback.check_child_share, x / kurs.population(0, 15) * 100, match="Alter 15 mitgezählt")
    fails(feedback.check_child_share, x / n * 1000, match="je 1.000")
    fails(feedback.check_child_share, x / n, match="Bruch")
    fails(feedback.check_child_share, (x / n * 100).set_axis([int(a) for a in kurs.area_ids]), match="Nullen")
    fails(feedback.check_child_share, (x / n * 100).iloc[:-2], match="fehlen 2")
    message = fails(feedback.check_child_share, x / n * 100 + 1, match="zu hoch")
    assert "Zähler" in message and "Nenner" in message


def test_wilson(share):
    x, n = share
    lo, up = stats.wilson_ci(x, n)
    feedback.check_wilson(lo * 100, up * 100)
    p = x / n
    half = 1.96 * np.sqrt(p * (1 - p) / n)
    fails(feedback.check_wilson, (p - half) * 100, (p + half) * 100, match="Wald-Intervall")
    fails(feedback.check_wilson, lo, up, match="Brüche")
    fails(feedback.check_wilson, up * 100, lo * 100, match="vertauscht")


def test_hze_rate(kurs):
    x, n = feedback.hze(kurs)
    lo, up = stats.rate_ci(x, n, multiplier=1000)
    feedback.check_hze_rate(x / n * 1000, lo, up)
    fails(feedback.check_hze_rate, x / n * 100, lo, up, match="Prozentwert")
    fails(feedback.check_hze_rate, x / kurs.population() * 1000, lo, up, match="unter 21")
    fails(feedback.check_hze_rate, x / kurs.population(0, 17) * 1000, lo, up, match="unter 18")
    wl, wu = stats.wilson_ci(x, n)
    fails(feedback.check_hze_rate, x / n * 1000, wl * 1000, wu * 1000, match="Wilson-Intervall für Anteile")


def test_comparison(share):
    x, n = share
    lo, up = stats.wilson_ci(x, n)
    city = x.sum() / n.sum()
    feedback.check_comparison(stats.compare(lo, up, city, "hoch = schlecht"))
    fails(feedback.check_comparison, stats.compare(lo, up, city, "neutral"), match="Polarität fehlt")
    fails(feedback.check_comparison, stats.compare(lo, up, city, "hoch = gut"), match="vertauscht")
    mean = (x / n).mean()
    unweighted = stats.compare(lo, up, mean, "hoch = schlecht")
    if not unweighted.equals(stats.compare(lo, up, city, "hoch = schlecht")):
        fails(feedback.check_comparison, unweighted, match="Summe der Zähler")
    fails(feedback.check_comparison, stats.compare(lo, up, city * 100, "hoch = schlecht"), match="Einheiten")


# ------------------------------------------------------------------------------------------- module 3


def test_map_table(kurs, share):
    x, n = share
    table = pd.DataFrame({"area_id": kurs.area_ids, "anteil": (x / n * 100).to_numpy()})
    areas = kurs.dataset.areas
    feedback.check_map_table(areas.merge(table, on="area_id", how="left"))
    fails(feedback.check_map_table, pd.DataFrame(table.merge(areas, on="area_id")), match="Geometrie")
    as_int = table.assign(area_id=table["area_id"].astype(int))
    fails(
        feedback.check_map_table,
        areas.assign(area_id=areas["area_id"].astype(int)).merge(as_int.head(3), on="area_id", how="left"),
        match="fehlen",
    )
    shuffled = areas.assign(anteil=table["anteil"].to_numpy()[::-1])
    fails(feedback.check_map_table, shuffled, match="Reihenfolge")
    assert isinstance(shuffled, gpd.GeoDataFrame)


def test_classification(share):
    x, n = share
    values = x / n * 100
    feedback.check_classification(maps.classify(values, scheme="quantiles", k=5))
    feedback.check_classification(maps.classify(values, scheme="natural_breaks", k=4))
    fails(feedback.check_classification, maps.classify(values, k=10, max_classes=None), match="zu viele")
    fails(feedback.check_classification, maps.classify(values, k=2), match="kaum Unterschiede")
    fails(feedback.check_classification, maps.classify(x, k=5), match="andere Werte")


def test_hidden_area(kurs, share):
    x, n = share
    feedback.check_hidden_area(str(x.idxmax()))
    top_share = (x / n).idxmax()
    if top_share != x.idxmax():
        fails(feedback.check_hidden_area, str(top_share), match="verbirgt")
    fails(feedback.check_hidden_area, int(x.idxmax()), match="Nullen")
    fails(feedback.check_hidden_area, kurs.area_names[x.idxmax()], match="Kennung")
    other = next(a for a in kurs.area_ids if a not in (x.idxmax(), top_share))
    fails(feedback.check_hidden_area, other, match="Zähler|Anzahl")


# ------------------------------------------------------------------------------------------- module 4


def z(s: pd.Series, ddof: int = 0) -> pd.Series:
    return (s - s.mean()) / s.std(ddof=ddof)


def test_zscores(kurs):
    t = workshop.index_table(kurs)
    x = t["sgb2"]
    feedback.check_zscores(z(x))
    fails(feedback.check_zscores, z(x, ddof=1), match="ddof=0")
    weighted = (x * t["einwohner"]).sum() / t["einwohner"].sum()
    fails(feedback.check_zscores, (x - weighted) / x.std(ddof=0), match="ungewichteten Mittelwert")
    fails(feedback.check_zscores, x - x.mean(), match="nicht durch die Standardabweichung")


def test_status_sum(kurs):
    t = workshop.index_table(kurs)
    feedback.check_status_sum(z(t["sgb2"]) + z(t["arbeitslos"]) - z(t["wohndauer"]))
    fails(feedback.check_status_sum, z(t["sgb2"]) + z(t["arbeitslos"]) + z(t["wohndauer"]), match="Polarität")
    fails(feedback.check_status_sum, t["sgb2"] + t["arbeitslos"] - t["wohndauer"], match="standardisieren")


def test_mss(kurs):
    t = workshop.index_table(kurs)
    cols = ["sgb2", "arbeitslos", "wohndauer"]
    turned = t.assign(wohndauer=-t["wohndauer"])
    feedback.check_mss(index.mss_index(turned, status=cols, population="einwohner"))
    wrong = index.mss_index(t, status=cols, population="einwohner")
    right = index.mss_index(turned, status=cols, population="einwohner")
    assert not wrong["status_class"].equals(right["status_class"])
    fails(feedback.check_mss, wrong, match="ursprünglichen Richtung")
    fails(
        feedback.check_mss,
        index.mss_index(turned, status=cols[:2], population="einwohner"),
        match="stimmen nicht",
    )


def test_budget(kurs, share):
    x, n = share
    feedback.check_budget(100_000 * x / x.sum())
    fails(
        feedback.check_budget,
        pd.Series(100_000 / len(x), index=x.index),
        match="Ungleiches ungleich behandeln",
    )
    fails(feedback.check_budget, 100_000 * (x / n) / (x / n).sum(), match="nach dem Anteil")
    fails(feedback.check_budget, 100_000 * kurs.population() / kurs.population().sum(), match="Einwohnern")
    fails(feedback.check_budget, 50_000 * x / x.sum(), match="genau 100.000")


# ------------------------------------------------------------------------------------------- module 5


def test_profile(kurs):
    area = kurs.area_ids[2]
    right = feedback.profile_values(kurs, area)
    feedback.check_profile(dict(right), area)
    fails(feedback.check_profile, {**right, "kinderarmut": right["kinderarmut"] / 100}, area, match="Bruch")
    fails(
        feedback.check_profile,
        {**right, "anteil_unter_15": right["kinderarmut"]},
        area,
        match="an allen Einwohnern",
    )
    other = feedback.profile_values(kurs, kurs.area_ids[3])
    fails(feedback.check_profile, {**right, "einwohner": other["einwohner"]}, area, match=kurs.area_ids[3])
    fails(feedback.check_profile, {**right, "einwohner": ...}, area, match="noch leer")
    fails(feedback.check_profile, {"einwohner": 1}, area, match="fehlen")
    fails(feedback.check_profile, right, int(area), match="Nullen")


@pytest.fixture(scope="module")
def cases(kurs) -> pd.DataFrame:
    table = workshop.hze_exercise(kurs)
    assert ((table > 0) & (table < 3)).to_numpy().any()  # the exercise needs small counts
    return table


def test_primary(cases):
    feedback.check_primary(cases.mask(primary_mask(cases, Rules())), cases)
    message = fails(feedback.check_primary, cases, cases, match="darf nicht veröffentlicht werden")
    assert "Fallzahl 1" in message or "Fallzahl 2" in message
    fails(
        feedback.check_primary,
        cases.mask(primary_mask(cases, Rules(show_zero=False))),
        cases,
        match="0 wurde",
    )
    fails(feedback.check_primary, cases.mask((cases > 0) & (cases < 5)), cases, match="ab 3")
    fails(feedback.check_primary, ..., cases, match="noch leer")


def test_secondary(cases):
    table = cases.assign(Insgesamt=cases.sum(axis=1))
    feedback.check_secondary(with_margins(table, total_row=None).protect(Rules()).published, table)
    primary_only = table.mask(primary_mask(table, Rules()))
    one_hidden = primary_mask(table, Rules()).sum(axis=1) == 1
    assert one_hidden.any()  # at least one row with a single primary suppression
    fails(feedback.check_secondary, primary_only, table, match="minus die sichtbaren Werte")
    fails(feedback.check_secondary, table, table, match="darf nicht veröffentlicht werden")


def test_sentence():
    value = 12.3456
    feedback.check_sentence(f"In Altstadt leben {fmt.percent(value)} der Kinder …", value)
    feedback.check_sentence("In Altstadt leben 12,3 % der Kinder …", value)
    fails(feedback.check_sentence, "In Altstadt leben 12.3 % der Kinder", value, match="Dezimalpunkt")
    fails(feedback.check_sentence, "In Altstadt leben 12,3% der Kinder", value, match="Leerzeichen")
    fails(feedback.check_sentence, "In Altstadt leben 12,35 % der Kinder", value, match="Nachkommastellen")
    fails(feedback.check_sentence, "In Altstadt leben viele Kinder", value, match="fehlt der Anteil")


def test_every_check_is_tested():
    """Each check of the feedback module is exercised above (a new check needs its test)."""
    source = Path(__file__).read_text(encoding="utf-8")
    untested = [name for name in feedback.CHECKS if f"feedback.{name}" not in source]
    assert untested == []


def test_suppression_signs_count_as_suppressed(cases):
    """A participant may write the report's sign '.' (geheim) instead of NaN."""
    signed = cases.astype(object).mask(primary_mask(cases, Rules()), ".")
    feedback.check_primary(signed, cases)
