"""Command line: ``workbench demo | data | check | chapter | index | profiles | audit | report | build-all | pdf | init``.

``workbench report`` and ``workbench pdf`` run the whole pipeline without make (see
:mod:`workbench.build.pipeline`): where make or bash are missing (Windows, conda), this is the way to build.

User mistakes (bad data, bad configuration) print one German message naming file, place and remedy and
exit with code 2; no traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from workbench.errors import ConfigError, WorkbenchError


def _cmd_demo(args: argparse.Namespace) -> int:
    from workbench import demo
    from workbench.build.report import demo_options
    from workbench.settings import load_report_config, relative_to_root

    cfg = load_report_config(args.config)
    out = Path(args.out).resolve() if args.out else cfg.paths.raw
    opts = demo_options(cfg) or {"n_areas": 40, "seed": 2024}
    files = demo.generate(
        out,
        n_areas=args.areas or opts["n_areas"],
        seed=args.seed if args.seed is not None else opts["seed"],
    )
    print(f"Demo-Stadt geschrieben: {len(files)} Dateien in {relative_to_root(out)}")
    return 0


def _cmd_data(args: argparse.Namespace) -> int:
    from workbench.build.report import ensure_demo_data
    from workbench.io.importer import import_notes, import_report, parse_sources
    from workbench.settings import load_report_config, relative_to_root

    cfg = load_report_config(args.config)
    sources = parse_sources(cfg.extra.get("sources"), config=cfg.source)
    wants_demo = "demo" in cfg.extra and cfg.extra["demo"] is not False  # also a demo read through sources:
    if (wants_demo or not (sources and sources.base_complete)) and ensure_demo_data(args.config):
        print(f"Demo-Stadt in {relative_to_root(cfg.paths.raw)} erzeugt (Eintrag demo: der Konfiguration).")
    result = import_report(cfg)
    pop = result.tables["population"]
    print(
        f"Import fertig: {len(result.files)} Dateien, {pop['area_id'].nunique()} Sozialräume, "
        f"Jahre {pop['year'].min()}–{pop['year'].max()}, Berichtsjahr {cfg.reporting_year} "
        f"→ {relative_to_root(cfg.paths.processed)}"
    )
    for w in [*result.warnings, *import_notes(result)]:
        print(f"Hinweis: {w}")
    return 0


def _cmd_chapter(args: argparse.Namespace) -> int:
    from workbench.build.report import build_chapter

    out = build_chapter(args.name, args.config)
    print(f"Kapitel {args.name} → {out}")
    return 0


def _cmd_index(args: argparse.Namespace) -> int:
    from workbench.build.report import build_index

    print(f"Übersicht → {build_index(args.config)}")
    return 0


def _cmd_profiles(args: argparse.Namespace) -> int:
    if getattr(args, "backend", "local") == "dask":
        from workbench.build import distributed

        return distributed.build_profiles(
            args.config, workers=args.workers, areas=args.areas, scheduler=args.scheduler
        )
    if getattr(args, "scheduler", None):
        raise ConfigError("--scheduler gilt nur mit --backend dask", where="--scheduler")
    from workbench.build.profiles import build_profiles

    return build_profiles(args.config, workers=args.workers, areas=args.areas)


def _cmd_build_all(args: argparse.Namespace) -> int:
    from workbench.build import distributed

    return distributed.build_all(
        args.configs, overview=args.overview, workers=args.workers, scheduler=args.scheduler
    )


def _cmd_audit(args: argparse.Namespace) -> int:
    from workbench.confidentiality import audit

    argv = [args.path] + (["--threshold", str(args.threshold)] if args.threshold else [])
    return audit.main(argv)


def _cmd_check(args: argparse.Namespace) -> int:
    from workbench.build.availability import check, config_problems
    from workbench.settings import load_report_config, relative_to_root

    cfg = load_report_config(args.config)
    problems = config_problems(cfg)
    errors = [p for p in problems if p.error]
    if not args.quiet:
        print(check(cfg, problems), end="")
    else:  # make report: one line per problem, nothing else unless all is well
        for p in problems:
            print(p.line(), file=sys.stderr if p.error else sys.stdout)
        if not errors:
            print(f"Konfiguration passt zu den Daten in {relative_to_root(cfg.paths.processed)}")
    if errors:
        config = relative_to_root(cfg.source) if cfg.source else "config/report.yaml"
        print(
            f"Abbruch: {len(errors)} Konfigurationsfehler (siehe oben) – die genannten Schlüssel ändern, dann "
            f"make report CONFIG={config} erneut ausführen",
            file=sys.stderr,
        )
        return 1
    return 0


def _cmd_init(args: argparse.Namespace) -> int:
    from workbench.build.init import create_city

    print(create_city(args.name, args.dir, year=args.year).next_steps())
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    """The whole report without make: every step that is due (see workbench.build.pipeline), in make's order."""
    from workbench.build import pipeline
    from workbench.settings import load_report_config, relative_to_root

    cfg = load_report_config(args.config)
    if getattr(args, "backend", "local") == "dask":  # chapters and profiles as tasks on a Dask cluster
        from workbench.build import distributed

        return distributed.build_report(args.config, workers=args.workers, scheduler=args.scheduler)
    if getattr(args, "scheduler", None):
        raise ConfigError("--scheduler gilt nur mit --backend dask", where="--scheduler")
    todo = pipeline.plan(cfg)
    if todo.chapters or todo.profiles:  # the notebooks run in the Jupyter kernel "workbench"
        from workbench.build.engine import DEFAULT_KERNEL, ensure_kernel

        ensure_kernel(DEFAULT_KERNEL)
    if todo.nothing:
        print(f"Bericht ist aktuell: {relative_to_root(cfg.paths.index_html)} (nichts zu tun)")
        return 0
    ns = argparse.Namespace(config=args.config, quiet=True, workers=args.workers, areas=None, backend="local")
    if todo.data:
        _cmd_data(ns)
        pipeline.record_raw_names(cfg)
        todo = pipeline.plan(cfg)  # the import's output is new: everything after it is due
    if todo.check:
        if _cmd_check(ns) != 0:
            return 1
        (cfg.paths.processed / pipeline.CHECKED).touch()
    for name in todo.chapters:
        _cmd_chapter(argparse.Namespace(config=args.config, name=name))
    if todo.profiles and _cmd_profiles(ns) != 0:
        return 1
    _cmd_index(ns)
    code = _cmd_audit(argparse.Namespace(path=str(cfg.paths.reports), threshold=None))
    if code != 0:  # as make report: a report with a disclosive cell is not finished
        cfg.paths.index_html.unlink(missing_ok=True)
        return code
    return 0


def _cmd_pdf(args: argparse.Namespace) -> int:
    from workbench.build.pdf import build_pdfs, pdf_dir
    from workbench.settings import load_report_config, relative_to_root

    if not args.no_report:
        code = _cmd_report(args)
        if code != 0:
            return code
    only = [a.strip() for a in args.pages.split(",") if a.strip()] if args.pages else None
    written = build_pdfs(args.config, only=only, force=args.force)
    for path in written:
        print(f"PDF → {relative_to_root(path)}")
    if not written:
        folder = relative_to_root(pdf_dir(load_report_config(args.config)))
        print(f"PDFs sind aktuell: {folder} (nichts zu tun)")
    return 0


def _check_make_folders(config: str | None) -> None:
    """Under make: stop when the Makefile read other folders from the report config than the workbench does.

    The Makefile reads data_raw, data_processed and reports with ``sed`` (the venv may not exist when it parses)
    and exports ``WORKBENCH_MAKE_FOLDERS=config|raw|processed|reports``; a config written in a form that simple
    reading misses would otherwise let make track other files than the ones the workbench writes. Only a call
    with that same config is checked.
    """
    from workbench.settings import config_dir, load_report_config, relative_to_root

    parts = os.environ.get("WORKBENCH_MAKE_FOLDERS", "").split("|")
    path = Path(config) if config else config_dir() / "report.yaml"
    if len(parts) != 4 or Path(parts[0]).resolve() != path.resolve():
        return
    cfg = load_report_config(path)
    ours = {"data_raw": cfg.paths.raw, "data_processed": cfg.paths.processed, "reports": cfg.paths.reports}
    for (key, folder), made in zip(ours.items(), parts[1:], strict=True):
        if Path(made).resolve() != folder.resolve():
            raise ConfigError(
                f"make liest für '{key}' den Ordner {relative_to_root(Path(made))}, die Workbench "
                f"{relative_to_root(folder)}",
                path=relative_to_root(path),
                where=key,
                hint=f"'{key}' als einfache Zeile `{key}: <Ordner>` auf oberster Ebene schreiben "
                "(ohne Zeilenumbruch, Anker oder '#' im Pfad).",
            )


def _backend_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--backend",
        choices=("local", "dask"),
        default="local",
        help="local: warme Kernel auf diesem Rechner; dask: Kapitel und Profile als Aufgaben eines Dask-Clusters",
    )
    p.add_argument(
        "--scheduler",
        default=None,
        help="mit --backend dask: Adresse eines laufenden Dask-Schedulers (tcp://rechner:8786); ohne: lokaler "
        "Cluster mit --workers Prozessen",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="workbench", description="Sozialplanungs-Workbench")
    parser.add_argument("--config", default=None, help="Berichtskonfiguration (Standard: config/report.yaml)")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser(
        "demo",
        help="Demo-Stadt Musterstadt in den Rohdatenordner schreiben (nur in einen leeren Ordner "
        "oder den einer früheren Demo)",
    )
    p.add_argument("--areas", type=int, default=None, help="Anzahl Sozialräume (Standard 40)")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--out", default=None, help="Zielordner (Standard: data_raw der Konfiguration)")
    p.set_defaults(func=_cmd_demo)
    sub.add_parser(
        "data", help="Rohdaten (data_raw) prüfen und aufbereitet nach data_processed schreiben"
    ).set_defaults(func=_cmd_data)
    p = sub.add_parser("chapter", help="ein Kapitel ausführen und als HTML exportieren")
    p.add_argument("name")
    p.set_defaults(func=_cmd_chapter)
    sub.add_parser("index", help="reports/index.html schreiben").set_defaults(func=_cmd_index)
    p = sub.add_parser("profiles", help="Sozialraumprofile für alle Sozialräume bauen")
    p.add_argument(
        "--workers", type=int, default=None, help="Prozesse bzw. Dask-Worker (Standard: CPU-Kerne)"
    )
    p.add_argument("--areas", default=None, help="nur diese Sozialräume (Komma-Liste)")
    _backend_options(p)
    p.set_defaults(func=_cmd_profiles)
    p = sub.add_parser("audit", help="veröffentlichte HTML/XLSX auf Geheimhaltungslücken prüfen")
    p.add_argument("path")
    p.add_argument("--threshold", type=int, default=None)
    p.set_defaults(func=_cmd_audit)
    p = sub.add_parser(
        "check",
        help="Konfiguration gegen die Daten prüfen und zeigen, welche Kapitel und Indikatoren die vorhandenen "
        "Daten erlauben (Rückgabewert 1 bei Konfigurationsfehlern)",
    )
    p.add_argument("--config", default=argparse.SUPPRESS, help="Berichtskonfiguration (wie vor dem Befehl)")
    p.add_argument(
        "--quiet",
        action="store_true",
        help="nur Konfigurationsfehler und Hinweise ausgeben, je eine Zeile (make report prüft so vor dem Bau)",
    )
    p.set_defaults(func=_cmd_check)
    p = sub.add_parser(
        "report",
        help="den ganzen Bericht ohne make bauen (Daten, Prüfung, Kapitel, Profile, Übersicht, "
        "Geheimhaltungsprüfung); nur was sich geändert hat, wird neu gebaut",
    )
    p.add_argument("--config", default=argparse.SUPPRESS, help="Berichtskonfiguration (wie vor dem Befehl)")
    p.add_argument("--workers", type=int, default=None, help="Prozesse für die Profile (Standard: CPU-Kerne)")
    _backend_options(p)
    p.set_defaults(func=_cmd_report)
    p = sub.add_parser(
        "build-all",
        help="mehrere Berichte (z. B. alle Gemeinden eines Kreises) in einem Lauf auf einem Dask-Cluster bauen "
        "und eine Übersichtsseite mit Status, Bauzeit und Geheimhaltungsprüfung schreiben; unveränderte "
        "Berichte werden nicht neu gebaut",
    )
    p.add_argument(
        "configs", nargs="+", metavar="KONFIGURATION", help="Berichtskonfigurationen (report.yaml)"
    )
    p.add_argument(
        "--overview",
        default=None,
        help="Übersichtsseite (Standard: reports_alle/index.html im Projektordner)",
    )
    p.add_argument(
        "--workers", type=int, default=None, help="Dask-Worker des lokalen Clusters (Standard: CPU-Kerne)"
    )
    p.add_argument(
        "--scheduler", default=None, help="Adresse eines laufenden Dask-Schedulers, z. B. tcp://rechner:8786"
    )
    p.set_defaults(func=_cmd_build_all)
    p = sub.add_parser(
        "pdf",
        help="den Bericht bauen (wie „report“) und als PDF drucken: je Kapitel, je Profil und der ganze "
        "Bericht mit Lesezeichen (Ordner pdf/ im Berichtsordner; braucht Chromium)",
    )
    p.add_argument("--config", default=argparse.SUPPRESS, help="Berichtskonfiguration (wie vor dem Befehl)")
    p.add_argument("--workers", type=int, default=None, help="Prozesse für die Profile (Standard: CPU-Kerne)")
    p.add_argument(
        "--no-report",
        action="store_true",
        help="den Bericht nicht bauen, nur die PDFs (z. B. nach make report)",
    )
    p.add_argument("--pages", default=None, help="nur diese Seiten drucken (Komma-Liste: Kapitel, Kennungen)")
    p.add_argument("--force", action="store_true", help="alle PDFs neu drucken, auch aktuelle")
    p.set_defaults(func=_cmd_pdf)
    p = sub.add_parser(
        "init", help="neuen Stadtordner mit Berichtskonfiguration und Vorlagen der Zuordnungen anlegen"
    )
    p.add_argument("name", help='Name der Stadt, z. B. "Bad Oldesloe"')
    p.add_argument("--dir", default=None, help="Ordner (Standard: staedte/<name>, relativ zum Projektordner)")
    p.add_argument("--year", type=int, default=None, help="Berichtsjahr (Standard: Vorjahr)")
    p.set_defaults(func=_cmd_init)
    args = parser.parse_args(argv)
    try:
        if args.config:  # a missing file is refused by settings.load_report_config
            args.config = str(Path(args.config).resolve())
        _check_make_folders(args.config)
        return int(args.func(args) or 0)
    except WorkbenchError as exc:
        print(f"Fehler: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
