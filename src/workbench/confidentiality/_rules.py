"""Statistical confidentiality (Geheimhaltung) of every published count, rate and share.

Rule: nothing published may reveal a count of 1 … threshold−1 (default: 1 or 2). Three layers:

**Primary suppression** (:func:`primary_mask`): a count with ``0 < value < threshold`` is suppressed; 0 is
shown unless ``show_zero`` is off. Values already suppressed in the delivered data (NaN with the
``suppressed`` flag, or the signs "*", "–", "-", ".", "x", "•") stay suppressed and are never summed as 0.

**Secondary suppression** (:class:`AdditiveTable`, :func:`protect_counts`): a table is a set of cells plus
linear relations "total = sum of parts" (row/column margins, Sozialraum → Stadtbezirk → Stadt,
``unemployed = unemployed_sgb2 + unemployed_sgb3``). Algorithm (``confidentiality_secondary``):

1. Start with the primary and input suppressions.
2. While some relation has exactly one unpublished member, suppress one more visible member of it: cells
   that are not the total of any relation first, then non-zero before zero, then the smallest value, then the
   first cell in table order (deterministic tie-break).
3. Verify exactly which unpublished cells an outsider can still compute from the published ones, using the
   relations and non-negativity of counts: forced zeros by a small linear programme, then a rank test — a
   cell is recoverable iff its unit vector lies in the row space of the relations restricted to the
   unpublished cells (null-space test per connected component).
4. For each recoverable cell suppress the best visible member of the relation through it with the fewest
   unpublished members, then go back to step 2. Stops when no unpublished cell is recoverable.

**Aggregates** (decision): :func:`protect_counts` computes the Stadtbezirk and Stadt values itself. When a part
was suppressed *by the workbench* (primary/secondary) its true value is known internally, so the true sum is
used and may be published if step 3 allows. When a part was suppressed *in the delivered data*, the sum is
unknown internally; it gets status ``input`` and is never published (no lower bound is shown). A missing part
(no data) makes the sum ``missing``.

**Rates and shares** (:func:`protect_rates`): suppressed when the numerator count is not shown, when (rule
``suppress_on_denominator``) the denominator count is not shown, or when the denominator is below
``min_base``.

The report protects the central count cube once (:func:`protect_counts`) and every chapter uses that result,
so the same count is suppressed everywhere. Result statuses: ``shown``, ``primary``, ``secondary``,
``input`` (suppressed in the delivered data, or a sum over such a value) and ``missing`` (no data).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from workbench.confidentiality import _secondary as eng
from workbench.errors import ConfigError, DataValidationError
from workbench.render.fmt import SUPPRESSED_SIGN

SUPPRESSION_MARKERS = frozenset({"*", "–", "-", ".", "x", "X", SUPPRESSED_SIGN})
"""Signs that mark a value suppressed in delivered data (BA "*", statistical offices "." / "x", "–")."""

MEASURE_RELATIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("unemployed", ("unemployed_sgb2", "unemployed_sgb3")),
)
"""Measures of the count cube that add up: total measure = sum of part measures (per unit and year)."""

LEVELS = ("sozialraum", "stadtbezirk", "stadt")
CITY_ID = "stadt"
"""``unit_id`` of the whole city in :func:`protect_counts` output."""

Cell = tuple[Hashable, Hashable]


@dataclass(frozen=True)
class Rules:
    """Confidentiality rules of a report (YAML section ``confidentiality:``).

    threshold: counts 1 … threshold−1 are suppressed. show_zero: 0 may be published. min_base: a rate or share
    whose denominator is below this is suppressed (None = no limit). suppress_on_denominator: a rate is also
    suppressed when its denominator count is suppressed.
    """

    threshold: int = 3
    show_zero: bool = True
    min_base: float | None = None
    suppress_on_denominator: bool = False

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None, *, path: object = None) -> Rules:
        """Rules from the report YAML ``confidentiality:`` mapping; wrong keys or values → ConfigError."""
        if config is None:
            return cls()
        if not isinstance(config, Mapping):
            raise ConfigError("confidentiality muss eine Zuordnung sein", path=path, where="confidentiality")
        known = {"threshold", "show_zero", "min_base", "suppress_on_denominator"}
        unknown = sorted(set(config) - known)
        if unknown:
            raise ConfigError(
                f"unbekannte Einstellung(en) {', '.join(map(str, unknown))}",
                path=path,
                where="confidentiality",
                hint=f"erlaubt sind {', '.join(sorted(known))}",
            )
        kw: dict[str, Any] = {}
        if "threshold" in config:
            t = config["threshold"]
            if isinstance(t, bool) or not isinstance(t, int) or t < 1:
                raise ConfigError(
                    f"threshold muss eine ganze Zahl ≥ 1 sein, gefunden: {t!r}",
                    path=path,
                    where="confidentiality.threshold",
                    hint="üblich ist 3 (Fallzahlen 1 und 2 werden gesperrt)",
                )
            kw["threshold"] = t
        for key in ("show_zero", "suppress_on_denominator"):
            if key in config:
                if not isinstance(config[key], bool):
                    raise ConfigError(
                        f"{key} muss true oder false sein, gefunden: {config[key]!r}",
                        path=path,
                        where=f"confidentiality.{key}",
                    )
                kw[key] = config[key]
        if "min_base" in config and config["min_base"] is not None:
            mb = config["min_base"]
            if isinstance(mb, bool) or not isinstance(mb, int | float) or not np.isfinite(mb) or mb < 0:
                raise ConfigError(
                    f"min_base muss eine Zahl ≥ 0 sein, gefunden: {mb!r}",
                    path=path,
                    where="confidentiality.min_base",
                    hint="z. B. 20 (keine Quote auf weniger als 20 Personen) oder weglassen",
                )
            kw["min_base"] = float(mb)
        return cls(**kw)


# --------------------------------------------------------------------------------------------- primary


def parse_counts(
    values: Any, suppressed: Any = None, *, where: str = "Werte"
) -> tuple[np.ndarray, np.ndarray]:
    """Numeric array (NaN where not a number) and input-suppression mask of count-like values.

    Strings in :data:`SUPPRESSION_MARKERS` count as suppressed; a ``suppressed`` flag (same shape) marks more.
    Other strings → DataValidationError. Negative counts → DataValidationError.
    """
    arr = np.asarray(
        values.to_numpy() if isinstance(values, pd.DataFrame | pd.Series) else values, dtype=object
    )
    flat = arr.reshape(-1)
    num = np.full(flat.shape, np.nan)
    marked = np.zeros(flat.shape, dtype=bool)
    for i, v in enumerate(flat):
        if isinstance(v, str):
            s = v.strip()
            if s in SUPPRESSION_MARKERS:
                marked[i] = True
                continue
            try:
                num[i] = float(s)
            except ValueError:
                raise DataValidationError(
                    f"„{v}“ ist keine Zahl und kein Sperrzeichen",
                    where=where,
                    hint="Zahlen ohne Tausenderpunkt oder eines der Zeichen * – . x",
                ) from None
        elif v is None or v is pd.NA:
            continue
        else:
            try:
                num[i] = float(v)
            except (TypeError, ValueError):
                raise DataValidationError(f"„{v!r}“ ist keine Zahl", where=where) from None
    num = num.reshape(arr.shape)
    marked = marked.reshape(arr.shape)
    if suppressed is not None:
        flag = np.asarray(
            suppressed.to_numpy() if isinstance(suppressed, pd.DataFrame | pd.Series) else suppressed,
            dtype=object,
        )
        flag = np.array([bool(x) if x is not None and x is not pd.NA else False for x in flag.reshape(-1)])
        marked |= flag.reshape(arr.shape)
    if np.any(num[~marked] < 0):
        raise DataValidationError(
            "negative Fallzahl", where=where, hint="Fallzahlen müssen ≥ 0 sein; Eingabedaten prüfen"
        )
    num = np.where(marked, np.nan, num)
    return num, marked


def primary_mask(values: Any, rules: Rules, suppressed: Any = None) -> Any:
    """True for every cell that must not be published on its own (primary or input suppression).

    A count ``v`` is suppressed when ``0 < v < rules.threshold`` or (``show_zero`` off) ``v == 0``; values already
    suppressed in the input (signs, ``suppressed`` flags) stay suppressed. Returns the shape of ``values``
    (Series/DataFrame with the same labels, else a numpy bool array).
    """
    num, marked = parse_counts(values, suppressed)
    small = (num > 0) & (num < rules.threshold)
    if not rules.show_zero:
        small |= num == 0
    mask = marked | small
    if isinstance(values, pd.DataFrame):
        return pd.DataFrame(mask, index=values.index, columns=values.columns)
    if isinstance(values, pd.Series):
        return pd.Series(mask, index=values.index, name=values.name)
    return mask


def _initial_status(num: np.ndarray, marked: np.ndarray, rules: Rules) -> np.ndarray:
    status = np.full(num.shape, eng.SHOWN, dtype=np.int8)
    small = (num > 0) & (num < rules.threshold)
    if not rules.show_zero:
        small |= num == 0
    status[small] = eng.PRIMARY
    status[np.isnan(num)] = eng.MISSING
    status[marked] = eng.INPUT
    return status


# --------------------------------------------------------------------------------------------- tables


@dataclass
class ProtectedTable:
    """Result of protecting an :class:`AdditiveTable`: true values, status per cell, relations."""

    values: pd.DataFrame
    status: pd.DataFrame
    relations: list[tuple[Cell, list[Cell]]]

    @property
    def suppressed(self) -> pd.DataFrame:
        """True where the cell is suppressed (primary, secondary or input)."""
        return self.status.isin(["primary", "secondary", "input"])

    @property
    def published(self) -> pd.DataFrame:
        """Values that may be published; NaN where suppressed or missing."""
        return self.values.where(self.status == "shown")

    def display(self) -> pd.DataFrame:
        """Published values with :data:`SUPPRESSED_SIGN` in suppressed cells (input for ``tables.html_table``)."""
        out = self.published.astype(object)
        out[self.suppressed] = SUPPRESSED_SIGN
        return out


@dataclass
class AdditiveTable:
    """A grid of counts with linear relations ``values[total] = sum(values[parts])``.

    ``values``: DataFrame of counts (numbers, NaN, or suppression signs). ``relations``: list of
    ``(total_cell, [part_cells])``, cells as ``(row_label, column_label)``. ``input_suppressed``: optional bool
    DataFrame marking values suppressed in the delivered data.
    """

    values: pd.DataFrame
    relations: list[tuple[Cell, list[Cell]]]
    input_suppressed: pd.DataFrame | None = None
    _num: np.ndarray = field(init=False, repr=False)
    _marked: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.values.index.is_unique or not self.values.columns.is_unique:
            raise DataValidationError(
                "Zeilen- und Spaltenbeschriftungen müssen eindeutig sein", where="Tabelle"
            )
        num, marked = parse_counts(self.values, self.input_suppressed, where="Tabelle")
        self._num, self._marked = num, marked
        self.values = pd.DataFrame(num, index=self.values.index, columns=self.values.columns)
        self.input_suppressed = pd.DataFrame(marked, index=self.values.index, columns=self.values.columns)

    def _flat_index(self, cell: Cell) -> int:
        row, col = cell
        try:
            i = self.values.index.get_loc(row)
            j = self.values.columns.get_loc(col)
        except KeyError:
            raise DataValidationError(
                f"Summenbeziehung nennt unbekannte Zelle {cell!r}", where="Tabelle"
            ) from None
        if not isinstance(i, int | np.integer) or not isinstance(j, int | np.integer):
            raise DataValidationError(f"Zelle {cell!r} ist nicht eindeutig", where="Tabelle")
        return int(i) * self.values.shape[1] + int(j)

    def flat_relations(self) -> list[tuple[int, list[int]]]:
        """Relations as flat cell indices (row-major)."""
        out = []
        for total, parts in self.relations:
            t = self._flat_index(total)
            p = [self._flat_index(c) for c in parts]
            if not p or t in p or len(set(p)) != len(p):
                raise DataValidationError(f"ungültige Summenbeziehung für {total!r}", where="Tabelle")
            out.append((t, p))
        return out

    def protect(self, rules: Rules) -> ProtectedTable:
        """Primary and secondary suppression (module docstring); deterministic."""
        rels = self.flat_relations()
        num = self._num.reshape(-1)
        status = _initial_status(num, self._marked.reshape(-1), rules)
        status = eng.protect_flat(num, status, rels)
        names = np.vectorize(eng.STATUS_NAMES.get, otypes=[object])(status).reshape(self.values.shape)
        return ProtectedTable(
            values=self.values.copy(),
            status=pd.DataFrame(names, index=self.values.index, columns=self.values.columns),
            relations=list(self.relations),
        )


def _sum_known(num: np.ndarray, marked: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """Sums along ``axis``: NaN when any part is NaN; marked when any part is input-suppressed."""
    return num.sum(axis=axis), marked.any(axis=axis)


def with_margins(
    df: pd.DataFrame,
    *,
    total_column: Hashable | None = "Insgesamt",
    total_row: Hashable | None = "Insgesamt",
    input_suppressed: pd.DataFrame | None = None,
) -> AdditiveTable:
    """Additive table with row and/or column totals.

    ``total_column`` is the column holding each row's total: if it exists in ``df`` its values are taken as
    given (checked against the parts where all parts are known), else it is appended as the sum of all other
    columns. ``total_row`` likewise for the column totals. None leaves that margin out. A sum over an
    input-suppressed part is input-suppressed itself (unknown internally).
    """
    num, marked = parse_counts(df, input_suppressed, where="Tabelle")
    t = pd.DataFrame(num, index=df.index, columns=df.columns)
    m = pd.DataFrame(marked, index=df.index, columns=df.columns)
    rels: list[tuple[Cell, list[Cell]]] = []
    for label, axis in ((total_column, 1), (total_row, 0)):
        if label is None:
            continue
        labels = t.columns if axis == 1 else t.index
        parts = [x for x in labels if x != label]
        if not parts:
            raise DataValidationError("Summe ohne Teile", where=f"Summe {label!r}")
        sub = t[parts] if axis == 1 else t.loc[parts]
        subm = m[parts] if axis == 1 else m.loc[parts]
        s, sm = _sum_known(sub.to_numpy(), subm.to_numpy(), axis)
        if label in labels:
            given = (t[label] if axis == 1 else t.loc[label]).to_numpy()
            bad = ~np.isnan(s) & ~np.isnan(given) & (np.abs(given - s) > 1e-9)
            if bad.any():
                other = (t.index if axis == 1 else t.columns)[np.flatnonzero(bad)[0]]
                raise DataValidationError(
                    f"angegebene Summe {label!r} stimmt nicht mit der Summe der Teile überein",
                    where=f"Zeile/Spalte {other!r}",
                    hint="Summenspalte oder Teile prüfen; Tabelle ohne diese Summe schützen",
                )
        elif axis == 1:
            t[label] = s
            m[label] = sm
        else:
            t.loc[label] = s
            m.loc[label] = sm
    # relations over the final grid (totals of totals included)
    if total_column is not None:
        parts_c = [c for c in t.columns if c != total_column]
        for r in t.index:
            rels.append(((r, total_column), [(r, c) for c in parts_c]))
    if total_row is not None:
        parts_r = [r for r in t.index if r != total_row]
        for c in t.columns:
            rels.append(((total_row, c), [(r, c) for r in parts_r]))
    return AdditiveTable(t, rels, input_suppressed=m)


def hierarchy(
    df_by_area: pd.DataFrame,
    keys: pd.DataFrame | Mapping[Hashable, Hashable],
    *,
    area_col: str = "area_id",
    district_col: str = "district_id",
    input_suppressed: pd.DataFrame | None = None,
) -> AdditiveTable:
    """Additive table Sozialraum → Stadtbezirk → Stadt for every column of ``df_by_area`` (indexed by area id).

    Rows of the result are a MultiIndex ``(level, unit_id)`` with levels ``sozialraum``, ``stadtbezirk`` and
    ``stadt`` (unit ``"stadt"``); relations: each district = sum of its areas, the city = sum of the districts.
    """
    if isinstance(keys, pd.DataFrame):
        if area_col not in keys or district_col not in keys:
            raise DataValidationError(f"Schlüsseltabelle braucht die Spalten {area_col}, {district_col}")
        mapping = keys[[area_col, district_col]].drop_duplicates().set_index(area_col)[district_col]
        if not mapping.index.is_unique:
            raise DataValidationError("Sozialraum ist mehreren Stadtbezirken zugeordnet", where=area_col)
    else:
        mapping = pd.Series(dict(keys))
    missing = [a for a in df_by_area.index if a not in mapping.index]
    if missing:
        raise DataValidationError(
            f"Sozialraum {missing[0]!r} fehlt in der Schlüsseltabelle",
            where=area_col,
            hint="Schlüssel ergänzen",
        )
    num, marked = parse_counts(df_by_area, input_suppressed, where="Tabelle")
    areas = list(df_by_area.index)
    dist_of = [mapping[a] for a in areas]
    districts = sorted(set(dist_of), key=str)
    rows = [("sozialraum", a) for a in areas] + [("stadtbezirk", d) for d in districts] + [("stadt", CITY_ID)]
    dn = np.vstack([num[[i for i, x in enumerate(dist_of) if x == d]].sum(axis=0) for d in districts])
    dm = np.vstack([marked[[i for i, x in enumerate(dist_of) if x == d]].any(axis=0) for d in districts])
    vals = np.vstack([num, dn, dn.sum(axis=0, keepdims=True)])
    mk = np.vstack([marked, dm, dm.any(axis=0, keepdims=True)])
    idx = pd.MultiIndex.from_tuples(rows, names=["level", "unit_id"])
    t = pd.DataFrame(vals, index=idx, columns=df_by_area.columns)
    rels: list[tuple[Cell, list[Cell]]] = []
    for c in t.columns:
        for d in districts:
            rels.append(
                (
                    (("stadtbezirk", d), c),
                    [(("sozialraum", a), c) for a, x in zip(areas, dist_of, strict=True) if x == d],
                )
            )
        rels.append(((("stadt", CITY_ID), c), [(("stadtbezirk", d), c) for d in districts]))
    return AdditiveTable(t, rels, input_suppressed=pd.DataFrame(mk, index=idx, columns=t.columns))
