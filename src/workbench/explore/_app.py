"""The explorer widget: controls, linked map / table / dot chart, mini-profile, neighbours and export.

Why plotly ``FigureWidget`` for map and chart: the map is one choropleth trace whose GeoJSON (WGS84, simplified
to ~5 m) is sent to the browser once per level; a change of indicator, year or colouring only sends the class
codes (one small integer per area), the colourscale and the hover texts, so with 1,000 areas an update is a few
kilobytes and the browser redraws without re-parsing the geometry. ``visible=False`` base geography and
``fitbounds="locations"`` need no tile server and no internet; plotly's JavaScript ships inside the PyPI
package (served by the anywidget/plotly front-end extension), so Voila and JupyterLab work offline. ipyleaflet
would need a tile layer (or a blank map) and re-sends styled GeoJSON features for every restyle, which is slower
with 1,000 polygons. The table is a small anywidget (HTML rows; a click on a row selects the area, as on the
map, in the dot chart or by name/number search; ipydatagrid is not a dependency); it is sorted by a click on a
column head or with the "Sortieren" control.

Export: CSV (German: ";" and decimal comma) and XLSX of the shown values (with the published numerator and
denominator) and notes on source, method and confidentiality; map and dot chart as SVG and PNG, drawn with
matplotlib from the same published values and colours (plotly's own static export would need kaleido and a
browser), and as interactive HTML (plotly.js beside them, offline). In the browser, each figure's toolbar also
offers "Download plot as a png".
"""

from __future__ import annotations

import copy
import json
import re
import time
import urllib.parse
from pathlib import Path

import ipywidgets as widgets
import numpy as np

try:  # plotly's FigureWidget is an anywidget; without it plotly only says "Please install anywidget"
    import anywidget  # noqa: F401
except ImportError as exc:  # pragma: no cover - a declared dependency, missing only in a broken setup
    raise ImportError(
        "Der Explorer braucht das Paket anywidget (für plotly-Widgets): `make setup` ausführen."
    ) from exc
import pandas as pd
import plotly.graph_objects as go

from workbench.explore._data import LEVELS, ExplorerData
from workbench.explore._figure import lazy_figure_widget_class
from workbench.explore._link import ProfileLink
from workbench.explore._neighbours import monitoring_indicators, nearest
from workbench.explore._table import TableWidget
from workbench.explore._views import (
    NEIGHBOUR_COLOUR,
    SELECTED_COLOUR,
    SORT_KEYS,
    class_colouring,
    comparison_colouring,
    dot_data,
    hover_texts,
    profile_html,
    table_html,
)
from workbench.render import fmt

FigureWidget = lazy_figure_widget_class()

COLOURINGS = {"vergleich": "Vergleich mit der Stadt", "klassen": "Wertklassen (Quantile)"}
MAX_TICK_LABELS = 60
CHART_HEIGHT = 560
PLOT_CONFIG = {"displaylogo": False, "toImageButtonOptions": {"format": "svg", "scale": 1}}
"""plotly config of both figures: the toolbar's camera button saves an SVG (in the browser, offline)."""

_EMPTY_TOPOLOGY = {
    "type": "Topology",
    "arcs": [],
    "objects": {
        k: {"type": "GeometryCollection", "geometries": []}
        for k in ("coastlines", "land", "ocean", "lakes", "rivers", "countries", "subunits")
    },
}
EMPTY_TOPOJSON_URL = (
    "data:application/json," + urllib.parse.quote(json.dumps(_EMPTY_TOPOLOGY, separators=(",", ":"))) + "#/"
)
"""plotly.js loads a world topojson for every geo map, even without base layers (from cdn.plot.ly unless the
config option ``topojsonURL`` says otherwise). The map draws only its own GeoJSON, so an empty topology in a
``data:`` URL serves it: the fragment ``#`` swallows the file name plotly.js appends, and nothing leaves the
machine."""

_TRANSPARENT = [[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]]


class Explorer(widgets.VBox):
    """Interactive explorer of the published indicator values of one report (ipywidgets app).

    Parameters
    ----------
    config_file : str or path-like
        The report config (``config/report.yaml``); its processed data must exist (``make data``).
    k : int
        Number of statistical neighbours shown for a selected area.
    chapter : workbench.chapters.context.Chapter, optional
        An existing chapter context of the report (skips loading it again).

    Notes
    -----
    Display it in a notebook cell (``Explorer(...)`` as the last expression, ``display(...)`` or
    :meth:`show`). Only published values are used: a withheld value appears as the official sign ".".
    """

    def __init__(self, config_file: str | Path = "config/report.yaml", *, k: int = 5, chapter=None):
        if chapter is None:
            from workbench.chapters.context import setup

            chapter = setup(config_file)
        self.data = ExplorerData(chapter)
        self.k = int(k)
        self.selected: str | None = None
        self.neighbours: list[str] = []
        self.last_update_seconds = 0.0
        d = self.data
        if not d.indicators:
            raise ValueError(
                "Der Bericht enthält keine berechenbaren Indikatoren – zuerst `make data` ausführen."
            )
        self._monitoring = monitoring_indicators(
            d.cfg, list(d.indicators), {i: v.topic for i, v in d.indicators.items()}
        )
        first = next(iter(d.indicators))
        # ---------------------------------------------------------------- controls
        self.indicator = widgets.Dropdown(
            options=d.grouped_options(), value=first, description="Indikator", layout={"width": "480px"}
        )
        self.year = widgets.SelectionSlider(
            options=d.years,
            value=d.report_year if d.report_year in d.years else d.years[-1],
            description="Jahr",
        )
        self.level = widgets.ToggleButtons(
            options=[(v, k_) for k_, v in LEVELS.items()], description="Ebene", style={"button_width": "auto"}
        )
        self.colour_by = widgets.ToggleButtons(
            options=[(v, k_) for k_, v in COLOURINGS.items()],
            description="Färbung",
            style={"button_width": "auto"},
        )
        self.search = widgets.Combobox(
            placeholder="Name oder Nummer",
            description="Suche",
            ensure_option=False,
            layout={"width": "320px"},
        )
        self.sort = widgets.Dropdown(options=list(SORT_KEYS), value="Rang (Wert)", description="Sortieren")
        self.descending = widgets.Checkbox(value=True, description="absteigend", indent=False)
        # no icon: ipywidgets' icons are Font Awesome, which the Voila page would fetch from a CDN
        self.export_button = widgets.Button(description="Ansicht exportieren")
        self.message = widgets.HTML()
        self.note = widgets.HTML()
        # ---------------------------------------------------------------- views
        self.map = FigureWidget(self._map_figure())
        self.chart = FigureWidget(self._chart_figure())
        self.map._config = {**self.map._config, **PLOT_CONFIG, "topojsonURL": EMPTY_TOPOJSON_URL}
        self.chart._config = {**self.chart._config, **PLOT_CONFIG}
        self.table = TableWidget()
        self.profile = widgets.HTML(
            "<p><i>Gebiet auf der Karte, im Diagramm oder über die Suche wählen.</i></p>"
        )
        self.profile_link = ProfileLink()
        self.map.data[0].on_click(self._on_map_click)
        self.chart.data[0].on_click(self._on_chart_click)
        # ---------------------------------------------------------------- layout
        controls = widgets.VBox(
            [
                widgets.HBox([self.indicator, self.year]),
                widgets.HBox([self.level, self.colour_by]),
                widgets.HBox([self.search, self.sort, self.descending, self.export_button]),
                self.message,
                self.note,
            ]
        )
        # side by side where there is room (Voila, a wide notebook), one below the other in a narrow notebook
        # output area (JupyterLab with its side panel), so that neither figure is cut off
        boxes = {"flex": "1 1 660px", "min_width": "640px"}
        views = widgets.HBox(
            [
                widgets.VBox([self.map, self.profile, self.profile_link], layout=boxes),
                widgets.VBox([self.chart], layout=boxes),
            ],
            layout={"flex_flow": "row wrap"},
        )
        super().__init__([controls, views, self.table])
        for w in (self.indicator, self.year, self.level, self.colour_by):
            w.observe(self._on_change, names="value")
        for w in (self.sort, self.descending):
            w.observe(lambda _c: self._update_table(), names="value")
        self.table.observe(self._on_table_click, names="clicked")
        self.table.observe(self._on_table_sort, names="sort_request")
        self.search.observe(self._on_search, names="value")
        self.export_button.on_click(lambda _b: self._export_clicked())
        self._set_level_options()
        self.refresh()

    # ------------------------------------------------------------------ public API
    def _repr_mimebundle_(self, **kwargs):
        # plotly sends a FigureWidget's changes as deltas that only a front-end view already on the page applies;
        # a page that connects later (Voila, a re-opened notebook) builds each figure from its initial state. So
        # the figures' state is brought up to date whenever the explorer is displayed (as plotly does for a
        # FigureWidget displayed on its own).
        self.sync_figures()
        return super()._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        # the text form of the display bundle: ipywidgets would write out every child, plotly its whole figure
        # with the areas' GeoJSON (about 2 s for Berlin's 542 areas at each display)
        return f"Explorer({self.data.city}, {len(self.data.units('sozialraum'))} Sozialräume)"

    def sync_figures(self) -> None:
        """Make the map's and the chart's widget state the current figure (for a view created from now on)."""
        for fig in (self.map, self.chart):
            # the areas' GeoJSON is never changed in place (a new dict replaces it), so the copy shares it
            memo = {id(t["geojson"]): t["geojson"] for t in fig._data if isinstance(t.get("geojson"), dict)}
            fig._widget_layout = copy.deepcopy(fig._layout_obj._props, memo)
            fig._widget_data = copy.deepcopy(fig._data, memo)

    def show(self) -> None:
        """Display the explorer in the current notebook cell."""
        from IPython.display import display

        display(self)  # calls _repr_mimebundle_, which syncs the figures

    @property
    def widget(self) -> widgets.VBox:
        """The explorer itself (it is an ``ipywidgets.VBox``)."""
        return self

    @property
    def current_view(self) -> pd.DataFrame:
        """The published rows shown now (one per unit of the level, with display strings)."""
        return self._view

    def select(self, unit_id: str | None) -> None:
        """Select a unit (id of the current level; ``None`` clears): highlight it in map, chart and table, fill
        the mini-profile and compute its statistical neighbours."""
        if unit_id is not None and unit_id not in self.data.units(self.level.value):
            raise KeyError(f"„{unit_id}“ ist kein {LEVELS[self.level.value]} dieses Berichts")
        self.selected = unit_id
        self.neighbours = self._neighbours(unit_id) if unit_id else []
        with self.map.batch_update(), self.chart.batch_update():
            self._update_highlight()
        self._update_table()
        self._update_profile()

    def refresh(self) -> None:
        """Recompute all views for the current control values (indicator, year, level, colouring)."""
        t0 = time.perf_counter()
        d = self.data
        ind = d.indicators[self.indicator.value]
        self._view = d.view(ind.id, self.level.value, self.year.value)
        compared = self._view["cmp_city"].ne("nicht verglichen").any()
        if self.colour_by.value == "vergleich" and compared:
            col = comparison_colouring(self._view, ind)
            self.note.value = ""
        else:
            col = class_colouring(self._view, ind)
            self.note.value = (
                ""
                if self.colour_by.value == "klassen"
                else "<span style='color:#555'>Kein Gebiet ist mit der Stadt verglichen (kein Konfidenzintervall "
                "oder Stadtwert geheim): die Karte ist nach Wertklassen gefärbt.</span>"
            )
        self._colouring = col
        n = len(col.colours)
        dots = dot_data(self._view)
        self._dots = dots
        with self.map.batch_update(), self.chart.batch_update():
            m = self.map.data[0]
            scale = col.colorscale()
            m.z = np.asarray(col.codes, dtype=np.int16)
            m.zmin, m.zmax = -0.5, n - 0.5
            m.colorscale = scale
            m.text = np.asarray(hover_texts(self._view, ind), dtype=object)
            m.colorbar.update(
                title={"text": col.title}, tickvals=list(range(n)), ticktext=col.labels, len=0.8
            )
            c = self.chart.data[0]
            y = np.arange(len(dots))
            value = dots["value"].to_numpy(float).round(6)
            c.x = value
            c.y = y
            c.customdata = dots["unit_id"].to_numpy(dtype=object)
            c.text = dots["label"].to_numpy(dtype=object)
            upper = np.nan_to_num((dots["upper"].to_numpy(float) - value).clip(min=0).round(6))
            lower = np.nan_to_num((value - dots["lower"].to_numpy(float)).clip(min=0).round(6))
            c.error_x.array = upper
            c.error_x.arrayminus = lower
            c.marker.update(
                color=np.asarray(col.codes, dtype=np.int16)[self._dot_rows(dots)],
                colorscale=scale,
                cmin=-0.5,
                cmax=n - 0.5,
            )
            city = d.city_value(ind.id, self.year.value)
            self.chart.layout.shapes = (
                [
                    {
                        "type": "line",
                        "x0": city,
                        "x1": city,
                        "y0": -0.5,
                        "y1": max(len(dots) - 0.5, 0.5),
                        "line": {"color": "#333", "dash": "dash"},
                    }
                ]
                if np.isfinite(city)
                else []
            )
            few = len(dots) <= MAX_TICK_LABELS
            # one label line per area needs ~13 px; many areas get the default height without labels
            self.chart.layout.height = max(CHART_HEIGHT, 13 * len(dots) + 140) if few else CHART_HEIGHT
            self.chart.layout.yaxis.update(
                tickvals=y.tolist() if few else [],
                ticktext=dots["label"].tolist() if few else [],
                showticklabels=few,
            )
            self.chart.layout.xaxis.title = f"{ind.label} ({ind.unit})"
            withheld = int((~self._view["status"].isin(["shown", "missing"])).sum())
            self.chart.layout.title = {
                "text": f"{ind.label} {self.year.value} – Rang"
                + (" mit 95-%-Intervall" if dots["lower"].notna().any() else " (ohne Intervalle)")
                + (
                    f"<br><sub>{withheld} Gebiete geheim gehalten ({fmt.SUPPRESSED_SIGN})</sub>"
                    if withheld
                    else ""
                ),
                "font": {"size": 13},
            }
            self.map.layout.title = {"text": f"{ind.label} {self.year.value}", "font": {"size": 13}}
            self._update_highlight()
        self._update_table()
        self._update_profile()
        self.last_update_seconds = time.perf_counter() - t0

    def export(self, folder: str | Path | None = None) -> dict[str, Path]:
        """Write the current view: values as CSV and XLSX with notes on source, method and confidentiality,
        map and chart as SVG and PNG (with the notes) and as HTML (offline, plotly.js in the same folder).

        Parameters
        ----------
        folder : str or path-like, optional
            Target folder; default ``<reports>/explorer`` of the report config.

        Returns
        -------
        dict
            Paths by kind: ``csv``, ``xlsx``, ``karte_svg``, ``karte_png``, ``diagramm_svg``, ``diagramm_png``,
            ``diagramm`` and ``karte`` (HTML).
        """
        from workbench.explore._export import export_view

        d = self.data
        folder = Path(folder) if folder is not None else d.cfg.paths.reports / "explorer"
        ind = d.indicators[self.indicator.value]
        return export_view(
            folder,
            self._view,
            ind,
            level=self.level.value,
            year=self.year.value,
            city=d.city,
            city_text=fmt.number(d.city_value(ind.id, self.year.value), ind.decimals),
            neighbours=self.neighbours,
            selected=self.selected,
            figures={"diagramm": self.chart, "karte": self.map},
            colouring=self._colouring,
            areas=d.frame(self.level.value),
            city_value=d.city_value(ind.id, self.year.value),
        )

    # ------------------------------------------------------------------ figures
    def _map_figure(self) -> go.Figure:
        fig = go.Figure()
        # locationmode "geojson-id": plotly.js needs no world topojson (which it would fetch from its CDN)
        common = {"featureidkey": "properties.id", "locationmode": "geojson-id"}
        fig.add_trace(
            go.Choropleth(
                **common,
                marker={"line": {"width": 0.5, "color": "#ffffff"}},
                name="Gebiete",
                hoverinfo="text",
                colorbar={"thickness": 12},
            )
        )
        for name, colour, width in (("Nachbarn", NEIGHBOUR_COLOUR, 2.5), ("Auswahl", SELECTED_COLOUR, 3.5)):
            fig.add_trace(
                go.Choropleth(
                    **common,
                    z=[],
                    locations=[],
                    colorscale=_TRANSPARENT,
                    showscale=False,
                    marker={"line": {"width": width, "color": colour}},
                    name=name,
                    hoverinfo="skip",
                )
            )
        fig.update_geos(visible=False, fitbounds="locations", projection_type="mercator")
        fig.update_layout(height=460, margin={"l": 0, "r": 0, "t": 30, "b": 0}, dragmode=False)
        return fig

    def _chart_figure(self) -> go.Figure:
        fig = go.Figure()
        fig.add_trace(
            go.Scatter(
                mode="markers",
                name="Gebiete",
                marker={"size": 7, "line": {"width": 0.5, "color": "#333"}},
                error_x={"type": "data", "symmetric": False, "color": "#999", "thickness": 1, "width": 0},
                hovertemplate="%{text}: %{x}<extra></extra>",
            )
        )
        fig.add_trace(
            go.Scatter(
                mode="markers", name="Statistische Nachbarn", marker={"size": 11, "color": NEIGHBOUR_COLOUR}
            )
        )
        fig.add_trace(
            go.Scatter(
                mode="markers",
                name="Auswahl",
                marker={"size": 13, "color": SELECTED_COLOUR, "symbol": "diamond"},
            )
        )
        fig.update_layout(
            height=CHART_HEIGHT,
            margin={"l": 150, "r": 10, "t": 50, "b": 40},
            showlegend=True,
            legend={"orientation": "h", "y": -0.08},
            separators=",.",
            hovermode="closest",
        )
        return fig

    # ------------------------------------------------------------------ updates
    def _set_level_options(self) -> None:
        level = self.level.value
        self.search.options = [self.data.label(level, u) for u in self.data.units(level)]
        geo = self.data.geojson(level)
        ids = [f["id"] for f in geo["features"]]
        units = self.data.units(level)
        missing = sorted(set(units) - set(ids))
        if missing:
            self.message.value = f"<span style='color:#a00'>Ohne Fläche (nicht auf der Karte): {', '.join(missing[:10])}</span>"
        self._features = {f["id"]: f for f in geo["features"]}
        with self.map.batch_update():
            # the areas' geometry goes to the browser once, with the main trace; the outline traces of the
            # selection and the neighbours carry only their own few features (see _update_highlight)
            self.map.data[0].geojson = geo
            self.map.data[0].locations = units

    def _dot_rows(self, dots: pd.DataFrame) -> np.ndarray:
        pos = {u: i for i, u in enumerate(self._view["unit_id"])}
        return np.array([pos[u] for u in dots["unit_id"]], dtype=int)

    def _update_highlight(self) -> None:
        sel = [self.selected] if self.selected else []
        nb = list(self.neighbours)
        for trace, units in ((self.map.data[1], nb), (self.map.data[2], sel)):
            features = [self._features[u] for u in units if u in self._features]
            trace.update(
                geojson={"type": "FeatureCollection", "features": features},
                locations=[f["id"] for f in features],
                z=[0] * len(features),
            )
        pos = {u: i for i, u in enumerate(self._dots["unit_id"])}
        for trace, units in ((self.chart.data[1], nb), (self.chart.data[2], sel)):
            rows = [pos[u] for u in units if u in pos]
            trace.x = self._dots["value"].round(6).iloc[rows].tolist()
            trace.y = rows
            trace.text = self._dots["label"].iloc[rows].tolist()

    def _update_table(self) -> None:
        ind = self.data.indicators[self.indicator.value]
        self.table.value = table_html(
            self._view,
            ind,
            self._colouring,
            sort=self.sort.value,
            descending=self.descending.value,
            selected=self.selected,
            neighbours=self.neighbours,
            city_text=fmt.number(self.data.city_value(ind.id, self.year.value), ind.decimals),
        )

    def _update_profile(self) -> None:
        if not self.selected:
            self.profile_link.point_to(None)
            return
        d = self.data
        level = self.level.value
        keys = list(dict.fromkeys([self.indicator.value, *self._monitoring]))
        values = d.profile_values(level, self.selected, self.year.value, keys)
        district = str(d.parents.get(self.selected, "")) if level == "sozialraum" else ""
        self.profile.value = profile_html(
            d.label(level, self.selected),
            district,
            values,
            self.neighbours,
            {u: d.label(level, u) for u in self.neighbours},
        )
        page = d.profile_page(level, self.selected)
        self.profile_link.point_to(
            page,
            missing=""
            if level != "sozialraum"
            else "Gebietsprofil noch nicht erstellt: `make profiles` (mit CONFIG= dieses Berichts) baut die Profilseiten.",
        )

    def _neighbours(self, unit_id: str) -> list[str]:
        level = self.level.value
        matrix = self.data.matrix(level, self.data.report_year, self._monitoring)
        if matrix.empty or unit_id not in matrix.index:
            return []
        return nearest(matrix, unit_id, self.k)["unit_id"].tolist()

    # ------------------------------------------------------------------ events
    def _on_change(self, change) -> None:
        if change["owner"] is self.level:
            self.selected, self.neighbours = None, []
            self._set_level_options()
        self.refresh()

    def _on_map_click(self, trace, points, _state) -> None:
        if points.point_inds:
            self.select(str(trace.locations[points.point_inds[0]]))

    def _on_chart_click(self, trace, points, _state) -> None:
        if points.point_inds:
            self.select(str(trace.customdata[points.point_inds[0]]))

    def _on_table_click(self, change) -> None:
        unit = change["new"].rsplit("|", 1)[0]
        if unit in self.data.units(self.level.value):
            self.select(unit)

    def _on_table_sort(self, change) -> None:
        key = change["new"].rsplit("|", 1)[0]
        if key not in SORT_KEYS:
            return
        if key == self.sort.value:
            self.descending.value = not self.descending.value
        else:
            self.descending.value = not SORT_KEYS[key][1]
            self.sort.value = key

    def _on_search(self, change) -> None:
        unit = self.find(change["new"])
        if unit:
            self.select(unit)

    def find(self, text: str) -> str | None:
        """The unit of the current level matching a search text: exact label, exact number, or the only unit
        whose name contains the text (case-insensitive); ``None`` otherwise."""
        text = (text or "").strip()
        if not text:
            return None
        level = self.level.value
        units = self.data.units(level)
        labels = {u: self.data.label(level, u) for u in units}
        for u, lab in labels.items():
            if text == lab or text == u:
                return u
        number = re.match(r"^(\d+)\b", text)
        if number and number.group(1) in labels:
            return number.group(1)
        hits = [u for u, lab in labels.items() if text.lower() in lab.lower()]
        return hits[0] if len(hits) == 1 else None

    def _export_clicked(self) -> None:
        try:
            paths = self.export()
        except OSError as err:
            self.message.value = f"<span style='color:#a00'>Export fehlgeschlagen: {err}</span>"
            return
        listing = ", ".join(str(p) for p in paths.values())
        self.message.value = f"Exportiert: {listing}"
