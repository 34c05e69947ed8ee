"""The methods handbook ``docs/METHODEN.md``: complete, referenced correctly, and numerically right.

* every indicator of ``config/indicators.yaml`` (read with the package's catalogue loader) has an entry;
* no file under ``src/`` points to the old, external ``METHODS.md``, and every "docs/METHODEN.md, Abschnitt
  „…“" reference in ``src/`` names a heading that exists;
* the worked examples quoted in the handbook are recomputed with :mod:`workbench.stats` (the numbers are parsed
  from the handbook text, so a wrong number in the handbook fails here).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from workbench import stats
from workbench.indicators.catalogue import load_catalogue

ROOT = Path(__file__).resolve().parents[1]
HANDBOOK = ROOT / "docs" / "METHODEN.md"
SRC = ROOT / "src"
CATALOGUE = ROOT / "config" / "indicators.yaml"

NUM = r"\d[\d.]*(?:,\d+)?"  # German number: 1.234,5


@pytest.fixture(scope="module")
def text() -> str:
    assert HANDBOOK.is_file(), "docs/METHODEN.md fehlt"
    return HANDBOOK.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def headings(text: str) -> list[str]:
    return _headings(text)


def _headings(text: str) -> list[str]:
    """Markdown headings outside fenced code blocks."""
    out, fenced = [], False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced and (m := re.match(r"^#{1,6} (.+?)\s*$", line)):
            out.append(m.group(1))
    return out


def _slug(heading: str) -> str:
    """GitHub-style anchor of a heading (lower case, punctuation removed, spaces → hyphens)."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _section(text: str, heading: str) -> str:
    """Text from the heading line to the next heading of the same or a higher level."""
    m = re.search(rf"^(#+) {re.escape(heading)}\s*$", text, re.M)
    assert m, f"Überschrift {heading!r} fehlt"
    level = len(m.group(1))
    rest = text[m.end() :]
    nxt = re.search(rf"^#{{1,{level}}} ", rest, re.M)
    return rest[: nxt.start()] if nxt else rest


def de_number(s: str) -> float:
    """'1.234,5' → 1234.5."""
    return float(s.replace(".", "").replace(",", "."))


def de_format(value: float, like: str) -> str:
    """Format ``value`` the German way with as many decimals as the handbook string ``like`` shows."""
    decimals = len(like.split(",")[1]) if "," in like else 0
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


# ------------------------------------------------------------------------------------------- (a) indicators


def test_every_indicator_has_an_entry(text, headings):
    catalogue = load_catalogue(CATALOGUE)
    assert len(catalogue) > 0
    missing = [ind.id for ind in catalogue if f"`{ind.id}`" not in text or ind.label not in text]
    assert not missing, f"Indikatoren ohne Eintrag im Handbuch: {missing}"
    for ind in catalogue:
        assert ind.label in headings, f"keine Überschrift „{ind.label}“ für {ind.id}"
        entry = _section(text, ind.label)
        assert f"| Kennung | `{ind.id}` |" in entry, f"Eintrag „{ind.label}“ nennt die Kennung {ind.id} nicht"
        assert f"| Einheit | {ind.unit} " in entry, f"Einheit von {ind.id} fehlt oder ist falsch"
        assert f"| Polarität | {ind.polarity} " in entry, f"Polarität von {ind.id} fehlt oder ist falsch"
        assert ind.definition in entry, f"Definition von {ind.id} weicht vom Katalog ab"


def test_indicator_count_matches_catalogue(text):
    m = re.search(r"enthält (\d+) Indikatoren", text)
    assert m, "Satz „… enthält N Indikatoren“ fehlt"
    assert int(m.group(1)) == len(load_catalogue(CATALOGUE))


# ------------------------------------------------------------------------------------- (b) references in src


def _source_files() -> list[Path]:
    return [p for p in SRC.rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"]


def test_no_reference_to_external_methods_file():
    hits = []
    for path in _source_files():
        content = path.read_text(encoding="utf-8", errors="ignore")
        for no, line in enumerate(content.splitlines(), start=1):
            if "METHODS.md" in line or "shared/domain" in line:
                hits.append(f"{path.relative_to(ROOT)}:{no}: {line.strip()}")
    assert not hits, "Verweise auf Dateien außerhalb des Repositorys:\n" + "\n".join(hits)


_REF = re.compile(r"METHODEN\.md,?\s*\(?Abschnitte?\s+((?:„[^“]+“[\s,]*(?:und\s+)?)+)")


def test_source_references_name_existing_sections(headings):
    refs: list[tuple[str, str]] = []
    for path in SRC.rglob("*.py"):
        content = path.read_text(encoding="utf-8")
        if "METHODEN.md" not in content:
            continue
        found = _REF.findall(content)
        assert len(found) == content.count("METHODEN.md"), f"{path}: Verweis ohne „Abschnitt …“"
        for group in found:
            refs.extend(
                (str(path.relative_to(ROOT)), " ".join(name.split()))
                for name in re.findall(r"„([^“]+)“", group)
            )
    assert refs, "keine Verweise auf docs/METHODEN.md unter src/"
    bad = [f"{p}: „{name}“" for p, name in refs if name not in headings]
    assert not bad, "Verweise auf fehlende Abschnitte:\n" + "\n".join(bad)


def test_internal_links_resolve(text, headings):
    anchors = {_slug(h) for h in headings}
    broken = sorted({a for a in re.findall(r"\]\(#([^)]+)\)", text) if a not in anchors})
    assert not broken, f"Sprungmarken ohne Überschrift: {broken}"


# --------------------------------------------------------------------------------------- (c) worked examples


def test_wilson_examples(text):
    pattern = re.compile(
        rf"Rechenbeispiel Wilson: x = ({NUM}), n = ({NUM}), ({NUM}) %: ({NUM}) % … ({NUM}) %"
        rf"(?: \(als Anteil ({NUM}) … ({NUM})\))?"
    )
    examples = pattern.findall(text)
    assert any(e[:3] == ("65", "100", "95") for e in examples), "Beispiel Wilson x = 65, n = 100, 95 % fehlt"
    for x, n, level, lo_pct, up_pct, lo_frac, up_frac in examples:
        lo, up = stats.wilson_ci(de_number(x), de_number(n), de_number(level))
        assert (de_format(100 * lo, lo_pct), de_format(100 * up, up_pct)) == (lo_pct, up_pct), (x, n, level)
        if lo_frac:
            assert (de_format(lo, lo_frac), de_format(up, up_frac)) == (lo_frac, up_frac), (x, n, level)


def test_poisson_examples(text):
    pattern = re.compile(rf"Rechenbeispiel (Byar|exakt): x = ({NUM}), ({NUM}) %: ({NUM}) … ({NUM})")
    examples = pattern.findall(text)
    assert any(e[:3] == ("Byar", "65", "95") for e in examples), "Beispiel Byar x = 65, 95 % fehlt"
    for kind, x_text, level, lo_text, up_text in examples:
        x, conf = de_number(x_text), de_number(level)
        assert (kind == "Byar") == (x >= 10), f"x = {x_text}: poisson_ci nimmt hier nicht {kind}"
        lo, up = stats.poisson_ci(x, conf)
        direct = stats.byar_ci(x, conf) if kind == "Byar" else stats.exact_poisson_ci(x, conf)
        assert (lo, up) == pytest.approx(direct)
        assert (de_format(lo, lo_text), de_format(up, up_text)) == (lo_text, up_text), (kind, x_text, level)


def test_rate_examples(text):
    pattern = re.compile(
        rf"Rechenbeispiel Rate: x = ({NUM}), n = ({NUM}), je ({NUM}), ({NUM}) %: ({NUM}) … ({NUM})"
        rf" \(Rate ({NUM}) je"
    )
    examples = pattern.findall(text)
    assert examples, "Rechenbeispiel Rate fehlt"
    for x, n, mult, level, lo_text, up_text, value_text in examples:
        lo, up = stats.rate_ci(de_number(x), de_number(n), de_number(mult), de_number(level))
        assert (de_format(lo, lo_text), de_format(up, up_text)) == (lo_text, up_text)
        value = de_number(x) / de_number(n) * de_number(mult)
        assert de_format(value, value_text) == value_text


def test_trend_examples(text):
    pattern = re.compile(
        r"Rechenbeispiel Trend: x = ([\d, ]+); n = ([\d, ]+): χ² = (" + NUM + r") → ([\w ]+)"
    )
    examples = pattern.findall(text)
    assert examples, "Rechenbeispiel Trend fehlt"
    for x_text, n_text, chi2_text, marker in examples:
        x = [int(v) for v in x_text.split(",")]
        n = [int(v) for v in n_text.split(",")]
        chi2, _, _ = stats.chi2_trend(x, n)
        assert de_format(chi2, chi2_text) == chi2_text
        assert stats.trend_marker(x, n) == marker.strip()


def test_trend_threshold_and_z_values(text):
    """The critical values quoted in the text are those the code uses."""
    assert de_format(stats.z_value(0.95), "1,959964") in text
    assert de_format(stats.z_value(0.998), "3,090232") in text
    assert f"z² = 3,090232² = {de_format(stats.z_value(0.998) ** 2, '9,5495')}" in text
