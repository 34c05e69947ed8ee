"""The chapter context: report config, processed data, rules and the shared protected results.

The chapter contract: every chapter module (see :mod:`workbench.chapters`) declares ``INPUTS`` (the processed
tables it needs) and ``build(ch)``, which computes the chapter's model from this context; the model's methods
render the views (German Markdown, machine-readable HTML tables, figures). A chapter notebook stays thin::

    ch = context.setup(config_file)
    m = population.build(ch)
    ch.text(m.summary())
    ch.figure(m.change_map())

``ch.figure(fig)``, ``ch.table(html)``, ``ch.text(markdown)`` display the views: figures as deterministic PNG
(no timestamps), tables as the machine-readable HTML of :mod:`workbench.render.tables`.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from functools import cached_property
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from workbench import settings
from workbench.chapters.tables import protect_indicators
from workbench.confidentiality import Rules, protect_counts
from workbench.errors import ConfigError
from workbench.indicators import compute, load_catalogue
from workbench.indicators.catalogue import Catalogue
from workbench.io.dataset import Dataset, read_memo
from workbench.io.raw import atomic_write
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
        """The central count cube at all levels with one suppression pattern for the whole report."""
        return self._cached(
            "protected_counts", lambda: protect_counts(self.ds.counts, self.ds.keys, self.rules)
        )

    @cached_property
    def indicators(self) -> pd.DataFrame:
        """All catalogue indicators at all levels and years, with rates on suppressed counts suppressed."""

        def build() -> pd.DataFrame:
            table = compute(
                self.catalogue,
                self.ds.population,
                self.ds.counts,
                self.ds.keys,
                city_totals=self.ds.city_totals,
            )
            return protect_indicators(table, self.catalogue, self.protected_counts, self.rules)

        return self._cached("indicators", build)

    def _cached(self, name: str, build) -> pd.DataFrame:
        """Internal cache in ``data/processed/cache`` keyed by the data manifest, catalogue and rules.

        Profiles run the same computation once per area; the cache makes that once per build, and the
        per-process memo (:func:`workbench.io.dataset.read_memo`) one parquet read per worker.
        """
        parts = [
            json.dumps(self.ds.manifest, sort_keys=True),
            self.catalogue.path.read_text(encoding="utf-8") if self.catalogue.path else "",
            json.dumps(dict(self.cfg.confidentiality), sort_keys=True, default=str),
            _code_version(),
        ]
        digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]
        path = self.cfg.paths.processed / "cache" / f"{name}-{digest}.parquet"
        if path.exists():
            return read_memo(path, pd.read_parquet)
        df = build()
        atomic_write(path, lambda p: df.to_parquet(p, index=False))
        for stale in path.parent.glob(f"{name}-*.parquet"):  # results of older data, rules or code
            if stale != path:
                stale.unlink(missing_ok=True)
        return df

    # ------------------------------------------------------------------ display
    @staticmethod
    def figure(fig, dpi: int = 110) -> None:
        """Show a matplotlib figure as a deterministic PNG and close it."""
        from IPython.display import Image, display

        display(Image(data=figure_to_png_bytes(fig, dpi=dpi)))
        plt.close(fig)

    @staticmethod
    def table(html: str) -> None:
        from IPython.display import HTML, display

        display(HTML(html))

    @staticmethod
    def text(markdown: str) -> None:
        from IPython.display import Markdown, display

        display(Markdown(markdown))


def _code_version() -> str:
    """Hash of the package's source, so cached results are rebuilt when the code changes."""
    h = hashlib.sha256()
    for path in sorted(Path(__file__).resolve().parents[1].rglob("*.py")):
        h.update(path.read_bytes())
    return h.hexdigest()


def setup(config_file: str | Path = "config/report.yaml") -> Chapter:
    """Start a chapter: quiet warnings, German-friendly pandas display, load config and data."""
    warnings.filterwarnings("ignore", category=UserWarning)
    warnings.filterwarnings("ignore", category=FutureWarning)
    pd.set_option("display.max_columns", 50)
    return Chapter(config_file)
