"""Joint protection of every published breakdown of the population (issue: linked protection).

The reference check is independent of the engine: it takes the published cells as they are, writes every cell
as a sum of single years of age by sex (the register's own atoms, non-negative integers), and asks a linear
programme for the smallest and largest value of each withheld cell. A withheld cell is safe when that range is
at least one person wide.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from workbench.confidentiality import Rules, population_measure, protect_population
from workbench.confidentiality._population import _parse

AGES = 12  # single years 0 … 11 (11 = "11 and older") keep the LP small
SEXES = ("m", "w")
# what a report publishes about these residents: total, bands by sex, age groups, Kita groups
MEASURES = (
    [population_measure()]
    + [population_measure(a, a + 3, s) for a in (0, 4) for s in SEXES]
    + [population_measure(8, None, s) for s in SEXES]
    + [population_measure(0, 5), population_measure(6, None)]
    + [population_measure(0, 2), population_measure(3, 5)]
)

# more overlapping breakdowns: a cell hidden in one needs several more hidden in the others
OVERLAPPING = [
    *MEASURES,
    population_measure(0, 4),
    population_measure(5, None),
    population_measure(0, 3, "m"),
    population_measure(6, 9),
]


def _cells(pop: np.ndarray, areas: list[str], measures: list[str] = MEASURES) -> pd.DataFrame:
    """True cell values from single years ``pop[area, sex, age]``."""
    rows = []
    for i, a in enumerate(areas):
        for m in measures:
            c = _parse(m)
            hi = AGES - 1 if c.hi >= 100 else c.hi
            sexes = [SEXES.index(c.sex)] if c.sex else [0, 1]
            rows.append((a, 2024, m, int(pop[i][np.ix_(sexes, range(c.lo, hi + 1))].sum())))
    return pd.DataFrame(rows, columns=["area_id", "year", "measure", "value"])


def _atom_vector(areas: list[str], districts: dict[str, str]):
    """Cell → its single years by sex of every area (level, unit, measure) → 0/1 vector."""

    def vector(level: str, unit: str, measure: str) -> np.ndarray:
        c = _parse(measure)
        hi = AGES - 1 if c.hi >= 100 else c.hi
        v = np.zeros((len(areas), 2, AGES))
        for i, a in enumerate(areas):
            if level == "stadt" or (level == "stadtbezirk" and districts[a] == unit) or a == unit:
                for s in [SEXES.index(c.sex)] if c.sex else [0, 1]:
                    v[i, s, c.lo : hi + 1] = 1
        return v.reshape(-1)

    return vector


def _recoverable(out: pd.DataFrame, areas: list[str], districts: dict[str, str]) -> list[tuple]:
    """Withheld cells whose value the published cells pin to one integer (atoms: single years by sex ≥ 0)."""
    n_atoms = len(areas) * 2 * AGES

    vector = _atom_vector(areas, districts)

    shown = out[out["status"] == "shown"]
    a_eq = np.array([vector(r.level, r.unit_id, r.measure) for r in shown.itertuples()])
    b_eq = shown["value"].to_numpy(dtype=float)
    found = []
    for r in out[out["status"].isin(["primary", "secondary"])].itertuples():
        cost = vector(r.level, r.unit_id, r.measure)
        lo = linprog(cost, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        hi = linprog(-cost, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        assert lo.status == 0 and hi.status in (0, 3)  # 3: unbounded above (nothing published bounds it)
        if hi.status == 0 and -hi.fun - lo.fun < 1 - 1e-6:
            found.append((r.level, r.unit_id, r.measure, r.value))
    assert n_atoms == a_eq.shape[1]
    return found


def test_kita_group_not_recoverable_from_age_group_minus_other_kita_group():
    """The demo leak: 1 child under 3 = "0 bis 5" (7) − "3 bis unter 6" (6) when each table is protected alone."""
    pop = np.zeros((3, 2, AGES), dtype=int)
    pop[0] = [[1, 0, 0, 1, 2, 1, 3, 4, 3, 4, 5, 20], [0, 0, 0, 1, 1, 1, 2, 4, 5, 3, 4, 25]]  # 1 child under 3
    pop[1] = 5
    pop[2] = 6
    areas = ["a1", "a2", "b1"]
    districts = {"a1": "A", "a2": "A", "b1": "B"}
    keys = pd.DataFrame({"area_id": areas, "district_id": [districts[a] for a in areas]})
    out = protect_population(_cells(pop, areas), keys, Rules())
    cell = out[(out["unit_id"] == "a1") & (out["measure"] == "population_0-2")].iloc[0]
    assert (cell["value"], cell["status"]) == (1.0, "primary")
    # the other Kita group and at least one more cell of the same area are withheld with it
    a1 = out[(out["unit_id"] == "a1") & (out["status"] != "shown")]
    assert "population_3-5" in set(a1["measure"]) or "population_0-5" in set(a1["measure"])
    assert _recoverable(out, areas, districts) == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.lists(st.integers(0, 6), min_size=2 * AGES, max_size=2 * AGES),
        min_size=3,
        max_size=4,
    ),
)
@example([[0] * (2 * AGES), [0] * (2 * AGES), [0] * (2 * AGES - 1) + [1]])  # one resident: all withheld
def test_no_withheld_cell_recoverable_from_all_published_breakdowns(rows):
    """Property: whatever the residents, no withheld cell follows from everything published together."""
    pop = np.array(rows).reshape(len(rows), 2, AGES)
    areas = [f"a{i}" for i in range(len(rows))]
    districts = {a: ("A" if i % 2 == 0 else "B") for i, a in enumerate(areas)}
    keys = pd.DataFrame({"area_id": areas, "district_id": [districts[a] for a in areas]})
    out = protect_population(_cells(pop, areas), keys, Rules())
    small = out[(out["value"] > 0) & (out["value"] < 3)]
    assert (small["status"] == "primary").all()  # every small cell withheld
    assert _recoverable(out, areas, districts) == []


def test_sums_and_statuses_are_consistent_and_deterministic():
    rng = np.random.default_rng(7)
    pop = rng.integers(0, 9, size=(4, 2, AGES))
    areas = ["0101", "0102", "0201", "0202"]
    keys = pd.DataFrame({"area_id": areas, "district_id": ["01", "01", "02", "02"]})
    cells = _cells(pop, areas)
    out = protect_population(cells, keys, Rules())
    again = protect_population(cells.sample(frac=1, random_state=1), keys, Rules())
    pd.testing.assert_frame_equal(out, again)
    city = out[(out["level"] == "stadt") & (out["measure"] == "population")]["value"].iloc[0]
    assert city == pop.sum()
    assert set(out["level"]) == {"sozialraum", "stadtbezirk", "stadt"}


def test_bad_measure_is_named():
    cells = pd.DataFrame({"area_id": ["a"], "year": [2024], "measure": ["kinder_0-5"], "value": [3]})
    keys = pd.DataFrame({"area_id": ["a"], "district_id": ["1"]})
    with pytest.raises(Exception, match="kinder_0-5"):
        protect_population(cells, keys, Rules())


def test_small_difference_of_two_published_breakdowns_is_protected():
    # area a: 7 children aged 0–4 and 1 aged 5; "0 bis 5" (age group) and "0–4" (pyramid) published together
    # would give age 5 = 1 by subtraction: the derived cell is primary, so one of them is withheld and cannot be
    # recomputed; area b (age 5 = 9) keeps everything that the hierarchy allows
    from workbench.confidentiality import derivable_breakdowns

    measures = ["population", "population_0-4", "population_0-5"]
    assert derivable_breakdowns(measures) == ["population_5-5", "population_6+"]
    values = {"a": [40, 7, 8, 1], "b": [60, 20, 29, 9], "c": [55, 18, 25, 7]}
    rows = [
        (area, 2024, m, v, m != "population_5-5")
        for area, vals in values.items()
        for m, v in zip([*measures, "population_5-5"], vals, strict=True)
    ]
    cells = pd.DataFrame(rows, columns=["area_id", "year", "measure", "value", "published"])
    keys = pd.DataFrame({"area_id": ["a", "b", "c"], "district_id": ["1", "1", "2"]})
    out = protect_population(cells, keys, Rules())
    assert "population_5-5" not in set(out["measure"])  # derived cells are never published
    a = out[(out["level"] == "sozialraum") & (out["unit_id"] == "a")].set_index("measure")["status"]
    assert not (a["population_0-4"] == "shown" and a["population_0-5"] == "shown")
    # nothing published pins age 5 of area a: minimise and maximise it over the atoms (ages 0–4, 5, 6+)
    shown = out[out["status"] == "shown"]
    units = ["a", "b", "c"]
    district = {"a": "1", "b": "1", "c": "2"}
    span = {"population": (0, 1, 2), "population_0-4": (0,), "population_0-5": (0, 1)}

    def vec(level, unit, measure):
        v = np.zeros((3, 3))
        for i, u in enumerate(units):
            if level == "stadt" or (level == "stadtbezirk" and district[u] == unit) or u == unit:
                v[i, list(span[measure])] = 1
        return v.reshape(-1)

    a_eq = np.array([vec(r.level, r.unit_id, r.measure) for r in shown.itertuples()])
    b_eq = shown["value"].to_numpy(dtype=float)
    target = np.zeros((3, 3))
    target[0, 1] = 1
    lo = linprog(target.reshape(-1), A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
    hi = linprog(-target.reshape(-1), A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
    assert lo.status == 0 and (hi.status == 3 or -hi.fun - lo.fun >= 1 - 1e-6)


@pytest.mark.parametrize("seed", [1, 2])
def test_local_phase_needs_one_city_wide_rank_test_and_stays_exact(monkeypatch, seed):
    """Rank tests within each unit first (small blocks), the city-wide test only to confirm: 10 small areas
    with overlapping breakdowns need 11–12 city-wide rank tests when every round tests city-wide, one with
    the local phase; the pattern may differ (seed 2) but nothing withheld is recoverable in either. (The
    mirrored start pattern is switched off here: with it, the search starts from a safe pattern.)"""
    from workbench.confidentiality import _population, _secondary

    monkeypatch.setattr(_population, "_mirrored_patterns", lambda num, start, *args: start)

    measures = OVERLAPPING
    pop = np.random.default_rng(seed).integers(0, 2, size=(10, 2, AGES))
    areas = [f"a{i:02d}" for i in range(10)]
    districts = {a: "ABCD"[i // 3] for i, a in enumerate(areas)}
    keys = pd.DataFrame({"area_id": areas, "district_id": [districts[a] for a in areas]})
    cells = _cells(pop, areas, measures)
    calls: list[int] = []
    real_test, real_flat = _secondary.determined_unknowns, _secondary.protect_flat

    def counting(a, *args, **kw):
        calls.append(a.shape[0])
        return real_test(a, *args, **kw)

    monkeypatch.setattr(_secondary, "determined_unknowns", counting)
    with_local = protect_population(cells, keys, Rules())
    full_rows = max(calls)
    full_with_local = calls.count(full_rows)
    calls.clear()
    monkeypatch.setattr(_secondary, "protect_flat", lambda *a, local=None, **k: real_flat(*a, **k))
    without = protect_population(cells, keys, Rules())
    assert full_with_local == 1 and calls.count(full_rows) >= 10
    assert (with_local["status"] == "secondary").sum() > 0
    if seed == 1:
        pd.testing.assert_frame_equal(with_local, without)
    for out in (with_local, without):
        small = out[(out["value"] > 0) & (out["value"] < 3)]
        assert (small["status"] == "primary").all()
        assert _recoverable(out, areas, districts) == []


@pytest.mark.parametrize("seed", [3, 4])
def test_large_components_tested_without_a_dense_matrix_give_the_same_pattern(monkeypatch, seed):
    """The sparse rank test (random null-space vectors by LSMR) that large components use: forced on every
    component, it yields exactly the pattern of the dense QR test, and nothing withheld is recoverable."""
    from workbench.confidentiality import _secondary

    pop = np.random.default_rng(seed).integers(0, 3, size=(9, 2, AGES))
    areas = [f"a{i:02d}" for i in range(9)]
    districts = {a: "ABC"[i // 3] for i, a in enumerate(areas)}
    keys = pd.DataFrame({"area_id": areas, "district_id": [districts[a] for a in areas]})
    cells = _cells(pop, areas)
    dense = protect_population(cells, keys, Rules())
    monkeypatch.setattr(_secondary, "_DENSE_LIMIT", 0)
    sparse_calls: list[tuple[int, int]] = []
    real = _secondary._in_row_space_sparse
    monkeypatch.setattr(_secondary, "_in_row_space_sparse", lambda m: sparse_calls.append(m.shape) or real(m))
    sparse = protect_population(cells, keys, Rules())
    assert sparse_calls  # the sparse path ran
    pd.testing.assert_frame_equal(dense, sparse)
    assert (dense["status"] == "secondary").sum() > 0
    assert _recoverable(sparse, areas, districts) == []


def test_sparse_row_space_test_equals_the_dense_one_on_random_relations():
    """e_j in the row space: the sparse test agrees with the pivoted-QR test on 150 random 0/±1 systems with
    dependent rows and unit rows (determined cells)."""
    import scipy.sparse as sp

    from workbench.confidentiality._secondary import _in_row_space, _in_row_space_sparse

    rng = np.random.default_rng(7)
    determined = 0
    for trial in range(150):
        m, k = int(rng.integers(2, 40)), int(rng.integers(2, 60))
        dense = rng.choice([-1.0, 0.0, 1.0], size=(m, k), p=[0.1, 0.8, 0.1])
        if trial % 3 == 0:
            dense = np.vstack([dense, dense[0] + dense[1], dense[0] - dense[-1]])
        if trial % 2 == 0:
            unit = np.zeros((1, k))
            unit[0, rng.integers(k)] = 1.0
            dense = np.vstack([dense, unit])
        if not dense.any():
            continue
        expected = _in_row_space(dense)
        determined += int(expected.sum())
        np.testing.assert_array_equal(_in_row_space_sparse(sp.csr_matrix(dense)), expected)
    assert determined > 75


def _city(
    seed: int, n_areas: int, per_district: int, high: int = 40
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """A city of ``n_areas`` areas with residents 0 … high per single year and sex (few small cells)."""
    rng = np.random.default_rng(seed)
    pop = rng.integers(3, high, size=(n_areas, 2, AGES))
    areas = [f"a{i:03d}" for i in range(n_areas)]
    districts = {a: f"D{i // per_district}" for i, a in enumerate(areas)}
    keys = pd.DataFrame({"area_id": areas, "district_id": [districts[a] for a in areas]})
    return pop, keys, districts


def test_mirrored_start_keeps_a_small_cell_from_cascading_through_the_city(monkeypatch):
    """One area with a resident aged 0–2 alone in the Kita group "unter 3": its own pattern is withheld, and
    the same measures in exactly one other area of its district; every district and city cell stays shown.
    Without the mirrored start the cell-by-cell search withholds more (the cascade of issue #18: 49.218 of
    59.000 area cells of the 1.000-area demo city). Nothing withheld is recoverable (LP reference)."""
    from workbench.confidentiality import _population

    pop, keys, districts = _city(11, 24, 6)
    pop[5, :, 0:3] = 0
    pop[5, 0, 1] = 1  # one child under 3 in area a005
    areas = list(keys["area_id"])
    cells = _cells(pop, areas, OVERLAPPING)
    out = protect_population(cells, keys, Rules())
    hidden = out[out["status"] != "shown"]
    assert set(hidden["level"]) == {"sozialraum"}
    by_area = hidden.groupby("unit_id")["measure"].apply(frozenset)
    assert len(by_area) == 2 and "a005" in by_area.index
    partner = next(a for a in by_area.index if a != "a005")
    assert districts[partner] == "D0"
    own = by_area["a005"]
    assert "population_0-2" in own and by_area[partner] == own  # the partner mirrors the pattern
    assert _recoverable(out, areas, districts) == []
    monkeypatch.setattr(_population, "_mirrored_patterns", lambda num, start, *args: start)
    searched = protect_population(cells, keys, Rules())
    assert (searched["status"] != "shown").sum() > len(hidden)
    assert _recoverable(searched, areas, districts) == []


@pytest.mark.parametrize("seed", [21, 22, 23])
def test_mirrored_start_is_safe_with_several_small_cells_and_a_lone_area(seed):
    """Random cities with several small cells, two primary areas in one district (they may mirror each other)
    and one district of a single area (no partner there: the search protects it): every small cell primary,
    nothing withheld recoverable, and far fewer cells withheld than there are."""
    pop, keys, districts = _city(seed, 13, 4, high=12)
    rng = np.random.default_rng(seed)
    for i in rng.choice(12, size=4, replace=False).tolist():
        pop[i, :, 0:3] = rng.integers(0, 2, size=(2, 3))
    pop[12, :, 0:3] = 0
    pop[12, 1, 2] = 1  # area a012, alone in district D3, has one child under 3
    areas = list(keys["area_id"])
    out = protect_population(_cells(pop, areas, OVERLAPPING), keys, Rules())
    small = out[(out["value"] > 0) & (out["value"] < 3)]
    assert (small["status"] == "primary").all() and len(small) >= 2
    assert ((small["unit_id"] == "a012") & (small["level"] == "sozialraum")).any()
    assert _recoverable(out, areas, districts) == []
    assert (out["status"] == "shown").mean() > 0.8


def _largest_values(out: pd.DataFrame, areas: list[str], districts: dict[str, str]) -> list[float]:
    """For each primary cell the largest value an outsider can reach: single years by sex ≥ 0, published
    cells fixed, every withheld cell at least 1 where its true value is (zeros are shown, so withheld cells
    look non-zero)."""

    vector = _atom_vector(areas, districts)

    shown = out[out["status"] == "shown"]
    withheld = out[out["status"].isin(["primary", "secondary"]) & (out["value"] >= 1)]
    a_eq = np.array([vector(r.level, r.unit_id, r.measure) for r in shown.itertuples()])
    a_ub = -np.array([vector(r.level, r.unit_id, r.measure) for r in withheld.itertuples()])
    found = []
    for r in out[out["status"] == "primary"].itertuples():
        res = linprog(
            -vector(r.level, r.unit_id, r.measure),
            A_eq=a_eq,
            b_eq=shown["value"].to_numpy(dtype=float),
            A_ub=a_ub,
            b_ub=-np.ones(len(withheld)),
            bounds=(0, None),
            method="highs",
        )
        assert res.status in (0, 3)
        found.append(np.inf if res.status == 3 else -res.fun)
    return found


@pytest.mark.parametrize("seed", [31, 32, 33])
def test_no_small_cell_bounded_below_three_when_withheld_cells_look_non_zero(seed):
    """The attack on the demo report: in a small area four withheld bands added up to 5, so each was 1 or 2
    once withheld cells are taken as non-zero. Every primary cell must be able to reach 3 (LP over single
    years, with the hierarchy) in small random areas full of 1s and 2s."""
    rng = np.random.default_rng(seed)
    pop = rng.integers(0, 3, size=(6, 2, AGES))
    pop[:, :, AGES - 1] += 40  # every area has residents beyond the small groups
    areas = [f"a{i}" for i in range(6)]
    districts = {a: "AB"[i // 3] for i, a in enumerate(areas)}
    keys = pd.DataFrame({"area_id": areas, "district_id": [districts[a] for a in areas]})
    out = protect_population(_cells(pop, areas, OVERLAPPING), keys, Rules())
    assert (out["status"] == "primary").sum() >= 2
    assert min(_largest_values(out, areas, districts)) >= 3 - 1e-6
    assert _recoverable(out, areas, districts) == []
