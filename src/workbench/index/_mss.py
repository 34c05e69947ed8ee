"""Implementation of the MSS index, class robustness and IMD-style domain index for :mod:`workbench.index`.

Private: import from :mod:`workbench.index`, whose docstring gives the overview; the methods are described in
the function docstrings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from workbench.errors import ConfigError, DataValidationError, TooFewAreasError

Z95 = 1.959964
"""Standard normal quantile for 95 % two-sided intervals."""

STATUS_LABELS = {1: "hoch", 2: "mittel", 3: "niedrig", 4: "sehr niedrig"}
"""MSS status classes (1 = high social status, i.e. low indicator values)."""

DYNAMIC_LABELS = {1: "positiv", 2: "stabil", 3: "negativ"}
"""MSS dynamic classes (1 = positive development, i.e. falling indicator values)."""

DYNAMIC_SIGNS = {1: "+", 2: "+/-", 3: "-"}
"""Notation of the dynamic class in the overall group, as in the official Berlin tables (``"2-"``, ``"1+/-"``)."""

BERLIN_DYNAMIC_CODES = {1: 1, 3: 2, 5: 3}
"""Official Berlin ``DI_N`` codes (1 positiv / 3 stabil / 5 negativ) → the 1/2/3 codes used here."""


def _zscore(values: np.ndarray, axis: int) -> np.ndarray:
    """z-values with mean and population SD (ddof = 0) along ``axis``."""
    mean = values.mean(axis=axis, keepdims=True)
    sd = values.std(axis=axis, ddof=0, keepdims=True)
    return (values - mean) / sd


def status_class(x: np.ndarray | pd.Series | float) -> np.ndarray:
    """MSS status class of Status-Index values: 1 (x < −1), 2 (−1 ≤ x ≤ 1), 3 (1 < x ≤ 1.5), 4 (x > 1.5).

    Parameters
    ----------
    x : float or array_like or pandas.Series
        Status-Index values (z-scores, unitless).

    Returns
    -------
    numpy.ndarray of int
        Class 1 hoch, 2 mittel, 3 niedrig or 4 sehr niedrig (:data:`STATUS_LABELS`) per value, shaped like ``x``
        (0-d for a scalar). NaN is not treated specially and ends in class 4: pass valid areas only, as
        :func:`mss_index` does.

    Raises
    ------
    ValueError, TypeError
        From NumPy, when the input cannot be converted to float.

    Notes
    -----
    Class bounds of the Berlin *Monitoring Soziale Stadtentwicklung* (docs/METHODEN.md, Abschnitt „Gestuftes
    Indexverfahren (Berliner MSS)“); the bounds −1 and 1 belong to class 2, 1.5 to class 3.

    Examples
    --------
    >>> import numpy as np
    >>> from workbench.index import status_class
    >>> status_class(np.array([-1.01, -1.0, 1.0, 1.2, 1.5, 1.51])).tolist()
    [1, 2, 2, 3, 3, 4]
    """
    x = np.asarray(x, dtype=float)
    return np.select([x < -1, x <= 1, x <= 1.5], [1, 2, 3], 4)


def dynamic_class(x: np.ndarray | pd.Series | float) -> np.ndarray:
    """MSS dynamic class of Dynamik-Index values: 1 positiv (x < −1), 2 stabil (−1 ≤ x ≤ 1), 3 negativ (x > 1).

    Parameters
    ----------
    x : float or array_like or pandas.Series
        Dynamik-Index values (z-scores of the summed changes, unitless).

    Returns
    -------
    numpy.ndarray of int
        Class 1, 2 or 3 (:data:`DYNAMIC_LABELS`) per value, shaped like ``x``. NaN ends in class 3: pass valid
        areas only.

    Raises
    ------
    ValueError, TypeError
        For input NumPy cannot convert to float (e.g. text).

    Notes
    -----
    Class bounds of the Berlin MSS (docs/METHODEN.md, Abschnitt „Gestuftes Indexverfahren (Berliner MSS)“).
    A *positive* dynamic means falling indicator values (less SGB II).

    Examples
    --------
    >>> import numpy as np
    >>> from workbench.index import dynamic_class
    >>> dynamic_class(np.array([-1.2, -1.0, 0.0, 1.0, 1.01])).tolist()
    [1, 2, 2, 2, 3]
    """
    x = np.asarray(x, dtype=float)
    return np.select([x < -1, x <= 1], [1, 2], 3)


def _mss_core(status_values: np.ndarray, dynamic_values: np.ndarray | None) -> dict[str, np.ndarray]:
    """The stepwise index on arrays shaped (..., areas, indicators); leading axes are independent replicates.

    ``dynamic_values`` None: status only (no ``dynamic_*`` entries).
    """
    out: dict[str, np.ndarray] = {}
    parts = [("status", status_values)]
    if dynamic_values is not None:
        parts.append(("dynamic", dynamic_values))
    for part, values in parts:
        z = _zscore(values, axis=-2)
        total = z.sum(axis=-1)
        index = _zscore(total, axis=-1)
        out[f"{part}_z"] = z
        out[f"{part}_sum"] = total
        out[f"{part}_index"] = index
    out["status_class"] = status_class(out["status_index"])
    if dynamic_values is not None:
        out["dynamic_class"] = dynamic_class(out["dynamic_index"])
    return out


def _check_columns(
    df: pd.DataFrame, columns: Sequence[str] | None, what: str, optional: bool = False
) -> list[str]:
    if columns is None:
        columns = []
    if isinstance(columns, str):
        columns = [columns]
    columns = list(columns)
    if not columns and optional:
        return columns
    if not columns:
        raise ConfigError(
            f"keine {what}-Indikatoren angegeben", where=what, hint="mindestens einen Indikator nennen"
        )
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ConfigError(
            f"{what}-Indikator(en) {', '.join(map(str, missing))} fehlen in der Tabelle",
            where=what,
            hint=f"vorhandene Spalten: {', '.join(map(str, df.columns))}",
        )
    return columns


def index_years(spec: Mapping, year: int) -> dict[str, tuple[int, ...]]:
    """The data years an MSS index of ``year`` needs: its status part and its dynamic part.

    Parameters
    ----------
    spec : mapping
        An MSS index spec of the index configuration (``status`` and ``dynamic`` entries as normalised by
        :func:`validate_index_config`; an entry is ``{"id": …}`` with an optional ``change_years`` k).
    year : int
        Reporting year of the index.

    Returns
    -------
    dict
        ``{"status": (year,), "dynamic": (…, year)}``: the sorted years of each part. A dynamic entry with
        ``change_years`` k is the change between two points in time, year − k and year; an entry without
        ``change_years`` is a ready-made value of ``year``.

    Raises
    ------
    KeyError, TypeError, ValueError
        For a spec without ``dynamic`` list or a ``change_years`` that is not a whole number.

    Notes
    -----
    The Dynamik-Index (and so the 12-group Gesamtindex) exists only when every dynamic year is in the data;
    otherwise the index is status only (:func:`mss_index` without ``dynamic``; docs/METHODEN.md, Abschnitt
    „Gestuftes Indexverfahren (Berliner MSS)“).

    Examples
    --------
    >>> from workbench.index import index_years
    >>> spec = {"status": [{"id": "sgb2_quote"}], "dynamic": [{"id": "sgb2_quote", "change_years": 2}]}
    >>> index_years(spec, 2024)
    {'status': (2024,), 'dynamic': (2022, 2024)}
    """
    dynamic = {int(year)} | {int(year) - int(e.get("change_years", 0)) for e in spec["dynamic"]}
    return {"status": (int(year),), "dynamic": tuple(sorted(dynamic))}


def valid_areas(
    df: pd.DataFrame,
    population: str | pd.Series | None = None,
    min_population: float = 300,
    exclude: Iterable | None = None,
) -> pd.Series:
    """Which areas take part in the MSS: population ≥ ``min_population`` and not listed in ``exclude``.

    The first step of :func:`mss_index`: only valid areas enter the means and standard deviations.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per area, index = area id.
    population : str or pandas.Series, optional
        Column of ``df`` with the inhabitants, or a Series aligned on the area id. None: no population rule.
    min_population : float, default 300
        Smallest population of a valid area (persons; the MSS uses 300).
    exclude : iterable, optional
        Area ids kept out of the index (e.g. institutions, known outliers).

    Returns
    -------
    pandas.Series of bool
        True for valid areas, indexed like ``df``. Areas with unknown population (NaN) are not valid.

    Raises
    ------
    ConfigError
        When ``population`` names a column that does not exist.

    Notes
    -----
    Step 1 of the Berlin MSS (docs/METHODEN.md, Abschnitt „Gestuftes Indexverfahren (Berliner MSS)“).

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.index import valid_areas
    >>> df = pd.DataFrame({"ew": [5000, 250, None, 800]}, index=["0101", "0102", "0103", "0104"])
    >>> valid_areas(df, "ew", exclude=["0104"]).tolist()
    [True, False, False, False]
    """
    valid = pd.Series(True, index=df.index)
    if population is not None:
        if isinstance(population, str):
            if population not in df.columns:
                raise ConfigError(f"Einwohnerspalte {population!r} fehlt", where="population")
            pop = df[population]
        else:
            pop = pd.Series(population).reindex(df.index)
        pop = pd.to_numeric(pop, errors="coerce")
        valid &= (pop >= min_population).fillna(False).astype(bool)
    if exclude is not None:
        valid &= ~df.index.isin(list(exclude))
    return valid


def mss_index(
    df: pd.DataFrame,
    status: Sequence[str],
    dynamic: Sequence[str] | None = None,
    population: str | pd.Series | None = None,
    min_population: float = 300,
    exclude: Iterable | None = None,
) -> pd.DataFrame:
    """Berlin MSS stepwise z-index: Status-Index, Dynamik-Index and the 12-group Gesamtindex.

    Without dynamic indicators (``dynamic`` None or empty, e.g. with only one year of data) the result is the
    **status-only index**: Status-Index and the 4 status classes as usual, no Dynamik-Index and no Gesamtindex.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per area (index = unique area id) with the indicator columns named in ``status`` and
        ``dynamic``. All indicators are "higher = worse".
    status : sequence of str
        Status indicators (shares in %, e.g. SGB II share of residents).
    dynamic : sequence of str, optional
        Dynamic indicators (their changes, in percentage points, e.g. over two years). None or empty: status
        only — a change needs two points in time, so a city with one year of data has no dynamic indicators.
    population : str or pandas.Series, optional
        Inhabitants per area for the validity rule (see :func:`valid_areas`).
    min_population : float, default 300
        Smallest population of a valid area (persons).
    exclude : iterable, optional
        Area ids kept out of the index.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``df`` with ``z_<indicator>`` (z-scores), ``status_sum``, ``status_index``,
        ``status_class`` (Int64, 1 … 4), ``dynamic_sum``, ``dynamic_index``, ``dynamic_class`` (Int64, 1 … 3),
        ``overall_class`` (official Berlin notation: status digit + ``"+"`` positiv, ``"+/-"`` stabil or ``"-"``
        negativ, e.g. ``"2-"``), ``overall_label`` (e.g. ``"Status mittel, Dynamik negativ"``) and ``valid``
        (bool). Invalid areas have NaN / <NA>; all statistics use only the valid areas. Status only: the
        same columns, with ``dynamic_sum`` and ``dynamic_index`` NaN and ``dynamic_class``, ``overall_class``
        and ``overall_label`` <NA> in every area (not computed, not "nicht bewertet").

    Raises
    ------
    ConfigError
        When no status indicator is given or a named column is missing.
    DataValidationError
        For duplicate area ids, fewer than 3 valid areas, a missing indicator value in a valid area, or an
        indicator that is the same in all valid areas (z-scores undefined).

    See Also
    --------
    class_stability : Robustness of the classes against the indicators' sampling error.
    run_index_config : The same, driven by ``config/index.yaml``.

    Notes
    -----
    z = (x − mean) / SD with the *population* SD (ddof = 0) per indicator over the valid areas;
    ``status_sum`` = Σ z; ``status_index`` = z of the sum; :func:`status_class` and :func:`dynamic_class` cut the
    indices (Senatsverwaltung für Stadtentwicklung Berlin, *Monitoring Soziale Stadtentwicklung 2021*;
    docs/METHODEN.md, Abschnitt „Gestuftes Indexverfahren (Berliner MSS)“). The status part does not depend on
    the dynamic part: the status-only index equals the status columns of the full index.

    Examples
    --------
    Five areas, two status indicators and one dynamic indicator. By hand: s1 has mean 6 and SD √8 = 2.828427,
    so z_s1 = ±1.414214, ±0.707107, 0; s2 has mean 2 and SD 2, so z_s2 = −0.5 (four times) and 2. Their sums
    −1.914214, −1.207107, −0.5, 0.207107, 3.414214 have mean 0 and SD 1.847759; divided by it they give the
    Status-Index. d1 has SD √0.1 = 0.316228, so its z-values are ±1.581139 and 0.

    >>> import pandas as pd
    >>> from workbench.index import mss_index
    >>> df = pd.DataFrame({"s1": [2.0, 4, 6, 8, 10], "s2": [1.0, 1, 1, 1, 6], "d1": [0.5, 0, 0, 0, -0.5]},
    ...                   index=["A", "B", "C", "D", "E"])
    >>> r = mss_index(df, status=["s1", "s2"], dynamic=["d1"])
    >>> r["z_s1"].round(6).tolist(), r["z_s2"].round(6).tolist()
    ([-1.414214, -0.707107, 0.0, 0.707107, 1.414214], [-0.5, -0.5, -0.5, -0.5, 2.0])
    >>> r["status_index"].round(6).tolist()
    [-1.035965, -0.653281, -0.270598, 0.112085, 1.847759]
    >>> r["dynamic_index"].round(6).tolist()
    [1.581139, 0.0, 0.0, 0.0, -1.581139]
    >>> r["overall_class"].tolist()
    ['1-', '2+/-', '2+/-', '2+/-', '4+']
    >>> r.loc["E", "overall_label"]
    'Status sehr niedrig, Dynamik positiv'

    Status only (one year of data): the same Status-Index and classes (−1.035965 < −1 → class 1, 1.847759 > 1.5
    → class 4), no dynamics and no overall group:

    >>> s = mss_index(df, status=["s1", "s2"])
    >>> s["status_index"].round(6).tolist(), s["status_class"].tolist()
    ([-1.035965, -0.653281, -0.270598, 0.112085, 1.847759], [1, 2, 2, 2, 4])
    >>> [bool(s[c].isna().all()) for c in ("dynamic_index", "dynamic_class", "overall_class")]
    [True, True, True]
    """
    status = _check_columns(df, status, "status")
    dynamic = _check_columns(df, dynamic, "dynamic", optional=True)
    if df.index.has_duplicates:
        dups = df.index[df.index.duplicated()].unique().tolist()[:5]
        raise DataValidationError(f"Gebiets-IDs doppelt: {dups}", hint="je Gebiet genau eine Zeile übergeben")
    valid = valid_areas(df, population, min_population, exclude)
    n_valid = int(valid.sum())
    if n_valid < 3:
        least = f"{min_population:,.0f}".replace(",", ".")
        raise TooFewAreasError(
            f"nur {n_valid} Sozialräume erfüllen die Bedingungen des Index (bekannte und veröffentlichte "
            f"Einwohnerzahl von mindestens {least}, nicht ausgeschlossen), nötig sind 3",
            hint="Mindesteinwohnerzahl oder Ausschlüsse prüfen",
        )
    indicators = list(dict.fromkeys(status + dynamic))
    values = df.loc[valid, indicators].apply(pd.to_numeric, errors="coerce")
    bad = values.isna()
    if bad.to_numpy().any():
        col = bad.any().idxmax()
        ids = values.index[bad[col]].tolist()[:5]
        raise DataValidationError(
            f"Indikator {col!r} fehlt für gültige Gebiete {ids}",
            where=f"Spalte {col}",
            hint="Werte ergänzen oder die Gebiete über exclude / Mindesteinwohnerzahl ausschließen",
        )
    sd = values.std(ddof=0)
    if (sd == 0).any():
        col = sd.index[(sd == 0).to_numpy()][0]
        raise DataValidationError(
            f"Indikator {col!r} ist in allen gültigen Gebieten gleich; z-Werte nicht berechenbar",
            where=f"Spalte {col}",
            hint="Indikator aus dem Index nehmen",
        )
    core = _mss_core(values[status].to_numpy(float), values[dynamic].to_numpy(float) if dynamic else None)
    out = pd.DataFrame(index=df.index)
    for j, col in enumerate(status):
        out[f"z_{col}"] = pd.Series(core["status_z"][:, j], index=values.index)
    for j, col in enumerate(dynamic):
        if f"z_{col}" not in out:
            out[f"z_{col}"] = pd.Series(core["dynamic_z"][:, j], index=values.index)
    for part in ("status", "dynamic"):
        if f"{part}_index" not in core:  # status only: the dynamic part is not computed
            out[f"{part}_sum"] = np.nan
            out[f"{part}_index"] = np.nan
            out[f"{part}_class"] = pd.Series(pd.NA, index=df.index, dtype="Int64")
            continue
        out[f"{part}_sum"] = pd.Series(core[f"{part}_sum"], index=values.index)
        out[f"{part}_index"] = pd.Series(core[f"{part}_index"], index=values.index)
        out[f"{part}_class"] = pd.Series(core[f"{part}_class"], index=values.index).astype("Int64")
    # the column order the docstring promises
    out = out[
        [c for c in out.columns if c.startswith("z_")]
        + ["status_sum", "status_index", "status_class", "dynamic_sum", "dynamic_index", "dynamic_class"]
    ]
    sc, dc = out["status_class"], out["dynamic_class"]
    overall = pd.Series(pd.NA, index=df.index, dtype="object")
    label = pd.Series(pd.NA, index=df.index, dtype="object")
    idx = valid[valid].index if dynamic else valid.index[:0]
    overall[idx] = [f"{s}{DYNAMIC_SIGNS[d]}" for s, d in zip(sc[idx], dc[idx], strict=True)]
    label[idx] = [
        f"Status {STATUS_LABELS[s]}, Dynamik {DYNAMIC_LABELS[d]}"
        for s, d in zip(sc[idx], dc[idx], strict=True)
    ]
    out["overall_class"] = overall
    out["overall_label"] = label
    out["valid"] = valid
    return out


def class_stability(
    values: pd.DataFrame,
    lower: pd.DataFrame,
    upper: pd.DataFrame,
    status: Sequence[str],
    dynamic: Sequence[str] | None,
    n_draws: int = 500,
    seed: int = 0,
    threshold: float = 0.8,
    **mss_kwargs,
) -> pd.DataFrame:
    """Monte-Carlo robustness of each area's MSS classes against the sampling error of its indicators.

    Tells which classes of :func:`mss_index` could as well be a neighbouring class, given the 95 % intervals of
    the indicators (e.g. Wilson intervals of small shares).

    Parameters
    ----------
    values : pandas.DataFrame
        Point values as for :func:`mss_index` (one row per area, indicator columns).
    lower, upper : pandas.DataFrame
        95 % interval limits of the indicators, same index and indicator columns as ``values`` (upper ≥ lower;
        width 0 for exact values).
    status, dynamic : sequence of str
        Status and dynamic indicator columns; ``dynamic`` None or empty: status only (as in :func:`mss_index`).
    n_draws : int, default 500
        Number of Monte-Carlo draws, ≥ 10.
    seed : int, default 0
        Seed of ``numpy.random.default_rng``; the result is deterministic for a fixed seed.
    threshold : float, default 0.8
        Share of draws below which a class counts as unstable.
    **mss_kwargs
        ``population``, ``min_population``, ``exclude`` for :func:`mss_index`.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``values``: ``status_class``, ``dynamic_class`` (point estimate), ``status_share`` and
        ``dynamic_share`` (share 0 … 1 of the draws that keep that class) and ``unstable`` (boolean: either share
        < ``threshold``). Invalid areas get NaN / <NA>. Status only: ``dynamic_class`` <NA> and ``dynamic_share``
        NaN everywhere; ``unstable`` is the status share < ``threshold``.

    Raises
    ------
    ConfigError
        For ``n_draws`` < 10 or missing interval columns.
    DataValidationError
        For missing interval limits of valid areas, upper < lower, and the errors of :func:`mss_index`.

    Notes
    -----
    Each indicator of each valid area is drawn from a normal distribution with mean = the point value and
    sd = (upper − lower) / (2 · 1.959964). The whole index (z-values, sums, classes) is recomputed per draw,
    vectorised over the draws; validity stays that of the point values (docs/METHODEN.md, Abschnitt „Robustheit
    der Klassen“).

    Examples
    --------
    With intervals of width 0 every draw reproduces the point classes (shares exactly 1):

    >>> import pandas as pd
    >>> from workbench.index import class_stability
    >>> v = pd.DataFrame({"s": [2.0, 4, 6, 8, 10], "d": [0.5, 0, 0, 0, -0.5]}, index=["A", "B", "C", "D", "E"])
    >>> r = class_stability(v, v, v, ["s"], ["d"], n_draws=50)
    >>> r["status_share"].tolist(), r["unstable"].tolist()
    ([1.0, 1.0, 1.0, 1.0, 1.0], [False, False, False, False, False])

    s ± 2 percentage points: area E (status index 1.41, close to the bound 1.5) keeps its class in only
    about 60 % of the draws, area C (index 0) in all:

    >>> half = pd.Series({"s": 2.0, "d": 0.0})
    >>> r = class_stability(v, v - half, v + half, ["s"], ["d"], n_draws=200, seed=1)
    >>> r["status_share"].tolist(), r["unstable"].tolist()
    ([0.945, 0.905, 1.0, 0.865, 0.605], [False, False, False, False, True])

    The status classes are drawn first, so the status-only index gives the same status shares:

    >>> s = class_stability(v, v - half, v + half, ["s"], None, n_draws=200, seed=1)
    >>> s["status_share"].tolist(), bool(s["dynamic_share"].isna().all())
    ([0.945, 0.905, 1.0, 0.865, 0.605], True)
    """
    if n_draws < 10:
        raise ConfigError("n_draws muss mindestens 10 sein", where="n_draws")
    base = mss_index(values, status, dynamic, **mss_kwargs)
    valid = base["valid"]
    status = list(status) if not isinstance(status, str) else [status]
    dynamic = [] if dynamic is None else list(dynamic) if not isinstance(dynamic, str) else [dynamic]
    idx = valid[valid].index
    sds = {}
    for part, cols in (("status", status), ("dynamic", dynamic)):
        if not cols:
            continue
        missing = [c for c in cols if c not in lower.columns or c not in upper.columns]
        if missing:
            raise ConfigError(
                f"Intervallgrenzen fehlen für {missing}",
                where="lower/upper",
                hint="je Indikator lower und upper",
            )
        lo = lower.reindex(idx)[cols].apply(pd.to_numeric, errors="coerce")
        hi = upper.reindex(idx)[cols].apply(pd.to_numeric, errors="coerce")
        if lo.isna().to_numpy().any() or hi.isna().to_numpy().any():
            raise DataValidationError(
                "Intervallgrenzen fehlen für gültige Gebiete",
                where=part,
                hint="für jedes gültige Gebiet lower und upper angeben (0-Breite, wenn exakt)",
            )
        if (hi.to_numpy() < lo.to_numpy()).any():
            raise DataValidationError("obere Intervallgrenze kleiner als untere", where=part)
        sds[part] = (hi.to_numpy(float) - lo.to_numpy(float)) / (2 * Z95)
    rng = np.random.default_rng(seed)
    point_s = values.loc[idx, status].to_numpy(float)
    draw_s = point_s + rng.standard_normal((n_draws, *point_s.shape)) * sds["status"]
    draw_d = None
    if dynamic:
        point_d = values.loc[idx, dynamic].to_numpy(float)
        draw_d = point_d + rng.standard_normal((n_draws, *point_d.shape)) * sds["dynamic"]
    core = _mss_core(draw_s, draw_d)
    base_s = base.loc[idx, "status_class"].to_numpy(int)
    out = pd.DataFrame(index=values.index)
    out["status_class"] = base["status_class"]
    out["dynamic_class"] = base["dynamic_class"]
    out["status_share"] = pd.Series((core["status_class"] == base_s).mean(axis=0), index=idx)
    if dynamic:
        base_d = base.loc[idx, "dynamic_class"].to_numpy(int)
        out["dynamic_share"] = pd.Series((core["dynamic_class"] == base_d).mean(axis=0), index=idx)
    else:
        out["dynamic_share"] = np.nan
    unstable = (out["status_share"] < threshold) | (out["dynamic_share"] < threshold)
    out["unstable"] = unstable.astype("boolean").where(valid, pd.NA)
    return out


def imd_transform(rank_share: np.ndarray | pd.Series) -> np.ndarray:
    """IMD exponential transformation of rank shares: X = −23 · ln(1 − R · (1 − e^(−100/23))).

    Parameters
    ----------
    rank_share : float or array_like or pandas.Series
        R = rank / N in (0, 1], R → 1 for the most deprived area.

    Returns
    -------
    numpy.ndarray of float
        X in (0, 100] (0-d for a scalar); R = 1 gives exactly 100.

    Raises
    ------
    ValueError, TypeError
        From NumPy, for rank shares that are not numbers.

    Notes
    -----
    The transformation stretches the deprived end, so that a low score in one domain cannot fully cancel a high
    one in another (MHCLG 2019, *The English Indices of Deprivation 2019 – Technical Report*; docs/METHODEN.md,
    Abschnitt „Domänenindex nach dem englischen IMD“).

    Examples
    --------
    By hand: e^(−100/23) = 0.012935, so R = 0.5 gives −23 · ln(0.506468) = 15.6468:

    >>> from workbench.index import imd_transform
    >>> round(float(imd_transform(1.0)), 6), round(float(imd_transform(0.5)), 4), round(float(imd_transform(0.1)), 4)
    (100.0, 15.6468, 2.3903)
    """
    r = np.asarray(rank_share, dtype=float)
    return -23.0 * np.log(1.0 - r * (1.0 - np.exp(-100.0 / 23.0)))


def domain_index(
    df: pd.DataFrame,
    weights: Mapping[str, float],
    higher_is_worse: bool | Mapping[str, bool] = True,
) -> pd.DataFrame:
    """IMD-style rank-based weighted index over domains, with ranks and deciles.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per area (at least 10 areas), one column per domain score; no missing values in the weighted
        domains.
    weights : mapping of str to float
        Domain → weight ≥ 0 (positive sum); the weights are normalised to sum 1.
    higher_is_worse : bool or mapping of str to bool, default True
        Direction of every domain, or per domain (missing domains default to True).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``df``: ``x_<domain>`` (transformed domain scores 0 … 100), ``score`` (weighted sum, 0 …
        100), ``rank`` (1 = most deprived; ties share the smallest rank) and ``decile`` (1 = most deprived 10 %, by
        position; ties broken by area order so the result is deterministic).

    Raises
    ------
    ConfigError
        For empty, unknown, non-numeric or negative weights.
    DataValidationError
        For fewer than 10 areas or a missing domain value.

    Notes
    -----
    Per domain: rank with average ties so that R = rank / N → 1 for the most deprived area; exponential
    transformation :func:`imd_transform`; weighted sum; ranked again and cut into deciles (MHCLG 2019;
    docs/METHODEN.md, Abschnitt „Domänenindex nach dem englischen IMD“).

    Examples
    --------
    Ten areas a … j with the same order in both domains: area j has R = 1 (score 100), area a R = 0.1
    (score :func:`imd_transform` (0.1) = 2.3903):

    >>> import pandas as pd
    >>> from workbench.index import domain_index
    >>> d = pd.DataFrame({"a": range(10), "b": range(10)}, index=list("abcdefghij"))
    >>> out = domain_index(d, {"a": 1, "b": 1})
    >>> out["decile"].tolist()
    [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]
    >>> out.loc[["a", "j"], "score"].round(4).tolist(), int(out.loc["j", "rank"])
    ([2.3903, 100.0], 1)
    """
    if not isinstance(weights, Mapping) or not weights:
        raise ConfigError("weights muss eine Zuordnung Domäne → Gewicht sein", where="weights")
    unknown = [c for c in weights if c not in df.columns]
    if unknown:
        raise ConfigError(
            f"unbekannte Domäne(n) {', '.join(map(str, unknown))}",
            where="weights",
            hint=f"vorhandene Spalten: {', '.join(map(str, df.columns))}",
        )
    try:
        w = pd.Series({k: float(v) for k, v in weights.items()})
    except (TypeError, ValueError) as exc:
        raise ConfigError("Gewichte müssen Zahlen sein", where="weights") from exc
    if (w < 0).any() or not np.isfinite(w).all() or w.sum() <= 0:
        raise ConfigError("Gewichte müssen ≥ 0 sein und eine positive Summe haben", where="weights")
    w = w / w.sum()
    n = len(df)
    if n < 10:
        raise DataValidationError(
            f"nur {n} Gebiete; Dezile brauchen mindestens 10", hint="mehr Gebiete verwenden"
        )
    out = pd.DataFrame(index=df.index)
    score = np.zeros(n)
    for col, weight in w.items():
        x = pd.to_numeric(df[col], errors="coerce")
        if x.isna().any():
            ids = x.index[x.isna()].tolist()[:5]
            raise DataValidationError(f"Domäne {col!r} fehlt für Gebiete {ids}", where=f"Spalte {col}")
        worse = higher_is_worse.get(col, True) if isinstance(higher_is_worse, Mapping) else higher_is_worse
        r = (x if worse else -x).rank(method="average") / n
        out[f"x_{col}"] = imd_transform(r.to_numpy())
        score += weight * out[f"x_{col}"].to_numpy()
    out["score"] = score
    out["rank"] = out["score"].rank(method="min", ascending=False).astype(int)
    order = pd.DataFrame({"s": -out["score"].to_numpy(), "id": np.arange(n)})
    position = np.empty(n, dtype=int)
    position[np.lexsort((order["id"].to_numpy(), order["s"].to_numpy()))] = np.arange(n)
    out["decile"] = (position * 10 // n + 1).astype(int)
    return out
