"""Content of one Sozialraumprofil (``notebooks/profil.ipynb``): tables, charts and sentences for one area.

Everything published comes from the protected results the whole report shares: indicator values, intervals
and comparisons only from the ``pub_*`` / ``cmp_*`` columns of ``ch.indicators`` (already suppressed where a
count could leak), population bands with counts 1 … threshold−1 withheld. Everything that needs all areas
(indicators, the MSS index of :mod:`workbench.index.monitoring` with its class stability, age bands of every area)
is computed once per build and cached on disk (``ch._cached``), so one profile only selects rows and draws (well under a second).

On partial data the profile shows what the data allow (the parts of ``profil`` in
:data:`workbench.chapters.PARTS`): indicators the data do not allow are left out of the Steckbrief with a
footnote, a status-only index (one year) shows the status class and why the dynamic class is missing, and
without facilities, single ages or enough years the facility, pyramid and trend parts are the German sentence
of ``workbench check`` (:meth:`workbench.chapters.context.Chapter.left_out`). These checks are cheap, so a
profile of complete data never asks for the availability.

This module holds data and tables; the figures (inline SVG) are in :mod:`workbench.chapters.profile_figures`.
Usage in the notebook::

    p = profile.build(ch, area_id)
    ch.text(p.title_markdown()); ch.table(p.steckbrief_html()); pf.show(pf.spine(p)) ...
"""

from __future__ import annotations

import hashlib
import html
import re
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.chapters import TREND_MIN_YEARS
from workbench.chapters.notes import NOTHING, Note
from workbench.chapters.population_cells import BAND, POPULATION, TOP_BAND, band_measure
from workbench.confidentiality import Rules, primary_mask, with_margins
from workbench.errors import ConfigError, TooFewAreasError
from workbench.index import DYNAMIC_LABELS, STATUS_LABELS
from workbench.index.monitoring import area_population, compute_index, load_spec
from workbench.indicators.population import single_years
from workbench.render import fmt
from workbench.render.findings import largest_differences
from workbench.render.plots import load_colours
from workbench.render.tables import html_table
from workbench.vocabulary import CITY_ID

#: Main social indicators shown as 5-year trends (catalogue ids; missing ones are skipped).
MAIN_TRENDS = ("sgb2_quote", "kinderarmut", "altersarmut", "alo_quote", "jugend_alo", "alleinerziehende")
#: Facilities within this distance (metres) of the area boundary count as "in der Nähe".
NEAR_METRES = 1000.0
#: Above this many areas the locator map draws Stadtbezirke as background instead of every area.
LOCATOR_MAX_AREAS = 150

TREND_TEXT = {
    "steigend": "↑ steigend",
    "fallend": "↓ fallend",
    "keine signifikante Veränderung": "→ gleichbleibend",
}
_CSS_NAMES = {
    "besser": "besser",
    "schlechter": "schlechter",
    "ähnlich": "aehnlich",
    "höher": "hoeher",
    "niedriger": "niedriger",
    "nicht verglichen": "nv",
}


# ----------------------------------------------------------------------------------------------- caches
def _file_tag(path) -> str:
    """Short hash of a config file's text (part of a cache name, so editing the file rebuilds the cache)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:8]
    except OSError:
        return "none"


PYRAMID_TOTAL = "Insgesamt"
"""Column of the area totals in the protected pyramid table (the residents printed in the profile header)."""


def pyramid_bands(
    population: pd.DataFrame,
    year: int,
    threshold: int = 3,
    *,
    rules: Rules | None = None,
    protected: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Residents per area, sex and 5-year band (last band 90+) in ``year``, protected for publication.

    The bands of all areas form one table with margins (area × sex·band, row totals = the residents printed in
    the profile header, column totals = the city's bands drawn as the comparison line), protected with primary
    and secondary suppression (:func:`workbench.confidentiality.with_margins`): where one band of an area is
    hidden, at least one more is, so no hidden band is the header total minus the drawn ones, and no area's
    band is the city's band minus the other areas'. An area whose total ends up withheld (it is printed
    elsewhere) has all its bands hidden; hiding more never reveals anything.

    With ``protected`` (the report's :attr:`~workbench.chapters.context.Chapter.protected_population`) the
    statuses come from the joint protection of every published breakdown of the population instead (bands,
    age groups, Kita groups, shares' numerators and the hierarchy together), so the pyramid hides exactly what
    every other table hides.

    Returns unit_id (area ids and ``"stadt"``), sex, age (band start), count (true count), ``published`` (the
    count, NaN where withheld: such bands are drawn as withheld, never as 0) and ``status`` (``shown`` /
    ``primary`` / ``secondary``); plus one row per unit with ``sex = ""`` and ``age = -1`` for the total.
    """
    rules = rules or Rules(threshold=threshold)
    cur = single_years(population[population["year"] == year])
    band = np.minimum(cur["age"].to_numpy() // BAND * BAND, TOP_BAND)
    sexes = sorted(cur["sex"].astype(str).unique())
    starts = list(range(0, TOP_BAND + 1, BAND))
    wide = cur.assign(band=band, sex=cur["sex"].astype(str), area_id=cur["area_id"].astype(str)).pivot_table(
        index="area_id", columns=["sex", "band"], values="count", aggfunc="sum", fill_value=0
    )
    cols = pd.MultiIndex.from_product([sexes, starts])
    wide = wide.reindex(columns=cols, fill_value=0).sort_index()
    wide.columns = [f"{sx}|{a}" for sx, a in cols]
    if protected is not None:
        values = wide.assign(**{PYRAMID_TOTAL: wide.sum(axis=1)})
        values.loc[CITY_ID] = values.sum(axis=0)
        status = _joint_status(
            protected,
            year,
            values,
            {c: band_measure(int(c.split("|")[1]), c.split("|")[0]) for c in wide.columns},
        )
    else:
        prot = with_margins(wide, total_column=PYRAMID_TOTAL, total_row=CITY_ID).protect(rules)
        values, status = prot.values, prot.status.copy()
    # a withheld area total (printed in the header) or city band (drawn as the line): hide its whole row
    rows_hidden = status[PYRAMID_TOTAL].ne("shown")
    bands = [c for c in status.columns if c != PYRAMID_TOTAL]
    status.loc[rows_hidden, bands] = status.loc[rows_hidden, bands].where(
        status.loc[rows_hidden, bands].ne("shown"), "secondary"
    )
    long = values.stack().rename("count").reset_index()
    long.columns = ["unit_id", "cell", "count"]
    long["status"] = status.stack().to_numpy()
    split = long["cell"].str.split("|", expand=True)
    long["sex"] = np.where(long["cell"] == PYRAMID_TOTAL, "", split[0])
    long["age"] = np.where(
        long["cell"] == PYRAMID_TOTAL, -1, pd.to_numeric(split[1], errors="coerce").fillna(-1)
    )
    long["age"] = long["age"].astype("int64")
    long["count"] = long["count"].astype("int64")
    long["published"] = long["count"].where(long["status"] == "shown").astype(float)
    return long[["unit_id", "sex", "age", "count", "published", "status"]]


def _joint_status(
    protected: pd.DataFrame, year: int, values: pd.DataFrame, measures: dict[str, str]
) -> pd.DataFrame:
    """Statuses of a table (rows: area ids and ``"stadt"``; columns: ``measures`` keys and :data:`PYRAMID_TOTAL`)
    from the joint population protection; a cell the joint protection does not know is withheld."""
    sel = protected[(protected["year"] == year) & protected["level"].isin(["sozialraum", "stadt"])]
    lookup = sel.set_index([sel["unit_id"].astype(str), sel["measure"].astype(str)])["status"]
    names = {**measures, PYRAMID_TOTAL: POPULATION}
    idx = pd.MultiIndex.from_product([values.index.astype(str), list(values.columns)])
    st = lookup.reindex(
        pd.MultiIndex.from_arrays([idx.get_level_values(0), [names[c] for c in idx.get_level_values(1)]])
    )
    out = pd.DataFrame(
        st.fillna("secondary").to_numpy().reshape(values.shape), index=values.index, columns=values.columns
    )
    return out


def index_computable(ch) -> bool:
    """True when the report's MSS index can be computed from ``ch.indicators``: an index config with an MSS
    index whose indicators are all in the table (cheap; :func:`workbench.chapters.assess` says why not)."""
    try:
        spec, _ = load_spec(ch.cfg.files.index)
    except ConfigError:
        return False
    ids = {e.get("column", e.get("id")) for e in spec["status"] + spec["dynamic"]}
    return ids <= set(ch.indicators["indicator"].unique())


def mss_classes(ch) -> pd.DataFrame:
    """The monitoring chapter's MSS index of the report year per area, cached for all profiles.

    Delegates to :func:`workbench.index.monitoring.compute_index` (Berlin MSS on *published* indicator values,
    Monte-Carlo class stability with the ``robustness`` settings of the index config), so profile and
    chapter always show the same classes. The index config is the report's (``config_files: index:``, else
    ``config/index.yaml``); its text is part of the cache name.
    """
    path = ch.cfg.files.index
    spec, cfg = load_spec(path)
    cols = [
        "assessed",
        "reason",
        "status_index",
        "status_class",
        "dynamic_index",
        "dynamic_class",
        "overall_class",
        "status_share",
        "dynamic_share",
        "unstable",
    ]

    def build() -> pd.DataFrame:
        try:
            index = compute_index(
                ch.indicators,
                area_population(ch.ds.population),
                ch.year,
                spec,
                robustness=cfg.get("robustness") or {},
            )
        except TooFewAreasError as exc:
            # fewer than 3 areas with published index indicators: every profile says why, none fails
            ids = ch.ds.area_keys["area_id"].astype(str)
            return pd.DataFrame(
                {
                    "area_id": ids,
                    "assessed": False,
                    "reason": f"der Index ist für {ch.city} {ch.year} nicht berechenbar: {exc.problem}",
                }
            ).reindex(columns=["area_id", *cols])
        out = index[cols].reset_index()
        out["area_id"] = out["area_id"].astype(str)
        return out

    return ch._cached(f"profile_mss_{ch.year}_{_file_tag(Path(path))}", build)


def spread(ch) -> pd.DataFrame:
    """Spread of the published values of all Sozialräume in the report year per indicator (columns
    ``indicator, min, p25, p75, max``), cached for all profiles (the same for every profile; at 1.000 areas
    computing it per profile cost each profile the rounding of 23.000 values).

    Drawn from the values as the tables show them (rounded to the indicator's decimals), never from finer
    digits; withheld values take no part."""

    def build() -> pd.DataFrame:
        t = ch.indicators
        cur = t[(t["year"] == ch.year) & (t["level"] == "sozialraum")]
        decimals = {ind.id: ind.decimals for ind in ch.catalogue.indicators}
        dec = cur["indicator"].map(decimals).fillna(1).astype(int)
        cur = cur.assign(
            pub_value=[round(v, d) for v, d in zip(cur["pub_value"].astype(float), dec, strict=True)]
        )
        q = cur.groupby("indicator")["pub_value"].quantile([0.0, 0.25, 0.75, 1.0]).unstack()
        q = q.reindex(columns=[0.0, 0.25, 0.75, 1.0])  # no area values in the year: no quantile columns
        q.columns = ["min", "p25", "p75", "max"]
        return q.rename_axis("indicator").reset_index()

    return ch._cached(f"profile_spread_{ch.year}", build)


def age_bands(ch) -> pd.DataFrame:
    """:func:`pyramid_bands` of the report year for all areas and the city, cached for all profiles."""
    return ch._cached(
        f"profile_pyramid_protected_{ch.year}",
        lambda: pyramid_bands(ch.ds.population, ch.year, rules=ch.rules, protected=ch.protected_population),
    )


def warm_caches(ch) -> None:
    """Compute and store every all-area result a profile reads (call once before running profiles)."""
    if ch.item("profil.pyramide").ok:  # single years of age by sex (not with totals or age groups only)
        age_bands(ch)
    if index_computable(ch):
        mss_classes(ch)
    spread(ch)
    from workbench.chapters import finance, survey  # the expenditure and survey sections

    finance.profile_frame(ch)
    survey.profile_frame(ch)  # approval per item and area: the survey model once, not once per profile


# ------------------------------------------------------------------------------------------- helpers
def comparison_css(colours: dict | None = None) -> str:
    """``<style>`` block: light background per comparison label (tints of the chart colours, colours.yaml)."""
    colours = colours or load_colours()
    rules = []
    for group in ("polar", "neutral"):
        for label, hexcol in colours["significance"][group].items():
            rgb = np.array([int(hexcol[i : i + 2], 16) for i in (1, 3, 5)])
            tint = np.round(255 - (255 - rgb) * 0.35).astype(int)
            colour = "".join(f"{v:02x}" for v in tint)
            rules.append(f".wb-cmp-{group}-{_CSS_NAMES[label]}{{background:#{colour}}}")
    rules.append(".wb-trend-schlechter{color:#b2182b;font-weight:600}.wb-trend-besser{color:#1d5f99}")
    return "<style>" + "".join(sorted(set(rules))) + "</style>"


def add_cell_classes(table_html: str, classes: list[list[str | None]]) -> str:
    """Add CSS classes to the body cells (row-major order) of a :func:`workbench.render.tables.html_table`.

    Only a ``class`` attribute is inserted; ``data-kind`` and all other attributes stay as written.
    """
    flat = [c for row in classes for c in row]
    it = iter(range(len(flat)))

    def repl(m: re.Match) -> str:
        k = next(it, None)
        cls = flat[k] if k is not None else None
        return f'<td class="{cls}"' if cls else m.group(0)

    return re.sub(r"<td(?= )", repl, table_html)


def short_label(label: str, width: int = 34) -> str:
    """Label for narrow chart columns: a trailing parenthesis is dropped, then cut with "…" at ``width``."""
    if len(label) > width:
        label = re.sub(r"\s*\([^)]*\)\s*$", "", label)
    return label if len(label) <= width else label[: width - 1].rstrip() + "…"


def trend_class(trend: str, polarity: str) -> str | None:
    """CSS class of a trend marker: rising is worse when high is bad, better when high is good."""
    if trend not in ("steigend", "fallend") or polarity == "neutral":
        return None
    worse = (trend == "steigend") == (polarity == "hoch = schlecht")
    return "wb-trend-schlechter" if worse else "wb-trend-besser"


# ------------------------------------------------------------------------------------------- profile
INPUTS = ("keys", "areas", "population", "counts|shares")
"""Processed tables the profile needs (see :func:`workbench.chapters.missing_inputs`); without facilities
(``facilities.gpkg``) the facility part is left out (part ``profil.einrichtungen``)."""


def build(ch, area_id: str) -> Profile:
    """The model of the profile of Sozialraum ``area_id`` (views: methods here, figures in
    :mod:`workbench.chapters.profile_figures`)."""
    return Profile(ch, area_id)


class Profile:
    """All published content of the profile of one Sozialraum (``area_id``) in the report year ``ch.year``."""

    def __init__(self, ch, area_id: str):
        self.ch = ch
        self.area_id = str(area_id)
        self.year = int(ch.year)
        keys = ch.ds.area_keys
        hit = keys[keys["area_id"].astype(str) == self.area_id]
        if hit.empty:
            raise ConfigError(
                f"Sozialraum '{self.area_id}' gibt es in den Daten nicht",
                where="Parameter area_id",
                hint="Kennung mit führenden Nullen angeben, z. B. "
                f"'{keys['area_id'].iloc[0]}' (siehe keys.parquet)",
            )
        row = hit.iloc[0]
        self.name = str(row["area_name"])
        self.district_id = str(row["district_id"])
        self.district_name = str(row["district_name"])
        self.meta = {ind.id: ind for ind in ch.catalogue.indicators}
        computed = set(ch.indicators["indicator"].unique())
        # the indicators shown: the catalogue's without those the data do not allow (left out with a footnote)
        self.order = [ind.id for ind in ch.catalogue.indicators if ind.id in computed]
        self.left_out = [ind.id for ind in ch.catalogue.indicators if ind.id not in computed]

    # ---------------------------------------------------------------- data
    @cached_property
    def rows(self) -> dict[str, pd.DataFrame]:
        """Indicator rows of the report year: this area, its Stadtbezirk, the city (index = indicator)."""
        t = self.ch.indicators
        cur = t[t["year"] == self.year]

        def pick(level: str, unit: str) -> pd.DataFrame:
            sub = cur[(cur["level"] == level) & (cur["unit_id"].astype(str) == unit)]
            return sub.set_index("indicator").reindex(self.order)

        return {
            "area": pick("sozialraum", self.area_id),
            "district": pick("stadtbezirk", self.district_id),
            "city": pick("stadt", "stadt"),
        }

    @cached_property
    def population(self) -> float:
        """Residents of the area at 31.12. of the report year (NaN when it would be a small count)."""
        areas = self.ch.ds.areas
        value = float(areas.loc[areas["area_id"].astype(str) == self.area_id, "population"].iloc[0])
        hidden = bool(primary_mask(np.array([value]), self.ch.rules)[0])
        return np.nan if hidden else value

    def part_left_out(self, key: str, fallback: str, *, plain: bool = False) -> str:
        """German sentence why part ``profil.<key>`` is left out, from the chapter's availability (``fallback``
        when the rules allow the part although this profile cannot show it); Markdown unless ``plain``."""
        text = self.ch.left_out_sentence(f"profil.{key}") if plain else self.ch.left_out(f"profil.{key}")
        return text or fallback

    @cached_property
    def years(self) -> list[int]:
        """Years up to the report year with indicator values."""
        t = self.ch.indicators
        return sorted(int(y) for y in t.loc[t["year"] <= self.year, "year"].unique())

    def trends_left_out(self) -> Note | None:
        """The sentence in place of the trend charts when there are fewer than ``TREND_MIN_YEARS`` years."""
        if len(self.years) >= TREND_MIN_YEARS:
            return None
        fallback = f"Ohne Entwicklung der sozialen Lage: Werte liegen nur für {len(self.years)} Jahr(e) vor."
        return Note(self.part_left_out("trends", fallback))

    def pyramid_left_out(self) -> Note | None:
        """The sentence in place of the age pyramid when the population is not by single year of age and sex in
        the report year (part ``profil.pyramide``: totals or age groups only)."""
        if self.ch.item("profil.pyramide").ok:
            return None
        return Note(self.part_left_out("pyramide", "Ohne Altersaufbau: keine Einwohner nach Einzelaltern."))

    def facilities_left_out(self) -> Note | None:
        """The sentence in place of the facility map and table when there is no facility register."""
        if self.ch.ds.has("facilities"):
            return None
        return Note(self.part_left_out("einrichtungen", "Ohne Einrichtungen: kein Einrichtungsverzeichnis."))

    # ---------------------------------------------------------------- title, sentences
    def title_markdown(self) -> str:
        """Markdown heading: area id and name, Stadtbezirk, residents (German format)."""
        pop = (
            f"{fmt.number(self.population)} Einwohnerinnen und Einwohner"
            if fmt.is_finite(self.population)
            else "Einwohnerzahl geheim gehalten"
        )
        return (
            f"# Sozialraumprofil {self.area_id} {self.name}\n\n"
            f"**Stadtbezirk {self.district_id} {self.district_name}** · {pop} am "
            f"{fmt.reference_date(self.year)} · {self.ch.city}"
        )

    def findings(self, n: int = 4) -> str:
        """German sentences on the largest significant differences from the city (Markdown list).

        Uses :func:`workbench.render.findings.largest_differences` on a view that holds only published values
        (withheld rows count as suppressed, so they never appear).
        """
        t = self.ch.indicators
        cur = t[(t["year"] == self.year) & (t["level"] == "sozialraum") & (t["unit_id"] == self.area_id)]
        city = self.rows["city"]["pub_value"]
        view = cur.assign(
            value=cur["pub_value"],
            city_value=cur["indicator"].map(city).astype(float),
            numerator_suppressed=cur["numerator_suppressed"].astype(bool) | (cur["status"] != "shown"),
        )
        sentences = largest_differences(view, self.area_id, self.year, n=n, catalogue=self.ch.catalogue)
        published = [self.meta[i].label for i in self.order if self.meta[i].published]
        if published:
            sentences = [
                *sentences,
                f"{len(published)} der {len(self.order)} Indikatoren sind nur als veröffentlichter Wert ohne "
                "Fallzahlen vorhanden; für sie ist kein Signifikanzvergleich mit der Stadt möglich.",
            ]
        return "\n".join(f"- {s}" for s in sentences)

    # ---------------------------------------------------------------- Steckbrief
    def steckbrief(self) -> tuple[pd.DataFrame, pd.DataFrame, list[list[str | None]]]:
        """(table, suppressed mask, CSS classes per cell) of the key-figure table; published values only."""
        a, d, c = self.rows["area"], self.rows["district"], self.rows["city"]
        labels = [self.meta[i].label for i in self.order]
        idx = pd.Index(labels, name="Indikator")

        def withheld(rows: pd.DataFrame) -> np.ndarray:
            # too few in the base ("min_base") is not secret but unsure: "/" (steckbrief_html), not "."
            return (
                ~rows["status"].isin(["shown", "missing", "min_base"]).to_numpy()
                & rows["status"].notna().to_numpy()
            )

        def compared(cmp: pd.Series, bench: pd.Series) -> list[str]:
            # a comparison against a withheld benchmark is not shown (it would bound the withheld value)
            return [
                str(x) if isinstance(x, str) and np.isfinite(b) else "nicht verglichen"
                for x, b in zip(cmp, bench.to_numpy(dtype=float), strict=True)
            ]

        shown = (a["status"] == "shown").to_numpy()
        # official signs: trend of a withheld or unknown value ".", a trend that cannot be computed "x"
        trends = [
            TREND_TEXT.get(str(tr), fmt.sign("nicht_sinnvoll"))
            if ok
            else fmt.sign("unsicher" if st == "min_base" else "geheim")
            for tr, ok, st in zip(a["trend"], shown, a["status"], strict=True)
        ]
        df = pd.DataFrame(
            {
                "Einheit": [self.meta[i].unit for i in self.order],
                "Wert": a["pub_value"].to_numpy(dtype=float),
                "95-%-KI von": a["pub_lower95"].to_numpy(dtype=float),
                "95-%-KI bis": a["pub_upper95"].to_numpy(dtype=float),
                "Stadtbezirk": d["pub_value"].to_numpy(dtype=float),
                "Stadt": c["pub_value"].to_numpy(dtype=float),
                "Vergleich mit Stadt": compared(a["cmp_city"], c["pub_value"]),
                "Vergleich mit Stadtbezirk": compared(a["cmp_parent"], d["pub_value"]),
                "Trend (5 Jahre)": trends,
            },
            index=idx,
        )
        sup = pd.DataFrame(False, index=idx, columns=df.columns)
        for col in ("Wert", "95-%-KI von", "95-%-KI bis"):
            sup[col] = withheld(a)
        sup["Stadtbezirk"] = withheld(d)
        sup["Stadt"] = withheld(c)
        classes: list[list[str | None]] = []
        for i, ind_id in enumerate(self.order):
            pol = self.meta[ind_id].polarity
            row: list[str | None] = [None] * len(df.columns)
            group = "neutral" if pol == "neutral" else "polar"
            for j in (6, 7):
                row[j] = f"wb-cmp wb-cmp-{group}-{_CSS_NAMES.get(df.iat[i, j], 'nv')}"
            row[8] = trend_class(str(a["trend"].iloc[i]), pol) if shown[i] else None
            classes.append(row)
        return df, sup, classes

    def steckbrief_html(self) -> str:
        """The Steckbrief as machine-readable HTML (workbench.render.tables) with comparison colours (CSS classes)."""
        df, sup, classes = self.steckbrief()
        left_out = [self.ch.left_out_sentence(i) or f"Indikator „{self.meta[i].label}“ nicht berechenbar."
                    for i in self.left_out]  # fmt: skip
        sources = list(dict.fromkeys(self.meta[i].source.rstrip(".") for i in self.order))
        published = [self.meta[i].label for i in self.order if self.meta[i].published]
        if published:
            left_out.insert(
                0,
                "Ohne Fallzahlen veröffentlicht (daher ohne Intervall, Vergleich und Trend): "
                + ", ".join(published)
                + ".",
            )
        # a published value without interval (by method: published shares, balances) shows "x", not "."
        signs = pd.DataFrame(None, index=df.index, columns=df.columns, dtype=object)
        for col in ("95-%-KI von", "95-%-KI bis"):
            no_interval = df["Wert"].notna() & df[col].isna() & ~sup[col]
            signs.loc[no_interval, col] = "nicht_sinnvoll"
        # too few in the base: not secret (the counts may be published elsewhere) but not sure enough
        for rows, cols in (
            (self.rows["area"], ("Wert", "95-%-KI von", "95-%-KI bis")),
            (self.rows["district"], ("Stadtbezirk",)),
            (self.rows["city"], ("Stadt",)),
        ):
            unsure = rows["status"].eq("min_base").to_numpy()
            for col in cols:
                signs.loc[unsure & df[col].isna().to_numpy(), col] = "unsicher"
        table = html_table(
            df,
            {
                "Einheit": "text",
                "Wert": "rate",
                "95-%-KI von": "rate",
                "95-%-KI bis": "rate",
                "Stadtbezirk": "rate",
                "Stadt": "rate",
                "Vergleich mit Stadt": "text",
                "Vergleich mit Stadtbezirk": "text",
                "Trend (5 Jahre)": "text",
            },
            table_id=f"steckbrief-{self.area_id}-{self.year}",
            caption=f"Steckbrief {self.area_id} {self.name}: alle Indikatoren am {fmt.reference_date(self.year)}",
            number_formats={
                c: {"decimals": 1, "unit": ""}
                for c in ("Wert", "95-%-KI von", "95-%-KI bis", "Stadtbezirk", "Stadt")
            },
            suppressed=sup,
            signs=signs,
            footnotes=[
                "Werte in der Einheit der Spalte „Einheit“. 95-%-KI: Konfidenzintervall (Wilson für Anteile, "
                "exakt/Byar für Raten; Salden ohne Intervall). Vergleich: signifikant besser/schlechter "
                "(bzw. höher/niedriger bei neutralen Indikatoren), wenn der Vergleichswert außerhalb des "
                "95-%-Intervalls liegt. Trend: χ²-Trendtest über die letzten 5 Jahre, 99,8 %.",
                "Quellen: " + "; ".join(sources) + ".",
                *left_out,
            ],
        )
        return comparison_css() + add_cell_classes(table, classes)

    # ---------------------------------------------------------------- charts
    def spine_rows(self) -> pd.DataFrame:
        """Rows for :func:`workbench.render.plots.spine_chart`: area, city and the spread of all areas (published)."""
        q = spread(self.ch).set_index("indicator").reindex(self.order)
        a, c = self.rows["area"], self.rows["city"]
        out = pd.DataFrame(
            {
                "label": [short_label(self.meta[i].label) for i in self.order],
                "value": a["pub_value"].to_numpy(dtype=float),
                "city_value": c["pub_value"].to_numpy(dtype=float),
                "min": q["min"].to_numpy(dtype=float),
                "p25": q["p25"].to_numpy(dtype=float),
                "p75": q["p75"].to_numpy(dtype=float),
                "max": q["max"].to_numpy(dtype=float),
                "comparison": a["cmp_city"].to_numpy(dtype=object),
                "polarity": [self.meta[i].polarity for i in self.order],
                "unit": [self.meta[i].unit for i in self.order],
                "decimals": [self.meta[i].decimals for i in self.order],
            },
            index=pd.Index(self.order, name="indicator"),
        )
        return out[np.isfinite(out["min"]) & np.isfinite(out["city_value"])]

    # ---------------------------------------------------------------- monitoring
    def monitoring(self) -> pd.Series | None:
        """This area's row of the cached MSS classes (see :func:`mss_classes`); None when not in the data or
        when the index cannot be computed (:func:`index_computable`)."""
        if not index_computable(self.ch):
            return None
        classes = mss_classes(self.ch)
        row = classes[classes["area_id"] == self.area_id]
        return None if row.empty else row.iloc[0]

    def monitoring_html(self) -> str:
        """Status, dynamics and overall class of the MSS index with the share of stable simulations.

        A status-only index (one year of data) shows the status class and the sentence why the dynamic class
        is missing; without an index, the sentence why (part ``profil.monitoring``)."""
        if not index_computable(self.ch):
            return Note(self.part_left_out("monitoring", "Ohne Einstufung im Sozialraum-Monitoring."))
        r = self.monitoring()
        if r is None or not bool(r["assessed"]):
            reason = str(r["reason"]) if r is not None and r["reason"] else "keine Daten"
            return (
                f"<p>{html.escape(self.name)} wird im Index Soziale Ungleichheit nicht bewertet "
                f"({html.escape(reason)}).</p>"
            )
        if pd.isna(r["dynamic_class"]):
            return self._status_only_html(r)
        s, d = int(r["status_class"]), int(r["dynamic_class"])
        df = pd.DataFrame(
            {
                "Indexwert": [fmt.number(r["status_index"], 2), fmt.number(r["dynamic_index"], 2), ""],
                "Klasse": [
                    f"{s} ({STATUS_LABELS[s]})",
                    DYNAMIC_LABELS[d],
                    f"{r['overall_class']} (Status {STATUS_LABELS[s]}, Dynamik {DYNAMIC_LABELS[d]})",
                ],
                "Klasse stabil in % der Simulationen": [
                    100 * float(r["status_share"]),
                    100 * float(r["dynamic_share"]),
                    np.nan,
                ],
            },
            index=pd.Index(["Status-Index", "Dynamik-Index", "Gesamtindex"], name="Index"),
        )
        verdict = "unsicher" if bool(r["unstable"]) else "robust"
        if pd.isna(r["status_share"]):  # published values without intervals: no simulation
            return self._without_robustness(df, "Einstufung")
        return self._index_table(
            df,
            f"Einstufung {verdict}",
            [
                "Status: z-standardisierte Anteile laut config/index.yaml im Berichtsjahr; Dynamik: ihre "
                "Veränderung in Prozentpunkten. Klassen wie im Berliner MSS. Robustheit: Simulationen "
                "innerhalb der 95-%-Konfidenzintervalle; „unsicher“, wenn Status- oder Dynamikklasse in "
                "weniger als 80 % der Simulationen gleich bleibt. Nur veröffentlichte Werte. Details im "
                "Kapitel Sozialraum-Monitoring."
            ],
        )

    def _index_table(self, df: pd.DataFrame, caption_tail: str, footnotes: list[str]) -> str:
        """The machine-readable index table of the profile; the robustness column (share of the simulations) is a
        whole-number percentage when present."""
        share = "Klasse stabil in % der Simulationen"
        kinds = {c: "share" if c == share else "text" for c in df.columns}
        return html_table(
            df,
            kinds,
            table_id=f"monitoring-{self.area_id}-{self.year}",
            caption=f"Index Soziale Ungleichheit (gestuftes Verfahren nach dem Berliner MSS), {self.year}: "
            f"{caption_tail}",
            number_formats={share: {"decimals": 0, "unit": "%"}} if share in df.columns else None,
            footnotes=footnotes,
        )

    def _without_robustness(self, df: pd.DataFrame, what: str) -> str:
        """The index table without the robustness column: the inputs are published values without intervals."""
        df = df.drop(columns="Klasse stabil in % der Simulationen")
        return self._index_table(
            df,
            f"{what} (Robustheit nicht bestimmbar)",
            [
                "Status: z-standardisierte Anteile laut Index-Konfiguration im Berichtsjahr; Dynamik: ihre "
                "Veränderung in Prozentpunkten. Klassen wie im Berliner MSS. Die Eingangswerte sind ohne "
                "Fallzahlen veröffentlicht und haben kein Konfidenzintervall; wie sicher die Klasse ist, lässt "
                "sich daher nicht simulieren. Details im Kapitel Sozialraum-Monitoring."
            ],
        )

    def _status_only_html(self, r: pd.Series) -> str:
        """The Status-Index row of a status-only index, with the sentence why the dynamic class is missing."""
        s = int(r["status_class"])
        df = pd.DataFrame(
            {
                "Indexwert": [fmt.number(r["status_index"], 2)],
                "Klasse": [f"{s} ({STATUS_LABELS[s]})"],
                "Klasse stabil in % der Simulationen": [100 * float(r["status_share"])],
            },
            index=pd.Index(["Status-Index"], name="Index"),
        )
        verdict = "unsicher" if bool(r["unstable"]) else "robust"
        if pd.isna(r["status_share"]):
            return self._without_robustness(df, "Statusklasse")
        why = self.part_left_out(
            "dynamik", "Ohne Dynamikklasse: es fehlen Daten zu einem zweiten Zeitpunkt.", plain=True
        )
        return self._index_table(
            df,
            f"Statusklasse {verdict}",
            [
                "Status: z-standardisierte Anteile laut Index-Konfiguration im Berichtsjahr. Klassen wie im "
                "Berliner MSS. Robustheit: Simulationen innerhalb der 95-%-Konfidenzintervalle; „unsicher“, "
                "wenn die Statusklasse in weniger als 80 % der Simulationen gleich bleibt. Nur veröffentlichte "
                "Werte. Details im Kapitel Sozialraum-Monitoring.",
                why,
            ],
        )

    # ---------------------------------------------------------------- facilities
    @cached_property
    def facilities(self):
        """Facilities in the area (``where`` "im Sozialraum") and within NEAR_METRES of it ("in der Nähe")."""
        fac = self.ch.ds.facilities
        areas = self.ch.ds.areas
        shape = areas.loc[areas["area_id"].astype(str) == self.area_id].geometry.iloc[0]
        inside = (fac["area_id"].astype(str) == self.area_id).to_numpy()
        near = ~inside & (fac.geometry.distance(shape).to_numpy() <= NEAR_METRES)
        sel = fac[inside | near].copy()
        sel["where"] = np.where(inside[inside | near], "im Sozialraum", "in der Nähe")
        return sel

    def facility_html(self) -> str:
        """Facilities by type, in the area and nearby.

        The numbers are counts of *facilities* from the public facility register (not of persons), so
        they are not subject to statistical confidentiality; they are published as text cells. Without a
        facility register nothing (the facility map, :func:`profile_figures.facility`, says why).
        """
        if self.facilities_left_out():
            return NOTHING
        sel = self.facilities
        types = sorted(self.ch.ds.facilities["type"].astype(str).unique())
        tab = pd.crosstab(sel["type"].astype(str), sel["where"]).reindex(
            index=types, columns=["im Sozialraum", "in der Nähe"], fill_value=0
        )
        tab = tab.fillna(0).astype(int)
        df = pd.DataFrame(
            {
                "im Sozialraum": [fmt.number(v) for v in tab["im Sozialraum"]],
                f"bis {fmt.number(NEAR_METRES)} m entfernt": [fmt.number(v) for v in tab["in der Nähe"]],
            },
            index=pd.Index(types, name="Einrichtungstyp"),
        )
        return html_table(
            df,
            {c: "text" for c in df.columns},
            table_id=f"einrichtungen-{self.area_id}",
            caption=f"Einrichtungen nach Typ in und um {self.name}",
            footnotes=[
                "Anzahl Einrichtungen laut öffentlichem Einrichtungsverzeichnis (keine Fallzahlen, daher "
                "ohne Geheimhaltung). Entfernung: kürzester Abstand zur Grenze des Sozialraums."
            ],
        )
