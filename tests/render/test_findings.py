"""Tests for workbench.render.findings: German sentences from an indicator table (hand-built rows and compute())."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.errors import ConfigError
from workbench.indicators import compute, parse_catalogue
from workbench.render.findings import format_value, largest_differences, significance_summary

NBSP = "\u00a0"


def _entry(id_, label, article, polarity, unit="%", multiplier=100, method="wilson"):
    return {
        "id": id_,
        "label": label,
        "article": article,
        "definition": "Test",
        "numerator": {"measure": "m1"},
        "denominator": {"population": {}},
        "unit": unit,
        "multiplier": multiplier,
        "polarity": polarity,
        "method": method,
        "topic": "test",
        "source": "Test",
        "reference_date": "31.12.",
    }


CAT = parse_catalogue(
    {
        "indicators": [
            _entry("kinderarmut", "Kinderarmut", "die", "hoch = schlecht"),
            _entry("beschaeftigung", "Beschäftigungsquote", "die", "hoch = gut"),
            _entry("auslaender", "Ausländeranteil", "der", "neutral"),
            _entry("hze", "HzE-Dichte", "die", "hoch = schlecht", "je 1.000", 1000, "poisson"),
            _entry("saldo", "Wanderungssaldo", "der", "neutral", "je 1.000", 1000, "none"),
        ]
    }
)


def _table(indicator: str, cmp: list[str], values=None, city=18.94, suppressed=None, level="sozialraum"):
    k = len(cmp)
    values = values if values is not None else [20.0] * k
    suppressed = suppressed if suppressed is not None else [False] * k
    return pd.DataFrame(
        {
            "indicator": indicator,
            "level": level,
            "unit_id": [f"01{i:02d}" for i in range(1, k + 1)],
            "unit_name": [f"Gebiet {i}" for i in range(1, k + 1)],
            "parent_id": "01",
            "year": 2024,
            "numerator": np.where(suppressed, np.nan, 1.0),
            "denominator": 10.0,
            "value": [np.nan if s else v for v, s in zip(values, suppressed, strict=True)],
            "lower95": 0.0,
            "upper95": 1.0,
            "lower998": 0.0,
            "upper998": 1.0,
            "numerator_suppressed": suppressed,
            "city_value": city,
            "parent_value": city,
            "cmp_city": cmp,
            "cmp_parent": cmp,
            "cmp_city_998": cmp,
            "trend": "keine signifikante Veränderung",
            "quintile": pd.array([pd.NA] * k, dtype="Int64"),
        }
    )


def test_summary_bad_polarity_plural_and_singular():
    cmp = ["schlechter"] * 7 + ["besser"] * 12 + ["ähnlich"] * 22
    text = significance_summary(_table("kinderarmut", cmp), "kinderarmut", 2024, catalogue=CAT)
    assert text.startswith(
        f"In 7 von 41 Sozialräumen liegt die Kinderarmut signifikant über dem städtischen Wert von "
        f"18,9{NBSP}% (95-%-Konfidenzintervall, Wilson)."
    )
    assert "In 12 Sozialräumen liegt sie signifikant darunter (günstiger)." in text
    text = significance_summary(
        _table("kinderarmut", ["schlechter"] + ["ähnlich"] * 3), "kinderarmut", 2024, catalogue=CAT
    )
    assert text.startswith("In einem von 4 Sozialräumen liegt die Kinderarmut signifikant über")
    assert "In keinem Sozialraum liegt sie signifikant darunter." in text
    text = significance_summary(_table("kinderarmut", ["ähnlich"] * 3), "kinderarmut", 2024, catalogue=CAT)
    assert text.startswith("In keinem der 3 Sozialräume liegt die Kinderarmut signifikant über")
    text = significance_summary(_table("kinderarmut", ["schlechter"] * 2), "kinderarmut", 2024, catalogue=CAT)
    assert text.startswith("In allen 2 Sozialräumen liegt")


def test_summary_good_and_neutral_polarity():
    cmp = ["schlechter"] * 3 + ["besser"] * 5 + ["ähnlich"] * 2
    text = significance_summary(
        _table("beschaeftigung", cmp, city=55.0), "beschaeftigung", 2024, catalogue=CAT
    )
    assert text.startswith(
        "In 3 von 10 Sozialräumen liegt die Beschäftigungsquote signifikant unter dem städtischen Wert"
    )
    assert "In 5 Sozialräumen liegt sie signifikant darüber (günstiger)." in text
    cmp = ["höher"] * 4 + ["niedriger"] * 1 + ["ähnlich"] * 5
    text = significance_summary(_table("auslaender", cmp), "auslaender", 2024, catalogue=CAT)
    assert text.startswith("In 4 von 10 Sozialräumen liegt der Ausländeranteil signifikant über")
    assert text.endswith("In einem Sozialraum liegt er signifikant darunter.")
    assert "günstig" not in text


def test_summary_rates_districts_not_compared_and_no_interval():
    cmp = ["schlechter", "nicht verglichen", "ähnlich"]
    t = _table("hze", cmp, city=12.345, suppressed=[False, True, False], level="stadtbezirk")
    text = significance_summary(t, "hze", 2024, level="stadtbezirk", catalogue=CAT)
    assert f"städtischen Wert von 12,3{NBSP}je 1.000 (95-%-Konfidenzintervall, Poisson/Byar)" in text
    assert text.startswith("In einem von 3 Stadtbezirken")
    assert text.endswith(
        "1 Stadtbezirk wurde nicht verglichen (Zähler unter der Geheimhaltungsgrenze oder Wert nicht berechenbar)."
    )
    t = _table("hze", ["nicht verglichen"] * 2 + ["ähnlich"], suppressed=[True, True, False])
    assert "2 Sozialräume wurden nicht verglichen" in significance_summary(t, "hze", 2024, catalogue=CAT)
    text = significance_summary(
        _table("saldo", ["nicht verglichen"] * 3, city=4.0), "saldo", 2024, catalogue=CAT
    )
    assert text.startswith("Für den Wanderungssaldo wird kein Konfidenzintervall berechnet")
    assert f"4,0{NBSP}je 1.000" in text
    text = significance_summary(
        _table("kinderarmut", ["nicht verglichen"] * 3, city=np.nan), "kinderarmut", 2024, catalogue=CAT
    )
    assert text.startswith("Der städtische Wert für die Kinderarmut ist 2024 nicht verfügbar")
    assert "nan" not in text.lower()


def test_summary_errors():
    t = _table("kinderarmut", ["ähnlich"] * 3)
    with pytest.raises(ConfigError, match="keine Werte"):
        significance_summary(t, "kinderarmut", 2020, catalogue=CAT)
    with pytest.raises(ConfigError, match="Ebene"):
        significance_summary(t, "kinderarmut", 2024, level="stadt", catalogue=CAT)
    with pytest.raises(ConfigError, match="nicht im Katalog"):
        significance_summary(t, "gibtsnicht", 2024, catalogue=CAT)


def _profile_rows():
    rows = []
    spec = [  # indicator, value, city, cmp95, cmp998, suppressed
        ("kinderarmut", 38.24, 18.9, "schlechter", "schlechter", False),
        ("beschaeftigung", 50.0, 55.0, "schlechter", "ähnlich", False),
        ("auslaender", 30.0, 15.0, "höher", "höher", False),  # relative difference 1.0 < 1.02 (Kinderarmut)
        ("hze", 30.0, 10.0, "nicht verglichen", "nicht verglichen", True),  # suppressed: never mentioned
        ("saldo", 50.0, 1.0, "nicht verglichen", "nicht verglichen", False),
    ]
    for ind, v, c, c95, c998, s in spec:
        t = _table(ind, [c95], values=[v], city=c, suppressed=[s])
        t["cmp_city_998"] = c998
        rows.append(t)
    return pd.concat(rows, ignore_index=True)


def test_largest_differences_order_wording_and_suppression():
    sentences = largest_differences(_profile_rows(), "0101", 2024, n=3, catalogue=CAT)
    assert sentences == [
        f"Die Kinderarmut liegt mit 38,2{NBSP}% deutlich über dem städtischen Wert von 18,9{NBSP}%.",
        f"Der Ausländeranteil liegt mit 30,0{NBSP}% deutlich über dem städtischen Wert von 15,0{NBSP}%.",
        f"Die Beschäftigungsquote liegt mit 50,0{NBSP}% unter dem städtischen Wert von 55,0{NBSP}%.",
    ]
    assert len(largest_differences(_profile_rows(), "0101", 2024, n=1, catalogue=CAT)) == 1
    joined = " ".join(largest_differences(_profile_rows(), "0101", 2024, n=10, catalogue=CAT))
    assert "HzE" not in joined and "30,0" + NBSP + "je" not in joined


def test_largest_differences_nothing_significant_and_errors():
    t = _table("kinderarmut", ["ähnlich"])
    assert largest_differences(t, "0101", 2024, catalogue=CAT) == [
        "Gebiet 1 weicht 2024 bei keinem Indikator signifikant vom städtischen Wert ab."
    ]
    with pytest.raises(ConfigError, match="0999"):
        largest_differences(t, "0999", 2024, catalogue=CAT)
    with pytest.raises(ConfigError):
        largest_differences(t, "0101", 2024, n=0, catalogue=CAT)


def test_format_value_units():
    assert format_value(18.94, CAT["kinderarmut"]) == f"18,9{NBSP}%"
    assert format_value(1234.56, CAT["hze"]) == f"1.234,6{NBSP}je 1.000"


def test_sentences_from_compute():
    """End to end: a small city from compute() gives the expected counts in the summary sentence."""
    areas = [f"01{i:02d}" for i in range(1, 7)]
    years = range(2020, 2025)
    pop = pd.DataFrame(
        [(a, y, "w", 30, "deutsch", 1000) for a in areas for y in years],
        columns=["area_id", "year", "sex", "age", "nationality", "count"],
    )
    share = dict(zip(areas, [50, 100, 150, 200, 400, 2], strict=True))  # city = 902 / 6000 = 15.03 %
    counts = pd.DataFrame(
        [
            (a, y, "m1", float(share[a]) if share[a] >= 3 else np.nan, share[a] < 3)
            for a in areas
            for y in years
        ],
        columns=["area_id", "year", "measure", "value", "suppressed"],
    )
    counts.loc[counts["suppressed"], "value"] = np.nan
    keys = pd.DataFrame({"area_id": areas, "area_name": areas, "district_id": "01", "district_name": "Mitte"})
    # the suppressed area makes the city value unknown → nothing is compared
    t = compute(CAT, pop, counts, keys, indicators=["kinderarmut"])
    assert "nicht verfügbar" in significance_summary(t, "kinderarmut", 2024, catalogue=CAT)
    counts.loc[counts["area_id"] == "0106", ["value", "suppressed"]] = [0.0, False]
    t = compute(CAT, pop, counts, keys, indicators=["kinderarmut"])  # city = 900 / 6000 = 15 %
    text = significance_summary(t, "kinderarmut", 2024, catalogue=CAT)
    # 20 % and 40 % above; 5 %, 10 % and 0 % below; 15 % similar
    assert text.startswith(
        f"In 2 von 6 Sozialräumen liegt die Kinderarmut signifikant über dem städtischen Wert von 15,0{NBSP}%"
    )
    assert "In 3 Sozialräumen liegt sie signifikant darunter (günstiger)." in text
    top = largest_differences(t, "0105", 2024, catalogue=CAT)
    assert top == [
        f"Die Kinderarmut liegt mit 40,0{NBSP}% deutlich über dem städtischen Wert von 15,0{NBSP}%."
    ]
