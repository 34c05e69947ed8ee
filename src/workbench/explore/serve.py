"""``make explorer``: serve ``notebooks/explorer.ipynb`` with Voila, with the report's profile pages.

Voila serves files only under its ``/voila/files/`` route, below its root folder and only those matched by
``VoilaConfiguration.file_allowlist`` (default: images). So that the mini-profile's link "Gebietsprofil öffnen"
opens the area's page, Voila's root is the deepest folder holding both the notebook and the report folder
(the project folder for the shipped configs), and the allowlist holds exactly the report folder's HTML pages
(published and checked by ``make audit``); its executed notebooks (``executed/``) are denied, as are all
``.ipynb`` and ``.py`` files (Voila's default denylist). The kernel learns the root from
``WORKBENCH_EXPLORER_FILES_ROOT`` (see :mod:`workbench.explore._link`) and the report from
``WORKBENCH_EXPLORER_CONFIG``.

Run: ``python -m workbench.explore.serve --config config/report.yaml [voila options …]``.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

FILES_ROOT_ENV = "WORKBENCH_EXPLORER_FILES_ROOT"
"""The folder Voila serves under ``/voila/files/`` (read by the kernel for the profile link)."""
CONFIG_ENV = "WORKBENCH_EXPLORER_CONFIG"
"""The report config of the explorer notebook."""


def files_root(notebook: Path, reports: Path) -> Path:
    """Voila's root folder: the deepest folder that holds the notebook and the report folder."""
    return Path(os.path.commonpath([os.path.abspath(notebook), os.path.abspath(reports)]))


def file_rules(root: Path, reports: Path) -> tuple[list[str], list[str]]:
    """Voila's ``file_allowlist`` and ``file_denylist`` (regular expressions on the path below ``root``): the
    report folder's HTML pages, without its executed notebooks, ``.ipynb`` and ``.py`` files.

    >>> file_rules(Path("/p"), Path("/p/berichte/berlin"))[0]
    ['berichte/berlin/[^?#]*\\\\.html']
    """
    rel = Path(os.path.relpath(os.path.abspath(reports), os.path.abspath(root))).as_posix()
    prefix = "" if rel == "." else re.escape(rel) + "/"
    allow = [prefix + r"[^?#]*\.html"]
    deny = [r".*\.(ipynb|py)", prefix + r"executed/.*"]
    return allow, deny


def voila_command(
    config_file: str | Path, voila_args: list[str] | None = None, notebook: Path | None = None
) -> tuple[list[str], dict[str, str]]:
    """Command line and environment that serve the explorer of a report with Voila.

    Parameters
    ----------
    config_file : str or path-like
        The report config; its ``reports`` folder holds the profile pages.
    voila_args : list of str, optional
        Further Voila options (port, template, …; ``make explorer`` passes its ``VOILA_OPTS``).
    notebook : path, optional
        The explorer notebook (default ``notebooks/explorer.ipynb`` of the project).

    Returns
    -------
    tuple
        ``(argv, env)``: the ``voila`` command (from this Python's environment) and the environment for it.
    """
    from workbench.settings import load_report_config, notebooks_dir

    cfg = load_report_config(config_file)
    notebook = Path(notebook) if notebook is not None else notebooks_dir() / "explorer.ipynb"
    root = files_root(notebook, cfg.paths.reports)
    allow, deny = file_rules(root, cfg.paths.reports)
    voila = Path(sys.executable).with_name("voila")
    argv = [
        str(voila) if voila.exists() else "voila",
        os.path.abspath(notebook),
        f"--Voila.root_dir={root}",
        f"--VoilaConfiguration.file_allowlist={allow!r}",
        f"--VoilaConfiguration.file_denylist={deny!r}",
        *(voila_args or []),
    ]
    resources = Path(__file__).resolve().parents[1] / "resources"
    jupyter_path = os.pathsep.join(filter(None, [str(resources), os.environ.get("JUPYTER_PATH")]))
    env = {
        **os.environ,
        CONFIG_ENV: os.path.abspath(cfg.source or config_file),
        FILES_ROOT_ENV: str(root),
        "JUPYTER_PATH": jupyter_path,
    }
    return argv, env


def main(argv: list[str] | None = None) -> int:
    """Start Voila for the explorer (replaces this process)."""
    parser = argparse.ArgumentParser(prog="python -m workbench.explore.serve", description=__doc__)
    parser.add_argument("--config", default="config/report.yaml", help="Berichtskonfiguration")
    parser.add_argument("voila_args", nargs=argparse.REMAINDER, help="weitere Optionen für Voila")
    args = parser.parse_args(argv)
    extra = [a for a in args.voila_args if a != "--"]
    cmd, env = voila_command(args.config, extra)
    os.execvpe(cmd[0], cmd, env)
    return 0  # pragma: no cover - execvpe does not return


if __name__ == "__main__":
    sys.exit(main())
