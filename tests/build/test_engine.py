"""Tests of workbench.build.engine: warm-kernel batch output equals papermill + nbconvert byte for byte.

The expensive part (one batch on 2 warm worker kernels + 3 fresh papermill runs) happens once in a
module fixture; the other tests are pure-Python or use a tiny notebook without heavy imports.
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

import nbformat
import pytest
from papermill.translators import translate_parameters

from workbench.build import engine
from workbench.errors import ConfigError

DEMO = Path(__file__).resolve().parents[1] / "data" / "engine_demo.ipynb"


@pytest.fixture(scope="module")
def kernel() -> str:
    return engine.ensure_kernel("workbench")


def tiny_notebook(path: Path, body: str) -> Path:
    """A notebook without heavy imports (fast kernel runs): parameters cell + one code cell."""
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell('area_id = "0101"\nn = 1', metadata={"tags": ["parameters"]}),
            nbformat.v4.new_code_cell(body),
        ],
        metadata={"kernelspec": {"name": "workbench", "display_name": "workbench", "language": "python"}},
    )
    for i, cell in enumerate(nb.cells):
        cell.id = f"c{i}"
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def batch(kernel, tmp_path_factory):
    """One batch on 2 worker processes; job order chosen so state could leak into later jobs."""
    out = tmp_path_factory.mktemp("batch")
    (out / "0105.html").write_text("ALT", encoding="utf-8")  # previous HTML of the job that will fail
    params = [
        {"area_id": "0101"},
        {"area_id": "0102"},  # sets rcParams lines.linewidth = 6 and a global variable
        {"area_id": "0103"},
        {"area_id": "0104"},
        {"area_id": "0105", "fail": True},
        {"area_id": "0106", "crash": True},  # os._exit(1) in the kernel
        {"area_id": "0107"},
        {"area_id": "0108"},
    ]
    jobs = [engine.Job(p, out / f"{p['area_id']}.ipynb", out / f"{p['area_id']}.html") for p in params]
    results = engine.run_batch(DEMO, jobs, workers=2, kernel_name=kernel, progress=False)
    return out, {r.parameters["area_id"]: r for r in results}


@pytest.fixture(scope="module")
def references(kernel, tmp_path_factory):
    """Fresh papermill + nbconvert runs (one via the CLI, which must keep "0103" a string)."""
    out = tmp_path_factory.mktemp("papermill")
    for area in ("0102", "0107"):
        res = engine.run_papermill(
            DEMO, {"area_id": area}, out / f"{area}.ipynb", out / f"{area}.html", kernel
        )
        assert res.ok, res.error
    code = engine.main(
        ["chapter", str(DEMO), "--param", "area_id=0103", "--executed", str(out / "0103.ipynb"),
         "--html", str(out / "0103.html")]
    )  # fmt: skip
    assert code == 0
    return out


@pytest.mark.parametrize("area", ["0102", "0103", "0107"])
def test_engine_html_equals_fresh_papermill_byte_for_byte(batch, references, area):
    out, results = batch
    assert results[area].ok, results[area].error
    engine_html = (out / f"{area}.html").read_bytes()
    assert engine_html == (references / f"{area}.html").read_bytes()
    assert f"Sozialraum {area}".encode() in engine_html
    assert b"data:image/png;base64," in engine_html  # the figure is embedded
    # executed notebooks agree too (papermill status metadata, counts, outputs)
    assert (out / f"{area}.ipynb").read_text() == (references / f"{area}.ipynb").read_text()


def test_namespace_and_matplotlib_state_do_not_leak(batch):
    out, results = batch
    html_0102 = (out / "0102.html").read_text(encoding="utf-8")
    assert "Linienbreite: 6.0" in html_0102
    for area in ("0101", "0103", "0104", "0107", "0108"):
        html = (out / f"{area}.html").read_text(encoding="utf-8")
        assert "Linienbreite: 1.5" in html, area
        assert "Vorheriger Wert sichtbar: False" in html, area
        assert "Offene Abbildungen: 0" in html, area
    # execution counts restart at 1 for every job on the warm kernel
    counts = [c.execution_count for c in nbformat.read(out / "0108.ipynb", 4).cells if c.cell_type == "code"]
    assert counts == [1, 2, 3, 4, 5, 6, 7, 8]


def test_failing_job_is_reported_and_keeps_previous_html(batch):
    out, results = batch
    res = results["0105"]
    assert not res.ok
    assert (res.cell_index, res.cell_line, res.ename) == (4, "if fail:", "ValueError")
    assert res.evalue == "Testfehler im Sozialraum 0105"
    assert "Zelle 4 „if fail:“" in res.error and "engine_demo.ipynb" in res.error
    assert (out / "0105.html").read_text(encoding="utf-8") == "ALT"
    executed = nbformat.read(out / "0105.ipynb", 4)  # the executed notebook shows the error (as papermill)
    assert executed.metadata.papermill.exception is True
    assert not list(out.glob(".*.tmp"))  # no temporary files left behind
    text = engine.summary(results.values())
    assert text.startswith("6 Profile erstellt, 2 fehlgeschlagen:")


def test_crashed_kernel_is_restarted(batch):
    out, results = batch
    res = results["0106"]
    assert not res.ok and res.ename == "DeadKernelError" and res.cell_index == 4
    assert "Kernel abgestürzt" in res.error
    assert not (out / "0106.html").exists()
    assert results["0107"].ok and results["0108"].ok  # later jobs on the restarted kernel still work


def test_html_is_free_of_volatile_parts(batch, references):
    out, _ = batch
    html = (out / "0101.html").read_text(encoding="utf-8")
    executed = (out / "0101.ipynb").read_text(encoding="utf-8")
    for text in (html, executed):
        assert str(out) not in text and str(DEMO.parent) not in text
        assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", text)  # no ISO timestamps
    assert 'id="cell-id=injected-parameters"' in html  # fixed id instead of papermill's random uuid
    assert "<title>engine_demo</title>" in html
    assert "default_rng" not in html and "import matplotlib" not in html  # no code
    assert not re.search(r"(In|Out)(&nbsp;|\s)?\[\d+\]", html)  # no prompts


# ---------------------------------------------------------------------------------- fast unit tests
def test_parameterize_uses_papermill_injection():
    template = engine.load_template(DEMO)
    nb = engine.parameterize(template, {"area_id": "0102", "fail": False}, "workbench")
    injected = nb.cells[2]
    assert injected.metadata.tags == ["injected-parameters"] and injected.id == "injected-parameters"
    assert injected.source == translate_parameters(
        "workbench", "python", {"area_id": "0102", "fail": False}, "Parameters"
    )
    assert injected.source == '# Parameters\narea_id = "0102"\nfail = False\n'
    assert len(nb.cells) == len(template.cells) + 1
    assert len(engine.parameterize(template, {}, "workbench").cells) == len(template.cells)  # like papermill


def test_template_without_cell_ids_gets_deterministic_ids(tmp_path):
    raw = json.loads(DEMO.read_text())
    raw["nbformat_minor"] = 4
    for cell in raw["cells"]:
        del cell["id"]
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps(raw))
    assert [c.id for c in engine.load_template(path).cells][:2] == ["cell-0", "cell-1"]
    with pytest.raises(ConfigError, match="nicht gefunden"):
        engine.load_template(tmp_path / "missing.ipynb")


def test_write_atomic(tmp_path):
    target = tmp_path / "sub" / "a.html"
    engine.write_atomic(target, "eins")
    engine.write_atomic(target, "zwei")
    assert target.read_text() == "zwei"
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~engine._UMASK
    with pytest.raises(TypeError):
        engine.write_atomic(target, 42)  # type: ignore[arg-type]
    assert target.read_text() == "zwei"
    assert sorted(os.listdir(target.parent)) == ["a.html"]


def test_cli_parameters_are_typed_like_the_notebook_defaults(tmp_path):
    assert engine._coerce(DEMO, ["area_id=0101", "fail=true"]) == {"area_id": "0101", "fail": True}
    with pytest.raises(ConfigError, match="unbekannter Parameter"):
        engine._coerce(DEMO, ["areaid=0101"])
    with pytest.raises(ConfigError, match="name=wert"):
        engine._coerce(DEMO, ["0101"])
    nb = tiny_notebook(tmp_path / "t.ipynb", "pass")
    assert engine._coerce(nb, ["n=7"]) == {"n": 7}
    with pytest.raises(ConfigError, match="passt nicht"):
        engine._coerce(nb, ["n=sieben"])


def test_cli_chapter_failure_names_cell_without_traceback(kernel, tmp_path, capsys):
    nb = tiny_notebook(tmp_path / "kapitel.ipynb", "x = n / 0")
    html = tmp_path / "kapitel.html"
    code = engine.main(["chapter", str(nb), "--param", "n=2", "--html", str(html)])
    err = capsys.readouterr().err
    assert code == 1 and not html.exists()
    assert "kapitel.ipynb, Zelle 1 „x = n / 0“" in err and "ZeroDivisionError: division by zero" in err
    assert "Traceback" not in err


def test_cli_batch(kernel, tmp_path, capsys):
    nb = tiny_notebook(tmp_path / "profil.ipynb", "print(f'Profil {area_id}: {n * 2}')\nassert n != 3")
    jobs = [{"parameters": {"area_id": a, "n": n}, "html": str(tmp_path / f"{a}.html")} for a, n in
            [("0101", 1), ("0102", 3), ("0103", 5)]]  # fmt: skip
    (tmp_path / "jobs.json").write_text(json.dumps(jobs))
    code = engine.main(
        ["batch", str(nb), "--param-file", str(tmp_path / "jobs.json"), "--workers", "1", "--quiet"]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "2 Profile erstellt, 1 fehlgeschlagen" in err and "Zelle 1" in err and "AssertionError" in err
    assert "Profil 0103: 10" in (tmp_path / "0103.html").read_text()
    assert not (tmp_path / "0102.html").exists()
    (tmp_path / "bad.json").write_text('{"html": 1}')
    assert engine.main(["batch", str(nb), "--param-file", str(tmp_path / "bad.json")]) == 2
    assert "erwartet eine Liste" in capsys.readouterr().err


def _children(pid: int) -> list[int]:
    """Process ids of the direct children of ``pid`` (Linux ``/proc``)."""
    try:
        tasks = Path(f"/proc/{pid}/task").iterdir()
        return [int(c) for t in tasks for c in (t / "children").read_text().split()]
    except OSError:
        return []


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="braucht /proc (Linux)")
def test_kernels_start_during_the_warmup_and_import_the_templates_modules(kernel, tmp_path):
    """Structure of the start, not its speed: ``warmup`` runs in this process while every worker already runs
    its kernel (they are not started after it), and each kernel imported the template's modules before its first
    job (a module no library loads is already there when the cell that imports it starts)."""
    import multiprocessing
    import time

    nb = tiny_notebook(
        tmp_path / "profil.ipynb",
        "import sys\nprint('vorab geladen:', 'tabnanny' in sys.modules)\nimport tabnanny",
    )
    assert engine.template_imports(engine.load_template(nb)) == (("sys", ()), ("tabnanny", ()))
    seen: dict[str, object] = {}

    def warmup() -> None:
        workers = [p.pid for p in multiprocessing.active_children()]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not all(_children(pid) for pid in workers):
            time.sleep(0.05)  # each worker launches its kernel process during this warm-up
        seen["workers"] = workers
        seen["kernels"] = {pid: _children(pid) for pid in workers}

    jobs = [
        engine.Job({"area_id": a, "n": 1}, None, tmp_path / f"{a}.html") for a in ("0101", "0102", "0103")
    ]
    results = engine.run_batch(nb, jobs, workers=2, kernel_name=kernel, progress=False, warmup=warmup)
    assert len(seen["workers"]) == 2
    assert all(seen["kernels"].values()), seen  # every worker's kernel was started before the warm-up ended
    assert all(r.ok for r in results), [r.error for r in results]
    assert {r.worker for r in results} <= set(seen["workers"])
    for a in ("0101", "0102", "0103"):
        assert "vorab geladen: True" in (tmp_path / f"{a}.html").read_text(encoding="utf-8")


def test_kernels_and_the_warmup_use_one_blas_thread_unless_the_user_set_one(kernel, tmp_path, monkeypatch):
    """One kernel per core: each kernel gets one BLAS/OpenMP thread (kernel_env) and this process's warm-up runs
    with one (threadpoolctl); a value the user set in the environment wins."""
    from threadpoolctl import threadpool_info

    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    nb = tiny_notebook(
        tmp_path / "threads.ipynb",
        "import os\nprint('BLAS', os.environ.get('OPENBLAS_NUM_THREADS'), 'OMP', os.environ.get('OMP_NUM_THREADS'))",
    )
    seen: list[int] = []

    def warmup() -> None:
        seen.extend(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas")

    jobs = [engine.Job({"area_id": a, "n": 1}, None, tmp_path / f"{a}.html") for a in ("0101", "0102")]
    results = engine.run_batch(nb, jobs, workers=2, kernel_name=kernel, progress=False, warmup=warmup)
    assert all(r.ok for r in results), [r.error for r in results]
    for a in ("0101", "0102"):
        assert "BLAS 1 OMP 3" in (tmp_path / f"{a}.html").read_text(encoding="utf-8")
    assert seen and set(seen) == {1}


def test_pool_workers_get_the_parameterised_notebooks_and_never_import_papermill(kernel, tmp_path):
    """The pool reads the template and parameterises every job (papermill's injection) itself: its workers run
    the notebooks without importing papermill (and pyarrow with it), a start-up cost paid once, not per worker;
    the notebooks arrive as plain data, so unpickling them does not load jsonschema's IRI grammar either."""
    nb = tiny_notebook(tmp_path / "p.ipynb", "print('Parameter', area_id, n)")
    jobs = [
        engine.Job({"area_id": a, "n": 2}, None, tmp_path / f"{a}.html") for a in ("0101", "0102", "0103")
    ]
    with engine.KernelPool(nb, workers=2, kernel_name=kernel) as pool:
        results = pool.run(jobs, progress=False)
        probe = "'papermill' in __import__('sys').modules, __import__('sys').modules.get('rfc3987_syntax') is not None"
        loaded = [pool._executor.submit(eval, probe).result() for _ in "ab"]
    assert all(r.ok for r in results), [r.error for r in results]
    assert loaded == [(False, False), (False, False)]  # nor jsonschema's IRI grammar (see _fast_imports)
    for a in ("0101", "0102", "0103"):
        assert f"Parameter {a} 2" in (tmp_path / f"{a}.html").read_text(encoding="utf-8")
