"""Implementation of the area typology (k-means, k by silhouette, German descriptions) for :mod:`workbench.index`.

Private: import :func:`~workbench.index.typology` and :class:`~workbench.index.Typology` from
:mod:`workbench.index`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from workbench.errors import ConfigError, DataValidationError

STRONG = 1.0
"""|mean z| from which a type's indicator counts as "deutlich" above/below average."""

NOTABLE = 0.5
"""|mean z| from which a type's indicator is mentioned at all."""


@dataclass
class Typology:
    """Result of :func:`typology`: the area types, their profiles and German descriptions.

    Parameters
    ----------
    assignment : pandas.Series of int
        Type number 1 … k per area (index = area id, name ``typ``).
    k : int
        Chosen number of types.
    silhouette : pandas.Series of float
        Mean silhouette score (−1 … 1) per tried k (index ``k``).
    profiles : pandas.DataFrame
        Mean z-score per type (rows, index ``typ``) and indicator (columns).
    descriptions : dict of int to str
        Type number → German sentence (see :func:`typology`).
    sizes : pandas.Series of int
        Number of areas per type.

    Notes
    -----
    A plain result container (no checks); the method is described in :func:`typology` and in docs/METHODEN.md,
    Abschnitt „Typisierung der Sozialräume“.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.index import Typology
    >>> t = Typology(assignment=pd.Series([1, 2, 1]), k=2, silhouette=pd.Series({2: 0.7}),
    ...              profiles=pd.DataFrame({"a": [1.0, -1.0]}, index=[1, 2]), descriptions={1: "Typ 1", 2: "Typ 2"})
    >>> t.k, t.assignment.tolist(), t.sizes.empty
    (2, [1, 2, 1], True)
    """

    assignment: pd.Series
    k: int
    silhouette: pd.Series
    profiles: pd.DataFrame
    descriptions: dict[int, str]
    sizes: pd.Series = field(default_factory=lambda: pd.Series(dtype=int))


def describe_profile(type_no: int, profile: pd.Series, labels: Mapping[str, str]) -> str:
    """One German sentence for a type profile (mean z per indicator).

    Indicators with |z| ≥ 1 are "deutlich über-/unterdurchschnittlich", with 0.5 ≤ |z| < 1
    "über-/unterdurchschnittlich"; the rest is not mentioned. Predicative wording avoids adjective endings.

    >>> describe_profile(2, pd.Series({"a": 1.3, "b": 1.1, "c": -0.6}), {"a": "Kinderarmut", "b": "SGB-II-Quote",
    ...                  "c": "Anteil Hochbetagter"})
    'Typ 2: Kinderarmut und SGB-II-Quote deutlich überdurchschnittlich; Anteil Hochbetagter unterdurchschnittlich'
    """
    groups = [
        ("deutlich überdurchschnittlich", lambda z: z >= STRONG),
        ("überdurchschnittlich", lambda z: NOTABLE <= z < STRONG),
        ("unterdurchschnittlich", lambda z: -STRONG < z <= -NOTABLE),
        ("deutlich unterdurchschnittlich", lambda z: z <= -STRONG),
    ]
    parts = []
    for phrase, test in groups:
        names = [
            labels.get(c, str(c)) for c, z in profile.sort_values(key=abs, ascending=False).items() if test(z)
        ]
        if names:
            joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " und " + names[-1]
            parts.append(f"{joined} {phrase}")
    if not parts:
        return f"Typ {type_no}: alle Merkmale nahe dem städtischen Durchschnitt"
    return f"Typ {type_no}: " + "; ".join(parts)


def typology(
    df: pd.DataFrame,
    columns: Sequence[str],
    labels: Mapping[str, str] | None = None,
    k_range: range | Sequence[int] = range(3, 8),
    seed: int = 0,
) -> Typology:
    """Group areas into types with k-means on z-standardised indicators, k chosen by the silhouette score.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per area (index = area id) without missing values in ``columns``.
    columns : sequence of str
        Indicator columns (e.g. shares in %); each needs some variation.
    labels : mapping of str to str, optional
        Column → German name used in the descriptions (default: the column name).
    k_range : range or sequence of int, default range(3, 8)
        Numbers of types to try; only 2 ≤ k < number of areas are used.
    seed : int, default 0
        ``random_state`` of k-means; the result is deterministic for a fixed seed.

    Returns
    -------
    Typology
        Assignment, chosen k, silhouette per k, profiles (mean z per type), descriptions and sizes.

    Raises
    ------
    ConfigError
        When no columns are given or a column is missing.
    DataValidationError
        For missing values, a column without variation, no usable k, or no separable types.

    Notes
    -----
    Indicators are z-standardised (mean 0, population SD 1). For each k, ``sklearn.cluster.KMeans`` runs with
    ``n_init=10``; the k with the highest mean silhouette score wins (ties: smaller k; Rousseeuw 1987). Types
    are numbered by descending mean of their profile, so "Typ 1" has the highest indicator values on average
    (the most burdened type when all indicators are "higher = worse"). Descriptions: indicators with mean
    |z| ≥ 1 are "deutlich über-/unterdurchschnittlich", with 0.5 ≤ |z| < 1 "über-/unterdurchschnittlich"
    (docs/METHODEN.md, Abschnitt „Typisierung der Sozialräume“). scikit-learn is imported only when the
    function is called.

    References
    ----------
    Rousseeuw, P. J. (1987). Silhouettes: a graphical aid to the interpretation and validation of cluster
    analysis. *Journal of Computational and Applied Mathematics* 20, 53–65.

    Examples
    --------
    Two clearly separated groups of three areas; the silhouette of k = 2 (0.895, checked by hand from the
    pairwise distances of the z-scores) beats k = 3:

    >>> import pandas as pd
    >>> from workbench.index import typology
    >>> df = pd.DataFrame({"sgb2": [20.0, 22, 21, 5, 6, 4], "ka": [30.0, 28, 33, 8, 6, 9]}, index=list("ABCDEF"))
    >>> ty = typology(df, ["sgb2", "ka"], labels={"sgb2": "SGB-II-Quote", "ka": "Kinderarmut"}, k_range=[2, 3])
    >>> ty.k, round(float(ty.silhouette[2]), 3), ty.assignment.tolist()
    (2, 0.895, [1, 1, 1, 2, 2, 2])
    >>> ty.descriptions[1]
    'Typ 1: SGB-II-Quote und Kinderarmut überdurchschnittlich'
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    columns = [columns] if isinstance(columns, str) else list(columns)
    missing = [c for c in columns if c not in df.columns]
    if not columns or missing:
        raise ConfigError(f"Spalten fehlen: {missing or 'keine angegeben'}", where="columns")
    labels = dict(labels or {})
    x = df[columns].apply(pd.to_numeric, errors="coerce")
    if x.isna().to_numpy().any():
        ids = x.index[x.isna().any(axis=1)].tolist()[:5]
        raise DataValidationError(
            f"fehlende Werte für Gebiete {ids}", hint="Gebiete ohne vollständige Indikatoren vorher entfernen"
        )
    sd = x.std(ddof=0)
    if (sd == 0).any():
        raise DataValidationError(f"Spalte(n) ohne Streuung: {list(sd.index[sd == 0])}", where="columns")
    z = (x - x.mean()) / sd
    ks = [int(k) for k in k_range if 2 <= int(k) < len(z)]
    if not ks:
        raise DataValidationError(
            f"keine gültige Typenzahl für {len(z)} Gebiete in {list(k_range)}", hint="k_range verkleinern"
        )
    scores, fits = {}, {}
    for k in ks:
        km = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(z.to_numpy())
        if len(np.unique(km.labels_)) < 2:
            continue
        scores[k] = float(silhouette_score(z.to_numpy(), km.labels_))
        fits[k] = km.labels_
    if not scores:
        raise DataValidationError("k-means fand keine trennbaren Typen", hint="andere Indikatoren wählen")
    best = max(scores, key=lambda k: (scores[k], -k))
    raw = pd.Series(fits[best], index=z.index)
    means = z.groupby(raw).mean()
    order = means.mean(axis=1).sort_values(ascending=False, kind="stable").index
    renumber = {old: new for new, old in enumerate(order, start=1)}
    assignment = raw.map(renumber).astype(int).rename("typ")
    profiles = z.groupby(assignment).mean()
    profiles.index.name = "typ"
    descriptions = {int(t): describe_profile(int(t), profiles.loc[t], labels) for t in profiles.index}
    return Typology(
        assignment=assignment,
        k=best,
        silhouette=pd.Series(scores, name="silhouette").rename_axis("k"),
        profiles=profiles,
        descriptions=descriptions,
        sizes=assignment.value_counts().sort_index(),
    )
