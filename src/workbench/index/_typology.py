"""Area typology: k-means on standardised indicators, k chosen by silhouette, with German type descriptions."""

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
    """Result of :func:`typology`.

    ``assignment``: type number (1..k) per area; ``k``: chosen number of types; ``silhouette``: mean silhouette
    score per tried k; ``profiles``: mean z-score per type (rows) and indicator (columns); ``descriptions``:
    type number → German sentence; ``sizes``: number of areas per type.
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
    """Group areas into types with k-means on z-standardised indicators (mean 0, population SD 1).

    For each k in ``k_range`` (only 2 ≤ k < number of areas) k-means runs with ``n_init=10`` and
    ``random_state=seed``; the k with the highest mean silhouette score wins (ties: smaller k). Types are
    numbered by descending mean of their profile, so "Typ 1" has the highest indicator values on average
    (= the most burdened type when all indicators are "higher = worse"). Deterministic for a fixed seed.
    ``labels`` maps column → German name used in the descriptions.
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
