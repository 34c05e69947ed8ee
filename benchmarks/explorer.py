"""Benchmark: explorer update time after a change of indicator or year, against rebuilding the views.

Run: ``PYTHONPATH=src .venv/bin/python benchmarks/explorer.py [config ...]``
(default: ``config/report.yaml`` — the 40-area demo —, ``examples/berlin/report.yaml`` — 542 areas — and
``config/skalentest.yaml`` — 1,000 areas; a config whose processed data are missing is skipped with a note:
``make data CONFIG=...``).

For each config: the time to open the explorer on a warm cache (the chapter context is loaded once before, so
the cached indicator table exists), then the median and maximum time of an in-place update over a sequence of
indicator and year changes (``Explorer.refresh`` through the widgets' observers: new class codes, hover texts,
dot chart, table), and the naive way — a new ``Explorer`` (all figures, GeoJSON and widgets built from scratch)
for each change. Without a browser the widget messages are serialised but not sent, so the times are the
Python side of an update; the browser's redraw comes on top.

Cold opening (a fresh kernel): a new Python process imports ``workbench.explore``, builds ``Explorer(config)``
and its first display (``_repr_mimebundle_``), with the report's cache on disk already written (as after
``make report`` or an earlier opening); printed as import / Explorer / display seconds.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

T0 = time.perf_counter()
from workbench.explore import Explorer  # noqa: E402

IMPORT_S = time.perf_counter() - T0

from workbench.chapters.context import setup  # noqa: E402
from workbench.settings import load_report_config  # noqa: E402

CHANGES = 12
NAIVE_CHANGES = 4


def changes(ex: Explorer, n: int) -> list[tuple[str, object]]:
    """A fixed sequence of (control, value) changes: indicators in catalogue order, every third a year."""
    inds = list(ex.data.indicators)
    years = ex.data.years
    out: list[tuple[str, object]] = []
    for i in range(n):
        if i % 3 == 2:
            out.append(("year", years[(i // 3) % len(years)]))
        else:
            out.append(("indicator", inds[(i + 1) % len(inds)]))
    return out


def bench(config: str) -> dict[str, float]:
    t0 = time.perf_counter()
    ch = setup(config)
    ch.indicators  # noqa: B018 - warm the cache (computed once, then read from data/processed/cache)
    warm = time.perf_counter() - t0
    t0 = time.perf_counter()
    ex = Explorer(config)
    opened = time.perf_counter() - t0
    n_areas = len(ex.data.units("sozialraum"))
    inplace = []
    for control, value in changes(ex, CHANGES):
        t = time.perf_counter()
        getattr(ex, control).value = value
        inplace.append(time.perf_counter() - t)
    naive = []
    for control, value in changes(ex, NAIVE_CHANGES):
        t = time.perf_counter()
        fresh = Explorer(config, chapter=ch)
        getattr(fresh, control).value = value
        naive.append(time.perf_counter() - t)
    res = {
        "areas": n_areas,
        "warm_cache_s": warm,
        "open_s": opened,
        "update_median_s": statistics.median(inplace),
        "update_max_s": max(inplace),
        "naive_median_s": statistics.median(naive),
    }
    res["ratio"] = res["naive_median_s"] / res["update_median_s"]
    return res


_COLD = """
import sys, time
t0 = time.perf_counter()
from workbench.explore import Explorer
t1 = time.perf_counter()
ex = Explorer(sys.argv[1])
t2 = time.perf_counter()
ex._repr_mimebundle_()
t3 = time.perf_counter()
print(t1 - t0, t2 - t1, t3 - t2)
"""


def cold(config: str) -> tuple[float, float, float]:
    """Seconds of import, ``Explorer(config)`` and first display in a fresh Python process."""
    out = subprocess.run(
        [sys.executable, "-c", _COLD, config], capture_output=True, text=True, check=True
    ).stdout.split()
    return float(out[-3]), float(out[-2]), float(out[-1])


def main(configs: list[str]) -> None:
    print(f"Import von workbench.explore (einmal je Prozess): {IMPORT_S:.2f} s")
    print("Öffnen = Explorer(config) bei warmem Cache im selben Prozess (warm), kalt = neuer Prozess")
    print(
        f"{'Konfiguration':28} {'Gebiete':>7} {'Öffnen':>8} {'Update Median':>14} {'Max':>7} "
        f"{'neu bauen':>10} {'Faktor':>7}"
    )
    for config in configs:
        try:
            manifest = load_report_config(config).paths.processed / "manifest.json"
        except Exception as err:  # noqa: BLE001 - report and go on with the next config
            print(f"{config:28} übersprungen: {err}")
            continue
        if not manifest.exists():
            print(f"{config:28} übersprungen: keine aufbereiteten Daten (make data CONFIG={config})")
            continue
        r = bench(config)
        imp, build, show = cold(config)
        print(
            f"{config:28} {r['areas']:>7} {r['open_s']:>7.2f}s {r['update_median_s']:>13.3f}s "
            f"{r['update_max_s']:>6.3f}s {r['naive_median_s']:>9.3f}s {r['ratio']:>6.1f}×"
        )
        print(
            f"{'':28} kalt (neuer Prozess): Import {imp:.2f}s + Explorer {build:.2f}s + Anzeige {show:.2f}s "
            f"= {imp + build + show:.2f}s"
        )


if __name__ == "__main__":
    main(sys.argv[1:] or ["config/report.yaml", "examples/berlin/report.yaml", "config/skalentest.yaml"])
