"""The package's shape: subpackages by concern, no import cycles, no reaching into other subpackages' privates.

The import graph is built from the source (AST), including imports inside functions, so a cycle cannot hide
behind a late import.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "src" / "workbench"
MAX_TOP_LEVEL_MODULES = 12


def module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def is_package(name: str) -> bool:
    return (PKG.parent.joinpath(*name.split(".")) / "__init__.py").exists()


def resolve(name: str, modules: set[str]) -> str | None:
    """The module that ``name`` (a module or an attribute of one) refers to."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def import_edges(modules: dict[str, Path]) -> list[tuple[str, str, str, int]]:
    """(importer, imported module, imported name or '', line) for every workbench import."""
    names = set(modules)
    edges: list[tuple[str, str, str, int]] = []
    for mod, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        pkg = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.split(".")[0] == "workbench":
                        target = resolve(a.name, names)
                        if target:
                            edges.append((mod, target, "", node.lineno))
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = pkg.split(".")
                    base = base[: len(base) - (node.level - 1)]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                if source.split(".")[0] != "workbench":
                    continue
                for a in node.names:
                    full = f"{source}.{a.name}"
                    if full in names:  # a submodule
                        edges.append((mod, full, "", node.lineno))
                    else:
                        target = resolve(source, names)
                        if target:
                            edges.append((mod, target, a.name, node.lineno))
    return edges


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan), plus self-loops."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or v in graph.get(v, ()):
                result.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return result


@pytest.fixture(scope="module")
def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PKG.rglob("*.py"))}


def graph_of(edges) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for src, dst, _name, _line in edges:
        # a package's __init__ re-exporting its own submodules is the facade pattern, not a cycle
        graph.setdefault(src, set()).add(dst)
    return graph


def test_no_import_cycles(modules):
    cycles = find_cycles(graph_of(import_edges(modules)))
    assert cycles == [], f"Importzyklen: {cycles}"


def test_cycle_finder_detects_a_planted_cycle():
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def subpackage(mod: str) -> str:
    parts = mod.split(".")
    return parts[1] if len(parts) > 2 or is_package(mod) else ""


def test_no_imports_of_other_subpackages_privates(modules):
    bad = []
    for src, dst, name, line in import_edges(modules):
        if subpackage(src) == subpackage(dst) and subpackage(src):
            continue
        private_module = any(part.startswith("_") and part != "__init__" for part in dst.split("."))
        if private_module or (name.startswith("_") and not name.startswith("__")):
            bad.append(f"{modules[src].relative_to(PKG)}:{line} importiert {dst}.{name}".rstrip("."))
    assert bad == [], "\n".join(bad)


LAYERS = {
    "errors": 0,
    "vocabulary": 0,
    "settings": 1,
    "stats": 2,
    "io": 2,
    "indicators": 3,
    "render": 4,
    "index": 5,
    "projection": 5,
    "confidentiality": 6,
    "chapters": 7,
    "build": 8,
    "demo": 8,
    "explore": 8,
    "workshop": 9,
    "cli": 10,
}
"""Layer of each top-level module and subpackage: a module imports only from its own or lower layers."""

COMPUTATION = ("stats", "io", "indicators", "index", "projection", "confidentiality")
"""Subpackages that compute and never draw (German number formatting from ``render.fmt`` is allowed)."""


def layer_of(mod: str) -> int:
    parts = mod.split(".")
    return LAYERS[parts[1]] if len(parts) > 1 else -1


def test_every_module_has_a_layer(modules):
    assert {m.split(".")[1] for m in modules if "." in m} == set(LAYERS)


def test_imports_go_down_the_layers(modules):
    bad = [
        f"{modules[src].relative_to(PKG)}:{line} importiert {dst} (Schicht {layer_of(dst)} > {layer_of(src)})"
        for src, dst, _name, line in import_edges(modules)
        if layer_of(dst) > layer_of(src)
    ]
    assert bad == [], "\n".join(bad)


def test_computation_never_renders(modules):
    bad = []
    for src, dst, _name, line in import_edges(modules):
        if (
            src.count(".")
            and subpackage(src) in COMPUTATION
            and subpackage(dst) == "render"
            and dst != "workbench.render.fmt"
        ):
            bad.append(f"{modules[src].relative_to(PKG)}:{line} importiert {dst}")
    for mod, path in modules.items():
        if mod.count(".") and subpackage(mod) in COMPUTATION:
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                names = (
                    [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                    if isinstance(node, ast.ImportFrom)
                    else []
                )
                bad += [
                    f"{path.relative_to(PKG)}:{node.lineno} importiert {n}"
                    for n in names
                    if n.split(".")[0] in {"matplotlib", "seaborn"}
                ]
    assert bad == [], "\n".join(bad)


def test_top_level_stays_small(modules):
    top = [m for m in modules if m.count(".") == 1 and not is_package(m)]
    assert len(top) <= MAX_TOP_LEVEL_MODULES, top
    assert not [m for m in modules if m.endswith(("_base", "_extra", "_extras"))]


def test_light_statistics_import():
    """``import workbench.stats`` (and index, projection) must not pull in plotting or notebook machinery."""
    import subprocess
    import sys

    code = (
        "import sys, workbench.stats, workbench.index, workbench.projection;"
        "heavy = [m for m in ('matplotlib', 'geopandas', 'papermill', 'nbconvert', 'seaborn') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "", f"schwere Pakete geladen: {out}"
