"""Warm kernels for fast batches: one kernel per worker process, reset between jobs (``WarmKernel``), a pool of
such workers (``KernelPool``) and ``run_batch``. Re-exported by ``workbench.build.engine``, which describes the design.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.build._jobs import (
    DEFAULT_KERNEL,
    Job,
    Result,
    _check_kernel,
    _fail,
    _fast_imports,
    _write_outputs,
    find_error,
    kernel_config,
    kernel_env,
    load_template,
    make_exporter,
    one_blas_thread,
    parameterize,
)

if TYPE_CHECKING:  # nbformat/nbclient/nbconvert/papermill are imported lazily (see _fast_imports)
    from nbformat import NotebookNode


_KERNEL_SETUP = r"""
def _wb_engine_setup(cwd, preload):
    import os, sys, types, warnings
    st = types.ModuleType("_workbench_engine_state")
    sys.modules[st.__name__] = st
    os.chdir(cwd)
    # the template's own imports first (they pull in numpy/pandas/matplotlib), while the worker process
    # prepares its HTML exporter; a module that fails to import fails in the job's cell, as in papermill
    for name, names in (*preload, ("numpy", ()), ("pandas", ()), ("matplotlib", ()), ("matplotlib.pyplot", ())):
        try:
            __import__(name, fromlist=names)
        except Exception:
            pass
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


_wb_engine_setup({cwd!r}, {preload!r})
del _wb_engine_setup
"""


_KERNEL_RESET = '__import__("sys").modules["_workbench_engine_state"].reset()'


def template_imports(nb) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Absolute top-level imports of the template's code cells: ``((module, (name, ...)), ...)``.

    A warm kernel imports them once while it starts (``__import__(module, fromlist=names)``), so the first job
    does not pay for them. Only statements at the top level of a cell count (not inside functions or ``if``);
    cells that are not plain Python (magics) and relative imports are skipped.
    """
    import ast

    found: dict[str, set[str]] = {}
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    found.setdefault(alias.name, set())
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = {a.name for a in node.names if a.name != "*"}
                found.setdefault(node.module, set()).update(names)
    return tuple((module, tuple(sorted(names))) for module, names in found.items())


def _warm_exporter(exporter) -> None:
    """Export a one-cell notebook once, so nbconvert compiles its templates before the first job."""
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("Warmlauf")])
    nb.cells[0]["id"] = "warm"
    exporter.from_notebook_node(nb, resources={"metadata": {"name": "Warmlauf"}})


class WarmKernel:
    """One warm kernel that runs jobs of one template one after another (used inside each pool worker).

    ``run(job)`` resets the kernel state, executes the parameterised notebook cell by cell with nbclient
    (papermill's client logic: stop at the first error), writes the executed notebook and, on success, the
    HTML. A dead or hung kernel is restarted and set up again; the job is reported as failed.

    Start-up: the kernel process boots while nbconvert's exporter is created; then the kernel runs its set-up
    (the template's imports, :func:`template_imports`, and the state snapshot) while the exporter compiles its
    templates. With ``block=False`` the constructor returns without waiting for that set-up, so the caller can
    work (e.g. warm caches) while the kernel imports; the first :meth:`run` waits for it (:meth:`wait_ready`).
    """

    def __init__(
        self,
        notebook: str | os.PathLike,
        kernel_name: str = DEFAULT_KERNEL,
        cwd: str | os.PathLike | None = None,
        timeout: int | None = None,
        *,
        block: bool = True,
        template: NotebookNode | None = None,
    ):
        self.notebook = Path(notebook)
        # the pool's workers get the template read by the pool (so they never import papermill, see run)
        self.template = template if template is not None else load_template(self.notebook)
        self.kernel_name = kernel_name
        self.cwd = str(Path(cwd).resolve() if cwd else self.notebook.resolve().parent)
        self.timeout = timeout
        self.preload = template_imports(self.template)
        self.exporter = None
        self.client = None
        self.language_info: dict[str, Any] | None = None
        self._setup_msg: str | None = None
        self._start()
        if block:
            self.wait_ready()

    def _start(self) -> None:
        import nbformat
        from nbclient import NotebookClient

        client = NotebookClient(
            nbformat.v4.new_notebook(),
            kernel_name=self.kernel_name,
            timeout=self.timeout,
            record_timing=False,
            resources={"metadata": {"path": self.cwd}},
            config=kernel_config(),
        )
        client.km = client.create_kernel_manager()
        # The kernel's own stderr only carries ipykernel start-up noise; cell output comes over iopub.
        client.start_new_kernel(stderr=subprocess.DEVNULL, env=kernel_env())
        warm = self.exporter is None
        if warm:  # import nbconvert while the kernel process boots
            self.exporter = make_exporter()
        client.start_new_kernel_client()
        self.client = client
        reply = client.wait_for_reply(client.kc.kernel_info())
        self.language_info = reply["content"]["language_info"]
        code = _KERNEL_SETUP.replace("{cwd!r}", repr(self.cwd)).replace("{preload!r}", repr(self.preload))
        # not waited for here: the kernel imports while this process compiles the exporter's templates
        self._setup_msg = client.kc.execute(code, silent=True, store_history=False)
        if warm:
            _warm_exporter(self.exporter)

    def wait_ready(self) -> None:
        """Wait until the kernel has finished its set-up; raise if the set-up failed or the kernel died."""
        msg_id, self._setup_msg = self._setup_msg, None
        if msg_id is None:
            return
        reply = self.client.wait_for_reply(msg_id)
        content = (reply or {}).get("content", {})
        if content.get("status") != "ok":
            raise RuntimeError(
                f"Einrichtung des Kernels fehlgeschlagen: {content.get('ename', '')}: {content.get('evalue', '')}"
            )

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
        self._setup_msg = None
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

    def run(self, job: Job, nb: NotebookNode | None = None) -> Result:
        """Execute one job on the warm kernel; never raises for notebook errors (see :class:`Result`).

        ``nb`` is the job's parameterised notebook when the caller made it (:func:`parameterize`; the pool does,
        so its workers need no papermill), else it is made here."""
        from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

        start = time.perf_counter()
        result = Result(dict(job.parameters), Path(job.html_path), job.executed_path)
        if nb is None:
            nb = parameterize(self.template, job.parameters, self.kernel_name)
        crashed = None
        try:
            if self.client is None:
                self._start()
            self.wait_ready()
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
        result.finished, result.worker = time.time(), os.getpid()
        return result


_WORKER: WarmKernel | None = None


def _plain(nb: NotebookNode) -> dict:
    """``nb`` as plain dicts and lists for a pool worker: unpickling a NotebookNode would import nbformat (and
    jsonschema's IRI grammar, ~3 s CPU) before the worker's :func:`_fast_imports` runs."""
    return json.loads(json.dumps(nb))


def _worker_init(
    notebook: str, kernel_name: str, cwd: str | None, timeout: int | None, template: dict
) -> None:
    global _WORKER
    from multiprocessing import util

    _fast_imports()
    import nbformat

    _WORKER = WarmKernel(notebook, kernel_name, cwd, timeout, template=nbformat.from_dict(template))
    util.Finalize(None, _WORKER.close, exitpriority=10)


def _worker_run(job: Job, nb: dict) -> Result:
    import nbformat

    assert _WORKER is not None
    return _WORKER.run(job, nbformat.from_dict(nb))


def _worker_started() -> int:
    """No-op task that makes the pool start a worker process now (its id is returned)."""
    return os.getpid()


class KernelPool:
    """``workers`` processes, each with one warm kernel for ``notebook``; use as a context manager.

    With ``workers == 1`` the kernel is driven from the calling process (no extra process). Entering the pool
    starts every worker and its kernel at once (they boot and import concurrently); the caller may work in the
    meantime (:func:`run_batch`'s ``warmup``) and :meth:`run` waits for them.
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
        # read once here (fails early with a clear message); workers get it, and every job's parameterised
        # notebook, from this process: a worker then never imports papermill (with pyarrow, ~0,6 s CPU) nor
        # validates the template again
        self.template = load_template(self.notebook)
        _check_kernel(kernel_name)
        self.workers = max(1, int(workers or os.cpu_count() or 1))
        self.kernel_name = kernel_name
        self.args = (str(self.notebook), kernel_name, str(cwd) if cwd else None, timeout)
        self._local: WarmKernel | None = None
        self._executor: ProcessPoolExecutor | None = None
        self._started: list = []

    def __enter__(self) -> KernelPool:
        if self.workers == 1:
            self._local = WarmKernel(*self.args, block=False, template=self.template)
        else:
            ctx = multiprocessing.get_context("spawn")
            self._executor = ProcessPoolExecutor(
                self.workers,
                mp_context=ctx,
                initializer=_worker_init,
                initargs=(*self.args, _plain(self.template)),
            )
            # ProcessPoolExecutor spawns a process per submitted task (up to ``workers``): one no-op task
            # each starts all workers now instead of when the jobs are submitted
            self._started = [self._executor.submit(_worker_started) for _ in range(self.workers)]
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

    def worker_ids(self) -> list[int]:
        """Process ids of the started worker processes (the calling process's with ``workers == 1``)."""
        if self._local is not None:
            return [os.getpid()]
        if self._executor is None:
            return []
        return sorted(p.pid for p in getattr(self._executor, "_processes", {}).values() if p.pid)

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
                futures = {}
                for i, job in enumerate(jobs):
                    try:
                        nb = _plain(parameterize(self.template, job.parameters, self.kernel_name))
                    except Exception as exc:  # e.g. a parameter papermill cannot write: this job fails
                        results[i] = self._job_failed(job, exc)
                        bar.update(1)
                        continue
                    futures[self._executor.submit(_worker_run, job, nb)] = i
                for future in as_completed(futures):
                    i = futures[future]
                    try:
                        results[i] = future.result()
                    except Exception as exc:  # worker process died: report, keep going
                        results[i] = self._job_failed(jobs[i], exc)
                    bar.update(1)
        return [r for r in results if r is not None]

    def _job_failed(self, job: Job, exc: BaseException) -> Result:
        """The failed result of a job that never ran to a cell (parameters not injected, worker died)."""
        result = Result(dict(job.parameters), Path(job.html_path), job.executed_path)
        return _fail(result, self.notebook, None, None, type(exc).__name__, str(exc))


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
    summarize: bool = True,
    warmup: Callable[[], object] | None = None,
) -> list[Result]:
    """Run ``jobs`` of one template on warm kernels (``workers`` processes, default ``os.cpu_count()``).

    Same HTML as :func:`run_papermill` per job. Failing jobs are reported in their :class:`Result` and the
    others still run. With ``progress`` a tqdm bar is shown on stderr and, unless ``summarize`` is False (the
    caller prints its own), the German summary.

    ``warmup`` is called in this process after the workers and their kernels were started and before the first
    job is handed out: work the jobs depend on (e.g. caches every job reads, computed once here instead of once
    per kernel) runs while the kernels boot and import. An exception in ``warmup`` stops the pool and propagates.
    Kernels and this process use one BLAS thread each during the batch (:func:`~workbench.build._jobs.kernel_env`).
    """
    jobs = list(jobs)
    if not jobs:
        return []
    workers = min(max(1, int(workers or os.cpu_count() or 1)), len(jobs))
    with one_blas_thread(), KernelPool(notebook, workers, kernel_name, cwd, timeout) as pool:
        if warmup is not None:
            warmup()
        results = pool.run(jobs, progress=progress)
    if progress and summarize:
        print(summary(results), file=sys.stderr)
    return results
