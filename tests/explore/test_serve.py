"""``make explorer``'s Voila command: root folder and file rules that serve the report's HTML pages only."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from workbench.explore.serve import FILES_ROOT_ENV, file_rules, files_root, voila_command


def _served(rules: tuple[list[str], list[str]], path: str) -> bool:
    """Voila's check (voila.static_file_handler.AllowListFileHandler): one allow rule, no deny rule."""
    allow, deny = rules
    ok = any(re.fullmatch(p, path, re.IGNORECASE) for p in allow)
    return ok and not any(re.fullmatch(p, path, re.IGNORECASE) for p in deny)


def test_rules_serve_the_report_pages_only():
    rules = file_rules(Path("/p"), Path("/p/berichte/berlin"))
    assert _served(rules, "berichte/berlin/profiles/0101.html")
    assert _served(rules, "berichte/berlin/index.html")
    assert _served(rules, "berichte/berlin/html/soziale_lage.html")
    assert not _served(rules, "berichte/berlin/executed/profiles/0101.html")
    assert not _served(rules, "berichte/berlin/executed/soziale_lage.ipynb")
    assert not _served(rules, "berichte/berlin/tabellen.xlsx")
    assert not _served(rules, "berichte/berlin_daten/quelle.html")  # a sibling folder with the same prefix
    assert not _served(rules, "notebooks/explorer.ipynb")
    assert not _served(rules, "docs/seite.html")
    # the report folder as Voila's root
    assert _served(file_rules(Path("/p/r"), Path("/p/r")), "profiles/0101.html")
    assert not _served(file_rules(Path("/p/r"), Path("/p/r")), "executed/x.html")


def test_root_holds_notebook_and_reports():
    assert files_root(Path("/p/notebooks/explorer.ipynb"), Path("/p/reports")) == Path("/p")
    assert files_root(Path("/p/notebooks/explorer.ipynb"), Path("/srv/berichte")) == Path("/")


def test_voila_command_passes_root_rules_and_config(tmp_path):
    cfg = tmp_path / "report.yaml"
    cfg.write_text(
        yaml.safe_dump({"city": "X", "reporting_year": 2024, "reports": str(tmp_path / "bericht")}),
        encoding="utf-8",
    )
    notebook = tmp_path / "nb" / "explorer.ipynb"
    argv, env = voila_command(cfg, ["--port=9999"], notebook=notebook)
    assert argv[1] == str(notebook)
    assert f"--Voila.root_dir={tmp_path}" in argv
    allow = next(a for a in argv if a.startswith("--VoilaConfiguration.file_allowlist="))
    assert "bericht/" in allow and argv[-1] == "--port=9999"
    assert env[FILES_ROOT_ENV] == str(tmp_path)
    assert env["WORKBENCH_EXPLORER_CONFIG"] == str(cfg)
    assert "resources" in env["JUPYTER_PATH"]
