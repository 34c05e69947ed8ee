"""The explorer as a web app: Voila + headless Chromium load it, change the indicator and see the map change,
with no console errors and no request leaving localhost."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
VOILA = Path(sys.executable).with_name("voila")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="kein Chromium installiert (apt-get install chromium)"),
    pytest.mark.skipif(not VOILA.exists(), reason="Voila fehlt (make setup)"),
]
playwright = pytest.importorskip("playwright.sync_api", reason="playwright fehlt")


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
        "path.choroplethlocation", "els => els.map(e => e.style.fill || e.getAttribute('style') || '')"
    )


def test_voila_app_loads_and_the_map_follows_the_indicator(voila_url):
    url, root = voila_url
    errors: list[str] = []
    external: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1500, "height": 1300})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))

        def guard(route):
            host = route.request.url.split("/")[2] if "://" in route.request.url else ""
            if route.request.url.startswith(("data:", "blob:")) or host.split(":")[0] in (
                "127.0.0.1",
                "localhost",
            ):
                route.continue_()
            else:
                external.append(route.request.url)
                route.abort()

        page.route("**/*", guard)
        page.goto(url, timeout=180_000)
        page.wait_for_selector("path.choroplethlocation", timeout=180_000)
        page.wait_for_timeout(1000)
        before = map_fills(page)
        assert len(before) >= 12
        select = page.locator("select").first
        options = select.locator("option").all_inner_texts()
        assert len(options) > 2
        select.select_option(index=2)
        deadline = time.time() + 30
        after = before
        while time.time() < deadline and after == before:
            page.wait_for_timeout(500)
            after = map_fills(page)
        page.screenshot(path=str(root / "explorer.png"), full_page=True)
        shot = os.environ.get("WORKBENCH_EXPLORER_SCREENSHOT")
        if shot:
            shutil.copy(root / "explorer.png", shot)
        browser.close()
    assert after != before, "the map did not change after choosing another indicator"
    assert not external, f"requests leaving localhost: {external}"
    assert not errors, f"console errors: {errors}"
