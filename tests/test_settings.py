"""The one settings module: report config, per-report configuration files, the one YAML reader."""

from __future__ import annotations

import ast
import dataclasses
import shutil
from pathlib import Path

import pytest
import yaml

from workbench import settings
from workbench.errors import ConfigError
from workbench.indicators import load_catalogue
from workbench.render.plots import load_colours

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "workbench"


@pytest.fixture(autouse=True)
def _default_settings():
    settings.activate(None)
    yield
    settings.activate(None)


def write_report(tmp_path: Path, **extra) -> Path:
    cfg = {
        "city": "Teststadt",
        "reporting_year": 2023,
        "data_processed": str(tmp_path / "processed"),
        **extra,
    }
    path = tmp_path / "report.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return path


def test_defaults_come_from_the_project_config_folder(tmp_path):
    cfg = settings.load_report_config(write_report(tmp_path))
    for name in settings.CONFIG_NAMES:
        assert getattr(cfg.files, name) == ROOT / "config" / f"{name}.yaml"
    assert cfg.paths.processed == tmp_path / "processed"
    assert cfg.paths.raw == ROOT / "data" / "raw"
    assert cfg.chapters == ("bevoelkerung",)
    assert cfg.kita == settings.KitaSettings()


def test_report_config_is_frozen(tmp_path):
    cfg = settings.load_report_config(
        write_report(tmp_path, confidentiality={"threshold": 4}, kita={"horizon": 3})
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.city = "Andere Stadt"
    with pytest.raises(TypeError):
        cfg.confidentiality["threshold"] = 1
    with pytest.raises(TypeError):
        cfg.extra["kita"]["horizon"] = 9
    assert cfg.kita.horizon == 3
    # provenance block of index.html: plain data, as written
    assert cfg.parameters()["kita"] == {"horizon": 3}
    assert cfg.parameters()["confidentiality"] == {"threshold": 4}


def test_every_configuration_file_can_be_overridden(tmp_path):
    own = {}
    for name in settings.CONFIG_NAMES:
        own[name] = tmp_path / f"meine_{name}.yaml"
        shutil.copy(ROOT / "config" / f"{name}.yaml", own[name])
    cfg = settings.load_report_config(
        write_report(tmp_path, config_files={k: str(v) for k, v in own.items()})
    )
    assert dataclasses.asdict(cfg.files) == own


def test_overridden_colours_and_catalogue_are_used_once_active(tmp_path):
    colours = yaml.safe_load((ROOT / "config" / "colours.yaml").read_text(encoding="utf-8"))
    colours["missing"]["colour"] = "#123456"
    (tmp_path / "farben.yaml").write_text(yaml.safe_dump(colours, allow_unicode=True), encoding="utf-8")
    catalogue = yaml.safe_load((ROOT / "config" / "indicators.yaml").read_text(encoding="utf-8"))
    catalogue["indicators"] = catalogue["indicators"][:1]
    (tmp_path / "katalog.yaml").write_text(yaml.safe_dump(catalogue, allow_unicode=True), encoding="utf-8")
    path = write_report(tmp_path, config_files={"colours": "farben.yaml", "indicators": "katalog.yaml"})
    # relative paths are relative to the project root, not to the report file
    with pytest.raises(
        ConfigError,
        match=r"config_files\.indicators: .* nicht gefunden: /work/main/katalog.yaml".replace(
            "/work/main", str(ROOT)
        ),
    ):
        settings.load_report_config(path)
    path = write_report(
        tmp_path,
        config_files={"colours": str(tmp_path / "farben.yaml"), "indicators": str(tmp_path / "katalog.yaml")},
    )
    default_missing = load_colours()["missing"]["colour"]
    assert default_missing != "#123456"
    settings.activate(settings.load_report_config(path))
    assert load_colours()["missing"]["colour"] == "#123456"
    assert len(load_catalogue().indicators) == 1
    settings.activate(None)
    assert load_colours()["missing"]["colour"] == default_missing
    assert len(load_catalogue().indicators) > 1


def test_legacy_keys_name_index_and_projection_files(tmp_path):
    shutil.copy(ROOT / "config" / "index.yaml", tmp_path / "idx.yaml")
    cfg = settings.load_report_config(write_report(tmp_path, index_config=str(tmp_path / "idx.yaml")))
    assert cfg.files.index == tmp_path / "idx.yaml"
    assert cfg.files.projection == ROOT / "config" / "projection.yaml"


@pytest.mark.parametrize(
    ("extra", "where"),
    [
        ({"config_files": {"farben": "x.yaml"}}, "config_files"),
        ({"config_files": ["colours"]}, "config_files"),
        ({"config_files": {"index": "gibt/es/nicht.yaml"}}, "config_files.index"),
        ({"kita": {"horizon": 0}}, "kita.horizon"),
        ({"reporting_year": "zwanzig"}, "reporting_year"),
        ({"chapters": "bevoelkerung"}, "chapters"),
        ({"confidentiality": [3]}, "confidentiality"),
        ({"chapters": ["bevoelkerung", "finanzplanung"]}, "chapters"),
        ({"index_config": "gibt/es/nicht.yaml"}, "index_config"),
        ({"confidentality": {"threshold": 3}}, None),
    ],
)
def test_bad_report_config_names_file_and_key(tmp_path, extra, where):
    path = write_report(tmp_path, **extra)
    with pytest.raises(ConfigError) as err:
        settings.load_report_config(path)
    assert err.value.where == where
    assert err.value.path == str(path)


def test_unknown_keys_and_missing_files_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="unbekannte Schlüssel: confidentality, reporting_yaer") as err:
        settings.load_report_config(write_report(tmp_path, reporting_yaer=2023, confidentality={}))
    assert "confidentiality" in err.value.hint
    with pytest.raises(ConfigError, match="Berichtskonfiguration nicht gefunden"):
        settings.load_report_config(tmp_path / "fehlt.yaml")


def test_without_confidentiality_key_the_recommended_rules_apply(tmp_path):
    cfg = settings.load_report_config(write_report(tmp_path))
    assert dict(cfg.confidentiality) == {
        "threshold": 3,
        "show_zero": True,
        "min_base": 20,
        "suppress_on_denominator": True,
    }


def test_read_yaml_errors_are_german_and_name_the_file(tmp_path):
    with pytest.raises(ConfigError, match="Farbdatei nicht gefunden"):
        settings.read_yaml(tmp_path / "fehlt.yaml", "Farbdatei")
    bad = tmp_path / "kaputt.yaml"
    bad.write_text("a: [1, 2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="kein gültiges YAML") as err:
        settings.read_yaml(bad)
    assert err.value.path == str(bad)
    assert err.value.where == "Zeile 2, Spalte 1"
    assert "unicode string" not in str(err.value) and "^" not in str(err.value)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("stadt: Görlitz\n".encode("cp1252"))
    with pytest.raises(ConfigError, match="nicht UTF-8"):
        settings.read_yaml(latin)


def test_project_root_is_read_at_call_time(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_ROOT", str(tmp_path))
    assert settings.project_root() == tmp_path
    assert settings.config_dir() == tmp_path / "config"
    assert settings.load_report_config().source == tmp_path / "config" / "report.yaml"
    monkeypatch.delenv("WORKBENCH_ROOT")
    assert settings.project_root() == ROOT


def test_settings_is_the_only_yaml_reader_and_has_no_path_globals():
    readers = []
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "yaml"
                and node.attr
                in {"safe_load", "load", "full_load", "unsafe_load", "load_all", "safe_load_all"}
            ):
                readers.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert readers == ["settings.py:" + str(_line_of("yaml.safe_load(text)"))]
    for name in ("ROOT", "CONFIG_DIR", "NOTEBOOKS", "DEFAULT_REPORT_CONFIG", "RESOURCES"):
        assert not hasattr(settings, name), name


def _line_of(snippet: str) -> int:
    lines = (SRC / "settings.py").read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if snippet in line)
