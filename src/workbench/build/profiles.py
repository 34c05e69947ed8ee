"""Sozialraumprofile: one published HTML page per Sozialraum plus an overview page (``workbench profiles``).

:func:`build_profiles` starts the warm kernels (:func:`workbench.build.engine.run_batch`) and, while they boot
and import, warms the shared caches once in the calling process (protected counts, indicators, MSS index with
class stability, age bands — see :mod:`workbench.chapters.profile`); then it runs ``notebooks/profil.ipynb`` for
every area on the warm kernels and writes

* ``reports/profiles/<area_id>.html`` (published, no code) and ``reports/executed/profiles/<area_id>.ipynb``
  (internal);
* ``reports/profiles/index.html``: a map of all areas labelled with their ids (embedded PNG) and the list of
  profiles grouped by Stadtbezirk, with a link back to the report (``../index.html``).

A failing profile does not stop the others; the German summary names each failure with its cell, and the exit
code is 1. Output is deterministic (same data and configuration → same bytes).

What the data allow decides (:func:`workbench.build.availability.chapter_status` of ``profil``): profiles are
built when their inputs are there and leave out the parts the data do not allow (see
:mod:`workbench.chapters.profile`); without their inputs no profile is run and the overview page says in German
what is missing and which raw file would enable the profiles (exit code 0).
"""

from __future__ import annotations

import base64
import html
import sys
from collections.abc import Sequence
from pathlib import Path

from workbench.build import availability, engine, pages
from workbench.chapters import profile as profile_content
from workbench.chapters import supply
from workbench.chapters.context import Chapter
from workbench.errors import ConfigError
from workbench.io.raw import atomic_write_text
from workbench.render import fmt
from workbench.render.maps import category_map
from workbench.render.plots import figure_to_png_bytes, load_colours
from workbench.settings import ReportConfig, activate, load_report_config, notebooks_dir, project_root

TEMPLATE = "profil.ipynb"

CSS = """
body{font-family:"Source Sans Pro","Segoe UI",Arial,sans-serif;max-width:62rem;margin:2rem auto;padding:0 1rem;
color:#1f2933;line-height:1.45}
h1{font-size:1.8rem;margin-bottom:.2rem} .sub{color:#52606d;margin-top:0}
h2{font-size:1.2rem;margin:1.4rem 0 .4rem;border-bottom:2px solid #3e6fb0;padding-bottom:.15rem}
ul.profiles{columns:3 16rem;list-style:none;padding:0;margin:0} ul.profiles li{margin:.15rem 0;break-inside:avoid}
a{color:#1d4e89} .missing{color:#7b8794} img.map{max-width:100%;height:auto}
nav{margin-bottom:1rem;font-size:.95rem}
"""


def profile_title(area_id: str, name: str, city: str, year: int) -> str:
    """The ``<title>`` of a profile page, e.g. "Sozialraumprofil 0101 Altstadt – Musterstadt 2024"."""
    return f"Sozialraumprofil {area_id} {name} – {city} {year}".replace("  ", " ")


def parse_areas(areas: str | Sequence[str] | None, known: Sequence[str]) -> list[str]:
    """Area ids to build: all ``known`` ids (sorted) or the given ones (comma list or sequence), checked.

    Unknown ids raise a :class:`ConfigError` that lists them and shows valid examples.
    """
    known_sorted = sorted(str(a) for a in known)
    if areas is None:
        return known_sorted
    items = areas.split(",") if isinstance(areas, str) else [str(a) for a in areas]
    wanted = list(dict.fromkeys(a.strip() for a in items if a.strip()))
    if not wanted:
        raise ConfigError("keine Sozialräume angegeben", where="--areas", hint="z. B. --areas 0101,0102")
    unknown = [a for a in wanted if a not in set(known_sorted)]
    if unknown:
        raise ConfigError(
            f"unbekannte Sozialräume: {', '.join(unknown)}",
            where="--areas",
            hint=f"Kennungen mit führenden Nullen angeben, z. B. {', '.join(known_sorted[:3])}",
        )
    return wanted


def config_parameter(cfg: ReportConfig) -> str:
    """The ``config_file`` parameter of the profile notebook: relative to the project root when inside it."""
    if cfg.source is None:
        return "config/report.yaml"
    path = Path(cfg.source).resolve()
    try:
        return str(path.relative_to(project_root()))
    except ValueError:
        return str(path)


def warm_caches(config_file: str | Chapter) -> Chapter:
    """Compute everything the profiles share once (on-disk caches), so workers only read it.

    ``config_file`` is the report config (or an existing :class:`~workbench.chapters.context.Chapter`);
    returns the :class:`~workbench.chapters.context.Chapter` used. :func:`build_profiles` calls it while the
    warm kernels start (``run_batch(warmup=...)``), so the kernels never compute these results themselves.
    """

    ch = config_file if isinstance(config_file, Chapter) else Chapter(config_file)
    ch.protected_counts  # noqa: B018  (cached properties: computed and stored on disk)
    ch.indicators  # noqa: B018
    ch.availability  # noqa: B018  (every profile asks what the data allow)
    profile_content.warm_caches(ch)
    supply.cached_frame(ch)  # the accessibility sentence of every profile (when the report has the chapter)
    return ch


def profile_jobs(ch: Chapter, areas: str | Sequence[str] | None = None) -> list:
    """One :class:`workbench.build.engine.Job` per Sozialraum (all, or ``areas`` as for ``--areas``) of the
    report of ``ch``: parameters ``config_file`` and ``area_id``, the internal executed notebook, the published
    page and its title. Shared by the local engine and the Dask backend, so both build the same pages."""
    cfg = ch.cfg
    param = config_parameter(cfg)
    keys = ch.ds.area_keys.assign(area_id=ch.ds.area_keys["area_id"].astype(str))
    ids = parse_areas(areas, keys["area_id"].tolist())
    names = dict(zip(keys["area_id"], keys["area_name"], strict=True))
    return [
        engine.Job(
            parameters={"config_file": param, "area_id": a},
            executed_path=cfg.paths.executed / "profiles" / f"{a}.ipynb",
            html_path=cfg.paths.profiles / f"{a}.html",
            title=profile_title(a, names.get(a, ""), cfg.city, ch.year),
        )
        for a in ids
    ]


def failure_summary(results: Sequence) -> str:
    """``"38 Profile erstellt, 2 fehlgeschlagen: 0105 (Zelle 7: KeyError …), …"`` (German, one line)."""
    failed = [r for r in results if not r.ok]
    text = (
        f"{fmt.number(len(results) - len(failed))} Profile erstellt, {fmt.number(len(failed))} fehlgeschlagen"
    )
    if not failed:
        return text
    parts = []
    for r in failed:
        where = f"Zelle {r.cell_index}: " if r.cell_index is not None else ""
        what = f"{r.ename}: {r.evalue}" if r.ename else (r.error or "unbekannter Fehler")
        what = what if len(what) <= 120 else what[:119] + "…"
        parts.append(f"{r.parameters.get('area_id', '?')} ({where}{what})")
    return text + ": " + ", ".join(parts)


def overview_map_png(ds) -> bytes:
    """PNG of all Sozialräume coloured by Stadtbezirk and labelled with their ids."""

    palette = load_colours()["typology"]
    d = ds.districts.sort_values("district_id")
    cats = {
        str(r.district_id): (f"{r.district_id} {r.district_name}", palette[i % len(palette)])
        for i, r in enumerate(d.itertuples(index=False))
    }
    fig = category_map(
        ds.areas.assign(district_id=ds.areas["district_id"].astype(str)),
        "district_id",
        categories=cats,
        labels="area_id",
        districts=ds.districts,
        legend_title="Stadtbezirk",
        title="Sozialräume und ihre Kennungen",
        note="Beschriftung: Kennung des Sozialraums. Quelle: Gebietsgliederung der Stadt.",
    )
    return figure_to_png_bytes(fig, dpi=110)


def _page_head(city: str, year: int) -> str:
    """Start of the profiles' overview page up to its heading (``city`` already HTML-escaped)."""
    return f"""<!DOCTYPE html>
<html lang="de"><head><meta charset="utf-8"><title>Sozialraumprofile {city} {year}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">{pages.style_block(CSS)}</head>
<body>
<nav><a href="../index.html">← zurück zum Sozialbericht</a></nav>
<main>
<h1>Sozialraumprofile {city} {year}</h1>
"""


def overview_html(cfg: ReportConfig, ds, year: int) -> str:
    """The overview page: map (embedded PNG) and all profiles grouped by Stadtbezirk (links if built)."""
    keys = ds.area_keys.sort_values(["district_id", "area_id"])
    png = base64.b64encode(overview_map_png(ds)).decode("ascii")
    groups = []
    built = 0
    for (did, dname), sub in keys.groupby(["district_id", "district_name"], sort=True):
        items = []
        for r in sub.itertuples(index=False):
            label = html.escape(f"{r.area_id} {r.area_name}")
            if (cfg.paths.profiles / f"{r.area_id}.html").exists():
                built += 1
                items.append(f'<li><a href="{html.escape(str(r.area_id))}.html">{label}</a></li>')
            else:
                items.append(f'<li class="missing">{label} – nicht erstellt</li>')
        groups.append(
            f"<h2>Stadtbezirk {html.escape(f'{did} {dname}')}</h2>\n"
            f'<ul class="profiles">\n' + "\n".join(items) + "\n</ul>"
        )
    city = html.escape(cfg.city)
    total = len(keys)
    return (
        _page_head(city, year)
        + f"""<p class="sub">{fmt.number(built)} von {fmt.count_word(total, "Sozialraum", "Sozialräumen")} ·
Stichtag {fmt.reference_date(year)}</p>
<p>Jedes Profil zeigt den Steckbrief aller Indikatoren mit Vergleich zu Stadt und Stadtbezirk, die Entwicklung
der sozialen Lage, den Altersaufbau, die Einstufung im Sozialraum-Monitoring und die Einrichtungen im und um den
Sozialraum. Alle Zahlen sind statistisch geheimgehalten (Zeichen „{fmt.SUPPRESSED_SIGN}“ = geheim gehalten).</p>
<img class="map" alt="Karte der Sozialräume mit ihren Kennungen, nach Stadtbezirk eingefärbt"
src="data:image/png;base64,{png}">
{chr(10).join(groups)}
</main></body></html>
"""
    )


def left_out_html(cfg: ReportConfig, reason: str) -> str:
    """The overview page when the data do not allow the profiles: what is missing and what would enable it."""
    city = html.escape(cfg.city)
    year = cfg.reporting_year
    return (
        _page_head(city, year)
        + f"""<p class="sub">Profile nicht erstellt (fehlende Daten)</p>
<p>Die Sozialraumprofile konnten nicht erstellt werden: {html.escape(reason)}.</p>
<p>Danach „workbench data“ ausführen und den Bericht neu bauen. Was die vorhandenen Daten erlauben, zeigt
„workbench check“.</p>
</main></body></html>
"""
    )


def build_profiles(
    config_path: str | Path | None = None,
    workers: int | None = None,
    areas: str | Sequence[str] | None = None,
) -> int:
    """Build the profiles of all (or the given) Sozialräume and the overview page; returns the exit code.

    ``workers``: kernel processes (default: number of CPUs); ``areas``: ids as comma list or sequence.
    Exit code 0 when every profile was built, 1 when at least one failed (the others are still written).
    Wrong input (unknown area, bad configuration) raises a :class:`~workbench.errors.WorkbenchError`.
    """

    if workers is not None and int(workers) < 1:
        raise ConfigError("--workers muss mindestens 1 sein", where="--workers")
    cfg = activate(load_report_config(config_path))
    notebook = notebooks_dir() / TEMPLATE
    if not notebook.exists():
        raise ConfigError(
            "Profil-Vorlage fehlt", path=notebook, hint="Notebook aus dem Repository wiederherstellen"
        )
    param = config_parameter(cfg)
    status = availability.chapter_status(cfg, "profil", published=True)
    if not status.ok:
        out = cfg.paths.profiles / "index.html"
        atomic_write_text(out, left_out_html(cfg, status.reason))
        for page in cfg.paths.profiles.glob("*.html"):  # profiles of earlier, fuller data
            if page != out:
                page.unlink()
        print(f"Sozialraumprofile nicht erstellt: {status.reason}")
        print(f"Übersicht → {out}")
        sys.stdout.flush()
        return 0
    ch = Chapter(param)  # reads the configuration and the area keys only; the caches are warmed below
    jobs = profile_jobs(ch, areas)
    engine.ensure_kernel(engine.DEFAULT_KERNEL)
    # the progress bar only; the summary is printed once below (failure_summary, German number format).
    # The shared caches are computed here once, while the worker kernels start and import (warmup).
    results = engine.run_batch(
        notebook,
        jobs,
        workers=workers,
        cwd=project_root(),
        progress=True,
        summarize=False,
        warmup=lambda: warm_caches(ch),
    )

    out = cfg.paths.profiles / "index.html"
    atomic_write_text(out, overview_html(cfg, ch.ds, ch.year))
    print(failure_summary(results))
    print(f"Übersicht → {out}")
    sys.stdout.flush()
    return 0 if all(r.ok for r in results) else 1


__all__ = [
    "build_profiles",
    "failure_summary",
    "left_out_html",
    "overview_html",
    "parse_areas",
    "profile_jobs",
    "warm_caches",
]
