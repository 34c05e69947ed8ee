"""Chart style shared by all figures: colours from ``config/colours.yaml``, polarity and significance palettes,
German axis formatting, figure creation, notes under figures and small input checks.

Re-exported by ``workbench.render.plots`` (and used by ``maps``, ``svg`` and the other chart modules).
"""

from __future__ import annotations

import copy
import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import colors as mcolors
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from workbench import settings
from workbench.errors import ConfigError, DataValidationError, require_table
from workbench.render import fmt
from workbench.settings import read_yaml
from workbench.stats import normalise_polarity

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


SIGNIFICANCE_ORDER = {
    "polar": ["besser", "ähnlich", "schlechter", "nicht verglichen"],
    "neutral": ["höher", "ähnlich", "niedriger", "nicht verglichen"],
}


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
    """Read the colour schemes and check every colour.

    ``path`` defaults to the report's colour file (``config_files: colours:``, else ``config/colours.yaml``).

    Returns a fresh nested dict (safe to modify). A malformed file raises :class:`ConfigError` naming the key.
    """
    path = Path(path) if path is not None else settings.active().files.colours
    key = (str(path.resolve()), path.stat().st_mtime if path.exists() else None)
    if key not in _CACHE:
        data = read_yaml(
            path, "Farbdatei", missing_hint="config/colours.yaml aus der Vorlage wiederherstellen"
        )
        _check_colours(data, path)
        _CACHE[key] = data
    return copy.deepcopy(_CACHE[key])


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


def benchmark_line(
    ax: Axes,
    benchmark: float,
    label: str,
    unit: str,
    decimals: int,
    colours: dict[str, Any],
    zorder: float = 2,
) -> str:
    """Dashed vertical benchmark line; returns its label (e.g. "Stadt: 18,9 %") for the legend.

    The label is not written into or above the plot (it ran into the title and covered marks): the caller puts
    it into the legend outside the data area (:func:`benchmark_handle`).
    """
    text = f"{label}: {format_value(benchmark, unit, decimals)}"
    ax.axvline(benchmark, color=colours["lines"]["benchmark"], linestyle="--", linewidth=1, zorder=zorder)
    return text


def benchmark_handle(text: str, colours: dict[str, Any]):
    """Legend handle of the dashed benchmark line."""
    from matplotlib.lines import Line2D

    return Line2D([], [], color=colours["lines"]["benchmark"], linestyle="--", label=text)


def significance_handles(palette: dict[str, str], edge: str = "#333333") -> list:
    """Legend handles of the comparison classes: colour, marker shape and symbol in the text (▲ besser …),
    so that significance is never carried by colour alone."""
    from matplotlib.lines import Line2D

    from workbench.render.figure_text import SIGNIFICANCE_MARKERS, significance_label, significance_symbol

    out = []
    for label, colour in palette.items():
        sym = significance_symbol(label) or "●"
        hollow = sym == "○"
        out.append(
            Line2D(
                [], [], linestyle="none", marker=SIGNIFICANCE_MARKERS[sym], markersize=7,
                markerfacecolor="white" if hollow else colour, markeredgecolor=edge if not hollow else "#555555",
                label=significance_label(label),
            )
        )  # fmt: skip
    return out


def place_labels(
    ax: Axes,
    xs: Sequence[float],
    ys: Sequence[float],
    texts: Sequence[str],
    *,
    fontsize: float = 6,
    marker_px: float = 5.0,
    colour: str = "#333333",
) -> list:
    """Label points without collisions: for each point try positions around it (right, left, above, below,
    diagonals, then farther out with a leader line) and take the first whose text box overlaps no label placed
    before and no other point; a label that finds no free place is left out (its value is in the data table).

    Returns the placed matplotlib ``Text`` objects (their window extents do not overlap).
    """
    fig = ax.figure
    ax.autoscale_view()
    ax.set_xlim(ax.get_xlim())  # freeze the limits: labels must not move the data area afterwards
    ax.set_ylim(ax.get_ylim())
    renderer = fig.canvas.get_renderer()
    pts = ax.transData.transform(np.column_stack([np.asarray(xs, float), np.asarray(ys, float)]))
    dot_boxes = [(x - marker_px, y - marker_px, x + marker_px, y + marker_px) for x, y in pts]
    axes_box = ax.get_window_extent(renderer)
    placed_boxes: list[tuple[float, float, float, float]] = []
    placed = []

    def free(box):
        x0, y0, x1, y1 = box
        if x0 < axes_box.x0 or x1 > axes_box.x1 or y0 < axes_box.y0 or y1 > axes_box.y1:
            return False
        for b in placed_boxes + dot_boxes:
            if x0 < b[2] and b[0] < x1 and y0 < b[3] and b[1] < y1:
                return False
        return True

    dpi = fig.dpi / 72.0
    offsets = []
    for r in (4, 9, 15):
        offsets += [(r, 0, "left", "center"), (-r, 0, "right", "center"), (0, r, "center", "bottom"),
                    (0, -r, "center", "top"), (r, r, "left", "bottom"), (-r, r, "right", "bottom"),
                    (r, -r, "left", "top"), (-r, -r, "right", "top")]  # fmt: skip
    order = np.lexsort((pts[:, 0], -pts[:, 1]))
    for i in order:
        (px, py), label = pts[i], str(texts[i])
        if not np.isfinite(px) or not np.isfinite(py):
            continue
        for dx, dy, ha, va in offsets:
            t = ax.annotate(
                label, (xs[i], ys[i]), xytext=(dx, dy), textcoords="offset points", ha=ha, va=va,
                fontsize=fontsize, color=colour,
                arrowprops={"arrowstyle": "-", "color": "#999999", "lw": 0.5} if abs(dx) > 9 or abs(dy) > 9 else None,
            )  # fmt: skip
            bb = t.get_window_extent(renderer)
            pad = 0.5 * dpi
            box = (bb.x0 - pad, bb.y0 - pad, bb.x1 + pad, bb.y1 + pad)
            if free(box):
                placed_boxes.append(box)
                placed.append(t)
                break
            t.remove()
    return placed


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
    require_table(df, columns, what=what, list_present=True, hint="Spaltennamen im Aufruf prüfen")


LOCATOR_HINT = "Gebietsnummer als Text mit führenden Nullen angeben, z. B. '0101'"


def require_area(
    ids: np.ndarray, area_id: str, column: str, what: str, hint: str | None = None
) -> np.ndarray:
    """Mask of the area ``area_id`` among the area ids ``ids`` (text); a DataValidationError naming the map
    (``what``) and the id column when the area is not there."""
    hit = ids == str(area_id)
    if not hit.any():
        raise DataValidationError(
            f"{what}: Gebiet '{area_id}' nicht gefunden", where=f"Spalte {column}", hint=hint
        )
    return hit


def require_categories(
    values: Iterable[str], palette: dict[str, str], what: str, polarity: str, column
) -> None:
    """Raise a DataValidationError when ``values`` hold comparison labels that are not in the ``palette`` of
    the polarity; ``what`` names the chart and the values ("Punktdiagramm: Vergleichswerte")."""
    unknown = sorted(set(values) - set(palette))
    if unknown:
        raise DataValidationError(
            f"{what} {', '.join(unknown)} passen nicht zur Polarität '{polarity}'",
            where=f"Spalte {column}",
            hint=f"erlaubt: {', '.join(palette)}",
        )


def _numeric(df: pd.DataFrame, column: str, what: str) -> np.ndarray:
    try:
        return pd.to_numeric(df[column], errors="raise").to_numpy(dtype=float)
    except (ValueError, TypeError) as exc:
        raise DataValidationError(
            f"{what}: Spalte '{column}' enthält nicht-numerische Werte ({exc})"
        ) from exc


def _legend_right(
    ax: Axes, handles: list, title: str | None = None, *, anchor_x: float = 1.01, title_fontsize: float = 8
) -> None:
    """Legend outside the axes on the right, top-aligned (charts and maps)."""
    ax.legend(
        handles=handles,
        title=title,
        loc="upper left",
        bbox_to_anchor=(anchor_x, 1.0),
        frameon=False,
        fontsize=8,
        title_fontsize=title_fontsize,
        alignment="left",
    )


def _finish_axes(ax: Axes) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="y", color="#e5e5e5", linewidth=0.6)
    ax.set_axisbelow(True)
