"""``python -m workbench.workshop bauen|zuruecksetzen`` — the commands behind ``make workshop`` and
``make workshop-reset`` (German messages, exit code 2 on a user error)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from workbench.errors import WorkbenchError
from workbench.workshop.assign import BACKUPS, PARTICIPANTS, SOLUTIONS, TEMPLATE, build, reset


def main(argv: list[str] | None = None) -> int:
    """Run the workshop command line; return the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m workbench.workshop", description="Workshop-Module vorbereiten"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("bauen", help="Teilnehmer- und Trainerfassungen erzeugen")
    b.add_argument("--quelle", default="workshop", help="Ordner der Module (Standard: workshop)")
    b.add_argument("--ziel", default="workshop_build", help="Ausgabeordner (Standard: workshop_build)")
    b.add_argument("--teilnehmende", type=int, default=0, help="Zahl der Teilnehmer-Ordner tn01 …")
    r = sub.add_parser("zuruecksetzen", help="einen Teilnehmer-Ordner zurücksetzen (mit Sicherung)")
    r.add_argument("--ziel", default="workshop_build", help="Ausgabeordner von „bauen“")
    r.add_argument("--tn", required=True, help="Teilnehmer-Ordner, z. B. tn03")
    args = parser.parse_args(argv)
    try:
        if args.command == "bauen":
            res = build(args.quelle, args.ziel, args.teilnehmende)
            print(f"{len(res.modules)} Module: {', '.join(res.modules)}")
            print(f"  Teilnehmer-Fassung (ohne Lösungen): {res.target / TEMPLATE}")
            print(f"  Trainer-Fassung mit Lösungen:       {res.target / SOLUTIONS}  (nicht weitergeben)")
            if res.created:
                print(f"  neu angelegt: {res.target / PARTICIPANTS}/{{{','.join(res.created)}}}")
            if res.kept:
                print(
                    f"  unverändert (schon vorhanden, enthält Arbeit): {', '.join(res.kept)} – "
                    "zurücksetzen mit make workshop-reset TN=…"
                )
        else:
            folder, backup = reset(args.ziel, args.tn)
            if backup is not None:
                print(f"Bisherige Arbeit gesichert in {backup}")
            else:
                print(f"{args.tn} gab es noch nicht – neu angelegt (keine Sicherung nötig).")
            print(f"{folder} enthält wieder die Teilnehmer-Fassung. Sicherungen: {Path(args.ziel) / BACKUPS}")
    except WorkbenchError as exc:
        print(f"Fehler: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
