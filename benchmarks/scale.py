"""Benchmark: the Dask backend against the local engine - one big city's profiles and a synthetic "Land".

Usage::

    python benchmarks/scale.py                       # 1.000-area city (all profiles), Land of 5 × 1.000 areas
    python benchmarks/scale.py --quick               # 1.000-area city, 60 of its profiles; Land of 5 × 40 areas
    python benchmarks/scale.py --profiles 200 --cities 3 --city-areas 100 --workers 2

Part 1 (city): the demo city with ``--areas`` Sozialräume (default 1.000) is generated and imported once (not
timed against anything) and its profile caches are warmed once; then ``--profiles`` of its profiles are built
three times in the same run: by the local engine (``engine.run_batch``, ``--workers`` processes), on a Dask
LocalCluster with 1 worker and with ``--workers`` workers (cluster start included). Printed: wall times, scaling
efficiency (t₁ / (n·tₙ)), Dask/local ratio, steady-state seconds per profile (median task time on a warm
kernel), the fixed cost per run and how many HTML files are byte-identical between the local engine and Dask.

Part 2 (Land): ``--cities`` demo cities of ``--city-areas`` areas each (raw data generated once, untimed) are
built end to end - import, configuration check, ``--chapters`` (default none), profiles, index page, audit - by
the local pipeline (``workbench report --workers N`` for one city after the other) and by
``workbench build-all`` on a Dask cluster of ``--workers`` workers. Printed: wall times, ratio, peak memory per
Dask worker (worker process + its kernels, sampled after every task) and of the largest local process.

Last: an estimate for 50.000 areas (50 cities of 1.000) on 20 workers from the measured per-task costs.
Everything is written below ``--workdir`` (default ``build/scale``, ignored by git); raw data there are reused
by the next run.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import yaml  # noqa: E402

from workbench.build import distributed, engine  # noqa: E402


def write_config(folder: Path, raw: Path, name: str, areas: int, seed: int, chapters: list[str]) -> Path:
    """A report config for a demo city with its own processed and report folders (raw data may be shared)."""
    base = yaml.safe_load((ROOT / "config" / "report.yaml").read_text(encoding="utf-8"))
    cfg = dict(
        base,
        city=name,
        data_raw=str(raw),
        data_processed=str(folder / "processed"),
        reports=str(folder / "reports"),
        chapters=chapters,
        demo={"areas": areas, "seed": seed},
    )
    projection = yaml.safe_load((ROOT / "config" / "projection.yaml").read_text(encoding="utf-8"))
    for scenario in projection.get("scenarios", []):
        if scenario.get("extra_in_migrants"):
            scenario["extra_in_migrants"] = {"0101": 50}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "projection.yaml").write_text(yaml.safe_dump(projection, allow_unicode=True), encoding="utf-8")
    cfg["projection_config"] = str(folder / "projection.yaml")
    path = folder / "report.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return path


def ensure_raw(config: Path) -> float:
    """Generate the demo city's raw files unless they are there; seconds spent."""
    from workbench.build.report import ensure_demo_data

    start = time.perf_counter()
    ensure_demo_data(config)
    return time.perf_counter() - start


def mb(value: float) -> str:
    return f"{value / 2**20:,.0f} MB".replace(",", ".")


def child_peak() -> float:
    """Max RSS (bytes) of the largest waited-for descendant (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024


def part_city(args, work: Path) -> dict:
    from workbench.build import pipeline, profiles
    from workbench.io.importer import import_report
    from workbench.settings import activate, load_report_config, notebooks_dir, project_root

    folder = work / f"stadt_{args.areas}"
    config = write_config(folder, folder / "raw", "Großstadt", args.areas, 2024, [])
    print(f"== Teil 1: Stadt mit {args.areas} Sozialräumen ({folder})")
    t = ensure_raw(config)
    cfg = activate(load_report_config(config))
    stamp = folder / "import_sekunden.txt"
    if not (cfg.paths.processed / "manifest.json").exists():
        start = time.perf_counter()
        import_report(cfg)
        pipeline.record_raw_names(cfg)
        stamp.write_text(f"{time.perf_counter() - start:.1f}", encoding="utf-8")
    imported = float(stamp.read_text(encoding="utf-8")) if stamp.exists() else 0.0
    print(f"Rohdaten {t:.1f} s, Import {imported:.1f} s")
    start = time.perf_counter()
    param = profiles.config_parameter(cfg)
    ch = profiles.warm_caches(param)
    warm = time.perf_counter() - start
    keys = ch.ds.area_keys.assign(area_id=ch.ds.area_keys["area_id"].astype(str))
    names = dict(zip(keys["area_id"], keys["area_name"], strict=True))
    ids = sorted(names)[: args.profiles or None]
    print(f"Zwischenergebnisse aufgewärmt: {warm:.1f} s; {len(ids)} Profile je Variante")
    notebook = notebooks_dir() / profiles.TEMPLATE

    def jobs(variant: str) -> list[engine.Job]:
        out = folder / "bench" / variant
        return [
            engine.Job(
                {"config_file": param, "area_id": a},
                out / "executed" / f"{a}.ipynb",
                out / f"{a}.html",
                title=profiles.profile_title(a, names[a], cfg.city, ch.year),
            )
            for a in ids
        ]

    res: dict = {"n": len(ids), "warm": warm, "import": imported}
    start = time.perf_counter()
    local = engine.run_batch(
        notebook, jobs("lokal"), workers=args.workers, cwd=project_root(), progress=False
    )
    res["local"] = time.perf_counter() - start
    print(f"lokale Engine ({args.workers} Prozesse): {res['local']:.1f} s, {sum(r.ok for r in local)} ok")
    task_seconds = []
    for n in sorted({1, args.workers}):
        start = time.perf_counter()
        with distributed.open_client(workers=n) as client:
            up = time.perf_counter() - start
            out = distributed.run_batch(client, notebook, jobs(f"dask{n}"), cwd=project_root())
            mem = client.run(distributed.worker_memory)
        res[f"dask{n}"] = wall = time.perf_counter() - start
        task_seconds += [r.seconds for r in out if r.ok]
        fixed = wall - sum(r.seconds for r in out if r.ok) / n
        res[f"fixed{n}"] = fixed
        peak = max(m["peak_rss"] for m in mem.values())
        print(
            f"Dask, {n} Worker: {wall:.1f} s (Cluster-Start {up:.1f} s, fester Anteil ≈ {fixed:.1f} s), "
            f"{sum(r.ok for r in out)} ok, Spitze je Worker {mb(peak)}"
        )
    same = sum(
        (folder / "bench" / "lokal" / f"{a}.html").read_bytes()
        == (folder / "bench" / f"dask{args.workers}" / f"{a}.html").read_bytes()
        for a in ids
        if (folder / "bench" / "lokal" / f"{a}.html").exists()
    )
    res["task"] = statistics.median(task_seconds)
    t1, tn = res["dask1"], res[f"dask{args.workers}"]
    print(f"HTML byte-gleich (lokal = Dask): {same}/{len(ids)}")
    print(f"Sekunden je Profil im warmen Kernel (Median): {res['task']:.2f} s")
    if args.workers > 1:
        print(f"Skalierung 1 → {args.workers} Worker: Effizienz {t1 / (args.workers * tn):.2f}")
    print(f"Verhältnis Dask ({args.workers} Worker) / lokale Engine: {tn / res['local']:.2f}")
    return res


def part_land(args, work: Path) -> dict:
    from workbench.build import distributed as wd

    land = work / f"land_{args.cities}x{args.city_areas}"
    print(f"== Teil 2: Land mit {args.cities} Städten × {args.city_areas} Sozialräumen ({land})")
    chapters = [c for c in args.chapters.split(",") if c]
    raws = [land / "rohdaten" / f"stadt{i + 1}" for i in range(args.cities)]
    gen = 0.0
    for i, raw in enumerate(raws):
        cfg = write_config(
            land / "gen" / f"stadt{i + 1}", raw, f"Stadt {i + 1}", args.city_areas, 100 + i, []
        )
        gen += ensure_raw(cfg)
    print(f"Rohdaten bereit ({gen:.1f} s, nicht gemessen)")
    res: dict = {}
    for variant in ("lokal", "dask"):
        configs = [
            write_config(
                land / variant / f"stadt{i + 1}", raw, f"Stadt {i + 1}", args.city_areas, 100 + i, chapters
            )
            for i, raw in enumerate(raws)
        ]
        for c in configs:  # always build from scratch
            subprocess.run(["rm", "-rf", str(c.parent / "processed"), str(c.parent / "reports")], check=True)
        start = time.perf_counter()
        if variant == "lokal":
            for c in configs:
                proc = subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "workbench.cli",
                        "--config",
                        str(c),
                        "report",
                        "--workers",
                        str(args.workers),
                    ],
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                    env={k: v for k, v in os.environ.items() if k != "WORKBENCH_MAKE_FOLDERS"},
                )
                if proc.returncode != 0:
                    print(proc.stdout[-1500:], proc.stderr[-1500:])
            res["local"] = time.perf_counter() - start
            print(f"lokal, Stadt für Stadt (workbench report --workers {args.workers}): {res['local']:.1f} s, "
                  f"größter Prozess {mb(child_peak())}")  # fmt: skip
        else:
            with wd.open_client(workers=args.workers) as client:
                code = wd.build_all(
                    configs, overview=land / "dask" / "index.html", client=client, progress=False
                )
                mem = client.run(wd.worker_memory)
            res["dask"] = time.perf_counter() - start
            peaks = ", ".join(mb(m["peak_rss"]) for m in mem.values())
            print(
                f"Dask build-all, {args.workers} Worker: {res['dask']:.1f} s (Rückgabe {code}), Spitze je Worker: {peaks}"
            )
    print(f"Verhältnis Dask / lokal: {res['dask'] / res['local']:.2f}")
    res["per_city"] = res["dask"] * args.workers / args.cities  # worker-seconds per city end to end
    return res


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--areas", type=int, default=1000, help="Sozialräume der Stadt in Teil 1")
    parser.add_argument("--profiles", type=int, default=0, help="nur so viele Profile bauen (0 = alle)")
    parser.add_argument(
        "--cities", type=int, default=5, help="Städte des Landes in Teil 2 (0 = Teil 2 auslassen)"
    )
    parser.add_argument("--city-areas", type=int, default=1000, help="Sozialräume je Stadt in Teil 2")
    parser.add_argument(
        "--chapters", default="", help="Kapitel je Stadt in Teil 2 (Komma-Liste, Standard keine)"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="= --profiles 60 --city-areas 40")
    parser.add_argument("--skip-city", action="store_true", help="Teil 1 auslassen")
    parser.add_argument("--workdir", type=Path, default=ROOT / "build" / "scale")
    args = parser.parse_args(argv)
    if args.quick:
        args.profiles = args.profiles or 60
        args.city_areas = 40 if args.city_areas == 1000 else args.city_areas
    engine.ensure_kernel(engine.DEFAULT_KERNEL)
    os.environ.setdefault("WORKBENCH_ROOT", str(ROOT))
    city = None if args.skip_city else part_city(args, args.workdir)
    land = part_land(args, args.workdir) if args.cities else None
    if city:
        task = city["task"]
        fixed = city.get(f"fixed{args.workers}", 0.0)
        per_city = city["warm"] + city.get("import", 0.0)  # import and caches of one city
        est = fixed + (50_000 * task + 50 * per_city * 1000 / args.areas) / 20
        print(
            f"== Schätzung 50.000 Sozialräume (50 Städte × 1.000) auf 20 Workern: ≈ {est / 60:.0f} min "
            f"(fester Anteil {fixed:.0f} s + (50.000 × {task:.2f} s je Profil + 50 × "
            f"{per_city * 1000 / args.areas:.0f} s Import und Aufwärmen je Stadt) / 20)"
        )
        if land:
            print(
                f"   Land gemessen: {land['per_city']:.0f} Worker-Sekunden je Stadt mit {args.city_areas} "
                "Sozialräumen von Anfang bis Ende"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
