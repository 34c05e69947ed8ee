"""The conda environment.yml describes the same environment as pyproject.toml; the lock pins every dependency."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(req: str) -> str:
    return re.split(r"[<>=!~\[ ;]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_environment_yml_matches_pyproject():
    project = _pyproject()["project"]
    wanted = {_name(r): r for r in project["dependencies"] + project["optional-dependencies"]["dev"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    conda = {}
    pip_section = []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip_section = dep.get("pip", [])
        elif not dep.startswith(("python", "pip")):
            conda[_name(dep)] = dep
    assert set(conda) == set(wanted), (
        f"only in pyproject: {set(wanted) - set(conda)}; only in environment.yml: {set(conda) - set(wanted)}"
    )
    for name, req in wanted.items():
        lower = re.search(r">=\s*([\d.]+)", req)
        assert lower and f">={lower.group(1)}" in conda[name], f"{name}: {req} vs {conda[name]}"
    assert "-e ." in pip_section, "environment.yml must install the workbench package itself"
    assert any(d.startswith("python>=3.11") for d in env["dependencies"] if isinstance(d, str))


def test_lock_pins_every_dependency():
    lock = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==", 1)
            lock[_name(name)] = version.strip()
    project = _pyproject()["project"]
    for req in project["dependencies"] + project["optional-dependencies"]["dev"]:
        assert _name(req) in lock, f"{_name(req)} is not pinned in requirements.lock"
