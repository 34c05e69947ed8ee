"""SVG drawing primitives shared by the profile charts and maps: document frame, text, legend, ticks."""

from __future__ import annotations

import hashlib
import html
import math
import textwrap
from collections.abc import Sequence

import numpy as np

FONT = "Source Sans Pro,Segoe UI,Arial,sans-serif"
DEFAULT_TITLES = {
    "spine": "Spine-Chart",
    "trends": "Zeitreihen",
    "sparkline": "Zeitreihe",
    "pyramid": "Alterspyramide",
    "location": "Lagekarte",
    "facilities": "Einrichtungskarte",
}
CHAR_WIDTH = 0.55  # average glyph width in em, for layout estimates (no text measurement in SVG strings)


# ------------------------------------------------------------------------------------------ primitives
def num(x: float) -> str:
    """A coordinate with one decimal and no negative zero (fixed formatting keeps output byte-stable)."""
    text = f"{float(x):.1f}"
    return "0.0" if text == "-0.0" else text


def esc(text: object) -> str:
    """Text escaped for SVG content and attributes."""
    return html.escape(str(text), quote=True)


def text_width(text: str, size: float) -> float:
    """Estimated width in px of ``text`` at font size ``size`` (average glyph width)."""
    return len(text) * size * CHAR_WIDTH


def text(x: float, y: float, s: object, size: float = 11, anchor: str = "start", **attrs: object) -> str:
    """A ``<text>`` element; extra attributes with ``_`` in the name are written with ``-``."""
    extra = "".join(f' {k.replace("_", "-")}="{esc(v)}"' for k, v in attrs.items() if v is not None)
    return (
        f'<text x="{num(x)}" y="{num(y)}" font-size="{size:g}" text-anchor="{anchor}"{extra}>{esc(s)}</text>'
    )


def rect(x: float, y: float, w: float, h: float, fill: str, **attrs: object) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{esc(v)}"' for k, v in attrs.items() if v is not None)
    return f'<rect x="{num(x)}" y="{num(y)}" width="{num(max(w, 0))}" height="{num(max(h, 0))}" fill="{fill}"{extra}/>'


def wrap(note: str, width_px: float, size: float = 9) -> list[str]:
    """The note broken into lines that fit ``width_px`` at font size ``size``."""
    chars = max(20, int(width_px / (size * CHAR_WIDTH)))
    return textwrap.wrap(note, chars) if note else []


def svg_id(kind: str, *parts: object) -> str:
    """A stable element id (same content → same id; no counters, so output stays byte-stable)."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:10]
    return f"wb-{kind}-{digest}"


def document(
    width: float, height: float, title: str, note: str, body: list[str], *, kind: str, desc: str = ""
) -> str:
    """Wrap ``body`` into a complete ``<svg>`` with title, description and the note as wrapped text below.

    The ``<svg>`` has ``role="img"`` (``role="group"`` when it holds links: an image must not contain focusable
    controls, WCAG 4.1.2 / axe ``nested-interactive``) and ``aria-labelledby`` pointing at its ``<title>`` and
    ``<desc>``; the description is ``desc`` (what the figure shows and its main finding, German) followed by the note.
    """
    label = title or DEFAULT_TITLES.get(kind, "Abbildung")
    lines = wrap(note, width - 16)
    note_h = 13 * len(lines) + (6 if lines else 0)
    total = height + note_h
    description = " ".join(p for p in (desc, note) if p)
    sid = svg_id(kind, label, description, *body)
    role = "group" if any("<a " in b for b in body) else "img"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="wb-svg wb-svg-{kind}" viewBox="0 0 {num(width)} '
        f'{num(total)}" width="{num(width)}" height="{num(total)}" role="{role}" '
        f'aria-labelledby="{sid}-t{f" {sid}-d" if description else ""}" font-family="{FONT}" '
        f'style="max-width:100%;height:auto">',
        f'<title id="{sid}-t">{esc(label)}</title>',
        f'<desc id="{sid}-d">{esc(description)}</desc>' if description else "",
        '<rect width="100%" height="100%" fill="#ffffff"/>',
        *body,
    ]
    parts += [text(8, height + 10 + 13 * i, line, 9, fill="#444444") for i, line in enumerate(lines)]
    parts.append("</svg>")
    return "\n".join(p for p in parts if p)


_SIG_SHAPES = {  # comparison symbol → SVG path around (0, 0), radius ~5.5 px (None: circle)
    "▲": "M0,-6L5.5,4L-5.5,4Z",
    "▼": "M0,6L5.5,-4L-5.5,-4Z",
    "●": None,
    "○": None,
}


def sig_marker(
    symbol: str, x: float, y: float, fill: str, r: float = 5.5, extra: str = "", tip: str = ""
) -> str:
    """A comparison mark at ``x``, ``y``: triangle up (▲ besser/höher), down (▼ schlechter/niedriger), filled
    circle (● ähnlich) or hollow circle (○ nicht verglichen), so that shape and colour both carry it."""
    title = f"<title>{esc(tip)}</title>" if tip else ""
    d = _SIG_SHAPES.get(symbol)
    if d is None:
        face = "#ffffff" if symbol == "○" else fill
        return (
            f'<circle cx="{num(x)}" cy="{num(y)}" r="{r:g}" fill="{face}" stroke="#222222" stroke-width="0.7"'
            f"{extra}>{title}</circle>"
        )
    return (
        f'<path transform="translate({num(x)},{num(y)})" d="{d}" fill="{fill}" stroke="#222222" '
        f'stroke-width="0.7"{extra}>{title}</path>'
    )


def legend(
    items: Sequence[tuple[str, str]], x: float, y: float, width: float, size: float = 10
) -> tuple[list[str], float]:
    """Legend entries laid out in rows within ``width``; each item is (swatch SVG at 0,0 (12×12), label).

    Returns the elements and the height used.
    """
    out: list[str] = []
    cx, cy = x, y
    for swatch, label in items:
        w = 16 + text_width(label, size) + 14
        if cx > x and cx + w > x + width:
            cx, cy = x, cy + 17
        out.append(f'<g transform="translate({num(cx)},{num(cy)})">{swatch}</g>')
        out.append(text(cx + 16, cy + 10, label, size))
        cx += w
    return out, (cy - y) + 17 if items else 0.0


def swatch_box(fill: str, edge: str | None = None) -> str:
    return rect(0, 1, 12, 10, fill, stroke=edge, stroke_width=0.6 if edge else None)


def swatch_dot(fill: str, symbol: str = "●") -> str:
    """Legend swatch of a comparison mark (shape by ``symbol``, see :func:`sig_marker`)."""
    return sig_marker(symbol, 6, 6, fill, r=4.5)


def swatch_line(colour: str, dash: bool = False, width: float = 1.5) -> str:
    d = ' stroke-dasharray="4,3"' if dash else ""
    return f'<path d="M0,6H12" stroke="{colour}" stroke-width="{width:g}"{d} fill="none"/>'


def nice_ticks(lo: float, hi: float, n: int = 3) -> np.ndarray:
    """About ``n`` round tick values within ``lo`` … ``hi`` (step 1, 2 or 5 × 10^k, at least 0.7 × range/n)."""
    if not (np.isfinite(lo) and np.isfinite(hi)) or hi <= lo:
        return np.array([lo]) if np.isfinite(lo) else np.array([0.0])
    raw = (hi - lo) / max(n, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= 0.7 * raw)
    start = math.ceil(lo / step - 1e-9) * step
    return np.round(np.arange(start, hi + step * 1e-6, step), 10)


def _decimals(step: float) -> int:
    return 0 if step >= 1 or step <= 0 else min(3, int(math.ceil(-math.log10(step) - 1e-9)))
