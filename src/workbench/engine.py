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

Command line (``python -m workbench.engine``)::

    chapter NOTEBOOK --param k=v ... --executed PATH --html PATH
    batch NOTEBOOK --param-file jobs.json --workers N
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ConfigError, WorkbenchError

if TYPE_CHECKING:  # nbformat/nbclient/nbconvert/papermill are imported lazily (see _fast_imports)
    from nbformat import NotebookNode

INJECTED_TAG = "injected-parameters"
INJECTED_CELL_ID = "injected-parameters"
DEFAULT_KERNEL = "workbench"

_UMASK = os.umask(0)
os.umask(_UMASK)


# --------------------------------------------------------------------------------------------- data types
@dataclass
class Job:
    """One run of the template: its parameters and where the executed notebook and the HTML go.

    ``executed_path`` may be ``None`` (no executed notebook is kept, e.g. for published profiles).
    """

    parameters: dict[str, Any]
    executed_path: Path | None
    html_path: Path


@dataclass
class Result:
    """Outcome of one job. On failure ``error`` is a German one-line description naming the cell.

    ``cell_index`` is the 0-based position of the failing cell in the *template* notebook (``None`` when
    the injected parameter cell failed or the failure is not tied to a cell), ``cell_line`` the first line
    of its source, ``ename``/``evalue`` the Python exception. ``seconds`` is the wall time of the job.
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


# ------------------------------------------------------------------------------------------- file helpers
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


# -------------------------------------------------------------------------------------- notebook handling
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
    """nbconvert ``HTMLExporter`` (lab template) without code, input prompts and output prompts."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab")
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
        write_atomic(job.html_path, export_html(nb, title, exporter))


# ------------------------------------------------------------------------------------- reference: papermill
def run_papermill(
    notebook: str | os.PathLike,
    parameters: dict[str, Any],
    executed_path: str | os.PathLike | None,
    html_path: str | os.PathLike,
    kernel_name: str = DEFAULT_KERNEL,
    cwd: str | os.PathLike | None = None,
    timeout: int | None = None,
) -> Result:
    """Run one notebook with papermill in a fresh kernel and export it to HTML (the reference path).

    ``cwd`` is the kernel's working directory (default: the notebook's folder, as in Jupyter). The
    executed notebook is written even when a cell fails (with papermill's error markers); the HTML only
    on success. ``timeout`` limits each cell (seconds, ``None`` = no limit).
    """
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    notebook = Path(notebook)
    job = Job(dict(parameters), Path(executed_path) if executed_path else None, Path(html_path))
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


# ------------------------------------------------------------------------------------ warm kernel + pool
_KERNEL_SETUP = r"""
def _wb_engine_setup(cwd):
    import os, sys, types, warnings
    st = types.ModuleType("_workbench_engine_state")
    sys.modules[st.__name__] = st
    for name in ("numpy", "pandas", "matplotlib", "matplotlib.pyplot"):
        try:
            __import__(name)
        except Exception:
            pass
    os.chdir(cwd)
    st.cwd, st.environ, st.path = cwd, dict(os.environ), list(sys.path)
    st.filters = list(warnings.filters)
    mpl = sys.modules.get("matplotlib")
    st.rc = dict(mpl.rcParams) if mpl is not None else None
    np = sys.modules.get("numpy")
    st.np = (np.get_printoptions(), np.geterr()) if np is not None else None
    pd = sys.modules.get("pandas")
    st.pd = {}
    if pd is not None:
        try:
            for key in pd._config.config._registered_options:
                try:
                    st.pd[key] = pd.get_option(key)
                except Exception:
                    pass
        except Exception:
            pass

    def reset():
        ip = get_ipython()
        # new_session: execution counter back to 1 AND a new history session, otherwise IPython's
        # history database complains about duplicate line numbers (visible as cell output).
        ip.reset(new_session=True)
        os.chdir(st.cwd)
        if dict(os.environ) != st.environ:
            os.environ.clear()
            os.environ.update(st.environ)
        sys.path[:] = st.path
        warnings.filters[:] = st.filters
        if hasattr(warnings, "_filters_mutated"):
            warnings._filters_mutated()  # forget "already shown" registries, as a fresh kernel would
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            plt = sys.modules.get("matplotlib.pyplot")
            if plt is not None:
                plt.close("all")
            if st.rc is not None:
                rc = sys.modules["matplotlib"].rcParams
                changed = {k: v for k, v in st.rc.items() if rc.get(k) != v}
                if changed:
                    rc.update(changed)
            if st.np is not None:
                np.set_printoptions(**st.np[0])
                np.seterr(**st.np[1])
            for key, value in st.pd.items():
                try:
                    if pd.get_option(key) != value:
                        pd.set_option(key, value)
                except Exception:
                    pass

    st.reset = reset
    # Everything imported so far lives as long as the kernel: move it out of the collector's reach so the
    # gc.collect() inside IPython's reset only walks objects of the previous job (0.2 s -> a few ms).
    import gc

    gc.collect()
    gc.freeze()


_wb_engine_setup({cwd!r})
del _wb_engine_setup
"""

_KERNEL_RESET = '__import__("sys").modules["_workbench_engine_state"].reset()'


class WarmKernel:
    """One warm kernel that runs jobs of one template one after another (used inside each pool worker).

    ``run(job)`` resets the kernel state, executes the parameterised notebook cell by cell with nbclient
    (papermill's client logic: stop at the first error), writes the executed notebook and, on success, the
    HTML. A dead or hung kernel is restarted and set up again; the job is reported as failed.
    """

    def __init__(
        self,
        notebook: str | os.PathLike,
        kernel_name: str = DEFAULT_KERNEL,
        cwd: str | os.PathLike | None = None,
        timeout: int | None = None,
    ):
        self.notebook = Path(notebook)
        self.template = load_template(self.notebook)
        self.kernel_name = kernel_name
        self.cwd = str(Path(cwd).resolve() if cwd else self.notebook.resolve().parent)
        self.timeout = timeout
        self.exporter = None
        self.client = None
        self.language_info: dict[str, Any] | None = None
        self._start()

    def _start(self) -> None:
        import nbformat
        from nbclient import NotebookClient

        client = NotebookClient(
            nbformat.v4.new_notebook(),
            kernel_name=self.kernel_name,
            timeout=self.timeout,
            record_timing=False,
            resources={"metadata": {"path": self.cwd}},
        )
        client.km = client.create_kernel_manager()
        # The kernel's own stderr only carries ipykernel start-up noise; cell output comes over iopub.
        client.start_new_kernel(stderr=subprocess.DEVNULL)
        if self.exporter is None:  # import nbconvert while the kernel process boots
            self.exporter = make_exporter()
        client.start_new_kernel_client()
        self.client = client
        reply = client.wait_for_reply(client.kc.kernel_info())
        self.language_info = reply["content"]["language_info"]
        self._silent(_KERNEL_SETUP.replace("{cwd!r}", repr(self.cwd)))

    def _silent(self, code: str) -> None:
        """Run set-up code without history (the execution counter is not advanced); raise on error."""
        import nbformat

        cell = nbformat.v4.new_code_cell(code)
        self.client.nb = nbformat.v4.new_notebook(cells=[cell])
        self.client.execute_cell(cell, 0, store_history=False)

    def close(self) -> None:
        """Shut the kernel down (idempotent)."""
        from jupyter_core.utils import run_sync

        client, self.client = self.client, None
        if client is None:
            return
        try:
            client.kc.stop_channels()
            run_sync(client.km.shutdown_kernel)(now=True)
        except Exception:
            pass

    def restart(self) -> None:
        """Replace the kernel by a fresh one (after a crash or timeout)."""
        self.close()
        self._start()

    def run(self, job: Job) -> Result:
        """Execute one job on the warm kernel; never raises for notebook errors (see :class:`Result`)."""
        from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

        start = time.perf_counter()
        result = Result(dict(job.parameters), Path(job.html_path), job.executed_path)
        nb = parameterize(self.template, job.parameters, self.kernel_name)
        crashed = None
        try:
            if self.client is None:
                self._start()
            self._silent(_KERNEL_RESET)
            client = self.client
            client.nb = nb
            client.reset_execution_trackers()
            for index, cell in enumerate(nb.cells):
                state = cell.metadata["papermill"]  # papermill's per-cell status bookkeeping
                state.update(exception=False, status="running")
                try:
                    client.execute_cell(cell, index)
                except (DeadKernelError, CellTimeoutError) as exc:
                    state.update(exception=True, status="failed")
                    crashed = (index, exc)
                    break
                except CellExecutionError:
                    state.update(exception=True, status="failed")
                    nb.metadata["papermill"]["exception"] = True
                    break
                state["status"] = "completed"
        except Exception as exc:  # set-up/reset failed: the kernel is unusable
            crashed = (None, exc)
        if crashed is not None:
            index, exc = crashed
            kind = "Zeitlimit überschritten" if "Timeout" in type(exc).__name__ else "Kernel abgestürzt"
            _fail(result, self.notebook, nb, index, type(exc).__name__, f"{kind} ({str(exc).strip()[:200]})")
            self.restart()
        else:
            nb.metadata["language_info"] = self.language_info
            self.client.set_widgets_metadata()
            error = find_error(nb)
            if error is not None:
                _fail(
                    result, self.notebook, nb, error[0], error[1].get("ename", ""), error[1].get("evalue", "")
                )
        if job.executed_path is not None or result.ok:
            _write_outputs(nb, job, self.notebook.stem, self.exporter, result.ok)
        result.seconds = time.perf_counter() - start
        return result


_WORKER: WarmKernel | None = None


def _worker_init(notebook: str, kernel_name: str, cwd: str | None, timeout: int | None) -> None:
    global _WORKER
    from multiprocessing import util

    _fast_imports()
    _WORKER = WarmKernel(notebook, kernel_name, cwd, timeout)
    util.Finalize(None, _WORKER.close, exitpriority=10)


def _worker_run(job: Job) -> Result:
    assert _WORKER is not None
    return _WORKER.run(job)


class KernelPool:
    """``workers`` processes, each with one warm kernel for ``notebook``; use as a context manager.

    With ``workers == 1`` the kernel is driven from the calling process (no extra process).
    """

    def __init__(
        self,
        notebook: str | os.PathLike,
        workers: int | None = None,
        kernel_name: str = DEFAULT_KERNEL,
        cwd: str | os.PathLike | None = None,
        timeout: int | None = None,
    ):
        self.notebook = Path(notebook)
        load_template(self.notebook)  # fail early with a clear message
        _check_kernel(kernel_name)
        self.workers = max(1, int(workers or os.cpu_count() or 1))
        self.args = (str(self.notebook), kernel_name, str(cwd) if cwd else None, timeout)
        self._local: WarmKernel | None = None
        self._executor: ProcessPoolExecutor | None = None

    def __enter__(self) -> KernelPool:
        if self.workers == 1:
            self._local = WarmKernel(*self.args)
        else:
            ctx = multiprocessing.get_context("spawn")
            self._executor = ProcessPoolExecutor(
                self.workers, mp_context=ctx, initializer=_worker_init, initargs=self.args
            )
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers and their kernels."""
        if self._local is not None:
            self._local.close()
            self._local = None
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def run(self, jobs: Sequence[Job], progress: bool = True) -> list[Result]:
        """Run all jobs; results in the order of ``jobs``. ``progress`` shows a tqdm bar on stderr."""
        from tqdm import tqdm

        results: list[Result | None] = [None] * len(jobs)
        with tqdm(
            total=len(jobs), desc="Profile", unit="Profil", disable=not progress, file=sys.stderr
        ) as bar:
            if self._local is not None:
                for i, job in enumerate(jobs):
                    results[i] = self._local.run(job)
                    bar.update(1)
            else:
                assert self._executor is not None, "KernelPool must be used as a context manager"
                futures = {self._executor.submit(_worker_run, job): i for i, job in enumerate(jobs)}
                for future in as_completed(futures):
                    i = futures[future]
                    try:
                        results[i] = future.result()
                    except Exception as exc:  # worker process died: report, keep going
                        job = jobs[i]
                        results[i] = _fail(
                            Result(dict(job.parameters), Path(job.html_path), job.executed_path),
                            self.notebook,
                            None,
                            None,
                            type(exc).__name__,
                            str(exc),
                        )
                    bar.update(1)
        return [r for r in results if r is not None]


def summary(results: Iterable[Result]) -> str:
    """German one-paragraph summary: ``"N Profile erstellt, M fehlgeschlagen: …"`` with one line per failure."""
    results = list(results)
    failed = [r for r in results if not r.ok]
    text = f"{len(results) - len(failed)} Profile erstellt, {len(failed)} fehlgeschlagen"
    if failed:
        text += ":\n" + "\n".join(f"  - {r.error}" for r in failed)
    return text


def run_batch(
    notebook: str | os.PathLike,
    jobs: Sequence[Job],
    workers: int | None = None,
    kernel_name: str = DEFAULT_KERNEL,
    cwd: str | os.PathLike | None = None,
    progress: bool = True,
    timeout: int | None = None,
) -> list[Result]:
    """Run ``jobs`` of one template on warm kernels (``workers`` processes, default ``os.cpu_count()``).

    Same HTML as :func:`run_papermill` per job. Failing jobs are reported in their :class:`Result` and the
    others still run. With ``progress`` a tqdm bar and the German summary are printed to stderr.
    """
    jobs = list(jobs)
    if not jobs:
        return []
    workers = min(max(1, int(workers or os.cpu_count() or 1)), len(jobs))
    with KernelPool(notebook, workers, kernel_name, cwd, timeout) as pool:
        results = pool.run(jobs, progress=progress)
    if progress:
        print(summary(results), file=sys.stderr)
    return results


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
        prog="python -m workbench.engine", description="Notebooks ausführen und als HTML exportieren"
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
