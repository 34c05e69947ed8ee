"""Implementation of the projection scenarios (factors on the status-quo rates) for :mod:`workbench.projection`.

Private: import :class:`~workbench.projection.Scenario` and :func:`~workbench.projection.load_scenarios`
from :mod:`workbench.projection`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from workbench.errors import ConfigError

STATUS_QUO = "status_quo"
"""Name of the scenario without factors (the status-quo rates)."""


@dataclass(frozen=True)
class Scenario:
    """A projection variant: factors that multiply the status-quo rates, plus extra in-migrants.

    Parameters
    ----------
    name : str, default "status_quo"
        Identifier of the scenario (non-empty).
    label_de : str, default "Status quo"
        German name for tables and charts.
    fertility_factor, mortality_factor : float, default 1.0
        Multiply all fertility rates / all death rates (≥ 0; 1.1 = +10 %).
    in_migration_factor : float, default 1.0
        Multiplies the external in-migrants.
    out_migration_factor : float, default 1.0
        Multiplies the external out-migration rates.
    internal_migration_factor : float, default 1.0
        Multiplies the internal out-move rates (internal in-moves follow, the city balance stays zero).
    extra_in_migrants : mapping of str to float, optional
        Area id → additional persons per year (e.g. new housing), distributed over sex × age by the profile of
        all in-movers of the base years.
    extra_first_year, extra_last_year : int, optional
        First and last calendar year in which the extra in-migrants are added (None = all projected years).
    description_de : str, default ""
        German description of the assumptions.
    demo_only : bool, default False
        The scenario belongs to the demo city (its ``extra_in_migrants`` name Sozialräume of the generated
        demo): it is computed only for a report config with ``demo:`` whose data hold every area it names
        (:func:`workbench.projection.runs.scenario_checks`), never for a city's own data.

    Raises
    ------
    ConfigError
        For an empty name, a factor or extra number that is not a finite number ≥ 0, ``extra_in_migrants`` that
        is not a mapping, or a year that is not an integer.

    Notes
    -----
    The scenario factors multiply the status-quo rates of :class:`Rates` in :func:`project` (docs/METHODEN.md,
    Abschnitt „Szenarien“). Area ids in ``extra_in_migrants`` are converted to str.

    Examples
    --------
    >>> from workbench.projection import Scenario
    >>> s = Scenario(name="neubau", label_de="Neubaugebiet", extra_in_migrants={101: 120},
    ...              extra_first_year=2026, extra_last_year=2028)
    >>> s.extra_in_migrants, s.extra_active(2025), s.extra_active(2027)
    ({'101': 120.0}, False, True)
    >>> from workbench.errors import ConfigError
    >>> try:
    ...     Scenario(name="x", fertility_factor=-0.1)
    ... except ConfigError as exc:
    ...     print(exc.problem)
    fertility_factor muss eine Zahl ≥ 0 sein, gefunden -0.1
    """

    name: str = STATUS_QUO
    label_de: str = "Status quo"
    fertility_factor: float = 1.0
    mortality_factor: float = 1.0
    in_migration_factor: float = 1.0
    out_migration_factor: float = 1.0
    internal_migration_factor: float = 1.0
    extra_in_migrants: Mapping[str, float] = field(default_factory=dict)
    extra_first_year: int | None = None
    extra_last_year: int | None = None
    description_de: str = ""
    demo_only: bool = False

    def __post_init__(self) -> None:
        where = f"Szenario {self.name!r}"
        if not isinstance(self.name, str) or not self.name:
            raise ConfigError("jedes Szenario braucht einen Namen (name)", where="Szenario")
        if not isinstance(self.demo_only, bool):
            raise ConfigError(
                f"demo_only muss true oder false sein, gefunden {self.demo_only!r}",
                where=where,
                hint="demo_only: true nur für Szenarien der Demo-Stadt",
            )
        for f in (
            "fertility_factor",
            "mortality_factor",
            "in_migration_factor",
            "out_migration_factor",
            "internal_migration_factor",
        ):
            value = getattr(self, f)
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or value < 0
            ):
                raise ConfigError(
                    f"{f} muss eine Zahl ≥ 0 sein, gefunden {value!r}",
                    where=where,
                    hint="1 = wie Status quo, 1.1 = +10 %",
                )
        if not isinstance(self.extra_in_migrants, Mapping):
            raise ConfigError(
                "extra_in_migrants muss eine Zuordnung Gebiet → Personen pro Jahr sein", where=where
            )
        clean = {}
        for area, n in self.extra_in_migrants.items():
            if isinstance(n, bool) or not isinstance(n, int | float) or not math.isfinite(n) or n < 0:
                raise ConfigError(
                    f"extra_in_migrants[{area!r}] muss eine Zahl ≥ 0 sein, gefunden {n!r}", where=where
                )
            clean[str(area)] = float(n)
        object.__setattr__(self, "extra_in_migrants", clean)
        for f in ("extra_first_year", "extra_last_year"):
            value = getattr(self, f)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise ConfigError(f"{f} muss eine Jahreszahl sein, gefunden {value!r}", where=where)

    def extra_active(self, year: int) -> bool:
        """Whether the extra in-migrants are added in ``year``.

        Parameters
        ----------
        year : int
            Projected calendar year.

        Returns
        -------
        bool
            True when ``extra_first_year`` ≤ year ≤ ``extra_last_year`` (a missing bound does not limit).

        Examples
        --------
        >>> from workbench.projection import Scenario
        >>> s = Scenario(name="neubau", extra_in_migrants={"0101": 50}, extra_first_year=2026)
        >>> s.extra_active(2025), s.extra_active(2040)
        (False, True)
        """
        first = self.extra_first_year if self.extra_first_year is not None else -math.inf
        last = self.extra_last_year if self.extra_last_year is not None else math.inf
        return first <= year <= last


def load_scenarios(cfg: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None) -> list[Scenario]:
    """Read scenarios from a YAML-like configuration; the status quo is always the first entry.

    Parameters
    ----------
    cfg : mapping or sequence of mappings, optional
        ``{"scenarios": [{"name": ..., "label_de": ..., "fertility_factor": ...}, ...]}``,
        ``{"scenarios": {name: {...}, ...}}``, or the list / mapping itself. None (or ``scenarios:`` without
        entries) gives only the status quo. The keys are the fields of :class:`Scenario`; ``label_de`` defaults
        to the name.

    Returns
    -------
    list of Scenario
        The status quo first (a configured entry named ``status_quo`` replaces the default one), then the
        configured scenarios in their order.

    Raises
    ------
    ConfigError
        For entries that are not mappings, unknown keys, a missing or duplicate name, and invalid values (see
        :class:`Scenario`).

    Notes
    -----
    docs/METHODEN.md, Abschnitt „Szenarien“; the report's scenarios are configured in ``config/projection.yaml``.

    Examples
    --------
    >>> from workbench.projection import load_scenarios
    >>> cfg = {"scenarios": {"zuzug": {"label_de": "Hohe Zuwanderung", "in_migration_factor": 1.2}}}
    >>> [(s.name, s.label_de, s.in_migration_factor) for s in load_scenarios(cfg)]
    [('status_quo', 'Status quo', 1.0), ('zuzug', 'Hohe Zuwanderung', 1.2)]
    >>> [s.name for s in load_scenarios(None)]
    ['status_quo']
    """
    if cfg is None:
        return [Scenario()]
    items: Any = cfg.get("scenarios", cfg) if isinstance(cfg, Mapping) else cfg
    if items is None:
        return [Scenario()]
    if isinstance(items, Mapping):
        entries = []
        for name, params in items.items():
            if not isinstance(params, Mapping):
                raise ConfigError("Szenario-Eintrag muss eine Zuordnung sein", where=f"scenarios.{name}")
            entries.append({"name": str(name), **params})
    elif isinstance(items, list | tuple):
        entries = list(items)
    else:
        raise ConfigError("scenarios muss eine Liste oder Zuordnung sein", where="scenarios")
    allowed = {f.name for f in fields(Scenario)}
    result: dict[str, Scenario] = {STATUS_QUO: Scenario()}
    for i, entry in enumerate(entries):
        where = f"scenarios[{i}]"
        if not isinstance(entry, Mapping):
            raise ConfigError("Szenario-Eintrag muss eine Zuordnung sein", where=where)
        unknown = sorted(set(entry) - allowed)
        if unknown:
            raise ConfigError(
                f"unbekannte Schlüssel {', '.join(unknown)}",
                where=where,
                hint=f"erlaubt: {', '.join(sorted(allowed))}",
            )
        if "name" not in entry:
            raise ConfigError("Schlüssel name fehlt", where=where)
        params = dict(entry)
        params.setdefault("label_de", str(params["name"]))
        if params.get("extra_in_migrants") is None:  # YAML "extra_in_migrants:" without entries
            params["extra_in_migrants"] = {}
        scenario = Scenario(**params)
        if scenario.name in result and scenario.name != STATUS_QUO:
            raise ConfigError(f"Szenarioname {scenario.name!r} doppelt", where=where)
        result[scenario.name] = scenario
    return list(result.values())
