"""Dask distributed backend (workbench.build.distributed) on a LocalCluster with 2 worker processes.

One cluster per module. A tiny notebook checks the retry and failure handling; ``build-all`` builds two small
demo cities on the cluster (one chapter and 8 profiles, 6 profiles) with the real profile template, six of the
profiles are compared byte for byte with the local engine, and a second run leaves both reports alone
("unverändert").
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
import yaml

from workbench.build import distributed, engine

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client():
    engine.ensure_kernel(engine.DEFAULT_KERNEL)
    with distributed.open_client(workers=2) as c:
        yield c


def _flaky_notebook(path: Path) -> Path:
    """Parameters + one cell that fails on the first attempt for ``flaky`` and always for ``fail``."""
    body = (
        "from pathlib import Path\n"
        "with open(counter, 'a') as f:\n"
        "    f.write(area_id + '\\n')\n"
        "if fail:\n"
        "    raise ValueError(f'Testfehler im Sozialraum {area_id}')\n"
        "if flaky and Path(counter).read_text().count(area_id) == 1:\n"
        "    raise RuntimeError('nur beim ersten Versuch')\n"
        "print('Sozialraum', area_id, 'fertig')"
    )
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                'area_id = "0101"\ncounter = ""\nfail = False\nflaky = False',
                metadata={"tags": ["parameters"]},
            ),
            nbformat.v4.new_code_cell(body),
        ],
        metadata={"kernelspec": {"name": "workbench", "display_name": "workbench", "language": "python"}},
    )
    for i, cell in enumerate(nb.cells):
        cell.id = f"c{i}"
    nbformat.write(nb, path)
    return path


def test_failed_task_is_retried_once_then_reported_while_others_finish(client, tmp_path, capsys):
    notebook = _flaky_notebook(tmp_path / "flaky.ipynb")
    counter = tmp_path / "versuche.txt"
    params = [
        {"area_id": "0201", "fail": True},
        {"area_id": "0202", "flaky": True},
        {"area_id": "0203"},
        {"area_id": "0204"},
    ]
    jobs = [
        engine.Job({**p, "counter": str(counter)}, None, tmp_path / "out" / f"{p['area_id']}.html")
        for p in params
    ]
    results = {
        r.parameters["area_id"]: r for r in distributed.run_batch(client, notebook, jobs, progress=True)
    }
    attempts = counter.read_text().split()
    # the failing task ran twice (first try + one retry), the flaky one succeeded on its retry, the others once
    assert attempts.count("0201") == 1 + distributed.RETRIES == 2
    assert attempts.count("0202") == 2 and attempts.count("0203") == attempts.count("0204") == 1
    assert results["0202"].ok and results["0203"].ok and results["0204"].ok
    bad = results["0201"]
    assert not bad.ok and (bad.cell_index, bad.ename) == (1, "ValueError")
    assert "flaky.ipynb, Zelle 1" in bad.error and "Testfehler im Sozialraum 0201" in bad.error
    assert not (tmp_path / "out" / "0201.html").exists()
    assert "Sozialraum 0203 fertig" in (tmp_path / "out" / "0203.html").read_text(encoding="utf-8")
    err = capsys.readouterr().err
    assert "Profile 4/4" in err and "fehlgeschlagen: flaky.ipynb, Zelle 1" in err


# ------------------------------------------------------------------------------------------------ build-all
def _small_city(tmp: Path, name: str, seed: int, areas: int, chapters: list[str]) -> Path:
    base = yaml.safe_load((ROOT / "config" / "report.yaml").read_text(encoding="utf-8"))
    folder = tmp / name.lower()
    cfg = dict(
        base,
        city=name,
        data_raw=str(folder / "raw"),
        data_processed=str(folder / "processed"),
        reports=str(folder / "reports"),
        chapters=chapters,
        demo={"areas": areas, "seed": seed},
    )
    projection = yaml.safe_load((ROOT / "config" / "projection.yaml").read_text(encoding="utf-8"))
    for scenario in projection.get("scenarios", []):
        if scenario.get("extra_in_migrants"):
            scenario["extra_in_migrants"] = {"0101": 50}
    folder.mkdir(parents=True)
    (folder / "projection.yaml").write_text(yaml.safe_dump(projection, allow_unicode=True), encoding="utf-8")
    cfg["projection_config"] = str(folder / "projection.yaml")
    path = folder / "report.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def built_all(client, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("build_all")
    # Adorf with one chapter (a chapter task), Bedorf with profiles only
    configs = [_small_city(tmp, "Adorf", 3, 8, ["bevoelkerung"]), _small_city(tmp, "Bedorf", 4, 6, [])]
    overview = tmp / "alle" / "index.html"
    code = distributed.build_all(configs, overview=overview, client=client, progress=False)
    return {"code": code, "configs": configs, "overview": overview, "tmp": tmp}


def test_build_all_writes_both_reports_and_the_overview(built_all, client):
    assert built_all["code"] == 0
    for name, areas in (("adorf", 8), ("bedorf", 6)):
        reports = built_all["tmp"] / name / "reports"
        assert (reports / "index.html").is_file()
        profiles = sorted(p.name for p in (reports / "profiles").glob("*.html"))
        assert len(profiles) == areas + 1 and "index.html" in profiles  # the profiles + their overview
    adorf = built_all["tmp"] / "adorf" / "reports"
    chapter = (adorf / "html" / "bevoelkerung.html").read_text(encoding="utf-8")
    assert "Bevölkerung" in chapter and (adorf / "executed" / "bevoelkerung.ipynb").is_file()
    assert 'href="html/bevoelkerung.html"' in (adorf / "index.html").read_text(encoding="utf-8")
    assert not (built_all["tmp"] / "bedorf" / "reports" / "html").exists()
    # every worker kept one warm kernel for all its profiles (14 profiles, at most 2 kernels)
    state = client.run(distributed.worker_memory)
    assert [k for s in state.values() for k in s["kernels"]].count("profil.ipynb") <= 2
    assert sum(s["tasks"] for s in state.values()) >= 14
    page = built_all["overview"].read_text(encoding="utf-8")
    assert page.startswith('<!DOCTYPE html>\n<html lang="de">')
    assert "Adorf" in page and "Bedorf" in page
    assert page.count('<span class="erstellt">erstellt</span>') == 2 and page.count("ohne Befund") == 2
    assert 'href="../adorf/reports/index.html"' in page and 'href="../bedorf/reports/index.html"' in page
    assert not re.search(r"(src|href)=\"(https?:)?//", page)  # self-contained: no outside requests
    assert re.search(r'<td class="num">\d+(,\d)? s|<td class="num">\d+ min', page)


def test_second_build_all_leaves_unchanged_reports_alone(built_all, client, capsys):
    reports = [built_all["tmp"] / n / "reports" for n in ("adorf", "bedorf")]
    before = {p: p.stat().st_mtime_ns for r in reports for p in r.rglob("*") if p.is_file()}
    code = distributed.build_all(
        built_all["configs"], overview=built_all["overview"], client=client, progress=False
    )
    assert code == 0
    after = {p: p.stat().st_mtime_ns for r in reports for p in r.rglob("*") if p.is_file()}
    assert after == before  # nothing rebuilt, nothing written
    page = built_all["overview"].read_text(encoding="utf-8")
    assert page.count('<span class="unveraendert">unverändert</span>') == 2
    assert page.count("ohne Befund") == 2  # the audit result of the last build
    out = capsys.readouterr().out
    assert "Adorf" in out and out.count(": unverändert") == 2


def test_dask_profiles_equal_local_engine_on_the_real_template(built_all, tmp_path):
    """Six profiles build-all wrote on the 2-worker cluster, rebuilt by the local engine: the same bytes."""
    from workbench.build import profiles
    from workbench.settings import load_report_config, notebooks_dir, project_root

    config = built_all["configs"][0]
    cfg = load_report_config(config)
    from workbench.io.dataset import Dataset

    keys = Dataset(cfg.paths.processed).area_keys
    names = dict(zip(keys["area_id"].astype(str), keys["area_name"], strict=True))
    pages = sorted(p for p in cfg.paths.profiles.glob("*.html") if p.name != "index.html")[:6]
    assert len(pages) == 6
    jobs = [
        engine.Job(
            {"config_file": profiles.config_parameter(cfg), "area_id": p.stem},
            None,
            tmp_path / p.name,
            title=profiles.profile_title(p.stem, names[p.stem], cfg.city, cfg.reporting_year),
        )
        for p in pages
    ]
    results = engine.run_batch(
        notebooks_dir() / "profil.ipynb", jobs, workers=1, cwd=project_root(), progress=False
    )
    assert all(r.ok for r in results), [r.error for r in results]
    for page in pages:
        assert (tmp_path / page.name).read_bytes() == page.read_bytes(), page.name


def test_build_all_refuses_a_missing_config(tmp_path):
    from workbench.errors import ConfigError

    with pytest.raises(ConfigError, match="Berichtskonfiguration nicht gefunden"):
        distributed.build_all([tmp_path / "fehlt.yaml"], overview=tmp_path / "x.html")


def test_cli_options_of_the_dask_backend(tmp_path, capsys):
    from workbench import cli

    assert cli.main(["profiles", "--scheduler", "tcp://rechner:8786"]) == 2
    assert "--scheduler gilt nur mit --backend dask" in capsys.readouterr().err
    assert cli.main(["build-all", str(tmp_path / "fehlt.yaml")]) == 2
    err = capsys.readouterr().err
    assert "Berichtskonfiguration nicht gefunden" in err and "fehlt.yaml" in err
