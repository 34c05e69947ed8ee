"""Report building: run a chapter notebook, write the report's index page with build provenance.

The index page (``reports/index.html``) links every chapter whose HTML exists, names the city and the
reporting year, and records what the report was built from: the SHA-256 of every raw file, the report
parameters and the package versions. It contains no timestamps, random ids or absolute paths, so the same
inputs give the same bytes.
"""

from __future__ import annotations

import html
import platform
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path

import pandas as pd
import yaml

from workbench.build import availability, engine, pages
from workbench.chapters import CHAPTERS
from workbench.errors import ConfigError, DataValidationError, WorkbenchError
from workbench.io import raw as rawio
from workbench.io.dataset import Dataset
from workbench.render import fmt
from workbench.settings import (
    ReportConfig,
    activate,
    chapter_titles,
    load_report_config,
    notebooks_dir,
    project_root,
    relative_to_root,
)

PACKAGES = [
    "workbench",
    "pandas",
    "numpy",
    "geopandas",
    "shapely",
    "pyogrio",
    "mapclassify",
    "matplotlib",
    "seaborn",
    "scipy",
    "statsmodels",
    "scikit-learn",
    "papermill",
    "nbconvert",
    "nbclient",
]

CSS = """
body{font-family:"Source Sans Pro","Segoe UI",Arial,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
color:#1f2933;line-height:1.45}
h1{font-size:1.9rem;margin-bottom:.2rem} .sub{color:#52606d;margin-top:0}
ul.chapters{list-style:none;padding:0} ul.chapters li{margin:.7rem 0;padding:.6rem .8rem;border-left:4px solid #3e6fb0;
background:#f5f7fa} ul.chapters a{font-weight:600;font-size:1.1rem;color:#1d4e89;text-decoration:none}
table{border-collapse:collapse;font-size:.85rem} td,th{padding:.2rem .5rem;border-bottom:1px solid #d9e2ec;text-align:left}
code{font-size:.8rem} details{margin-top:1.5rem}
@media print{details{display:block} details>summary{display:none}}
"""


def package_versions() -> dict[str, str]:
    """Installed versions of the packages that shape the report's numbers and figures."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "nicht installiert"
    return out


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(project_root()))
    except ValueError:
        return path.name


def chapter_parameters(cfg: ReportConfig) -> dict:
    """Papermill parameters every chapter receives (the report config as a relative path)."""
    if cfg.source is None:
        return {"config_file": "config/report.yaml"}
    try:
        return {"config_file": str(cfg.source.resolve().relative_to(project_root()))}
    except ValueError:
        return {"config_file": str(cfg.source.resolve())}


def build_chapter(name: str, config_path: str | Path | None = None) -> Path:
    """Execute ``notebooks/<name>.ipynb`` with the report parameters; export HTML without code.

    The executed notebook goes to ``reports/executed/`` (internal), the HTML to ``reports/html/``; both are
    replaced atomically, so a failing chapter leaves the last good HTML in place and raises a
    :class:`WorkbenchError` naming the failing cell.

    A chapter the data do not allow (missing ``INPUTS`` or an essential part, see
    :mod:`workbench.build.availability`) is not run: its HTML is a short German page in the report's look
    saying what is missing and which raw file would enable it (written atomically), and the call returns
    normally.
    """
    cfg = activate(load_report_config(config_path))
    nb = notebooks_dir() / f"{name}.ipynb"
    if not nb.exists():
        raise WorkbenchError(
            f"Kapitel '{name}' hat kein Notebook", path=nb, hint="Kapitelnamen in der Konfiguration prüfen."
        )
    html_path = cfg.paths.html / f"{name}.html"
    if name in CHAPTERS:
        status = availability.chapter_status(cfg, name, published=True)
        if not status.ok:
            rawio.atomic_write_text(html_path, availability.left_out_page(status, cfg, CSS + pages.PRINT_CSS))
            (cfg.paths.executed / f"{name}.ipynb").unlink(missing_ok=True)  # results of earlier data
            return html_path
    title = chapter_titles(cfg).get(name, {}).get("title", name)
    result = engine.run_papermill(
        nb,
        chapter_parameters(cfg),
        cfg.paths.executed / f"{name}.ipynb",
        html_path,
        cwd=project_root(),
        title=f"{title} – Sozialbericht {cfg.city} {cfg.reporting_year}",
    )
    if not result.ok:
        raise WorkbenchError(
            f"Kapitel '{name}' fehlgeschlagen: {result.error}",
            path=nb,
            hint=f"Ausgeführtes Notebook prüfen: {_rel(cfg.paths.executed / f'{name}.ipynb')}",
        )
    return html_path


def left_out_notes(av: availability.Availability) -> pd.DataFrame:
    """The sheet „Hinweise“ of the Excel appendix: one row per catalogue indicator the data do not allow, with
    the German reason and the raw file or column that would enable it (as in ``workbench check``)."""
    left = av.left_out_indicators()
    return pd.DataFrame(
        {
            "Indikator": [i.label for i in left],
            "Nicht enthalten, weil": [i.reason for i in left],
        },
        index=pd.Index([i.key for i in left], name="id"),
    )


def _indicator_workbook(cfg: ReportConfig, av: availability.Availability) -> str | None:
    """Write the Excel appendix of published indicator values; its path relative to the reports folder.

    It holds every indicator the data allow (``av``, texts for published pages); the ones left out are listed
    with the reason in the sheet „Hinweise“ (:func:`left_out_notes`). None when no indicator is computable.
    """
    # imported here: chapters pull in matplotlib and geopandas (2–3 s), which `workbench chapter` never needs
    from workbench.chapters.context import Chapter
    from workbench.chapters.tables import indicator_workbook

    if cfg.source is None or not any(i.ok for i in av.indicators):
        return None
    ch = Chapter(cfg.source)
    name = f"tabellen/indikatoren_{ch.year}.xlsx"
    path = cfg.paths.reports / name
    notes = left_out_notes(av)
    indicator_workbook(
        ch.indicators, ch.catalogue, ch.ds.keys, ch.year, path, notes=notes, counts=ch.protected_counts
    )
    return name


def build_index(config_path: str | Path | None = None) -> Path:
    """Write ``reports/index.html``: chapters, profiles, provenance (hashes, parameters, versions).

    Chapters the data do not allow (:mod:`workbench.build.availability`) are listed as "nicht erstellt
    (fehlende Daten)" with the reason and the raw file that would enable them.
    """
    cfg = activate(load_report_config(config_path))
    titles = chapter_titles(cfg)
    ds = Dataset(cfg.paths.processed)
    manifest = ds.manifest
    av = availability.assess_report(cfg, [n for n in cfg.chapters if n in CHAPTERS], published=True)
    status = {c.key: c for c in av.chapters}
    items = []
    for name in cfg.chapters:
        target = cfg.paths.html / f"{name}.html"
        meta = titles.get(name, {"title": name, "description": ""})
        left_out = status.get(name)
        if left_out is not None and not left_out.ok:
            title = html.escape(meta["title"])
            link = f'<a href="html/{name}.html">{title}</a>' if target.exists() else title
            items.append(
                f"<li>{link} – <em>nicht erstellt (fehlende Daten)</em><br>{html.escape(left_out.reason)}</li>"
            )
        elif target.exists():
            items.append(
                f'<li><a href="html/{name}.html">{html.escape(meta["title"])}</a><br>'
                f"{html.escape(meta.get('description', ''))}</li>"
            )
        else:
            items.append(
                f"<li>{html.escape(meta['title'])} – <em>nicht erstellt (Fehler beim Bau, siehe Konsole)</em></li>"
            )
    # the appendix holds every indicator the data allow; the sheet „Hinweise“ names the others and why (the
    # indicator table needs counts or published shares)
    workbook = _indicator_workbook(cfg, av) if ds.has(Dataset.INDICATOR_INPUTS) else None
    if workbook:
        n_left = len(av.left_out_indicators())
        scope = (
            "Alle Indikatoren"
            if not n_left
            else f"Berechenbare Indikatoren ({fmt.number(len(av.indicators) - n_left)} von "
            f"{fmt.number(len(av.indicators))})"
        )
        rest = "" if not n_left else "; die übrigen mit Grund im Blatt „Hinweise“"
        items.append(
            f'<li><a href="{workbook}">Tabellenanhang (Excel)</a><br>'
            f"{scope} je Sozialraum, Stadtbezirk und Stadt im Berichtsjahr, mit Definitionen{rest}.</li>"
        )
    if (cfg.paths.profiles / "index.html").exists():
        items.append(
            '<li><a href="profiles/index.html">Sozialraumprofile</a><br>'
            "Ein Profil je Sozialraum mit Steckbrief, Vergleich mit der Stadt, Trends und Karte.</li>"
        )
    files = "".join(
        f"<tr><td>{html.escape(f['file'])}</td><td>{fmt.number(f['rows'])}</td>"
        f"<td><code>{f['sha256'][:16]}</code></td></tr>"
        for f in manifest["files"]
    )
    versions = "".join(
        f"<tr><td>{k}</td><td>{html.escape(v)}</td></tr>" for k, v in package_versions().items()
    )
    params = html.escape(
        yaml.safe_dump(
            cfg.parameters(),
            allow_unicode=True,
            sort_keys=True,
        )
    )
    years = manifest.get("years", [])
    period = f"{fmt.reference_date(years[0])} – {fmt.reference_date(years[-1])}" if years else ""
    page = f"""<!DOCTYPE html>
<html lang="de"><head><meta charset="utf-8"><title>Sozialbericht {html.escape(cfg.city)} {cfg.reporting_year}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">{pages.style_block(CSS)}</head>
<body><main>
<h1>Sozialbericht {html.escape(cfg.city)} {cfg.reporting_year}</h1>
<p class="sub">Kleinräumige Sozialberichterstattung · {fmt.number(manifest.get("areas", 0))} Sozialräume ·
Datenstand {period}</p>
<ul class="chapters">
{chr(10).join(items)}
</ul>
<p>Alle veröffentlichten Zahlen sind statistisch geheimgehalten: Fallzahlen unter
{cfg.confidentiality.get("threshold", 3)} und daraus rückrechenbare Werte werden nicht gezeigt
(Zeichen „{fmt.SUPPRESSED_SIGN}“; unter jeder Tabelle steht die Erklärung der verwendeten Zeichen).</p>
<details><summary>Herkunft und Reproduzierbarkeit dieses Berichts</summary>
<h2>Eingangsdaten</h2><table><tr><th>Datei</th><th>Zeilen</th><th>SHA-256 (Anfang)</th></tr>{files}</table>
<h2>Parameter</h2><pre>{params}</pre>
<h2>Software</h2><table>{versions}</table>
</details>
</main></body></html>
"""
    out = cfg.paths.index_html
    rawio.atomic_write_text(out, page)
    return out


def demo_options(cfg: ReportConfig) -> dict[str, int] | None:
    """The demo city a report config asks for (key ``demo:``, e.g. ``{areas: 40, seed: 2024}``), else None.

    Only a config with a ``demo:`` key ever gets the demo: a planner's config without it never does.
    """
    if "demo" not in cfg.extra or cfg.extra["demo"] is False:
        return None
    opts = cfg.extra["demo"] or {}
    if not isinstance(opts, Mapping):
        raise ConfigError(
            "demo muss eine Zuordnung sein",
            path=cfg.source,
            where="demo",
            hint="z. B. demo: {areas: 40, seed: 2024}, oder den Eintrag für eigene Daten entfernen.",
        )
    try:
        return {"n_areas": int(opts.get("areas", 40)), "seed": int(opts.get("seed", 2024))}
    except (TypeError, ValueError):
        raise ConfigError(
            "demo.areas und demo.seed müssen ganze Zahlen sein",
            path=cfg.source,
            where="demo",
            hint="z. B. demo: {areas: 40, seed: 2024}",
        ) from None


def ensure_demo_data(config_path: str | Path | None = None) -> bool:
    """Make sure the report's raw folder holds data; True when it (re)generated the demo city there.

    * The config asks for the demo (``demo:`` key): an empty raw folder gets the demo city; a folder with an
      earlier demo generation is regenerated only when it is incomplete or was made with other ``demo:``
      settings; a folder with anything else is refused (the demo never overwrites anyone's data).
    * The config does not ask for the demo (a planner's config): nothing is ever generated; an empty or
      missing raw folder stops with "keine Rohdaten in <Ordner>" and what to do.
    """
    # imported here: the generator pulls in geopandas and the simulation, which `workbench chapter` never needs
    from workbench import demo

    cfg = load_report_config(config_path)
    raw = cfg.paths.raw
    where = relative_to_root(raw)
    config = relative_to_root(cfg.source) if cfg.source else "config/report.yaml"
    wanted = demo_options(cfg)
    state = demo.inspect_folder(raw)
    if wanted is None:
        if state.empty:
            raise DataValidationError(
                f"keine Rohdaten in {where} (Ordner fehlt oder ist leer)",
                hint=f"Die eigenen Rohdaten nach {where} kopieren (Dateien und Formate: docs/DATA_CONTRACT.md) "
                f"oder data_raw in {config} auf den Ordner mit den Rohdaten setzen. Die Demo-Stadt entsteht "
                f"nur mit einem Eintrag demo: in der Berichtskonfiguration (wie in config/report.yaml).",
            )
        return False
    demo.refuse_foreign(
        state,
        hint=f"{config} verlangt die Demo-Stadt (Eintrag demo:), aber {where} enthält andere Dateien, die "
        "nicht überschrieben werden. Für eigene Daten den Eintrag demo: aus der Berichtskonfiguration "
        "entfernen; für die Demo-Stadt data_raw auf einen leeren Ordner setzen (z. B. data/demo/raw).",
    )
    if not state.empty and state.complete(**wanted, generator=demo.GENERATOR):
        return False
    demo.generate(raw, **wanted)
    return True
