"""Example reports on real published data: Berlin MSS 2021 and the Flensburg Sozialatlas 2022.

``python -m workbench.examples.report berlin|flensburg [--shared DIR]`` runs ``examples/berlin/berlin_mss.ipynb``
or ``examples/flensburg/flensburg.ipynb`` with the chapter engine (:func:`workbench.build.engine.run_papermill`, kernel
working directory = project root) into ``reports/examples/<name>.html`` (executed notebooks in
``reports/executed/examples/``). The data are not in the repository: ``shared_dir`` is the shared folder beside
the project (``../shared``, holding ``data/berlin-mss-2021`` and ``data/flensburg-sozialatlas-2022``).

The notebook-facing helpers below turn the loaders of :mod:`workbench.examples.data` into German text,
machine-readable tables (:func:`workbench.render.tables.html_table`) and maps. The published figures are official
aggregates (no small counts); they still go through ``html_table`` so that ``workbench audit`` can read them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from workbench.render import fmt, maps, plots
from workbench.settings import project_root
from workbench.errors import WorkbenchError
from workbench.index import DYNAMIC_LABELS, STATUS_LABELS
from workbench.index.monitoring import NOT_ASSESSED, overlay_key
from workbench.chapters.monitoring import class_map
from workbench.render.tables import html_table, margin_totals
from workbench.examples.data import berlin_mss_recompute, load_berlin_mss
from workbench.examples.data import load_flensburg
from workbench.examples.data import flensburg_sgb2_shares
from workbench.build import engine

NOTEBOOKS = {
    "berlin": Path("examples") / "berlin" / "berlin_mss.ipynb",
    "flensburg": Path("examples") / "flensburg" / "flensburg.ipynb",
}
DATA_FOLDERS = {"berlin": "berlin-mss-2021", "flensburg": "flensburg-sozialatlas-2022"}
BERLIN_SOURCE = (
    "Senatsverwaltung für Stadtentwicklung, Bauen und Wohnen Berlin, Monitoring Soziale Stadtentwicklung 2021 "
    "(Datenstand 31.12.2020); Geometrien: LOR 2021"
)
FLENSBURG_SOURCE = (
    "Stadt Flensburg, Sozialatlas 2022 (Tabellen nach OK Lab Flensburg); Geometrien: Stadtteile"
)
AGE_BANDS = {
    "age_u18": "unter 18",
    "age_18_30": "18 bis unter 30",
    "age_30_45": "30 bis unter 45",
    "age_45_65": "45 bis unter 65",
    "age_65_80": "65 bis unter 80",
    "age_80plus": "80 und älter",
}


def shared_data(shared_dir: str | Path | None = None, name: str | None = None) -> Path:
    """The data folder for the examples: ``<shared_dir>/data`` (relative paths from the project root).

    A ``shared_dir`` that already is the data folder is accepted too. Raises a :class:`WorkbenchError` naming
    the folder when it (or the example's subfolder) is missing.
    """
    base = Path(shared_dir) if shared_dir is not None else project_root().parent / "shared"
    if not base.is_absolute():
        base = (project_root() / base).resolve()
    data = base / "data" if (base / "data").is_dir() else base
    wanted = [DATA_FOLDERS[name]] if name else list(DATA_FOLDERS.values())
    if not data.is_dir() or not any((data / w).is_dir() for w in wanted):
        raise WorkbenchError(
            "Beispieldaten nicht gefunden",
            path=data,
            hint=f"den gemeinsamen Datenordner mit {', '.join(wanted)} neben das Projekt legen "
            "(../shared/data) oder shared_dir angeben",
        )
    return data


# ---------------------------------------------------------------------------------------------- Berlin


def berlin_result(shared_dir: str | Path | None = None) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """(tables, recomputed MSS 2021 with the official classes beside it) for 542 Planungsräume."""

    tables = load_berlin_mss(shared_data(shared_dir, "berlin"))
    return tables, berlin_mss_recompute(tables)


def berlin_agreement(res: pd.DataFrame) -> dict[str, int]:
    """Number of valid PLR and how many of them agree with the official status, dynamic and overall class."""
    v = res[res["valid"]]
    return {
        "valid": len(v),
        "total": len(res),
        "status": int((v["status_class"] == v["official_status_class"]).sum()),
        "dynamic": int((v["dynamic_class"] == v["official_dynamic_class"]).sum()),
        "overall": int((v["overall_class"] == v["official_overall_class"]).sum()),
    }


def berlin_agreement_text(res: pd.DataFrame) -> str:
    """German sentence on the reproduction of the official classes."""
    a = berlin_agreement(res)
    n = fmt.number(a["valid"])
    return (
        f"Von {fmt.number(a['total'])} Planungsräumen sind {n} gültig (mindestens 300 Einwohner, kein Ausreißer). "
        f"Die neu berechneten Klassen stimmen mit den amtlichen überein: Status {fmt.number(a['status'])} von {n}, "
        f"Dynamik {fmt.number(a['dynamic'])} von {n}, Gesamtindex {fmt.number(a['overall'])} von {n}."
    )


def berlin_class_counts(res: pd.DataFrame) -> str:
    """Table: number of PLR per status and dynamic class, recomputed vs official."""
    v = res[res["valid"]]
    rows = {}
    for c, lab in STATUS_LABELS.items():
        rows[f"Status {c} {lab}"] = [(v["status_class"] == c).sum(), (v["official_status_class"] == c).sum()]
    for c, lab in DYNAMIC_LABELS.items():
        rows[f"Dynamik {lab}"] = [(v["dynamic_class"] == c).sum(), (v["official_dynamic_class"] == c).sum()]
    df = pd.DataFrame.from_dict(rows, orient="index", columns=["neu berechnet", "amtlich"]).astype(int)
    df.index.name = "Klasse"
    return html_table(
        df,
        {"neu berechnet": "count", "amtlich": "count"},
        table_id="berlin_klassen",
        caption="Planungsräume je Klasse: Neuberechnung und amtliches MSS 2021",
        footnotes=[f"Nur gültige Planungsräume. Quelle: {BERLIN_SOURCE}"],
    )


def berlin_map_frame(tables: dict[str, pd.DataFrame], res: pd.DataFrame) -> gpd.GeoDataFrame:
    """PLR geometries with the map keys of the recomputed classes (not valid → "nicht bewertet")."""
    gdf = tables["plr"][["area_id", "area_name", "district_id", "geometry"]].copy()
    r = res.reindex(gdf["area_id"])
    ok = r["valid"].fillna(False).astype(bool).to_numpy()
    gdf["status_key"] = np.where(ok, r["status_class"].astype("string").to_numpy(), NOT_ASSESSED)
    dyn = r["dynamic_class"].map({1: "+", 2: "±", 3: "−"}, na_action="ignore").to_numpy()
    gdf["dynamic_key"] = np.where(ok, dyn, NOT_ASSESSED)
    gdf["overlay_key"] = np.where(
        ok, r["overall_class"].map(overlay_key, na_action="ignore").to_numpy(), NOT_ASSESSED
    )
    for col in ("status_unstable", "dynamic_unstable", "unstable"):
        gdf[col] = False
    return gdf


def berlin_map(gdf: gpd.GeoDataFrame, kind: str) -> Figure:
    """Status, dynamic or overall (12 groups) map of the recomputed MSS 2021 on the LOR Planungsräume."""
    districts = gdf.dissolve(by="district_id").reset_index()[["district_id", "geometry"]]
    titles = {
        "status": "Status-Index 2021 (Neuberechnung)",
        "dynamic": "Dynamik-Index 2021 (Veränderung 2018–2020)",
        "overlay": "Gesamtindex 2021: Status und Dynamik",
    }
    note = (
        "Gestuftes z-Indexverfahren (Anteil Arbeitslose SGB II, Transferbezug, Kinderarmut; Dynamik = Veränderung "
        "über zwei Jahre in Prozentpunkten); Vergleichsmaßstab: Mittelwert der 536 gültigen Planungsräume; "
        f"keine Konfidenzintervalle (Vollerhebung); Quelle: {BERLIN_SOURCE}"
    )
    return class_map(gdf, kind, districts=districts, title=titles[kind], note=note)


def berlin_district_table(tables: dict[str, pd.DataFrame], res: pd.DataFrame) -> str:
    """Bezirke ranked by the share of inhabitants living in PLR with low or very low status (class 3 or 4)."""
    h = tables["hierarchie"].set_index("area_id")["district_name"]
    v = res[res["valid"]].assign(district=h, pop=tables["indikatoren"].set_index("area_id")["population"])
    low = v["status_class"].isin([3, 4])
    g = v.groupby("district")
    df = pd.DataFrame(
        {
            "Planungsräume (gültig)": g.size(),
            "davon Status niedrig/sehr niedrig": low.groupby(v["district"]).sum(),
            "Anteil Einwohner in PLR mit Status 3/4": v["pop"].where(low, 0).groupby(v["district"]).sum()
            / g["pop"].sum()
            * 100,
            "mittlerer Status-Index": g["status_index"].mean(),
        }
    ).sort_values("Anteil Einwohner in PLR mit Status 3/4", ascending=False, kind="stable")
    for c in ("Planungsräume (gültig)", "davon Status niedrig/sehr niedrig"):
        df[c] = [fmt.number(int(x)) for x in df[c]]
    df.index = pd.Index([f"{i}. {d}" for i, d in enumerate(df.index, start=1)], name="Bezirk (Rang)")
    return html_table(
        df,
        {
            "Planungsräume (gültig)": "text",
            "davon Status niedrig/sehr niedrig": "text",
            "Anteil Einwohner in PLR mit Status 3/4": "share",
            "mittlerer Status-Index": "rate",
        },
        table_id="berlin_bezirke",
        caption="Bezirke nach dem Anteil der Einwohner in Planungsräumen mit niedrigem oder sehr niedrigem Status",
        number_formats={"mittlerer Status-Index": {"decimals": 2, "unit": ""}},
        footnotes=[
            "Einwohner 31.12.2020 der gültigen Planungsräume; Status-Index = z-Wert (Berlin-Mittel 0).",
            f"Quelle: {BERLIN_SOURCE}",
        ],
    )


# ---------------------------------------------------------------------------------------------- Flensburg


def flensburg_tables(shared_dir: str | Path | None = None) -> dict[str, pd.DataFrame]:
    """The Sozialatlas 2022 tables (:func:`workbench.examples.data.load_flensburg`) from ``shared_dir``."""

    return load_flensburg(shared_data(shared_dir, "flensburg"))


def _stadtteil_labels(t: dict[str, pd.DataFrame]) -> pd.Series:
    e = t["einwohner"]
    names = e["area_name"].astype(str).str.replace("_", " ", regex=False)
    return pd.Series((e["area_id"] + " " + names).to_numpy(), index=e["area_id"].to_numpy())


def flensburg_population_table(t: dict[str, pd.DataFrame]) -> str:
    """Inhabitants per Stadtteil 2011, 2017, 2019, 2021 with the city total and the change 2011–2021 in %."""
    e = t["einwohner"].set_index("area_id")
    years = [2011, 2017, 2019, 2021]
    df = pd.DataFrame({str(y): e[f"pop_{y}"].astype(int) for y in years})
    df.loc["Flensburg"] = df.sum()
    df["Veränderung 2011–2021"] = (df["2021"] / df["2011"] - 1) * 100
    labels = _stadtteil_labels(t)
    total = "Flensburg insgesamt"
    df.index = pd.Index([labels.get(i, total) for i in df.index], name="Stadtteil")
    kinds = {str(y): "count" for y in years} | {"Veränderung 2011–2021": "rate"}
    return html_table(
        df,
        kinds,
        table_id="flensburg_einwohner",
        caption="Einwohner in den Stadtteilen (Stichtag 31.12.)",
        totals=margin_totals(df[[str(y) for y in years]], total_row=total),
        footnotes=[f"Quelle: {FLENSBURG_SOURCE}, Tab. 1"],
    )


def flensburg_population_chart(t: dict[str, pd.DataFrame]) -> Figure:
    """Bar chart: population change 2011–2021 in % per Stadtteil, the city as benchmark."""
    e = t["einwohner"]
    d = pd.DataFrame(
        {
            "label": _stadtteil_labels(t).to_numpy(),
            "value": (e["pop_2021"] / e["pop_2011"] - 1).to_numpy() * 100,
        }
    )
    city = (e["pop_2021"].sum() / e["pop_2011"].sum() - 1) * 100
    return plots.bar_chart(
        d,
        value="value",
        label="label",
        benchmark=float(city),
        benchmark_label="Flensburg",
        note=f"Veränderung der Einwohnerzahl 31.12.2011–31.12.2021 in %; Vollerhebung, keine Intervalle; "
        f"Vergleich: Stadt insgesamt; Quelle: {FLENSBURG_SOURCE}, Tab. 1",
    )


def flensburg_age_table(t: dict[str, pd.DataFrame]) -> str:
    """Age structure 2021: share of each age band in % of the sum of the bands (Tab. 5)."""
    a = t["altersgruppen"].set_index("area_id")
    bands = a[list(AGE_BANDS)].astype(float)
    bands.loc["Flensburg"] = bands.sum()
    df = bands.div(bands.sum(axis=1), axis=0) * 100
    df.columns = list(AGE_BANDS.values())
    labels = _stadtteil_labels(t)
    df.index = pd.Index([labels.get(i, "Flensburg insgesamt") for i in df.index], name="Stadtteil")
    return html_table(
        df,
        {c: "share" for c in df.columns},
        table_id="flensburg_alter",
        caption="Altersstruktur 2021: Anteil der Altersgruppen in %",
        footnotes=[
            "Anteile an der Summe der Altersgruppen: die veröffentlichte Summe weicht in 08 Sandberg "
            "(7.602 statt 6.702) und 02 Neustadt (4.850 statt 4.750) von den Altersgruppen ab.",
            f"Quelle: {FLENSBURG_SOURCE}, Tab. 5",
        ],
    )


def flensburg_sgb2_table(t: dict[str, pd.DataFrame], years: Sequence[int] = (2019, 2021)) -> str:
    """SGB II recipients, population < 65 and the share computed here vs the published share, per year."""

    s = flensburg_sgb2_shares(t)
    cols: dict[str, pd.Series] = {}
    kinds: dict[str, object] = {}
    for y in years:
        d = s[s["year"] == y].set_index("area_id")
        rec, share = f"Empfänger {y}", f"Anteil {y} berechnet"
        cols[rec] = d["recipients"].astype(int)
        cols[f"unter 65 {y}"] = d["pop_u65"].astype(int)
        cols[share] = d["share"]
        cols[f"Anteil {y} veröffentlicht"] = d["published"]
        kinds.update({rec: "count", f"unter 65 {y}": "count", share: ("share", rec)})
        kinds[f"Anteil {y} veröffentlicht"] = ("share", rec)
    df = pd.DataFrame(cols)
    labels = _stadtteil_labels(t)
    df.index = pd.Index([labels.get(i, i) for i in df.index], name="Stadtteil")
    return html_table(
        df,
        kinds,
        table_id="flensburg_sgb2",
        caption="Regelleistungsberechtigte nach SGB II: Anteil an den Einwohnern unter 65 Jahren",
        footnotes=[
            "Berechnet = Empfänger / (Einwohner unter 18 + 18 bis unter 65) × 100 (Tab. 18, 6, 7).",
            f"Quelle: {FLENSBURG_SOURCE}",
        ],
    )


def flensburg_sgb2_text(t: dict[str, pd.DataFrame]) -> str:
    """German summary of the largest difference between computed and published shares per year."""

    s = flensburg_sgb2_shares(t)
    parts = []
    for y, g in s.groupby("year"):
        d = g["difference"]
        parts.append(
            f"{y}: größte Abweichung {fmt.number(d.abs().max(), 2)} Prozentpunkte, veröffentlicht im Mittel "
            f"{fmt.signed(-d.mean(), 2, 'Pp.')} gegenüber der Neuberechnung"
        )
    return (
        "Neu berechneter SGB-II-Anteil gegenüber dem veröffentlichten Wert – "
        + "; ".join(parts)
        + ". In 2019 und 2020 stimmen die Werte im Rahmen der Rundung überein; 2018 und 2021 liegen die "
        "veröffentlichten Anteile in jedem Stadtteil niedriger, der Bericht nutzte dort offenbar einen anderen Nenner."
    )


def flensburg_sgb2_map(t: dict[str, pd.DataFrame], year: int = 2021) -> Figure:
    """Choropleth of the computed SGB II share of ``year`` on the Stadtteile (quantiles, 4 classes)."""

    s = flensburg_sgb2_shares(t)
    d = s[s["year"] == year].set_index("area_id")["share"]
    gdf = t["stadtteile"].to_crs(25832)
    gdf = gdf.assign(share=gdf["area_id"].map(d), label=gdf["area_id"])
    return maps.choropleth(
        gdf,
        "share",
        scheme="quantiles",
        k=4,
        legend_title=f"SGB-II-Anteil {year}",
        labels="label",
        title=f"Regelleistungsberechtigte nach SGB II {year} (Anteil an den Einwohnern unter 65)",
        note=f"Neu berechnet aus Tab. 18, 6 und 7; Vollerhebung, keine Intervalle; Quelle: {FLENSBURG_SOURCE}",
    )


# ---------------------------------------------------------------------------------------------- build


def build(name: str, shared_dir: str | Path | None = None, out_dir: str | Path | None = None) -> Path:
    """Run the example notebook ``name`` ("berlin" or "flensburg") and export its HTML; returns the HTML path.

    ``shared_dir``: the shared folder (default ``../shared`` beside the project); ``out_dir``: folder of the
    HTML (default ``reports/examples``); the executed notebook goes to ``<out_dir>/../executed/examples``.
    """

    if name not in NOTEBOOKS:
        raise WorkbenchError(f"unbekanntes Beispiel {name!r}", hint=f"eines von {', '.join(NOTEBOOKS)}")
    shared = str(shared_dir) if shared_dir is not None else "../shared"
    shared_data(shared, name)  # fail early with a clear message
    out = Path(out_dir) if out_dir is not None else project_root() / "reports" / "examples"
    html_path = out / f"{name}.html"
    executed = out.parent / "executed" / "examples" / f"{name}.ipynb"
    result = engine.run_papermill(
        project_root() / NOTEBOOKS[name], {"shared_dir": shared}, executed, html_path, cwd=project_root()
    )
    if not result.ok:
        raise WorkbenchError(
            f"Beispielbericht {name!r} fehlgeschlagen: {result.error}",
            path=NOTEBOOKS[name],
            hint=f"ausgeführtes Notebook prüfen: {executed}",
        )
    return html_path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m workbench.examples.report", description=__doc__.splitlines()[0]
    )
    parser.add_argument("name", choices=sorted(NOTEBOOKS))
    parser.add_argument("--shared", default=None, help="gemeinsamer Datenordner (Standard: ../shared)")
    parser.add_argument("--out", default=None, help="Zielordner der HTML-Datei (Standard: reports/examples)")
    args = parser.parse_args(argv)
    try:
        path = build(args.name, args.shared, args.out)
    except WorkbenchError as exc:
        print(f"Fehler: {exc}", file=sys.stderr)
        return 2
    print(f"Beispielbericht {args.name} → {path}")
    return 0


__all__ = ["build", "main", "shared_data"]

if __name__ == "__main__":
    sys.exit(main())
