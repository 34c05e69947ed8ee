"""Dependency hygiene: pyproject.toml, environment.yml, requirements.lock and the Makefile describe one environment.

* environment.yml lists the same hard dependencies and extras as pyproject.toml;
* every hard dependency is used by the package (imported somewhere in ``src/workbench``, or used without an
  import as a named engine, see ``USED_WITHOUT_IMPORT``), and everything the package imports is a hard
  dependency (test- or lab-only packages belong into the extras);
* requirements.lock pins exactly the closure of ``pip install -e '.[dev,lab]'`` (all extras, as ``make``
  installs them), at the versions installed in the running environment.
"""

from __future__ import annotations

import ast
import functools
import json
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "workbench"

# Hard dependencies the package needs although (or beyond what) it imports them: name -> (why, a regex that must
# match somewhere in src/workbench, so the entry goes stale together with the use).
USED_WITHOUT_IMPORT = {
    # geopandas' CRS engine: GeoDataFrame.to_crs(25832) and crs.to_epsg() (io/_areas.py, render/maps.py)
    "pyproj": ("CRS engine of geopandas", r"\.to_crs\(|\.to_epsg\("),
    # pandas' parquet engine for every processed table (io/importer.py, io/dataset.py, chapters/context.py)
    "pyarrow": ("parquet engine of pandas", r"\.to_parquet\(|read_parquet"),
    # pandas' Excel engine (read_excel of BA/city-total workbooks, ExcelWriter for the published tables)
    "openpyxl": ("Excel engine of pandas", r"read_excel\(|ExcelWriter|to_excel\("),
    # geopandas' file engine (read_file / to_file(..., engine="pyogrio") of the GeoPackages)
    "pyogrio": ("file engine of geopandas", r"engine=\"pyogrio\""),
    # the Jupyter kernel that executes the chapter and profile notebooks (build/_jobs.py registers it)
    "ipykernel": ("kernel that runs the notebooks", r"\"ipykernel\""),
    # Dask's core, on which its distributed scheduler runs (build/distributed.py); declared and pinned together
    # with distributed, which requires exactly its own version of dask
    "dask": ("core of Dask distributed", r"from distributed import"),
}

# Modules the package imports that come with a declared hard dependency of the Jupyter stack instead of being
# declared themselves: module -> the declared dependency that requires their distribution.
PROVIDED_BY = {
    "IPython": "ipykernel",  # IPython.display in chapters/context.py and chapters/profile_figures.py
    "jupyter_client": "nbclient",  # kernelspec lookup in build/_jobs.py
    "jupyter_core": "nbclient",  # run_sync in build/_kernel.py
    "traitlets": "nbclient",  # kernel manager configuration in build/_jobs.py
    "zmq": "ipykernel",  # CurveZMQ support check in build/_jobs.py
    "psutil": "distributed",  # memory of a Dask worker and its kernels in build/distributed.py
}

# pip freeze never lists these, so the lock does not either.
NOT_FROZEN = {"pip", "setuptools", "wheel", "distribute"}


def _canon(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _name(req: str) -> str:
    return _canon(re.split(r"[<>=!~\[ ;]", req.strip(), maxsplit=1)[0])


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _hard() -> list[str]:
    return _pyproject()["project"]["dependencies"]


def _extras() -> dict[str, list[str]]:
    return _pyproject()["project"].get("optional-dependencies", {})


def _all_declared() -> list[str]:
    return _hard() + [r for reqs in _extras().values() for r in reqs]


def _lock() -> dict[str, str]:
    lock = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            assert "==" in line, f"requirements.lock: not a pin: {line!r}"
            name, version = line.split("==", 1)
            assert _canon(name) not in lock, f"requirements.lock pins {name} twice"
            lock[_canon(name)] = version.strip()
    return lock


# ------------------------------------------------------------------------------------------------ import scan


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


class _Imports(ast.NodeVisitor):
    """Top-level module names imported at run time (also inside functions; not under ``if TYPE_CHECKING``)."""

    def __init__(self) -> None:
        self.found: set[str] = set()

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            for child in node.orelse:
                self.visit(child)
        else:
            self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        self.found.update(alias.name.split(".")[0] for alias in node.names)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level == 0 and node.module:
            self.found.add(node.module.split(".")[0])

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if func in {"import_module", "__import__", "importorskip"} and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                self.found.add(arg.value.split(".")[0])
        self.generic_visit(node)


def _third_party(source: str) -> set[str]:
    visitor = _Imports()
    visitor.visit(ast.parse(source))
    return {m for m in visitor.found if m not in sys.stdlib_module_names and m != "workbench" and m}


def _notebook_code(path: Path) -> str:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    lines = []
    for cell in cells:
        if cell["cell_type"] == "code":
            src = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            # IPython magics and shell escapes are no Python
            lines += [ln for ln in src.splitlines() if not ln.lstrip().startswith(("%", "!"))]
    return "\n".join(lines)


def _imports_of(paths: list[Path]) -> dict[str, list[str]]:
    """module -> files importing it."""
    out: dict[str, list[str]] = {}
    for path in paths:
        code = _notebook_code(path) if path.suffix == ".ipynb" else path.read_text(encoding="utf-8")
        for module in _third_party(code):
            out.setdefault(module, []).append(str(path.relative_to(ROOT)))
    return out


def _package_imports() -> dict[str, list[str]]:
    return _imports_of(sorted(SRC.rglob("*.py")))


@functools.cache
def _module_dists() -> dict[str, set[str]]:
    return {m: {_canon(d) for d in dists} for m, dists in metadata.packages_distributions().items()}


def _distributions(module: str) -> set[str]:
    """Distribution names (canonical) that provide top-level ``module`` in the running environment."""
    return _module_dists().get(module, set())


def _modules_of(dist: str) -> set[str]:
    return {m for m, dists in _module_dists().items() if dist in dists}


def _requires(dist: str, extras: frozenset[str] = frozenset()) -> list[tuple[str, frozenset[str]]]:
    from packaging.requirements import Requirement

    out = []
    for raw in metadata.requires(dist) or []:
        req = Requirement(raw)
        if req.marker is None or any(req.marker.evaluate({"extra": e}) for e in extras | {""}):
            out.append((_canon(req.name), frozenset(req.extras)))
    return out


def _requirement_extras(req: str) -> set[str]:
    from packaging.requirements import Requirement

    return set(Requirement(req).extras)


# ------------------------------------------------------------------------------------------------ the tests


def test_environment_yml_matches_pyproject():
    wanted = {_name(r): r for r in _all_declared()}
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    conda = {}
    pip_section = []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip_section = dep.get("pip", [])
        elif not dep.startswith(("python", "pip")):
            conda[_name(dep)] = dep
    # packages conda-forge does not carry come from PyPI in the pip section (besides the package itself)
    for dep in pip_section:
        if not dep.startswith("-e"):
            assert _name(dep) not in conda, f"{_name(dep)} both from conda and from pip"
            conda[_name(dep)] = dep
    assert set(conda) == set(wanted), (
        f"only in pyproject: {set(wanted) - set(conda)}; only in environment.yml: {set(conda) - set(wanted)}"
    )
    for name, req in wanted.items():
        lower = re.search(r">=\s*([\d.]+)", req)
        assert lower and f">={lower.group(1)}" in conda[name], f"{name}: {req} vs {conda[name]}"
    assert "-e ." in pip_section, "environment.yml must install the workbench package itself"
    assert any(d.startswith("python>=3.11") for d in env["dependencies"] if isinstance(d, str))


def test_makefile_installs_every_extra():
    """``make`` setup installs all extras (the lock pins their closure; planners need the lab extra)."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    lines = [ln for ln in makefile.splitlines() if "pip install" in ln and "requirements.lock" in ln]
    assert len(lines) == 1, f"expected one pinned pip install line in the Makefile, got {lines}"
    match = re.search(r"-e\s+['\"]?\.\[([^\]]*)\]", lines[0])
    assert match, f"no editable install with extras: {lines[0]}"
    assert {e.strip() for e in match.group(1).split(",")} == set(_extras()), (
        f"Makefile installs [{match.group(1)}], pyproject defines {sorted(_extras())}"
    )


def test_no_duplicate_declarations():
    names = [_name(r) for r in _all_declared()]
    assert len(names) == len(set(names)), (
        f"declared twice: {sorted({n for n in names if names.count(n) > 1})}"
    )


def test_every_hard_dependency_is_used_by_the_package():
    """A hard dependency nobody imports (and no engine) belongs into an extra or out of pyproject.toml."""
    imported = _package_imports()
    used_dists = {d for module in imported for d in _distributions(module)}
    src_text = "\n".join(p.read_text(encoding="utf-8") for p in SRC.rglob("*.py"))
    unused = []
    for req in _hard():
        name = _name(req)
        try:
            metadata.distribution(name)
        except metadata.PackageNotFoundError:
            raise AssertionError(f"{name} is not installed: run `make setup`") from None
        if name in used_dists:
            continue
        if name in USED_WITHOUT_IMPORT:
            why, evidence = USED_WITHOUT_IMPORT[name]
            assert re.search(evidence, src_text), f"{name} ({why}): no use matching {evidence!r} left in src"
            continue
        unused.append(f"{name} (modules {sorted(_modules_of(name))})")
    assert not unused, f"hard dependencies not used by src/workbench: {unused}"
    stale = set(USED_WITHOUT_IMPORT) - {_name(r) for r in _hard()}
    assert not stale, f"USED_WITHOUT_IMPORT names packages that are no hard dependency: {stale}"


def test_package_imports_are_hard_dependencies():
    """Everything ``src/workbench`` imports is a hard dependency (not only a dev/lab extra)."""
    hard = {_name(r) for r in _hard()}
    problems = []
    for module, files in sorted(_package_imports().items()):
        if module in PROVIDED_BY:
            provider = PROVIDED_BY[module]
            needed = _distributions(module)
            assert provider in hard, f"{module}: PROVIDED_BY names {provider}, which is no hard dependency"
            assert needed & {n for n, _ in _requires(provider)}, f"{provider} does not require {module}"
            continue
        dists = _distributions(module)
        if not dists & hard:
            problems.append(f"{module} ({dists or 'not installed'}) in {files[:3]}")
    assert not problems, f"imported by src/workbench but no hard dependency: {problems}"


def test_tests_and_notebooks_imports_are_declared():
    """Tests, benchmarks and notebooks (chapters, examples, workshop modules) import only declared packages."""
    paths = [*ROOT.glob("tests/**/*.py"), *ROOT.glob("benchmarks/**/*.py")]
    paths += [
        *ROOT.glob("notebooks/*.ipynb"),
        *ROOT.glob("examples/*/*.ipynb"),
        *ROOT.glob("workshop/*/*.ipynb"),
    ]
    declared = {_name(r) for r in _all_declared()}
    problems = [
        f"{module} in {files[:3]}"
        for module, files in sorted(_imports_of(sorted(paths)).items())
        if module not in PROVIDED_BY and not _distributions(module) & declared
    ]
    assert not problems, f"imported but not declared in pyproject.toml: {problems}"


def test_lock_pins_every_dependency():
    lock = _lock()
    for req in _all_declared():
        assert _name(req) in lock, f"{_name(req)} is not pinned in requirements.lock"


def test_lock_is_the_installed_closure():
    """The lock pins exactly what ``pip install -e '.[all extras]'`` installs, at the installed versions.

    The closure is walked from pyproject.toml through the installed packages' metadata (markers evaluated for
    this interpreter), so a pin of a package that no longer gets installed fails as much as a missing pin.
    """
    todo = [(_name(r), frozenset(_requirement_extras(r))) for r in _all_declared()]
    seen: set[tuple[str, frozenset[str]]] = set()
    closure: dict[str, str] = {}
    while todo:
        name, extras = todo.pop()
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        try:
            closure[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            raise AssertionError(f"{name} is required but not installed: run `make setup`") from None
        todo += _requires(name, extras)
    closure = {n: v for n, v in closure.items() if n not in NOT_FROZEN}
    lock = _lock()
    assert not set(lock) - set(closure), (
        f"pinned but not installed by the setup: {sorted(set(lock) - set(closure))}"
    )
    assert not set(closure) - set(lock), (
        f"installed by the setup but not pinned: {sorted(set(closure) - set(lock))}"
    )
    differ = {n: (lock[n], closure[n]) for n in lock if lock[n] != closure[n]}
    assert not differ, f"lock vs installed version (run `make setup`): {differ}"
