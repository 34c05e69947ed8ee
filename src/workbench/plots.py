"""Static charts for the report (matplotlib, German labels and number format, printable PNG).

Every function returns a :class:`matplotlib.figure.Figure` and draws a small ``note`` under it (method,
confidence level, comparator, source), because a reader must see how a number was made. Figures are created
without pyplot (no global state leaks between notebooks or batch jobs); in Jupyter show them with
``display(fig)`` or as the last expression of a cell. Colours come from ``config/colours.yaml``
(:func:`load_colours`), so a planner can change them without touching code.

Example::

    from workbench import plots
    fig = plots.dot_chart(table, value="value", lower="lower95", upper="upper95", label="unit_name",
                          comparison="cmp_city", benchmark=18.9, polarity="hoch = schlecht", unit="%",
                          title="Kinderarmut 2024", note="Methode: Wilson-Intervall, 95 %; Vergleich: Stadt")
    png = plots.figure_to_png_bytes(fig)
"""

from __future__ import annotations

import copy
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from matplotlib import colors as mcolors
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from . import fmt
from .config import CONFIG_DIR
from .errors import ConfigError, DataValidationError, WorkbenchError

NOTE_FONTSIZE = 7
_REQUIRED_KEYS = (
    "significance",
    "sequential",
    "mss",
    "typology",
    "likert",
    "facilities",
    "suppressed",
    "missing",
    "lines",
)
_CACHE: dict[tuple[str, float], dict[str, Any]] = {}

POLARITY_ALIASES = {
    "hoch = schlecht": "hoch = schlecht",
    "high_bad": "hoch = schlecht",
    "hoch = gut": "hoch = gut",
    "high_good": "hoch = gut",
    "neutral": "neutral",
}
SIGNIFICANCE_ORDER = {
    "polar": ["besser", "ähnlich", "schlechter", "nicht verglichen"],
    "neutral": ["höher", "ähnlich", "niedriger", "nicht verglichen"],
}


# --------------------------------------------------------------------------------------------- colours


def _default_colours_path() -> Path:
    path = CONFIG_DIR / "colours.yaml"
    if path.exists():
        return path
    return Path(__file__).resolve().parents[2] / "config" / "colours.yaml"


def _check_colours(data: Any, path: Path) -> None:
    if not isinstance(data, dict):
        raise ConfigError("erwartet eine Zuordnung (Schlüssel: Wert)", path=path)
    missing = [k for k in _REQUIRED_KEYS if k not in data]
    if missing:
        raise ConfigError(
            f"Schlüssel fehlen: {', '.join(missing)}",
            path=path,
            hint="die mitgelieferte config/colours.yaml als Vorlage nehmen",
        )

    def check(value: Any, where: str) -> None:
        if not mcolors.is_color_like(value):
            raise ConfigError(
                f"'{value}' ist keine gültige Farbe",
                path=path,
                where=where,
                hint='Hex-Farbe wie "#2c7fb8" angeben',
            )

    def entries(node: Any, where: str) -> list[tuple[str, Any]]:
        if isinstance(node, dict):
            return [(f"{where}.{k}", v) for k, v in node.items()]
        if isinstance(node, list):
            return [(f"{where}[{i}]", v) for i, v in enumerate(node)]
        raise ConfigError("erwartet eine Liste oder Zuordnung", path=path, where=where)

    for where, node in entries(data["significance"], "significance"):
        for w, c in entries(node, where):
            check(c, w)
    for where, node in entries(data["sequential"], "sequential"):
        for w, c in entries(node, where):
            check(c, w)
    for where, node in [*entries(data["mss"], "mss")]:
        for w, spec in entries(node, where):
            check((spec or {}).get("colour") if isinstance(spec, dict) else spec, f"{w}.colour")
    for where, node in entries(data["facilities"], "facilities"):
        check((node or {}).get("colour") if isinstance(node, dict) else node, f"{where}.colour")
    for key in ("typology", "likert", "lines"):
        for w, c in entries(data[key], key):
            check(c, w)
    for key in ("suppressed", "missing"):
        check((data[key] or {}).get("colour"), f"{key}.colour")
    for polar in ("polar", "neutral"):
        have = set((data["significance"] or {}).get(polar) or {})
        need = set(SIGNIFICANCE_ORDER[polar])
        if not need <= have:
            raise ConfigError(
                f"Kategorien fehlen: {', '.join(sorted(need - have))}",
                path=path,
                where=f"significance.{polar}",
            )


def load_colours(path: str | Path | None = None) -> dict[str, Any]:
    """Read the colour schemes (``config/colours.yaml`` by default) and check every colour.

    Returns a fresh nested dict (safe to modify). A malformed file raises :class:`ConfigError` naming the key.
    """
    path = Path(path) if path is not None else _default_colours_path()
    if not path.exists():
        raise ConfigError(
            "Farbdatei nicht gefunden", path=path, hint="config/colours.yaml aus der Vorlage wiederherstellen"
        )
    key = (str(path.resolve()), path.stat().st_mtime)
    if key not in _CACHE:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise ConfigError(f"kein gültiges YAML ({exc})", path=path, hint="YAML-Syntax prüfen") from exc
        _check_colours(data, path)
        _CACHE[key] = data
    return copy.deepcopy(_CACHE[key])


def normalise_polarity(polarity: str) -> str:
    """``"hoch = schlecht"`` / ``"hoch = gut"`` / ``"neutral"`` (English aliases high_bad/high_good accepted)."""
    key = str(polarity).strip().lower()
    if key not in POLARITY_ALIASES:
        raise WorkbenchError(
            f"unbekannte Polarität '{polarity}'",
            hint='"hoch = schlecht", "hoch = gut" oder "neutral" angeben',
        )
    return POLARITY_ALIASES[key]


def significance_palette(polarity: str, colours: dict[str, Any] | None = None) -> dict[str, str]:
    """Ordered mapping comparison label → colour for a polarity (neutral: höher/ähnlich/niedriger)."""
    colours = colours or load_colours()
    kind = "neutral" if normalise_polarity(polarity) == "neutral" else "polar"
    return {label: colours["significance"][kind][label] for label in SIGNIFICANCE_ORDER[kind]}


def sequential_colours(
    palette: str | Sequence[str], k: int, colours: dict[str, Any] | None = None
) -> list[str]:
    """``k`` hex colours from light to dark, interpolated between the anchors of a named palette."""
    if isinstance(palette, str):
        colours = colours or load_colours()
        if palette not in colours["sequential"]:
            raise ConfigError(
                f"unbekannte Farbskala '{palette}'",
                where="palette",
                hint=f"eine von {', '.join(colours['sequential'])} wählen oder in config/colours.yaml ergänzen",
            )
        anchors = colours["sequential"][palette]
    else:
        anchors = list(palette)
    if k == len(anchors):
        return [mcolors.to_hex(c) for c in anchors]  # exactly the configured colours
    cmap = mcolors.LinearSegmentedColormap.from_list("wb", anchors)
    positions = [0.5] if k == 1 else np.linspace(0, 1, k)
    return [mcolors.to_hex(cmap(p)) for p in positions]


# --------------------------------------------------------------------------------------------- helpers


def format_value(value: float, unit: str = "%", decimals: int = 1) -> str:
    """German value with unit: ``12,3 %`` for unit "%", ``4,5 je 1.000`` otherwise, "–" when missing."""
    if unit == "%":
        return fmt.percent(value, decimals)
    text = fmt.number(value, decimals)
    return f"{text}\u00a0{unit}" if unit and text != fmt.MISSING_SIGN else text


def german_axis(ax: Axes, axis: str = "y", decimals: int | None = None, unit: str = "") -> None:
    """Tick labels in German number format (``1.234,5``), optional unit suffix."""

    def f(v: float, _pos: int) -> str:
        d = decimals if decimals is not None else (0 if float(v).is_integer() else 1)
        return fmt.number(v, d) + (f"\u00a0{unit}" if unit else "")

    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(FuncFormatter(f))


def new_figure(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    """The figure of ``ax``, or a new pyplot-free figure with one axes."""
    if ax is not None:
        return ax.figure, ax  # type: ignore[return-value]
    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot(1, 1, 1)


def add_note(fig: Figure, note: str, title: str | None = None, ax: Axes | None = None) -> None:
    """Draw the title (on ``ax``) and the small note text under everything else in the figure (wrapped)."""
    if title and ax is not None:
        ax.set_title(title, loc="left", fontsize=11, fontweight="bold")
    if note:
        bbox = fig.get_tightbbox(fig.canvas.get_renderer())  # inches, includes legends outside the axes
        x = max(bbox.x0 / fig.get_figwidth(), 0.0) + 0.005
        y = bbox.y0 / fig.get_figheight() - 0.02
        fig.text(x, y, note, ha="left", va="top", fontsize=NOTE_FONTSIZE, color="#444444", wrap=True)


def figure_to_png_bytes(fig: Figure, dpi: int = 150) -> bytes:
    """PNG bytes of a figure, identical for identical figures (no software/date metadata)."""
    buf = io.BytesIO()
    fig.savefig(
        buf, format="png", dpi=dpi, metadata={"Software": None}, bbox_inches="tight", facecolor="white"
    )
    return buf.getvalue()


def require_columns(df: pd.DataFrame, columns: Sequence[str | None], what: str) -> None:
    """Raise a DataValidationError naming missing columns and the available ones."""
    if not isinstance(df, pd.DataFrame):
        raise DataValidationError(f"{what}: erwartet eine Tabelle (DataFrame), erhalten {type(df).__name__}")
    missing = [c for c in columns if c is not None and c not in df.columns]
    if missing:
        raise DataValidationError(
            f"{what}: Spalte(n) {', '.join(map(str, missing))} fehlen",
            where=f"vorhanden: {', '.join(map(str, df.columns))}",
            hint="Spaltennamen im Aufruf prüfen",
        )


def _numeric(df: pd.DataFrame, column: str, what: str) -> np.ndarray:
    try:
        return pd.to_numeric(df[column], errors="raise").to_numpy(dtype=float)
    except (ValueError, TypeError) as exc:
        raise DataValidationError(
            f"{what}: Spalte '{column}' enthält nicht-numerische Werte ({exc})"
        ) from exc


def _legend_right(ax: Axes, handles: list, title: str | None = None) -> None:
    ax.legend(
        handles=handles,
        title=title,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        frameon=False,
        fontsize=8,
        title_fontsize=8,
        alignment="left",
    )


# --------------------------------------------------------------------------------------------- dot chart


def dot_chart(
    df: pd.DataFrame,
    *,
    value: str,
    lower: str | None,
    upper: str | None,
    label: str,
    comparison: str | None = None,
    benchmark: float | None = None,
    polarity: str = "neutral",
    unit: str = "%",
    decimals: int = 1,
    benchmark_label: str = "Stadt",
    title: str | None = None,
    note: str = "",
    ax: Axes | None = None,
) -> Figure:
    """Ranked dot chart: one row per area (highest value on top), interval whiskers, dots coloured by comparison.

    Rows without a value (suppressed or missing) are listed at the bottom as "keine Angabe". The benchmark is a
    dashed vertical line labelled e.g. "Stadt: 18,9 %".
    """
    require_columns(df, [value, lower, upper, label, comparison], "Punktdiagramm")
    colours = load_colours()
    palette = significance_palette(polarity, colours)
    d = df.copy()
    d["_v"] = _numeric(d, value, "Punktdiagramm")
    d = pd.concat([d[d["_v"].notna()].sort_values("_v", kind="mergesort"), d[d["_v"].isna()]])
    missing = d["_v"].isna().to_numpy()
    n = len(d)
    fig, ax = new_figure(ax, (7.0, 1.2 + 0.26 * max(n, 3)))
    m = int(missing.sum())
    y = np.empty(n)
    y[~missing] = np.arange(m, n)  # ascending values upwards: highest on top
    y[missing] = np.arange(m)[::-1]  # rows without a value at the bottom
    cats = (
        d[comparison].where(d[comparison].notna(), "nicht verglichen").astype(str).to_numpy()
        if comparison
        else np.full(n, "nicht verglichen")
    )
    unknown = sorted(set(cats) - set(palette))
    if unknown:
        raise DataValidationError(
            f"Punktdiagramm: Vergleichswerte {', '.join(unknown)} passen nicht zur Polarität '{polarity}'",
            where=f"Spalte {comparison}",
            hint=f"erlaubt: {', '.join(palette)}",
        )
    if lower and upper:
        lo, hi = _numeric(d, lower, "Punktdiagramm"), _numeric(d, upper, "Punktdiagramm")
        ok = ~np.isnan(lo) & ~np.isnan(hi)
        ax.hlines(y[ok], lo[ok], hi[ok], color=colours["lines"]["interval"], linewidth=1.2, zorder=2)
    vals = d["_v"].to_numpy()
    ax.scatter(
        vals[~missing],
        y[~missing],
        c=[palette[c] for c in cats[~missing]],
        s=36,
        zorder=3,
        edgecolors="#333333",
        linewidths=0.5,
    )
    for yi in y[missing]:
        ax.text(
            0.01,
            yi,
            "keine Angabe",
            transform=ax.get_yaxis_transform(),
            va="center",
            fontsize=7,
            color="#777777",
        )
    ax.set_yticks(y, d[label].astype(str).tolist(), fontsize=8)
    handles = [Patch(facecolor=c, edgecolor="#333333", label=k) for k, c in palette.items()]
    if benchmark is not None and np.isfinite(benchmark):
        ax.axvline(benchmark, color=colours["lines"]["benchmark"], linestyle="--", linewidth=1, zorder=1)
        ax.text(
            benchmark,
            1.0,
            f" {benchmark_label}: {format_value(benchmark, unit, decimals)}",
            transform=ax.get_xaxis_transform(),
            va="bottom",
            ha="left",
            fontsize=8,
        )
        handles.append(
            Line2D(
                [],
                [],
                color=colours["lines"]["benchmark"],
                linestyle="--",
                label=f"{benchmark_label}: {format_value(benchmark, unit, decimals)}",
            )
        )
    german_axis(ax, "x", unit="%" if unit == "%" else "")
    ax.set_ylim(-0.7, n - 0.3)
    ax.grid(axis="x", color="#e5e5e5", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if unit and unit != "%":
        ax.set_xlabel(unit, fontsize=8)
    _legend_right(ax, handles, "Vergleich")
    add_note(fig, note, title, ax)
    fig.dot_order = d[label].astype(str).to_numpy()[np.argsort(-y, kind="stable")].tolist()  # top to bottom
    return fig


def _finish_axes(ax: Axes) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="y", color="#e5e5e5", linewidth=0.6)
    ax.set_axisbelow(True)


# --------------------------------------------------------------------------------------------- pyramid

_SEX = {"m": "m", "männlich": "m", "maennlich": "m", "w": "w", "weiblich": "w", "f": "w"}


def _pyramid_table(
    pop: pd.DataFrame, age_col: str, sex_col: str, value_col: str, band: int, what: str
) -> pd.Series:
    require_columns(pop, [age_col, sex_col, value_col], what)
    age = _numeric(pop, age_col, what)
    counts = _numeric(pop, value_col, what)
    if np.isnan(age).any() or (age < 0).any():
        raise DataValidationError(f"{what}: Spalte '{age_col}' enthält fehlende oder negative Altersangaben")
    if (counts < 0).any():
        raise DataValidationError(f"{what}: Spalte '{value_col}' enthält negative Anzahlen")
    sex = pop[sex_col].astype(str).str.strip().str.lower().map(_SEX)
    if sex.isna().any():
        bad = sorted(set(pop.loc[sex.isna(), sex_col].astype(str)))
        raise DataValidationError(
            f"{what}: unbekanntes Geschlecht {', '.join(bad)}",
            where=f"Spalte {sex_col}",
            hint='"m" oder "w" verwenden',
        )
    top = 90 if band == 5 else 100
    start = np.minimum((age // band) * band, top).astype(int)
    return pd.Series(counts).groupby([sex.to_numpy(), start]).sum()


def pyramid(
    pop_a: pd.DataFrame,
    pop_b: pd.DataFrame | None = None,
    *,
    label_a: str = "Sozialraum",
    label_b: str = "Stadt",
    age_col: str = "age",
    sex_col: str = "sex",
    value_col: str = "count",
    share: bool = True,
    band: int = 5,
    title: str | None = None,
    note: str = "",
    ax: Axes | None = None,
) -> Figure:
    """Age pyramid: men left, women right; ``pop_a`` as bars, ``pop_b`` (e.g. the city) as outline.

    ``band=5`` gives 5-year bands (last band 90+), ``band=1`` single years (100 = 100+). With ``share=True``
    each bar is the percentage of the whole population of that table (both sexes), so an area and the city are
    comparable. Long-format input as ``population.parquet`` (age, sex "m"/"w", count); other years or
    nationalities must be filtered before.
    """
    if band not in (1, 5):
        raise WorkbenchError(
            f"band={band} nicht möglich", hint="5 (Fünfjahresgruppen) oder 1 (Einzeljahre) angeben"
        )
    colours = load_colours()
    tables = [_pyramid_table(pop_a, age_col, sex_col, value_col, band, "Alterspyramide")]
    if pop_b is not None:
        tables.append(_pyramid_table(pop_b, age_col, sex_col, value_col, band, "Alterspyramide (Vergleich)"))
    top = 90 if band == 5 else 100
    starts = np.arange(0, top + 1, band)
    frames = []
    for t in tables:
        total = t.sum()
        if total <= 0:
            raise DataValidationError("Alterspyramide: die Bevölkerung ist 0", hint="Gebiet und Jahr prüfen")
        f = pd.DataFrame(
            {s: t.get(s, pd.Series(dtype=float)).reindex(starts, fill_value=0.0) for s in ("m", "w")}
        )
        frames.append(f / total * 100 if share else f)
    fig, ax = new_figure(ax, (7.0, 6.0 if band == 5 else 8.0))
    height = 0.85 * band
    a = frames[0]
    male_c, female_c = colours["typology"][2], colours["typology"][1]
    ax.barh(
        starts + band / 2 - 0.5 * (band == 1),
        -a["m"],
        height=height,
        color=male_c,
        label=f"{label_a}: Männer",
    )
    ax.barh(
        starts + band / 2 - 0.5 * (band == 1),
        a["w"],
        height=height,
        color=female_c,
        label=f"{label_a}: Frauen",
    )
    if len(frames) > 1:
        b = frames[1]
        edges = np.r_[starts, starts[-1] + band] - 0.5 * (band == 1)
        for col, sign in (("m", -1), ("w", 1)):
            ax.stairs(
                sign * b[col].to_numpy(),
                edges,
                orientation="horizontal",
                color=colours["lines"]["benchmark"],
                linewidth=1.2,
                baseline=None,
                label=label_b if col == "m" else None,
            )
    lim = max(float(np.nanmax([f.to_numpy().max() for f in frames])), 1e-9) * 1.1
    ax.set_xlim(-lim, lim)
    ax.axvline(0, color="#333333", linewidth=0.6)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: fmt.number(abs(v), 1 if share else 0)))
    ax.set_xlabel("Anteil an der Bevölkerung in %" if share else "Personen", fontsize=8)
    tick_starts = starts if band == 5 else np.arange(0, 101, 10)
    ax.set_yticks(
        tick_starts + (band / 2 if band == 5 else 0),
        [f"{s}–{s + band - 1}" if s < top else f"{top}+" for s in tick_starts]
        if band == 5
        else [f"{s}" if s < 100 else "100+" for s in tick_starts],
        fontsize=7,
    )
    ax.set_ylabel("Alter in Jahren", fontsize=8)
    ax.text(0.02, 0.98, "Männer", transform=ax.transAxes, ha="left", va="top", fontsize=10, fontweight="bold")
    ax.text(
        0.98, 0.98, "Frauen", transform=ax.transAxes, ha="right", va="top", fontsize=10, fontweight="bold"
    )
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(loc="lower right", fontsize=7, frameon=False)
    add_note(fig, note, title, ax)
    fig.pyramid_data = frames
    return fig


# --------------------------------------------------------------------------------------------- trend chart


def trend_chart(
    df: pd.DataFrame,
    *,
    year: str = "year",
    value: str = "value",
    lower: str | None = None,
    upper: str | None = None,
    series: str | None = None,
    benchmark: str | float | None = None,
    benchmark_label: str = "Stadt",
    unit: str = "%",
    decimals: int = 1,
    title: str | None = None,
    note: str = "",
    marker_text: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Time series: one line per ``series`` (e.g. area), shaded interval band, dashed benchmark.

    ``benchmark`` is a column of ``df`` with the benchmark value per year, or one constant. ``marker_text``
    (e.g. "Trend: steigend (χ²-Trendtest, 99,8 %)") is printed in the upper left corner.
    """
    require_columns(
        df,
        [year, value, lower, upper, series, benchmark if isinstance(benchmark, str) else None],
        "Zeitreihe",
    )
    colours = load_colours()
    fig, ax = new_figure(ax, (7.0, 4.0))
    d = df.copy()
    d["_y"] = _numeric(d, year, "Zeitreihe")
    d["_v"] = _numeric(d, value, "Zeitreihe")
    groups = [(None, d)] if series is None else list(d.groupby(series, sort=False))
    pal = colours["typology"]
    for i, (name, g) in enumerate(groups):
        g = g.sort_values("_y")
        c = colours["lines"]["bar"] if series is None else pal[i % len(pal)]
        ax.plot(
            g["_y"],
            g["_v"],
            marker="o",
            color=c,
            linewidth=1.8,
            markersize=4,
            label=str(name) if name is not None else None,
        )
        if lower and upper:
            ax.fill_between(
                g["_y"],
                _numeric(g, lower, "Zeitreihe"),
                _numeric(g, upper, "Zeitreihe"),
                color=c,
                alpha=0.18,
                linewidth=0,
            )
    if isinstance(benchmark, str):
        bm = d.groupby("_y")[benchmark].first().sort_index()
        ax.plot(
            bm.index,
            bm.to_numpy(dtype=float),
            linestyle="--",
            color=colours["lines"]["benchmark"],
            linewidth=1.2,
            label=benchmark_label,
        )
    elif benchmark is not None:
        ax.axhline(
            float(benchmark),
            linestyle="--",
            color=colours["lines"]["benchmark"],
            linewidth=1.2,
            label=f"{benchmark_label}: {format_value(float(benchmark), unit, decimals)}",
        )
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{int(round(v))}"))
    german_axis(ax, "y", unit="%" if unit == "%" else "")
    if unit and unit != "%":
        ax.set_ylabel(unit, fontsize=8)
    if marker_text:
        ax.text(
            0.01,
            0.98,
            marker_text,
            transform=ax.transAxes,
            ha="left",
            va="top",
            fontsize=8,
            bbox={"boxstyle": "round,pad=0.3", "facecolor": "white", "edgecolor": "#999999"},
        )
    _finish_axes(ax)
    if ax.get_legend_handles_labels()[0]:
        _legend_right(ax, ax.get_legend_handles_labels()[0])
    add_note(fig, note, title, ax)
    return fig


# --------------------------------------------------------------------------------------------- spine chart


def spine_positions(rows: pd.DataFrame) -> pd.DataFrame:
    """Positions (0 … 1) of the spine chart: city value at 0.5, the worse side always left.

    Per row the scale is the larger distance between the city value and the minimum or maximum of all areas
    (Fingertips method), so the range of all areas fits and 0.5 is the benchmark. High values go left when
    high is bad ("hoch = schlecht"), right otherwise (also for neutral indicators).
    """
    require_columns(rows, ["value", "city_value", "min", "p25", "p75", "max", "polarity"], "Spine-Chart")
    cols = ["value", "city_value", "min", "p25", "p75", "max"]
    v = {c: _numeric(rows, c, "Spine-Chart") for c in cols}
    direction = np.array(
        [-1.0 if normalise_polarity(p) == "hoch = schlecht" else 1.0 for p in rows["polarity"]]
    )
    city = v["city_value"]
    scale = np.fmax(np.abs(city - v["min"]), np.abs(v["max"] - city))
    scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
    out = pd.DataFrame(index=rows.index)
    for c in ("value", "min", "p25", "p75", "max"):
        out[f"pos_{c}"] = 0.5 + direction * (v[c] - city) / (2 * scale)
    return out


def spine_chart(
    rows: pd.DataFrame,
    *,
    area_label: str = "Gebiet",
    city_label: str = "Stadt",
    decimals: int = 1,
    title: str | None = None,
    note: str = "",
    ax: Axes | None = None,
) -> Figure:
    """Fingertips-style spine chart for an area profile: one line per indicator.

    ``rows`` has columns label, value, city_value, min, p25, p75, max, comparison, polarity, unit. Light bar:
    range of all areas; dark bar: 25th to 75th percentile; vertical line: city; dot: this area, coloured by its
    comparison with the city. The worse side is always on the left.
    """
    require_columns(
        rows,
        ["label", "value", "city_value", "min", "p25", "p75", "max", "comparison", "polarity", "unit"],
        "Spine-Chart",
    )
    colours = load_colours()
    pos = spine_positions(rows)
    n = len(rows)
    fig, ax = new_figure(ax, (9.0, 1.0 + 0.38 * max(n, 2)))
    y = np.arange(n)[::-1].astype(float)
    for yi, (_, r), (_, p) in zip(y, rows.iterrows(), pos.iterrows(), strict=True):
        lo, hi = sorted([p["pos_min"], p["pos_max"]])
        ax.barh(yi, hi - lo, left=lo, height=0.55, color=colours["lines"]["spine_range"], zorder=1)
        lo, hi = sorted([p["pos_p25"], p["pos_p75"]])
        ax.barh(yi, hi - lo, left=lo, height=0.55, color=colours["lines"]["spine_iqr"], zorder=2)
        palette = significance_palette(r["polarity"], colours)
        cmp = (
            r["comparison"]
            if isinstance(r["comparison"], str) and r["comparison"] in palette
            else "nicht verglichen"
        )
        if np.isfinite(p["pos_value"]):
            ax.scatter(
                [p["pos_value"]],
                [yi],
                s=60,
                color=palette[cmp],
                edgecolors="#222222",
                linewidths=0.6,
                zorder=4,
            )
        unit = str(r["unit"]) if pd.notna(r["unit"]) else ""
        ax.text(-1.75, yi, str(r["label"]), va="center", ha="left", fontsize=8)
        ax.text(-0.42, yi, format_value(r["value"], unit, decimals), va="center", ha="right", fontsize=8)
        ax.text(-0.08, yi, format_value(r["city_value"], unit, decimals), va="center", ha="right", fontsize=8)
    ax.axvline(0.5, color=colours["lines"]["benchmark"], linewidth=1.2, zorder=3)
    head = n - 0.35
    for x, text, ha in (
        (-1.75, "Indikator", "left"),
        (-0.42, area_label, "right"),
        (-0.08, city_label, "right"),
        (0.0, "← schlechter", "left"),
        (1.0, "besser →", "right"),
    ):
        ax.text(x, head, text, ha=ha, va="bottom", fontsize=8, fontweight="bold")
    ax.set_xlim(-1.78, 1.03)
    ax.set_ylim(-0.6, n + 0.2)
    ax.set_axis_off()
    handles = [
        Patch(facecolor=c, edgecolor="#222222", label=k)
        for k, c in significance_palette("hoch = schlecht", colours).items()
    ]
    handles += [
        Patch(facecolor=colours["lines"]["spine_range"], label="Spannweite aller Gebiete"),
        Patch(facecolor=colours["lines"]["spine_iqr"], label="mittlere 50 % der Gebiete"),
        Line2D([], [], color=colours["lines"]["benchmark"], label=city_label),
    ]
    if any(normalise_polarity(p) == "neutral" for p in rows["polarity"]):
        note = (note + "; " if note else "") + "Neutrale Indikatoren: links niedriger, rechts höher."
    ax.legend(
        handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=4, frameon=False, fontsize=7
    )
    add_note(fig, note, title, ax)
    fig.spine_positions = pos
    return fig


# --------------------------------------------------------------------------------------------- funnel plot


def _fraction(confidence: float) -> float:
    c = float(confidence)
    c = c / 100 if c > 1 else c
    if not 0.5 < c < 1:
        raise WorkbenchError(
            f"Konfidenzniveau {confidence} ungültig", hint="z. B. 0.95 oder 95, 0.998 oder 99.8"
        )
    return c


def funnel_limits(
    p_bar: float,
    n: np.ndarray,
    confidence: float,
    overdispersion: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Control limits (proportions) around ``p_bar`` at denominators ``n``: Wilson limits of p̄ at n, taken from
    :func:`workbench.stats.funnel_limits` (imported lazily; optional DerSimonian–Laird over-dispersion)."""
    from .stats import funnel_limits as stats_limits

    lo, hi = stats_limits(
        p_bar, np.asarray(n, dtype=float), confidence=confidence, overdispersion=overdispersion
    )
    return np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)


def funnel_plot(
    df: pd.DataFrame,
    *,
    numerator: str,
    denominator: str,
    benchmark: float | None = None,
    confidence: Sequence[float] = (0.95, 0.998),
    label: str | None = None,
    polarity: str = "neutral",
    multiplier: float = 100.0,
    unit: str = "%",
    benchmark_label: str = "Stadt",
    overdispersion: bool = False,
    title: str | None = None,
    note: str = "",
    ax: Axes | None = None,
) -> Figure:
    """Funnel plot of proportions: value (x/n × multiplier) against the denominator n with Wilson control limits.

    ``benchmark`` is in the plotted unit (e.g. 18.9 for 18,9 %); without it the pooled value Σx/Σn is used.
    Dots are coloured by the comparison at the first confidence level (polarity-aware); areas outside the last
    (widest) level are labelled. Rows with a missing (suppressed) numerator are left out and counted in the note.
    ``overdispersion=True`` widens the limits by the between-area variance τ² (DerSimonian–Laird on the
    logit, see ``workbench.stats.funnel_limits``) and says so in the note. ``fig.funnel_table`` holds the
    values, limits and comparison per area.
    """
    require_columns(df, [numerator, denominator, label], "Funnel-Plot")
    levels = [_fraction(c) for c in confidence]
    if not levels:
        raise WorkbenchError("Funnel-Plot: mindestens ein Konfidenzniveau angeben")
    x_all, n_all = _numeric(df, numerator, "Funnel-Plot"), _numeric(df, denominator, "Funnel-Plot")
    keep = ~np.isnan(x_all) & ~np.isnan(n_all)
    x, n = x_all[keep], n_all[keep]
    bad = np.flatnonzero((n <= 0) | (x < 0) | (x > n))
    if bad.size:
        row = df.index[keep][bad[0]]
        raise DataValidationError(
            "Funnel-Plot: Zähler muss zwischen 0 und Nenner liegen, Nenner > 0",
            where=f"Zeile {row}",
            hint=f"Spalten {numerator}/{denominator} prüfen",
        )
    if x.size == 0:
        raise DataValidationError("Funnel-Plot: keine Gebiete mit Zähler und Nenner")
    p_bar = float(benchmark) / multiplier if benchmark is not None else float(x.sum() / n.sum())
    if not 0.0 <= p_bar <= 1.0:
        raise WorkbenchError(
            f"Funnel-Plot: Vergleichswert {benchmark} liegt außerhalb von 0 bis {fmt.number(multiplier)}",
            hint="Vergleichswert in derselben Einheit wie die Werte angeben (z. B. 18.9 für 18,9 %)",
        )
    od = (x, n) if overdispersion else None
    colours = load_colours()
    palette = significance_palette(polarity, colours)
    pol = normalise_polarity(polarity)
    table = pd.DataFrame({"n": n, "value": x / n * multiplier}, index=df.index[keep])
    if label:
        table.insert(0, "label", df.loc[keep, label].astype(str).to_numpy())
    for c in levels:
        lo, hi = funnel_limits(p_bar, n, c, od)
        table[f"lower_{c:g}"], table[f"upper_{c:g}"] = lo * multiplier, hi * multiplier
    first, last = levels[0], levels[-1]
    above = table["value"] > table[f"upper_{first:g}"]
    below = table["value"] < table[f"lower_{first:g}"]
    high, low = {
        "neutral": ("höher", "niedriger"),
        "hoch = schlecht": ("schlechter", "besser"),
        "hoch = gut": ("besser", "schlechter"),
    }[pol]
    table["comparison"] = np.where(above, high, np.where(below, low, "ähnlich"))
    table["outside_last"] = (table["value"] > table[f"upper_{last:g}"]) | (
        table["value"] < table[f"lower_{last:g}"]
    )
    fig, ax = new_figure(ax, (7.0, 4.5))
    grid = np.linspace(max(n.min() * 0.8, 1.0), n.max() * 1.1, 300)
    styles = ["--", "-", ":", "-."]
    for i, c in enumerate(levels):
        lo, hi = funnel_limits(p_bar, grid, c, od)
        lab = f"Kontrollgrenze {fmt.number(c * 100, 1 if (c * 100) % 1 else 0)}\u00a0%"
        ax.plot(grid, lo * multiplier, color="#808080", linestyle=styles[i % 4], linewidth=0.9, label=lab)
        ax.plot(grid, hi * multiplier, color="#808080", linestyle=styles[i % 4], linewidth=0.9)
    ax.axhline(
        p_bar * multiplier,
        color=colours["lines"]["benchmark"],
        linewidth=1.6,
        label=f"{benchmark_label}: {format_value(p_bar * multiplier, unit, 1)}",
    )
    ax.scatter(
        table["n"],
        table["value"],
        c=[palette[k] for k in table["comparison"]],
        s=28,
        edgecolors="#222222",
        linewidths=0.5,
        zorder=3,
    )
    if label:
        for _, r in table[table["outside_last"]].iterrows():
            ax.annotate(
                r["label"], (r["n"], r["value"]), xytext=(3, 3), textcoords="offset points", fontsize=7
            )
    german_axis(ax, "x", decimals=0)
    german_axis(ax, "y", unit="%" if unit == "%" else "")
    ax.set_xlabel("Nenner (Personen)", fontsize=8)
    _finish_axes(ax)
    handles = ax.get_legend_handles_labels()[0]
    handles += [
        Patch(facecolor=palette[k], edgecolor="#222222", label=k) for k in palette if k != "nicht verglichen"
    ]
    _legend_right(ax, handles)
    if overdispersion:
        note = (
            note + "; " if note else ""
        ) + "Grenzen um Überdispersion erweitert (DerSimonian-Laird, Logit)"
    skipped = int((~keep).sum())
    if skipped:
        note = (
            note + "; " if note else ""
        ) + f"{fmt.count_word(skipped, 'Gebiet', 'Gebiete')} ohne Wert nicht dargestellt"
    add_note(fig, note, title, ax)
    fig.funnel_table = table
    return fig


# --------------------------------------------------------------------------------------------- bars


def bar_chart(
    df: pd.DataFrame,
    *,
    value: str,
    label: str,
    unit: str = "%",
    decimals: int = 1,
    highlight: str | Sequence[str] | None = None,
    benchmark: float | None = None,
    benchmark_label: str = "Stadt",
    sort: bool = True,
    title: str | None = None,
    note: str = "",
    ax: Axes | None = None,
) -> Figure:
    """Horizontal bars with the German value at each bar; ``highlight`` labels are drawn in the highlight colour."""
    require_columns(df, [value, label], "Balkendiagramm")
    colours = load_colours()
    d = df.assign(_v=_numeric(df, value, "Balkendiagramm"))
    if sort:
        d = d.sort_values("_v", kind="mergesort", na_position="first")
    marks = {highlight} if isinstance(highlight, str) else set(highlight or [])
    labels = d[label].astype(str).tolist()
    fig, ax = new_figure(ax, (7.0, 1.0 + 0.3 * max(len(d), 3)))
    cols = [colours["lines"]["highlight"] if lab in marks else colours["lines"]["bar"] for lab in labels]
    vals = d["_v"].to_numpy()
    ax.barh(np.arange(len(d)), np.nan_to_num(vals), color=cols, height=0.7)
    for i, v in enumerate(vals):
        ax.text(0 if np.isnan(v) else v, i, " " + format_value(v, unit, decimals), va="center", fontsize=7)
    ax.set_yticks(np.arange(len(d)), labels, fontsize=8)
    if benchmark is not None:
        ax.axvline(benchmark, color=colours["lines"]["benchmark"], linestyle="--", linewidth=1)
        ax.text(
            benchmark,
            1.0,
            f" {benchmark_label}: {format_value(benchmark, unit, decimals)}",
            transform=ax.get_xaxis_transform(),
            va="bottom",
            fontsize=8,
        )
    german_axis(ax, "x", unit="%" if unit == "%" else "")
    ax.margins(x=0.12)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    add_note(fig, note, title, ax)
    return fig


def grouped_bars(
    df: pd.DataFrame,
    *,
    category: str,
    group: str,
    value: str,
    unit: str = "%",
    decimals: int = 1,
    title: str | None = None,
    note: str = "",
    ax: Axes | None = None,
) -> Figure:
    """Vertical bars per ``category`` with one bar per ``group`` side by side (e.g. area vs. city per age group)."""
    require_columns(df, [category, group, value], "Gruppiertes Balkendiagramm")
    colours = load_colours()
    d = df.assign(_v=_numeric(df, value, "Gruppiertes Balkendiagramm"))
    if d.duplicated([category, group]).any():
        raise DataValidationError(
            "Gruppiertes Balkendiagramm: Kategorie und Gruppe kommen mehrfach vor",
            hint="Tabelle vorher aggregieren",
        )
    table = d.pivot(index=category, columns=group, values="_v")
    table = table.reindex(index=pd.unique(d[category]), columns=pd.unique(d[group]))
    fig, ax = new_figure(ax, (max(5.0, 1.2 * len(table)), 4.0))
    k = len(table.columns)
    width = 0.8 / k
    xs = np.arange(len(table))
    for j, g in enumerate(table.columns):
        ax.bar(
            xs - 0.4 + width * (j + 0.5),
            table[g].fillna(0),
            width=width * 0.95,
            color=colours["typology"][j % len(colours["typology"])],
            label=str(g),
        )
    ax.set_xticks(xs, [str(c) for c in table.index], fontsize=8)
    german_axis(ax, "y", unit="%" if unit == "%" else "")
    if unit and unit != "%":
        ax.set_ylabel(unit, fontsize=8)
    _finish_axes(ax)
    _legend_right(ax, ax.get_legend_handles_labels()[0])
    add_note(fig, note, title, ax)
    return fig


def likert_bars(
    df: pd.DataFrame,
    *,
    levels: Sequence[str] | None = None,
    n: pd.Series | None = None,
    title: str | None = None,
    note: str = "",
    ax: Axes | None = None,
) -> Figure:
    """Diverging stacked bars for Likert items: rows = items (index = German item text), columns = answers
    ordered from most negative to most positive, values = (weighted) counts or shares.

    Each row is normalised to 100 %; negative answers go left of 0, positive right, an odd middle answer is
    split half and half around 0. Shares of at least 5 % are written into the bars. ``n`` (answers per item)
    is added to the item labels. ``fig.likert_shares`` holds the shares in %.
    """
    levels = list(levels) if levels is not None else [str(c) for c in df.columns]
    require_columns(df.rename(columns=str), levels, "Likert-Diagramm")
    colours = load_colours()
    values = df.rename(columns=str)[levels].apply(pd.to_numeric, errors="coerce").fillna(0.0)
    if (values.to_numpy() < 0).any():
        raise DataValidationError("Likert-Diagramm: negative Anzahlen", hint="Eingabetabelle prüfen")
    totals = values.sum(axis=1)
    shares = values.div(totals.where(totals > 0), axis=0) * 100
    k = len(levels)
    cols = colours["likert"] if k == len(colours["likert"]) else sequential_colours(colours["likert"], k)
    half = k // 2
    mid = k % 2 == 1
    left = -shares.iloc[:, :half].sum(axis=1) - (shares.iloc[:, half] / 2 if mid else 0)
    fig, ax = new_figure(ax, (8.0, 1.3 + 0.45 * max(len(df), 2)))
    y = np.arange(len(df))[::-1]
    start = left.fillna(0).to_numpy().copy()
    for j, lev in enumerate(levels):
        w = shares[lev].fillna(0).to_numpy()
        ax.barh(y, w, left=start, color=cols[j], height=0.65, label=lev, edgecolor="white", linewidth=0.5)
        for yi, s, wi in zip(y, start, w, strict=True):
            if wi >= 5:
                r, g, b = mcolors.to_rgb(cols[j])
                ink = (
                    "white" if 0.299 * r + 0.587 * g + 0.114 * b < 0.5 else "black"
                )  # readable on dark fills
                ax.text(s + wi / 2, yi, fmt.number(wi, 0), ha="center", va="center", fontsize=7, color=ink)
        start = start + w
    labels = [str(i) for i in df.index]
    if n is not None:
        labels = [
            f"{lab} (n = {fmt.number(n.get(i, np.nan), 0)})" for lab, i in zip(labels, df.index, strict=True)
        ]
    for yi in y[totals.to_numpy() <= 0]:
        ax.text(0, yi, "keine Angaben", ha="center", va="center", fontsize=7, color="#777777")
    ax.set_yticks(y, labels, fontsize=8)
    ax.axvline(0, color="#333333", linewidth=0.8, zorder=0.5)
    extent = float(np.nanmax(np.abs(np.r_[left.fillna(0).to_numpy(), start, 1.0])))
    lim = min(100.0, np.ceil((extent + 5) / 25) * 25)
    ax.set_xlim(-lim, lim)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{fmt.number(abs(v), 0)}\u00a0%"))
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=min(k, 5), frameon=False, fontsize=7)
    add_note(fig, note, title, ax)
    fig.likert_shares = shares
    return fig
