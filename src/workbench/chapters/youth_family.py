"""Chapter "Kinder, Jugend und Familie", family part: child poverty and single parents per Sozialraum against the
city value (quadrant chart, table and text), from the protected indicator table (``pub_*`` values only).

Re-exported by ``workbench.chapters.youth``. An indicator the data do not allow (absent from the table) is left
out: :func:`family_table` drops its columns (the reason as footnote); without single parents or child poverty
there are no quadrants, and the chapter model shows the German sentence why instead of the chart and text.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.chapters.tables import unit_labels
from workbench.render import fmt
from workbench.render.figure_text import attach
from workbench.render.plots import add_note, german_axis, load_colours, new_figure, place_labels
from workbench.render.tables import html_table

CITY_LABEL = "Stadt insgesamt"
"""Row label of the city in the chapter's published tables (Kita and family tables)."""
QUADRANTS = {
    "beide über Stadtwert": "#b2182b",
    "nur Kinderarmut über Stadtwert": "#ef8a62",
    "nur Alleinerziehende über Stadtwert": "#fddbc7",
    "beide unter Stadtwert": "#92c5de",
}


def _pub(indicators: pd.DataFrame, indicator: str, year: int, level: str = "sozialraum") -> pd.DataFrame:
    sel = indicators[
        (indicators["indicator"] == indicator) & (indicators["year"] == year) & (indicators["level"] == level)
    ]
    return sel.set_index(sel["unit_id"].astype(str)).sort_index()


def family_frame(indicators: pd.DataFrame, year: int, area_ids: list[str]) -> pd.DataFrame:
    """Per area: published single-parent share, child poverty, HzE density with city comparisons and quadrant.

    The quadrant compares both published values with the published city values (above/below, no test);
    areas with a withheld value get no quadrant (NaN).
    """
    out = pd.DataFrame(index=pd.Index(area_ids, name="area_id"))
    city = {}
    for ind in ("alleinerziehende", "kinderarmut", "hze_dichte"):
        rows = _pub(indicators, ind, year).reindex(area_ids)
        out[ind] = rows["pub_value"].to_numpy()
        out[f"{ind}_cmp"] = rows["cmp_city"].fillna("nicht verglichen").to_numpy()
        out[f"{ind}_status"] = rows["status"].fillna("missing").to_numpy()
        c = _pub(indicators, ind, year, "stadt")
        city[ind] = float(c["pub_value"].iloc[0]) if len(c) else np.nan
    a_hi = out["alleinerziehende"] > city["alleinerziehende"]
    k_hi = out["kinderarmut"] > city["kinderarmut"]
    known = out["alleinerziehende"].notna() & out["kinderarmut"].notna()
    quad = np.select(
        [a_hi & k_hi, k_hi & ~a_hi, a_hi & ~k_hi],
        list(QUADRANTS)[:3],
        default=list(QUADRANTS)[3],
    )
    out["quadrant"] = pd.Series(quad, index=out.index).where(known)
    out.attrs["city"] = city
    return out


def quadrant_chart(frame: pd.DataFrame, year: int, title: str | None = None):
    """Scatter of child poverty (y) against the single-parent share (x) with the city values as cross-hairs.

    Only published values are drawn; each dot is labelled with the area id. Quadrant colours as in
    :data:`QUADRANTS`.
    """
    colours = load_colours()
    city = frame.attrs["city"]
    d = frame.dropna(subset=["alleinerziehende", "kinderarmut"])
    fig, ax = new_figure(None, (7.0, 5.2))
    for q, col in QUADRANTS.items():
        sub = d[d["quadrant"] == q]
        ax.scatter(
            sub["alleinerziehende"],
            sub["kinderarmut"],
            s=40,
            c=col,
            edgecolors="#333333",
            linewidths=0.5,
            label=f"{q} ({len(sub)})",
            zorder=3,
        )
    bench = colours["lines"]["benchmark"]
    if np.isfinite(city["alleinerziehende"]):
        ax.axvline(city["alleinerziehende"], color=bench, linestyle="--", linewidth=1)
    if np.isfinite(city["kinderarmut"]):
        ax.axhline(city["kinderarmut"], color=bench, linestyle="--", linewidth=1)
    ax.set_xlabel("Anteil Alleinerziehender an den Haushalten mit Kindern (%)", fontsize=8)
    ax.set_ylabel("Kinderarmut: Kinder unter 15 in SGB II (%)", fontsize=8)
    german_axis(ax, "x", unit="%")
    german_axis(ax, "y", unit="%")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(color="#eeeeee", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.legend(
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
        frameon=False,
        fontsize=8,
        title="Lage zur Stadt",
        title_fontsize=9,
    )
    # area numbers placed without collisions (a label without a free place is left out; the table has it)
    fig.labels_placed = place_labels(
        ax, d["alleinerziehende"].to_numpy(), d["kinderarmut"].to_numpy(), [str(a) for a in d.index]
    )
    n_out = len(frame) - len(d)
    note = (
        f"Gestrichelt: Stadtwerte {year} (Alleinerziehende {fmt.percent(city['alleinerziehende'])}, "
        f"Kinderarmut {fmt.percent(city['kinderarmut'])}); Einordnung über/unter ohne Signifikanztest. "
        "Quellen: Einwohnermelderegister (Haushaltegenerierung), Statistik der Bundesagentur für Arbeit."
    )
    if n_out:
        note += f" {fmt.count_word(n_out, 'Sozialraum', 'Sozialräume')} ohne veröffentlichten Wert nicht dargestellt."
    heading = title or f"Alleinerziehende und Kinderarmut je Sozialraum {year}"
    add_note(fig, note, heading, ax)
    data = pd.DataFrame(
        {
            "Alleinerziehende": frame["alleinerziehende"].round(1),
            "Kinderarmut": frame["kinderarmut"].round(1),
            "Lage zur Stadt": frame["quadrant"].where(frame["quadrant"].notna(), ""),
        },
        index=pd.Index([str(a) for a in frame.index], name="Sozialraum"),
    )
    counts = [f"{q}: {int((d['quadrant'] == q).sum())}" for q in QUADRANTS]
    attach(
        fig,
        f"Streudiagramm: {heading}. Je Sozialraum Anteil Alleinerziehender (waagerecht) und Kinderarmut "
        f"(senkrecht), Stadtwerte gestrichelt. Sozialräume je Lage – {'; '.join(counts)}.",
        data,
        {"Alleinerziehende": "share", "Kinderarmut": "share", "Lage zur Stadt": "text"},
        f"Daten zur Abbildung: {heading}",
    )
    return fig


def family_table(
    frame: pd.DataFrame,
    year: int,
    keys: pd.DataFrame,
    indicators: pd.DataFrame,
    left_out: dict[str, str] | None = None,
) -> str:
    """Jugendhilfeplanung overview per Sozialraum: single parents, child poverty, HzE density, comparisons.

    ``left_out``: indicator id → German sentence why the data do not allow it; its columns (and, for single
    parents or child poverty, the quadrant) are dropped and the sentence becomes a footnote."""
    left_out = dict(left_out or {})
    labels = unit_labels(keys)
    idx = pd.Index(labels.reindex(frame.index).to_numpy(), name="Sozialraum")
    df = pd.DataFrame(index=idx)
    sup = pd.DataFrame(False, index=idx, columns=[])
    spec = (
        ("alleinerziehende", "Alleinerziehende (%)"),
        ("kinderarmut", "Kinderarmut (%)"),
        ("hze_dichte", "HzE je 1.000 unter 21"),
    )
    city_row = {}
    for ind, col in spec:
        if ind in left_out:
            continue
        df[col] = frame[ind].to_numpy()
        df[f"Vergleich {col.split(' (')[0].split(' je')[0]}"] = frame[f"{ind}_cmp"].to_numpy()
        sup[col] = ~frame[f"{ind}_status"].isin(["shown", "missing"]).to_numpy()
        c = _pub(indicators, ind, year, "stadt")
        city_row[col] = float(c["pub_value"].iloc[0]) if len(c) else np.nan
    if not {"alleinerziehende", "kinderarmut"} & set(left_out):
        # quadrant of a withheld or unknown value: official sign "."
        df["Lage (Alleinerz./Kinderarmut)"] = frame["quadrant"].fillna(fmt.sign("geheim")).to_numpy()
    city = pd.Series({c: city_row.get(c, "") for c in df.columns}, name=CITY_LABEL)
    df = pd.concat([df, city.to_frame().T])
    df.index.name = "Sozialraum"
    sup = sup.reindex(index=df.index, columns=df.columns, fill_value=False)
    kinds = {c: "text" for c in df.columns}
    for col, kind in (
        ("Alleinerziehende (%)", "share"),
        ("Kinderarmut (%)", "share"),
        ("HzE je 1.000 unter 21", "rate"),
    ):
        if col in df.columns:
            kinds[col] = kind
    hze = "HzE je 1.000 unter 21"
    return html_table(
        df,
        kinds,
        table_id=f"familie-{year}",
        caption=f"Alleinerziehende, Kinderarmut und Hilfen zur Erziehung je Sozialraum {year}",
        suppressed=sup,
        number_formats={hze: {"decimals": 1, "unit": ""}} if hze in df.columns else {},
        footnotes=[
            "Vergleich mit der Stadt: „ähnlich“, wenn der Stadtwert im 95-%-Konfidenzintervall des Sozialraums "
            "liegt (Wilson für Anteile, exaktes Poisson/Byar für die HzE-Dichte); sonst besser/schlechter.",
            "Lage: Einordnung beider Werte über/unter dem Stadtwert ohne Signifikanztest.",
            "Quellen: Einwohnermelderegister (Haushaltegenerierung), Statistik der Bundesagentur für Arbeit, "
            "Jugendamt (HzE-Fälle §§ 27–35a SGB VIII).",
            *left_out.values(),
        ],
    )


def quadrant_text(frame: pd.DataFrame) -> str:
    """German sentence: how many areas lie above the city value in both single parents and child poverty."""
    counts = frame["quadrant"].value_counts()
    both = int(counts.get("beide über Stadtwert", 0))
    n = int(frame["quadrant"].notna().sum())
    text = (
        f"In {fmt.number(both)} von {fmt.number(n)} Sozialräumen mit veröffentlichten Werten liegen sowohl der "
        "Anteil Alleinerziehender als auch die Kinderarmut über dem städtischen Wert. Hier treffen zwei "
        "Risikolagen für Familien zusammen; sie sind Schwerpunkte für Familienzentren, frühe Hilfen und "
        "niedrigschwellige Beratung."
    )
    missing = len(frame) - n
    if missing:
        text += f" {fmt.count_word(missing, 'Sozialraum', 'Sozialräume')} ohne veröffentlichte Werte sind nicht eingeordnet."
    return text
