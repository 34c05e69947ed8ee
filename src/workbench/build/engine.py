"""Notebook execution for chapters (papermill) and fast batches of Sozialraumprofile (warm kernels).

Two ways to turn a parameterised notebook into an executed notebook plus a code-free HTML page:

* :func:`run_papermill` - the reference: ``papermill.execute_notebook`` in a fresh kernel, then nbconvert's
  ``HTMLExporter`` (lab template, no input, no prompts) in-process. Used for report chapters.
* :func:`run_batch` / :class:`KernelPool` - the same result for many parameter sets of one template. Every
  worker process keeps ONE warm kernel; before each job the kernel's state is reset (IPython ``reset``,
  execution counter, working directory, environment, ``sys.path``, warning filters, matplotlib figures and
  rcParams, pandas/numpy options), parameters are injected with papermill's own ``parameterize_notebook``
  and the cells run through nbclient exactly as papermill runs them. The kernel start and the imports of
  pandas/geopandas/matplotlib are paid once per worker instead of once per profile.

Both paths share :func:`normalize_executed` (removes timestamps, durations and absolute paths that papermill
and nbclient write into the metadata, and gives the injected parameter cell the fixed id
``injected-parameters`` instead of a random uuid) and :func:`export_html`, so for the same parameters the
HTML is byte-identical. Every file is written atomically (temporary file in the target folder +
``os.replace``); a failing job writes no HTML, so a previous HTML stays in place.

Command line (``python -m workbench.build.engine``)::

    chapter NOTEBOOK --param k=v ... --executed PATH --html PATH
    batch NOTEBOOK --param-file jobs.json --workers N
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from workbench.build._jobs import _UMASK as _UMASK  # noqa: F401  (re-exported; tests read engine._UMASK)
from workbench.build._jobs import (
    DEFAULT_KERNEL,
    INJECTED_CELL_ID,
    INJECTED_TAG,
    Job,
    Result,
    _fail,
    _fast_imports,
    _write_outputs,
    ensure_kernel,
    export_html,
    find_error,
    kernel_config,
    load_template,
    make_exporter,
    normalize_executed,
    parameterize,
    write_atomic,
)
from workbench.build._kernel import KernelPool, WarmKernel, run_batch, summary, template_imports
from workbench.errors import ConfigError, WorkbenchError

__all__ = [
    "DEFAULT_KERNEL",
    "INJECTED_CELL_ID",
    "INJECTED_TAG",
    "KERNEL_QUIET",
    "Job",
    "KernelPool",
    "Result",
    "WarmKernel",
    "ensure_kernel",
    "export_html",
    "find_error",
    "load_template",
    "main",
    "make_exporter",
    "normalize_executed",
    "parameterize",
    "run_batch",
    "run_papermill",
    "summary",
    "template_imports",
    "write_atomic",
]


# ------------------------------------------------------------------------------------- reference: papermill
KERNEL_QUIET = ("--IPKernelApp.log_level=CRITICAL",)
"""Command-line options of every chapter kernel: its own log stays quiet. The kernel talks encrypted where it
can (:func:`kernel_config`); its log would otherwise still say "KeyboardInterrupt caught in kernel" whenever
jupyter_client interrupts it on a normal shutdown (and, without CurveZMQ, "Kernel is running over TCP without
encryption" at every start) - nothing a planner reading the make log can act on. Errors of the notebook itself
come over the kernel's messages (cell outputs) and are still reported with cell and message."""


def run_papermill(
    notebook: str | os.PathLike,
    parameters: dict[str, Any],
    executed_path: str | os.PathLike | None,
    html_path: str | os.PathLike,
    kernel_name: str = DEFAULT_KERNEL,
    cwd: str | os.PathLike | None = None,
    timeout: int | None = None,
    title: str | None = None,
) -> Result:
    """Run one notebook with papermill in a fresh kernel and export it to HTML (the reference path).

    ``cwd`` is the kernel's working directory (default: the notebook's folder, as in Jupyter). The
    executed notebook is written even when a cell fails (with papermill's error markers); the HTML only
    on success. ``timeout`` limits each cell (seconds, ``None`` = no limit); ``title`` is the page's
    ``<title>`` (default: the notebook's file name).
    """
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    notebook = Path(notebook)
    job = Job(dict(parameters), Path(executed_path) if executed_path else None, Path(html_path), title)
    result = Result(job.parameters, job.html_path, job.executed_path)
    start = time.perf_counter()
    template = load_template(notebook)
    workdir = Path(cwd) if cwd else notebook.resolve().parent
    with tempfile.TemporaryDirectory(prefix="wb-papermill-") as tmp:
        out = Path(tmp) / "executed.ipynb"
        try:
            nb = papermill.execute_notebook(
                template,
                str(out),
                parameters=job.parameters,
                kernel_name=kernel_name,
                cwd=str(workdir),
                progress_bar=False,
                request_save_on_cell_execute=False,
                execution_timeout=timeout,
                extra_arguments=list(KERNEL_QUIET),
                config=kernel_config(),
            )
            ok = True
        except PapermillExecutionError:
            from papermill.execute import remove_error_markers

            nb = remove_error_markers(nbformat.read(out, as_version=4))
            found = find_error(nb)
            index, output = found if found is not None else (None, {})
            _fail(
                result,
                notebook,
                nb,
                index,
                output.get("ename", "CellExecutionError"),
                output.get("evalue", ""),
            )
            ok = False
        except Exception as exc:  # kernel died, timeout, missing kernel: report, never a raw traceback
            nb = None
            _fail(
                result,
                notebook,
                None,
                None,
                type(exc).__name__,
                str(exc).strip().splitlines()[0] if str(exc).strip() else "",
            )
            ok = False
    if nb is not None:
        _write_outputs(nb, job, notebook.stem, None, ok)
    result.seconds = time.perf_counter() - start
    return result


# -------------------------------------------------------------------------------------------------- CLI
def _coerce(notebook: Path, raw: list[str]) -> dict[str, Any]:
    """``k=v`` strings -> parameters typed like the notebook's defaults (``"0101"`` stays a string)."""
    from papermill import inspect_notebook

    defaults = inspect_notebook(str(notebook))
    params: dict[str, Any] = {}
    for item in raw:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(
                f"Parameter „{item}“ hat nicht die Form name=wert", hint="z. B. --param area_id=0101"
            )
        if key not in defaults:
            raise ConfigError(
                f"unbekannter Parameter „{key}“",
                path=notebook,
                hint=f"bekannte Parameter: {', '.join(defaults) or 'keine'}",
            )
        try:
            default = ast.literal_eval(defaults[key]["default"])
        except (ValueError, SyntaxError):
            default = None
        try:
            if isinstance(default, bool):
                if value.lower() not in ("true", "false", "1", "0", "ja", "nein"):
                    raise ValueError(value)
                params[key] = value.lower() in ("true", "1", "ja")
            elif isinstance(default, int):
                params[key] = int(value)
            elif isinstance(default, float):
                params[key] = float(value)
            elif isinstance(default, str) or default is None and not value:
                params[key] = value
            else:
                params[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError) as exc:
            raise ConfigError(
                f"Parameter „{key}“: Wert „{value}“ passt nicht zum Typ "
                f"{type(default).__name__} des Notebooks",
                path=notebook,
            ) from exc
    return params


def _read_jobs(path: Path) -> list[Job]:
    """Jobs from JSON: ``[{"parameters": {...}, "html": "...", "executed": "..." | null}, ...]``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"Job-Datei nicht lesbar ({exc.strerror})", path=path) from exc
    except ValueError as exc:
        raise ConfigError(f"kein gültiges JSON ({exc})", path=path) from exc
    if not isinstance(data, list):
        raise ConfigError(
            "erwartet eine Liste von Jobs",
            path=path,
            hint='[{"parameters": {"area_id": "0101"}, "html": "reports/profiles/0101.html"}]',
        )
    jobs = []
    for i, item in enumerate(data):
        if not (isinstance(item, dict) and isinstance(item.get("parameters", {}), dict) and item.get("html")):
            raise ConfigError(
                "Job braucht 'html' (Pfad) und 'parameters' (Objekt)", path=path, where=f"Job {i}"
            )
        executed = item.get("executed")
        jobs.append(
            Job(dict(item.get("parameters", {})), Path(executed) if executed else None, Path(item["html"]))
        )
    return jobs


def main(argv: Sequence[str] | None = None) -> int:
    """Command line; returns the exit code (0 ok, 1 a notebook failed, 2 wrong input)."""
    parser = argparse.ArgumentParser(
        prog="python -m workbench.build.engine", description="Notebooks ausführen und als HTML exportieren"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    ch = sub.add_parser("chapter", help="ein Kapitel mit papermill ausführen")
    ch.add_argument("notebook", type=Path)
    ch.add_argument("--param", "-p", action="append", default=[], metavar="NAME=WERT")
    ch.add_argument("--executed", type=Path, default=None)
    ch.add_argument("--html", type=Path, required=True)
    ba = sub.add_parser("batch", help="viele Profile mit warmen Kernels ausführen")
    ba.add_argument("notebook", type=Path)
    ba.add_argument("--param-file", type=Path, required=True)
    ba.add_argument("--workers", type=int, default=None)
    ba.add_argument("--quiet", action="store_true", help="keine Fortschrittsanzeige")
    for p in (ch, ba):
        p.add_argument("--kernel", default=DEFAULT_KERNEL)
        p.add_argument("--cwd", type=Path, default=None)
        p.add_argument("--timeout", type=int, default=None, help="Sekunden je Zelle")
    args = parser.parse_args(argv)
    _fast_imports()
    try:
        if args.kernel == DEFAULT_KERNEL:
            ensure_kernel(args.kernel)
        if args.command == "chapter":
            params = _coerce(args.notebook, args.param)
            res = run_papermill(
                args.notebook, params, args.executed, args.html, args.kernel, args.cwd, args.timeout
            )
            if not res.ok:
                print(f"Fehler: {res.error}", file=sys.stderr)
                return 1
            print(f"{args.notebook.name} → {args.html}")
            return 0
        if args.workers is not None and args.workers < 1:
            raise ConfigError("--workers muss mindestens 1 sein")
        jobs = _read_jobs(args.param_file)
        progress = not args.quiet
        results = run_batch(args.notebook, jobs, args.workers, args.kernel, args.cwd, progress, args.timeout)
        if not progress:  # run_batch prints the summary itself when it shows progress
            print(summary(results), file=sys.stderr)
        return 0 if all(r.ok for r in results) else 1
    except WorkbenchError as exc:
        print(f"Fehler: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
