"""One planted leak per attack of issue #12, each in small hand-made HTML/SVG/XLSX files, and its clean twin.

The files are written by hand (not by the report's producer), so the audit is tested on what a reader gets.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.confidentiality.audit import Finding, audit_path
from workbench.render.tables import write_xlsx


def _td(cell: object) -> str:
    """A cell: int/float → count with data-value; str → as written (already a ``<td …>``) or a plain text cell."""
    if isinstance(cell, str):
        return cell if cell.startswith("<td") else f'<td data-kind="text">{cell}</td>'
    return f'<td data-kind="count" data-value="{cell}">{cell}</td>'


def _table(tid: str, cols: dict[str, str], rows: dict[str, list[object]], totals: dict | None = None) -> str:
    head = "".join(f'<th data-wb-col="{c}" data-wb-kind="{k}">{c}</th>' for c, k in cols.items())
    body = "".join(
        f'<tr><th data-wb-row="{r}">{r}</th>{"".join(_td(x) for x in cells)}</tr>'
        for r, cells in rows.items()
    )
    tot = f" data-wb-totals='{json.dumps(totals)}'" if totals else ""
    return f'<table data-wb-table="{tid}"{tot}><thead><tr><th></th>{head}</tr></thead><tbody>{body}</tbody></table>'


def _key(measure: str, unit: str) -> str:
    return f"{measure}|sozialraum|{unit}|2024"


def _kc(value: int, measure: str, unit: str) -> str:
    """A keyed count cell."""
    return f'<td data-kind="count" data-value="{value}" data-wb-key="{_key(measure, unit)}">{value}</td>'


def _ks(measure: str, unit: str) -> str:
    """A keyed suppressed cell (sign "." of official statistics)."""
    return f'<td data-kind="suppressed" data-wb-key="{_key(measure, unit)}">.</td>'


def _page(*parts: str) -> str:
    return "<html><body>" + "".join(parts) + "</body></html>"


def _write(tmp: Path, name: str, *parts: str) -> None:
    (tmp / name).write_text(_page(*parts), encoding="utf-8")


def _where(findings: list[Finding], kind: str) -> list[tuple[str, str, str, str, float | None]]:
    return sorted((f.file, f.table_id, f.row, f.column, f.value) for f in findings if f.kind == kind)


# ------------------------------------------------------------------ 1. balance recoverable from in/out flows


def _movements(tmp: Path, out_a: str) -> None:
    cols = {"Zuzüge": "count", "Fortzüge": "count"}
    _write(
        tmp,
        "demografie.html",
        _table(
            "bewegungen",
            cols,
            {"A": [_kc(8, "in_ext", "A"), out_a], "B": [_kc(20, "in_ext", "B"), _kc(12, "out_ext", "B")]},
        ),
    )
    balance = pd.DataFrame({"Saldo": [".", 8]}, index=pd.Index(["A", "B"], name="Sozialraum"))
    keys = pd.DataFrame({"Saldo": [_key("external", "A"), _key("external", "B")]}, index=balance.index)
    write_xlsx({"wohnen": (balance, {"Saldo": "count"}, None, {"cell_keys": keys})}, tmp / "anhang.xlsx")


def test_balance_recovered_from_published_flows(tmp_path) -> None:
    _movements(tmp_path, _kc(9, "out_ext", "A"))
    assert _where(audit_path(tmp_path), "recoverable") == [("anhang.xlsx", "wohnen", "A", "Saldo", -1.0)]


def test_balance_with_its_flows_withheld_is_clean(tmp_path) -> None:
    _movements(tmp_path, _ks("out_ext", "A"))
    assert audit_path(tmp_path) == []


# ------------------------------------------------------------------ 2. pyramid: hidden band = total − drawn bands


def _pyramid(shares: dict[tuple[str, int], str]) -> str:
    bars = "".join(
        f'<rect x="0" y="{i * 15}" width="10" height="13" data-sex="{s}" data-age="{a}" data-share="{v}"/>'
        for i, ((s, a), v) in enumerate(shares.items())
    )
    return f'<svg data-kind="pyramid" xmlns="http://www.w3.org/2000/svg">{bars}</svg>'


def test_pyramid_band_drawn_as_zero_is_found(tmp_path) -> None:
    # counts m0=30, m5=2 (drawn as 0), w0=40, w5=50 of 122: the missing 1,6 % are the hidden band
    _write(
        tmp_path,
        "profil.html",
        _pyramid({("m", 0): "24.6", ("m", 5): "0.0", ("w", 0): "32.8", ("w", 5): "41.0"}),
    )
    found = audit_path(tmp_path)
    assert _where(found, "figure_hidden_band") == [
        ("profil.html", "Abbildung pyramid", "m / 5", "data-share", None)
    ]
    assert "1,6000 %" in [f for f in found if f.kind == "figure_hidden_band"][0].message


def test_pyramid_precise_shares_pin_a_small_band(tmp_path) -> None:
    # counts 2, 41, 53, 107 of 203 at 4 decimals, the header prints the total 203
    _write(
        tmp_path,
        "profil.html",
        "<h1>Hafen (203 Einwohner)</h1>",
        _pyramid({("m", 0): "0.9852", ("m", 5): "20.1970", ("w", 0): "26.1084", ("w", 5): "52.7094"}),
    )
    found = audit_path(tmp_path)
    assert _where(found, "figure_small_count") == [
        ("profil.html", "Abbildung pyramid", "m / 0", "data-share", 2.0)
    ]
    assert len(_where(found, "figure_precision")) == 4


def test_pyramid_at_table_precision_of_a_small_area_pins_a_band(tmp_path) -> None:
    # the same counts at one decimal: for 203 residents a share of 1,0 % can only be 2 persons
    _write(
        tmp_path,
        "profil.html",
        "<h1>Hafen (203 Einwohner)</h1>",
        _pyramid({("m", 0): "1.0", ("m", 5): "20.2", ("w", 0): "26.1", ("w", 5): "52.7"}),
    )
    assert [(f.kind, f.row, f.value) for f in audit_path(tmp_path)] == [("figure_small_count", "m / 0", 2.0)]


def test_pyramid_of_protected_bands_is_clean(tmp_path) -> None:
    # counts 30, 5, 40, 50 of 125 at one decimal with the total printed: no band below 3 to pin
    _write(
        tmp_path,
        "profil.html",
        "<h1>Hafen (125 Einwohner)</h1>",
        _pyramid({("m", 0): "24.0", ("m", 5): "4.0", ("w", 0): "32.0", ("w", 5): "40.0"}),
    )
    assert audit_path(tmp_path) == []


# ------------------------------------------------------------------ 3. age group from 5-year bands and Kita groups


def _age_tables(tmp: Path, u3: str, g35: str) -> None:
    groups = {"0-5": "count", "6-79": "count", "80+": "count", "Insgesamt": "count"}
    _write(
        tmp,
        "bevoelkerung.html",
        _table(
            "altersgruppen-2024",
            groups,
            {
                "A": [
                    _ks("population_0-5", "A"),
                    _kc(91, "population_6-79", "A"),
                    _ks("population_80+", "A"),
                    _kc(100, "population", "A"),
                ]
            },
            {"columns": [{"total": "Insgesamt", "parts": ["0-5", "6-79", "80+"]}]},
        ),
    )
    _write(
        tmp,
        "kinder_jugend.html",
        _table("kita-2024", {"unter 3": "count", "3 bis unter 6": "count"}, {"A": [u3, g35]}),
    )


def test_age_group_recovered_from_kita_groups(tmp_path) -> None:
    _age_tables(tmp_path, _kc(3, "population_0-2", "A"), _kc(4, "population_3-5", "A"))
    assert _where(audit_path(tmp_path), "recoverable") == [
        ("bevoelkerung.html", "altersgruppen-2024", "A", "0-5", 7.0),
        ("bevoelkerung.html", "altersgruppen-2024", "A", "80+", 2.0),
    ]


def test_age_groups_protected_together_with_kita_groups_are_clean(tmp_path) -> None:
    _age_tables(tmp_path, _ks("population_0-2", "A"), _ks("population_3-5", "A"))
    assert audit_path(tmp_path) == []


# ------------------------------------------------------------------ 4. chart precision (spine chart data-pos)


def _spine(pos: str) -> str:
    return (
        '<svg data-kind="spine"><circle cx="1" cy="1" r="4" data-indicator="sgb2_quote" '
        f'data-pos="{pos}"><title>SGB-II-Quote: 12,5 %</title></circle></svg>'
    )


def test_spine_position_more_precise_than_the_table_is_found(tmp_path) -> None:
    rate = '<td data-kind="rate" data-value="12.5">12,5 %</td>'
    _write(
        tmp_path, "profil.html", _table("werte", {"Quote": "rate"}, {"sgb2_quote": [rate]}), _spine("0.6843")
    )
    assert _where(audit_path(tmp_path), "figure_precision") == [
        ("profil.html", "Abbildung spine", "sgb2_quote", "data-pos", 0.6843)
    ]


def test_spine_position_at_display_precision_is_clean(tmp_path) -> None:
    rate = '<td data-kind="rate" data-value="12.5">12,5 %</td>'
    _write(
        tmp_path, "profil.html", _table("werte", {"Quote": "rate"}, {"sgb2_quote": [rate]}), _spine("0.68")
    )
    assert audit_path(tmp_path) == []


# ------------------------------------------------------------------ 5. comparison against a withheld benchmark


def _comparison(word: str) -> str:
    return _table(
        "jugend_alo-2024",
        {"Quote": "rate", "Vergleich Stadt": "text"},
        {
            "0101 Altstadt": ['<td data-kind="rate" data-value="4.1">4,1 %</td>', word],
            "Stadt insgesamt": ['<td data-kind="suppressed">.</td>', ""],
        },
    )


def test_comparison_against_withheld_city_value_is_found(tmp_path) -> None:
    _write(tmp_path, "soziale_lage.html", _comparison("besser"))
    assert _where(audit_path(tmp_path), "comparison_withheld") == [
        ("soziale_lage.html", "jugend_alo-2024", "0101 Altstadt", "Vergleich Stadt", None)
    ]


def test_not_compared_against_withheld_city_value_is_clean(tmp_path) -> None:
    _write(tmp_path, "soziale_lage.html", _comparison("nicht verglichen"))
    assert audit_path(tmp_path) == []


# ------------------------------------------------------------------ 6. visible text against metadata


def _counts(cell: str) -> str:
    return _table("t", {"Fälle": "count"}, {"A": [cell], "B": [_td(12)]})


def test_visible_two_without_data_value_is_found(tmp_path) -> None:
    _write(tmp_path, "k.html", _counts('<td data-kind="count">2</td>'))
    assert _where(audit_path(tmp_path), "small_count") == [("k.html", "t", "A", "Fälle", 2.0)]


def test_visible_two_in_a_text_cell_of_a_count_column_is_found(tmp_path) -> None:
    _write(tmp_path, "k.html", _counts('<td data-kind="text">2</td>'))
    assert _where(audit_path(tmp_path), "small_count") == [("k.html", "t", "A", "Fälle", 2.0)]


def test_visible_number_against_other_data_value_is_a_mismatch(tmp_path) -> None:
    _write(tmp_path, "k.html", _counts('<td data-kind="count" data-value="12">2</td>'))
    found = audit_path(tmp_path)
    assert _where(found, "mismatch") == [("k.html", "t", "A", "Fälle", 12.0)]
    assert _where(found, "small_count") == [("k.html", "t", "A", "Fälle", 2.0)]


def test_value_behind_a_sign_is_found(tmp_path) -> None:
    _write(tmp_path, "k.html", _counts('<td data-kind="suppressed" data-value="2">.</td>'))
    assert _where(audit_path(tmp_path), "hidden_value") == [("k.html", "t", "A", "Fälle", 2.0)]


def test_german_numbers_without_data_value_are_read_and_clean(tmp_path) -> None:
    _write(tmp_path, "k.html", _counts('<td data-kind="count">1.234</td>'))
    assert audit_path(tmp_path) == []


def test_excel_number_behind_a_sign_is_found(tmp_path) -> None:
    df = pd.DataFrame({"Fälle": [".", 12]}, index=pd.Index(["A", "B"], name="Sozialraum"))
    write_xlsx({"blatt": (df, {"Fälle": "count"}, None)}, tmp_path / "a.xlsx")
    assert audit_path(tmp_path) == []
    from openpyxl import load_workbook

    wb = load_workbook(tmp_path / "a.xlsx")
    ws = wb["blatt"]
    ws.cell(row=4, column=2, value=2)  # the number a reader sees beside the sign "."
    wb.save(tmp_path / "a.xlsx")
    assert _where(audit_path(tmp_path), "hidden_value") == [("a.xlsx", "blatt", "A", "Fälle", 2.0)]


def test_pyramid_chance_fit_of_an_unrelated_page_number_is_not_a_finding(tmp_path) -> None:
    # 38 bands of an area of 6031 residents at one decimal; the page also prints 950 (another area), which fits
    # every band within ±0,475 persons by chance: no evidence, since such fits are expected among many numbers
    # and makes the band of 12 persons (0,2 %) one of 2 persons
    counts = np.random.default_rng(3).integers(60, 260, size=38)
    counts[0] = 12
    counts[-1] += 6031 - counts.sum()
    shares = {(("m", "w")[i % 2], 5 * (i // 2)): f"{100 * c / 6031:.1f}" for i, c in enumerate(counts)}
    numbers = " ".join(str(n) for n in range(900, 1000))
    _write(tmp_path, "kapitel.html", f"<p>{numbers}</p>", _pyramid(shares))
    assert _where(audit_path(tmp_path), "figure_small_count") == []


def _with_withheld(svg: str, *bands: tuple[str, int]) -> str:
    rects = "".join(
        f'<rect x="0" y="{90 + 15 * i}" width="0" height="13" data-sex="{s}" data-age="{a}"/>'
        for i, (s, a) in enumerate(bands)
    )
    return svg.replace("</svg>", rects + "</svg>")


def test_pyramid_zero_bar_beside_withheld_bars_is_a_true_zero(tmp_path) -> None:
    # m5 and w10 withheld (no share, hatched) and w5 a true 0: the rest (42,6 %) is the sum of the two withheld
    # bars only, which the joint protection allows; the 0 beside them is not read as a hidden bar
    svg = _pyramid({("m", 0): "24.6", ("w", 0): "32.8", ("w", 5): "0.0"})
    _write(tmp_path, "profil.html", _with_withheld(svg, ("m", 5), ("w", 10)))
    assert _where(audit_path(tmp_path), "figure_hidden_band") == []


def test_pyramid_single_withheld_bar_is_the_rest(tmp_path) -> None:
    svg = _pyramid({("m", 0): "24.6", ("w", 0): "32.8", ("w", 5): "0.0"})
    _write(tmp_path, "profil.html", _with_withheld(svg, ("m", 5)))
    assert _where(audit_path(tmp_path), "figure_hidden_band") == [
        ("profil.html", "Abbildung pyramid", "m / 5", "data-share", None)
    ]
