"""Implementation of the secondary cell suppression engine for :mod:`workbench.confidentiality`.

Linear relations, recoverability check, iterative suppression. Works on flat arrays (one entry per cell) so
that :mod:`workbench.confidentiality` can use it for any table shape. A relation says
``x[total] = sum(x[parts])``; it is stored as one row of a sparse matrix ``A`` with +1 at the total and −1 at
each part, so every relation reads ``A @ x = 0``.

Recoverability (what an outsider can compute from the published cells): the published cells are known, the
unpublished ones are unknowns ``u``. Restricted to the unknowns the relations read ``A_u @ u = b`` with
``b = −A_k @ x_k``; counts are also non-negative (``u ≥ 0``). An unknown is *recoverable* when every
solution of that system gives it the same value. Two steps decide this exactly:

1. Forced zeros: non-negativity can pin an unknown to 0 (e.g. a visible total that equals the sum of its
   visible parts forces all suppressed parts to 0). An unknown is not forced when some feasible solution has
   it positive; the true table is such a solution for every unknown whose true value is positive, so only
   unknowns whose true value is 0 or not known internally are tested, with the linear programme
   ``max Σ t_j  s.t.  A_u u = b, 0 ≤ t_j ≤ min(u_j, 1), u ≥ 0`` (repeated until no new positive unknown appears).
   Forced zeros are recoverable (value 0) and are removed from the system.
2. Rank test: the remaining system describes the affine hull of all solutions, so unknown ``j`` is
   determined iff the unit vector ``e_j`` lies in the row space of ``A_u``, i.e. iff its projection onto an
   orthonormal basis of that row space has length 1 (basis from a pivoted QR decomposition per connected
   component of the unknowns; the matrices hold only 0/±1, so the tolerances are far from any genuine
   singular value).

The system splits into connected components (unknowns linked through shared relations); each is small in a
hierarchy, so no dense matrix over the whole table is ever built. A component that is still large (the joint
population protection of a city with 1.000 Sozialräume links 25.000 relations and 56.000 unknowns through the
city totals: 10,7 GiB as a dense matrix) is tested without a dense matrix (:func:`_in_row_space_sparse`).
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from scipy.linalg import qr
from scipy.sparse.csgraph import connected_components

from workbench.errors import WorkbenchError

SHOWN, PRIMARY, SECONDARY, INPUT, MISSING = 0, 1, 2, 3, 4
STATUS_NAMES = {
    SHOWN: "shown",
    PRIMARY: "primary",
    SECONDARY: "secondary",
    INPUT: "input",
    MISSING: "missing",
}

Relation = tuple[int, Sequence[int]]

_NULL_TOL = 1e-9
_LP_TOL = 1e-7
_DENSE_LIMIT = 4_000_000
"""Entries of a component's matrix up to which the exact dense QR test is used (32 MB); above it the sparse
test (:func:`_in_row_space_sparse`)."""


def _linprog(*args, **kwargs):
    """``scipy.optimize.linprog``, imported on first use: scipy.optimize takes ~0.35 s to import, in every kernel
    that only reads protected results (profiles) and never solves a linear programme."""
    from scipy.optimize import linprog

    return linprog(*args, **kwargs)


def relation_matrix(n_cells: int, relations: Sequence[Relation]) -> sp.csr_matrix:
    """Sparse matrix (relations × cells): +1 at each relation's total, −1 at its parts."""
    rows: list[int] = []
    cols: list[int] = []
    data: list[float] = []
    for r, (total, parts) in enumerate(relations):
        rows.append(r)
        cols.append(int(total))
        data.append(1.0)
        for p in parts:
            rows.append(r)
            cols.append(int(p))
            data.append(-1.0)
    return sp.csr_matrix((data, (rows, cols)), shape=(len(relations), n_cells))


def _forced_zeros(m: np.ndarray | sp.spmatrix, b: np.ndarray, cand: np.ndarray) -> np.ndarray:
    """Candidate columns of ``m u = b, u ≥ 0`` that are 0 in every solution (see module docstring, step 1).

    Inconsistent relations (stated totals that do not add up) have no feasible table: nothing is forced.
    """
    forced = _forced_zeros_sparse(sp.csr_matrix(m), b, cand)
    return forced if forced is not None else np.zeros(m.shape[1], dtype=bool)


def _forced_zeros_sparse(a_u: sp.csr_matrix, b: np.ndarray, cand: np.ndarray) -> np.ndarray | None:
    """Batched version of :func:`_forced_zeros` over many components at once; None when infeasible.

    The objective is separable by component, so one LP per round serves all components together.
    """
    k = a_u.shape[1]
    forced = np.zeros(k, dtype=bool)
    remaining = np.flatnonzero(cand)
    while remaining.size:
        c = remaining.size
        cost = np.concatenate([np.zeros(k), -np.ones(c)])
        a_eq = sp.hstack([a_u, sp.csr_matrix((a_u.shape[0], c))], format="csr")
        ar = np.arange(c)
        a_ub = sp.csr_matrix(
            (
                np.concatenate([-np.ones(c), np.ones(c)]),
                (np.concatenate([ar, ar]), np.concatenate([remaining, k + ar])),
            ),
            shape=(c, k + c),
        )
        bounds = np.array([(0, np.inf)] * k + [(0, 1)] * c)
        res = _linprog(cost, A_ub=a_ub, b_ub=np.zeros(c), A_eq=a_eq, b_eq=b, bounds=bounds, method="highs")
        if res.status != 0:
            return None
        positive = res.x[k:] > _LP_TOL
        if not positive.any():
            forced[remaining] = True
            return forced
        remaining = remaining[~positive]
    return forced


def determined_unknowns(
    a: sp.csr_matrix, published: np.ndarray, zero_candidates: np.ndarray | None = None
) -> np.ndarray:
    """Mask of unpublished cells (NaN in ``published``) whose value follows from the published cells.

    ``a`` is the relation matrix, ``published`` the published values (NaN = not published).
    ``zero_candidates`` marks unknowns that might be forced to 0 by non-negativity (true value 0 or not known
    internally); None tests all unknowns. Method: module docstring.
    """
    n = published.shape[0]
    unknown = np.isnan(published)
    result = np.zeros(n, dtype=bool)
    if not unknown.any() or a.shape[0] == 0:
        return result
    if zero_candidates is None:
        zero_candidates = unknown
    unk_idx = np.flatnonzero(unknown)
    rhs = -(a @ np.where(unknown, 0.0, published))
    a_u = a[:, unk_idx].tocsr()
    has_unknown = np.diff(a_u.indptr) > 0
    a_u = a_u[has_unknown]
    rhs = rhs[has_unknown]
    m, k = a_u.shape
    if m == 0:
        return result
    # components of unknowns linked through relations; each relation belongs to the component of its unknowns
    adj = (abs(a_u).T @ abs(a_u)).tocsr()
    _, col_lab = connected_components(adj, directed=False)
    row_lab = col_lab[a_u.indices[a_u.indptr[:-1]]]
    in_rel = np.zeros(k, dtype=bool)
    in_rel[a_u.indices] = True
    # step 1: forced zeros, one batched LP over the components that hold candidates
    cand = zero_candidates[unk_idx] & in_rel
    forced = np.zeros(k, dtype=bool)
    if cand.any():
        comps = np.unique(col_lab[cand])
        cols = np.flatnonzero(np.isin(col_lab, comps))
        rows = np.flatnonzero(np.isin(row_lab, comps))
        sub = a_u[rows][:, cols].tocsr()
        fz = _forced_zeros_sparse(sub, rhs[rows], cand[cols])
        if fz is None:  # inconsistent somewhere: decide component by component
            fz = np.zeros(cols.size, dtype=bool)
            for comp in comps:
                cc = np.flatnonzero(col_lab[cols] == comp)
                rr = np.flatnonzero(row_lab[rows] == comp)
                fz[cc] = _forced_zeros(sub[rr][:, cc], rhs[rows][rr], cand[cols][cc])
        forced[cols] = fz
    result[unk_idx[forced]] = True
    # step 2: rank test per component on the unknowns that are not forced zeros
    keep = in_rel & ~forced
    row_order = np.argsort(row_lab, kind="stable")
    col_order = np.argsort(col_lab, kind="stable")
    perm = a_u[row_order][:, col_order].tocsr()  # block-diagonal after the permutation
    col_pos = np.empty(k, dtype=np.int64)
    col_pos[col_order] = np.arange(k)
    row_groups = dict(zip(*_group_starts(row_lab[row_order]), strict=True))
    for comp, (c0, c1) in zip(*_group_starts(col_lab[col_order]), strict=True):
        if comp not in row_groups:
            continue  # unknowns in no relation are free
        cols = col_order[c0:c1]
        kept = keep[cols]
        if not kept.any():
            continue
        r0, r1 = row_groups[comp]
        if (r1 - r0) * (c1 - c0) > _DENSE_LIMIT:  # the size of the dense block built below
            sub = perm[r0:r1][:, c0:c1][:, np.flatnonzero(kept)].tocsr()
            det = _in_row_space_sparse(sub)
            result[unk_idx[cols[kept][det]]] = True
            continue
        block = np.zeros((r1 - r0, c1 - c0))
        lo, hi = perm.indptr[r0], perm.indptr[r1]
        rr = np.repeat(np.arange(r1 - r0), np.diff(perm.indptr[r0 : r1 + 1]))
        block[rr, perm.indices[lo:hi] - c0] = perm.data[lo:hi]
        sub = block[:, kept]
        if sub.shape[1] == 1:
            det = np.array([bool(np.any(sub))])
        elif not sub.any():
            continue
        else:
            det = _in_row_space(sub)
        result[unk_idx[cols[kept][det]]] = True
    return result


def _in_row_space(mat: np.ndarray) -> np.ndarray:
    """For each column j of ``mat``: is the unit vector e_j in the row space of ``mat``?

    Pivoted QR of ``mat.T`` gives an orthonormal basis Q_r of the row space (rank r from the diagonal of R);
    e_j lies in it iff its projection has length 1, i.e. ``‖Q_r[j, :]‖² = 1``.
    """
    q, r, _ = qr(mat.T, mode="economic", pivoting=True)
    diag = np.abs(np.diag(r))
    rank = int(np.sum(diag > _NULL_TOL * max(1.0, diag[0] if diag.size else 1.0) * max(mat.shape)))
    if rank == 0:
        return np.zeros(mat.shape[1], dtype=bool)
    proj = np.einsum("ij,ij->i", q[:, :rank], q[:, :rank])
    return proj > 1.0 - 1e-7


def _in_row_space_sparse(mat: sp.csr_matrix, samples: int = 4) -> np.ndarray:
    """:func:`_in_row_space` for a large sparse ``mat`` (no dense matrix; memory linear in its non-zeros).

    ``e_j`` lies in the row space iff every vector of the null space is 0 at position ``j``. A random vector
    ``r`` (standard normal, fixed seed) minus its projection onto the row space is a random null-space vector
    ``z`` with ``z_j ~ N(0, ‖P_null e_j‖²)``; the projection is the minimum-norm solution of
    ``mat @ x = mat @ r``, which LSMR (Fong & Saunders 2011, ``scipy.sparse.linalg.lsmr``) finds because its
    iterates stay in the row space. ``j`` counts as determined when the mean of ``z_j²`` over ``samples``
    vectors is below the dense test's threshold (``‖P_null e_j‖² < 1e-7``, i.e. ``‖Q_r[j, :]‖² > 1 − 1e-7``).
    An undetermined cell can only be taken for determined by chance (then it is suppressed although it need
    not be: safe); a determined cell could be missed only through an inexact solution, so every solution is
    checked (``‖mat @ z‖`` at most 1e-10 of ``‖mat @ r‖``) and a :class:`WorkbenchError` is raised otherwise.
    """
    from scipy.sparse.linalg import lsmr

    k = mat.shape[1]
    rng = np.random.default_rng(20240)
    acc = np.zeros(k)
    for _ in range(samples):
        r = rng.standard_normal(k)
        b = mat @ r
        x = lsmr(mat, b, atol=1e-13, btol=1e-13, conlim=1e12, maxiter=max(1000, 20 * min(mat.shape)))[0]
        z = r - x
        if np.linalg.norm(mat @ z) > 1e-10 * max(1.0, np.linalg.norm(b)):
            raise WorkbenchError(
                "Geheimhaltung: die Rückrechenbarkeitsprüfung einer großen Tabelle hat nicht konvergiert "
                f"({mat.shape[0]} Beziehungen, {k} gesperrte Zellen)",
                hint="bitte als Fehler der Workbench melden (Tabellenstruktur und Zahl der Sozialräume angeben)",
            )
        acc += z * z
    return acc / samples < 1e-7


def _group_starts(sorted_labels: np.ndarray) -> tuple[list[int], list[tuple[int, int]]]:
    """Distinct labels of a sorted array and their [start, stop) ranges."""
    if sorted_labels.size == 0:
        return [], []
    cut = np.flatnonzero(np.diff(sorted_labels)) + 1
    starts = np.concatenate([[0], cut])
    stops = np.concatenate([cut, [sorted_labels.size]])
    return [int(sorted_labels[s]) for s in starts], list(zip(starts.tolist(), stops.tolist(), strict=True))


def protect_flat(
    values: np.ndarray,
    status: np.ndarray,
    relations: Sequence[Relation],
    *,
    a: sp.csr_matrix | None = None,
    priority: np.ndarray | None = None,
    local: np.ndarray | None = None,
) -> np.ndarray:
    """Add secondary suppressions until no unpublished cell is recoverable; returns the new status array.

    ``values`` are the true values (NaN where not known internally), ``status`` the codes SHOWN / PRIMARY /
    INPUT / MISSING per cell. Step A: while a relation has exactly one unpublished member, suppress its best
    visible member. Step B: run :func:`determined_unknowns`; for every recoverable cell suppress the best
    visible member of its relation with the fewest unpublished members, then repeat A and B. "Best" means:
    not the total of any relation, non-zero, smallest value, lowest cell index (deterministic). ``priority``
    (optional, one number per cell) replaces "not the total of any relation" as the first criterion: cells with
    a lower priority are suppressed first (relations ``a`` with any integer coefficients, e.g. the linear
    dependencies between overlapping breakdowns).

    ``local`` (optional, one bool per relation) marks relations that form small independent blocks (e.g. the
    breakdowns within one area, without the hierarchy area → district → city). Step B then first tests with
    these relations only (many small rank tests instead of one over the component that the hierarchy links
    city-wide) and suppresses what they already determine; the full test runs only when they find nothing,
    and the loop ends only when the full test finds nothing. Exact either way (whatever the local relations
    determine, all relations determine too); it only saves full tests, which grow with the cube of the cells.
    """
    n = values.shape[0]
    status = status.copy()
    if a is None:
        a = relation_matrix(n, relations)
    if not relations:
        return status
    members = [
        np.concatenate([[int(t)], np.asarray(p, dtype=np.int64)]).astype(np.int64) for t, p in relations
    ]
    pattern = sp.csr_matrix(a, copy=True)
    pattern.eliminate_zeros()
    pattern.data = np.ones_like(pattern.data)  # membership, whatever the coefficients
    inc = pattern.tocsc()
    cell_rels = [inc.indices[inc.indptr[c] : inc.indptr[c + 1]] for c in range(n)]
    is_total = np.zeros(n, dtype=bool)
    is_total[[int(t) for t, _ in relations]] = True
    vals = np.nan_to_num(values, nan=np.inf)
    first = is_total if priority is None else np.asarray(priority, dtype=float)
    order = np.lexsort((np.arange(n), vals, vals == 0, first))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    hidden = status != SHOWN
    count = np.asarray(pattern @ hidden.astype(np.float64)).round().astype(np.int64)

    def suppress(c: int, heap: list[int]) -> None:
        hidden[c] = True
        status[c] = SECONDARY
        for r in cell_rels[c]:
            count[r] += 1
            if count[r] == 1:
                heapq.heappush(heap, int(r))

    def best_visible(r: int) -> int | None:
        mem = members[r]
        vis = mem[~hidden[mem]]
        return None if vis.size == 0 else int(vis[np.argmin(rank[vis])])

    def close_singletons() -> None:
        heap = [int(r) for r in np.flatnonzero(count == 1)]
        heapq.heapify(heap)
        while heap:
            r = heapq.heappop(heap)
            if count[r] != 1:
                continue
            c = best_visible(r)
            if c is not None:
                suppress(c, heap)

    a_local = None if local is None or np.all(local) else a[np.flatnonzero(np.asarray(local, dtype=bool))]
    protect = (status == PRIMARY) | (status == SECONDARY) | (status == INPUT)
    for _ in range(n + 1):
        close_singletons()
        published = np.where(hidden, np.nan, values)
        cand = hidden & ~(np.nan_to_num(values, nan=0.0) > 0)
        protect = (status == PRIMARY) | (status == SECONDARY) | (status == INPUT)
        det = np.zeros(n, dtype=bool)
        if a_local is not None:
            det = determined_unknowns(a_local, published, cand) & protect
        if not det.any():
            det = determined_unknowns(a, published, cand) & protect
        if not det.any():
            return status
        touched: set[int] = set()
        heap: list[int] = []
        for c in np.flatnonzero(det):
            rels = sorted(cell_rels[c], key=lambda r: (count[r], r))
            if any(r in touched for r in rels):
                continue
            chosen = next((r for r in rels if best_visible(r) is not None), None)
            if chosen is None:
                chosen = _nearest_relation_with_visible(int(c), cell_rels, members, hidden)
            if chosen is None:
                raise WorkbenchError(
                    "Geheimhaltung nicht herstellbar: eine gesperrte Zelle bleibt rückrechenbar",
                    hint="Tabellenstruktur (Summenbeziehungen) prüfen",
                )
            touched.add(chosen)
            suppress(best_visible(chosen), heap)  # type: ignore[arg-type]
    raise WorkbenchError("Geheimhaltung nicht herstellbar (keine Konvergenz)")


def _nearest_relation_with_visible(
    cell: int, cell_rels: list[np.ndarray], members: list[np.ndarray], hidden: np.ndarray
) -> int | None:
    """Breadth-first search through unpublished cells for the nearest relation that still has a visible member."""
    seen_cells = {cell}
    seen_rels: set[int] = set()
    frontier = [cell]
    while frontier:
        nxt: list[int] = []
        for c in frontier:
            for r in sorted(int(x) for x in cell_rels[c]):
                if r in seen_rels:
                    continue
                seen_rels.add(r)
                mem = members[r]
                if (~hidden[mem]).any():
                    return r
                for c2 in mem.tolist():
                    if c2 not in seen_cells:
                        seen_cells.add(c2)
                        nxt.append(c2)
        frontier = nxt
    return None
