"""What the data allow: which chapters, chapter parts, indicators and profile parts a city's files support.

A real city rarely has every file of the data contract (docs/DATA_CONTRACT.md). This module tells, for a report
config and its processed tables, what can be built and — for everything that cannot — exactly which table,
file, column or how many years would enable it:

* a chapter needs its ``INPUTS`` (processed tables, :func:`workbench.chapters.missing_inputs`) and its
  essential parts;
* time series and trends need at least 3 years (the trend test of the report uses 5 points and says
  „nicht berechenbar“ below that);
* the population projection needs the population by single year of age and at least 2 years of movements
  (``events.parquet``), each with the previous year's population; the back-test needs the data up to
  reporting year − ``backtest_span``;
* the Dynamik-Index needs two points in time (reporting year and reporting year − ``change_years``); without
  them the monitoring shows the status-only index;
* Kita planning needs facilities of type Kita with places;
* an indicator needs the measures of its numerator and denominator in ``counts.parquet`` for the reporting year
  (and the population filters it uses).

The rules are data (:data:`workbench.chapters.PARTS`, :data:`workbench.chapters.RAW_FILES`) and are evaluated by
:func:`workbench.chapters.assess`, which lives in the chapter layer because the chapter „Datenqualität und
Methoden“ lists what was left out. This module is the build's view of it: :func:`check` (the German report of
``workbench check``), :func:`buildable_chapters`, :func:`require_base_data` (only areas and population are
required) and :func:`left_out_page` (the page of a chapter that cannot be built).

A configuration that does not fit the data is caught here before anything is built: :func:`config_problems`
checks every id or name the configuration files refer to (chapters, catalogue measures, index indicators and
``exclude`` areas, the Sozialräume of projection scenarios) against the processed data, one German
:class:`Problem` with file, key and hint each; ``workbench check`` exits non-zero on an error and ``make
report`` runs it (``workbench check --quiet``) before the first chapter.
"""

from __future__ import annotations

import difflib
import html
import re
import textwrap
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyogrio

from workbench.chapters import CHAPTERS, Availability, Item, assess, table_label
from workbench.errors import ConfigError, DataValidationError, WorkbenchError
from workbench.index import index_config_problems, load_index_config
from workbench.index.monitoring import years_text
from workbench.indicators import load_catalogue
from workbench.io.dataset import Dataset
from workbench.projection.runs import load_projection_config, scenario_checks
from workbench.render import fmt
from workbench.settings import ReportConfig, chapter_titles, load_report_config, relative_to_root

__all__ = [
    "REQUIRED_TABLES",
    "Availability",
    "Item",
    "assess_report",
    "buildable_chapters",
    "chapter_status",
    "Problem",
    "check",
    "config_problems",
    "left_out_page",
    "problem_lines",
    "require_base_data",
]

REQUIRED_TABLES = ("areas", "population")
"""The only processed tables a report cannot do without (everything else is left out with a note)."""

WIDTH = 100
"""Line width of :func:`check`'s terminal text."""


def _config(cfg: ReportConfig | str | Path | None) -> ReportConfig:
    return cfg if isinstance(cfg, ReportConfig) else load_report_config(cfg)


def require_base_data(cfg: ReportConfig | str | Path | None) -> None:
    """Raise a German :class:`DataValidationError` when the areas or the population are missing.

    These two are the only required tables: without areas and inhabitants no chapter can be built.
    """
    cfg = _config(cfg)
    ds = Dataset(cfg.paths.processed)
    missing = [t for t in REQUIRED_TABLES if not ds.has(t)]
    if not missing:
        return
    what = " und ".join(table_label(t) for t in missing)
    raw = " und ".join({"areas": "gebiete.gpkg", "population": "einwohner_<Jahr>.csv"}[t] for t in missing)
    raise DataValidationError(
        f"{what} fehlen in den aufbereiteten Daten; ohne Gebiete und Einwohner kann kein Kapitel erstellt werden",
        where=f"Ordner {relative_to_root(cfg.paths.processed)}",
        hint=f"{raw} im Rohdatenordner ({relative_to_root(cfg.paths.raw)}) ablegen und „workbench data“ ausführen",
    )


def assess_report(
    cfg: ReportConfig | str | Path | None, chapters=None, *, published: bool = False
) -> Availability:
    """:func:`workbench.chapters.assess` for a report config (object or path; None = ``config/report.yaml``);
    ``chapters``: the chapters to assess (default: the report's); ``published``: texts for published pages
    (the raw folder never as an absolute path)."""
    return assess(_config(cfg), chapters=chapters, published=published)


def chapter_status(cfg: ReportConfig | str | Path | None, name: str, *, published: bool = False) -> Item:
    """Whether chapter ``name`` (a key of :data:`workbench.chapters.CHAPTERS`) can be built from the data;
    ``published`` as in :func:`assess_report`."""
    return assess(_config(cfg), chapters=(name,), published=published).chapters[0]


def buildable_chapters(cfg: ReportConfig | str | Path | None) -> list[str]:
    """The chapters of the report (``chapters:`` of the config, in order) that the data allow."""
    cfg = _config(cfg)
    if not all(Dataset(cfg.paths.processed).has(t) for t in REQUIRED_TABLES):
        return []
    return assess(cfg).buildable_chapters()


# ----------------------------------------------------------------------------- configuration against the data
@dataclass(frozen=True)
class Problem:
    """A reference of a configuration file that does not fit the data.

    ``file``: the YAML file (relative to the project), ``key``: the key to change, ``problem`` and ``hint``
    German. ``error``: the report must not be built until it is changed (``workbench check`` exits non-zero,
    ``make report`` stops before building); otherwise a remark (e.g. a demo scenario this report leaves out).
    """

    file: str
    key: str
    problem: str
    hint: str
    error: bool = True

    def line(self) -> str:
        """One German line: "Fehler: <Datei>, Schlüssel <key>: <Problem> – <Hinweis>"."""
        kind = "Fehler" if self.error else "Hinweis"
        return f"{kind}: {self.file}, Schlüssel {self.key}: {self.problem} – {self.hint}"


def _from_error(exc: ConfigError, file: Path) -> Problem:
    """A :class:`Problem` from a ``ConfigError`` raised while reading ``file``."""
    return Problem(
        relative_to_root(Path(exc.path)) if exc.path else relative_to_root(file),
        exc.where or "(Datei)",
        exc.problem,
        exc.hint or "Datei korrigieren",
    )


def _similar(word: str, candidates) -> str:
    """ " (ähnlich: a, b)" for close matches of ``word`` among ``candidates``, else ""."""
    close = difflib.get_close_matches(word, sorted(map(str, candidates)), n=2, cutoff=0.75)
    return f" (ähnlich: {', '.join(close)})" if close else ""


def _area_ids(ds: Dataset) -> list[str]:
    if ds.has("keys"):
        return sorted(
            pd.read_parquet(ds.processed / ds.FILES["keys"], columns=["area_id"])["area_id"].unique()
        )
    areas = pyogrio.read_dataframe(ds.processed / ds.FILES["areas"], layer="sozialraum", read_geometry=False)
    return sorted(areas["area_id"].astype(str).unique())


def _deliverable_measures(cfg: ReportConfig) -> tuple[set[str], str]:
    """(measures some raw file of the data contract delivers, text of the config and its mapping YAMLs).

    A catalogue measure that is neither in ``counts.parquet`` nor delivered by a contract file nor named in
    the report config or one of its mappings (``sources:``) cannot come from any input: a typo.
    """
    # imported here: the importer loads pandera (about 1 s), which only this look-up needs
    from workbench.io.importer import missing_measures, source_files

    contract = {m for ms in missing_measures().values() for m in ms}
    texts = [cfg.source.read_text(encoding="utf-8")] if cfg.source and cfg.source.exists() else []
    if cfg.extra.get("sources"):
        try:
            files = source_files(cfg.extra.get("sources"), config=cfg.source)
        except WorkbenchError:  # a broken sources: entry is reported by `workbench data`
            files = []
        for f in files:
            if Path(f).suffix.lower() in (".yaml", ".yml") and Path(f).is_file():
                texts.append(Path(f).read_text(encoding="utf-8", errors="replace"))
    return contract, "\n".join(texts)


def config_problems(cfg: ReportConfig | str | Path | None = None) -> list[Problem]:
    """Every id or name the report's configuration files refer to, checked against its data and catalogue.

    * report config ``chapters``: each chapter once, ``profil`` is no chapter (``make profiles``), each with an
      entry (title) in the chapters file;
    * chapters file (``config_files: chapters:``): the ``indicators`` of each chapter are catalogue ids;
    * indicator catalogue: each measure of a numerator or denominator is in ``counts.parquet``, or some input
      delivers it (a raw file of the data contract, or a mapping of ``sources:``) — otherwise a typo;
    * index config: indicator ids of ``status`` / ``dynamic`` / ``domains`` are catalogue ids, ``exclude``
      names Sozialräume of the data (:func:`workbench.index.index_config_problems`);
    * projection config: the Sozialräume of ``extra_in_migrants`` exist; scenarios of the demo city
      (``demo_only``) are left out with a remark for a city's own data or a demo city of another size
      (:func:`workbench.projection.runs.scenario_checks`).

    A configuration file that cannot be read is one error. The Kita settings (``kita:``) hold no ids; their
    values are checked when the report config is read.

    Raises
    ------
    DataValidationError
        When the areas or the population are missing (:func:`require_base_data`).
    """
    cfg = _config(cfg)
    require_base_data(cfg)
    ds = Dataset(cfg.paths.processed)
    areas = _area_ids(ds)
    report = relative_to_root(cfg.source) if cfg.source else "config/report.yaml"
    out: list[Problem] = []

    # report config: chapter list
    for name, n in Counter(cfg.chapters).items():
        if n > 1:
            out.append(
                Problem(
                    report, "chapters", f"Kapitel {name} steht {n}-mal in der Liste", "nur einmal aufführen"
                )
            )
    if "profil" in cfg.chapters:
        out.append(
            Problem(
                report,
                "chapters",
                "profil ist kein Kapitel des Berichts",
                "aus der Liste löschen; die Sozialraumprofile entstehen mit make profiles (und make report)",
            )
        )
    chapters_file = relative_to_root(cfg.files.chapters)
    try:
        titles = chapter_titles(cfg)
    except ConfigError as exc:
        out.append(_from_error(exc, cfg.files.chapters))
        titles = None

    # indicator catalogue
    catalogue_file = relative_to_root(cfg.files.indicators)
    try:
        catalogue = load_catalogue(cfg.files.indicators)
    except ConfigError as exc:
        out.append(_from_error(exc, cfg.files.indicators))
        catalogue = None
    if titles is not None:
        for name in dict.fromkeys(cfg.chapters):
            if name in CHAPTERS and name != "profil" and name not in titles:
                out.append(
                    Problem(
                        chapters_file,
                        name,
                        f"Kapitel {name} hat keinen Eintrag (Titel und Beschreibung)",
                        f"Eintrag „{name}: {{title: …, description: …}}“ ergänzen; bis dahin heißt das Kapitel "
                        f"im Bericht „{name}“",
                        error=False,
                    )
                )
        if catalogue is not None:
            for name, meta in titles.items():
                ids = (meta.get("indicators") or []) if isinstance(meta, dict) else []
                unknown = [str(i) for i in ids if str(i) not in catalogue]
                if unknown:
                    out.append(
                        Problem(
                            chapters_file,
                            f"{name} → indicators",
                            f"Indikator{'en' if len(unknown) > 1 else ''} "
                            f"{', '.join(u + _similar(u, catalogue.ids) for u in unknown)} "
                            f"{'stehen' if len(unknown) > 1 else 'steht'} nicht im Indikatorenkatalog "
                            f"({catalogue_file})",
                            "ids aus dem Indikatorenkatalog eintragen (Schreibweise prüfen) oder löschen",
                        )
                    )
    if catalogue is not None:
        present: set[str] = set()
        if ds.has("counts"):
            counts = pd.read_parquet(ds.processed / ds.FILES["counts"], columns=["measure"])
            present = {str(m) for m in counts["measure"].unique()}
        contract, texts = _deliverable_measures(cfg)
        for ind in catalogue:
            for part, term in (("numerator", ind.numerator), ("denominator", ind.denominator)):
                if term.kind != "measure":
                    continue
                for m in dict.fromkeys((*term.measures, *term.minus)):
                    if m in present or m in contract or re.search(rf"\b{re.escape(m)}\b", texts):
                        continue
                    out.append(
                        Problem(
                            catalogue_file,
                            f"indicators → {ind.id} → {part}",
                            f"Maß {m}{_similar(m, present | contract)} steht nicht in counts.parquet, und "
                            "keine Eingabe liefert es",
                            "Schreibweise prüfen oder die Quelle des Maßes unter sources: counts: der "
                            "Berichtskonfiguration ergänzen (Maße des Datenvertrags: docs/DATA_CONTRACT.md)",
                        )
                    )

    # index config
    try:
        index_cfg = load_index_config(cfg.files.index)
    except ConfigError as exc:
        out.append(_from_error(exc, cfg.files.index))
    else:
        if catalogue is not None:
            for exc in index_config_problems(index_cfg, catalogue.ids, areas, cfg.files.index):
                out.append(_from_error(exc, cfg.files.index))

    # projection config
    projection_file = relative_to_root(cfg.files.projection)
    try:
        projection = load_projection_config(cfg.files.projection)
    except ConfigError as exc:
        out.append(_from_error(exc, cfg.files.projection))
    else:
        demo = cfg.extra.get("demo", False) is not False
        for c in scenario_checks(projection, areas, demo=demo):
            # a scenario left out is worth a remark only in a report with the projection chapter
            if c.problem and (c.error or "demografie" in cfg.chapters):
                out.append(Problem(projection_file, c.key, c.problem, c.hint, c.error))
    return out


def problem_lines(problems: list[Problem]) -> list[str]:
    """The configuration section of :func:`check`: a head line, then each problem wrapped (errors first)."""
    errors = [p for p in problems if p.error]
    notes = [p for p in problems if not p.error]
    if not problems:
        return ["Konfiguration: passt zu den Daten (Kapitel, Indikatoren, Index, Prognose)"]
    head = (
        f"Konfiguration: {fmt.number(len(errors)) if errors else 'keine'} Fehler, {fmt.number(len(notes))} "
        f"{'Hinweis' if len(notes) == 1 else 'Hinweise'}"
    )
    lines = [head + (" – vor dem Bau des Berichts zu beheben:" if errors else ":")]
    for p in errors + notes:
        lines += _wrap(p.line(), 2, 4)
    return lines


def _wrap(text: str, indent: int, hanging: int = 2) -> list[str]:
    """``text`` wrapped to :data:`WIDTH` columns, indented by ``indent``, further lines by ``hanging`` more."""
    return textwrap.wrap(
        text,
        width=WIDTH,
        initial_indent=" " * indent,
        subsequent_indent=" " * (indent + hanging),
        break_on_hyphens=False,
        break_long_words=False,
    )


def _item_lines(head: str, item: Item, indent: int) -> list[str]:
    """``head: reason`` on one line for one gap, else ``head:`` and one "- gap" line per gap."""
    if len(item.gaps) <= 1:
        return _wrap(f"{head}: {item.reason}", indent)
    lines = _wrap(f"{head}:", indent)
    for gap in item.gaps:
        lines += _wrap(f"- {gap}", indent + 2)
    return lines


def _part_lines(parts: list[Item], indent: int) -> list[str]:
    lines = []
    for p in parts:
        if not p.ok:
            lines += _item_lines(f"ohne {p.label}", p, indent)
        elif p.note:
            lines += _wrap(f"Hinweis zu {p.label}: {p.note}", indent)
    return lines


def check(cfg: ReportConfig | str | Path | None = None, problems: list[Problem] | None = None) -> str:
    """German plain-text report of what the data of report ``cfg`` allow (``workbench check``).

    First the configuration files checked against the data (:func:`config_problems`, or the given
    ``problems``): one entry per error or remark with file, key and hint. Then the chapters that can be built
    (with the parts they leave out), the chapters that are left out, the Sozialraumprofile, and the
    indicators that cannot be computed — each with the reason and the raw file or column that would enable
    it. No Markdown: the text is for the terminal.

    Raises
    ------
    DataValidationError
        When the areas or the population are missing (:func:`require_base_data`).
    """
    cfg = _config(cfg)
    require_base_data(cfg)
    problems = config_problems(cfg) if problems is None else problems
    av = assess(cfg)
    ds = Dataset(cfg.paths.processed)
    lines = [f"Datenprüfung für den Sozialbericht {cfg.city} {cfg.reporting_year}", ""]
    lines += _wrap(
        f"Aufbereitete Daten: {relative_to_root(cfg.paths.processed)} – {fmt.number(av.n_areas)} Sozialräume, "
        f"Einwohner {years_text(av.years)}",
        0,
    )
    if av.year not in av.years:
        lines += _wrap(f"Für das Berichtsjahr {av.year} gibt es keine Einwohnerdaten.", 0)
    if av.population.summary():  # totals or age groups only, or no breakdown by sex / nationality
        lines += _wrap(f"{av.population.summary()}.", 0)
    present = [table_label(t) for t in av.tables]
    absent = [table_label(t) for t in Dataset.FILES if not ds.has(t)]
    lines += _wrap("Vorhanden: " + ", ".join(present), 0)
    if absent:
        lines += _wrap("Fehlen: " + ", ".join(absent), 0)
    lines += ["", *problem_lines(problems)]

    built = [c for c in av.chapters if c.ok]
    left = av.left_out_chapters()
    n = len(av.chapters)
    lines += ["", f"Kapitel, die erstellt werden ({fmt.number(len(built))} von {fmt.number(n)}):"]
    if not built:
        lines.append("  keines")
    for c in built:
        lines.append(f"  {c.label} ({c.key})")
        lines += _part_lines([p for p in av.parts if p.chapter == c.key], 4)
    lines += ["", f"Kapitel, die ausgelassen werden ({fmt.number(len(left))} von {fmt.number(n)}):"]
    if not left:
        lines.append("  keines")
    for c in left:
        lines += _item_lines(f"{c.label} ({c.key})", c, 2)

    lines += [""]
    if av.profile.ok:
        lines.append("Sozialraumprofile werden erstellt")
        lines += _part_lines([p for p in av.parts if p.chapter == "profil"], 2)
    else:
        lines += _item_lines("Sozialraumprofile werden nicht erstellt", av.profile, 0)

    ok = [i for i in av.indicators if i.ok]
    bad = av.left_out_indicators()
    lines += [
        "",
        f"Indikatoren {av.year}: {fmt.number(len(ok))} von {fmt.number(len(av.indicators))} berechenbar",
    ]
    if ok:
        lines += _wrap("berechenbar: " + ", ".join(f"{i.label} ({i.key})" for i in ok), 2)
    if bad:
        lines.append(f"  nicht berechenbar ({fmt.number(len(bad))}):")
        groups: dict[str, list[Item]] = {}
        for i in bad:
            groups.setdefault(i.reason, []).append(i)
        for reason, items in groups.items():
            names = ", ".join(f"{i.label} ({i.key})" for i in items)
            lines += _wrap(f"{names}: {reason}", 4)
    lines += [
        "",
        *_wrap(
            "Nach dem Ergänzen von Dateien im Rohdatenordner „workbench data“ ausführen und den Bericht neu "
            "bauen; ausgelassene Kapitel erscheinen im Bericht mit diesem Hinweis.",
            0,
            0,
        ),
    ]
    return "\n".join(lines) + "\n"


def left_out_page(item: Item, cfg: ReportConfig, css: str) -> str:
    """The HTML page of a chapter that cannot be built: German, ``lang="de"``, the report's look (``css``).

    Names the missing tables or years and the raw files that would enable the chapter; links back to the
    report's overview. Contains no numbers about persons (it passes the confidentiality audit) and no absolute
    paths.
    """
    title = f"{item.label} – Sozialbericht {cfg.city} {cfg.reporting_year}"
    lead = "Dieses Kapitel konnte nicht erstellt werden"
    if len(item.gaps) == 1:
        why = f"<p>{lead}: {html.escape(str(item.gaps[0]))}.</p>"
    else:
        why = (
            f"<p>{lead}:</p>\n<ul>" + "".join(f"<li>{html.escape(str(g))}</li>" for g in item.gaps) + "</ul>"
        )
    return f"""<!DOCTYPE html>
<html lang="de"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{css}</style></head>
<body><main>
<h1>{html.escape(item.label)}</h1>
<p class="sub">Sozialbericht {html.escape(cfg.city)} {cfg.reporting_year} · Kapitel nicht erstellt (fehlende Daten)</p>
{why}
<p>Danach „workbench data“ ausführen und den Bericht neu bauen. Welche Kapitel, Indikatoren und Teile die
vorhandenen Daten erlauben, zeigt „workbench check“ und das Kapitel „Datenqualität und Methoden“.</p>
<p><a href="../index.html">Zur Übersicht des Berichts</a></p>
</main></body></html>
"""
