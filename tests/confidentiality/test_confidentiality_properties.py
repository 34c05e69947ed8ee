"""Property tests: after protection no small count is visible and no suppressed cell can be recovered.

The recoverability check here is an independent reference: for every unpublished cell, min and max of its
value under all relations and non-negativity by scipy's linprog (min == max → recoverable).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from workbench.confidentiality import Rules, hierarchy, with_margins
from workbench.confidentiality._secondary import determined_unknowns, relation_matrix


def lp_recoverable(values: np.ndarray, hidden: np.ndarray, relations) -> np.ndarray:
    """Reference: hidden cells whose value is fixed by the published cells (LP min == max, x ≥ 0)."""
    n = values.size
    unk = np.flatnonzero(hidden)
    out = np.zeros(n, dtype=bool)
    if unk.size == 0:
        return out
    pos = {c: i for i, c in enumerate(unk)}
    rows, rhs = [], []
    for total, parts in relations:
        row = np.zeros(unk.size)
        b = 0.0
        for c, coef in [(total, 1.0)] + [(p, -1.0) for p in parts]:
            if c in pos:
                row[pos[c]] += coef
            else:
                b -= coef * values[c]
        if row.any():
            rows.append(row)
            rhs.append(b)
    if not rows:
        return out
    a, b = np.array(rows), np.array(rhs)
    for j, c in enumerate(unk):
        cost = np.zeros(unk.size)
        cost[j] = 1
        lo = linprog(cost, A_eq=a, b_eq=b, bounds=[(0, None)] * unk.size, method="highs")
        hi = linprog(-cost, A_eq=a, b_eq=b, bounds=[(0, None)] * unk.size, method="highs")
        assert lo.status == 0, "reference LP must be feasible (the true table is a solution)"
        if hi.status == 0 and abs(-hi.fun - lo.fun) < 1e-6:
            out[c] = True
    return out


def check_protected(table, rules: Rules) -> None:
    prot = table.protect(rules)
    status = prot.status.to_numpy().reshape(-1)
    values = prot.values.to_numpy().reshape(-1)
    shown = status == "shown"
    small = (values > 0) & (values < rules.threshold)
    assert not np.any(shown & small), "a count 1..threshold-1 is visible"
    assert not np.any((status == "shown") & np.isnan(values))
    rels = table.flat_relations()
    rec = lp_recoverable(values, ~shown, rels)
    assert not rec.any(), f"recoverable suppressed cells: {np.flatnonzero(rec)}"


small_counts = st.integers(min_value=0, max_value=12) | st.sampled_from([1, 2])

SETTINGS = dict(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@settings(**SETTINGS)
@given(
    st.integers(2, 5).flatmap(
        lambda nc: st.lists(st.lists(small_counts, min_size=nc, max_size=nc), min_size=2, max_size=5)
    )
)
def test_random_margins_tables_are_safe(rows: list[list[int]]) -> None:
    df = pd.DataFrame(
        rows, index=[f"r{i}" for i in range(len(rows))], columns=[f"c{j}" for j in range(len(rows[0]))]
    )
    check_protected(with_margins(df), Rules())


@settings(**SETTINGS)
@given(
    st.lists(st.integers(1, 4), min_size=1, max_size=4),
    st.data(),
)
def test_random_two_level_hierarchies_are_safe(district_sizes: list[int], data) -> None:
    areas, districts = [], []
    for d, size in enumerate(district_sizes):
        for a in range(size):
            areas.append(f"{d:02d}{a:02d}")
            districts.append(f"{d:02d}")
    ncol = data.draw(st.integers(1, 3))
    vals = data.draw(
        st.lists(
            st.lists(small_counts, min_size=ncol, max_size=ncol), min_size=len(areas), max_size=len(areas)
        )
    )
    df = pd.DataFrame(vals, index=areas, columns=[f"m{j}" for j in range(ncol)])
    keys = pd.DataFrame({"area_id": areas, "district_id": districts})
    check_protected(hierarchy(df, keys), Rules())


@settings(**SETTINGS)
@given(st.lists(st.lists(small_counts, min_size=3, max_size=3), min_size=3, max_size=4), st.data())
def test_rank_test_agrees_with_lp_reference(rows, data) -> None:
    """The engine's forced-zero + rank test equals the LP interval reference on arbitrary suppression patterns."""
    df = pd.DataFrame(rows, columns=["a", "b", "c"])
    table = with_margins(df)
    values = table.values.to_numpy().reshape(-1)
    hidden = np.array(data.draw(st.lists(st.booleans(), min_size=values.size, max_size=values.size)))
    rels = table.flat_relations()
    a = relation_matrix(values.size, rels)
    got = determined_unknowns(a, np.where(hidden, np.nan, values))
    ref = lp_recoverable(values, hidden, rels)
    np.testing.assert_array_equal(got, ref)


def test_rules_threshold_five_and_hidden_zero() -> None:
    df = pd.DataFrame({"a": [4, 0, 9, 12], "b": [7, 8, 3, 11]})
    rules = Rules(threshold=5, show_zero=False)
    check_protected(with_margins(df), rules)
    prot = with_margins(df).protect(rules)
    assert prot.status.loc[1, "a"] == "primary"  # 0 hidden when show_zero is off
    assert prot.status.loc[0, "a"] == "primary"  # 4 < 5


def test_sparse_matrix_shape() -> None:
    a = relation_matrix(4, [(0, [1, 2, 3])])
    assert isinstance(a, sp.csr_matrix)
    np.testing.assert_array_equal(a.toarray(), [[1, -1, -1, -1]])
