"""The one settings module: every path and every YAML file of a report is read here.

A report is described by one report config (``config/report.yaml`` or a city's own file). It names the city,
the reporting year, the data folders, the chapters and the confidentiality rules, and it may point to its own
copies of the other configuration files::

    config_files:               # each optional; default: config/<name>.yaml of the project
      indicators: config/meine_indikatoren.yaml
      colours: config/meine_farben.yaml
      chapters: config/meine_kapitel.yaml
      index: config/mein_index.yaml
      projection: config/meine_prognose.yaml

Relative paths are relative to the project root: ``$WORKBENCH_ROOT`` when set (the Makefile sets it), else
the checkout that holds this package (src layout), else the current folder. Nothing here is fixed at import
time: :func:`project_root` is evaluated when a config is loaded.

Every YAML file is read by :func:`read_yaml` (German :class:`~workbench.errors.ConfigError` naming the file
for a missing file, wrong encoding or invalid YAML). The report config becomes a frozen
:class:`ReportConfig`; the domain files are parsed into frozen objects by their owners (the catalogue by
:func:`workbench.indicators.load_catalogue`, the index config by :func:`workbench.index.load_index_config`,
the projection by :func:`workbench.projection.runs.load_projection_config`), each taking its path from
:attr:`ReportConfig.files`. :func:`activate` makes a report config the one in force for the process (a
chapter kernel, a profile worker, the command line), so figures take their colours from the report's own
colour file without passing the config through every call.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from workbench.errors import ConfigError

CONFIG_NAMES = ("indicators", "colours", "chapters", "index", "projection")


def project_root() -> Path:
    """The project's root folder (see module docstring)."""
    env = os.environ.get("WORKBENCH_ROOT")
    if env:
        return Path(env).resolve()
    here = Path(__file__).resolve().parents[2]
    if (here / "pyproject.toml").exists() and (here / "config").is_dir():
        return here
    return Path.cwd().resolve()


def config_dir() -> Path:
    """The project's ``config/`` folder (defaults of every configuration file)."""
    return project_root() / "config"


def notebooks_dir() -> Path:
    """The chapter notebooks (``notebooks/``)."""
    return project_root() / "notebooks"


def resolve_path(value: str | os.PathLike, base: Path | None = None) -> Path:
    """``value`` as an absolute path; relative paths are taken relative to ``base`` (default: project root)."""
    p = Path(value)
    return p if p.is_absolute() else ((base or project_root()) / p).resolve()


def relative_to_root(path: Path) -> str:
    """``path`` relative to the project root for messages and provenance, else its absolute form."""
    try:
        return str(Path(path).resolve().relative_to(project_root()))
    except ValueError:
        return str(Path(path).resolve())


def read_yaml(path: str | os.PathLike, what: str = "Konfiguration", *, missing_hint: str = "") -> Any:
    """Read one YAML file (UTF-8); every YAML file of the workbench is read through this function.

    Raises
    ------
    ConfigError
        The file does not exist (``"<what> nicht gefunden"``), is not UTF-8, or is not valid YAML; the message
        names the file and says what to do.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{what} nicht gefunden",
            path=path,
            hint=missing_hint or "Pfad in der Berichtskonfiguration prüfen",
        ) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"Datei ist nicht UTF-8 ({exc})", path=path, hint="Als UTF-8 speichern") from None
    if text in _YAML_MEMO:  # parsed before in this process: a copy, so callers may change what they get
        return copy.deepcopy(_YAML_MEMO[text])
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"Zeile {mark.line + 1}, Spalte {mark.column + 1}" if mark is not None else None
        problem = getattr(exc, "problem", None) or "Syntaxfehler"
        raise ConfigError(
            f"kein gültiges YAML ({problem})",
            path=path,
            where=where,
            hint="Einrückung mit Leerzeichen, Doppelpunkt nach jedem Schlüssel, Listen in [ ] oder mit „- “ prüfen",
        ) from None
    if len(_YAML_MEMO) >= 64:
        _YAML_MEMO.pop(next(iter(_YAML_MEMO)))
    _YAML_MEMO[text] = data
    return copy.deepcopy(data)


_YAML_MEMO: dict[str, Any] = {}
"""Parsed YAML by file text (per process): a warm profile kernel reads the same configuration files for every
profile; parsing them took about a third of a profile's own time, a deep copy a few milliseconds."""


@dataclass(frozen=True)
class Paths:
    """Folders of one report build: raw input, processed tables and the published/internal outputs."""

    raw: Path
    processed: Path
    reports: Path

    @property
    def html(self) -> Path:
        """Published chapter HTML."""
        return self.reports / "html"

    @property
    def executed(self) -> Path:
        """Internal executed notebooks (may contain unsuppressed numbers; never linked)."""
        return self.reports / "executed"

    @property
    def profiles(self) -> Path:
        """Published Sozialraumprofile."""
        return self.reports / "profiles"

    @property
    def index_html(self) -> Path:
        return self.reports / "index.html"


@dataclass(frozen=True)
class ConfigFiles:
    """The configuration files of one report (``config_files:`` of the report config, else the defaults)."""

    indicators: Path
    colours: Path
    chapters: Path
    index: Path
    projection: Path

    @classmethod
    def defaults(cls) -> ConfigFiles:
        base = config_dir()
        return cls(**{name: base / f"{name}.yaml" for name in CONFIG_NAMES})


@dataclass(frozen=True)
class KitaSettings:
    """Kita planning parameters (report YAML key ``kita:``): target coverage in % and projection horizon."""

    target_u3: float = 45.0
    target_ue3: float = 95.0
    horizon: int = 5
    base_years: int = 3

    def target(self, group: str) -> float:
        return self.target_u3 if group == "u3" else self.target_ue3


def kita_settings(extra: Mapping[str, Any] | None) -> KitaSettings:
    """Read ``kita: {target_u3: 45, target_ue3: 95, horizon: 5, base_years: 3}`` from a report config mapping.

    Missing keys keep the defaults (U3 45 %, Ü3 95 %, 5 years, 3 base years); wrong values raise ConfigError.
    """
    spec = (extra or {}).get("kita") or {}
    if not isinstance(spec, Mapping):
        raise ConfigError("kita muss eine Zuordnung sein", where="kita", hint="z. B. kita: {target_u3: 45}")
    known = {"target_u3", "target_ue3", "horizon", "base_years"}
    unknown = sorted(set(spec) - known)
    if unknown:
        raise ConfigError(
            f"unbekannte Einstellung(en) {', '.join(map(str, unknown))}",
            where="kita",
            hint="erlaubt: " + ", ".join(sorted(known)),
        )
    kw: dict[str, Any] = {}
    for key in ("target_u3", "target_ue3"):
        if key in spec:
            v = spec[key]
            if isinstance(v, bool) or not isinstance(v, int | float) or not 0 < v <= 150:
                raise ConfigError(
                    f"{key} muss eine Versorgungsquote in % (über 0, höchstens 150) sein, gefunden: {v!r}",
                    where=f"kita.{key}",
                    hint="z. B. 45 für 45 %",
                )
            kw[key] = float(v)
    for key, lo, hi in (("horizon", 1, 20), ("base_years", 1, 10)):
        if key in spec:
            v = spec[key]
            if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
                raise ConfigError(
                    f"{key} muss eine ganze Zahl von {lo} bis {hi} sein, gefunden: {v!r}", where=f"kita.{key}"
                )
            kw[key] = v
    return KitaSettings(**kw)


SIGN_ROLES = ("null", "geheim", "unbekannt", "nicht_sinnvoll", "unsicher", "spaeter")
"""Roles of the signs in published tables (report config key ``signs:``); the default sign and German text of
each role are defined in :data:`workbench.render.fmt.SIGN_DEFAULTS`."""


def sign_settings(extra: Mapping[str, Any] | None) -> Mapping[str, tuple[str | None, str | None]]:
    """Read ``signs: {geheim: ".", nicht_sinnvoll: {zeichen: "x", text: "…"}}`` from a report config mapping.

    Returns role → (sign or None, text or None) for the roles given; missing roles keep the official defaults
    (:data:`workbench.render.fmt.SIGN_DEFAULTS`). An unknown role, a sign with digits, blanks or more than three
    characters, or an empty text raises ConfigError naming the key.
    """
    spec = (extra or {}).get("signs") or {}
    if not isinstance(spec, Mapping):
        raise ConfigError(
            "signs muss eine Zuordnung Rolle → Zeichen sein", where="signs", hint='z. B. signs: {geheim: "."}'
        )
    out: dict[str, tuple[str | None, str | None]] = {}
    for role, value in spec.items():
        key = f"signs.{role}"
        if role not in SIGN_ROLES:
            raise ConfigError(
                f"unbekannte Zeichenrolle {role!r}",
                where=key,
                hint="erlaubt: " + ", ".join(SIGN_ROLES),
            )
        text: Any = None
        if isinstance(value, Mapping):
            extra_keys = sorted(set(map(str, value)) - {"zeichen", "text"})
            if extra_keys:
                raise ConfigError(
                    f"unbekannte Angabe(n) {', '.join(extra_keys)}", where=key, hint="erlaubt: zeichen, text"
                )
            sign, text = value.get("zeichen"), value.get("text")
        else:
            sign = value
        if sign is not None and (
            not isinstance(sign, str)
            or not sign.strip()
            or sign != sign.strip()
            or len(sign) > 3
            or any(ch.isdigit() for ch in sign)
        ):
            raise ConfigError(
                f"Zeichen muss ein bis drei Zeichen ohne Ziffern und Leerzeichen sein, gefunden: {sign!r}",
                where=key,
                hint='in Anführungszeichen schreiben, z. B. geheim: "."',
            )
        if text is not None and (not isinstance(text, str) or not text.strip()):
            raise ConfigError(f"Text der Zeichenerklärung fehlt oder ist leer: {text!r}", where=f"{key}.text")
        out[role] = (sign, text.strip() if isinstance(text, str) else None)
    return MappingProxyType(out)


@dataclass(frozen=True)
class ReportConfig:
    """Parameters of one report: city, reporting year, folders, chapters, rules and configuration files.

    ``extra`` keeps every further key of the report config (``kita``, ``demo``, ``config_files`` …) as written,
    for the provenance block of the report; typed views of them are ``files``, ``kita`` and ``signs``.
    """

    city: str
    reporting_year: int
    paths: Paths
    chapters: tuple[str, ...]
    confidentiality: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    extra: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    files: ConfigFiles = field(default_factory=ConfigFiles.defaults)
    kita: KitaSettings = field(default_factory=KitaSettings)
    signs: Mapping[str, tuple[str | None, str | None]] = field(default_factory=lambda: MappingProxyType({}))
    source: Path | None = None

    def parameters(self) -> dict[str, Any]:
        """The report config as plain data (for the provenance block of ``index.html``)."""
        return {
            "city": self.city,
            "reporting_year": self.reporting_year,
            "chapters": list(self.chapters),
            "confidentiality": dict(self.confidentiality),
            **{k: _plain(v) for k, v in self.extra.items()},
        }


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def _config_files(data: Mapping[str, Any], path: Path) -> ConfigFiles:
    spec = data.get("config_files") or {}
    if not isinstance(spec, Mapping):
        raise ConfigError(
            "config_files muss eine Zuordnung Name → Datei sein", path=path, where="config_files"
        )
    unknown = sorted(set(map(str, spec)) - set(CONFIG_NAMES))
    if unknown:
        raise ConfigError(
            f"unbekannte Konfigurationsdatei(en) {', '.join(unknown)}",
            path=path,
            where="config_files",
            hint=f"erlaubt: {', '.join(CONFIG_NAMES)}",
        )
    chosen = {name: (value, f"config_files.{name}") for name, value in spec.items()}
    # older report configs name the index and projection files by their own keys
    for name, legacy in (("index", "index_config"), ("projection", "projection_config")):
        if name not in chosen and data.get(legacy):
            chosen[name] = (data[legacy], legacy)
    files = ConfigFiles.defaults()
    values = {}
    for name in CONFIG_NAMES:
        if name in chosen:
            value, key = chosen[name]
            p = resolve_path(value)
            if not p.exists():
                raise ConfigError(
                    f"Konfigurationsdatei für '{name}' nicht gefunden: {p}",
                    path=path,
                    where=key,
                    hint="Pfad relativ zum Projektordner angeben oder den Eintrag entfernen (Standard verwenden)",
                )
            values[name] = p
        else:
            values[name] = getattr(files, name)
    return ConfigFiles(**values)


KNOWN_KEYS = {
    "city",
    "reporting_year",
    "data_raw",
    "data_processed",
    "reports",
    "chapters",
    "confidentiality",
}
"""Keys with a field of their own in :class:`ReportConfig`."""

FURTHER_KEYS = {"config_files", "kita", "demo", "index_config", "projection_config", "sources", "signs"}
"""Further keys a report config may hold (kept in :attr:`ReportConfig.extra`)."""

DEFAULT_CONFIDENTIALITY = {"threshold": 3, "show_zero": True, "min_base": 20, "suppress_on_denominator": True}
"""Confidentiality rules of a report config without ``confidentiality:`` (the README's recommendation)."""


def load_report_config(path: str | os.PathLike | None = None) -> ReportConfig:
    """Read a report config YAML into a frozen :class:`ReportConfig`.

    Missing keys get the demo defaults; wrong types raise a German ``ConfigError`` naming file and key.
    """
    explicit = path is not None
    path = resolve_path(path) if path else config_dir() / "report.yaml"
    data: Any = {}
    if explicit and not path.exists():
        raise ConfigError(
            "Berichtskonfiguration nicht gefunden", path=path, hint="Pfad prüfen (relativ zum Projektordner)"
        )
    if path.exists():
        data = read_yaml(path, "Berichtskonfiguration") or {}
        if not isinstance(data, dict):
            raise ConfigError("erwartet eine Zuordnung (key: value)", path=path)
    unknown = sorted(set(map(str, data)) - KNOWN_KEYS - FURTHER_KEYS)
    if unknown:
        raise ConfigError(
            f"unbekannte Schlüssel: {', '.join(unknown)}",
            path=path,
            hint=f"Schreibweise prüfen; erlaubt sind {', '.join(sorted(KNOWN_KEYS | FURTHER_KEYS))}",
        )
    try:
        year = int(data.get("reporting_year", 2024))
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            "reporting_year muss eine Jahreszahl sein", path=path, where="reporting_year"
        ) from exc
    chapters = data.get("chapters", ["bevoelkerung"])
    if not isinstance(chapters, list) or not all(isinstance(c, str) for c in chapters):
        raise ConfigError("chapters muss eine Liste von Kapitelnamen sein", path=path, where="chapters")
    # every notebook is a chapter except the interactive explorer (make explorer)
    available = sorted(p.stem for p in notebooks_dir().glob("*.ipynb") if p.stem != "explorer")
    unknown_chapters = [c for c in chapters if available and c not in available]
    if unknown_chapters:
        raise ConfigError(
            f"unbekannte Kapitel: {', '.join(unknown_chapters)}",
            path=path,
            where="chapters",
            hint=f"vorhanden sind {', '.join(available)}",
        )
    confidentiality = data.get("confidentiality")
    if confidentiality is None:
        confidentiality = DEFAULT_CONFIDENTIALITY
    if not isinstance(confidentiality, Mapping):
        raise ConfigError("confidentiality muss eine Zuordnung sein", path=path, where="confidentiality")
    paths = Paths(
        raw=resolve_path(data.get("data_raw", "data/raw")),
        processed=resolve_path(data.get("data_processed", "data/processed")),
        reports=resolve_path(data.get("reports", "reports")),
    )
    extra = {k: v for k, v in data.items() if k not in KNOWN_KEYS}
    try:
        kita = kita_settings(extra)
        signs = sign_settings(extra)
    except ConfigError as exc:
        raise ConfigError(exc.problem, path=path, where=exc.where, hint=exc.hint) from None
    return ReportConfig(
        city=str(data.get("city", "Musterstadt")),
        reporting_year=year,
        paths=paths,
        chapters=tuple(chapters),
        confidentiality=_freeze(dict(confidentiality)),
        extra=_freeze(extra),
        files=_config_files(data, path),
        kita=kita,
        signs=signs,
        source=path,
    )


def chapter_titles(cfg: ReportConfig | None = None) -> dict[str, dict]:
    """Titles, descriptions and indicator lists of the chapters (``config_files: chapters:``, else
    ``config/chapters.yaml``); an absent file gives ``{}``."""
    path = (cfg or active()).files.chapters
    if not path.exists():
        return {}
    data = read_yaml(path, "Kapitelliste") or {}
    if not isinstance(data, dict):
        raise ConfigError("erwartet eine Zuordnung Kapitelname → Titel", path=path)
    return data


_ACTIVE: ReportConfig | None = None


def activate(cfg: ReportConfig | None) -> ReportConfig | None:
    """Make ``cfg`` the report config in force for this process (chapter kernel, worker, command line);
    ``None`` returns to the default (``config/report.yaml``, read on next use)."""
    global _ACTIVE
    _ACTIVE = cfg
    return cfg


def active() -> ReportConfig:
    """The report config in force: the one given to :func:`activate`, else ``config/report.yaml``."""
    global _ACTIVE
    if _ACTIVE is None:
        _ACTIVE = load_report_config()
    return _ACTIVE
