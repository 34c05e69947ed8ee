"""Command line: ``workbench demo | data | chapter | index | profiles | audit``.

User mistakes (bad data, bad configuration) print one German message naming file, place and remedy and
exit with code 2; no traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from workbench.errors import WorkbenchError


def _cmd_demo(args: argparse.Namespace) -> int:
    from workbench import demo
    from workbench.settings import load_report_config

    cfg = load_report_config(args.config)
    out = Path(args.out) if args.out else cfg.paths.raw
    opts = cfg.extra.get("demo", {}) or {}
    files = demo.generate(
        out,
        n_areas=args.areas or int(opts.get("areas", 40)),
        seed=args.seed if args.seed is not None else int(opts.get("seed", 2024)),
        overwrite=args.overwrite,
    )
    print(f"Demo-Stadt geschrieben: {len(files)} Dateien in {out}")
    return 0


def _cmd_data(args: argparse.Namespace) -> int:
    from workbench.build.report import ensure_demo_data
    from workbench.io.importer import run_import
    from workbench.settings import load_report_config

    cfg = load_report_config(args.config)
    if ensure_demo_data(args.config):
        print(f"Keine Rohdaten gefunden: Demo-Stadt in {cfg.paths.raw} erzeugt.")
    result = run_import(cfg.paths.raw, cfg.paths.processed)
    pop = result.tables["population"]
    print(
        f"Import fertig: {len(result.files)} Dateien, {pop['area_id'].nunique()} Sozialräume, "
        f"Jahre {pop['year'].min()}–{pop['year'].max()} → {cfg.paths.processed}"
    )
    for w in result.warnings:
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
    from workbench.build.profiles import build_profiles

    return build_profiles(args.config, workers=args.workers, areas=args.areas)


def _cmd_audit(args: argparse.Namespace) -> int:
    from workbench.confidentiality import audit

    argv = [args.path] + (["--threshold", str(args.threshold)] if args.threshold else [])
    return audit.main(argv)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="workbench", description="Sozialplanungs-Workbench")
    parser.add_argument("--config", default=None, help="Berichtskonfiguration (Standard: config/report.yaml)")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help="Demo-Stadt Musterstadt nach data/raw schreiben")
    p.add_argument("--areas", type=int, default=None, help="Anzahl Sozialräume (Standard 40)")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--out", default=None, help="Zielordner (Standard: data_raw der Konfiguration)")
    p.add_argument("--overwrite", action="store_true", help="vorhandene Rohdaten überschreiben")
    p.set_defaults(func=_cmd_demo)
    sub.add_parser("data", help="Rohdaten prüfen und nach data/processed aufbereiten").set_defaults(
        func=_cmd_data
    )
    p = sub.add_parser("chapter", help="ein Kapitel ausführen und als HTML exportieren")
    p.add_argument("name")
    p.set_defaults(func=_cmd_chapter)
    sub.add_parser("index", help="reports/index.html schreiben").set_defaults(func=_cmd_index)
    p = sub.add_parser("profiles", help="Sozialraumprofile für alle Sozialräume bauen")
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--areas", default=None, help="nur diese Sozialräume (Komma-Liste)")
    p.set_defaults(func=_cmd_profiles)
    p = sub.add_parser("audit", help="veröffentlichte HTML/XLSX auf Geheimhaltungslücken prüfen")
    p.add_argument("path")
    p.add_argument("--threshold", type=int, default=None)
    p.set_defaults(func=_cmd_audit)
    args = parser.parse_args(argv)
    if args.config:
        args.config = str(Path(args.config).resolve())
    try:
        return int(args.func(args) or 0)
    except WorkbenchError as exc:
        print(f"Fehler: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
