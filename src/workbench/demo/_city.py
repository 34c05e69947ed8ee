"""Writing the demo city: argument checks, the raw files in the contract's formats and :func:`generate`, which
runs the parts (geometry, traits, population, registers) and writes them reproducibly (see :mod:`workbench.demo`)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from openpyxl import Workbook

from workbench.demo._geo import build_city, small_areas
from workbench.demo._population import Simulation, simulate
from workbench.demo._registers import SURVEY_WAVE_GAP, earlier_wave, facilities, measures, survey
from workbench.demo._social import HZE_TYPES, social_counts
from workbench.demo._steering import TARGET_INDICATORS, costs, plant_effect, planted_register
from workbench.demo._traits import make_traits
from workbench.errors import WorkbenchError
from workbench.io.importer import BA_COLUMNS as _BA_SOURCE
from workbench.io.importer import EVENT_COLUMNS, HOUSEHOLD_COLUMNS
from workbench.io.raw import deterministic_xlsx
from workbench.settings import relative_to_root

FIXED_TIME = "2024-12-31T00:00:00Z"
"""Timestamp written into GeoPackage metadata and XLSX properties (keeps the bytes reproducible)."""

STATIC_FILES = [
    "gebiete.gpkg",
    "schluessel_gebiete.csv",
    "haushalte.csv",
    "ba_sgb2_arbeitslose.xlsx",
    "sgb12_grundsicherung_65plus.csv",
    "hze_faelle.csv",
    "einrichtungen.csv",
    "bewegungen.csv",
    "massnahmen.csv",
    "massnahmen_kennzahlen.csv",
    "kosten.csv",
]
"""Raw files the generator writes besides ``einwohner_<year>.csv`` and ``befragung_<last_year>.csv``."""

BA_COLUMNS = ["Sozialraum", "Name", *_BA_SOURCE]
"""Header row of each BA sheet: key, name, then the count columns the importer reads (``importer.BA_COLUMNS``)."""
BA_FOOTER = "Quelle: Statistik der Bundesagentur für Arbeit"
BA_TOTAL_LABEL = "Stadt insgesamt"
"""First cell of the last data row of each BA sheet: unsuppressed totals of the whole city."""
MAX_AREAS = 5000
MARKER = ".workbench-demo"
"""Marker file of a demo folder: the generation's parameters and every generated file with its SHA-256. The
generator writes only into an empty folder or one whose entries are all listed here (unchanged)."""
IGNORED = frozenset({MARKER, f"{MARKER}.tmp", ".gitkeep", ".DS_Store", "Thumbs.db", "desktop.ini"})
"""Entries of a target folder that are neither demo files nor the planner's data."""
_MARKER_HEAD = (
    "# Demo-Stadt Musterstadt, erzeugt von `workbench demo` – bitte nicht von Hand ändern.\n"
    "# Die unten aufgeführten Dateien gehören der Demo-Stadt und werden bei einer neuen Erzeugung ersetzt.\n"
    "# Liegt in diesem Ordner eine andere (oder veränderte) Datei, schreibt die Workbench hier keine Demo mehr.\n"
)


def _check_args(out_dir: Path, n_areas: int, seed: int, first_year: int, last_year: int) -> None:
    for name, value in (
        ("n_areas", n_areas),
        ("seed", seed),
        ("first_year", first_year),
        ("last_year", last_year),
    ):
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise WorkbenchError(f"{name} muss eine ganze Zahl sein, nicht {value!r}", where=name)
    if not 3 <= n_areas <= MAX_AREAS:
        raise WorkbenchError(
            f"Anzahl Sozialräume {n_areas} außerhalb 3 … {MAX_AREAS}",
            where="--areas",
            hint=f"Eine Zahl zwischen 3 und {MAX_AREAS} angeben (Standard 40).",
        )
    if seed < 0:
        raise WorkbenchError(f"Seed {seed} ist negativ", where="--seed", hint="Eine ganze Zahl ≥ 0 angeben.")
    if not (1950 <= first_year <= last_year <= 2100) or last_year - first_year > 30:
        raise WorkbenchError(
            f"Jahre {first_year} … {last_year} ungültig",
            where="first_year/last_year",
            hint="Erstes Jahr ≤ letztes Jahr, höchstens 31 Jahre, zwischen 1950 und 2100.",
        )
    if out_dir.exists() and not out_dir.is_dir():
        raise WorkbenchError("ist kein Ordner", path=out_dir, hint="Einen Ordner als Ziel angeben.")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class DemoFolder:
    """What a folder holds, seen by the demo generator (:func:`inspect_folder`).

    ``parameters`` and ``files`` (name → SHA-256, ``None`` for a file of an interrupted generation) come from
    the marker file (empty without one); ``foreign`` names every entry that is not a demo file – the planner's
    data, subfolders and, with ``verify``, demo files changed since they were generated.
    """

    path: Path
    parameters: dict[str, int] = field(default_factory=dict)
    files: dict[str, str | None] = field(default_factory=dict)
    foreign: tuple[str, ...] = ()
    entries: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        """No entry besides ignorable ones (``.gitkeep`` …) – the folder may also not exist."""
        return not self.entries

    @property
    def is_demo(self) -> bool:
        """The folder holds a demo generation (marker present) and nothing else."""
        return bool(self.files) and not self.foreign

    def complete(self, **parameters: int) -> bool:
        """A finished generation made with these parameters (e.g. ``n_areas=40, seed=2024``) whose files are
        all present."""
        return (
            self.is_demo
            and all(self.parameters.get(k) == v for k, v in parameters.items())
            and all(h is not None for h in self.files.values())
            and all((self.path / name).is_file() for name in self.files)
        )


def _read_marker(path: Path) -> tuple[dict[str, int], dict[str, str | None]]:
    parameters: dict[str, int] = {}
    files: dict[str, str | None] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return parameters, files
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("parameters:"):
            for item in line.removeprefix("parameters:").split():
                key, _, value = item.partition("=")
                if value.lstrip("-").isdigit():
                    parameters[key] = int(value)
            continue
        digest, _, name = line.partition("  ")
        if name and "/" not in name and "\\" not in name:
            files[name] = None if digest == "-" else digest
    return parameters, files


def _write_marker(out_dir: Path, parameters: dict[str, int], files: dict[str, str | None]) -> None:
    lines = [_MARKER_HEAD, "parameters: " + " ".join(f"{k}={v}" for k, v in parameters.items()) + "\n"]
    lines += [f"{files[name] or '-'}  {name}\n" for name in sorted(files)]
    tmp = out_dir / f"{MARKER}.tmp"
    tmp.write_text("".join(lines), encoding="utf-8")
    tmp.replace(out_dir / MARKER)


def inspect_folder(folder: Path, *, verify: bool = False) -> DemoFolder:
    """Look at a (raw data) folder: empty, a demo generation (marker :data:`MARKER`) or someone's data.

    With ``verify`` the demo files are compared with the SHA-256 in the marker; a changed file counts as foreign.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return DemoFolder(folder)
    entries = tuple(sorted(p.name for p in folder.iterdir() if p.name not in IGNORED))
    parameters, files = _read_marker(folder / MARKER) if (folder / MARKER).is_file() else ({}, {})
    foreign = []
    for name in entries:
        path = folder / name
        if name not in files or not path.is_file():
            foreign.append(name)
        elif verify and files[name] is not None and _sha256(path) != files[name]:
            foreign.append(f"{name} (seit der Demo-Erzeugung verändert)")
    return DemoFolder(folder, parameters, files, tuple(foreign), entries)


def refuse_foreign(state: DemoFolder, hint: str | None = None) -> None:
    """Raise the German refusal for a folder with files that are not the demo's (no-op when there are none)."""
    if not state.foreign:
        return
    shown = ", ".join(state.foreign[:4]) + (" …" if len(state.foreign) > 4 else "")
    raise WorkbenchError(
        f"Ordner {relative_to_root(state.path)} enthält Dateien, die nicht von der Demo-Stadt stammen "
        f"({shown}); die Demo-Stadt wird dort nicht geschrieben",
        hint=hint
        or "Die Demo-Stadt wird nur in einen leeren Ordner oder in den Ordner einer früheren Demo-Erzeugung "
        f"(Markierungsdatei {MARKER}) geschrieben, damit keine eigenen Daten überschrieben werden. Einen "
        "anderen Ordner wählen: `workbench demo --out <Ordner>` oder data_raw in der Berichtskonfiguration "
        "(z. B. data/demo/raw).",
    )


def expected_files(first_year: int, last_year: int) -> list[str]:
    """Names of the raw files :func:`generate` writes for these years."""
    yearly = [f"einwohner_{y}.csv" for y in range(first_year, last_year + 1)] + [f"befragung_{last_year}.csv"]
    if last_year - SURVEY_WAVE_GAP >= first_year:  # the earlier survey wave (trends in the Bedarfserhebung)
        yearly.append(f"befragung_{last_year - SURVEY_WAVE_GAP}.csv")
    return sorted([*STATIC_FILES, *yearly])


def _write_csv(df: pd.DataFrame, path: Path, encoding: str = "utf-8", crlf: bool = False) -> None:
    """Semicolon CSV; cp1252 and UTF-8-with-BOM files get Windows line ends like typical exports."""
    df.to_csv(path, sep=";", index=False, encoding=encoding, lineterminator="\r\n" if crlf else "\n")


def _write_gpkg(city, path: Path) -> None:
    areas = gpd.GeoDataFrame(
        {"sozialraum_id": city.area_ids, "sozialraum_name": city.area_names},
        geometry=city.area_polys,
        crs=25832,
    )
    blocks = gpd.GeoDataFrame({"stat_bezirk_id": city.block_ids}, geometry=city.block_polys, crs=25832)
    old = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": FIXED_TIME})
    try:
        if path.exists():
            path.unlink()
        areas.to_file(path, layer="sozialraeume", driver="GPKG", engine="pyogrio")
        blocks.to_file(path, layer="statistische_bezirke", driver="GPKG", engine="pyogrio")
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": old})


def _suppress(value: int) -> int | str:
    """BA primary suppression: 1 and 2 become "*", 0 stays 0."""
    return "*" if value in (1, 2) else int(value)


def _write_ba(social: pd.DataFrame, city, years: list[int], path: Path) -> None:
    wb = Workbook()
    wb.remove(wb.active)
    names = dict(zip(city.area_ids, city.area_names, strict=True))
    for year in years:
        ws = wb.create_sheet(f"Dez {year}")
        ws.append(["Arbeitsmarkt und Grundsicherung für Arbeitsuchende nach Sozialräumen"])
        ws.append(["Region: Musterstadt (Sonderauswertung kleinräumig)"])
        ws.append([f"Berichtsmonat: Dezember {year}"])
        ws.append(
            ["RLB = Regelleistungsberechtigte (SGB II); Arbeitslose nach Rechtskreisen SGB II und SGB III"]
        )
        ws.append(["Hinweis: Aus Datenschutzgründen werden Zahlenwerte von 1 und 2 mit * anonymisiert."])
        ws.append(["Daten mit einer Wartezeit von 3 Monaten (endgültige Werte)"])
        ws.append(BA_COLUMNS)
        part = social[social["year"] == year]
        for row in part.itertuples(index=False):
            ws.append(
                [
                    row.area_id,
                    names[row.area_id],
                    *(_suppress(getattr(row, m)) for m in _BA_SOURCE.values()),
                ]
            )
        # official city totals, summed before suppression (real BA deliveries carry this row unsuppressed)
        ws.append([BA_TOTAL_LABEL, None, *(int(part[m].sum()) for m in _BA_SOURCE.values())])
        ws.append([BA_FOOTER])
        ws.column_dimensions["B"].width = 28
    fixed = dt.datetime(2024, 12, 31)
    wb.properties.creator = "Statistik der Bundesagentur für Arbeit"
    wb.properties.created = fixed
    wb.properties.modified = fixed
    buf = io.BytesIO()
    wb.save(buf)
    path.write_bytes(deterministic_xlsx(buf.getvalue(), FIXED_TIME))


def _write_plain(path: Path, columns: dict[str, object], encoding: str = "utf-8", crlf: bool = False) -> None:
    """Fast CSV writer for large tables of ids, labels and integers (no field holds ';', quotes or newlines)."""
    eol = "\r\n" if crlf else "\n"
    texts = []
    for values in columns.values():
        seq = values.tolist() if isinstance(values, np.ndarray) else list(values)  # type: ignore[call-overload]
        texts.append(list(map(str, seq)))
    body = eol.join(map(";".join, zip(*texts, strict=True)))
    path.write_bytes((";".join(columns) + eol + body + eol).encode(encoding))


def _write_population(sim: Simulation, area_ids: list[str], out_dir: Path) -> dict[str, Path]:
    """One ``einwohner_<year>.csv`` per reference date, full grid area × sex × age × nationality (zeros kept)."""
    n = len(area_ids)
    ages = [str(a) for a in range(100)] + ["100 und älter"]
    sex = np.tile(np.repeat(["m", "w"], 101 * 2), n)
    age = np.tile(np.repeat(ages, 2), 2 * n)
    nat = np.tile(["deutsch", "nichtdeutsch"], 2 * 101 * n)
    area = np.repeat(area_ids, 2 * 101 * 2)
    written = {}
    for year in sim.years:
        path = out_dir / f"einwohner_{year}.csv"
        _write_plain(
            path,
            {
                "Sozialraum": area,
                "Stichtag": [f"31.12.{year}"] * len(area),
                "Geschlecht": sex,
                "Alter": age,
                "Staatsangehörigkeit": nat,
                "Anzahl": sim.population[year].ravel(),
            },
            encoding="cp1252",
            crlf=True,
        )
        written[path.name] = path
    return written


def _events_frame(sim: Simulation, area_ids: list[str]) -> pd.DataFrame:
    n = len(area_ids)
    frames = []
    for year in sim.years:
        births = np.zeros((n, 2, 101), dtype=np.int64)
        births[:, 1, :] = sim.births[year]
        frames.append(
            pd.DataFrame(
                {
                    "Sozialraum": np.repeat(area_ids, 202),
                    "Jahr": year,
                    "Geschlecht": np.tile(np.repeat(["m", "w"], 101), n),
                    "Alter": np.tile(np.arange(101), 2 * n),
                    **{
                        raw: (births if measure == "births" else getattr(sim, measure)[year]).ravel()
                        for raw, measure in EVENT_COLUMNS.items()
                    },
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def generate(
    out_dir: Path,
    n_areas: int = 40,
    seed: int = 2024,
    first_year: int = 2019,
    last_year: int = 2024,
) -> dict[str, Path]:
    """Write the raw files of the demo city "Musterstadt" into out_dir and return {file name: path}.

    n_areas Sozialräume (≈ n_areas/7 Stadtbezirke, 2–4 statistische Bezirke each), population for every
    31.12. of first_year … last_year with the events of each year (the first year's events lead from the unwritten
    year first_year − 1). Deterministic: same arguments → byte-identical files.

    Nothing of anyone else's is touched: out_dir must be empty (or not exist) or hold a previous demo generation
    (marker file :data:`MARKER`, written first and completed last, listing every generated file with its
    SHA-256). The files of that generation are replaced; a folder with any other entry, or with a demo file
    changed since it was generated, is refused with a ``WorkbenchError`` naming the folder, as are invalid
    arguments.
    """
    out_dir = Path(out_dir)
    _check_args(out_dir, n_areas, seed, first_year, last_year)
    previous = inspect_folder(out_dir, verify=True)
    refuse_foreign(previous)
    parameters = {
        "n_areas": int(n_areas),
        "seed": int(seed),
        "first_year": first_year,
        "last_year": last_year,
    }
    names = expected_files(first_year, last_year)
    out_dir.mkdir(parents=True, exist_ok=True)
    # the marker covers old and new files before anything is written: an interrupted run stays recognisable
    _write_marker(out_dir, parameters, {name: None for name in {*previous.files, *names}})
    for name in set(previous.files) - set(names):  # e.g. population files of other years
        (out_dir / name).unlink(missing_ok=True)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(6)]
    city = build_city(streams[0], n_areas)
    small = small_areas(city)
    centre = np.array(city.outline.centroid.coords[0])
    radius = float(np.sqrt(city.outline.area / np.pi))
    traits = make_traits(streams[1], city.centroids, centre, radius, small)
    sim = simulate(streams[2], traits, first_year, last_year)
    social = social_counts(streams[3], traits, sim, city.area_ids)
    # a measure with comparison areas and a known effect on youth unemployment (demo._steering)
    social, planted = plant_effect(seed, social, traits, city.area_ids, last_year)
    pop_last = sim.population[last_year]

    written: dict[str, Path] = {}

    def put(name: str, df: pd.DataFrame, **kw) -> None:
        path = out_dir / name
        _write_csv(df, path, **kw)
        written[name] = path

    gpkg = out_dir / "gebiete.gpkg"
    _write_gpkg(city, gpkg)
    written[gpkg.name] = gpkg
    keys = pd.DataFrame(
        {
            "stat_bezirk_id": city.block_ids,
            "stat_bezirk_name": city.block_names,
            "sozialraum_id": [city.area_ids[i] for i in city.block_area],
            "sozialraum_name": [city.area_names[i] for i in city.block_area],
            "stadtbezirk_id": [city.district_ids[city.district_of_area[i]] for i in city.block_area],
            "stadtbezirk_name": [city.district_names[city.district_of_area[i]] for i in city.block_area],
        }
    )
    put("schluessel_gebiete.csv", keys, encoding="utf-8-sig", crlf=True)
    written.update(_write_population(sim, city.area_ids, out_dir))
    household_names = {"area_id": "Sozialraum", "year": "Jahr"} | {v: k for k, v in HOUSEHOLD_COLUMNS.items()}
    households = social.rename(columns=household_names)[list(household_names.values())]
    put("haushalte.csv", households, encoding="cp1252", crlf=True)
    ba = out_dir / "ba_sgb2_arbeitslose.xlsx"
    _write_ba(social, city, sim.years, ba)
    written[ba.name] = ba
    grusi = social.rename(columns={"area_id": "Sozialraum", "year": "Jahr", "grusi_65": "Empfaenger_65plus"})
    put("sgb12_grundsicherung_65plus.csv", grusi[["Sozialraum", "Jahr", "Empfaenger_65plus"]])
    hze = social.melt(
        id_vars=["area_id", "year"],
        value_vars=[f"hze_{h}" for h in HZE_TYPES],
        var_name="Hilfeart",
        value_name="Faelle",
    )
    hze["Hilfeart"] = pd.Categorical(
        hze["Hilfeart"].str.removeprefix("hze_"), categories=HZE_TYPES, ordered=True
    )
    hze = hze.sort_values(["area_id", "year", "Hilfeart"]).rename(
        columns={"area_id": "Sozialraum", "year": "Jahr"}
    )
    put("hze_faelle.csv", hze[["Sozialraum", "Jahr", "Hilfeart", "Faelle"]].astype({"Hilfeart": str}))
    put("einrichtungen.csv", facilities(streams[4], city, traits, pop_last))
    events = _events_frame(sim, city.area_ids)
    _write_plain(out_dir / "bewegungen.csv", {c: events[c].to_numpy() for c in events.columns})
    written["bewegungen.csv"] = out_dir / "bewegungen.csv"
    put(f"befragung_{last_year}.csv", survey(streams[5], city, traits, pop_last))
    if last_year - SURVEY_WAVE_GAP >= first_year:
        earlier = last_year - SURVEY_WAVE_GAP
        put(f"befragung_{earlier}.csv", earlier_wave(seed, city, traits, sim.population[earlier]))
    reg, kpis = measures(streams[5], city, traits, first_year, last_year)
    planted_row, planted_kpis = planted_register(seed, planted, last_year)
    reg = pd.concat([reg, pd.DataFrame([planted_row])], ignore_index=True)
    reg["Zielindikator"] = reg["Massnahme_ID"].map(TARGET_INDICATORS).fillna("")
    put("massnahmen.csv", reg)
    put("massnahmen_kennzahlen.csv", pd.concat([kpis, pd.DataFrame(planted_kpis)], ignore_index=True))
    put("kosten.csv", costs(seed, social, traits, city.area_ids))
    assert sorted(written) == names, "expected_files() must name exactly the files generate() writes"
    _write_marker(out_dir, parameters, {name: _sha256(path) for name, path in written.items()})
    return written
