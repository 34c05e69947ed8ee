"""Shared pieces of notebook execution: job/result types, atomic writes, kernel registration, parameter
injection, normalisation of executed notebooks, HTML export and error location.

Used by both execution paths (papermill in ``workbench.build.engine``, warm kernels in ``workbench.build._kernel``) so that their
output is byte-identical; re-exported by ``workbench.build.engine``.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.errors import ConfigError, WorkbenchError

if TYPE_CHECKING:  # nbformat/nbclient/nbconvert/papermill are imported lazily (see _fast_imports)
    from nbformat import NotebookNode


INJECTED_TAG = "injected-parameters"


INJECTED_CELL_ID = "injected-parameters"


DEFAULT_KERNEL = "workbench"


_UMASK = os.umask(0)  # read the process umask (there is no getter) and restore it at once
os.umask(_UMASK)


@dataclass
class Job:
    """One run of the template: its parameters and where the executed notebook and the HTML go.

    ``executed_path`` may be ``None`` (no executed notebook is kept, e.g. for published profiles). ``title``
    is the page's ``<title>`` (and the PDF's title); ``None`` = the notebook's file name.
    """

    parameters: dict[str, Any]
    executed_path: Path | None
    html_path: Path
    title: str | None = None


@dataclass
class Result:
    """Outcome of one job. On failure ``error`` is a German one-line description naming the cell.

    ``cell_index`` is the 0-based position of the failing cell in the *template* notebook (``None`` when
    the injected parameter cell failed or the failure is not tied to a cell), ``cell_line`` the first line
    of its source, ``ename``/``evalue`` the Python exception. ``seconds`` is the wall time of the job,
    ``finished`` the wall-clock time (``time.time()``) it ended and ``worker`` the id of the process that drove
    its kernel (both for timing a batch: start cost and steady state per worker; 0 when unknown).
    """

    parameters: dict[str, Any]
    html_path: Path
    executed_path: Path | None = None
    ok: bool = True
    error: str | None = None
    cell_index: int | None = None
    cell_line: str | None = None
    ename: str | None = None
    evalue: str | None = None
    seconds: float = 0.0
    finished: float = 0.0
    worker: int = 0


def _fast_imports() -> None:
    """Skip the optional ``rfc3987_syntax`` import of jsonschema in processes the engine owns.

    jsonschema (used by nbformat's validator) imports ``rfc3987_syntax`` when installed only to offer the
    ``iri`` format check, which the notebook schema never uses; building its grammar costs ~2 s CPU per
    process. Only applied before jsonschema is imported (CLI and pool workers), never changes a loaded one.
    """
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


def write_atomic(path: str | os.PathLike, data: str | bytes) -> None:
    """Write ``data`` to ``path`` atomically: temp file in the same folder, then ``os.replace``.

    Readers never see a half-written file and an existing file stays untouched if writing fails. The new
    file gets the usual permissions (0666 minus umask), not the 0600 of temporary files.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def ensure_kernel(name: str = DEFAULT_KERNEL) -> str:
    """Make sure the Jupyter kernel ``name`` exists; register the running interpreter under it if missing.

    Registration uses ``python -m ipykernel install --sys-prefix --name NAME`` (inside the virtualenv, no
    user-wide side effects). Returns the kernel name.
    """
    from jupyter_client.kernelspec import KernelSpecManager

    if name in KernelSpecManager().find_kernel_specs():
        return name
    cmd = [sys.executable, "-m", "ipykernel", "install", "--sys-prefix", "--name", name]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0 or name not in KernelSpecManager().find_kernel_specs():
        raise WorkbenchError(
            f"Jupyter-Kernel '{name}' fehlt und konnte nicht eingerichtet werden ({proc.stderr.strip()[-300:]})",
            hint=f"'{' '.join(cmd)}' von Hand ausführen",
        )
    return name


def _check_kernel(name: str) -> None:
    """ConfigError when no Jupyter kernel ``name`` is installed (before worker processes start)."""
    from jupyter_client.kernelspec import KernelSpecManager

    if name not in KernelSpecManager().find_kernel_specs():
        raise ConfigError(
            f"Jupyter-Kernel „{name}“ ist nicht installiert",
            hint=f"'{sys.executable} -m ipykernel install --sys-prefix --name {name}' ausführen",
        )


ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
"""BLAS/OpenMP thread counts of the engine's kernels (one process per core already; the same values Dask's
nanny gives its workers)."""


def kernel_env() -> dict[str, str]:
    """Environment of a warm kernel: this process's, with one BLAS/OpenMP thread (:data:`ONE_THREAD`) unless set.

    The engine runs one kernel per core. numpy's OpenBLAS would start one thread per core in every kernel, and
    idle OpenBLAS threads spin for a while after each call, taking the CPU the other kernels and the cache
    warm-up need: 40 demo profiles on 2 cores took 28,0 s with and 22,1 s without them
    (``benchmarks/profiles.py --engine-only``). A value set by the user wins.
    """
    return {**ONE_THREAD, **os.environ}


def one_blas_thread():
    """Context manager: numpy/scipy in this process use one BLAS thread (threadpoolctl) while a batch runs, for
    the reason given in :func:`kernel_env` (this process warms the shared caches while the kernels start)."""
    import scipy.linalg  # noqa: F401  (scipy brings its own OpenBLAS: loaded now, so the limit covers it too)
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def kernel_config():
    """traitlets configuration of the kernel managers that run chapters and profiles.

    Transport encryption ``auto``: jupyter_client provisions CurveZMQ keys for kernels whose kernelspec declares
    support (ipykernel 7 does), so the kernel does not talk over plain TCP and does not warn about it. Left at
    jupyter_client's default where pyzmq was built without CurveZMQ.
    """
    import zmq
    from traitlets.config import Config

    config = Config()
    if zmq.has("curve"):
        config.KernelManager.transport_encryption = "auto"
    return config


def load_template(notebook: str | os.PathLike) -> NotebookNode:
    """Read a template notebook the way papermill does (``load_notebook_node``) with deterministic cell ids.

    Notebooks older than nbformat 4.5 have no cell ids; papermill would invent random ones, which end up
    in the HTML (``id="cell-id=..."``). Those get ``cell-<position>`` instead.
    """
    import nbformat
    from papermill.iorw import load_notebook_node

    path = Path(notebook)
    if not path.is_file():
        raise ConfigError("Notebook nicht gefunden", path=path, hint="Pfad prüfen")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        nb = load_notebook_node(str(path))
    except (ValueError, nbformat.reader.NotJSONError) as exc:
        raise ConfigError(
            f"kein gültiges Notebook ({exc})", path=path, hint="Datei in Jupyter öffnen und neu speichern"
        ) from exc
    if raw.get("nbformat", 4) == 4 and raw.get("nbformat_minor", 0) < 5:
        for i, cell in enumerate(nb.cells):
            cell["id"] = f"cell-{i}"
    return nb


def parameterize(template: NotebookNode, parameters: dict[str, Any], kernel_name: str) -> NotebookNode:
    """A copy of ``template`` with papermill's injected parameter cell and papermill's start-state.

    Uses ``papermill.parameterize.parameterize_notebook`` so the injected source is identical; like
    ``papermill.execute_notebook`` nothing is injected for empty parameters. Outputs and execution counts
    of all code cells are cleared (papermill's ``notebook_start``).
    """
    from papermill.parameterize import parameterize_notebook

    nb = copy.deepcopy(template)
    if parameters:
        nb = parameterize_notebook(nb, parameters, kernel_name=kernel_name)
    for cell in nb.cells:
        if INJECTED_TAG in cell.metadata.get("tags", []):
            cell["id"] = INJECTED_CELL_ID
        if cell.cell_type == "code":
            cell.execution_count = None
            cell.outputs = []
        cell.metadata["papermill"] = {"exception": None, "status": "pending"}
    nb.metadata.setdefault("papermill", {})["exception"] = None
    return nb


def normalize_executed(nb: NotebookNode) -> NotebookNode:
    """Remove volatile metadata in place (and return ``nb``) so outputs are reproducible.

    Drops papermill's notebook times/durations/input and output paths/environment, the per-cell
    ``papermill`` start/end/duration and nbclient's ``execution`` timestamps, and gives the injected
    parameter cell the fixed id ``injected-parameters``. Kept: parameters, papermill version, status.
    """
    pm = nb.metadata.get("papermill")
    if isinstance(pm, dict):
        for key in (
            "start_time",
            "end_time",
            "duration",
            "input_path",
            "output_path",
            "environment_variables",
        ):
            pm.pop(key, None)
    for cell in nb.cells:
        if INJECTED_TAG in cell.metadata.get("tags", []):
            cell["id"] = INJECTED_CELL_ID
        cell.metadata.pop("execution", None)
        cpm = cell.metadata.get("papermill")
        if isinstance(cpm, dict):
            for key in ("start_time", "end_time", "duration"):
                cpm.pop(key, None)
    return nb


def make_exporter():
    """nbconvert ``HTMLExporter`` without code, input prompts and output prompts, in German, self-contained.

    Template ``workbench`` (:mod:`workbench.build.pages`): nbconvert's lab template without the scripts it
    loads from a CDN, plus the report's screen and A4 print styles; ``lang="de"``. Same page as nbconvert's
    ``HTMLExporter`` without its second parse of the whole page (:mod:`workbench.build._export`).
    """
    from workbench.build import pages
    from workbench.build._export import PageExporter

    exporter = PageExporter(
        template_name=pages.TEMPLATE_NAME,
        extra_template_basedirs=[str(pages.TEMPLATE_DIR)],
        language_code=pages.LANGUAGE,
    )
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    return exporter


def export_html(nb: NotebookNode, title: str, exporter=None) -> str:
    """The HTML page of an executed notebook (normalised copy; ``title`` becomes ``<title>``)."""
    exporter = exporter or make_exporter()
    clean = normalize_executed(copy.deepcopy(nb))
    body, _ = exporter.from_notebook_node(clean, resources={"metadata": {"name": title}})
    return body


def find_error(nb: NotebookNode) -> tuple[int, dict[str, str]] | None:
    """(cell position, error output) of the first error output, papermill's rule (``SystemExit(0)`` is ok)."""
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                if output.get("ename") == "SystemExit" and output.get("evalue") in ("", "0"):
                    continue
                return index, output
    return None


def _template_index(nb: NotebookNode, index: int) -> int | None:
    """Map a cell position of the executed notebook back to the template (``None`` = injected cell)."""
    shift = 0
    for i, cell in enumerate(nb.cells[: index + 1]):
        if INJECTED_TAG in cell.metadata.get("tags", []):
            if i == index:
                return None
            shift += 1
    return index - shift


def _fail(
    result: Result, notebook: Path, nb: NotebookNode | None, index: int | None, ename: str, evalue: str
) -> Result:
    """Fill ``result`` with a failure naming notebook, cell (template position + first line) and error."""
    result.ok = False
    result.ename, result.evalue = ename, evalue
    where = ""
    if nb is not None and index is not None and 0 <= index < len(nb.cells):
        source = nb.cells[index].source.strip()
        result.cell_line = source.splitlines()[0][:100] if source else ""
        result.cell_index = _template_index(nb, index)
        label = "Parameterzelle (eingefügt)" if result.cell_index is None else f"Zelle {result.cell_index}"
        where = f", {label} „{result.cell_line}“"
    params = ", ".join(f"{k}={v!r}" for k, v in result.parameters.items())
    result.error = f"{notebook.name}{where} [{params}]: {ename}: {evalue}"
    return result


def _write_outputs(nb: NotebookNode, job: Job, title: str, exporter, ok: bool) -> None:
    import nbformat

    normalize_executed(nb)
    if job.executed_path is not None:
        write_atomic(job.executed_path, nbformat.writes(nb))
    if ok:
        if job.title:  # the page's own title wins over a notebook's metadata title (nbconvert prefers that)
            nb.metadata["title"] = job.title
        write_atomic(job.html_path, export_html(nb, job.title or title, exporter))
