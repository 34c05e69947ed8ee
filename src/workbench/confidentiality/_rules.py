"""Implementation of the rules, primary suppression and additive tables for :mod:`workbench.confidentiality`.

Private: import from :mod:`workbench.confidentiality`, whose docstring describes the three layers of
protection; the secondary suppression itself runs in ``_secondary``.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from workbench.confidentiality import _secondary as eng
from workbench.errors import ConfigError, DataValidationError
from workbench.vocabulary import CITY_ID, SUPPRESSED_SIGN, SUPPRESSION_MARKERS

MEASURE_RELATIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("unemployed", ("unemployed_sgb2", "unemployed_sgb3")),
)
"""Measures of the count cube that add up: total measure = sum of part measures (per unit and year)."""


Cell = tuple[Hashable, Hashable]


@dataclass(frozen=True)
class Rules:
    """Confidentiality rules of a report (YAML section ``confidentiality:``).

    Parameters
    ----------
    threshold : int, default 3
        Counts 1 … threshold − 1 are suppressed (primary suppression).
    show_zero : bool, default True
        0 may be published; False suppresses zeros too.
    min_base : float, optional
        A rate or share whose denominator is below this (persons) is suppressed; None = no limit.
    suppress_on_denominator : bool, default False
        A rate is also suppressed when its denominator count is not shown.

    See Also
    --------
    Rules.from_config : The rules from the report configuration, with checks.

    Notes
    -----
    The constructor does not check its arguments; :meth:`from_config` does.

    docs/METHODEN.md, Abschnitte „Primäre Geheimhaltung“ and „Schutz von Quoten und Anteilen“ (Hundepool et al.
    2012, *Statistical Disclosure Control*).

    Examples
    --------
    >>> from workbench.confidentiality import Rules
    >>> Rules()
    Rules(threshold=3, show_zero=True, min_base=None, suppress_on_denominator=False)
    >>> Rules(threshold=5).threshold
    5
    """

    threshold: int = 3
    show_zero: bool = True
    min_base: float | None = None
    suppress_on_denominator: bool = False

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None, *, path: object = None) -> Rules:
        """Rules from the report YAML ``confidentiality:`` mapping.

        Parameters
        ----------
        config : mapping, optional
            Keys ``threshold`` (int ≥ 1), ``show_zero`` and ``suppress_on_denominator`` (bool), ``min_base``
            (number ≥ 0 or None); missing keys keep their defaults. None gives the default rules.
        path : path-like, optional
            Configuration file, named in error messages (keyword-only).

        Returns
        -------
        Rules

        Raises
        ------
        ConfigError
            When ``config`` is not a mapping, has unknown keys, or a value of the wrong type or range (the message
            names the key, e.g. ``confidentiality.threshold``).

        Examples
        --------
        >>> from workbench.confidentiality import Rules
        >>> Rules.from_config({"threshold": 3, "min_base": 20, "suppress_on_denominator": True})
        Rules(threshold=3, show_zero=True, min_base=20.0, suppress_on_denominator=True)
        >>> from workbench.errors import ConfigError
        >>> try:
        ...     Rules.from_config({"threshold": 0})
        ... except ConfigError as exc:
        ...     print(exc.where)
        confidentiality.threshold
        """
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
    """Numeric values and the input-suppression mask of count-like values (numbers, text, suppression signs).

    Parameters
    ----------
    values : array_like or pandas.Series or pandas.DataFrame
        Counts as numbers or text; strings in :data:`SUPPRESSION_MARKERS` ("*", "–", "-", ".", "x", …) mark a
        value suppressed in the delivered data; None / ``pd.NA`` / NaN = missing.
    suppressed : array_like or pandas.Series or pandas.DataFrame, optional
        Boolean flags of the same shape that mark more input-suppressed values.
    where : str, default "Werte"
        Place named in error messages (keyword-only).

    Returns
    -------
    num : numpy.ndarray of float
        Values with the shape of ``values``; NaN where missing or suppressed.
    marked : numpy.ndarray of bool
        True where the value was suppressed in the input (sign or flag).

    Raises
    ------
    DataValidationError
        For text that is neither a number nor a suppression sign, and for negative counts.

    Notes
    -----
    Signs of values withheld in the delivered data: docs/METHODEN.md, Abschnitt „Bereits geheimgehaltene
    Eingaben“. Such values are never read as 0.

    Examples
    --------
    >>> from workbench.confidentiality import parse_counts
    >>> num, marked = parse_counts(["5", "*", 2, None, "."])
    >>> num.tolist(), marked.tolist()
    ([5.0, nan, 2.0, nan, nan], [False, True, False, False, True])
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

    Parameters
    ----------
    values : array_like or pandas.Series or pandas.DataFrame
        Counts (numbers, text or suppression signs, see :func:`parse_counts`).
    rules : Rules
        ``threshold`` and ``show_zero`` are used.
    suppressed : array_like or pandas.Series or pandas.DataFrame, optional
        Flags of values already suppressed in the delivered data.

    Returns
    -------
    numpy.ndarray or pandas.Series or pandas.DataFrame of bool
        Shaped like ``values`` (Series / DataFrame with the same labels). True when ``0 < v < threshold``, when
        ``v == 0`` and ``show_zero`` is off, or when the value is suppressed in the input; missing values are
        not suppressed.

    Raises
    ------
    DataValidationError
        For values that are not counts (see :func:`parse_counts`).

    Notes
    -----
    Primary suppression only: it does not protect against recovering a value from totals (use
    :class:`AdditiveTable` or :func:`protect_counts`); docs/METHODEN.md, Abschnitt „Primäre Geheimhaltung“.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.confidentiality import Rules, primary_mask
    >>> primary_mask(pd.Series([0, 1, 2, 3, "*"]), Rules()).tolist()
    [False, True, True, False, True]
    >>> primary_mask([0, 1, 2, 3], Rules(show_zero=False)).tolist()
    [True, True, True, False]
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
    """Result of :meth:`AdditiveTable.protect`: true values, a status per cell and the relations.

    Parameters
    ----------
    values : pandas.DataFrame
        True values (NaN where unknown, e.g. suppressed in the delivered data).
    status : pandas.DataFrame of str
        Per cell ``shown``, ``primary``, ``secondary``, ``input`` or ``missing``.
    relations : list of tuple
        ``(total_cell, [part_cells])`` with cells as ``(row_label, column_label)``.

    Notes
    -----
    A plain result container (no checks); statuses as in docs/METHODEN.md, Abschnitt „Sekundäre
    Geheimhaltung“.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.confidentiality import Rules, with_margins
    >>> pt = with_margins(pd.DataFrame({"m": [1, 6], "w": [4, 5]}, index=["A", "B"])).protect(Rules())
    >>> pt.suppressed.loc["A"].tolist(), pt.published.loc["Insgesamt"].tolist()
    ([True, True, False], [7.0, 9.0, 16.0])
    """

    values: pd.DataFrame
    status: pd.DataFrame
    relations: list[tuple[Cell, list[Cell]]]

    @property
    def suppressed(self) -> pd.DataFrame:
        """True where the cell is suppressed (status ``primary``, ``secondary`` or ``input``)."""
        return self.status.isin(["primary", "secondary", "input"])

    @property
    def published(self) -> pd.DataFrame:
        """Values that may be published; NaN where suppressed or missing."""
        return self.values.where(self.status == "shown")

    def display(self) -> pd.DataFrame:
        """Published values with :data:`~workbench.render.fmt.SUPPRESSED_SIGN` in suppressed cells.

        Returns
        -------
        pandas.DataFrame of object
            Input for ``workbench.render.tables.html_table``; missing cells stay NaN.

        Examples
        --------
        >>> import pandas as pd
        >>> from workbench.confidentiality import Rules, with_margins
        >>> pt = with_margins(pd.DataFrame({"a": [1, 5], "b": [7, 6]}, index=["x", "y"])).protect(Rules())
        >>> pt.display().loc["x"].tolist()
        ['•', '•', 8.0]
        """
        out = self.published.astype(object)
        out[self.suppressed] = SUPPRESSED_SIGN
        return out


@dataclass
class AdditiveTable:
    """A grid of counts with linear relations ``values[total] = sum(values[parts])``, protected as a whole.

    Parameters
    ----------
    values : pandas.DataFrame
        Counts (numbers, NaN, or suppression signs, see :func:`parse_counts`) with unique row and column labels.
        Stored as floats (NaN where missing or input-suppressed).
    relations : list of tuple
        ``(total_cell, [part_cells])``, cells as ``(row_label, column_label)``.
    input_suppressed : pandas.DataFrame of bool, optional
        Values suppressed in the delivered data (combined with the signs in ``values``).

    Raises
    ------
    DataValidationError
        For duplicate labels or values that are not counts; unknown, ambiguous or malformed cells in the
        relations are reported by :meth:`flat_relations` / :meth:`protect`.

    See Also
    --------
    with_margins : A table with row and column totals.
    hierarchy : Sozialraum → Stadtbezirk → Stadt.

    Notes
    -----
    :meth:`protect` applies primary suppression, then secondary suppression until no suppressed cell can be
    recovered from the published ones (algorithm in :mod:`workbench.confidentiality`; docs/METHODEN.md,
    Abschnitte „Sekundäre Geheimhaltung“ and „Prüfung der Rückrechenbarkeit“).

    Examples
    --------
    Two parts and their total; the part 1 is suppressed (primary), so the other part must go too (secondary),
    otherwise 1 = 7 − 6:

    >>> import pandas as pd
    >>> from workbench.confidentiality import AdditiveTable, Rules
    >>> t = AdditiveTable(pd.DataFrame({"n": [1, 6, 7]}, index=["a", "b", "sum"]),
    ...                   [(("sum", "n"), [("a", "n"), ("b", "n")])])
    >>> t.protect(Rules()).status["n"].tolist()
    ['primary', 'secondary', 'shown']
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
        """The relations as flat cell indices (row-major), checked.

        Returns
        -------
        list of tuple of (int, list of int)
            ``(total, parts)`` per relation; cell (i, j) has the index i · number of columns + j.

        Raises
        ------
        DataValidationError
            For unknown or ambiguous cells, an empty part list, a total among its parts or repeated parts.

        Examples
        --------
        >>> import pandas as pd
        >>> from workbench.confidentiality import with_margins
        >>> with_margins(pd.DataFrame({"a": [3], "b": [4]}, index=["x"]), total_row=None).flat_relations()
        [(2, [0, 1])]
        """
        out = []
        for total, parts in self.relations:
            t = self._flat_index(total)
            p = [self._flat_index(c) for c in parts]
            if not p or t in p or len(set(p)) != len(p):
                raise DataValidationError(f"ungültige Summenbeziehung für {total!r}", where="Tabelle")
            out.append((t, p))
        return out

    def protect(self, rules: Rules) -> ProtectedTable:
        """Primary and secondary suppression of the whole table; deterministic.

        Parameters
        ----------
        rules : Rules
            ``threshold`` and ``show_zero`` decide the primary suppression.

        Returns
        -------
        ProtectedTable
            True values, status per cell and the relations.

        Raises
        ------
        DataValidationError
            For malformed relations (see :meth:`flat_relations`).

        Examples
        --------
        With ``show_zero`` off the 0 is suppressed as well, and its total is the only other member left:

        >>> import pandas as pd
        >>> from workbench.confidentiality import Rules, with_margins
        >>> t = with_margins(pd.DataFrame({"a": [0], "b": [12]}, index=["x"]), total_row=None)
        >>> t.protect(Rules(show_zero=False)).status.loc["x"].tolist()
        ['primary', 'secondary', 'shown']
        """
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

    Parameters
    ----------
    df : pandas.DataFrame
        Counts (numbers, NaN or suppression signs).
    total_column : hashable, optional
        Column holding each row's total (keyword-only, default ``"Insgesamt"``): taken as given if it exists
        in ``df`` (checked against the parts where all parts are known), else appended as the sum of all other
        columns. None leaves this margin out.
    total_row : hashable, optional
        Likewise the row of column totals (default ``"Insgesamt"``).
    input_suppressed : pandas.DataFrame of bool, optional
        Values suppressed in the delivered data. A sum over such a part is input-suppressed itself (unknown
        internally).

    Returns
    -------
    AdditiveTable
        The grid with margins and one relation per row and per column (totals of totals included).

    Raises
    ------
    DataValidationError
        When a given total does not match the sum of its parts, a margin has no parts, or values are not counts.

    Notes
    -----
    Protect the result with :meth:`AdditiveTable.protect` (docs/METHODEN.md, Abschnitt „Sekundäre
    Geheimhaltung“: row and column totals are relations "total = sum of the parts").

    Examples
    --------
    A 3 × 2 table; A/m = 1 is primary. By the rules of :mod:`workbench.confidentiality` A/w (its row) and the
    smallest other cells of both columns, B/m = 6 and B/w = 5, become secondary; the four hidden cells then
    keep one degree of freedom (A/m can be anything from 0 to 5):

    >>> import pandas as pd
    >>> from workbench.confidentiality import Rules, with_margins
    >>> table = with_margins(pd.DataFrame({"m": [1, 6, 8], "w": [4, 5, 9]}, index=["A", "B", "C"]))
    >>> table.values.loc["Insgesamt"].tolist(), len(table.relations)
    ([15.0, 18.0, 33.0], 7)
    >>> status = table.protect(Rules()).status
    >>> status.loc[["A", "B"], ["m", "w"]].values.tolist()
    [['primary', 'secondary'], ['secondary', 'secondary']]
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
    """Additive table Sozialraum → Stadtbezirk → Stadt for every column of ``df_by_area``.

    Parameters
    ----------
    df_by_area : pandas.DataFrame
        Counts, indexed by area id, one column per measure.
    keys : pandas.DataFrame or mapping
        Area → district: a table with the columns ``area_col`` and ``district_col``, or a mapping.
    area_col, district_col : str, default "area_id", "district_id"
        Column names in ``keys`` (keyword-only).
    input_suppressed : pandas.DataFrame of bool, optional
        Values suppressed in the delivered data.

    Returns
    -------
    AdditiveTable
        Rows form a MultiIndex ``(level, unit_id)`` with the levels ``sozialraum``, ``stadtbezirk`` and
        ``stadt`` (unit :data:`CITY_ID`); relations: each district = sum of its areas, the city = sum of the
        districts (per column).

    Raises
    ------
    DataValidationError
        When ``keys`` lacks the columns, assigns an area to several districts, or misses an area.

    Notes
    -----
    The area hierarchy of docs/METHODEN.md, Abschnitte „Gebietsebenen“ and „Sekundäre Geheimhaltung“;
    :func:`protect_counts` builds the same relations for the whole count cube.

    Examples
    --------
    Three areas in two districts; area 0101 (1 child) is primary, so 0102 is suppressed too (district 01 = 6
    is shown), while the single area 0201 equals its district and may be shown:

    >>> import pandas as pd
    >>> from workbench.confidentiality import Rules, hierarchy
    >>> counts = pd.DataFrame({"kinder": [1, 5, 7]}, index=["0101", "0102", "0201"])
    >>> table = hierarchy(counts, {"0101": "01", "0102": "01", "0201": "02"})
    >>> table.values["kinder"].tolist()
    [1.0, 5.0, 7.0, 6.0, 7.0, 13.0]
    >>> table.protect(Rules()).status["kinder"].tolist()
    ['primary', 'secondary', 'shown', 'shown', 'shown', 'shown']
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
