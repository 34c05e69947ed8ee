"""Reading inline SVG figures of published HTML pages as published values.

A figure publishes what its attributes and labels say. Two checks, both independent of the producer's
intentions:

* ``figure_precision``: a value attribute (``data-share``, ``data-value``, ``data-rate``: at most
  :data:`MAX_DECIMALS` decimals, as the table cells; ``data-pos``: at most 3 decimals, 0.1 % of the axis) that is
  written more precisely than any table shows a value. A position or share at 4 decimals together with a
  published rate and its interval can pin numerator and denominator exactly.
* pyramids (bars with ``data-sex``, ``data-age``, ``data-share``): ``figure_hidden_band`` when bands are drawn
  as 0 although the drawn shares do not add up to 100 % (the hidden bands = the rest), and
  ``figure_small_count`` when the shares together with a total visible on the same page (the profile header)
  determine the count of a band, for every such total consistent with them, as 1 … threshold−1 persons.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MAX_DECIMALS = {"data-share": 1, "data-value": 1, "data-rate": 1, "data-pos": 3}
MAX_POPULATION = 10_000_000
CHANCE_FIT = 0.01  # largest accepted chance that a page number fits all bands by coincidence


@dataclass(frozen=True)
class FigureFinding:
    """One disclosive value of a figure (converted to an audit finding by the caller)."""

    figure: str
    row: str
    column: str
    kind: str
    value: float | None
    message: str


def _decimals(text: str) -> int:
    t = text.strip()
    return len(t.split(".", 1)[1].rstrip()) if "." in t else 0


def _figure_name(svg, index: int) -> str:  # noqa: ANN001 - bs4 tag
    for attr in ("data-wb-figure", "data-kind", "id", "aria-label"):
        if svg.get(attr):
            return str(svg[attr])
    title = svg.find("title")
    return title.get_text(strip=True)[:60] if title else f"Abbildung {index + 1}"


def _row_label(el) -> str:  # noqa: ANN001 - bs4 tag
    parts = [
        str(el[a]) for a in ("data-indicator", "data-sex", "data-age", "data-year", "data-unit") if el.get(a)
    ]
    return " / ".join(parts) if parts else el.name


def _pyramid_counts(shares: np.ndarray, decimals: int, totals: set[int]) -> list[np.ndarray]:
    """Count vectors for every population total shown on the page that reproduces the shares (in %).

    Shares alone fix the counts only up to a common factor; the total printed beside the figure (profile header,
    table) removes it. A total fits when every band's share × total is an integer within the rounding of the
    share and the bands add up to the total.

    Near the limit of what the shares pin (tolerance close to half a person) almost any number fits some of
    the bands by chance; on a page with hundreds of numbers a chance fit is then expected. A fit counts as
    evidence only when the chance of a coincidental fit of all bands, (2·tolerance)^bands per total, times the
    number of totals tried is below :data:`CHANCE_FIT` (a Bonferroni bound): the area's own total printed in
    the header of a small area always qualifies, a number of 950 elsewhere on the page beside 38 bands at one
    decimal does not.
    """
    half = 0.5 * 10.0**-decimals
    tried = [n for n in sorted(totals) if half * n / 100.0 + 1e-9 < 0.5]
    out = []
    for n in tried:
        tol = half * n / 100.0 + 1e-9
        if (2 * tol) ** len(shares) * len(tried) >= CHANCE_FIT:
            continue
        exact = shares * n / 100.0
        counts = np.round(exact)
        if np.all(np.abs(exact - counts) <= tol) and abs(counts.sum() - n) < 0.5:
            out.append(counts)
    return out


def page_totals(soup, threshold: int) -> set[int]:  # noqa: ANN001 - bs4 soup
    """Every whole number ≥ threshold visible on the page outside its figures (candidate totals)."""
    from workbench.confidentiality._audit_text import parse_number

    found: set[int] = set()
    for node in soup.find_all(string=True):
        if node.find_parent("svg") is not None or node.find_parent(["script", "style"]) is not None:
            continue
        for token in str(node).replace("(", " ").replace(")", " ").replace(":", " ").split():
            parsed = parse_number(token.rstrip(",;"))
            if parsed is not None and parsed[1] == 0 and threshold <= parsed[0] <= MAX_POPULATION:
                found.add(int(parsed[0]))
    return found


def svg_findings(soup, threshold: int) -> list[FigureFinding]:  # noqa: ANN001 - bs4 soup
    """Findings of all inline SVG figures of one parsed HTML page (see module docstring)."""
    out: list[FigureFinding] = []
    svgs = soup.find_all("svg")
    totals: set[int] | None = None
    for i, svg in enumerate(svgs):
        name = _figure_name(svg, i)
        for el in svg.find_all(True):
            for attr, limit in MAX_DECIMALS.items():
                raw = el.get(attr)
                if raw is None:
                    continue
                try:
                    val = float(raw)
                except ValueError:
                    continue
                if math.isfinite(val) and _decimals(str(raw)) > limit:
                    out.append(
                        FigureFinding(
                            name,
                            _row_label(el),
                            attr,
                            "figure_precision",
                            val,
                            f"Abbildung schreibt {attr}={raw} ({_decimals(str(raw))} Nachkommastellen, "
                            f"Tabellen zeigen höchstens {limit})",
                        )
                    )
        bars = [el for el in svg.find_all(attrs={"data-sex": True, "data-age": True}) if el.get("data-share")]
        if not bars:
            continue
        try:
            shares = np.array([float(b["data-share"]) for b in bars])
        except ValueError:
            continue
        dec = max(_decimals(str(b["data-share"])) for b in bars)
        zero = shares == 0
        rest = 100.0 - shares.sum()
        # bars drawn as withheld (no share) take the rest together: two or more reveal only their sum, which
        # the joint protection of bands and totals allows (a bar drawn as 0 beside them is then a true 0); a
        # single one is the rest
        withheld = [
            el for el in svg.find_all(attrs={"data-sex": True, "data-age": True}) if not el.get("data-share")
        ]
        tolerance = 0.5 * 10.0**-dec * len(bars) + 1e-9
        if len(withheld) == 1 and rest > tolerance:
            out.append(
                FigureFinding(
                    name,
                    _row_label(withheld[0]),
                    "data-share",
                    "figure_hidden_band",
                    None,
                    f"einziger verborgener Balken = Rest {rest:.4f} % (die übrigen ergeben {100 - rest:.4f} %)".replace(
                        ".", ","
                    ),
                )
            )
            continue
        if zero.any() and not withheld and rest > tolerance:
            for b in np.flatnonzero(zero):
                out.append(
                    FigureFinding(
                        name,
                        _row_label(bars[b]),
                        "data-share",
                        "figure_hidden_band",
                        None,
                        f"Balken als 0 gezeichnet, die übrigen ergeben nur {100 - rest:.4f} %: "
                        f"verborgene Balken = Rest {rest:.4f} %".replace(".", ","),
                    )
                )
            continue
        if totals is None:
            totals = page_totals(soup, threshold)
        cands = _pyramid_counts(shares, dec, totals)
        if not cands:
            continue
        small = [set(np.flatnonzero((c > 0) & (c < threshold))) for c in cands]
        common = set.intersection(*small)
        for b in sorted(common):
            vals = {float(c[b]) for c in cands}
            out.append(
                FigureFinding(
                    name,
                    _row_label(bars[b]),
                    "data-share",
                    "figure_small_count",
                    min(vals),
                    f"Anteile bestimmen die Fallzahl des Balkens: {sorted(vals)} (unter {threshold})",
                )
            )
    return out
