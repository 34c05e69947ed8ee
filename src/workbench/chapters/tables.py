"""Published tables of the report: data → confidentiality → German machine-readable HTML.

Every table a chapter or profile shows is built here, so that each passes the same protection layer
(:mod:`workbench.confidentiality`) and carries the attributes the audit reads (:mod:`workbench.render.tables`).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from workbench.chapters.labels import MEASURE_LABELS
from workbench.chapters.population_cells import structure_measure
from workbench.confidentiality import Rules, primary_mask, protect_rates
from workbench.render.tables import count_key, write_xlsx
from workbench.vocabulary import CITY_ID

NOT_COMPARED = "nicht verglichen"

LEVEL_LABELS = {"sozialraum": "Sozialraum", "stadtbezirk": "Stadtbezirk", "stadt": "Stadt"}


def unit_labels(keys: pd.DataFrame, level: str = "sozialraum") -> pd.Series:
    """Row labels "0101 Altstadt" (id and name) per unit id of a level; the city is "Stadt insgesamt"."""
    if level == "sozialraum":
        k = keys.drop_duplicates("area_id")
        return pd.Series((k["area_id"] + " " + k["area_name"]).to_numpy(), index=k["area_id"].to_numpy())
    if level == "stadtbezirk":
        k = keys.drop_duplicates("district_id")
        return pd.Series(
            (k["district_id"] + " " + k["district_name"]).to_numpy(), index=k["district_id"].to_numpy()
        )
    return pd.Series({"stadt": "Stadt insgesamt"})


def protected_share(numerator: pd.Series, denominator: pd.Series, rules: Rules, multiplier: float = 100.0):
    """Share ``numerator / denominator × multiplier`` and a mask of values that must not be published.

    Suppressed when the numerator is a small count (primary rule) or the denominator is below
    ``rules.min_base``.
    """
    value = multiplier * numerator / denominator.where(denominator > 0)
    small = primary_mask(numerator.to_numpy(dtype=float), rules)
    base = denominator.to_numpy(dtype=float) < (rules.min_base or 0)
    return value, pd.Series(np.asarray(small) | base, index=numerator.index)


# --------------------------------------------------------------------------- indicators


def rate_inputs(table: pd.DataFrame, catalogue, protected_counts: pd.DataFrame) -> pd.DataFrame:
    """Columns ``protect_rates`` needs: numerator/denominator measure names or values, per indicator row.

    A single-measure numerator is looked up in the protected count cube; population numerators are checked
    as counts themselves (``numerator_check`` = |numerator|). A numerator built from several measures – a sum
    (Umzugsvolumen = in + out) or a balance (Wanderungssaldo = in − out) – is published only when every one of
    its measures is published in the protected count cube for that unit and year: ``numerator_check`` is then
    the volume (sum of the parts, never a small count), otherwise NaN, which ``protect_rates`` withholds as
    ``numerator``. The size of a balance itself is not a criterion: with its flows published it is known
    anyway, and with a flow withheld, publishing it would give the flow back (balance + the other flow).
    This is the rule of the movements table (:func:`workbench.chapters.demography.balances`) too, so a
    balance and its flows are withheld together in every table, profile and Excel cell.
    """
    meta = {ind.id: ind for ind in catalogue.indicators}
    out = table.copy()
    num_m, den_m = [], []
    parts: dict[str, tuple[str, ...]] = {}
    for ind_id in out["indicator"]:
        ind = meta[ind_id]
        n, d = ind.numerator, ind.denominator
        single = n.kind == "measure" and len(n.measures) == 1 and not n.minus
        num_m.append(n.measures[0] if single else "")
        den_m.append(d.measures[0] if d.kind == "measure" and len(d.measures) == 1 and not d.minus else "")
        if n.kind == "measure" and not single:
            parts[ind_id] = tuple(n.measures) + tuple(n.minus)
    out["numerator_measure"] = num_m
    out["denominator_measure"] = den_m
    check = out["numerator"].abs().astype(float)
    if parts:
        pc = protected_counts.set_index(["level", "unit_id", "year", "measure"])
        shown = pc["status"].eq("shown") & pc["published_value"].notna()
        volume = pd.Series(0.0, index=out.index)
        complete = pd.Series(True, index=out.index)
        rows = out["indicator"].isin(list(parts))
        for measure in sorted({m for ms in parts.values() for m in ms}):
            uses = rows & out["indicator"].map(lambda i, m=measure: m in parts.get(i, ())).astype(bool)
            idx = pd.MultiIndex.from_arrays(
                [
                    out.loc[uses, "level"].astype(str),
                    out.loc[uses, "unit_id"].astype(str),
                    out.loc[uses, "year"].astype(int),
                    pd.Series(measure, index=out.index[uses]),
                ]
            )
            pos = pc.index.get_indexer(idx)
            ok = np.where(pos >= 0, shown.to_numpy()[np.maximum(pos, 0)], False)
            val = np.where(pos >= 0, pc["published_value"].to_numpy(dtype=float)[np.maximum(pos, 0)], np.nan)
            complete.loc[uses] &= ok
            volume.loc[uses] += np.abs(val)
        check = check.where(~rows, volume.where(complete))
    out["numerator_check"] = check
    return out


def protect_indicators(
    table: pd.DataFrame,
    catalogue,
    protected_counts: pd.DataFrame,
    rules: Rules,
    protected_population: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Add ``published_value`` and ``status`` to the indicator table: suppressed where a count could leak.

    With ``protected_population`` (the joint protection of every published breakdown of the population) a share
    whose population numerator or denominator (e.g. residents under 18) is withheld there is withheld too: with
    the published area total it would give that count."""
    df = rate_inputs(table, catalogue, protected_counts)
    rates = pd.DataFrame(
        {
            "level": df["level"],
            "unit_id": df["unit_id"],
            "year": df["year"],
            "value": df["value"],
            "numerator": df["numerator_measure"],
            "numerator_value": df["numerator_check"],
            "denominator": df["denominator_measure"],
            "denominator_value": df["denominator"],
        }
    )
    published = df["indicator"].map({ind.id: ind.published for ind in catalogue.indicators}).fillna(False)
    published = published.astype(bool).to_numpy()
    # published shares without counts: the source's own protection holds (its withheld values stay withheld)
    rates = rates.loc[~published]
    prot = protect_rates(rates, protected_counts, rules)
    status = np.where(
        df["value"].notna(), "shown", np.where(df["numerator_suppressed"], "numerator", "missing")
    ).astype(object)
    status[~published] = prot["status"].to_numpy()
    if protected_population is not None and len(df):
        pp = protected_population.set_index(
            [
                protected_population["level"].astype(str),
                protected_population["unit_id"].astype(str),
                protected_population["year"].astype(int),
                protected_population["measure"].astype(str),
            ]
        )["status"]
        pp = pp[~pp.index.duplicated()]
        meta = {ind.id: ind for ind in catalogue.indicators}
        for which, label in (("numerator", "numerator"), ("denominator", "denominator")):
            measure = df["indicator"].map(
                lambda i, w=which: (
                    structure_measure(getattr(meta[i], w)) if getattr(meta[i], w).kind == "population" else ""
                )
            )
            rows = np.flatnonzero((measure != "").to_numpy() & (status == "shown"))
            if not len(rows):
                continue
            idx = pd.MultiIndex.from_arrays(
                [
                    df["level"].astype(str).to_numpy()[rows],
                    df["unit_id"].astype(str).to_numpy()[rows],
                    df["year"].astype(int).to_numpy()[rows],
                    measure.to_numpy()[rows],
                ]
            )
            st = pp.reindex(idx).fillna("secondary").to_numpy()
            status[rows[st != "shown"]] = label
    df["status"] = status
    df["published_value"] = df["value"].where(df["status"] == "shown")
    hidden = df["status"] != "shown"
    for col in ("value", "lower95", "upper95", "lower998", "upper998"):
        df[f"pub_{col}"] = df[col].where(~hidden)
    # A comparison needs both sides published: against a withheld (or unknown) benchmark it is "nicht
    # verglichen" too, in every table, map, overview and sentence (it would bound the withheld value).
    shown = pd.Series(
        df["value"].where(~hidden).to_numpy(dtype=float),
        index=pd.MultiIndex.from_arrays(
            [df["indicator"], df["level"], df["unit_id"].astype(str), df["year"]]
        ),
    )
    shown = shown[~shown.index.duplicated()]
    city_keys = pd.MultiIndex.from_arrays(
        [
            df["indicator"],
            np.full(len(df), "stadt", dtype=object),
            np.full(len(df), CITY_ID, dtype=object),
            df["year"],
        ]
    )
    city_ok = np.isfinite(shown.reindex(city_keys).to_numpy(dtype=float))
    parent_level = df["level"].map({"sozialraum": "stadtbezirk", "stadtbezirk": "stadt"}).fillna("")
    parent_keys = pd.MultiIndex.from_arrays(
        [df["indicator"], parent_level, df["parent_id"].astype(str), df["year"]]
    )
    parent_ok = np.isfinite(shown.reindex(parent_keys).to_numpy(dtype=float))
    for col in [c for c in df.columns if c.startswith("cmp_")]:
        ok = parent_ok if col.startswith("cmp_parent") else city_ok
        df[col] = df[col].where(~hidden.to_numpy() & ok, NOT_COMPARED)
    return df.drop(columns=["numerator_measure", "denominator_measure", "numerator_check"])


WORKBOOK_COLUMNS = {
    "value": "Wert",
    "lower": "Untergrenze 95 %",
    "upper": "Obergrenze 95 %",
    "numerator": "Zähler",
    "denominator": "Nenner",
    "city": "Stadtwert",
    "diff": "Differenz zur Stadt",
    "change": "Veränderung zum Vorjahr",
}
"""Number columns of the sheet „Indikatoren“ (each followed by its flag column „… (Zeichen)“)."""


def _term_text(term) -> str:
    """German description of a numerator or denominator (measure ids replaced by their German names)."""
    text = term.describe()
    for m in sorted({*term.measures, *term.minus}, key=len, reverse=True):
        text = re.sub(rf"\b{re.escape(m)}\b", MEASURE_LABELS.get(m, m), text)
    return text


def single_measure(term) -> str | None:
    """The count measure a term is, when it is exactly one measure (then it is a published count)."""
    if term.kind == "measure" and len(term.measures) == 1 and not term.minus:
        return term.measures[0]
    return None


def indicator_workbook(
    table: pd.DataFrame,
    catalogue,
    keys: pd.DataFrame,
    year: int,
    path,
    notes: pd.DataFrame | None = None,
    counts: pd.DataFrame | None = None,
) -> None:
    """Excel appendix as planners use it: every catalogue indicator, every year and every level (Sozialraum,
    Stadtbezirk, Stadt) in one long sheet „Indikatoren“ with filters and a frozen header row.

    Per row: indicator id and name, unit, year (a number), level, area number and name; number columns value,
    lower and upper 95 % bound, numerator, denominator, city value, difference to the city and change against
    the previous year, each followed by a flag column with the official sign (suppressed "."; not meaningful
    "x"), never text in a number column; the comparison with the city and the trend as words. Published values
    only (``pub_*``, rounded to the indicator's decimals): a suppressed value is an empty cell with "." in its
    flag column, and so are its interval, the difference and the change. Numerator and denominator are filled
    only where they are one count measure published in the protected count cube ``counts`` (the
    ``published_value`` of :attr:`Chapter.protected_counts`, same cell keys as the chapter tables); other
    numerators and denominators (population slices, sums) are not published and show ".". A sheet
    „Definitionen“ holds id, German label, unit, numerator and denominator definition, source and method;
    ``notes`` (e.g. the indicators left out and why) becomes a sheet „Hinweise“ when it has rows. ``year`` is
    the reporting year (the caption names the years covered).
    """
    inds = [i for i in catalogue.indicators if i.id in set(table["indicator"])]
    labels = {lvl: unit_labels(keys, lvl) for lvl in ("sozialraum", "stadtbezirk", "stadt")}
    t = table[table["level"].isin(labels) & table["indicator"].isin([i.id for i in inds])].copy()
    t = t[t["year"] <= year]
    meta = {i.id: i for i in inds}
    order_ind = {i.id: k for k, i in enumerate(inds)}
    order_lvl = {"stadt": 0, "stadtbezirk": 1, "sozialraum": 2}
    t["_i"], t["_l"] = t["indicator"].map(order_ind), t["level"].map(order_lvl)
    t = t.sort_values(["_i", "year", "_l", "unit_id"], kind="mergesort").reset_index(drop=True)
    dec = t["indicator"].map(lambda x: meta[x].decimals).to_numpy(dtype=int)

    def rounded(col: str) -> np.ndarray:
        v = pd.to_numeric(t[col], errors="coerce").to_numpy(dtype=float)
        return np.array([round(a, d) if np.isfinite(a) else np.nan for a, d in zip(v, dec, strict=True)])

    value, lower, upper = rounded("pub_value"), rounded("pub_lower95"), rounded("pub_upper95")
    shown = t["status"].eq("shown").to_numpy()
    # too few in the base ("min_base"): not secret, too unsure to publish; "/" instead of "." (below)
    unsure = t["status"].eq("min_base").to_numpy()
    withheld = (~t["status"].isin(["shown", "missing", "min_base"]) & t["status"].notna()).to_numpy()
    # city value and difference, from the published values only
    city = t[t["level"] == "stadt"].set_index(["indicator", "year"])
    city_value = np.array(
        [
            round(float(city["pub_value"].get((i, y), np.nan)), meta[i].decimals)
            if pd.notna(city["pub_value"].get((i, y), np.nan))
            else np.nan
            for i, y in zip(t["indicator"], t["year"], strict=True)
        ]
    )
    diff = np.round(value - city_value, 6)
    diff = np.array([round(a, d) if np.isfinite(a) else np.nan for a, d in zip(diff, dec, strict=True)])
    prev = t.set_index(["indicator", "level", "unit_id", "year"])["pub_value"]
    before = np.array(
        [
            prev.get((i, lv, u, y - 1), np.nan)
            for i, lv, u, y in zip(t["indicator"], t["level"], t["unit_id"], t["year"], strict=True)
        ],
        dtype=float,
    )
    before = np.array([round(a, d) if np.isfinite(a) else np.nan for a, d in zip(before, dec, strict=True)])
    change = np.array(
        [round(a - b, d) if np.isfinite(a) and np.isfinite(b) else np.nan for a, b, d in zip(value, before, dec, strict=True)]
    )  # fmt: skip
    # numerator and denominator: published counts of one measure, from the protected cube
    num = np.full(len(t), np.nan)
    den = np.full(len(t), np.nan)
    num_key: list[str | None] = [None] * len(t)
    den_key: list[str | None] = [None] * len(t)
    num_sup = np.zeros(len(t), dtype=bool)
    den_sup = np.zeros(len(t), dtype=bool)
    if counts is not None and len(counts):
        cube = counts[["measure", "level", "unit_id", "year", "published_value", "status"]].copy()
        cube["unit_id"] = cube["unit_id"].astype(str)
        for term_of, target, keyl, supl in (
            (lambda i: meta[i].numerator, num, num_key, num_sup),
            (lambda i: meta[i].denominator, den, den_key, den_sup),
        ):
            want = pd.DataFrame(
                {
                    "measure": [single_measure(term_of(i)) for i in t["indicator"]],
                    "level": t["level"].to_numpy(),
                    "unit_id": t["unit_id"].astype(str).to_numpy(),
                    "year": t["year"].to_numpy(),
                }
            )
            hit = want.merge(
                cube, on=["measure", "level", "unit_id", "year"], how="left", validate="many_to_one"
            )
            found = hit["status"].notna().to_numpy()
            ok = found & hit["status"].eq("shown").to_numpy() & hit["published_value"].notna().to_numpy()
            target[ok] = hit["published_value"].to_numpy(dtype=float)[ok]
            supl[found & ~ok] = True
            for k in np.flatnonzero(found):
                keyl[k] = count_key(
                    want.at[k, "measure"], want.at[k, "level"], want.at[k, "unit_id"], want.at[k, "year"]
                )
    # no number that belongs to a withheld value: its interval, difference and change are withheld too
    for arr in (lower, upper, diff, change):
        arr[~shown] = np.nan
    level_word = t["level"].map(LEVEL_LABELS).to_numpy()
    unit_no = np.where(t["level"].eq("stadt"), "", t["unit_id"].astype(str))
    names = [
        str(labels[lv].get(u, u)).split(" ", 1)[-1] if lv != "stadt" else "Stadt insgesamt"
        for lv, u in zip(t["level"], t["unit_id"], strict=True)
    ]
    cmp = np.where(t["level"].eq("stadt"), "", t["cmp_city"].fillna(NOT_COMPARED).astype(str))
    cmp = np.where(shown, cmp, "")
    trend = np.where(shown, t["trend"].fillna("").astype(str), "")
    c = WORKBOOK_COLUMNS
    index = pd.Index(
        [f"{i}|{lv}|{u}|{y}" for i, lv, u, y in zip(t["indicator"], t["level"], t["unit_id"], t["year"], strict=True)],
        name="Schlüssel",
    )  # fmt: skip
    df = pd.DataFrame(
        {
            "Indikator-ID": t["indicator"].to_numpy(),
            "Indikator": [meta[i].label for i in t["indicator"]],
            "Einheit": [meta[i].unit for i in t["indicator"]],
            "Jahr": t["year"].astype(int).to_numpy(),
            "Ebene": level_word,
            "Gebietsnummer": unit_no,
            "Gebiet": names,
            c["value"]: value,
            c["lower"]: lower,
            c["upper"]: upper,
            c["numerator"]: num,
            c["denominator"]: den,
            c["city"]: city_value,
            c["diff"]: diff,
            "Vergleich mit der Stadt (95 %)": cmp,
            c["change"]: change,
            "Trend (χ²-Trendtest, 5 Jahre)": trend,
        },
        index=index,
    )
    text_cols = [
        "Indikator-ID", "Indikator", "Einheit", "Jahr", "Ebene", "Gebietsnummer", "Gebiet",
        "Vergleich mit der Stadt (95 %)", "Trend (χ²-Trendtest, 5 Jahre)",
    ]  # fmt: skip
    kinds = {col: "text" for col in text_cols}
    kinds.update({c[k]: "rate" for k in ("value", "lower", "upper", "city", "diff", "change")})
    kinds.update({c["numerator"]: "count", c["denominator"]: "count"})
    max_dec = max((i.decimals for i in inds), default=1)
    fmts = {
        c[k]: {"decimals": max_dec, "unit": ""} for k in ("value", "lower", "upper", "city", "diff", "change")
    }
    suppressed = pd.DataFrame(False, index=df.index, columns=df.columns)
    suppressed[c["value"]] = withheld
    for k in ("lower", "upper", "diff", "change"):
        suppressed[c[k]] = withheld
    suppressed[c["numerator"]] = num_sup
    suppressed[c["denominator"]] = den_sup
    # a rate on a denominator of 0, or an interval for a value published without counts, is not meaningful
    den_raw = (
        pd.to_numeric(t.get("denominator"), errors="coerce").to_numpy(dtype=float)
        if "denominator" in t
        else np.full(len(t), np.nan)
    )
    zero_base = t["status"].eq("missing").to_numpy() & (den_raw == 0)
    no_interval = np.array([meta[i].method in ("none", "published") for i in t["indicator"]])
    signs = pd.DataFrame("unbekannt", index=df.index, columns=df.columns)
    for col in (c["value"], c["lower"], c["upper"], c["diff"], c["change"]):
        signs.loc[zero_base, col] = "nicht_sinnvoll"
    for col in (c["lower"], c["upper"]):
        signs.loc[no_interval, col] = "nicht_sinnvoll"
    for col in (c["value"], c["lower"], c["upper"], c["diff"], c["change"]):
        signs.loc[unsure, col] = "unsicher"
    cell_keys = pd.DataFrame(None, index=df.index, columns=df.columns, dtype=object)
    cell_keys[c["numerator"]] = num_key
    cell_keys[c["denominator"]] = den_key
    years = sorted(t["year"].unique())
    defs = pd.DataFrame(
        {
            "Indikator": [i.label for i in inds],
            "Einheit": [i.unit for i in inds],
            "Zähler": [_term_text(i.numerator) for i in inds],
            "Nenner": [_term_text(i.denominator) for i in inds],
            "Definition": [i.definition for i in inds],
            "Quelle": [i.source for i in inds],
            "Methode (Konfidenzintervall)": [i.method_label for i in inds],
            "Polarität": [i.polarity for i in inds],
            "Nachkommastellen": [str(i.decimals) for i in inds],
        },
        index=pd.Index([i.id for i in inds], name="Indikator-ID"),
    )
    first, last = (years[0], years[-1]) if years else (year, year)
    write_xlsx(
        {
            "Indikatoren": (
                df,
                kinds,
                None,
                {
                    "suppressed": suppressed,
                    "number_formats": fmts,
                    "caption": f"Indikatoren je Sozialraum, Stadtbezirk und Stadt, {first}–{last}",
                    "signs": signs,
                    "cell_keys": cell_keys,
                    "integer_columns": ["Jahr"],
                    "footnotes": [
                        "Werte auf die Nachkommastellen des Indikators gerundet (siehe Definitionen). Zähler und "
                        "Nenner nur, wo sie eine veröffentlichte Fallzahl eines einzelnen Merkmals sind; sonst „.“.",
                        "Differenz zur Stadt und Veränderung zum Vorjahr aus den veröffentlichten, gerundeten Werten.",
                    ],
                },
            ),
            "Definitionen": (defs, {col: "text" for col in defs.columns}, None),
            **(
                {"Hinweise": (notes, {col: "text" for col in notes.columns}, None)}
                if notes is not None and len(notes)
                else {}
            ),
        },
        path,
    )
