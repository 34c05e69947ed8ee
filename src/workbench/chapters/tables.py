"""Published tables of the report: data → confidentiality → German machine-readable HTML.

Every table a chapter or profile shows is built here, so that each passes the same protection layer
(:mod:`workbench.confidentiality`) and carries the attributes the audit reads (:mod:`workbench.render.tables`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.confidentiality import Rules, primary_mask, protect_rates, with_margins
from workbench.indicators.population import AGE_GROUPS, age_group_labels, change_table
from workbench.render import fmt
from workbench.render.tables import count_key, html_table, margin_totals

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


def population_overview(ds, year: int, first: int, rules: Rules, level: str = "sozialraum") -> str:
    """Population at ``first`` and ``year`` with change (%) and structure shares per unit, plus the city."""
    tab = change_table(ds.population, ds.keys, year, level=level)
    city = change_table(ds.population, ds.keys, year, level="stadt")
    labels = unit_labels(ds.keys, level)
    tot = pd.concat([tab, city], ignore_index=True)
    span = year - first
    from workbench.indicators.population import totals

    before = totals(ds.population[ds.population["year"] == first], ds.keys, level)
    before_city = totals(ds.population[ds.population["year"] == first], ds.keys, "stadt")
    before = pd.concat([before, before_city]).set_index("unit_id")["count"]
    all_labels = pd.concat([labels, unit_labels(ds.keys, "stadt")])
    cur = ds.population[ds.population["year"] == year]
    shares = {}
    for col, mask in (
        ("under_18", cur["age"] < 18),
        ("over_65", cur["age"] >= 65),
        ("foreign", cur["nationality"] == "nichtdeutsch"),
    ):
        sub = pd.concat([totals(cur[mask], ds.keys, level), totals(cur[mask], ds.keys, "stadt")])
        shares[col] = sub.set_index("unit_id")["count"].reindex(tot["unit_id"]).fillna(0).to_numpy()
    df = pd.DataFrame(index=pd.Index(all_labels.loc[tot["unit_id"]].to_numpy(), name=LEVEL_LABELS[level]))
    df[f"Einwohner {first}"] = before.reindex(tot["unit_id"]).to_numpy()
    df[f"Einwohner {year}"] = tot["population"].to_numpy()
    df[f"Veränderung {first}–{year}"] = tot["change_span_pct"].to_numpy() if span else np.nan
    suppressed = pd.DataFrame(False, index=df.index, columns=[])
    denominator = pd.Series(tot["population"].to_numpy(), index=df.index)
    for col, label in (
        ("under_18", "unter 18 Jahre"),
        ("over_65", "65 Jahre und älter"),
        ("foreign", "nichtdeutsch"),
    ):
        value, mask = protected_share(pd.Series(shares[col], index=df.index), denominator, rules)
        df[label] = value.to_numpy()
        suppressed[label] = mask.to_numpy()
    suppressed = suppressed.reindex(columns=df.columns, fill_value=False)
    units = list(tot["unit_id"])
    lvl = [level] * len(tab) + ["stadt"]
    keys = pd.DataFrame(None, index=df.index, columns=df.columns, dtype=object)
    keys[f"Einwohner {year}"] = [
        count_key("population", lv, u, year) for lv, u in zip(lvl, units, strict=True)
    ]
    keys[f"Einwohner {first}"] = [
        count_key("population", lv, u, first) for lv, u in zip(lvl, units, strict=True)
    ]
    kinds = {c: "count" for c in df.columns[:2]}
    kinds.update({c: "rate" for c in df.columns[2:3]})
    kinds.update({c: "share" for c in df.columns[3:]})
    return html_table(
        df,
        kinds,
        table_id=f"bevoelkerung-{level}-{year}",
        caption=f"Einwohner je {LEVEL_LABELS[level]} am {fmt.reference_date(first)} und {fmt.reference_date(year)}, "
        "Veränderung und Anteile in %",
        suppressed=suppressed,
        cell_keys=keys,
        footnotes=[
            "Quelle: Einwohnermelderegister, Hauptwohnsitz. Anteile in % der Einwohner des Sozialraums."
        ],
    )


def age_group_table(ds, year: int, rules: Rules) -> str:
    """Residents by age group per Sozialraum with row and column totals, protected by secondary suppression."""
    cur = ds.population[ds.population["year"] == year].copy()
    cur["group"] = age_group_labels(cur["age"])
    wide = cur.pivot_table(index="area_id", columns="group", values="count", aggfunc="sum", observed=False)
    wide = wide.reindex(columns=list(AGE_GROUPS)).fillna(0)
    labels = unit_labels(ds.keys)
    wide.index = pd.Index(labels.loc[wide.index].to_numpy(), name="Sozialraum")
    table = with_margins(wide, total_column="Insgesamt", total_row="Stadt insgesamt")
    prot = table.protect(rules)
    shown = prot.display()
    ids = {v: k for k, v in labels.items()}
    keys = pd.DataFrame(None, index=shown.index, columns=shown.columns, dtype=object)
    for r in shown.index:
        unit, level = (ids[r], "sozialraum") if r in ids else ("stadt", "stadt")
        keys.loc[r, "Insgesamt"] = count_key("population", level, unit, year)
        for g in AGE_GROUPS:
            keys.loc[r, g] = count_key(f"population_{g}", level, unit, year)
    return html_table(
        shown,
        {c: "count" for c in shown.columns},
        table_id=f"altersgruppen-{year}",
        caption=f"Einwohner nach Altersgruppen je Sozialraum am {fmt.reference_date(year)}",
        totals=margin_totals(shown, total_row="Stadt insgesamt", total_column="Insgesamt"),
        suppressed=prot.suppressed,
        cell_keys=keys,
        footnotes=[
            "Quelle: Einwohnermelderegister, Hauptwohnsitz; Altersgruppen in vollendeten Lebensjahren."
        ],
    )


# --------------------------------------------------------------------------- indicators


def rate_inputs(table: pd.DataFrame, catalogue) -> pd.DataFrame:
    """Columns ``protect_rates`` needs: numerator/denominator measure names or values, per indicator row.

    A single-measure numerator is looked up in the protected count cube; population numerators are checked
    as counts themselves; a difference (in − out) is checked on its volume (in + out is not shown, so only a
    volume below the threshold is withheld).
    """
    meta = {ind.id: ind for ind in catalogue.indicators}
    out = table.copy()
    num_m, den_m = [], []
    for ind_id in out["indicator"]:
        ind = meta[ind_id]
        n, d = ind.numerator, ind.denominator
        num_m.append(n.measures[0] if n.kind == "measure" and len(n.measures) == 1 and not n.minus else "")
        den_m.append(d.measures[0] if d.kind == "measure" and len(d.measures) == 1 and not d.minus else "")
    out["numerator_measure"] = num_m
    out["denominator_measure"] = den_m
    return out


def protect_indicators(
    table: pd.DataFrame, catalogue, protected_counts: pd.DataFrame, rules: Rules
) -> pd.DataFrame:
    """Add ``published_value`` and ``status`` to the indicator table: suppressed where a count could leak."""
    df = rate_inputs(table, catalogue)
    rates = pd.DataFrame(
        {
            "level": df["level"],
            "unit_id": df["unit_id"],
            "year": df["year"],
            "value": df["value"],
            "numerator": df["numerator_measure"],
            "numerator_value": df["numerator"].abs(),
            "denominator": df["denominator_measure"],
            "denominator_value": df["denominator"],
        }
    )
    prot = protect_rates(rates, protected_counts, rules)
    df["published_value"] = prot["published_value"].to_numpy()
    df["status"] = prot["status"].to_numpy()
    hidden = df["status"] != "shown"
    for col in ("value", "lower95", "upper95", "lower998", "upper998"):
        df[f"pub_{col}"] = df[col].where(~hidden)
    for col in ("cmp_city", "cmp_parent", "cmp_city_998"):
        df[col] = df[col].where(~hidden, "nicht verglichen")
    return df.drop(columns=["numerator_measure", "denominator_measure"])


def indicator_workbook(table: pd.DataFrame, catalogue, keys: pd.DataFrame, year: int, path) -> None:
    """Excel appendix: every catalogue indicator for every Sozialraum, Stadtbezirk and the city in ``year``.

    Published values only (``pub_value``); suppressed cells hold the suppression sign. One sheet with values,
    one with the indicator definitions; metadata for the audit in the hidden sheet.
    """
    from workbench.render.tables import write_xlsx

    sel = table[table["year"] == year]
    labels = pd.concat(
        [unit_labels(keys, "sozialraum"), unit_labels(keys, "stadtbezirk"), unit_labels(keys, "stadt")]
    )
    order = list(labels.index)
    wide = sel.pivot_table(index="unit_id", columns="indicator", values="pub_value", aggfunc="first")
    status = sel.pivot_table(index="unit_id", columns="indicator", values="status", aggfunc="first")
    inds = [i for i in catalogue.indicators if i.id in wide.columns]
    wide = wide.reindex(index=order, columns=[i.id for i in inds])
    status = status.reindex(index=order, columns=[i.id for i in inds])
    names = {i.id: f"{i.label} ({i.unit})" for i in inds}
    wide.index = pd.Index(labels.loc[order].to_numpy(), name="Gebiet")
    status.index = wide.index
    suppressed = (status.ne("shown") & status.ne("missing") & status.notna()).rename(columns=names)
    wide = wide.rename(columns=names)
    kinds = {names[i.id]: "share" if i.unit == "%" else "rate" for i in inds}
    fmts = {names[i.id]: {"decimals": i.decimals, "unit": i.unit} for i in inds}
    defs = pd.DataFrame(
        {
            "Indikator": [i.label for i in inds],
            "Definition": [i.definition for i in inds],
            "Einheit": [i.unit for i in inds],
            "Polarität": [i.polarity for i in inds],
            "Intervall": [i.method for i in inds],
            "Quelle": [i.source for i in inds],
        },
        index=pd.Index([i.id for i in inds], name="id"),
    )
    write_xlsx(
        {
            f"Indikatoren {year}": (
                wide,
                kinds,
                None,
                {
                    "suppressed": suppressed,
                    "number_formats": fmts,
                    "caption": f"Indikatoren je Gebiet {year}",
                    "footnotes": ["• = geheimgehalten (Fallzahl unter 3 oder rückrechenbar)."],
                },
            ),
            "Definitionen": (defs, {c: "text" for c in defs.columns}, None),
        },
        path,
    )
