"""Export of the explorer's current view: CSV and XLSX with German notes, figures as offline HTML."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from workbench.explore._data import LEVELS, IndicatorInfo
from workbench.render import fmt

METHOD_TEXT = {
    "wilson": "Wilson-Intervall",
    "poisson": "exaktes Poisson-Intervall (x < 10) bzw. Byar",
    "none": "ohne Intervall",
    "published": "veröffentlichter Wert ohne Fallzahlen, ohne Intervall und ohne Signifikanzvergleich",
}


def notes(ind: IndicatorInfo, level: str, year: int, city: str) -> list[str]:
    """German notes on source, method and confidentiality of an exported view."""
    return [
        f"{ind.label} ({ind.unit}) je {LEVELS[level]}, {city}, {year}: {ind.definition}",
        f"Quelle: {ind.source}, Stand {ind.reference_date}.",
        f"Methode: 95-%-Konfidenzintervall nach {METHOD_TEXT.get(ind.method, ind.method)}; Vergleich mit dem "
        "Wert der Stadt: „ähnlich“, wenn der Stadtwert im 95-%-Intervall liegt; Trend: χ²-Trendtest über die "
        "letzten 5 Jahre (99,8 %).",
        f"Geheimhaltung: nur veröffentlichte Werte. „{fmt.SUPPRESSED_SIGN}“ = geheim gehalten (Fallzahl unter der "
        "Geheimhaltungsschwelle oder zu kleine Bezugsgröße) bzw. nicht vorhanden.",
    ]


def export_view(
    folder: Path,
    view: pd.DataFrame,
    ind: IndicatorInfo,
    *,
    level: str,
    year: int,
    city: str,
    city_text: str,
    neighbours: list[str],
    selected: str | None,
    figures: dict,
) -> dict[str, Path]:
    """Write ``<indicator>_<level>_<year>.csv/.xlsx`` and one HTML file per figure into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_]+", "_", f"{ind.id}_{level}_{year}")
    role = {u: "Statistischer Nachbar" for u in neighbours}
    if selected:
        role[selected] = "Auswahl"
    shown = view["status"].eq("shown")
    table = pd.DataFrame(
        {
            LEVELS[level]: view["label"],
            f"{ind.label} ({ind.unit})": view["value_text"],
            "95-%-KI": view["interval_text"],
            "Vergleich Stadt": view["cmp_city"],
            "Trend (5 J.)": view["trend"],
            "Auswahl": view["unit_id"].map(role).fillna(""),
        }
    )
    city_row = {c: "" for c in table.columns}
    city_row.update({LEVELS[level]: "Stadt insgesamt", f"{ind.label} ({ind.unit})": city_text})
    table = pd.concat([table, pd.DataFrame([city_row])], ignore_index=True)
    lines = notes(ind, level, year, city)
    out: dict[str, Path] = {}
    csv = folder / f"{stem}.csv"
    with csv.open("w", encoding="utf-8-sig", newline="") as fh:
        for line in lines:
            fh.write(f"# {line}\n")
        table.to_csv(fh, sep=";", index=False)
    out["csv"] = csv
    # XLSX: numbers stay numbers (published only), withheld cells carry the sign
    xl = table.copy()
    value_col = f"{ind.label} ({ind.unit})"
    numbers = view["value"].where(shown).round(ind.decimals)
    cells = [float(v) if s else t for v, s, t in zip(numbers, shown, view["value_text"], strict=True)]
    xl[value_col] = pd.Series([*cells, city_text], dtype=object)
    xlsx = folder / f"{stem}.xlsx"
    with pd.ExcelWriter(xlsx, engine="openpyxl") as writer:
        xl.to_excel(writer, sheet_name="Werte", index=False)
        pd.DataFrame({"Hinweise": lines}).to_excel(writer, sheet_name="Hinweise", index=False)
    out["xlsx"] = xlsx
    for name, fig in figures.items():
        path = folder / f"{stem}_{name}.html"
        go_fig = fig if not hasattr(fig, "to_dict") else _plain_figure(fig)
        go_fig.add_annotation(
            text=" ".join(lines[1:]),
            xref="paper",
            yref="paper",
            x=0,
            y=-0.12,
            showarrow=False,
            font={"size": 9},
            align="left",
        )
        go_fig.write_html(path, include_plotlyjs="directory", full_html=True)
        out[name] = path
    return out


def _plain_figure(fig):
    import plotly.graph_objects as go

    return go.Figure(fig.to_dict())
