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
"""

from __future__ import annotations

import html
import textwrap
from pathlib import Path

from workbench.chapters import Availability, Item, assess, table_label
from workbench.errors import DataValidationError
from workbench.index.monitoring import years_text
from workbench.io.dataset import Dataset
from workbench.render import fmt
from workbench.settings import ReportConfig, load_report_config, relative_to_root

__all__ = [
    "REQUIRED_TABLES",
    "Availability",
    "Item",
    "assess_report",
    "buildable_chapters",
    "chapter_status",
    "check",
    "left_out_page",
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


def check(cfg: ReportConfig | str | Path | None = None) -> str:
    """German plain-text report of what the data of report ``cfg`` allow (``workbench check``).

    Lists the chapters that can be built (with the parts they leave out), the chapters that are left out, the
    Sozialraumprofile, and the indicators that cannot be computed — each with the reason and the raw file or
    column that would enable it. No Markdown: the text is for the terminal.

    Raises
    ------
    DataValidationError
        When the areas or the population are missing (:func:`require_base_data`).
    """
    cfg = _config(cfg)
    require_base_data(cfg)
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
    present = [table_label(t) for t in av.tables]
    absent = [table_label(t) for t in Dataset.FILES if not ds.has(t)]
    lines += _wrap("Vorhanden: " + ", ".join(present), 0)
    if absent:
        lines += _wrap("Fehlen: " + ", ".join(absent), 0)

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
<body>
<h1>{html.escape(item.label)}</h1>
<p class="sub">Sozialbericht {html.escape(cfg.city)} {cfg.reporting_year} · Kapitel nicht erstellt (fehlende Daten)</p>
{why}
<p>Danach „workbench data“ ausführen und den Bericht neu bauen. Welche Kapitel, Indikatoren und Teile die
vorhandenen Daten erlauben, zeigt „workbench check“ und das Kapitel „Datenqualität und Methoden“.</p>
<p><a href="../index.html">Zur Übersicht des Berichts</a></p>
</body></html>
"""
