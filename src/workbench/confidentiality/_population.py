"""Implementation of the joint protection of every published breakdown of the population.

Private: import :func:`~workbench.confidentiality.protect_population` and
:func:`~workbench.confidentiality.population_measure` from :mod:`workbench.confidentiality`.

A report publishes the residents of one area in many overlapping breakdowns: the total (population table,
profile header), 5-year bands by sex (profile pyramid), age groups (Bevölkerung chapter), Kita age groups
(Kinder und Jugend), the numerators and denominators of population shares (Anteil unter 18 …). Protected one
table at a time, a cell hidden in one breakdown follows from the others (a Kita "unter 3" of 1 = the group
"0 bis 5" minus "3 bis unter 6"). Here all of them form one system per year: every breakdown cell is a sum of
*atoms* (age segment × sex × nationality, the finest cut any published cell makes); every linear dependency
between the cells of one unit (the left null space of the cell–atom matrix, computed exactly in rational
arithmetic) is a relation, and so is the hierarchy Sozialraum → Stadtbezirk → Stadt of every cell. Primary and
secondary suppression then run once over this system (:func:`workbench.confidentiality._secondary.protect_flat`),
which verifies exactly (linear algebra and non-negativity of the cells) that no suppressed cell can be computed
from the published ones.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from math import lcm

import numpy as np
import pandas as pd
import scipy.sparse as sp

from workbench.confidentiality import _secondary as eng
from workbench.confidentiality._rules import Rules, _initial_status
from workbench.errors import DataValidationError
from workbench.vocabulary import CITY_ID, LEVELS

POPULATION = "population"
"""Measure name of all residents; breakdowns are ``population_<range>[_<sex>][_<nationality>]``."""
SEXES = ("m", "w")
NATIONALITIES = ("deutsch", "nichtdeutsch")
OPEN_END = 999
"""Upper age of an open-ended range ("80+")."""
_OPEN = OPEN_END
_RANGE_PATTERNS = (
    (re.compile(r"^(\d+)\s*bis\s*unter\s*(\d+)$"), lambda a, b: (int(a), int(b) - 1)),
    (re.compile(r"^(\d+)\s*[-–]\s*(\d+)$"), lambda a, b: (int(a), int(b))),
    (re.compile(r"^(\d+)\s*bis\s*(\d+)$"), lambda a, b: (int(a), int(b))),
    (re.compile(r"^unter\s*(\d+)$"), lambda b: (0, int(b) - 1)),
    (re.compile(r"^(\d+)\s*(?:\+|und\s*(?:älter|mehr))$"), lambda a: (int(a), OPEN_END)),
)


def age_range(label: str) -> tuple[int, int] | None:
    """Inclusive age range of a label (``"0-2"``, ``"unter 6"``, ``"65+"``, ``"6 bis unter 15"``) or None."""
    s = label.strip().replace("Jahre", "").strip()
    for pattern, conv in _RANGE_PATTERNS:
        m = pattern.match(s)
        if m:
            return conv(*m.groups())
    return None


def population_measure(
    age_min: int = 0, age_max: int | None = None, sex: str | None = None, nationality: str | None = None
) -> str:
    """Canonical measure name of a population breakdown cell (the count key of tables and figures).

    Parameters
    ----------
    age_min, age_max : int
        Inclusive ages in completed years; ``age_max`` None (or ≥ 100) is open-ended.
    sex : {"m", "w"}, optional
    nationality : {"deutsch", "nichtdeutsch"}, optional

    Returns
    -------
    str
        ``population`` for all residents, else ``population_<a>-<b>`` or ``population_<a>+`` followed by
        ``_<sex>`` and ``_<nationality>`` where given.

    Examples
    --------
    >>> population_measure(), population_measure(0, 2), population_measure(80), population_measure(0, 4, "w")
    ('population', 'population_0-2', 'population_80+', 'population_0-4_w')
    """
    if age_max is not None and age_max >= 100:
        age_max = None
    parts = [POPULATION]
    if age_min > 0 or age_max is not None:
        parts.append(f"{age_min}+" if age_max is None else f"{age_min}-{age_max}")
    if sex:
        parts.append(sex)
    if nationality:
        parts.append(nationality)
    return "_".join(parts)


@dataclass(frozen=True)
class _Cell:
    lo: int
    hi: int  # inclusive, _OPEN = open-ended
    sex: str | None
    nationality: str | None


def _parse(measure: str) -> _Cell | None:
    """The cell of a population measure name (canonical or with an age-group label), None for other measures."""
    head, _, rest = measure.partition("_")
    if head != POPULATION:
        return None
    lo, hi, sex, nat = 0, _OPEN, None, None
    for part in rest.split("_") if rest else []:
        if part in SEXES:
            sex = part
        elif part in NATIONALITIES:
            nat = part
        else:
            rng = age_range(part)
            if rng is None:
                return None
            lo, hi = rng[0], (_OPEN if rng[1] >= 100 else rng[1])
    return _Cell(lo, hi, sex, nat)


def _null_space(columns: Sequence[Sequence[int]]) -> list[dict[int, int]]:
    """Integer basis of ``{y : Σ_c y_c · columns[c] = 0}`` (exact rational Gauss–Jordan elimination).

    ``columns[c]`` is the atom vector of cell ``c``; each basis vector is one relation between the cells.
    """
    n_cells = len(columns)
    n_atoms = len(columns[0]) if n_cells else 0
    rows = [[Fraction(columns[c][a]) for c in range(n_cells)] for a in range(n_atoms)]
    pivots: list[int] = []
    r = 0
    for c in range(n_cells):
        p = next((i for i in range(r, len(rows)) if rows[i][c] != 0), None)
        if p is None:
            continue
        rows[r], rows[p] = rows[p], rows[r]
        piv = rows[r][c]
        rows[r] = [x / piv for x in rows[r]]
        for i in range(len(rows)):
            if i != r and rows[i][c] != 0:
                f = rows[i][c]
                rows[i] = [x - f * y for x, y in zip(rows[i], rows[r], strict=True)]
        pivots.append(c)
        r += 1
        if r == len(rows):
            break
    basis = []
    for free in (c for c in range(n_cells) if c not in set(pivots)):
        y = {free: Fraction(1)}
        for i, pc in enumerate(pivots):
            if rows[i][free] != 0:
                y[pc] = -rows[i][free]
        scale = lcm(*(v.denominator for v in y.values()))
        basis.append({c: int(v * scale) for c, v in sorted(y.items())})
    return basis


@lru_cache(maxsize=64)
def _template(measures: tuple[str, ...]) -> tuple[tuple[tuple[tuple[int, int], ...], ...], tuple[int, ...]]:
    """Relations between the cells of one unit (as ``((cell, coef), …)``) and each cell's atom count."""
    cells = [_parse(m) for m in measures]
    _, _, _, atoms = _atoms(cells)
    covers = _covers

    vectors = [[covers(c, a) for a in atoms] for c in cells]
    width = tuple(sum(v) for v in vectors)
    # finest cells first: the elimination then expresses coarse cells as sums of fine ones (sparse relations)
    order = sorted(range(len(cells)), key=lambda i: (width[i], i))
    basis = _null_space([vectors[i] for i in order])
    relations = tuple(
        tuple((order[c], v) for c, v in sorted(y.items(), key=lambda kv: order[kv[0]])) for y in basis
    )
    return relations, width


def _atoms(cells: Sequence[_Cell]) -> tuple[list[tuple[int, int]], tuple, tuple, list]:
    bounds = sorted({0} | {c.lo for c in cells} | {c.hi + 1 for c in cells if c.hi != _OPEN})
    segments = [(b, (bounds[i + 1] - 1) if i + 1 < len(bounds) else _OPEN) for i, b in enumerate(bounds)]
    sexes = SEXES if any(c.sex for c in cells) else (None,)
    nats = NATIONALITIES if any(c.nationality for c in cells) else (None,)
    return segments, sexes, nats, [(seg, s, n) for seg in segments for s in sexes for n in nats]


def _covers(c: _Cell, atom) -> int:
    (lo, hi), s, n = atom
    return int(
        c.lo <= lo
        and (c.hi == _OPEN or (hi != _OPEN and hi <= c.hi))
        and (c.sex is None or c.sex == s)
        and (c.nationality is None or c.nationality == n)
    )


def derivable_breakdowns(measures: Sequence[str]) -> list[str]:
    """Unpublished breakdowns that follow from the published ones by differencing (e.g. age 5 = „0 bis 5“ −
    „0 bis 4“): every finest age segment, alone and by sex and nationality where the published cells split by
    them, whose cell is a linear combination of the published cells.

    A count of 1 or 2 in such a cell is as disclosive as a published one; :func:`protect_population` treats
    these cells (given with ``published = False``) as primary when small, so that the published cells never
    determine them. Unions of several segments are not listed (docs/METHODEN.md, Abschnitt „Gemeinsamer Schutz
    aller Aufgliederungen der Bevölkerung“).

    >>> derivable_breakdowns(["population", "population_0-4", "population_0-5", "population_6+"])
    ['population_5-5']
    """
    cells = [_parse(m) for m in measures]
    if any(c is None for c in cells):
        bad = next(m for m, c in zip(measures, cells, strict=True) if c is None)
        raise DataValidationError(
            f"keine Aufgliederung der Bevölkerung: {bad}", where="Bevölkerungs-Aufgliederungen"
        )
    segments, sexes, nats, atoms = _atoms(cells)
    published = np.array([[_covers(c, a) for a in atoms] for c in cells], dtype=float)
    rank = np.linalg.matrix_rank(published)
    known = set(measures)
    out = []
    for lo, hi in segments:
        for s in dict.fromkeys((None, *sexes)):
            for n in dict.fromkeys((None, *nats)):
                name = population_measure(lo, None if hi == _OPEN else hi, s, n)
                if name in known:
                    continue
                vec = np.array([_covers(_Cell(lo, hi, s, n), a) for a in atoms], dtype=float)
                if np.linalg.matrix_rank(np.vstack([published, vec])) == rank:
                    out.append(name)
                    known.add(name)
    return out


def protect_population(cells: pd.DataFrame, keys: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """Protect every published breakdown of the population together, per year, at all three levels.

    Parameters
    ----------
    cells : pandas.DataFrame
        Long table ``area_id, year, measure, value``: the true residents of each area in every breakdown cell the
        report publishes (measures named by :func:`population_measure`; age-group labels such as
        ``population_0 bis 5`` are read too). A measure must be given for every area of its year. An optional
        boolean column ``published`` marks cells that are not published but follow from the published ones
        (:func:`derivable_breakdowns`): they are protected like published cells when small (primary), never
        shown, and left out of the result.
    keys : pandas.DataFrame
        ``area_id, district_id``.
    rules : Rules
        ``threshold`` and ``show_zero`` (primary suppression).

    Returns
    -------
    pandas.DataFrame
        ``level, unit_id, year, measure, value, published_value, status`` as
        :func:`~workbench.confidentiality.protect_counts` (districts and the city are the sums of their areas).

    Raises
    ------
    DataValidationError
        For a measure name that is not a population breakdown, a missing area, negative or missing values.

    Notes
    -----
    See the module docstring of ``_population`` and docs/METHODEN.md, Abschnitt „Gemeinsamer Schutz aller
    Aufgliederungen der Bevölkerung“. Cells are suppressed in the order: Sozialräume before Stadtbezirke before
    the city, finer cells (fewer atoms) before coarser ones, non-zero before zero, smaller before larger.

    Examples
    --------
    One area with 7 children aged 0–5, of whom 1 is under 3: the "unter 3" cell is primary, so "3 bis unter 6"
    (6) must go too, otherwise 1 = 7 − 6; the other area and the sums stay visible only where safe:

    >>> import pandas as pd
    >>> from workbench.confidentiality import Rules, protect_population
    >>> cells = pd.DataFrame({"area_id": ["a", "a", "a", "b", "b", "b"], "year": 2024,
    ...     "measure": ["population_0-5", "population_0-2", "population_3-5"] * 2, "value": [7, 1, 6, 20, 9, 11]})
    >>> keys = pd.DataFrame({"area_id": ["a", "b"], "district_id": ["1", "1"]})
    >>> out = protect_population(cells, keys, Rules())
    >>> out[out["level"] == "sozialraum"][["unit_id", "measure", "status"]].values.tolist()
    [['a', 'population_0-2', 'primary'], ['a', 'population_0-5', 'shown'], ['a', 'population_3-5', 'secondary'], ['b', 'population_0-2', 'secondary'], ['b', 'population_0-5', 'shown'], ['b', 'population_3-5', 'secondary']]
    """
    for col in ("area_id", "year", "measure", "value"):
        if col not in cells.columns:
            raise DataValidationError(f"Spalte {col} fehlt", where="Bevölkerungs-Aufgliederungen")
    c = cells.assign(area_id=cells["area_id"].astype(str), measure=cells["measure"].astype(str))
    if "published" not in c.columns:
        c["published"] = True
    hidden_measures = set(c.loc[~c["published"].astype(bool), "measure"])
    bad = sorted(m for m in c["measure"].unique() if _parse(m) is None)
    if bad:
        raise DataValidationError(
            f"keine Aufgliederung der Bevölkerung: {bad[0]}", where="Bevölkerungs-Aufgliederungen"
        )
    vals = pd.to_numeric(c["value"], errors="coerce")
    if vals.isna().any() or (vals < 0).any():
        row = c[vals.isna() | (vals < 0)].iloc[0]
        raise DataValidationError(
            f"fehlende oder negative Einwohnerzahl für Sozialraum {row['area_id']}, {row['measure']}, "
            f"Jahr {row['year']}",
            where="Bevölkerungs-Aufgliederungen",
        )
    key = keys[["area_id", "district_id"]].astype(str).drop_duplicates("area_id")
    areas = sorted(key["area_id"])
    district_of = dict(zip(key["area_id"], key["district_id"], strict=True))
    districts = sorted(set(district_of.values()))
    units = (
        [("sozialraum", a) for a in areas] + [("stadtbezirk", d) for d in districts] + [("stadt", CITY_ID)]
    )
    n_a, n_d = len(areas), len(districts)
    n_u = n_a + n_d + 1
    a_pos = {a: i for i, a in enumerate(areas)}
    d_pos = {d: i for i, d in enumerate(districts)}
    level_rank = np.array([0] * n_a + [1] * n_d + [2], dtype=float)
    names = np.array([eng.STATUS_NAMES[s] for s in range(5)], dtype=object)
    frames = []
    for year, grp in c.groupby("year", sort=True):
        measures = tuple(sorted(grp["measure"].unique()))
        n_m = len(measures)
        m_pos = {m: i for i, m in enumerate(measures)}
        wide = np.full((n_m, n_a), np.nan)
        ai = grp["area_id"].map(a_pos)
        if ai.isna().any():
            raise DataValidationError(
                f"Sozialraum {grp.loc[ai.isna(), 'area_id'].iloc[0]} fehlt in der Schlüsseltabelle",
                where="Bevölkerungs-Aufgliederungen",
            )
        wide[grp["measure"].map(m_pos).to_numpy(), ai.to_numpy(dtype=int)] = vals.loc[grp.index].to_numpy()
        if np.isnan(wide).any():
            mi, ak = np.argwhere(np.isnan(wide))[0]
            raise DataValidationError(
                f"{measures[mi]} fehlt für Sozialraum {areas[ak]}, Jahr {year}",
                where="Bevölkerungs-Aufgliederungen",
            )
        agg = np.zeros((n_d, n_a))
        for a in areas:
            agg[d_pos[district_of[a]], a_pos[a]] = 1.0
        full = np.hstack([wide, wide @ agg.T, wide.sum(axis=1, keepdims=True)])  # measure × unit
        num = full.reshape(-1)  # cell index = measure * n_u + unit
        start = _initial_status(num, np.zeros(num.size, dtype=bool), rules)
        is_virtual = np.array([m in hidden_measures for m in measures])
        virtual = np.repeat(is_virtual, n_u)
        # a derived (unpublished) cell takes part only in the areas where it is small: there it is primary, and
        # the relations of that area include it; elsewhere, and at district and city level, it is left out
        small_virtual = virtual & (start == eng.PRIMARY) & np.tile(level_rank == 0, n_m)
        start[virtual & ~small_virtual] = eng.MISSING
        pub_idx = [i for i, v in enumerate(is_virtual) if not v]
        members: list[list[tuple[int, float]]] = []
        width: tuple[int, ...] = ()
        for u in range(n_u):
            local = pub_idx + [i for i in range(n_m) if small_virtual[i * n_u + u]]
            within, w = _template(tuple(measures[i] for i in local))
            if len(local) == len(pub_idx):
                width = w
            members += [[(local[m] * n_u + u, coef) for m, coef in rel] for rel in within]
        if not width:
            width = _template(tuple(measures[i] for i in pub_idx))[1]
        full_width = np.zeros(n_m)
        full_width[pub_idx] = width
        n_local = len(members)  # relations within one unit; the hierarchy relations follow
        for m in pub_idx:
            base = m * n_u
            for d in districts:
                parts = [base + a_pos[a] for a in areas if district_of[a] == d]
                members.append([(base + n_a + d_pos[d], 1.0)] + [(p, -1.0) for p in parts])
            members.append([(base + n_a + n_d, 1.0)] + [(base + n_a + k, -1.0) for k in range(n_d)])
        relations = [(mem[0][0], [cell for cell, _ in mem[1:]]) for mem in members]
        rows = np.repeat(np.arange(len(members)), [len(mem) for mem in members])
        cols = np.array([cell for mem in members for cell, _ in mem], dtype=np.int64)
        data = np.array([coef for mem in members for _, coef in mem], dtype=float)
        amat = sp.csr_matrix((data, (rows, cols)), shape=(len(relations), num.size))
        priority = np.repeat(full_width, n_u) + 1000.0 * np.tile(level_rank, n_m)
        local = np.arange(len(relations)) < n_local
        area_district = np.array([d_pos[district_of[a]] for a in areas])
        seeded = _mirrored_patterns(
            num,
            start,
            relations[:n_local],
            amat[:n_local],
            priority,
            is_virtual,
            area_district,
            rules.threshold,
            _cover(measures),
        )
        status = eng.protect_flat(num, seeded, relations, a=amat, priority=priority, local=local)
        frames.append(
            pd.DataFrame(
                {
                    "level": np.tile([lv for lv, _ in units], n_m),
                    "unit_id": np.tile([u for _, u in units], n_m),
                    "year": int(year),
                    "measure": np.repeat(np.array(measures, dtype=object), n_u),
                    "value": num,
                    "published_value": np.where(status == eng.SHOWN, num, np.nan),
                    "status": names[status],
                }
            )[~virtual]
        )
    cols_out = ["level", "unit_id", "year", "measure", "value", "published_value", "status"]
    if not frames:
        return pd.DataFrame(columns=cols_out)
    out = pd.concat(frames, ignore_index=True)
    out["_lv"] = out["level"].map({lv: i for i, lv in enumerate(LEVELS)})
    out = out.sort_values(["_lv", "unit_id", "year", "measure"], kind="stable").drop(columns="_lv")
    return out.reset_index(drop=True)[cols_out]


def _mirrored_patterns(
    num: np.ndarray,
    start: np.ndarray,
    local_relations: list,
    a_local: sp.csr_matrix,
    priority: np.ndarray,
    is_virtual: np.ndarray,
    area_district: np.ndarray,
    threshold: int,
    cover: np.ndarray,
) -> np.ndarray:
    """Start pattern for the joint protection: every area's own safe pattern, mirrored in one partner area.

    Cells are indexed ``measure * n_units + unit`` (areas first). Step 1 protects every unit on its own
    relations (``local_relations``: the breakdowns within one unit): the result is, per area, a set of
    measures none of which follows from the area's published cells. Step 2 hides that set of published
    measures in one other area of the same Stadtbezirk as well. Then every hidden cell stays undetermined under
    the hierarchy too: if ``x`` is a non-zero solution of the area's own relations on its hidden cells, ``x`` in
    the area and ``−x`` in the partner leave every district and city sum unchanged. Without this start, the
    cell-by-cell search of :func:`~workbench.confidentiality._secondary.protect_flat` closes every hierarchy
    relation with the smallest cell of some other area, which then needs its own pattern, and so on: a
    cascade that withheld 80 % of a 1.000-area city (the search still runs afterwards and verifies exactly).

    The partner is the area of the district that already hides most of the set, then the one with the fewest
    zero cells among the cells it would newly hide, then the one with the most residents in these cells (its
    cells must leave room: a partner with 2 in a cell would bound the area's cell by the district sum), then
    the lowest index (deterministic). An area alone in its district gets no partner here (the search handles
    it).
    """
    n_a = area_district.size
    n_m = is_virtual.size
    n_u = num.size // n_m
    status = eng.protect_flat(num, start, local_relations, a=a_local, priority=priority)
    _area_patterns(num, status, a_local, priority, n_u, n_a, threshold, cover)
    hidden = ((status != eng.SHOWN) & (status != eng.MISSING)).reshape(n_m, n_u)[:, :n_a]
    vals = num.reshape(n_m, n_u)[:, :n_a]
    own = hidden & ~is_virtual[:, None]
    for u in np.flatnonzero(own.any(axis=0)):
        pattern = own[:, u]
        peers = np.flatnonzero((area_district == area_district[u]) & (np.arange(n_a) != u))
        if peers.size == 0:
            continue
        new = pattern[:, None] & ~hidden[:, peers]  # measure × peer: cells the peer would newly hide
        key = np.lexsort(
            (
                peers,
                -np.where(pattern[:, None], vals[:, peers], 0.0).sum(axis=0),
                (new & (vals[:, peers] == 0)).sum(axis=0),
                new.sum(axis=0),
            )
        )
        v = peers[key[0]]
        add = np.flatnonzero(new[:, key[0]])
        hidden[add, v] = True
        status[add * n_u + v] = eng.SECONDARY
    return status


def _area_patterns(
    num: np.ndarray,
    status: np.ndarray,
    a_local: sp.csr_matrix,
    priority: np.ndarray,
    n_u: int,
    n_a: int,
    threshold: int,
    cover: np.ndarray,
) -> None:
    """Make every area's own pattern safe against bounds and as small as possible, in place.

    Per area with withheld cells (after the cell-by-cell search on the area's own relations):

    1. **Bounds.** No cell is computable, but bounds can still give a small count away: four withheld bands
       that add up to 5 are each 1 or 2 once an outsider assumes that withheld cells are not 0 (zeros are
       shown). For every primary cell the largest value consistent with the published cells is computed by
       linear programming (withheld cells at least 1 where their true value is, else at least 0); while it is
       below ``threshold`` a visible cell overlapping that primary is withheld as well (the finest, then the
       largest) and the search closes the area again.
    2. **Pruning.** Secondary cells are then tried coarsest first (largest ``priority``, then largest value): a
       cell is shown again when, with it shown, no withheld cell of the area follows from the area's relations
       (:func:`~workbench.confidentiality._secondary.determined_unknowns`, exact) and every primary cell can
       still reach ``threshold``. The result is a pattern from which no cell can be dropped.
    """
    unit_of_row = a_local.indices[a_local.indptr[:-1]] % n_u
    n_m = num.size // n_u
    for u in range(n_a):
        idx = np.arange(n_m) * n_u + u
        if not np.isin(status[idx], (eng.PRIMARY, eng.SECONDARY)).any():
            continue
        sub = a_local[np.flatnonzero(unit_of_row == u)][:, idx].tocsr()
        vals = num[idx]
        st = status[idx]
        for _ in range(n_m):
            low = _bounded_small(cover, vals, st, threshold)
            if low is None:
                break
            cand = np.flatnonzero((cover @ cover[low] > 0) & (st == eng.SHOWN))
            if cand.size == 0:
                break  # nothing left to withhold around it (the exact check still holds)
            st[cand[np.lexsort((cand, -vals[cand], priority[idx][cand]))[0]]] = eng.SECONDARY
            members = [sub.indices[sub.indptr[r] : sub.indptr[r + 1]] for r in range(sub.shape[0])]
            rels = [(int(m[0]), m[1:].tolist()) for m in members]
            st = eng.protect_flat(vals, st, rels, a=sub, priority=priority[idx])
        sec = np.flatnonzero(st == eng.SECONDARY)
        for j in sec[np.lexsort((-vals[sec], -priority[idx][sec]))]:
            trial = st.copy()
            trial[j] = eng.SHOWN
            hidden = trial != eng.SHOWN
            protect = (trial == eng.PRIMARY) | (trial == eng.SECONDARY) | (trial == eng.INPUT)
            published = np.where(hidden, np.nan, vals)
            cand = hidden & ~(np.nan_to_num(vals, nan=0.0) > 0)
            if (eng.determined_unknowns(sub, published, cand) & protect).any():
                continue
            if _bounded_small(cover, vals, trial, threshold) is None:
                st = trial
        status[idx] = st


def _bounded_small(cover: np.ndarray, vals: np.ndarray, st: np.ndarray, threshold: int) -> int | None:
    """A primary cell of one area whose largest possible value is below ``threshold``, else None.

    ``cover`` is the cell × atom matrix of the area (1 where the cell contains the atom). Unknowns are the
    atoms (≥ 0); published cells fix their atoms' sum; every withheld cell is at least 1 where its true value
    is (what an outsider may assume when zeros are shown), else at least 0. ``max`` of each primary cell
    (HiGHS via ``scipy.optimize.linprog``); infeasible or unbounded means nothing to learn.
    """
    from scipy.optimize import linprog

    shown = st == eng.SHOWN
    withheld = np.isin(st, (eng.PRIMARY, eng.SECONDARY, eng.INPUT))
    if not (st == eng.PRIMARY).any():
        return None
    lower = np.where(np.nan_to_num(vals[withheld], nan=0.0) >= 1, 1.0, 0.0)
    for j in np.flatnonzero(st == eng.PRIMARY):
        res = linprog(
            -cover[j],
            A_eq=cover[shown],
            b_eq=vals[shown],
            A_ub=-cover[withheld],
            b_ub=-lower,
            bounds=(0, None),
            method="highs",
        )
        if res.status == 0 and -res.fun < threshold - 1e-6:
            return int(j)
    return None


def _cover(measures: Sequence[str]) -> np.ndarray:
    """Cell × atom matrix of the measures (1 where the cell contains the atom; atoms: finest common cut)."""
    cells = [_parse(m) for m in measures]
    atoms = _atoms(cells)[3]
    return np.array([[_covers(c, a) for a in atoms] for c in cells], dtype=float)
