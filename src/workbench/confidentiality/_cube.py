"""Implementation of the count-cube and rate protection for :mod:`workbench.confidentiality`.

Private: import :func:`~workbench.confidentiality.protect_counts` and
:func:`~workbench.confidentiality.protect_rates` from :mod:`workbench.confidentiality`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from workbench.confidentiality import _secondary as eng
from workbench.confidentiality._rules import MEASURE_RELATIONS, Rules, _initial_status
from workbench.errors import DataValidationError
from workbench.io import city_totals as official_totals
from workbench.io.city_totals import SUPPRESSED_MINIMUM, SUPPRESSED_RANGE
from workbench.vocabulary import CITY_ID, LEVELS

_COUNT_COLS = ("area_id", "year", "measure", "value", "suppressed")


FLOWS_IN = ("births", "in_ext", "in_int")
FLOWS_OUT = ("deaths", "out_ext", "out_int")
"""Movements of the balance equation: stock(31.12. of year − 1) + in-flows = stock(31.12. of year) + out-flows."""
_STOCK_START, _STOCK_END = "_stock_start", "_stock_end"
BALANCE_EQUATION: tuple[tuple[str, float], ...] = (
    (_STOCK_END, 1.0),
    (_STOCK_START, -1.0),
    *((m, -1.0) for m in FLOWS_IN),
    *((m, 1.0) for m in FLOWS_OUT),
)
"""The balance equation as one signed relation (weighted sum 0; used with ``stocks``)."""


def _measure_groups(measures: Sequence[str]) -> list[tuple[list[str], list[tuple[str, tuple[str, ...]]]]]:
    """Measures linked by :data:`MEASURE_RELATIONS` (and the balance equation) form one group (protected
    together); others are alone."""
    present = set(measures)
    balance = (BALANCE_EQUATION[0][0], tuple(m for m, _ in BALANCE_EQUATION[1:]))
    rels = [(t, p) for t, p in (*MEASURE_RELATIONS, balance) if t in present and all(x in present for x in p)]
    parent = {m: m for m in measures}

    def find(x: str) -> str:
        while parent[x] != x:
            x = parent[x]
        return x

    for t, parts in rels:
        for p in parts:
            parent[find(p)] = find(t)
    groups: dict[str, list[str]] = {}
    for m in measures:
        groups.setdefault(find(m), []).append(m)
    out = []
    for members in groups.values():
        members = sorted(members)
        out.append((members, [(t, p) for t, p in rels if t in members]))
    return sorted(out, key=lambda g: g[0][0])


def _interval_disclosed(
    a: sp.csr_matrix, values: np.ndarray, status: np.ndarray, delivered: np.ndarray, focus: np.ndarray
) -> np.ndarray:
    """Unpublished cells an outsider can pin to a single integer, knowing each delivered "*" is 1 or 2 (or, when
    the delivery shows secondary "*" above 2, at least 1).

    The exact check of :func:`confidentiality_secondary.determined_unknowns` only uses non-negativity. Once an
    official city total is published, the range of delivered suppressed cells (``delivered``, BA rule:
    :data:`workbench.io.city_totals.SUPPRESSED_RANGE`) becomes usable too: e.g. a district determined from the
    city total with two "*" areas summing to 2 reveals both as 1. Only the unknowns linked (through relations
    between unknowns) to a relation that holds a cell of ``focus`` (the published official totals) are tested:
    for each, minimise and maximise it by linear programming over ``A_u u = b`` with ``u`` in [1, 2] for
    delivered "*" and ≥ 0 otherwise; an LP range below 1 leaves one integer. An infeasible system (published
    totals contradict the ranges) counts as disclosure of every tested cell.
    """
    n = values.shape[0]
    out = np.zeros(n, dtype=bool)
    hidden = status != eng.SHOWN
    if not hidden.any() or not focus.any():
        return out
    unk = np.flatnonzero(hidden)
    rhs = -(a @ np.where(hidden, 0.0, np.nan_to_num(values)))
    a_u = a[:, unk].tocsr()
    focus_rows = np.flatnonzero(np.asarray(abs(a[:, np.flatnonzero(focus)]).sum(axis=1)).ravel() > 0)
    adj = (abs(a_u).T @ abs(a_u)).tocsr()
    _, lab = connected_components(adj, directed=False)
    start = np.unique(a_u[focus_rows].indices)
    if start.size == 0:
        return out
    cols = np.flatnonzero(np.isin(lab, np.unique(lab[start])))
    sub = a_u[:, cols].tocsr()
    rows = np.flatnonzero(np.diff(sub.indptr) > 0)
    sub, b = sub[rows], rhs[rows]
    lo, hi = SUPPRESSED_RANGE
    bounds = [(lo, hi) if delivered[unk[j]] else (0, None) for j in cols]
    tested = unk[cols]
    protect = np.isin(status[tested], (eng.PRIMARY, eng.SECONDARY, eng.INPUT))
    for i in np.flatnonzero(protect):
        span = []
        for sign in (1.0, -1.0):
            cost = np.zeros(cols.size)
            cost[i] = sign
            res = eng._linprog(cost, A_eq=sub, b_eq=b, bounds=bounds, method="highs")
            if res.status == 2 and hi is not None:
                # the delivery holds secondary "*" above 2 (allowed by the BA rule): an outsider knows only
                # that each "*" is at least 1, so test again with that range
                hi = None
                bounds = [(SUPPRESSED_MINIMUM, None) if delivered[unk[j]] else (0, None) for j in cols]
                res = eng._linprog(cost, A_eq=sub, b_eq=b, bounds=bounds, method="highs")
            if res.status == 2:  # infeasible: the published cells contradict the known ranges
                out[tested[protect]] = True
                return out
            span.append(sign * res.fun if res.status == 0 else (np.inf if sign < 0 else -np.inf))
        if span[1] - span[0] < 1.0 - 1e-6:
            out[tested[i]] = True
    return out


def protect_counts(
    counts: pd.DataFrame,
    keys: pd.DataFrame,
    rules: Rules,
    measures: Sequence[str] | None = None,
    *,
    city_totals: pd.DataFrame | None = None,
    stocks: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Protect the count cube once for the whole report, at the levels Sozialraum, Stadtbezirk and Stadt.

    Parameters
    ----------
    counts : pandas.DataFrame
        Long count table ``area_id, year, measure, value, suppressed`` (docs/DATA_CONTRACT.md); ``suppressed``
        marks values withheld in the delivered data (their ``value`` is NaN).
    keys : pandas.DataFrame
        ``area_id, district_id`` (extra columns and duplicate rows are ignored).
    rules : Rules
        Primary suppression rules (``threshold``, ``show_zero``).
    measures : sequence of str, optional
        Measures to protect (default: all in ``counts``).
    city_totals : pandas.DataFrame, optional
        Official city totals ``year, measure, value`` of deliveries with suppressed areas (keyword-only;
        ``Dataset.city_totals``).
    stocks : pandas.DataFrame, optional
        Residents per area at the end of each year, ``area_id, year, value`` (keyword-only). The report
        publishes them (or they follow from published rates), so the change of an area's population between
        two years is public: with the movements of the count cube (births, deaths, in- and out-migration) the
        balance equation ``stock(y − 1) + births + in_ext + in_int = stock(y) + deaths + out_ext + out_int``
        becomes one more relation of the protection, and a withheld movement is not the population change
        minus the published ones.

    Returns
    -------
    pandas.DataFrame
        One row per level × unit × year × measure: ``level``, ``unit_id`` (area id, district id or
        :data:`CITY_ID`), ``year``, ``measure``, ``value`` (true value, NaN when unknown), ``published_value``
        (NaN unless shown) and ``status`` (``shown`` / ``primary`` / ``secondary`` / ``input`` / ``missing``),
        sorted by level, unit_id, year, measure. Deterministic.

    Raises
    ------
    DataValidationError
        For missing columns, an area in several districts or missing from ``keys``, an unknown measure,
        duplicate rows, negative counts, or an official city total below the sum of the visible areas.

    Notes
    -----
    For each year and each group of linked measures (``unemployed = unemployed_sgb2 + unemployed_sgb3`` per unit)
    the hierarchy district = Σ areas, city = Σ districts is protected by primary and secondary suppression
    (:mod:`workbench.confidentiality`; docs/METHODEN.md, Abschnitte „Sekundäre Geheimhaltung“ and „Prüfung der
    Rückrechenbarkeit“). Sums over values suppressed *by the workbench* use the true values and may be
    published; a sum over a value suppressed *in the delivered data* is unknown and gets status ``input``.

    With ``city_totals`` a city cell that would be ``input`` becomes the known official total and takes part in
    secondary suppression like any known total: it is published only when no suppressed cell becomes
    recoverable, neither exactly (relations and non-negativity) nor by the known range of a delivered "*"
    (1 or 2); otherwise it is withheld (status ``secondary``). Delivered "*" cells stay unknown (NaN) and are
    never published.

    Examples
    --------
    Three areas in two districts (the hand-worked case of :func:`hierarchy`):

    >>> import pandas as pd
    >>> from workbench.confidentiality import Rules, protect_counts
    >>> counts = pd.DataFrame({"area_id": ["0101", "0102", "0201"], "year": 2024, "measure": "kinder",
    ...                        "value": [1, 5, 7], "suppressed": False})
    >>> keys = pd.DataFrame({"area_id": ["0101", "0102", "0201"], "district_id": ["01", "01", "02"]})
    >>> out = protect_counts(counts, keys, Rules())
    >>> out[["level", "unit_id", "status"]].values.tolist()
    [['sozialraum', '0101', 'primary'], ['sozialraum', '0102', 'secondary'], ['sozialraum', '0201', 'shown'], ['stadtbezirk', '01', 'shown'], ['stadtbezirk', '02', 'shown'], ['stadt', 'stadt', 'shown']]
    >>> out["published_value"].tolist()
    [nan, nan, 7.0, 6.0, 7.0, 13.0]
    """
    missing_cols = [c for c in _COUNT_COLS if c not in counts.columns]
    if missing_cols:
        raise DataValidationError(
            f"Spalte(n) {', '.join(missing_cols)} fehlen",
            where="counts",
            hint="Tabelle mit `make data` neu erzeugen",
        )
    if "area_id" not in keys.columns or "district_id" not in keys.columns:
        raise DataValidationError("Spalten area_id und district_id fehlen", where="keys")
    key = keys[["area_id", "district_id"]].astype(str).drop_duplicates()
    if not key["area_id"].is_unique:
        dup = key.loc[key["area_id"].duplicated(), "area_id"].iloc[0]
        raise DataValidationError(f"Sozialraum {dup} liegt in mehreren Stadtbezirken", where="keys")
    key = key.sort_values(["district_id", "area_id"], kind="stable")
    areas = key["area_id"].sort_values(kind="stable").tolist()
    district_of = dict(zip(key["area_id"], key["district_id"], strict=True))
    districts = sorted(set(district_of.values()))
    c = counts.loc[:, list(_COUNT_COLS)].copy()
    c["area_id"] = c["area_id"].astype(str)
    unknown_areas = sorted(set(c["area_id"]) - set(areas))
    if unknown_areas:
        raise DataValidationError(
            f"Sozialraum {unknown_areas[0]} fehlt in der Schlüsseltabelle",
            where="counts.area_id",
            hint="Schlüsseltabelle (schluessel_gebiete.csv) ergänzen",
        )
    if measures is None:
        measures = sorted(c["measure"].astype(str).unique())
    else:
        measures = list(dict.fromkeys(str(m) for m in measures))
        absent = [m for m in measures if m not in set(c["measure"].astype(str))]
        if absent:
            raise DataValidationError(f"Merkmal {absent[0]} fehlt in den Fallzahlen", where="counts.measure")
    c = c[c["measure"].astype(str).isin(measures)]
    pseudo = _balance_rows(c, stocks) if stocks is not None else pd.DataFrame()
    if not pseudo.empty:
        c = pd.concat([c, pseudo], ignore_index=True)
        measures = [*measures, _STOCK_START, _STOCK_END]
    if c.empty:  # no counts (e.g. a city with published shares only): nothing to protect
        cols = ["level", "unit_id", "year", "measure", "value", "published_value", "status"]
        return pd.DataFrame({col: pd.Series(dtype="float64" if "value" in col else object) for col in cols})
    if c.duplicated(["area_id", "year", "measure"]).any():
        d = c[c.duplicated(["area_id", "year", "measure"])].iloc[0]
        raise DataValidationError(
            f"doppelte Zeile für Sozialraum {d['area_id']}, Jahr {d['year']}, Merkmal {d['measure']}",
            where="counts",
        )
    vals = pd.to_numeric(c["value"], errors="coerce").to_numpy(dtype=float)
    flags = c["suppressed"].fillna(False).astype(bool).to_numpy()
    if np.any(vals[~flags & ~np.isnan(vals)] < 0):
        raise DataValidationError("negative Fallzahl", where="counts.value")
    years = sorted(int(y) for y in c["year"].unique())
    totals = official_totals.lookup(official_totals.validate(city_totals, where="city_totals"))
    n_a, n_d = len(areas), len(districts)
    n_u = n_a + n_d + 1
    a_pos = {a: i for i, a in enumerate(areas)}
    d_pos = {d: i for i, d in enumerate(districts)}
    m_pos = {m: i for i, m in enumerate(measures)}
    y_pos = {y: i for i, y in enumerate(years)}
    # cube [measure, year, area]: value, input flag
    cube = np.full((len(measures), len(years), n_a), np.nan)
    cube_in = np.zeros(cube.shape, dtype=bool)
    mi = c["measure"].astype(str).map(m_pos).to_numpy()
    yi = c["year"].astype(int).map(y_pos).to_numpy()
    ai = c["area_id"].map(a_pos).to_numpy()
    cube[mi, yi, ai] = np.where(flags, np.nan, vals)
    cube_in[mi, yi, ai] = flags
    agg = sp.csr_matrix(
        (np.ones(n_a), ([d_pos[district_of[a]] for a in areas], np.arange(n_a))), shape=(n_d, n_a)
    )
    unit_level = np.array(["sozialraum"] * n_a + ["stadtbezirk"] * n_d + ["stadt"], dtype=object)
    unit_ids = np.array(areas + districts + [CITY_ID], dtype=object)

    parts_of_d = [[a_pos[a] for a in areas if district_of[a] == d] for d in districts]
    names = np.array([eng.STATUS_NAMES[s] for s in range(5)], dtype=object)
    out_frames = []
    singles = [m[0] for m, r in _measure_groups(measures) if not r]
    linked = [(m, r) for m, r in _measure_groups(measures) if r]
    # blocks of one structure are stacked into one block-diagonal system (one engine call per structure)
    structures = [([[m] for m in singles], [])] if singles else []
    structures += [([members], rels) for members, rels in linked]
    for member_sets, rels in structures:
        g = len(member_sets[0])
        local = {m: i for i, m in enumerate(member_sets[0])}
        template: list[tuple[int, list[int]]] = []
        for k in range(g):
            base = k * n_u
            for di, parts in enumerate(parts_of_d):
                template.append((base + n_a + di, [base + p for p in parts]))
            template.append((base + n_a + n_d, [base + n_a + di for di in range(n_d)]))
        plus: list[tuple[int, int]] = []  # (relation, cell) with coefficient +1 among the parts
        for total, parts in rels:
            for u in range(n_u):
                if total == _STOCK_END:  # the balance equation: out-flows on the side of the end stock
                    plus += [(len(template), local[p] * n_u + u) for p in FLOWS_OUT]
                template.append((local[total] * n_u + u, [local[p] * n_u + u for p in parts]))
        blocks = [(members, year) for members in member_sets for year in years]
        size = g * n_u
        relations = [
            (t + b * size, [p + b * size for p in parts]) for b in range(len(blocks)) for t, parts in template
        ]
        tmat = eng.relation_matrix(size, template).tolil()
        for r, cell in plus:
            tmat[r, cell] = 1.0
        amat = sp.block_diag([tmat.tocsr()] * len(blocks), format="csr")
        num_parts, marked_parts, delivered_parts, official_parts = [], [], [], []
        for members, year in blocks:
            rows = np.array([m_pos[m] for m in members])
            yk = y_pos[year]
            area_v = cube[rows, yk, :]  # g × n_a
            area_in = cube_in[rows, yk, :]
            area_nan = np.isnan(area_v)
            d_v = (agg @ np.nan_to_num(area_v).T).T
            d_in = (agg @ area_in.T.astype(float)).T > 0
            d_nan = (agg @ area_nan.T.astype(float)).T > 0
            d_v[d_nan] = np.nan
            s_v = np.where(d_nan.any(axis=1), np.nan, np.nan_to_num(d_v).sum(axis=1))[:, None]
            s_in = d_in.any(axis=1)[:, None]
            s_off = np.zeros((g, 1), dtype=bool)
            for k, m in enumerate(members):
                total = totals.get((year, m))
                if total is None or not np.isnan(s_v[k, 0]):
                    continue  # no official total, or the city sum is known anyway
                visible = float(np.nansum(area_v[k]))
                if total < visible - 0.5:
                    raise DataValidationError(
                        f"amtliche Gesamtzahl {total:g} kleiner als die Summe der sichtbaren Sozialräume "
                        f"({visible:g})",
                        where=f"city_totals, Merkmal {m}, Jahr {year}",
                        hint="Summenzeile 'Stadt insgesamt' der Lieferung prüfen (`make data`)",
                    )
                s_v[k, 0], s_in[k, 0], s_off[k, 0] = total, False, True
            num_parts.append(np.hstack([area_v, d_v, s_v]).reshape(-1))
            marked_parts.append(np.hstack([area_in, d_in, s_in]).reshape(-1))
            delivered_parts.append(np.hstack([area_in, np.zeros_like(d_in), np.zeros_like(s_in)]).reshape(-1))
            official_parts.append(np.hstack([np.zeros_like(area_in), np.zeros_like(d_in), s_off]).reshape(-1))
        num = np.concatenate(num_parts)
        start = _initial_status(num, np.concatenate(marked_parts), rules)
        # suppressed last: totals of relations, and never before them the stocks (public anyway)
        priority = np.zeros(num.size)
        priority[[t for t, _ in relations]] = 1.0
        stock = np.concatenate(
            [
                np.repeat(np.isin(np.array(m, dtype=object), [_STOCK_START, _STOCK_END]), n_u)
                for m, _ in blocks
            ]
        )
        priority[stock] = 2.0
        status = eng.protect_flat(num, start, relations, a=amat, priority=priority)
        official = np.concatenate(official_parts)
        if official.any():
            delivered = np.concatenate(delivered_parts)
            block_of = np.arange(num.size) // size
            for _ in range(int(official.sum()) + 1):
                shown = official & (status == eng.SHOWN)
                bad = _interval_disclosed(amat, num, status, delivered, shown)
                if not bad.any():
                    break
                # withhold one published official total per affected block, then protect again
                for blk in np.unique(block_of[bad]):
                    cand = np.flatnonzero(shown & (block_of == blk))
                    if cand.size:
                        start[cand[0]] = eng.SECONDARY
                status = eng.protect_flat(num, start, relations, a=amat, priority=priority)
        out_frames.append(
            pd.DataFrame(
                {
                    "level": np.tile(unit_level, g * len(blocks)),
                    "unit_id": np.tile(unit_ids, g * len(blocks)),
                    "year": np.repeat([y for _, y in blocks], size),
                    "measure": np.concatenate([np.repeat(np.array(m, dtype=object), n_u) for m, _ in blocks]),
                    "value": num,
                    "published_value": np.where(status == eng.SHOWN, num, np.nan),
                    "status": names[status],
                }
            )
        )
    cols = ["level", "unit_id", "year", "measure", "value", "published_value", "status"]
    if not out_frames:
        return pd.DataFrame(columns=cols)
    out = pd.concat(out_frames, ignore_index=True)
    out = out[~out["measure"].isin([_STOCK_START, _STOCK_END])]
    out["_lv"] = out["level"].map({lv: i for i, lv in enumerate(LEVELS)})
    out = out.sort_values(["_lv", "unit_id", "year", "measure"], kind="stable").drop(columns="_lv")
    out["year"] = out["year"].astype("int64")
    return out.reset_index(drop=True)[cols]


def _balance_rows(c: pd.DataFrame, stocks: pd.DataFrame) -> pd.DataFrame:
    """Cells of the balance equation for every area and year with all six movements and both stocks: the stock
    at the start and at the end of the year (both published)."""
    flows = c[c["measure"].isin(FLOWS_IN + FLOWS_OUT)]
    if flows.empty or set(flows["measure"]) != set(FLOWS_IN + FLOWS_OUT):
        return pd.DataFrame()
    for col in ("area_id", "year", "value"):
        if col not in stocks.columns:
            raise DataValidationError(
                f"Spalte {col} fehlt", where="stocks (Einwohner je Sozialraum und Jahr)"
            )
    st = stocks.assign(area_id=stocks["area_id"].astype(str), year=stocks["year"].astype(int))
    st = st.set_index(["area_id", "year"])["value"].astype(float)
    cells = flows[["area_id", "year"]].drop_duplicates()
    years = cells["year"].astype(int)
    start = st.reindex(pd.MultiIndex.from_arrays([cells["area_id"], years - 1])).to_numpy()
    end = st.reindex(pd.MultiIndex.from_arrays([cells["area_id"], years])).to_numpy()
    ok = ~np.isnan(start) & ~np.isnan(end)
    cells = cells[ok]
    if cells.empty:
        return pd.DataFrame()
    rows = [
        cells.assign(measure=_STOCK_START, value=start[ok], suppressed=False),
        cells.assign(measure=_STOCK_END, value=end[ok], suppressed=False),
    ]
    return pd.concat(rows, ignore_index=True)[list(_COUNT_COLS)]


def protect_rates(rates_df: pd.DataFrame, protected_counts: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """Suppress rates and shares that would reveal a protected count.

    Parameters
    ----------
    rates_df : pandas.DataFrame
        Long table: ``unit_id`` (or ``area_id``), ``year``, ``value``, ``numerator`` (measure name in
        ``protected_counts``, or empty), optional ``level`` (default ``sozialraum``), ``denominator`` (measure
        name), ``denominator_value`` (the base, e.g. residents) and ``numerator_value`` (for numerators outside
        the cube).
    protected_counts : pandas.DataFrame
        Output of :func:`protect_counts`.
    rules : Rules
        ``threshold``, ``show_zero``, ``min_base`` and ``suppress_on_denominator`` are used.

    Returns
    -------
    pandas.DataFrame
        A copy of ``rates_df`` with ``status`` (``shown`` / ``numerator`` / ``denominator`` / ``min_base`` /
        ``missing``) and ``published_value`` (NaN unless shown).

    Raises
    ------
    DataValidationError
        For missing columns, duplicate protected counts, a numerator or denominator measure missing from
        ``protected_counts``, or ``min_base`` set without any denominator column.

    Notes
    -----
    A rate is suppressed when its numerator is not shown (or, outside the cube, is a small count), when
    ``rules.suppress_on_denominator`` and its denominator count is not shown, or when the denominator is below
    ``rules.min_base`` (an unknown base counts as too small); docs/METHODEN.md, Abschnitt „Schutz von Quoten und
    Anteilen“.

    Examples
    --------
    Shares of children per 50 inhabitants in the three areas of :func:`protect_counts`: the first two numerators
    are suppressed, and with ``min_base=60`` the third base is too small:

    >>> import pandas as pd
    >>> from workbench.confidentiality import Rules, protect_counts, protect_rates
    >>> counts = pd.DataFrame({"area_id": ["0101", "0102", "0201"], "year": 2024, "measure": "kinder",
    ...                        "value": [1, 5, 7], "suppressed": False})
    >>> keys = pd.DataFrame({"area_id": ["0101", "0102", "0201"], "district_id": ["01", "01", "02"]})
    >>> protected = protect_counts(counts, keys, Rules())
    >>> shares = pd.DataFrame({"area_id": ["0101", "0102", "0201"], "year": 2024, "value": [2.0, 10.0, 14.0],
    ...                        "numerator": "kinder", "denominator_value": 50})
    >>> protect_rates(shares, protected, Rules())["status"].tolist()
    ['numerator', 'numerator', 'shown']
    >>> protect_rates(shares, protected, Rules(min_base=60))["status"].tolist()
    ['numerator', 'numerator', 'min_base']
    """
    df = rates_df.copy()
    unit_col = "unit_id" if "unit_id" in df.columns else "area_id" if "area_id" in df.columns else None
    for col in ("year", "value", "numerator"):
        if col not in df.columns:
            raise DataValidationError(f"Spalte {col} fehlt", where="Quoten-Tabelle")
    if unit_col is None:
        raise DataValidationError("Spalte unit_id (oder area_id) fehlt", where="Quoten-Tabelle")
    level = df["level"].astype(str) if "level" in df.columns else pd.Series("sozialraum", index=df.index)
    pc = protected_counts.set_index(["level", "unit_id", "year", "measure"])
    if not pc.index.is_unique:
        raise DataValidationError("geschützte Fallzahlen haben doppelte Zeilen", where="protected_counts")
    units = df[unit_col].astype(str).to_numpy()
    years = df["year"].astype(int).to_numpy()
    levels = level.to_numpy()

    def measure_names(col: str) -> np.ndarray:
        if col not in df.columns:
            return np.full(len(df), "", dtype=object)
        m = df[col].to_numpy(dtype=object)
        return np.array([x if isinstance(x, str) else "" for x in m], dtype=object)

    def lookup(rows: np.ndarray, measures: np.ndarray, what: str) -> tuple[np.ndarray, np.ndarray]:
        idx = pd.MultiIndex.from_arrays([levels[rows], units[rows], years[rows], measures[rows]])
        pos = pc.index.get_indexer(idx)
        if (pos < 0).any():
            i = int(np.flatnonzero(pos < 0)[0])
            k = idx[i]
            raise DataValidationError(
                f"{what} {k[3]} für {k[0]} {k[1]}, Jahr {k[2]} fehlt in den geschützten Fallzahlen",
                where="Quoten-Tabelle",
                hint="Quote nur auf Merkmale aus protect_counts() stützen",
            )
        return pc["status"].to_numpy()[pos], pc["value"].to_numpy(dtype=float)[pos]

    if (
        rules.min_base is not None
        and "denominator" not in df.columns
        and "denominator_value" not in df.columns
    ):
        raise DataValidationError(
            "min_base ist gesetzt, aber die Quoten-Tabelle nennt keinen Nenner",
            where="Quoten-Tabelle",
            hint="Spalte denominator (Merkmal) oder denominator_value (Basiszahl) ergänzen",
        )
    value = pd.to_numeric(df["value"], errors="coerce").to_numpy(dtype=float)
    num_m, den_m = measure_names("numerator"), measure_names("denominator")
    base = np.array(
        pd.to_numeric(df["denominator_value"], errors="coerce").to_numpy(dtype=float)
        if "denominator_value" in df
        else np.full(len(df), np.nan)
    )
    status = np.full(len(df), "shown", dtype=object)
    status[np.isnan(value)] = "missing"
    cube = (status == "shown") & (num_m != "")
    rows = np.flatnonzero(cube)
    if len(rows):
        st, _ = lookup(rows, num_m, "Zähler")
        status[rows[st != "shown"]] = "numerator"
    if "numerator_value" in df.columns:
        outside = (status == "shown") & (num_m == "")
        nv = pd.to_numeric(df["numerator_value"], errors="coerce").to_numpy(dtype=float)
        small = np.isnan(nv) | ((nv > 0) & (nv < rules.threshold)) | ((nv == 0) & (not rules.show_zero))
        status[outside & small] = "numerator"
    rows = np.flatnonzero((status == "shown") & (den_m != ""))
    if len(rows):
        d_status, d_value = lookup(rows, den_m, "Nenner")
        if rules.suppress_on_denominator:
            status[rows[d_status != "shown"]] = "denominator"
        fill = np.isnan(base[rows])
        base[rows[fill]] = d_value[fill]
    if rules.min_base is not None:
        low = (status == "shown") & (np.isnan(base) | (base < rules.min_base))
        status[low] = "min_base"  # unknown base counts as too small
    df["status"] = status
    df["published_value"] = pd.to_numeric(df["value"], errors="coerce").where(df["status"] == "shown")
    return df
