"""Dask distributed backend of the batch engine: chapters and profiles of one or many reports as tasks on a cluster.

The local engine (:mod:`workbench.build.engine`) runs the profiles of one report on a pool of warm kernels on
this machine. This module runs the same work as tasks of a `Dask distributed <https://distributed.dask.org>`_
cluster, so many reports (all municipalities of a Kreis, a Land's cities) and many areas can use many machines:

* :func:`open_client` starts a ``distributed.LocalCluster`` on this machine (``workers`` processes with one
  thread each) or connects to an existing scheduler (``scheduler="tcp://host:8786"``), and registers
  :class:`WarmKernelPlugin` on every worker. The plugin keeps one :class:`~workbench.build.engine.WarmKernel`
  per worker and template across tasks (kernel start and imports are paid once per worker, as in the local
  pool) and shuts the kernels down when the worker closes.
* :func:`build_reports` builds one or several report configurations on one cluster. Per report a *prepare*
  task imports the data and checks the configuration when that is due (the up-to-date rules of
  :func:`workbench.build.pipeline.plan`, the same as ``make report``) and computes the shared profile caches;
  then every due chapter (:func:`workbench.build.report.build_chapter`, papermill in a fresh kernel as
  locally) and every profile (warm kernel) is one task; a *finish* task writes the profiles' overview page and
  the report's index page and runs the confidentiality audit (a report with a finding loses its index page, as
  with ``make report``). A report whose plan is empty is not touched ("unverändert").
* Every task is retried once (``Client.submit(..., retries=1)``); a task that fails twice is listed with its
  cause (area or chapter, notebook, failing cell) while all other tasks finish. Progress is printed in German
  ("Profile 12/40").

Outputs are the local engine's bytes: profiles run through :meth:`WarmKernel.run` with the same jobs (parameters,
paths, titles) as :func:`workbench.build.profiles.build_profiles`, chapters through the same
``build_chapter``; both normalise and export with the engine's shared code and write every file with
:func:`~workbench.build.engine.write_atomic`. Workers read the inputs from the folders named in the report
configuration and write into its report folder; on a cluster of several machines these must be paths every
worker reaches (a shared folder mounted at the same path), and every worker needs the project at the same path
(its ``WORKBENCH_ROOT``) with the ``workbench`` package and kernel installed.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from distributed import Client, LocalCluster, WorkerPlugin, as_completed, get_worker

from workbench.build import engine, pages, pipeline
from workbench.errors import ConfigError, WorkbenchError
from workbench.render import fmt
from workbench.settings import activate, load_report_config, notebooks_dir, project_root, relative_to_root

PLUGIN_NAME = "workbench-warm-kernels"
"""Name under which :class:`WarmKernelPlugin` is registered on the workers."""

RETRIES = 1
"""How often a failed task is run again before it is reported as failed."""

STATE_FILE = ".build-all.json"
"""Build times and audit results of the last ``build-all`` run (next to the overview page)."""


# ------------------------------------------------------------------------------------------------ workers
class TaskFailed(Exception):
    """A task's own failure (notebook error, wrong configuration): ``message`` in German, ``result`` if any.

    Raised inside the task so that Dask retries it; picklable (``args`` are the constructor arguments).
    """

    def __init__(self, message: str, result: engine.Result | None = None):
        super().__init__(message, result)
        self.message = message
        self.result = result

    def __str__(self) -> str:
        return self.message


class WarmKernelPlugin(WorkerPlugin):
    """Worker plugin that keeps the warm kernels of one worker across tasks and closes them on teardown.

    One :class:`~workbench.build.engine.WarmKernel` per (template, kernel name, working directory, timeout);
    profiles of different reports share it (the report configuration is a notebook parameter). ``peak_rss`` is
    the largest resident memory (bytes) of the worker process plus its kernels seen after a task.
    """

    name = PLUGIN_NAME
    idempotent = True  # registering again (a second client on the same cluster) keeps the running kernels

    def __init__(self) -> None:
        self.kernels: dict[tuple, engine.WarmKernel] = {}
        self.peak_rss = 0
        self.tasks = 0
        self.worker = None

    def setup(self, worker) -> None:
        """Called by Dask when the plugin is registered on ``worker`` (or the worker starts)."""
        self.worker = worker
        if (
            "jsonschema" not in sys.modules
        ):  # as the engine's pool workers: skip jsonschema's unused IRI grammar
            sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

    def kernel(
        self, notebook: str, kernel_name: str, cwd: str | None, timeout: int | None
    ) -> engine.WarmKernel:
        """The worker's warm kernel for ``notebook`` (started on first use)."""
        key = (notebook, kernel_name, cwd, timeout)
        if key not in self.kernels:
            self.kernels[key] = engine.WarmKernel(notebook, kernel_name, cwd, timeout)
        return self.kernels[key]

    def sample_memory(self) -> int:
        """Record the resident memory of this worker process and its children (kernels); returns it."""
        import psutil

        proc = psutil.Process()
        rss = proc.memory_info().rss
        for child in proc.children(recursive=True):
            try:
                rss += child.memory_info().rss
            except psutil.Error:
                pass
        self.tasks += 1
        self.peak_rss = max(self.peak_rss, rss)
        return rss

    def close_kernels(self) -> None:
        """Shut down every kernel of this worker (idempotent)."""
        kernels, self.kernels = list(self.kernels.values()), {}
        for k in kernels:
            k.close()

    async def teardown(self, worker) -> None:
        """Close the kernels in the worker's task thread (where they were started), at most 30 s."""
        if not self.kernels:
            return
        executor = worker.executors.get("default")
        try:
            if executor is None:
                raise RuntimeError("no executor")
            await asyncio.wait_for(asyncio.wrap_future(executor.submit(self.close_kernels)), 30)
        except Exception:
            self.close_kernels()


def _plugin() -> WarmKernelPlugin:
    worker = get_worker()
    plugin = worker.plugins.get(PLUGIN_NAME)
    if plugin is None:  # a worker that joined without the plugin (e.g. added later to the cluster)
        plugin = WarmKernelPlugin()
        plugin.setup(worker)
        worker.plugins[PLUGIN_NAME] = plugin
    return plugin


def run_job_task(
    notebook: str, job: engine.Job, kernel_name: str = engine.DEFAULT_KERNEL, cwd: str | None = None,
    timeout: int | None = None,
) -> engine.Result:  # fmt: skip
    """Task: run one job of ``notebook`` on this worker's warm kernel; raise :class:`TaskFailed` on failure.

    Parameters
    ----------
    notebook : str
        Template notebook (path every worker reaches).
    job : Job
        Parameters, output paths and title, as for :func:`workbench.build.engine.run_batch`.
    kernel_name, cwd, timeout
        As for :class:`~workbench.build.engine.WarmKernel`.

    Returns
    -------
    Result
        The job's result (``ok`` is True); a failed job raises :class:`TaskFailed` carrying its result, so
        that Dask retries it.
    """
    plugin = _plugin()
    result = plugin.kernel(notebook, kernel_name, cwd, timeout).run(job)
    plugin.sample_memory()
    if not result.ok:
        raise TaskFailed(result.error or "unbekannter Fehler", result)
    return result


def chapter_task(name: str, config: str) -> float:
    """Task: build chapter ``name`` of the report ``config`` (as ``workbench chapter``); returns seconds.

    Raises
    ------
    TaskFailed
        With the German message of :func:`workbench.build.report.build_chapter` (failing cell, executed
        notebook to check).
    """
    from workbench.build.report import build_chapter

    start = time.perf_counter()
    try:
        build_chapter(name, config)
    except WorkbenchError as exc:
        raise TaskFailed(str(exc)) from None
    _plugin().sample_memory()
    return time.perf_counter() - start


def worker_memory(dask_worker=None) -> dict[str, int]:
    """``{"peak_rss": bytes, "tasks": n, "kernels": [template names]}`` of one worker (for ``Client.run``)."""
    plugin = (dask_worker or get_worker()).plugins.get(PLUGIN_NAME)
    if plugin is None:
        return {"peak_rss": 0, "tasks": 0, "kernels": []}
    kernels = sorted(Path(key[0]).name for key in plugin.kernels)
    return {"peak_rss": plugin.peak_rss, "tasks": plugin.tasks, "kernels": kernels}


# ------------------------------------------------------------------------------------------------ cluster
@contextmanager
def open_client(
    workers: int | None = None, scheduler: str | None = None, quiet: bool = True
) -> Iterator[Client]:
    """A Dask client with :class:`WarmKernelPlugin` on every worker; closed (with a local cluster) on exit.

    Parameters
    ----------
    workers : int, optional
        Worker processes of the local cluster (one thread each; default: number of CPUs). Ignored with
        ``scheduler``.
    scheduler : str, optional
        Address of a running scheduler (``tcp://host:8786``, started with ``dask scheduler``; workers with
        ``dask worker tcp://host:8786 --nthreads 1``). Without it a ``LocalCluster`` is started.
    quiet : bool
        Only errors of Dask's own logging are shown.

    Yields
    ------
    distributed.Client
    """
    if workers is not None and int(workers) < 1:
        raise ConfigError("--workers muss mindestens 1 sein", where="--workers")
    cluster = None
    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except OSError as exc:
            raise ConfigError(
                f"Dask-Scheduler {scheduler} nicht erreichbar ({exc})",
                where="--scheduler",
                hint="Adresse prüfen (z. B. tcp://rechner:8786) und ob 'dask scheduler' dort läuft",
            ) from None
    else:
        n = max(1, int(workers or os.cpu_count() or 1))
        cluster = LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,  # no web dashboard (would need bokeh and a port)
            memory_limit=0,  # the kernels' memory is outside the worker process: no pausing or restarts by size
            silence_logs=logging.CRITICAL if quiet else logging.WARNING,
        )
        client = Client(cluster)
    try:
        client.register_plugin(WarmKernelPlugin(), name=PLUGIN_NAME)
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def run_batch(
    client: Client,
    notebook: str | os.PathLike,
    jobs: Sequence[engine.Job],
    kernel_name: str = engine.DEFAULT_KERNEL,
    cwd: str | os.PathLike | None = None,
    timeout: int | None = None,
    progress: bool = False,
    label: str = "Profile",
) -> list[engine.Result]:
    """Run ``jobs`` of one template as Dask tasks on warm kernels; results in the order of ``jobs``.

    The Dask counterpart of :func:`workbench.build.engine.run_batch` (same HTML per job). Each task is retried
    once; a job that fails twice is returned with ``ok=False`` and its German ``error`` while the others
    finish.

    Parameters
    ----------
    client : distributed.Client
        From :func:`open_client`.
    notebook : path
        Template notebook (a path every worker reaches).
    jobs : sequence of Job
        Parameters and output paths.
    kernel_name, cwd, timeout
        As for :class:`~workbench.build.engine.WarmKernel` (``cwd`` default: the notebook's folder).
    progress : bool
        German progress lines ("Profile 12/40") on stderr.
    label : str
        Word of the progress lines.

    Returns
    -------
    list of Result
    """
    jobs = list(jobs)
    nb = str(Path(notebook).resolve())
    engine.load_template(nb)  # a missing or broken template fails here, with a clear message
    workdir = str(Path(cwd).resolve()) if cwd else None
    futures = [
        client.submit(run_job_task, nb, job, kernel_name, workdir, timeout, pure=False, retries=RETRIES)
        for job in jobs
    ]
    index = {f.key: i for i, f in enumerate(futures)}
    results: list[engine.Result | None] = [None] * len(jobs)
    show = _Progress(progress)
    for done, fut in enumerate(as_completed(futures), start=1):
        i = index[fut.key]
        if fut.status == "finished":
            results[i] = fut.result()
        else:
            reason, result = _reason(fut)
            if result is None:
                job = jobs[i]
                result = engine.Result(dict(job.parameters), job.html_path, job.executed_path, ok=False)
                result.error = reason
            results[i] = result
            show(f"fehlgeschlagen: {reason.splitlines()[0][:160]}", force=True)
        show(f"{label} {done}/{len(jobs)}", force=done == len(jobs))
    return [r for r in results if r is not None]


# ------------------------------------------------------------------------------------------------ reports
@dataclass
class Steps(pipeline.Plan):
    """What one report needs: the steps of :class:`workbench.build.pipeline.Plan` plus profile areas and audit."""

    audit: bool = True
    areas: str | Sequence[str] | None = None

    @classmethod
    def from_plan(cls, plan: pipeline.Plan) -> Steps:
        """The steps of a pipeline plan (audit whenever anything is built)."""
        return cls(
            data=plan.data,
            check=plan.check,
            chapters=list(plan.chapters),
            profiles=plan.profiles,
            index=plan.index,
            audit=not plan.nothing,
        )


@dataclass
class Prepared:
    """Output of the prepare task: messages, chapters and profile jobs that are due."""

    messages: list[str]
    chapters: list[str]
    jobs: list[engine.Job]
    profiles: bool


@dataclass
class ReportOutcome:
    """One report of a run: status ``erstellt`` / ``unverändert`` / ``fehlgeschlagen`` and what happened.

    ``errors`` are German lines (area or chapter, notebook, cell, error); ``findings`` the number of audit
    findings (``None`` = not audited in this run); ``seconds`` the build time of this run.
    """

    config: Path
    name: str
    index_html: Path
    status: str = "erstellt"
    seconds: float = 0.0
    findings: int | None = None
    audit: str = ""
    errors: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    profiles: list[engine.Result] = field(default_factory=list)
    chapters: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status != "fehlgeschlagen"


def prepare_task(config: str, steps: Steps) -> Prepared:
    """Task: import data and check the configuration when due, warm the profile caches, list the due jobs.

    The same steps as ``workbench data``, ``workbench check --quiet`` and the first half of
    :func:`workbench.build.profiles.build_profiles` (the profile jobs are identical to the local ones).

    Raises
    ------
    TaskFailed
        Bad data or configuration, with the German message naming file, place and remedy.
    """
    from workbench.build import availability
    from workbench.build import profiles as profile_pages
    from workbench.build.report import ensure_demo_data
    from workbench.io.importer import import_notes, import_report, parse_sources

    messages: list[str] = []
    try:
        cfg = activate(load_report_config(config))
        if steps.data:
            sources = parse_sources(cfg.extra.get("sources"), config=cfg.source)
            wants_demo = "demo" in cfg.extra and cfg.extra["demo"] is not False
            if (wants_demo or not (sources and sources.base_complete)) and ensure_demo_data(config):
                messages.append(f"Demo-Stadt in {relative_to_root(cfg.paths.raw)} erzeugt")
            result = import_report(cfg)
            pipeline.record_raw_names(cfg)
            messages.append(
                f"Import fertig: {len(result.files)} Dateien → {relative_to_root(cfg.paths.processed)}"
            )
            messages += [f"Hinweis: {w}" for w in [*result.warnings, *import_notes(result)]]
        if steps.check:
            problems = availability.config_problems(cfg)
            errors = [p for p in problems if p.error]
            if errors:
                raise TaskFailed("Konfigurationsfehler:\n" + "\n".join(f"  {p.line()}" for p in errors))
            (cfg.paths.processed / pipeline.CHECKED).touch()
        jobs: list[engine.Job] = []
        if steps.profiles:
            status = availability.chapter_status(cfg, "profil", published=True)
            if not status.ok:  # the finish task writes the page that says what is missing
                messages.append(f"Sozialraumprofile nicht erstellt: {status.reason}")
            else:
                ch = profile_pages.warm_caches(profile_pages.config_parameter(cfg))
                jobs = profile_pages.profile_jobs(ch, steps.areas)
    except WorkbenchError as exc:
        raise TaskFailed(str(exc)) from None
    _plugin().sample_memory()
    return Prepared(messages, list(steps.chapters), jobs, steps.profiles)


def finish_task(config: str, profiles: bool, index: bool, audit: bool) -> tuple[int | None, list[str]]:
    """Task: write the profiles' overview page, the report's index page, run the audit.

    Returns
    -------
    (findings, lines)
        Number of audit findings (``None`` without audit) and the findings as German lines. With findings the
        index page is removed again (as ``make report`` does).
    """
    from workbench.build import availability
    from workbench.build import profiles as profile_pages
    from workbench.build.report import build_index
    from workbench.chapters.context import Chapter
    from workbench.confidentiality.audit import audit_path
    from workbench.io.raw import atomic_write_text

    try:
        cfg = activate(load_report_config(config))
        if profiles:
            out = cfg.paths.profiles / "index.html"
            status = availability.chapter_status(cfg, "profil", published=True)
            if status.ok:
                ch = Chapter(profile_pages.config_parameter(cfg))
                atomic_write_text(out, profile_pages.overview_html(cfg, ch.ds, ch.year))
            else:
                atomic_write_text(out, profile_pages.left_out_html(cfg, status.reason))
                for page in cfg.paths.profiles.glob("*.html"):
                    if page != out:
                        page.unlink()
        if index:
            build_index(config)
        if not audit:
            return None, []
        findings = audit_path(cfg.paths.reports)
    except WorkbenchError as exc:
        raise TaskFailed(str(exc)) from None
    if findings:
        cfg.paths.index_html.unlink(missing_ok=True)
    return len(findings), [str(f) for f in findings]


class _Progress:
    """German progress lines ("Musterstadt: Profile 12/40") on stderr, at most every ``every`` seconds."""

    def __init__(self, enabled: bool, every: float = 2.0):
        self.enabled, self.every, self.last = enabled, every, 0.0

    def __call__(self, text: str, force: bool = False) -> None:
        now = time.monotonic()
        if self.enabled and (force or now - self.last >= self.every):
            print(text, file=sys.stderr, flush=True)
            self.last = now


@dataclass
class _Run:
    """Book-keeping of one report during :func:`build_reports`."""

    outcome: ReportOutcome
    config: str
    steps: Steps
    start: float = 0.0
    pending: int = 0
    total_profiles: int = 0
    done_profiles: int = 0
    total_chapters: int = 0
    done_chapters: int = 0
    failed: bool = False


def _reason(future) -> tuple[str, engine.Result | None]:
    """German cause of a failed future (our own TaskFailed, or a crashed worker)."""
    try:
        exc = future.exception()
    except Exception as err:  # cancelled
        return f"{type(err).__name__}: {err}", None
    if isinstance(exc, TaskFailed):
        return exc.message, exc.result
    name = type(exc).__name__
    if name == "KilledWorker":
        return f"Worker abgestürzt, Aufgabe abgebrochen ({exc})", None
    return f"{name}: {exc}", None


def build_reports(
    configs: Sequence[str | os.PathLike],
    client: Client,
    steps: Callable[[Any], Steps] | None = None,
    progress: bool = True,
    timeout: int | None = None,
) -> list[ReportOutcome]:
    """Build several report configurations on one Dask cluster; returns one outcome per config (same order).

    Parameters
    ----------
    configs : sequence of path
        Report configurations (``report.yaml``); each writes only into its own folders.
    client : distributed.Client
        From :func:`open_client`.
    steps : callable, optional
        ``steps(cfg) -> Steps``; default: what :func:`workbench.build.pipeline.plan` says is due (a report with
        nothing due is "unverändert" and not touched).
    progress : bool
        German progress lines on stderr.
    timeout : int, optional
        Seconds per profile cell (as ``--timeout`` of the engine).

    Returns
    -------
    list of ReportOutcome
    """
    from workbench.build import profiles as profile_pages

    steps = steps or (lambda cfg: Steps.from_plan(pipeline.plan(cfg)))
    notebook = str(notebooks_dir() / profile_pages.TEMPLATE)
    cwd = str(project_root())
    show = _Progress(progress)
    runs: list[_Run] = []
    ac = as_completed([], with_results=False)
    what: dict[str, tuple[_Run, str, Any]] = {}  # future key -> (run, kind, payload)
    for config in configs:
        path = Path(config).resolve()
        cfg = load_report_config(path)
        run = _Run(ReportOutcome(path, cfg.city, cfg.paths.index_html), str(path), steps(cfg))
        runs.append(run)
        if run.steps.nothing:
            run.outcome.status = "unverändert"
            continue
        if run.steps.chapters or run.steps.profiles:
            engine.ensure_kernel(engine.DEFAULT_KERNEL)
        run.start = time.perf_counter()
        fut = client.submit(prepare_task, run.config, run.steps, pure=False, retries=RETRIES, priority=10)
        what[fut.key] = (run, "prepare", None)
        ac.add(fut)

    def finish(run: _Run) -> None:
        # as with make report: after a failed chapter or profile no index page is written (the failed step stays
        # due for the next run); the profiles' overview is written as locally, and what is published is audited
        fut = client.submit(
            finish_task, run.config, run.steps.profiles, run.steps.index and not run.failed, run.steps.audit,
            pure=False, retries=RETRIES, priority=20,
        )  # fmt: skip
        what[fut.key] = (run, "finish", None)
        ac.add(fut)

    for fut in ac:
        run, kind, payload = what.pop(fut.key)
        name = run.outcome.name
        if fut.status != "finished":
            reason, result = _reason(fut)
            if kind == "prepare":
                run.outcome.errors.append(f"Vorbereitung: {reason}")
                run.failed = True
                run.outcome.seconds = time.perf_counter() - run.start
            elif kind == "chapter":
                run.outcome.errors.append(f"Kapitel {payload}: {reason}")
                run.failed = True
                run.done_chapters += 1
            elif kind == "profile":
                job: engine.Job = payload
                if result is None:
                    result = engine.Result(dict(job.parameters), job.html_path, job.executed_path, ok=False)
                    result.error, result.ename = reason, None
                run.outcome.profiles.append(result)
                run.failed = True
                run.done_profiles += 1
            else:
                run.outcome.errors.append(f"Abschluss: {reason}")
                run.failed = True
                run.outcome.seconds = time.perf_counter() - run.start
            show(f"{name}: fehlgeschlagen – {reason.splitlines()[0][:160]}", force=True)
        elif kind == "prepare":
            prepared: Prepared = fut.result()
            run.outcome.messages += prepared.messages
            for m in prepared.messages:
                show(f"{name}: {m}", force=True)
            run.total_chapters = len(prepared.chapters)
            run.total_profiles = len(prepared.jobs)
            for chapter in prepared.chapters:
                f = client.submit(
                    chapter_task, chapter, run.config, pure=False, retries=RETRIES, priority=5
                )  # chapters first: they are the long tasks
                what[f.key] = (run, "chapter", chapter)
                ac.add(f)
            for job in prepared.jobs:
                f = client.submit(
                    run_job_task, notebook, job, engine.DEFAULT_KERNEL, cwd, timeout, pure=False,
                    retries=RETRIES,
                )  # fmt: skip
                what[f.key] = (run, "profile", job)
                ac.add(f)
            run.pending = len(prepared.chapters) + len(prepared.jobs)
            if run.pending == 0:
                finish(run)
            continue
        elif kind == "chapter":
            run.done_chapters += 1
            run.outcome.chapters.append(payload)
            show(f"{name}: Kapitel {run.done_chapters}/{run.total_chapters} ({payload})", force=True)
        elif kind == "profile":
            run.outcome.profiles.append(fut.result())
            run.done_profiles += 1
            show(
                f"{name}: Profile {run.done_profiles}/{run.total_profiles}",
                force=run.done_profiles == run.total_profiles,
            )
        else:  # finish
            findings, lines = fut.result()
            run.outcome.findings = findings
            run.outcome.seconds = time.perf_counter() - run.start
            if findings:
                run.outcome.errors += lines
                run.failed = True
            continue
        if kind in ("chapter", "profile"):
            run.pending -= 1
            if run.pending == 0:
                finish(run)
    for run in runs:
        o = run.outcome
        if o.status == "unverändert":
            continue
        if run.failed:
            o.status = "fehlgeschlagen"
        o.profiles.sort(key=lambda r: str(r.parameters.get("area_id", "")))
        if o.findings is None:
            o.audit = "nicht geprüft"
        elif o.findings == 0:
            o.audit = "ohne Befund"
        else:
            o.audit = f"{fmt.number(o.findings)} Befund(e)"
    return [r.outcome for r in runs]


# ------------------------------------------------------------------------------------------ single report
def build_profiles(
    config_path: str | os.PathLike | None = None,
    workers: int | None = None,
    areas: str | Sequence[str] | None = None,
    scheduler: str | None = None,
    client: Client | None = None,
) -> int:
    """``workbench profiles --backend dask``: the profiles of one report as Dask tasks; returns the exit code.

    Same pages as :func:`workbench.build.profiles.build_profiles` (profiles and overview); 0 when every profile
    was built, 1 when one failed (after one retry; the others are still written).
    """
    config = (
        str(Path(config_path).resolve()) if config_path else str(project_root() / "config" / "report.yaml")
    )

    def only_profiles(cfg) -> Steps:
        return Steps(profiles=True, audit=False, areas=areas)

    with _maybe_client(client, workers, scheduler) as c:
        (outcome,) = build_reports([config], c, steps=only_profiles)
    _print_outcome(outcome, profiles_only=True)
    return 0 if outcome.ok else 1


def build_report(
    config_path: str | os.PathLike | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    client: Client | None = None,
) -> int:
    """``workbench report --backend dask``: the due steps of one report, chapters and profiles as Dask tasks.

    Returns the exit code (0 built or nothing to do, 1 a step failed or the audit found a disclosive cell).
    """
    config = (
        str(Path(config_path).resolve()) if config_path else str(project_root() / "config" / "report.yaml")
    )
    cfg = load_report_config(config)
    if pipeline.plan(cfg).nothing:
        print(f"Bericht ist aktuell: {relative_to_root(cfg.paths.index_html)} (nichts zu tun)")
        return 0
    with _maybe_client(client, workers, scheduler) as c:
        (outcome,) = build_reports([config], c)
    _print_outcome(outcome)
    return 0 if outcome.ok else 1


@contextmanager
def _maybe_client(client: Client | None, workers: int | None, scheduler: str | None) -> Iterator[Client]:
    if client is not None:
        yield client
    else:
        with open_client(workers, scheduler) as c:
            yield c


def _print_outcome(o: ReportOutcome, profiles_only: bool = False) -> None:
    from workbench.build import profiles as profile_pages

    if o.profiles or profiles_only:
        print(profile_pages.failure_summary(o.profiles))
    for line in o.errors:
        print(f"Fehler: {line}", file=sys.stderr)
    if not profiles_only:
        if o.findings is not None:
            print(
                "Geheimhaltungsprüfung: keine Befunde"
                if o.findings == 0
                else f"Geheimhaltungsprüfung: {fmt.number(o.findings)} Befund(e) – Übersicht entfernt"
            )
        if o.index_html.exists():
            print(f"Übersicht → {relative_to_root(o.index_html)}")
    else:
        cfg = load_report_config(o.config)
        print(f"Übersicht → {relative_to_root(cfg.paths.profiles / 'index.html')}")
    sys.stdout.flush()


# --------------------------------------------------------------------------------------------- build-all
def default_overview() -> Path:
    """Default overview page of ``build-all``: ``reports_alle/index.html`` in the project folder."""
    return project_root() / "reports_alle" / "index.html"


OVERVIEW_CSS = """
body{font-family:"Source Sans Pro","Segoe UI",Arial,sans-serif;max-width:66rem;margin:2rem auto;padding:0 1rem;
color:#1f2933;line-height:1.45}
h1{font-size:1.8rem;margin-bottom:.2rem} .sub{color:#52606d;margin-top:0}
table{border-collapse:collapse;width:100%;font-size:.95rem} th,td{padding:.35rem .6rem;border-bottom:1px solid #d9e2ec;
text-align:left;vertical-align:top} th{background:#f5f7fa} td.num{text-align:right;white-space:nowrap}
.erstellt{color:#1e6b34;font-weight:600} .unveraendert{color:#52606d;font-weight:600}
.fehlgeschlagen{color:#a61b1b;font-weight:600} .cause{font-size:.85rem;color:#52606d;white-space:pre-line}
a{color:#1d4e89}
"""


def _seconds(value: float | None) -> str:
    if value is None:
        return "–"
    if value < 60:
        return f"{fmt.number(value, 1)} s"
    minutes, secs = divmod(round(value), 60)
    return f"{minutes} min {secs:02d} s"


def overview_page(rows: Sequence[dict[str, Any]], out: Path) -> str:
    """The German overview page of ``build-all``: one row per report (self-contained, ``lang="de"``).

    ``rows`` are dicts with ``name``, ``config``, ``status``, ``seconds``, ``audit``, ``cause`` and ``index``
    (path of the report's index page; linked relative to ``out`` when it exists).
    """
    body = []
    for r in rows:
        index = Path(r["index"])
        link = (
            f'<a href="{html.escape(Path(os.path.relpath(index, out.parent)).as_posix())}">Bericht öffnen</a>'
            if index.exists()
            else "–"
        )
        status = r["status"]
        css = {"erstellt": "erstellt", "unverändert": "unveraendert"}.get(status, "fehlgeschlagen")
        cause = f'<div class="cause">{html.escape(r["cause"])}</div>' if r.get("cause") else ""
        body.append(
            f"<tr><td>{html.escape(r['name'])}<br><code>{html.escape(r['config'])}</code></td>"
            f'<td><span class="{css}">{html.escape(status)}</span>{cause}</td>'
            f'<td class="num">{html.escape(_seconds(r.get("seconds")))}</td>'
            f"<td>{html.escape(r['audit'])}</td><td>{link}</td></tr>"
        )
    counts = {s: sum(r["status"] == s for r in rows) for s in ("erstellt", "unverändert", "fehlgeschlagen")}
    summary = " · ".join(f"{fmt.number(n)} {s}" for s, n in counts.items())
    return f"""<!DOCTYPE html>
<html lang="de"><head><meta charset="utf-8"><title>Berichte im Überblick</title>
<meta name="viewport" content="width=device-width, initial-scale=1">{pages.style_block(OVERVIEW_CSS)}</head>
<body><main>
<h1>Berichte im Überblick</h1>
<p class="sub">{fmt.number(len(rows))} Berichtskonfigurationen · {summary}</p>
<table>
<thead><tr><th>Bericht</th><th>Status</th><th>Bauzeit</th><th>Geheimhaltungsprüfung</th><th>Link</th></tr></thead>
<tbody>
{chr(10).join(body)}
</tbody>
</table>
<p>„unverändert“: seit dem letzten Bau haben sich weder Rohdaten noch Konfiguration, Notebooks oder
Workbench-Code geändert; Bauzeit und Prüfergebnis stammen dann aus dem letzten Bau. Ein Bericht mit einem Befund
der Geheimhaltungsprüfung wird nicht veröffentlicht (seine Übersichtsseite wird entfernt).</p>
</main></body></html>
"""


def build_all(
    configs: Sequence[str | os.PathLike],
    overview: str | os.PathLike | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    client: Client | None = None,
    progress: bool = True,
) -> int:
    """``workbench build-all CONFIG...``: build several reports on one cluster and write an overview page.

    Parameters
    ----------
    configs : sequence of path
        Report configurations; each is built into its own folders, only the steps that are due.
    overview : path, optional
        The overview page (default :func:`default_overview`); a file ``.build-all.json`` next to it keeps the
        last build time and audit result of every report for the "unverändert" rows.
    workers, scheduler, client
        Cluster (see :func:`open_client`); an existing ``client`` is used as it is.
    progress : bool
        German progress lines on stderr.

    Returns
    -------
    int
        0 when every report is built or unchanged, 1 when at least one failed.
    """
    from workbench.build import profiles as profile_pages

    if not configs:
        raise ConfigError(
            "keine Berichtskonfiguration angegeben", hint='z. B. make build-all CONFIGS="a.yaml b.yaml"'
        )
    paths = []
    for c in configs:
        p = Path(c).resolve()
        if not p.is_file():
            raise ConfigError("Berichtskonfiguration nicht gefunden", path=c, hint="Pfad prüfen")
        if p not in paths:
            paths.append(p)
    out = Path(overview).resolve() if overview else default_overview()
    state_path = out.parent / STATE_FILE
    try:
        state = json.loads(state_path.read_text(encoding="utf-8")) if state_path.exists() else {}
    except ValueError:
        state = {}
    with _maybe_client(client, workers, scheduler) as c:
        outcomes = build_reports(paths, c, progress=progress)
    rows = []
    for o in outcomes:
        key = str(o.config)
        shown = relative_to_root(o.config)
        if o.status == "unverändert":
            last = state.get(key, {})
            row = {
                "seconds": last.get("seconds"),
                "audit": last.get("audit", "ohne Befund (letzter Bau)"),
                "cause": "",
            }
        else:
            causes = list(o.errors)
            if any(not r.ok for r in o.profiles):
                causes.append(profile_pages.failure_summary(o.profiles))
            row = {"seconds": o.seconds, "audit": o.audit, "cause": "\n".join(causes)}
            state[key] = {"seconds": round(o.seconds, 1), "audit": o.audit}
        row.update(name=o.name, config=str(shown), status=o.status, index=str(o.index_html))
        rows.append(row)
        line = f"{o.name} ({shown}): {o.status}"
        if o.status != "unverändert":
            line += f", {_seconds(o.seconds)}, Geheimhaltungsprüfung {o.audit}"
        print(line)
        for err in row["cause"].splitlines() if row["cause"] else []:
            print(f"  {err}", file=sys.stderr)
    engine.write_atomic(out, overview_page(rows, out))
    engine.write_atomic(state_path, json.dumps(state, ensure_ascii=False, indent=1, sort_keys=True))
    print(f"Übersicht aller Berichte → {relative_to_root(out)}")
    sys.stdout.flush()
    return 0 if all(o.ok for o in outcomes) else 1


__all__ = [
    "PLUGIN_NAME",
    "RETRIES",
    "Prepared",
    "ReportOutcome",
    "Steps",
    "TaskFailed",
    "WarmKernelPlugin",
    "build_all",
    "build_profiles",
    "build_report",
    "build_reports",
    "chapter_task",
    "default_overview",
    "finish_task",
    "open_client",
    "run_batch",
    "overview_page",
    "prepare_task",
    "run_job_task",
    "worker_memory",
]
