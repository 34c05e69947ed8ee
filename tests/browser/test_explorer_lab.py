"""The explorer notebook in a real JupyterLab: headless Chromium (the system's package, driven by playwright) opens
``notebooks/explorer.ipynb`` in ``jupyter lab`` for the small demo city, runs all cells and finds the map, the
ranked dot chart and the table rendered; a search selects an area, whose mini-profile link points at Jupyter
Server's ``/files/`` route and opens the profile page (a stand-in with the real title, as in the Voila test). No
console errors, no request leaving localhost.

It takes about 2 minutes on a busy 2-core machine (JupyterLab's start and front end), above the budget of
``make test``, so it runs only on request: ``WORKBENCH_TEST_JUPYTERLAB=1``. Skipped with a message when Chromium,
JupyterLab or playwright is missing. Screenshots go to
``$WORKBENCH_EXPLORER_SCREENSHOTS`` (a folder) when set. :func:`run_in_lab` also serves a manual check with
another report config (e.g. the Berlin example).
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

if os.environ.get("WORKBENCH_TEST_JUPYTERLAB") != "1" and __name__ != "__main__":
    pytest.skip(
        "JupyterLab-Browsertest nur auf Wunsch (etwa 2 Minuten): WORKBENCH_TEST_JUPYTERLAB=1 setzen",
        allow_module_level=True,
    )

import yaml  # noqa: E402

from workbench.build import pdf  # noqa: E402
from workbench.build.profiles import profile_title  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = pdf.find_chromium()
JUPYTER = Path(sys.executable).with_name("jupyter")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="Chromium fehlt: JupyterLab-Browsertest übersprungen (als root „make browser“ oder "
        "WORKBENCH_CHROMIUM=/pfad/zu/chromium)",
    ),
    pytest.mark.skipif(
        not JUPYTER.exists() or shutil.which("jupyter-lab", path=str(JUPYTER.parent)) is None,
        reason="JupyterLab fehlt: JupyterLab-Browsertest übersprungen (make setup)",
    ),
]
playwright = pytest.importorskip("playwright.sync_api", reason="playwright fehlt (make setup)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _shoot(page, folder: str | None, name: str) -> None:
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name), full_page=True)


def run_in_lab(
    config: Path, search: str | None = None, shots: str | None = None, log: Path | None = None
) -> dict:
    """Start JupyterLab (its root holds the project and the report folder), run ``notebooks/explorer.ipynb`` for ``config`` in
    headless Chromium and return what the page showed.

    Returns a dict: ``errors`` (console errors), ``external`` (requests that left localhost, blocked),
    ``paths`` (map areas drawn), ``dots`` (points of the dot chart), ``rows`` (table rows), ``selected``
    (mini-profile heading after searching ``search``), ``href`` (the profile link, or None), ``profile_status``
    and ``profile_title`` (of the page the link opens), ``seconds`` (from "run all" to a drawn map).
    """
    from workbench.settings import load_report_config

    port = _free_port()
    token = secrets.token_hex(16)
    # a copy of the notebook (JupyterLab saves the outputs into the notebook it runs)
    work = Path(tempfile.mkdtemp(prefix="explorer_lab_"))
    shutil.copy(ROOT / "notebooks" / "explorer.ipynb", work / "explorer.ipynb")
    # JupyterLab's root: the deepest folder holding the notebook and the report folder (as for make explorer)
    server_root = Path(os.path.commonpath([work, load_report_config(config).paths.reports]))
    notebook = (work / "explorer.ipynb").relative_to(server_root).as_posix()
    env = {
        **os.environ,
        "WORKBENCH_EXPLORER_CONFIG": str(config),
        "WORKBENCH_ROOT": str(ROOT),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")])),
        # a fresh configuration and workspace: no state of an earlier run, no questions (news) on the page
        "JUPYTER_CONFIG_DIR": str(work / ".jupyter"),
    }
    argv = [
        str(JUPYTER),
        "lab",
        "--no-browser",
        f"--port={port}",
        "--ServerApp.ip=127.0.0.1",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={server_root}",
        "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if hasattr(os, "getuid") and os.getuid() == 0:
        argv.append("--allow-root")
    out = (log or Path("/tmp/lab.log")).open("w")
    server = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    res: dict = {"errors": [], "external": []}
    try:
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.5)
        base = f"http://127.0.0.1:{port}"
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
            context = browser.new_context(viewport={"width": 1600, "height": 1400})

            def guard(route):
                url = route.request.url
                host = url.split("/")[2].split(":")[0] if "://" in url else ""
                if url.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost"):
                    route.continue_()
                else:
                    res["external"].append(url)
                    route.abort()

            context.route("**/*", guard)
            page = context.new_page()
            page.on("console", lambda m: res["errors"].append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: res["errors"].append(str(e)))
            res["failed"] = []
            page.on(
                "response", lambda r: res["failed"].append(f"{r.status} {r.url}") if r.status >= 400 else None
            )
            page.goto(f"{base}/lab/tree/{notebook}?token={token}", timeout=120_000)
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
            # the kernel "workbench" is idle before "run all" (otherwise the first cells may be dropped)
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=120_000)
            # run each code cell: select it (a click on its prompt), then the toolbar's run button; a click that
            # JupyterLab drops while it is still settling is repeated
            t0 = time.time()
            run = page.locator(".jp-NotebookPanel-toolbar [data-command='notebook:run-cell-and-select-next']")
            for cell in page.locator(".jp-Notebook .jp-CodeCell").all():
                prompt = cell.locator(".jp-InputPrompt").first
                for _ in range(5):
                    prompt.click()
                    run.first.click()
                    page.wait_for_timeout(700)
                    if prompt.inner_text().strip() not in ("[ ]:", ""):
                        break
            try:
                page.wait_for_selector("path.choroplethlocation", timeout=180_000)
            except playwright.TimeoutError:
                _shoot(page, shots or str((log or Path("/tmp/lab.log")).parent), "lab_failure.png")
                raise
            res["seconds"] = time.time() - t0
            page.wait_for_selector(".wb-explorer-table tr[data-unit]", timeout=60_000)
            page.wait_for_timeout(1500)
            res["paths"] = page.locator("path.choroplethlocation").count()
            res["dots"] = page.locator(".scatterlayer .trace:first-child path.point").count()
            res["rows"] = page.locator(".wb-explorer-table tr[data-unit]").count()
            _shoot(page, shots, "lab_start.png")
            if search:
                box = page.get_by_placeholder("Name oder Nummer")
                box.fill(search)
                box.press("Enter")
                page.wait_for_selector(".wb-explorer-profile h4", timeout=30_000)
                res["selected"] = page.locator(".wb-explorer-profile h4").inner_text()
                link = page.locator(".wb-explorer-link a")
                res["href"] = link.get_attribute("href") if link.count() else None
                page.wait_for_timeout(800)
                _shoot(page, shots, "lab_selected.png")
                if res["href"]:
                    with context.expect_page() as opened:
                        link.click()
                    profile = opened.value
                    profile.wait_for_load_state()
                    res["profile_title"] = profile.title()
                    res["profile_status"] = profile.reload().status
                    _shoot(profile, shots, "lab_profile.png")
            browser.close()
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        out.close()
        shutil.rmtree(work, ignore_errors=True)
    return res


@pytest.fixture(scope="module")
def small_config(small_processed, tmp_path_factory) -> Path:
    from workbench.io.dataset import Dataset

    root = tmp_path_factory.mktemp("lab")
    proc = root / "processed"
    shutil.copytree(small_processed, proc, ignore=shutil.ignore_patterns("cache"))
    year = int(max(Dataset(proc).years))
    reports = root / "reports"
    cfg = root / "report.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "city": "Kleinstadt",
                "reporting_year": year,
                "data_raw": str(root / "raw"),
                "data_processed": str(proc),
                "reports": str(reports),
                "chapters": ["soziale_lage"],
            }
        ),
        encoding="utf-8",
    )
    keys = Dataset(proc).area_keys
    (reports / "profiles").mkdir(parents=True)
    for uid, name in zip(keys["area_id"].astype(str), keys["area_name"], strict=True):
        title = profile_title(uid, name, "Kleinstadt", year)
        (reports / "profiles" / f"{uid}.html").write_text(
            f'<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>{title}</title></head>'
            f"<body><h1>{title}</h1></body></html>",
            encoding="utf-8",
        )
    return cfg


def test_explorer_notebook_runs_in_jupyterlab(small_config, tmp_path):
    from workbench.io.dataset import Dataset

    keys = Dataset(yaml.safe_load(small_config.read_text())["data_processed"]).area_keys
    uid = str(keys["area_id"].iloc[2])
    res = run_in_lab(
        small_config,
        search=uid,
        shots=os.environ.get("WORKBENCH_EXPLORER_SCREENSHOTS"),
        log=tmp_path / "lab.log",
    )
    assert res["paths"] >= 12, res
    assert res["dots"] >= 6, res
    assert res["rows"] == len(keys), res
    assert res["selected"].startswith(uid), res
    assert res["href"] and res["href"].startswith("/files/"), res
    assert res["href"].endswith(f"{small_config.parent.name}/reports/profiles/{uid}.html"), res
    assert res["profile_status"] == 200
    assert res["profile_title"].startswith(f"Sozialraumprofil {uid}")
    assert not res["external"], f"requests leaving localhost: {res['external']}"
    assert not res["errors"], f"console errors: {res['errors']}"
