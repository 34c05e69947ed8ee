"""Projection from population stocks alone (Hamilton–Perry) and its back-test, for :mod:`workbench.projection`.

Private: import from :mod:`workbench.projection`. The method is documented in docs/METHODEN.md, Abschnitte
„Prognose aus Beständen (Hamilton–Perry)“, „Rückrechnung aus Beständen“ und „Ergebnisse der Rückrechnung: Wien
und Trafford“.

Internal representation: one array per reference year of shape ``(areas, sexes, top_age + 1)`` with single years
``0 … top_age − 1`` and the open group ``top_age+`` in the last slot, obtained by graduating the age bands.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from workbench.errors import ConfigError, DataValidationError

METHODS = ("hamilton-perry", "constant", "trend")
"""Projection methods of :func:`backtest_stocks`: the cohort-change-ratio model and the two naive baselines."""

FEMALE_LABELS = frozenset({"w", "f", "female", "females", "weiblich", "frauen", "2"})
"""Sex labels recognised as women when ``female`` is not given (case-insensitive)."""

DEFAULTS: dict[str, Any] = {
    "periods": 5,
    "window": 5,
    "shrink": 200.0,
    "cap": 0.25,
    "damping": 0.9,
    "mother_ages": (15, 50),
}
"""Default options of the Hamilton–Perry projection (see :func:`project_stocks`)."""

_BAND = re.compile(r"^\s*(\d+)\s*-\s*(\d+)\s*$")
_OPEN = re.compile(r"^\s*(\d+)\s*\+\s*$")


def _fail(message: str, where: str | None = None, hint: str | None = None) -> DataValidationError:
    return DataValidationError(f"Bestände: {message}", where=where, hint=hint)


# ----------------------------------------------------------------------------------------------------------
# parsing and graduation


def _parse_bands(labels: Sequence[Any], year: int) -> tuple[np.ndarray, int]:
    """Edges ``[0, b1, …, top]`` of the closed bands and the start of the open band, checked for contiguity."""
    closed: list[tuple[int, int]] = []
    open_start: int | None = None
    for lab in labels:
        text = str(lab)
        m = _BAND.match(text)
        if m:
            lo, hi = int(m.group(1)), int(m.group(2))
            if hi <= lo:
                raise _fail(f"Altersgruppe „{text}“ hat keine positive Breite", f"Jahr {year}, Spalte {text}")
            closed.append((lo, hi))
            continue
        m = _OPEN.match(text)
        if m and open_start is None:
            open_start = int(m.group(1))
            continue
        raise _fail(
            f"Spalte „{text}“ ist keine Altersgruppe",
            f"Jahr {year}",
            "Spalten als „a-b“ (a bis unter b Jahre) und eine offene letzte Gruppe „a+“ benennen",
        )
    if open_start is None:
        raise _fail("keine offene Altersgruppe „a+“", f"Jahr {year}", "letzte Gruppe z. B. „80+“ angeben")
    closed.sort()
    edges = [0]
    for lo, hi in closed:
        if lo != edges[-1]:
            raise _fail(
                f"Altersgruppen nicht lückenlos: nach {edges[-1]} Jahren folgt „{lo}-{hi}“",
                f"Jahr {year}",
                "Altersgruppen müssen bei 0 beginnen und ohne Lücke oder Überlappung aneinander anschließen",
            )
        edges.append(hi)
    if open_start != edges[-1]:
        raise _fail(
            f"offene Gruppe „{open_start}+“ schließt nicht an die letzte Gruppe (bis {edges[-1]}) an",
            f"Jahr {year}",
        )
    if open_start < 1:
        raise _fail("mindestens eine geschlossene Altersgruppe nötig", f"Jahr {year}")
    return np.asarray(edges, dtype=int), int(open_start)


def graduate(counts: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Split band counts into single years by monotone cubic (PCHIP) interpolation of the cumulative counts.

    ``counts`` has the closed bands on its last axis (``len(edges) − 1`` of them, edges starting at 0); the
    result has ``edges[-1]`` single years on its last axis. The cumulative count is monotone, so PCHIP keeps it
    monotone: every single year is ≥ 0 and each band's single years add up exactly to the band (up to
    rounding), single-year input (all widths 1) is returned unchanged.
    """
    counts = np.asarray(counts, dtype=float)
    edges = np.asarray(edges, dtype=int)
    if np.all(np.diff(edges) == 1):
        return counts.copy()
    from scipy.interpolate import PchipInterpolator  # only needed for bands wider than one year

    cum = np.concatenate([np.zeros(counts.shape[:-1] + (1,)), np.cumsum(counts, axis=-1)], axis=-1)
    spline = PchipInterpolator(edges.astype(float), cum, axis=-1)
    single = np.diff(spline(np.arange(edges[-1] + 1, dtype=float)), axis=-1)
    single = np.clip(single, 0.0, None)  # rounding noise only: PCHIP of monotone data is monotone
    # restore the exact band totals after clipping
    for lo, hi, total in zip(edges[:-1], edges[1:], np.moveaxis(counts, -1, 0), strict=True):
        part = single[..., lo:hi]
        s = part.sum(axis=-1)
        factor = np.divide(total, s, out=np.zeros_like(s), where=s > 0)
        even = np.where(s > 0, 0.0, total / (hi - lo))
        single[..., lo:hi] = part * factor[..., None] + even[..., None]
    return single


@dataclass
class _Year:
    """One reference year graduated to single years: ``data`` (areas, sexes, open_start + 1), open group last."""

    areas: pd.Index
    sexes: list[str]
    data: np.ndarray
    open_start: int
    bands: pd.DataFrame  # persons by area and band as given (sexes added up)


def _numeric(frame: pd.DataFrame) -> np.ndarray:
    """Values as floats, non-numbers as NaN."""
    try:
        return frame.to_numpy(dtype=float)
    except (TypeError, ValueError):
        return frame.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)


def _read_year(year: int, frame: Any) -> _Year:
    if not isinstance(frame, pd.DataFrame):
        raise _fail(
            f"Bestand {year} ist keine Tabelle (DataFrame), sondern {type(frame).__name__}", f"Jahr {year}"
        )
    if frame.index.has_duplicates:
        dup = frame.index[frame.index.duplicated()][0]
        raise _fail(f"Gebiet {dup} kommt mehrfach vor", f"Jahr {year}", "je Gebiet genau eine Zeile")
    values = _numeric(frame)
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        r, c = map(int, np.argwhere(bad)[0])
        raise _fail(
            f"Wert „{frame.iat[r, c]}“ ist keine Anzahl ≥ 0",
            f"Jahr {year}, Gebiet {frame.index[r]}, Spalte {frame.columns[c]}",
            "nur Personenzahlen eintragen; fehlende Werte als 0 oder Gebiet weglassen",
        )
    if isinstance(frame.columns, pd.MultiIndex):
        if frame.columns.nlevels != 2:
            raise _fail("Spalten: entweder Altersgruppen oder (Geschlecht, Altersgruppe)", f"Jahr {year}")
        sexes = [str(s) for s in dict.fromkeys(frame.columns.get_level_values(0))]
        bands = list(dict.fromkeys(frame.columns.get_level_values(1)))
    else:
        sexes, bands = ["insgesamt"], list(frame.columns)
    edges, open_start = _parse_bands(bands, year)
    closed_labels = sorted(
        (b for b in bands if _BAND.match(str(b))), key=lambda b: int(_BAND.match(str(b)).group(1))
    )
    open_label = next(b for b in bands if _OPEN.match(str(b)))
    multi = isinstance(frame.columns, pd.MultiIndex)
    position = {(str(c[0]), c[1]) if multi else ("insgesamt", c): i for i, c in enumerate(frame.columns)}
    cube = np.empty((len(frame), len(sexes), len(closed_labels) + 1))
    for j, sex in enumerate(sexes):
        for k, lab in enumerate([*closed_labels, open_label]):
            if (sex, lab) not in position:
                raise _fail(
                    f"Spalte ({sex}, {lab}) fehlt", f"Jahr {year}", "jede Altersgruppe je Geschlecht angeben"
                )
            cube[:, j, k] = values[:, position[(sex, lab)]]
    single = graduate(cube[..., :-1], edges)
    data = np.concatenate([single, cube[..., -1:]], axis=-1)
    areas = pd.Index([str(a) for a in frame.index], name="area_id")
    labels = [str(b) for b in [*closed_labels, open_label]]
    bands_frame = pd.DataFrame(cube.sum(axis=1), index=areas, columns=labels)
    return _Year(areas, sexes, data, open_start, bands_frame)


def _fold(data: np.ndarray, top: int) -> np.ndarray:
    """Fold single years ≥ ``top`` into the open group ``top+``."""
    if data.shape[-1] == top + 1:
        return data
    return np.concatenate([data[..., :top], data[..., top:].sum(axis=-1, keepdims=True)], axis=-1)


def _check_years(stocks: Any) -> list[int]:
    if not isinstance(stocks, Mapping) or not stocks:
        raise ConfigError(
            "stocks muss eine Zuordnung Jahr → Bestandstabelle sein (mindestens zwei Stichtage)",
            where="stocks",
        )
    years = []
    for y in stocks:
        try:
            years.append(int(y))
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"Stichtag „{y}“ ist keine Jahreszahl", where="stocks") from exc
    return years


def _lookup(stocks: Mapping[Any, Any], year: int) -> Any:
    for key in stocks:
        if int(key) == year:
            return stocks[key]
    raise KeyError(year)


# ----------------------------------------------------------------------------------------------------------
# the projection


def _aligned(years: dict[int, _Year], order: list[int], areas: pd.Index, top: int) -> dict[int, np.ndarray]:
    """Arrays (areas, sexes, top + 1) reindexed to ``areas`` (NaN where an area is absent in a year)."""
    out = {}
    for y in order:
        yr = years[y]
        data = _fold(yr.data, top)
        idx = yr.areas.get_indexer(areas)
        arr = np.full((len(areas),) + data.shape[1:], np.nan)
        arr[idx >= 0] = data[idx[idx >= 0]]
        out[y] = arr
    return out


def _age_window(x: np.ndarray, window: int) -> np.ndarray:
    """Moving sum over ``window`` neighbouring ages (last axis), truncated at the ends."""
    if window <= 1:
        return x
    half = window // 2
    c = np.cumsum(np.pad(x, [(0, 0)] * (x.ndim - 1) + [(1, 0)]), axis=-1)
    n = x.shape[-1]
    lo = np.clip(np.arange(n) - half, 0, n)
    hi = np.clip(np.arange(n) + half + 1, 0, n)
    return c[..., hi] - c[..., lo]


def _period_flows(p0: np.ndarray, p1: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Numerators and denominators of annualised cohort-change ratios of one period of ``n`` years.

    Returns arrays (areas, sexes, top + 1): index ``a`` < top is the transition from age a to a + 1 (a = top − 1
    and a = top both enter the open group). For n = 1 these are the survivors P1(a + 1) and the persons P0(a) at
    risk; for n > 1 the n-year ratio of each cohort is annualised geometrically (ratio ** (1/n)) and spread
    over the n transitions it spans, returned as ``ratio · P0(a)`` and ``P0(a)``.
    """
    top = p0.shape[-1] - 1
    num = np.zeros_like(p0)
    den = np.zeros_like(p0)
    if n == 1:
        num[..., : top - 1] = p1[..., 1:top]
        den[..., : top - 1] = p0[..., : top - 1]
        open_den = p0[..., top - 1] + p0[..., top]
        ratio = np.divide(p1[..., top], open_den, out=np.ones_like(open_den), where=open_den > 0)
        for a in (top - 1, top):
            den[..., a] = p0[..., a]
            num[..., a] = ratio * p0[..., a]
        return num, den
    logs = np.full_like(p0, np.nan)
    for x in range(0, top - n):  # cohorts that stay below the open group
        ok = p0[..., x] > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            logs[..., x] = np.where(
                ok & (p1[..., x + n] > 0), np.log(p1[..., x + n] / p0[..., x]) / n, np.nan
            )
    open_den = p0[..., max(top - n, 0) :].sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        open_log = np.where((open_den > 0) & (p1[..., top] > 0), np.log(p1[..., top] / open_den) / n, 0.0)
    annual = np.empty_like(p0)
    for a in range(top + 1):
        span = logs[..., max(a - n + 1, 0) : min(a + 1, top - n)]
        if a >= top - 1 or span.shape[-1] == 0:
            annual[..., a] = np.exp(open_log)
        else:
            count = (~np.isnan(span)).sum(axis=-1)
            mean = np.divide(np.nansum(span, axis=-1), count, out=np.zeros(count.shape), where=count > 0)
            annual[..., a] = np.where(count > 0, np.exp(mean), np.exp(open_log))
    den = p0.copy()
    num = annual * den
    return num, den


@dataclass
class _Model:
    """Estimated annual cohort-change ratios and child ratios."""

    ratio_city: np.ndarray  # (sexes, top + 1)
    rel: np.ndarray  # (areas, sexes, top + 1): shrunk, capped area / city ratio
    child_city: np.ndarray  # (sexes,)
    child_rel: np.ndarray  # (areas, sexes)
    mothers: tuple[int, int]
    female: int | None
    periods: list[tuple[int, int]]


def _female_index(sexes: list[str], female: Any) -> int | None:
    if len(sexes) == 1:
        return None
    if female is not None:
        if str(female) not in sexes:
            raise ConfigError(
                f"Geschlecht „{female}“ (female) kommt in den Beständen nicht vor; vorhanden: {', '.join(sexes)}",
                where="female",
            )
        return sexes.index(str(female))
    hits = [i for i, s in enumerate(sexes) if s.strip().lower() in FEMALE_LABELS]
    return hits[0] if len(hits) == 1 else None


def _estimate(
    arrays: dict[int, np.ndarray], order: list[int], sexes: list[str], opts: dict[str, Any]
) -> _Model:
    periods = list(zip(order[:-1], order[1:], strict=True))[-int(opts["periods"]) :]
    shape = arrays[order[-1]].shape
    num = np.zeros(shape)
    den = np.zeros(shape)
    for t0, t1 in periods:
        p0, p1 = arrays[t0], arrays[t1]
        present = ~(np.isnan(p0).any(axis=(1, 2)) | np.isnan(p1).any(axis=(1, 2)))
        n_, d_ = _period_flows(np.nan_to_num(p0), np.nan_to_num(p1), t1 - t0)
        num[present] += n_[present]
        den[present] += d_[present]
    city_num, city_den = num.sum(axis=0), den.sum(axis=0)
    ratio_city = np.divide(city_num, city_den, out=np.ones_like(city_num), where=city_den > 0)
    # area deviation (observed / expected at the city's ratio), shrunk in two levels: the single age toward the
    # area's deviation over an age window, that toward the city (1); then capped
    k = float(opts["shrink"])
    expected = den * ratio_city[None]
    single = np.divide(num, expected, out=np.ones_like(num), where=expected > 0)
    win_obs, win_exp = _age_window(num, int(opts["window"])), _age_window(expected, int(opts["window"]))
    window = np.divide(win_obs, win_exp, out=np.ones_like(win_obs), where=win_exp > 0)
    window = 1.0 + win_exp / (win_exp + k) * (window - 1.0) if k > 0 else window
    rel = window + expected / (expected + k) * (single - window) if k > 0 else single
    cap = float(opts["cap"])
    rel = np.clip(rel, 1.0 - cap, 1.0 + cap)

    # youngest cohort (age 0 at the next date): children aged 0 per woman (or person) at mothers' ages
    lo, hi = opts["mother_ages"]
    female = _female_index(sexes, opts.get("female"))
    dates = sorted({t for p in periods for t in p})
    kids = np.zeros(shape[:2])
    mothers = np.zeros(shape[:2])
    for t in dates:
        arr = arrays[t]
        present = ~np.isnan(arr).any(axis=(1, 2))
        m = _mothers(np.nan_to_num(arr), lo, hi, female)
        kids[present] += np.nan_to_num(arr)[present, :, 0]
        mothers[present] += m[present, None]
    child_city = np.divide(
        kids.sum(axis=0), mothers.sum(axis=0), out=np.zeros(shape[1]), where=mothers.sum(0) > 0
    )
    exp_kids = mothers * child_city[None]
    raw_c = np.divide(kids, exp_kids, out=np.ones_like(kids), where=exp_kids > 0)
    w_c = exp_kids / (exp_kids + k) if k > 0 else np.ones_like(exp_kids)
    child_rel = np.clip(1.0 + w_c * (raw_c - 1.0), 1.0 - cap, 1.0 + cap)
    return _Model(ratio_city, rel, child_city, child_rel, (lo, hi), female, periods)


def _mothers(arr: np.ndarray, lo: int, hi: int, female: int | None) -> np.ndarray:
    top = arr.shape[-1] - 1
    if hi > top:
        raise _fail(
            f"Altersgruppen bis {top} Jahre reichen nicht für das Alter der Mütter ({lo} bis unter {hi})",
            hint="offene Altersgruppe nicht vor 50 Jahren beginnen lassen",
        )
    sel = arr[:, female, lo:hi] if female is not None else arr[:, :, lo:hi].sum(axis=1)
    return sel.sum(axis=-1)


def _step(pop: np.ndarray, model: _Model, k: int, damping: float) -> np.ndarray:
    """One year forward; ``k`` = 1 for the first projected year (area deviations damped by damping ** (k−1))."""
    rel = 1.0 + (model.rel - 1.0) * damping ** (k - 1)
    ratio = model.ratio_city[None] * rel
    moved = pop * ratio
    out = np.empty_like(pop)
    top = pop.shape[-1] - 1
    out[..., 1:top] = moved[..., : top - 1]
    out[..., top] = moved[..., top - 1] + moved[..., top]
    mothers = _mothers(out, *model.mothers, model.female)
    child_rel = 1.0 + (model.child_rel - 1.0) * damping ** (k - 1)
    out[..., 0] = mothers[:, None] * model.child_city[None] * child_rel
    return out


def _hamilton_perry(
    arrays: dict[int, np.ndarray], order: list[int], sexes: list[str], target: int, opts: dict[str, Any]
) -> tuple[np.ndarray, _Model]:
    model = _estimate(arrays, order, sexes, opts)
    pop = np.nan_to_num(arrays[order[-1]])
    for k in range(1, target - order[-1] + 1):
        pop = _step(pop, model, k, float(opts["damping"]))
    return pop, model


def _control(pop: np.ndarray, total: Any, target: int) -> np.ndarray:
    if total is None:
        return pop
    if isinstance(total, Mapping):
        try:
            value = float(_lookup(total, target))
        except KeyError as exc:
            raise ConfigError(f"Eckwert für {target} fehlt", where="control_total") from exc
    else:
        value = float(total)
    if not math.isfinite(value) or value <= 0:
        raise ConfigError(f"Eckwert {value} ist keine positive Einwohnerzahl", where="control_total")
    s = pop.sum()
    return pop * (value / s) if s > 0 else pop


# ----------------------------------------------------------------------------------------------------------
# public functions


def _prepare(
    stocks: Mapping[Any, Any], base_year: int, target_year: int | None, cache: dict[int, _Year] | None = None
) -> tuple[list[int], dict[int, _Year]]:
    years = _check_years(stocks)
    used = sorted(y for y in years if y <= base_year)
    if base_year not in used:
        raise _fail(
            f"kein Bestand zum Basisjahr {base_year}", hint="Basisjahr aus den vorhandenen Stichtagen wählen"
        )
    if len(used) < 2:
        raise _fail(
            f"mindestens zwei Stichtage bis zum Basisjahr {base_year} nötig, vorhanden: {used[0]}",
            hint="einen früheren Bestand ergänzen oder ein späteres Basisjahr wählen",
        )
    read: dict[int, _Year] = {}
    for y in used:
        if cache is not None and y in cache:
            read[y] = cache[y]
        else:
            read[y] = _read_year(y, _lookup(stocks, y))
            if cache is not None:
                cache[y] = read[y]
    sexes = read[base_year].sexes
    for y in used:
        if read[y].sexes != sexes:
            raise _fail(
                f"Geschlechter {read[y].sexes} in {y} weichen von {sexes} im Basisjahr ab",
                hint="alle Stichtage gleich gliedern (mit oder ohne Geschlecht)",
            )
    return used, read


def _project(
    read: dict[int, _Year], used: list[int], target: int, method: str, opts: dict[str, Any]
) -> tuple[np.ndarray, pd.Index, list[str], int, dict[str, Any]]:
    base = used[-1]
    areas = read[base].areas
    sexes = read[base].sexes
    top = min(read[y].open_start for y in used)
    horizon = target - base
    info: dict[str, Any] = {"method": method, "top_age": top}
    if method == "hamilton-perry":
        order = used[-int(opts["periods"]) - 1 :]
        arrays = _aligned(read, order, areas, top)
        pop, model = _hamilton_perry(arrays, order, sexes, target, opts)
        info["base_periods"] = model.periods
        info["youngest"] = "child-woman ratio" if model.female is not None else "child-adult ratio"
    elif method == "constant":
        pop = _fold(read[base].data, top).copy()
        info["base_periods"] = []
    elif method == "trend":
        prev = used[-2]
        arrays = _aligned(read, [prev, base], areas, top)
        p0, p1 = arrays[prev].sum(axis=(1, 2)), arrays[base].sum(axis=(1, 2))
        growth = np.where(np.nan_to_num(p0) > 0, p1 / np.where(p0 > 0, p0, 1.0), 1.0) ** (1.0 / (base - prev))
        pop = arrays[base] * (growth**horizon)[:, None, None]
        info["base_periods"] = [(prev, base)]
    else:
        raise ConfigError(f"unbekannte Methode „{method}“; möglich: {', '.join(METHODS)}", where="method")
    pop = _control(pop, opts.get("control_total"), target)
    return pop, areas, sexes, top, info


def _check_options(options: dict[str, Any]) -> dict[str, Any]:
    allowed = set(DEFAULTS) | {"female", "control_total"}
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise ConfigError(
            f"unbekannte Option(en) {', '.join(unknown)}; möglich: {', '.join(sorted(allowed))}",
            where="options",
        )
    opts = {**DEFAULTS, **options}
    if int(opts["periods"]) < 1:
        raise ConfigError("periods muss mindestens 1 sein", where="periods")
    if not 0.0 <= float(opts["damping"]) <= 1.0:
        raise ConfigError("damping muss zwischen 0 und 1 liegen", where="damping")
    if not 0.0 <= float(opts["cap"]) < 1.0:
        raise ConfigError("cap muss zwischen 0 und unter 1 liegen", where="cap")
    if float(opts["shrink"]) < 0:
        raise ConfigError("shrink darf nicht negativ sein", where="shrink")
    try:
        lo, hi = (int(x) for x in opts["mother_ages"])
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            "mother_ages muss ein Paar (von, bis unter) sein, z. B. (15, 50)", where="mother_ages"
        ) from exc
    if not 1 <= lo < hi:
        raise ConfigError(
            f"mother_ages ({lo}, {hi}): 1 ≤ von < bis nötig, z. B. (15, 50)", where="mother_ages"
        )
    opts["mother_ages"] = (lo, hi)
    return opts


def _band_sums(single: np.ndarray, labels: Sequence[Any], top: int) -> np.ndarray:
    """Aggregate single years (…, top + 1) to the given band labels; NaN for bands not representable."""
    out = np.full(single.shape[:-1] + (len(labels),), np.nan)
    for k, lab in enumerate(labels):
        m = _BAND.match(str(lab))
        if m:
            lo, hi = int(m.group(1)), int(m.group(2))
            if hi <= top:
                out[..., k] = single[..., lo:hi].sum(axis=-1)
        else:
            lo = int(_OPEN.match(str(lab)).group(1))
            if lo <= top:
                out[..., k] = single[..., lo:].sum(axis=-1)
    return out


def _errors(frame: pd.DataFrame) -> pd.DataFrame:
    frame["error"] = frame["projected"] - frame["observed"]
    obs = frame["observed"].to_numpy(dtype=float)
    ok = np.isfinite(obs) & (obs > 0)
    frame["ape"] = np.divide(
        np.abs(frame["error"].to_numpy(dtype=float)) * 100, obs, out=np.full(len(obs), np.nan), where=ok
    )
    return frame


def project_stocks(
    stocks: Mapping[int, pd.DataFrame], base_year: int, target_year: int, **options: Any
) -> pd.DataFrame:
    """Project population stocks by area and age band from ``base_year`` to ``target_year`` (Hamilton–Perry).

    Parameters
    ----------
    stocks : mapping of int to pandas.DataFrame
        Reference year → stock table indexed by area id, columns age bands ``"a-b"`` (a to under b completed
        years) and an open last band ``"a+"``; optionally a column MultiIndex ``(sex, band)``. Only years
        ≤ ``base_year`` are read.
    base_year, target_year : int
        Start year (a key of ``stocks``) and the projected year (> base_year).
    **options
        ``method`` is not accepted here (always Hamilton–Perry); the model options are those of
        :func:`backtest_stocks`.

    Returns
    -------
    pandas.DataFrame
        Indexed by area id, columns the single years ``"0-1"`` … and the open group ``"top+"`` (with a
        ``(sex, band)`` MultiIndex when the stocks have sexes); ``attrs`` as in :func:`backtest_stocks`.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.projection import project_stocks
    >>> cols = ["0-15", "15-50", "50+"]
    >>> s = {2020: pd.DataFrame([[150, 350, 300]], index=["A"], columns=cols),
    ...      2021: pd.DataFrame([[150, 350, 300]], index=["A"], columns=cols)}
    >>> out = project_stocks(s, 2021, 2023)
    >>> round(float(out.sum(axis=1).iloc[0]), 6)
    800.0
    """
    if "method" in options:
        raise ConfigError(
            "project_stocks rechnet immer nach Hamilton–Perry; method weglassen", where="method"
        )
    base_year, target_year = int(base_year), int(target_year)
    if target_year <= base_year:
        raise ConfigError(
            f"Zieljahr {target_year} muss nach dem Basisjahr {base_year} liegen", where="target_year"
        )
    opts = _check_options(options)
    used, read = _prepare(stocks, base_year, None)
    pop, areas, sexes, top, info = _project(read, used, target_year, "hamilton-perry", opts)
    labels = [f"{a}-{a + 1}" for a in range(top)] + [f"{top}+"]
    if sexes == ["insgesamt"]:
        out = pd.DataFrame(pop[:, 0, :], index=areas, columns=labels)
    else:
        cols = pd.MultiIndex.from_product([sexes, labels], names=["sex", "band"])
        out = pd.DataFrame(pop.reshape(len(areas), -1), index=areas, columns=cols)
    out.attrs.update(info, base_year=base_year, target_year=target_year, graduation="pchip-cumulative")
    return out


def backtest_stocks(
    stocks: Mapping[int, pd.DataFrame],
    base_year: int,
    target_year: int,
    *,
    method: str = "hamilton-perry",
    by: str = "area",
    **options: Any,
) -> pd.DataFrame:
    """Project from the stocks up to ``base_year`` and compare with the observed stock of ``target_year``.

    Parameters
    ----------
    stocks : mapping of int to pandas.DataFrame
        Reference year → stock table. Each table is indexed by area id (converted to str) and has one column
        per age band, labelled ``"a-b"`` (half-open [a, b) in completed years) with a last open band ``"a+"``,
        holding persons. Optionally the columns are a MultiIndex ``(sex, band)``; all years up to the base
        year must then have the same sexes. Bands may differ between years and need not have equal widths.
        Only years ≤ ``base_year`` are read for the projection, and ``target_year`` for the observation; other
        (later) years are never touched.
    base_year, target_year : int
        Base year (a key of ``stocks``, at least one earlier year needed) and target year (a key, later).
    method : {"hamilton-perry", "constant", "trend"}, default "hamilton-perry"
        The cohort-change-ratio projection or a naive baseline: ``"constant"`` keeps each area's base stock;
        ``"trend"`` continues each area's growth of the last base period (compound, per year).
    by : {"area", "band"}, default "area"
        ``"area"``: one row per area. ``"band"``: long form indexed by ``(area_id, band)`` with one row per
        band of the target stock (sexes added up) that the projection can represent (bands reaching beyond
        the model's open group are left out).
    **options
        Options of the Hamilton–Perry model (defaults in :data:`DEFAULTS`): ``periods`` (int, 5) number of most
        recent base periods whose ratios are pooled; ``window`` (int, 5) age window over which an area's
        deviation from the city-wide ratio is pooled; ``shrink`` (float, 200) expected persons at which a
        deviation is shrunk halfway (single age toward the age window, age window toward the city); ``cap`` (float, 0.25) largest relative deviation of an
        area's annual ratio (and child ratio) from the city's; ``damping`` (float, 0.9)
        factor by which area deviations fade per projected year; ``mother_ages`` ((int, int), (15, 50));
        ``female`` (sex label of women, recognised automatically from w/f/female/weiblich/2);
        ``control_total`` (number or mapping year → number: the city total of the target year; all cells are
        scaled proportionally).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``area_id`` (or ``(area_id, band)``), columns ``base`` (stock in the base year; NaN for
        bands in the band form), ``projected``, ``observed`` (NaN for areas missing in the target year),
        ``error`` (projected − observed, persons) and ``ape`` (|error| / observed · 100, in %; NaN when observed
        is 0 or missing). ``attrs``: ``method``, ``base_year``, ``target_year``, ``horizon``, ``base_periods``
        (list of (t0, t1)), ``top_age`` (start of the model's open group), ``graduation`` and for
        Hamilton–Perry ``youngest`` (child–woman or child–adult ratio).

    Raises
    ------
    ConfigError
        For a target year not after the base year, unknown method, ``by`` or options.
    DataValidationError
        For malformed stocks (band labels, gaps, negative or missing counts, duplicate areas), a missing
        base or target year, fewer than two years up to the base year, or areas of the target year that do not
        exist in the base year.

    See Also
    --------
    backtest_summary : All feasible windows, by horizon and size class, with empirical error bands.

    Notes
    -----
    docs/METHODEN.md, Abschnitte „Prognose aus Beständen (Hamilton–Perry)“ und „Rückrechnung aus Beständen“.
    Bands are graduated to single years by monotone cubic interpolation (PCHIP) of the cumulative counts;
    annual cohort-change ratios P(t+1, a+1) / P(t, a) are pooled over the base periods city-wide by sex and
    age; each area's deviation from them (observed / expected at the city's ratios) is shrunk toward its
    deviation over an age window and that toward the city, capped, and damped per projected year; the youngest
    age comes from the ratio of children aged 0 to women (or persons) aged 15–49.

    Examples
    --------
    A stationary city of two areas (same stock in 2020 and 2021) stays stationary; 2023 was observed with 10
    more persons aged 0–14 in area B, so B's error is −10 persons, 10 / 810 · 100 = 1.234568 %:

    >>> import pandas as pd
    >>> from workbench.projection import backtest_stocks
    >>> cols = ["0-15", "15-50", "50+"]
    >>> same = pd.DataFrame([[150, 350, 300], [150, 350, 300]], index=["A", "B"], columns=cols)
    >>> later = same.copy()
    >>> later.loc["B", "0-15"] = 160
    >>> res = backtest_stocks({2020: same, 2021: same, 2023: later}, base_year=2021, target_year=2023)
    >>> res[["projected", "observed", "ape"]].round(6).values.tolist()
    [[800.0, 800.0, 0.0], [800.0, 810.0, 1.234568]]
    >>> res.attrs["method"], res.attrs["horizon"], res.attrs["base_periods"]
    ('hamilton-perry', 2, [(2020, 2021)])
    >>> bands = backtest_stocks({2020: same, 2021: same, 2023: later}, 2021, 2023, by="band")
    >>> bands.loc[("B", "0-15"), ["projected", "observed"]].round(6).tolist()
    [150.0, 160.0]
    """
    return _backtest(stocks, base_year, target_year, method, by, options, None)


def _backtest(
    stocks: Mapping[Any, Any],
    base_year: int,
    target_year: int,
    method: str,
    by: str,
    options: dict[str, Any],
    cache: dict[int, _Year] | None,
    raw: bool = False,
) -> Any:
    base_year, target_year = int(base_year), int(target_year)
    if target_year <= base_year:
        raise ConfigError(
            f"Zieljahr {target_year} muss nach dem Basisjahr {base_year} liegen", where="target_year"
        )
    if by not in ("area", "band"):
        raise ConfigError(f"by muss „area“ oder „band“ sein, nicht „{by}“", where="by")
    if method not in METHODS:
        raise ConfigError(f"unbekannte Methode „{method}“; möglich: {', '.join(METHODS)}", where="method")
    opts = _check_options(options)
    years = _check_years(stocks)
    if target_year not in years:
        raise _fail(
            f"kein Bestand zum Zieljahr {target_year}", hint="Zieljahr aus den vorhandenen Stichtagen wählen"
        )
    used, read = _prepare(stocks, base_year, target_year, cache)
    pop, areas, sexes, top, info = _project(read, used, target_year, method, opts)
    if cache is not None and target_year in cache:
        observed_year = cache[target_year]
    else:
        observed_year = _read_year(target_year, _lookup(stocks, target_year))
        if cache is not None:
            cache[target_year] = observed_year
    new = sorted(set(observed_year.areas) - set(areas))
    if new:
        raise _fail(
            f"Gebiet(e) im Zieljahr {target_year}, nicht im Basisjahr {base_year}: {', '.join(new[:5])}",
            hint="Gebietsgliederung hat sich geändert; Bestände auf eine Gliederung umschlüsseln",
        )
    if raw:  # fast path of backtest_summary: area totals as arrays
        idx = observed_year.areas.get_indexer(areas)
        totals = observed_year.bands.to_numpy().sum(axis=1)
        observed = np.where(idx >= 0, totals[np.maximum(idx, 0)], np.nan)
        return areas, _fold(read[base_year].data, top).sum(axis=(1, 2)), pop.sum(axis=(1, 2)), observed
    obs_bands = observed_year.bands.reindex(areas)
    base_total = _fold(read[base_year].data, top).sum(axis=(1, 2))
    info.update(base_year=base_year, target_year=target_year, horizon=target_year - base_year)
    info["graduation"] = "pchip-cumulative"
    if by == "area":
        frame = pd.DataFrame(
            {
                "base": base_total,
                "projected": pop.sum(axis=(1, 2)),
                "observed": obs_bands.sum(axis=1, min_count=1).to_numpy(dtype=float),
            },
            index=areas,
        )
    else:
        proj = _band_sums(pop.sum(axis=1), list(obs_bands.columns), top)
        keep = ~np.isnan(proj).all(axis=0)
        labels = [c for c, k in zip(obs_bands.columns, keep, strict=True) if k]
        index = pd.MultiIndex.from_product([areas, [str(c) for c in labels]], names=["area_id", "band"])
        frame = pd.DataFrame(
            {
                "base": np.nan,
                "projected": proj[:, keep].ravel(),
                "observed": obs_bands[labels].to_numpy(dtype=float).ravel(),
            },
            index=index,
        )
    frame = _errors(frame)
    frame.attrs.update(info)
    return frame


# ----------------------------------------------------------------------------------------------------------
# all windows: errors by horizon and size class, empirical bands

DEFAULT_SIZE_CLASSES = (0, 5_000, 20_000, 100_000)
"""Lower bounds of the area size classes (persons in the base year) of :func:`backtest_summary`."""


def _size_labels(bounds: Sequence[int]) -> list[str]:
    def fmt(x: int) -> str:
        return f"{int(x):,}".replace(",", ".")

    labels = []
    for lo, hi in zip(bounds, [*bounds[1:], None], strict=True):
        if hi is None:
            labels.append(f"{fmt(lo)} und mehr")
        elif lo == 0:
            labels.append(f"unter {fmt(hi)}")
        else:
            labels.append(f"{fmt(lo)} bis unter {fmt(hi)}")
    return labels


def backtest_summary(
    stocks: Mapping[int, pd.DataFrame],
    horizons: Sequence[int] = range(1, 11),
    *,
    base_years: Sequence[int] | None = None,
    methods: Sequence[str] = METHODS,
    size_classes: Sequence[int] = DEFAULT_SIZE_CLASSES,
    coverage: float = 0.8,
    min_past: int = 10,
    details: bool = False,
    **options: Any,
) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """Back-test every feasible window and summarise the errors by method, horizon and area size class.

    Parameters
    ----------
    stocks : mapping of int to pandas.DataFrame
        Stocks as for :func:`backtest_stocks`.
    horizons : sequence of int, default 1 … 10
        Horizons in years; a window (base year B, horizon h) is feasible when B has an earlier stock and
        B + h is a key of ``stocks``.
    base_years : sequence of int, optional
        Restrict the base years (default: all feasible).
    methods : sequence of str, default all of :data:`METHODS`
        Methods to compare (the naive baselines ``"constant"`` and ``"trend"`` included by default).
    size_classes : sequence of int, default (0, 5000, 20000, 100000)
        Lower bounds of the size classes by persons in the base year.
    coverage : float, default 0.8
        Nominal coverage of the empirical band: its half-width is this quantile of past absolute percentage
        errors (symmetric, since the sign of real errors changes between periods).
    min_past : int, default 10
        Least number of past errors (same method, horizon, size class, target year ≤ base year) needed to
        draw an area's band in a window; fewer → no band (not counted in ``within_band``).
    details : bool, default False
        Also return the per-area records of all windows.
    **options
        Model options of :func:`backtest_stocks`.

    Returns
    -------
    summary : pandas.DataFrame
        Indexed by ``(method, horizon, size_class)`` with ``size_class`` ``"alle"`` for all areas; columns
        ``windows`` (number of base years), ``n`` (area forecasts), ``mape`` and ``median_ape`` (%),
        ``mean_error`` (mean signed percentage error (projected − observed) / observed · 100: bias),
        ``within_band`` (share of area forecasts with |error| ≤ the band built only from errors known at the
        base year, in %; NaN when no band could be drawn), ``n_band`` (forecasts with a band) and ``band``
        (half-width q in % from all windows: the band of a current projection P of this horizon and size class
        is P / (1 + q/100) … P / (1 − q/100), about P · (1 ± q/100)).
    records : pandas.DataFrame
        Only with ``details=True``: one row per method, base year, horizon and area with ``base``,
        ``projected``, ``observed``, ``error``, ``pct_error``, ``ape``, ``size_class``, ``band`` (half-width
        known at the base year, %) and ``within`` (1/0, NaN without band).

    Examples
    --------
    A city growing by exactly 1 % per year in every area and age: the trend baseline is exact, keeping the
    population constant is 1 − 1/1.01 ≈ 0.990099 % too low per year:

    >>> import pandas as pd
    >>> from workbench.projection import backtest_summary
    >>> cols = ["0-15", "15-50", "50+"]
    >>> base = pd.DataFrame([[150.0, 350.0, 300.0]] * 2, index=["A", "B"], columns=cols)
    >>> stocks = {y: base * 1.01 ** (y - 2020) for y in range(2020, 2024)}
    >>> s = backtest_summary(stocks, horizons=[1], methods=["constant", "trend"])
    >>> s.loc[("constant", 1, "alle"), ["windows", "n", "mape"]].round(6).tolist()
    [2.0, 4.0, 0.990099]
    >>> round(float(s.loc[("trend", 1, "alle"), "mape"]), 6)
    0.0
    """
    if not 0 < float(coverage) < 1:
        raise ConfigError("coverage muss zwischen 0 und 1 liegen (z. B. 0.8)", where="coverage")
    for m in methods:
        if m not in METHODS:
            raise ConfigError(f"unbekannte Methode „{m}“; möglich: {', '.join(METHODS)}", where="methods")
    bounds = sorted(int(b) for b in size_classes)
    if not bounds or bounds[0] != 0:
        bounds = [0, *bounds]
    labels = _size_labels(bounds)
    years = sorted(_check_years(stocks))
    cache: dict[int, _Year] = {}
    cols: dict[str, list[Any]] = {
        k: [] for k in ("method", "base_year", "horizon", "area_id", "base", "projected", "observed")
    }
    for h in sorted({int(h) for h in horizons}):
        for b in years[1:]:
            if b + h not in years or (base_years is not None and b not in base_years):
                continue
            for m in methods:
                areas, base, projected, observed = _backtest(
                    stocks, b, b + h, m, "area", options, cache, raw=True
                )
                n = len(areas)
                for key, value in (("method", [m] * n), ("base_year", [b] * n), ("horizon", [h] * n)):
                    cols[key].extend(value)
                cols["area_id"].extend(areas)
                for key, arr in (("base", base), ("projected", projected), ("observed", observed)):
                    cols[key].extend(arr.tolist())
    if not cols["method"]:
        raise _fail(
            "kein Rückrechnungsfenster möglich",
            hint="mindestens drei Stichtage oder kürzere Horizonte angeben",
        )
    rec = pd.DataFrame(cols)
    rec = rec[rec["observed"] > 0].reset_index(drop=True)
    rec["error"] = rec["projected"] - rec["observed"]
    rec["pct_error"] = rec["error"] / rec["observed"] * 100
    rec["ape"] = rec["pct_error"].abs()
    rec["size_class"] = np.asarray(labels, dtype=object)[
        np.searchsorted(bounds, rec["base"].to_numpy(), side="right") - 1
    ]
    band = np.full(len(rec), np.nan)
    for _, idx in rec.groupby(["method", "horizon", "size_class"]).indices.items():
        base_y = rec["base_year"].to_numpy()[idx]
        target = base_y + rec["horizon"].to_numpy()[idx]
        err = rec["pct_error"].to_numpy()[idx]
        for b in np.unique(base_y):
            past = err[target <= b]
            if len(past) >= min_past:
                band[idx[base_y == b]] = float(np.quantile(np.abs(past), coverage))
    rec["band"] = band
    rec["within"] = np.where(np.isnan(band), np.nan, (rec["ape"].to_numpy() <= band).astype(float))

    def summarise(frame: pd.DataFrame) -> pd.Series:
        return pd.Series(
            {
                "windows": float(frame["base_year"].nunique()),
                "n": float(len(frame)),
                "mape": float(frame["ape"].mean()),
                "median_ape": float(frame["ape"].median()),
                "mean_error": float(frame["pct_error"].mean()),
                "within_band": float(frame["within"].mean() * 100)
                if frame["within"].notna().any()
                else np.nan,
                "n_band": float(frame["within"].notna().sum()),
                "band": float(frame["ape"].quantile(coverage)),
            }
        )

    parts = []
    for (m, h), grp in rec.groupby(["method", "horizon"], sort=False):
        parts.append(summarise(grp).rename((m, h, "alle")))
        for c in labels:
            sub = grp[grp["size_class"] == c]
            if len(sub):
                parts.append(summarise(sub).rename((m, h, c)))
    summary = pd.DataFrame(parts)
    summary.index = pd.MultiIndex.from_tuples(summary.index, names=["method", "horizon", "size_class"])
    summary.attrs.update(coverage=float(coverage), size_classes=labels, options=dict(options))
    if details:
        return summary, rec.reset_index(drop=True)
    return summary
