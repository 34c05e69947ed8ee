"""The chapter context: report config, processed data, rules and the shared protected results.

The chapter contract: every chapter module (see :mod:`workbench.chapters`) declares ``INPUTS`` (the processed
tables it needs) and ``build(ch)``, which computes the chapter's model from this context; the model's methods
render the views (German Markdown, machine-readable HTML tables, figures). A chapter notebook stays thin::

    ch = context.setup(config_file)
    m = population.build(ch)
    ch.text(m.summary())
    ch.figure(m.change_map())

``ch.figure(fig)``, ``ch.table(html)``, ``ch.text(markdown)`` display the views: figures as deterministic PNG
(no timestamps), tables as the machine-readable HTML of :mod:`workbench.render.tables`. A view the data do not
allow returns a :class:`workbench.chapters.notes.Note` (what is missing and which raw file would enable it, as
in ``workbench check``); all three display it as text, an empty note not at all.

The context knows what the data allow (:attr:`Chapter.availability`, :func:`workbench.chapters.assess`):
:attr:`Chapter.indicators` holds only the catalogue indicators whose numerator and denominator the data have,
and :meth:`Chapter.left_out` gives the German sentence for a part or indicator that is left out.
"""

from __future__ import annotations

import hashlib
import json
import pickle as _pickle
import warnings
from dataclasses import fields
from functools import cached_property
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from workbench import settings
from workbench.chapters import Availability, Item, assess, measure_item
from workbench.chapters.notes import Note, hint_note, left_out_note, sentence
from workbench.chapters.population_cells import published_population_cells
from workbench.chapters.tables import protect_indicators
from workbench.confidentiality import Rules, protect_counts, protect_population
from workbench.errors import ConfigError
from workbench.indicators import compute, load_catalogue
from workbench.indicators.catalogue import Catalogue
from workbench.indicators.population import totals
from workbench.io.dataset import Dataset, read_memo
from workbench.io.raw import atomic_write
from workbench.render.figure_text import figure_html, svg_figure_html
from workbench.render.plots import figure_to_png_bytes
from workbench.settings import ReportConfig, load_report_config


class Chapter:
    """Context of one chapter run: report config, processed data, confidentiality rules, cached results.

    Creating it makes its report config the one in force for the process (:func:`workbench.settings.activate`),
    so colours, chapter titles, index and projection settings come from the report's own configuration files.
    """

    def __init__(self, config_file: str | Path = "config/report.yaml"):
        self.cfg: ReportConfig = settings.activate(load_report_config(config_file))
        self.ds = Dataset(self.cfg.paths.processed)
        self.year: int = self.cfg.reporting_year
        if self.year not in self.ds.years:
            raise ConfigError(
                f"für das Berichtsjahr {self.year} gibt es keine Einwohnerdaten "
                f"(vorhanden: {', '.join(map(str, self.ds.years))})",
                path=self.cfg.source,
                where="reporting_year",
                hint=f"einwohner_{self.year}.csv im Rohdatenordner ergänzen und `make data` ausführen, "
                "oder reporting_year auf ein vorhandenes Jahr setzen",
            )
        self.city: str = self.cfg.city
        self.rules  # noqa: B018  (checks the confidentiality settings before anything is computed)

    @cached_property
    def rules(self) -> Rules:
        """Confidentiality rules from the report config (``confidentiality:``)."""
        return Rules.from_config(self.cfg.confidentiality, path=self.cfg.source)

    @cached_property
    def catalogue(self) -> Catalogue:
        """The report's indicator catalogue (``config_files: indicators:``), parsed once per process.

        The catalogue is a frozen dataclass (immutable), so every chapter run in a warm kernel can share it;
        the memo is keyed by path, mtime and size, so an edited file is read again.
        """
        return read_memo(self.cfg.files.indicators, load_catalogue, "catalogue")

    @cached_property
    def protected_counts(self) -> pd.DataFrame:
        """The central count cube at all levels with one suppression pattern for the whole report.

        The residents per area and year (published in the population table, or following from published rates)
        enter as stocks: with them the balance equation links the movements, so a withheld birth is not the
        population change minus the published movements."""

        def build() -> pd.DataFrame:
            stocks = totals(self.ds.population, self.ds.keys).rename(
                columns={"unit_id": "area_id", "count": "value"}
            )
            return protect_counts(self.ds.counts, self.ds.keys, self.rules, stocks=stocks)

        return self._cached("protected_counts", build)

    @cached_property
    def protected_population(self) -> pd.DataFrame:
        """Every published breakdown of the population (total, pyramid bands, age groups, Kita groups, population
        shares' numerators and denominators) protected together, per year and level
        (:func:`workbench.confidentiality.protect_population`): one suppression pattern for every table and
        figure."""

        def build() -> pd.DataFrame:
            cells = published_population_cells(
                self.ds, self.catalogue, self.year, threshold=self.rules.threshold
            )
            return protect_population(cells, self.ds.keys, self.rules)

        return self._cached("protected_population", build, f"reporting_year={self.year}")

    @cached_property
    def availability(self) -> Availability:
        """What the data allow (:func:`workbench.chapters.assess` of the report's chapters, texts for published
        pages: the raw folder is never named by an absolute path).

        Stored like the other shared results (a pickle in ``data/processed/cache``), keyed additionally by the
        report config and the text of its configuration files: every profile asks for it, and assessing imports
        every chapter module, which a warm profile kernel would otherwise pay once and recompute per profile.
        """
        files = [self.cfg.source, *(getattr(self.cfg.files, f.name) for f in fields(self.cfg.files))]
        key = "\n".join(
            [repr(self.cfg), str(settings.project_root())]
            + [
                f"{p}:{hashlib.sha256(p.read_bytes()).hexdigest() if p and p.is_file() else '-'}"
                for p in files
            ]
        )
        return self._cached(
            "availability", lambda: assess(self.cfg, self.ds, published=True), key, pickle=True
        )

    def computable_indicators(self) -> list[str]:
        """Ids of the catalogue indicators whose numerator and denominator the data hold (catalogue order)."""
        return [item.key for item in self.availability.indicators if item.ok]

    @cached_property
    def indicators(self) -> pd.DataFrame:
        """The computable catalogue indicators (:meth:`computable_indicators`) at all levels and years, with
        rates on suppressed counts suppressed. An indicator the data do not allow is absent from the table;
        :meth:`left_out` says why."""

        def build() -> pd.DataFrame:
            table = compute(
                self.catalogue,
                self.ds.population,
                self.ds.counts,
                self.ds.keys,
                indicators=self.computable_indicators(),
                city_totals=self.ds.city_totals,
                shares=self.ds.shares,
                age_groups=self.ds.age_groups,
            )
            return protect_indicators(
                table, self.catalogue, self.protected_counts, self.rules, self.protected_population
            )

        # which indicators are computable depends on the measures of the reporting year
        return self._cached("indicators", build, f"reporting_year={self.year}")

    def item(self, key: str) -> Item:
        """The availability item of a chapter part (``"soziale_lage.trends"``) or a catalogue indicator (id)."""
        av = self.availability
        for item in (*av.parts, *av.indicators):
            if item.key == key:
                return item
        raise KeyError(f"unbekannter Teil oder Indikator {key!r}")

    def left_out(self, key: str) -> Note:
        """German sentence (Markdown) for a chapter part or an indicator the data do not allow (:meth:`item`):
        what is missing and which raw file would enable it, as in ``workbench check``; empty when allowed."""
        return left_out_note(self.item(key))

    def left_out_sentence(self, key: str) -> str:
        """:meth:`left_out` as plain text, for HTML tables and SVG (which escape it themselves)."""
        return sentence(self.item(key))

    def measures_left_out_sentence(self, key: str, label: str, measures) -> str:
        """German sentence (plain text) for a chapter part outside the availability rules that needs count
        ``measures`` of the reporting year (:func:`workbench.chapters.measure_item`); "" when the data hold
        them."""
        return sentence(measure_item(self.cfg, key, label, measures, self.ds, published=True))

    def hint(self, key: str) -> Note:
        """German remark on a part built with less than the full data (e.g. too few years for the trend test);
        empty when there is none."""
        return hint_note(self.item(key))

    @cached_property
    def _cache_basis(self) -> str:
        """What every cached result depends on besides its own key: data manifest, catalogue, confidentiality
        rules and the package's code. Computed once per Chapter (once per notebook run): a profile asks for
        half a dozen cached results, and checking the code each time cost a warm kernel 0,04 s per profile."""
        return "\n".join(
            [
                json.dumps(self.ds.manifest, sort_keys=True),
                repr(self.catalogue.indicators),  # the parsed catalogue, included catalogues too
                json.dumps(dict(self.cfg.confidentiality), sort_keys=True, default=str),
                _code_version(),
            ]
        )

    def _cached(self, name: str, build, key: str = "", *, pickle: bool = False) -> pd.DataFrame:
        """Internal cache in ``data/processed/cache`` keyed by the data manifest, catalogue and rules.

        Profiles run the same computation once per area; the cache makes that once per build, and the
        per-process memo (:func:`workbench.io.dataset.read_memo`) one parquet read per worker. With ``pickle``
        the result is any picklable object (stored as ``.pickle`` instead of ``.parquet``).
        """
        digest = hashlib.sha256(f"{self._cache_basis}\n{key}".encode()).hexdigest()[:16]
        suffix = "pickle" if pickle else "parquet"
        path = self.cfg.paths.processed / "cache" / f"{name}-{digest}.{suffix}"
        load = _read_pickle if pickle else pd.read_parquet
        if path.exists():
            return read_memo(path, load)
        df = build()
        if pickle:
            atomic_write(path, lambda p: p.write_bytes(_pickle.dumps(df, protocol=_pickle.HIGHEST_PROTOCOL)))
        else:
            atomic_write(path, lambda p: df.to_parquet(p, index=False))
        for stale in path.parent.glob(f"{name}-*.{suffix}"):  # results of older data, rules or code
            if stale != path:
                stale.unlink(missing_ok=True)
        return df

    # ------------------------------------------------------------------ display
    @staticmethod
    def figure(fig, dpi: int = 110) -> None:
        """Show a matplotlib figure as a deterministic PNG with its German text alternative (``alt``) and the
        collapsible data table of its published values (:mod:`workbench.render.figure_text`), and close it; a
        :class:`Note` as text, SVG text inline (so the published figure is the vector the audit reads), with
        its data table when it carries one."""
        from IPython.display import HTML, display

        if isinstance(fig, Note):
            Chapter.text(fig)
            return
        if isinstance(fig, str):
            display(HTML(svg_figure_html(fig, getattr(fig, "wb_text", None))))
            return
        display(HTML(figure_html(fig, figure_to_png_bytes(fig, dpi=dpi))))
        plt.close(fig)

    @staticmethod
    def table(html: str) -> None:
        """Show an HTML table (a :class:`Note` as text)."""
        from IPython.display import HTML, display

        if isinstance(html, Note):
            Chapter.text(html)
            return
        display(HTML(html))

    @staticmethod
    def text(markdown: str) -> None:
        """Show German Markdown; an empty :class:`Note` shows nothing."""
        from IPython.display import Markdown, display

        if isinstance(markdown, Note) and not markdown:
            return
        display(Markdown(markdown))


def _read_pickle(path: Path):
    """A result stored by :meth:`Chapter._cached` with ``pickle=True`` (written by this package only)."""
    return _pickle.loads(Path(path).read_bytes())


def _code_version() -> str:
    """Hash of the package's source, so cached results are rebuilt when the code changes.

    Remembered per process while no source file changes (path, size and modification time of every file):
    every cached result of every profile asks for it, and hashing the whole package each time cost a warm
    kernel several hundredths of a second per call."""
    paths = sorted(Path(__file__).resolve().parents[1].rglob("*.py"))
    stamp = tuple((str(p), st.st_mtime_ns, st.st_size) for p in paths for st in (p.stat(),))
    if _CODE_VERSION.get("stamp") != stamp:
        h = hashlib.sha256()
        for path in paths:
            h.update(path.read_bytes())
        _CODE_VERSION.update(stamp=stamp, digest=h.hexdigest())
    return _CODE_VERSION["digest"]


_CODE_VERSION: dict[str, object] = {}


def setup(config_file: str | Path = "config/report.yaml") -> Chapter:
    """Start a chapter: quiet warnings, German-friendly pandas display, load config and data."""
    warnings.filterwarnings("ignore", category=UserWarning)
    warnings.filterwarnings("ignore", category=FutureWarning)
    pd.set_option("display.max_columns", 50)
    return Chapter(config_file)
