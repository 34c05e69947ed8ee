"""The workshop modules end to end: otter assign builds both versions, every solution passes its checks, every
blank participant notebook runs through and its checks answer with German feedback (no traceback); the trainer
workflow (participant folders, reset with backup)."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from workbench.errors import WorkbenchError
from workbench.workshop import assign

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "workshop"
MODULES = [p.parent.name for p in assign.modules(SOURCE)]


@pytest.fixture(scope="session")
def built(kurs, tmp_path_factory) -> Path:
    """``make workshop TEILNEHMENDE=2`` into a temporary folder (course data: the small test city)."""
    target = tmp_path_factory.mktemp("workshop_build")
    result = assign.build(SOURCE, target, participants=2, data=kurs.folder)
    assert result.modules == MODULES and result.created == ["tn01", "tn02"]
    return target


@pytest.fixture(scope="session")
def kernel(kurs):
    """One kernel for all workshop notebooks (each run starts with an empty namespace in its own folder): saves
    the start and the imports (pandas, geopandas, otter) of ten kernels."""
    from jupyter_client.manager import KernelManager

    km = KernelManager(kernel_name="python3")
    km.start_kernel()
    yield km
    km.shutdown_kernel(now=True)


def run(path: Path, km) -> nbformat.NotebookNode:
    """Execute a notebook in its folder with an empty namespace (errors in any cell fail the test with the
    cell's traceback)."""
    nb = nbformat.read(path, as_version=4)
    fresh = nbformat.v4.new_code_cell(
        f"get_ipython().run_line_magic('reset', '-f')\nimport os\nos.chdir({str(path.parent)!r})\ndel os"
    )
    nb.cells.insert(0, fresh)
    NotebookClient(nb, km=km, timeout=180).execute()
    assert not nb.cells[0].outputs
    return nb


def check_outputs(nb: nbformat.NotebookNode) -> dict[str, str]:
    """Question name → plain-text output of its ``grader.check`` cell."""
    out = {}
    for cell in nb.cells:
        m = re.match(r'grader\.check\("(\w+)"\)', cell.source.strip()) if cell.cell_type == "code" else None
        if m:
            out[m.group(1)] = "".join(
                o.get("text", "") or o.get("data", {}).get("text/plain", "") for o in cell.get("outputs", [])
            )
    return out


def test_every_module_is_there():
    assert MODULES == [
        "01_daten_einlesen",
        "02_indikatoren_intervalle",
        "03_karten_klassifikation",
        "04_sozialindex_monitoring",
        "05_profil_bericht",
    ]


@pytest.mark.parametrize("module", MODULES)
def test_source_notebook_is_clean_and_complete(module):
    """Committed without outputs; learning goals, 3–6 questions each with tests and a hint."""
    nb = nbformat.read(SOURCE / module / f"{module}.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    text = "\n".join(c.source for c in nb.cells)
    questions = re.findall(r"# BEGIN QUESTION\nname: (\w+)", text)
    assert 3 <= len(questions) <= 6
    assert text.count("# BEGIN TESTS") == len(questions)
    assert text.count("▸ Tipp") >= len(questions)
    assert "## Lernziele" in text and "Dauer:" in text
    assert "http://" not in text and "https://" not in text  # nothing is fetched from the internet


@pytest.mark.parametrize("module", MODULES)
def test_participant_version_has_no_solution(built, module):
    source = nbformat.read(SOURCE / module / f"{module}.ipynb", as_version=4)
    student = nbformat.read(built / "vorlage" / module / f"{module}.ipynb", as_version=4)
    student_code = "\n".join(c.source for c in student.cells if c.cell_type == "code")
    solutions = []  # the solution lines: marked "# SOLUTION" or inside a "# BEGIN/END SOLUTION" comment block
    for cell in source.cells:
        block = False
        for line in cell.source.splitlines() if cell.cell_type == "code" else []:
            if line.strip().startswith("# BEGIN SOLUTION") or line.strip() == "# END SOLUTION":
                block = line.strip().startswith("# BEGIN")
            elif block or line.rstrip().endswith(("# SOLUTION", "# SOLUTION NO PROMPT")):
                solutions.append(line.split("# SOLUTION")[0].strip())
    solutions = [s for s in solutions if len(s) > 15]
    assert solutions, "the source notebook has solutions"
    assert [s for s in solutions if s in student_code] == []
    assert "# SOLUTION" not in student_code
    assert student.metadata["otter"]["tests"], "the checks travel in the notebook's metadata"


@pytest.mark.parametrize("module", MODULES)
def test_solution_passes_every_check(built, kernel, module):
    results = check_outputs(run(built / "loesungen" / module / f"{module}.ipynb", kernel))
    assert results and all("All test cases passed" in r for r in results.values()), results


@pytest.mark.parametrize("module", MODULES)
def test_blank_participant_notebook_gets_german_feedback(built, kernel, module):
    nb = run(built / "teilnehmende" / "tn01" / module / f"{module}.ipynb", kernel)
    results = check_outputs(nb)
    assert len(results) >= 3
    for name, text in results.items():
        assert "Rueckmeldung:" in text and "noch leer" in text, (name, text)
        assert "Traceback" not in text
    outputs = json.dumps([c.get("outputs", []) for c in nb.cells if c.cell_type == "code"])
    assert "Traceback" not in outputs and '"output_type": "error"' not in outputs


def test_build_keeps_participants_work_and_reset_keeps_a_backup(built):
    work = built / "teilnehmende" / "tn02" / MODULES[0] / "meine_notizen.txt"
    work.write_text("Arbeit von tn02", encoding="utf-8")
    again = assign.build(SOURCE, built, participants=3, data=built)
    assert again.kept == ["tn01", "tn02"] and again.created == ["tn03"]
    assert work.read_text(encoding="utf-8") == "Arbeit von tn02"
    folder, backup = assign.reset(built, "tn02", now=datetime(2026, 5, 4, 9, 30))
    assert backup == built / "sicherungen" / "tn02-20260504-093000"
    assert (backup / MODULES[0] / "meine_notizen.txt").read_text(encoding="utf-8") == "Arbeit von tn02"
    assert not (folder / MODULES[0] / "meine_notizen.txt").exists()
    assert (folder / MODULES[0] / f"{MODULES[0]}.ipynb").exists()
    _, second = assign.reset(built, "tn02", now=datetime(2026, 5, 4, 9, 30))  # same second: a new backup name
    assert second != backup and backup.exists() and second.exists()
    with pytest.raises(WorkbenchError, match="kein Teilnehmer-Ordner"):
        assign.reset(built, "../tn02")
    with pytest.raises(WorkbenchError, match="Quellordner"):
        assign.build(SOURCE, SOURCE / "build")


def test_typical_mistake_in_the_participant_notebook(built, kernel):
    """A participant's share on the wrong denominator: the check in the notebook says what to check."""
    module = "02_indikatoren_intervalle"
    path = built / "teilnehmende" / "tn01" / module / f"{module}.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and c.source.startswith("kinder_u15 = ..."))
    cell.source = cell.source.replace(
        "kinder_u15 = ...", 'kinder_u15 = bev_jahr.groupby("area_id")["count"].sum()'
    ).replace("anteil = ...", "anteil = zaehler / kinder_u15 * 100")
    mistaken = path.with_name("mit_fehler.ipynb")
    nbformat.write(nb, mistaken)
    results = check_outputs(run(mistaken, kernel))
    assert (
        "Der Nenner sollte die Bevölkerung unter 15 Jahren sein, nicht die Gesamtbevölkerung" in results["q1"]
    )
    assert "noch leer" in results["q2"]  # the next exercise is still blank


def test_make_targets_are_documented_in_german():
    """`make help` lists the trainer targets with their German help text; `make -n` shows what they run."""
    import subprocess

    out = subprocess.run(["make", "--no-print-directory", "help"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0
    for target, words in {
        "workshop": "Teilnehmer-Fassungen ohne Lösungen",
        "workshop-reset": "nie gelöscht",
        "wheelhouse": "ohne Netz",
    }.items():
        line = next(ln for ln in out.stdout.splitlines() if ln.split()[:2] == ["make", target])
        assert words in line
    dry = subprocess.run(
        ["make", "--no-print-directory", "-n", "-o", ".venv/.installed", "workshop", "TEILNEHMENDE=4"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert (
        "-m workbench.workshop bauen --quelle workshop --ziel workshop_build --teilnehmende 4" in dry.stdout
    )
    wheels = subprocess.run(
        ["make", "--no-print-directory", "-n", "wheelhouse", "WHEELHOUSE_DIR=/tmp/x"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert (
        "pip download" in wheels.stdout
        and "-r requirements.lock" in wheels.stdout
        and "-d /tmp/x" in wheels.stdout
    )
    reset = subprocess.run(
        ["make", "--no-print-directory", "-o", ".venv/.installed", "workshop-reset"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert reset.returncode != 0 and "TN=tn03" in reset.stderr
