"""Published tables of the report: data → confidentiality → German machine-readable HTML.

Every table a chapter or profile shows is built here, so that each passes the same protection layer
(:mod:`workbench.confidentiality`) and carries the attributes the audit reads (:mod:`workbench.render.tables`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.chapters.population_cells import structure_measure
from workbench.confidentiality import Rules, primary_mask, protect_rates
from workbench.render.tables import write_xlsx
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


def indicator_workbook(
    table: pd.DataFrame, catalogue, keys: pd.DataFrame, year: int, path, notes: pd.DataFrame | None = None
) -> None:
    """Excel appendix: every catalogue indicator for every Sozialraum, Stadtbezirk and the city in ``year``.

    Published values only (``pub_value``): numeric columns with an empty cell where nothing is published and a
    flag column with the official sign (suppressed "."; not computable because the denominator is 0 "x";
    unknown "."), the legend under the table. One sheet with values, one with the indicator definitions;
    metadata for the audit in the hidden sheet. ``notes`` (German text columns, e.g. the indicators left out
    and why) becomes a sheet „Hinweise“ when it has rows.
    """

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
    if (
        "denominator" in sel.columns
    ):  # a rate on a denominator of 0 is not meaningful ("x"), else unknown (".")
        den = sel.pivot_table(index="unit_id", columns="indicator", values="denominator", aggfunc="first")
        den = den.reindex(index=order, columns=[i.id for i in inds])
        den.index = wide.index
        zero_base = status.eq("missing").to_numpy() & (den.to_numpy(dtype=float) == 0)
    else:
        zero_base = np.zeros(status.shape, dtype=bool)
    signs = pd.DataFrame(
        np.where(zero_base, "nicht_sinnvoll", "unbekannt"), index=wide.index, columns=wide.columns
    ).rename(columns=names)
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
                    "signs": signs,
                },
            ),
            "Definitionen": (defs, {c: "text" for c in defs.columns}, None),
            **(
                {"Hinweise": (notes, {c: "text" for c in notes.columns}, None)}
                if notes is not None and len(notes)
                else {}
            ),
        },
        path,
    )
