"""The explorer as a web app: Voila + headless Chromium (the system's package, driven by playwright) load
``notebooks/explorer.ipynb`` for the small demo city, change the indicator and see the map change, click a table
row and see it selected, open the mini-profile's link "Gebietsprofil öffnen" and get the area's profile page from
Voila's ``/voila/files/`` route (nothing else of the project is served there); no console errors and no request
leaving localhost (plotly.js and the widgets' code come from the Voila server / the widget state, the map has no
tiles). Voila is started as ``make explorer`` starts it (:func:`workbench.explore.serve.voila_command` with the
Makefile's ``VOILA_OPTS``). The profile pages are small stand-ins with the real page title (building real ones
takes a kernel run per page); the test is about the link and the route.

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
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml

from workbench.build import pdf
from workbench.build.profiles import profile_title
from workbench.explore.serve import voila_command

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
    """The Voila options of ``make explorer`` (Makefile VOILA_OPTS) that matter here: template, extension list
    (root folder and file allowlist come from :func:`workbench.explore.serve.voila_command`)."""
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
    # stand-in profile pages (see the module docstring) and an executed notebook Voila must not serve
    keys = Dataset(proc).area_keys
    profiles = root / "reports" / "profiles"
    profiles.mkdir(parents=True)
    for uid, name in zip(keys["area_id"].astype(str), keys["area_name"], strict=True):
        title = profile_title(uid, name, "Kleinstadt", int(max(Dataset(proc).years)))
        (profiles / f"{uid}.html").write_text(
            f'<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>{title}</title></head>'
            f"<body><h1>{title}</h1></body></html>",
            encoding="utf-8",
        )
    (root / "reports" / "executed").mkdir()
    (root / "reports" / "executed" / "intern.html").write_text("<p>intern</p>", encoding="utf-8")
    (root / "nicht_im_bericht.html").write_text("<p>nicht im Bericht</p>", encoding="utf-8")
    port = free_port()
    argv, env = voila_command(
        cfg,
        [*VOILA_OPTS, "--no-browser", "--Voila.ip=127.0.0.1", f"--port={port}", "--show_tracebacks=True"],
    )
    env = {
        **env,
        "WORKBENCH_ROOT": str(ROOT),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")])),
    }
    log = (root / "voila.log").open("w")
    proc_ = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
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
    url, root = voila_url
    errors: list[str] = []
    external: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1500, "height": 1300})
        page = context.new_page()
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

        context.route("**/*", guard)  # the page and the profile page it opens
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
        # the mini-profile's link opens the area's profile page, served by Voila
        unit = row.get_attribute("data-unit")
        link = page.locator(".wb-explorer-link a")
        link.wait_for(timeout=30_000)
        assert link.inner_text() == "Gebietsprofil öffnen"
        href = link.get_attribute("href")
        assert href.startswith("/voila/files/") and href.endswith(f"/profiles/{unit}.html"), href
        with context.expect_page() as opened:
            link.click()
        profile = opened.value
        profile.wait_for_load_state()
        assert profile.url == url.rstrip("/") + href
        assert profile.title().startswith(f"Sozialraumprofil {label}"), profile.title()
        assert context.request.get(profile.url).status == 200
        shoot(profile, "explorer_profile.png")
        browser.close()
    assert not external, f"requests leaving localhost: {external}"
    assert not errors, f"console errors: {errors}"


def test_voila_serves_the_report_pages_and_nothing_else(voila_url):
    """The file route serves the report folder's HTML pages only: not its executed notebooks, not a page outside
    the report folder, not the notebooks or the code."""
    url, root = voila_url
    served = Path(voila_command(root / "report.yaml")[1]["WORKBENCH_EXPLORER_FILES_ROOT"])

    def status(path: Path) -> int:
        rel = urllib.parse.quote(path.relative_to(served).as_posix())
        try:
            with urllib.request.urlopen(f"{url}voila/files/{rel}", timeout=30) as res:
                return res.status
        except urllib.error.HTTPError as err:
            return err.code

    pages = sorted((root / "reports" / "profiles").glob("*.html"))
    assert status(pages[0]) == 200
    assert status(root / "reports" / "executed" / "intern.html") == 403
    assert status(root / "nicht_im_bericht.html") == 403
    assert status(root / "report.yaml") == 403
    assert status(ROOT / "notebooks" / "explorer.ipynb") in (403, 404)
