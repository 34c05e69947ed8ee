"""Trainer workflow: participant versions of the workshop modules, one folder per participant, reset with backup.

``make workshop`` (:func:`build`) runs otter-grader's ``otter assign`` on every module's source notebook
(``workshop/NN_name/NN_name.ipynb``, solutions and tests in one file) and writes into the build folder
(default ``workshop_build/``, outside the sources and ignored by git):

* ``vorlage/NN_name/NN_name.ipynb`` — participant version: solutions replaced by ``...``, the German checks
  (``grader.check("q1")``) kept in the notebook metadata;
* ``loesungen/NN_name/NN_name.ipynb`` — trainer version with solutions (never copied to participants);
* ``kursdaten/`` — the course city (demo city, generated locally once);
* ``teilnehmende/tn01`` … with ``TEILNEHMENDE=N``: a copy of ``vorlage`` per participant. An existing
  participant folder is never overwritten.

``make workshop-reset TN=tn03`` (:func:`reset`) moves the participant's folder to
``sicherungen/tn03-<date-time>/`` and copies a fresh ``vorlage`` in its place: nothing is destroyed silently.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import nbformat

from workbench.errors import WorkbenchError
from workbench.workshop._data import FOLDER, prepare

MODULE_PATTERN = re.compile(r"^\d\d_[a-z0-9_]+$")
PARTICIPANT_PATTERN = re.compile(r"^tn\d{2,3}$")
TEMPLATE = "vorlage"
SOLUTIONS = "loesungen"
PARTICIPANTS = "teilnehmende"
BACKUPS = "sicherungen"


@dataclass
class BuildResult:
    """What :func:`build` wrote: modules, participant folders created and kept."""

    target: Path
    modules: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


def modules(source: str | Path) -> list[Path]:
    """The source notebooks of the workshop modules (``NN_name/NN_name.ipynb``), in order.

    Raises
    ------
    WorkbenchError
        When the folder holds no module.
    """
    source = Path(source)
    found = [
        d / f"{d.name}.ipynb"
        for d in sorted(source.iterdir() if source.is_dir() else [])
        if d.is_dir() and MODULE_PATTERN.match(d.name) and (d / f"{d.name}.ipynb").exists()
    ]
    if not found:
        raise WorkbenchError(
            f"keine Workshop-Module in {source}",
            hint="Je Modul ein Ordner NN_name mit dem Notebook NN_name.ipynb (z. B. 01_daten_einlesen).",
        )
    return found


def assign_module(notebook: Path, out: Path) -> tuple[Path, Path]:
    """Run ``otter assign`` on one source notebook; return (participant notebook, trainer notebook)."""
    from otter.assign import main as otter_assign

    with tempfile.TemporaryDirectory(prefix="otter-") as tmp:
        dist = Path(tmp) / "dist"
        otter_assign(str(notebook), str(dist), no_run_tests=True, no_pdfs=True)
        student = out / TEMPLATE / notebook.parent.name
        trainer = out / SOLUTIONS / notebook.parent.name
        for src, dst in ((dist / "student", student), (dist / "autograder", trainer)):
            if dst.exists():
                shutil.rmtree(dst)
            shutil.copytree(src, dst)
    participant = student / notebook.name
    nb = nbformat.read(participant, as_version=4)
    leaked = [c.source for c in nb.cells if "# SOLUTION" in c.source or "# BEGIN SOLUTION" in c.source]
    if leaked:
        raise WorkbenchError(
            f"{notebook}: die Teilnehmer-Fassung enthält noch Lösungen",
            hint="Lösungszellen zwischen Rohzellen „# BEGIN SOLUTION“ und „# END SOLUTION“ setzen.",
        )
    return participant, trainer / notebook.name


def _participant_names(n: int) -> list[str]:
    width = 3 if n > 99 else 2
    return [f"tn{i:0{width}d}" for i in range(1, n + 1)]


def build(
    source: str | Path, target: str | Path, participants: int = 0, *, data: str | Path | None = None
) -> BuildResult:
    """Participant and trainer versions of every module, the course city and the participants' folders.

    Parameters
    ----------
    source : str or pathlib.Path
        The ``workshop/`` folder with one folder per module.
    target : str or pathlib.Path
        The build folder (``workshop_build/``); must not lie inside ``source``.
    participants : int, default 0
        Number of participant folders ``teilnehmende/tn01`` …; existing ones are kept unchanged.
    data : str or pathlib.Path, optional
        Course data folder to use instead of generating ``target/kursdaten`` (e.g. a prepared copy).

    Returns
    -------
    BuildResult
        Modules built, participant folders created and kept.
    """
    source, target = Path(source).resolve(), Path(target).resolve()
    if target == source or source in target.parents:
        raise WorkbenchError(
            f"Zielordner {target} liegt im Quellordner {source}",
            hint="Einen Ordner außerhalb von workshop/ angeben (Standard: workshop_build/).",
        )
    if participants < 0 or participants > 999:
        raise WorkbenchError(f"TEILNEHMENDE={participants}: eine Zahl von 0 bis 999 angeben")
    target.mkdir(parents=True, exist_ok=True)
    result = BuildResult(target)
    for notebook in modules(source):
        assign_module(notebook, target)
        result.modules.append(notebook.parent.name)
    if data is None:
        prepare(target / FOLDER)
    for name in _participant_names(participants):
        folder = target / PARTICIPANTS / name
        if folder.exists():
            result.kept.append(name)
            continue
        shutil.copytree(target / TEMPLATE, folder)
        result.created.append(name)
    return result


def reset(target: str | Path, participant: str, *, now: datetime | None = None) -> tuple[Path, Path | None]:
    """Restore one participant's folder from the participant version, keeping a backup of their work.

    Parameters
    ----------
    target : str or pathlib.Path
        The build folder of :func:`build`.
    participant : str
        Folder name, e.g. ``"tn03"``.
    now : datetime, optional
        Time stamp of the backup folder (default: now).

    Returns
    -------
    tuple of pathlib.Path
        The restored folder and the backup (None when the folder did not exist).

    Raises
    ------
    WorkbenchError
        When the name is not a participant folder or ``make workshop`` has not been run.
    """
    target = Path(target)
    if not PARTICIPANT_PATTERN.match(participant or ""):
        raise WorkbenchError(
            f"TN={participant!r} ist kein Teilnehmer-Ordner",
            hint="Name wie tn03 angeben (siehe teilnehmende/).",
        )
    template = target / TEMPLATE
    if not template.is_dir():
        raise WorkbenchError(
            f"keine Teilnehmer-Fassung in {template}", hint="Zuerst `make workshop` ausführen."
        )
    folder = target / PARTICIPANTS / participant
    backup = None
    if folder.exists():
        stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
        backup = target / BACKUPS / f"{participant}-{stamp}"
        suffix = 1
        while backup.exists():
            suffix += 1
            backup = target / BACKUPS / f"{participant}-{stamp}-{suffix}"
        backup.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(folder), str(backup))
    shutil.copytree(template, folder)
    return folder, backup
