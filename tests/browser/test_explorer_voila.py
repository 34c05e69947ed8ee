"""The explorer as a web app: Voila + headless Chromium (the system's package, driven by playwright) load
``notebooks/explorer.ipynb`` for the small demo city, change the indicator and see the map change, click a table
row and see it selected; no console errors and no request leaving localhost (plotly.js and the widgets' code come
from the Voila server / the widget state, the map has no tiles).

Skipped with a message when Chromium, Voila or playwright is missing. Screenshots go to
``$WORKBENCH_EXPLORER_SCREENSHOTS`` (a folder) when set.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from workbench.build import pdf

ROOT = Path(__file__).resolve().parents[2]

CHROMIUM = pdf.find_chromium()
VOILA = Path(sys.executable).with_name("voila")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="Chromium fehlt: Explorer-Browsertest übersprungen (als root „make browser“ oder "
        "WORKBENCH_CHROMIUM=/pfad/zu/chromium)",
    ),
    pytest.mark.skipif(
        not VOILA.exists(), reason="Voila fehlt: Explorer-Browsertest übersprungen (make setup)"
    ),
]
playwright = pytest.importorskip("playwright.sync_api", reason="playwright fehlt (make setup)")


def _make_voila_opts() -> list[str]:
    """The Voila options of ``make explorer`` (Makefile VOILA_OPTS) that matter here: template, extension list."""
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    opts = text.split("VOILA_OPTS =", 1)[1].split("\n\n", 1)[0].replace("\\\n", " ")
    return [shlex.split(o)[0] for o in re.findall(r'(--template=\S+|"--VoilaConfiguration[^"]+")', opts)]


VOILA_OPTS = _make_voila_opts()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def voila_url(small_processed, tmp_path_factory):
    from workbench.io.dataset import Dataset

    root = tmp_path_factory.mktemp("voila")
    proc = root / "processed"
    shutil.copytree(small_processed, proc, ignore=shutil.ignore_patterns("cache"))
    cfg = root / "report.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "city": "Kleinstadt",
                "reporting_year": int(max(Dataset(proc).years)),
                "data_raw": str(root / "raw"),
                "data_processed": str(proc),
                "reports": str(root / "reports"),
                "chapters": ["soziale_lage"],
            }
        ),
        encoding="utf-8",
    )
    port = free_port()
    env = {
        **os.environ,
        "WORKBENCH_EXPLORER_CONFIG": str(cfg),
        "WORKBENCH_ROOT": str(ROOT),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")])),
        "JUPYTER_PATH": str(ROOT / "src" / "workbench" / "resources"),
    }
    log = (root / "voila.log").open("w")
    proc_ = subprocess.Popen(
        [
            str(VOILA),
            str(ROOT / "notebooks" / "explorer.ipynb"),
            "--no-browser",
            "--Voila.ip=127.0.0.1",
            f"--port={port}",
            "--show_tracebacks=True",
            *VOILA_OPTS,
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.5)
    else:
        proc_.terminate()
        pytest.fail(f"Voila startete nicht: {(root / 'voila.log').read_text()[-2000:]}")
    yield url, root
    proc_.terminate()
    try:
        proc_.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc_.kill()


def map_fills(page) -> list[str]:
    return page.eval_on_selector_all(
        "path.choroplethlocation", "els => els.map(e => getComputedStyle(e).fill)"
    )


def shoot(page, name: str) -> None:
    folder = os.environ.get("WORKBENCH_EXPLORER_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name), full_page=True)


def wait_for_change(page, read, before, seconds: float = 30):
    deadline = time.time() + seconds
    now = read(page)
    while time.time() < deadline and now == before:
        page.wait_for_timeout(300)
        now = read(page)
    return now


def test_voila_app_loads_and_the_map_follows_the_indicator(voila_url):
    url, _root = voila_url
    errors: list[str] = []
    external: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1500, "height": 1300})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))

        def guard(route):
            url_ = route.request.url
            host = url_.split("/")[2].split(":")[0] if "://" in url_ else ""
            if url_.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost"):
                route.continue_()
            else:
                external.append(url_)
                route.abort()

        page.route("**/*", guard)
        page.goto(url, timeout=180_000)
        page.wait_for_selector("path.choroplethlocation", timeout=180_000)
        page.wait_for_selector(".wb-explorer-table tr[data-unit]", timeout=60_000)
        page.wait_for_timeout(1000)
        shoot(page, "explorer_start.png")
        before = map_fills(page)
        assert len(before) >= 12
        assert len(set(before)) > 1, "the first indicator's map should have more than one colour"
        # another indicator: the map's fills change
        select = page.locator("select").first
        assert len(select.locator("option").all_inner_texts()) > 2
        select.select_option(index=2)
        after = wait_for_change(page, map_fills, before)
        assert after != before, "the map did not change after choosing another indicator"
        # a click on a table row selects the area: the mini-profile names it, the table marks it
        row = page.locator(".wb-explorer-table tr[data-unit]").nth(4)
        label = row.locator("td").first.inner_text().strip()
        row.click()
        page.wait_for_selector(".wb-explorer-profile", timeout=30_000)
        assert label in page.locator(".wb-explorer-profile h4").inner_text()
        assert page.locator(".wb-explorer-table tr[data-unit] td:has-text('▶')").count() == 1
        page.wait_for_timeout(500)
        shoot(page, "explorer_selected.png")
        browser.close()
    assert not external, f"requests leaving localhost: {external}"
    assert not errors, f"console errors: {errors}"
