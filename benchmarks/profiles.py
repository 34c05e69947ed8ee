"""Benchmark: N Sozialraumprofile the naive way (papermill + nbconvert, fresh kernel each) vs. the engine.

Usage::

    python benchmarks/profiles.py --areas 40 [--notebook notebooks/profil.ipynb] [--workers 2]

The naive variant is, per profile, what a planner runs today: the papermill CLI, then the jupyter nbconvert
CLI with ``--no-input`` (``--naive tools``, default; two fresh processes and a fresh kernel). Stricter
baselines: one ``python -m workbench.build.engine chapter`` process doing papermill + nbconvert (``--naive cli``),
or papermill + nbconvert inside this process (``--naive inprocess``, no interpreter start-up). Both sides build the same N HTML files (parameter ``area_id``) in one run into a temporary folder; the
script prints both wall times, the engine's start cost (seconds until the first profile is written, including
the shared caches warmed in this process while the kernels start, as ``workbench profiles`` does) and its steady
state (seconds per profile and worker, median without each worker's first profile), the CPU seconds of each side
(this process and all its children), the load average of the machine (it is shared), the peak memory (``resource.getrusage``: max RSS of this process and of the
largest child process, which includes the kernels), how many HTML files are byte-identical, and as the
last line ``speedup: <naive seconds / engine seconds>``. Default notebook: ``notebooks/profil.ipynb`` if it
exists, else the engine's test notebook ``tests/data/engine_demo.ipynb``.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from workbench.build import engine  # noqa: E402


def area_ids(n: int) -> list[str]:
    """The first ``n`` Sozialraum ids of the processed data, or demo-style ids ``0101``… if there are none."""
    ids: list[str] = []
    try:
        import pyogrio

        from workbench.settings import load_report_config

        gpkg = load_report_config(None).paths.processed / "areas.gpkg"
        if gpkg.exists():
            ids = sorted(
                pyogrio.read_dataframe(gpkg, layer="sozialraum", read_geometry=False)["area_id"].astype(str)
            )
    except Exception:  # benchmark only: fall back to synthetic ids
        ids = []
    if len(ids) < n:
        ids = [f"{1 + i // 20:02d}{1 + i % 20:02d}" for i in range(n)]
    return ids[:n]


def cpu_seconds() -> float:
    """User + system CPU seconds of this process and of its waited-for children (workers, kernels, tools)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def load() -> str:
    """The machine's load average (1, 5, 15 minutes), German format."""
    return " / ".join(f"{x:.2f}".replace(".", ",") for x in os.getloadavg())


def engine_timing(results: list, t0: float, workers: int) -> str:
    """Start cost (until the first profile) and steady state (s per profile and worker) of one batch."""
    done = sorted(r.finished for r in results if r.finished)
    if not done:
        return "no timing"
    first = done[0] - t0
    later: list[float] = []
    for pid in {r.worker for r in results}:
        mine = sorted((r for r in results if r.worker == pid), key=lambda r: r.finished)
        later += [r.seconds for r in mine[1:]]
    steady = statistics.median(later) if later else float("nan")
    rate = (done[-1] - done[0]) / (len(done) - 1) if len(done) > 1 else float("nan")
    return (
        f"start cost {first:.1f} s until the first profile; steady state {steady:.2f} s/profile per worker "
        f"(median without each worker's first profile, {len({r.worker for r in results})} workers), "
        f"{rate:.2f} s/profile for the batch after the first"
    )


def peak_mb() -> tuple[float, float]:
    """(max RSS of this process, max RSS of the largest waited-for child) in MB (Linux reports KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, child


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--areas", type=int, default=40)
    default_nb = ROOT / "notebooks" / "profil.ipynb"
    if not default_nb.exists():
        default_nb = ROOT / "tests" / "data" / "engine_demo.ipynb"
    parser.add_argument("--notebook", type=Path, default=default_nb)
    parser.add_argument("--workers", type=int, default=None, help="default: os.cpu_count()")
    parser.add_argument("--kernel", default=engine.DEFAULT_KERNEL)
    parser.add_argument(
        "--naive",
        choices=["tools", "cli", "inprocess"],
        default="tools",
        help="tools: per profile the papermill CLI, then the jupyter nbconvert CLI (--no-input), as a planner "
        "runs them today; cli: one 'python -m workbench.build.engine chapter' process per profile (papermill + "
        "nbconvert in one process, as the Makefile builds chapters); inprocess: papermill + nbconvert called "
        "in this process (no interpreter start-up, the strictest baseline)",
    )
    parser.add_argument(
        "--engine-only", action="store_true", help="only the engine side (start cost and steady state)"
    )
    args = parser.parse_args(argv)
    engine.ensure_kernel(args.kernel) if args.kernel == engine.DEFAULT_KERNEL else None
    ids = area_ids(args.areas)
    print(f"notebook: {args.notebook}  areas: {len(ids)}  workers: {args.workers or 'cpu_count'}", flush=True)

    with tempfile.TemporaryDirectory(prefix="wb-bench-") as tmp:
        out = Path(tmp)
        jobs = [engine.Job({"area_id": a}, None, out / "engine" / f"{a}.html") for a in ids]
        warmup = None
        if args.notebook.resolve() == (ROOT / "notebooks" / "profil.ipynb").resolve():
            # as `workbench profiles`: the caches every profile reads, computed once here while the kernels start
            # (the import is timed too: the command line pays it)
            def warmup() -> None:
                from workbench.build.profiles import warm_caches

                warm_caches("config/report.yaml")

        print(f"load average before: {load()}", flush=True)
        cpu0, wall0, t0 = cpu_seconds(), time.time(), time.perf_counter()
        results = engine.run_batch(
            args.notebook, jobs, workers=args.workers, kernel_name=args.kernel, warmup=warmup
        )
        t_engine = time.perf_counter() - t0
        cpu_engine = cpu_seconds() - cpu0
        own, child = peak_mb()
        print(
            f"engine: {t_engine:.1f} s ({t_engine / len(ids):.2f} s/Profil), "
            f"{sum(r.ok for r in results)} ok; CPU {cpu_engine:.1f} s; peak RSS self {own:.0f} MB, "
            f"largest child {child:.0f} MB; load average after: {load()}",
            flush=True,
        )
        print(f"engine timing: {engine_timing(results, wall0, args.workers)}", flush=True)
        if args.engine_only:
            return 0

        cpu0, t0 = cpu_seconds(), time.perf_counter()
        naive_ok = 0
        for i, a in enumerate(ids, 1):
            html = out / "naive" / f"{a}.html"
            if args.naive == "tools":  # papermill CLI + nbconvert CLI: two fresh processes + a fresh kernel
                bindir = Path(sys.executable).parent
                executed = out / "naive" / f"{a}.ipynb"
                executed.parent.mkdir(parents=True, exist_ok=True)
                run1 = [str(bindir / "papermill"), str(args.notebook), str(executed), "-r", "area_id", a,
                        "-k", args.kernel, "--cwd", str(ROOT), "--log-level", "ERROR"]  # fmt: skip
                run2 = [str(bindir / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed),
                        "--output", a, "--output-dir", str(html.parent), "--log-level", "ERROR"]  # fmt: skip
                naive_ok += (
                    subprocess.run(run1, capture_output=True, check=False).returncode == 0
                    and subprocess.run(run2, capture_output=True, check=False).returncode == 0
                )
            elif args.naive == "cli":  # what the Makefile does per chapter: a fresh process + fresh kernel
                cmd = [sys.executable, "-m", "workbench.build.engine", "chapter", str(args.notebook),
                       "--param", f"area_id={a}", "--html", str(html), "--kernel", args.kernel]  # fmt: skip
                naive_ok += subprocess.run(cmd, capture_output=True, check=False).returncode == 0
            else:  # stricter baseline: papermill + nbconvert in this (already warm) Python process
                naive_ok += engine.run_papermill(args.notebook, {"area_id": a}, None, html, args.kernel).ok
            print(f"\rnaive ({args.naive}): {i}/{len(ids)}", end="", file=sys.stderr, flush=True)
        print(file=sys.stderr)
        t_naive = time.perf_counter() - t0
        cpu_naive = cpu_seconds() - cpu0
        own, child = peak_mb()
        print(
            f"naive ({args.naive}): {t_naive:.1f} s ({t_naive / len(ids):.2f} s/Profil), {naive_ok} ok; "
            f"CPU {cpu_naive:.1f} s; peak RSS self {own:.0f} MB, largest child {child:.0f} MB "
            f"(cumulative maxima); load average after: {load()}",
            flush=True,
        )

        same = sum(
            (out / "naive" / f"{a}.html").exists()
            and (out / "engine" / f"{a}.html").read_bytes() == (out / "naive" / f"{a}.html").read_bytes()
            for a in ids
        )
        if args.naive == "tools":
            print(
                f"identical HTML: {same}/{len(ids)} (the nbconvert CLI keeps volatile metadata; byte equality "
                "of engine and papermill+nbconvert is checked with --naive cli and in tests/test_profiles.py)"
            )
        else:
            print(f"identical HTML: {same}/{len(ids)}")
    print(f"speedup: {t_naive / t_engine:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
