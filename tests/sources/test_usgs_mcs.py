"""USGS Mineral Commodity Summaries parser: 2023, 2024 and 2025 publisher layouts.

Fixtures under fixtures/usgs/ are a few hand-written rows in each layout exactly as the
publisher writes it (UTF-8 BOM, CRLF, quoting, W/NA/XX/e/>/< markers, footnote numbers
glued to country names, trailing spaces in commodity names, unnamed trailing columns).
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import pandas as pd
import pytest

from minsec.errors import InputError
from minsec.sources import REGISTRY, usgs_mcs
from minsec.sources.base import Parsed
from minsec.sources.usgs_common import find_place, parse_cell
from minsec.sources.usgs_salient import split_unit, statistic_of
from minsec.store import Store
from tests.conftest import shared_data

FIXTURES = Path(__file__).parent / "fixtures" / "usgs"
WORLD_2025 = FIXTURES / "mcs2025" / "world_data" / "MCS2025_World_Data.csv"
BOM = "\ufeff"


def parse(path: Path, **kw: str) -> Parsed:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return usgs_mcs.parse(path, **kw)


def one(frame: pd.DataFrame, **where: object) -> pd.Series:
    sel = frame
    for col, val in where.items():
        sel = sel[sel[col] == val]
    assert len(sel) == 1, f"{len(sel)} rows for {where}"
    return sel.iloc[0]


def write_csv(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((BOM + "\r\n".join(lines) + "\r\n").encode("utf-8"))
    return path


WORLD_2025_HEADER = (
    "SOURCE,COMMODITY,COUNTRY,TYPE,UNIT_MEAS,PROD_2023,PROD_EST_ 2024,PROD_NOTES,CAP_2023,"
    "CAP_EST_ 2024,CAP_NOTES,RESERVES_2024,RESERVE_NOTES"
)


# -- cells, names and headers ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "flag"),
    [
        ("1,240", 1240, None),
        (" e24,000", 24000, "e"),
        (">17,000,000", 17000000, ">"),
        ("<1,000", 1000, "<"),
        ("W ", None, "W"),
        ("             NA", None, "NA"),
        ("XX", None, "XX"),
        ("E", None, "E"),
        ("\u221288", -88, None),
        ("Less than ½ unit.", 0.5, "<"),
        ("Less than 1/2 unit.", 0.5, "<"),
        ("50\u2013300", None, "50-300"),
        ('Categorized as "Large"', None, "large"),
        ("Included in World total.", None, "incl"),
        ("Variable, depending on type of product", None, "variable"),
    ],
)
def test_cells_keep_publisher_markers(text: str, value: float | None, flag: str | None) -> None:
    cell = parse_cell(text)
    assert cell is not None
    assert (None if cell.value is None else float(cell.value)) == value
    assert cell.flag == flag


def test_cell_with_its_own_unit_and_unreadable_text() -> None:
    cell = parse_cell("Less than 50,000\u00a0tons")
    assert cell is not None and cell.unit == "t" and float(cell.value or 0) == 50000
    assert parse_cell("  ") is None
    with pytest.raises(ValueError, match="cannot read 'about ten'"):
        parse_cell("about ten")


@pytest.mark.parametrize(
    ("raw", "country", "qualifier", "estimated"),
    [
        ("Congo (Kinshasa)", "COD", None, False),
        ("Burma", "MMR", None, False),
        ("Korea, Republic of", "KOR", None, False),
        ("Korea, Republic ofe", "KOR", None, True),
        ("New Caledonia11", "NCL", None, False),
        ("Côte d’Ivoire", "CIV", None, False),
        ("Brazil (beneficiated)", "BRA", "beneficiated", False),
        ("Argentina, crude ore", "ARG", "crude ore", False),
        ("World total (rounded)", "WORLD", None, False),
        ("World total (ilmenite, rounded)", "WORLD", "ilmenite", False),
        ("World total (rounded)10", "WORLD", None, False),
        ("Other countries\u00a0", "OTHER", None, False),
        ("Other countriese", "OTHER", None, True),
        ("United\u00a0States and Canada", "USA+CAN", None, False),
    ],
)
def test_usgs_country_names(raw: str, country: str, qualifier: str | None, estimated: bool) -> None:
    place = find_place(raw)
    assert place is not None
    assert (place.country, place.qualifier, place.estimated) == (country, qualifier, estimated)


@pytest.mark.parametrize(
    ("header", "statistic", "unit"),
    [
        ("USprod_Mine_t", "production_mine", "t"),
        ("Imports_Metalkg", "imports_metal", "kg"),
        ("Consump_Apparent_kt", "apparent_consumption", "t"),
        ("Consump_Reportedt", "reported_consumption", "t"),
        ("Consump_Sponge_Apparent_t", "apparent_consumption_sponge", "t"),
        ("Price_LME_dlb", "price_lme", "USD/lb"),
        ("Price_WO3dt", "price_wo3", "USD/t"),
        ("Bauxite_Price_kt", "price_bauxite", None),  # publisher's unit is not a price unit
        ("NIR_pct", "net_import_reliance_pct", "%"),
        ("NIR_ct", "net_import_reliance_pct", "%"),
        ("NIR_NIR_pct", "net_import_reliance_pct", "%"),
        ("Bauxite_NIR_pct", "net_import_reliance_pct_bauxite", "%"),
        ("HPQProduction_t", "production_hpq", "t"),
        ("Employment_Sponge_t", "employment_sponge", "count"),
        ("Grade-A-Salesmcm", "sales_grade_a", "m3"),
        ("Imports_GeO2_kg", "imports_geo2", "kg"),
        ("Stocks_", "stocks", None),
        ("CASE STATEMENT ERROROre_dt", "price_ore", "USD/t"),
        ("CASE STATEMENT ERRORkt", "unlabelled", "t"),
        ("Prod_Price_index", "production_price", "index"),
    ],
)
def test_salient_headers_give_statistic_and_unit(
    header: str, statistic: str, unit: str | None
) -> None:
    rest, codes = split_unit(header)
    got, got_unit = statistic_of(rest, codes[0] if codes else None)
    assert got == statistic
    assert (got_unit.unit if got_unit else None) == unit


# -- 2025 world data --------------------------------------------------------------------------


def test_2025_world_values_flags_units() -> None:
    t = parse(WORLD_2025).tables
    prod, res, cap = t["production"], t["reserves"], t["capacity"]
    cod = one(prod, commodity="cobalt", country="COD", year=2023)
    assert (cod.quantity, cod.unit, cod.stage) == (175000.0, "t", "mine")
    assert pd.isna(cod.flag) and cod.basis == "cobalt content"
    assert cod.source_country == "Congo (Kinshasa)" and cod.source_row == 7
    assert one(prod, commodity="cobalt", country="COD", year=2024).flag == "e"  # PROD_EST_
    assert one(prod, commodity="cobalt", country="WORLD", year=2023).quantity == 238000
    assert one(prod, commodity="cobalt", country="OTHER", year=2024).quantity == 6200
    # thousand metric tons scaled; "estimated 2023" note marks 2023
    alu = one(prod, commodity="aluminium", country="CAN", year=2023)
    assert (alu.quantity, alu.stage, alu.flag) == (3_200_000.0, "smelter", "e")
    assert one(cap, commodity="aluminium", country="CAN", year=2024).quantity == 3_270_000
    # "Gemanium", trailing spaces and "W for 23-24"
    ge = prod[prod.commodity == "germanium"]
    assert sorted(ge.year) == [2023, 2024] and ge.quantity.isna().all() and set(ge.flag) == {"W"}
    assert one(prod, commodity="iron_ore", country="AUS", year=2023).source_commodity == "Iron Ore"
    # "Less than 1/2 unit" in a note, million cubic meters
    he = one(prod, commodity="helium", country="ZAF", year=2024)
    assert (he.quantity, he.unit, he.flag) == (500_000.0, "m3", "<")
    assert one(prod, commodity="boron", country="WORLD", year=2023).flag == "XX"
    assert one(prod, commodity="rare_earths", country="MMR", year=2024).quantity == 31000
    # bounds keep the number
    potash = one(res, commodity="potash", country="WORLD")
    assert (potash.quantity, potash.flag, potash.year) == (1e10, ">", 2024)
    assert potash.basis == "recoverable ore"
    assert one(res, commodity="potash", country="ISR").flag == "large"
    assert one(res, commodity="rare_earths", country="MMR").flag == "NA"


def test_2025_units_from_notes_and_errata() -> None:
    t = parse(WORLD_2025).tables
    res = t["reserves"]
    # "(Reserve data is thousand metric tons)" on one row holds for the commodity's table
    assert one(res, commodity="molybdenum", country="USA").quantity == 3_500_000
    assert one(res, commodity="molybdenum", country="CHL").quantity == 1_400_000
    iron = one(res, commodity="iron_ore", country="AUS")
    assert iron.quantity == 27_000e6 and "iron content" in iron.basis.lower()
    # MCS2025 states titanium mineral concentrates in metric tons; values are thousand t.
    # An empty UNIT_MEAS takes the unit of its commodity and TYPE.
    prod = t["production"]
    assert one(prod, commodity="titanium", country="AUS", year=2023).quantity == 200_000
    assert one(prod, commodity="titanium", country="SLE", year=2023).quantity == 110_000


def test_2025_products_capacity_and_combined_countries() -> None:
    t = parse(WORLD_2025).tables
    prod, res, cap = t["production"], t["reserves"], t["capacity"]
    # PGM table: palladium production, reserves of all platinum-group metals
    assert one(prod, commodity="palladium", country="RUS", year=2023).unit == "kg"
    pgm = one(res, commodity="platinum_group_metals", country="RUS")
    assert pgm.quantity == 16_000_000 and pd.isna(pgm.basis)
    # TYPE "Clinker capacity" in production columns goes to capacity
    assert "cement" not in set(prod.commodity)
    clinker = one(cap, commodity="cement", country="CHN", year=2023)
    assert (clinker.quantity, clinker.stage) == (2e9, "plant")
    assert one(cap, commodity="fused_alumina", country="USA+CAN", year=2023).quantity == 60000
    # a reserve the note says is "not a reserve" is left out; its capacity stays
    assert "magnesium" not in set(res.commodity)
    assert one(cap, commodity="magnesium", country="USA", year=2024).quantity == 64000


# -- 2024 and 2023 per-commodity files --------------------------------------------------------


def test_2024_world_file_alone() -> None:
    parsed = parse(FIXTURES / "mcs2024" / "world" / "mcs2024-cobal_world.csv")
    assert parsed.source == "usgs_mcs2024" and set(parsed.tables) == {"production", "reserves"}
    prod, res = parsed.tables["production"], parsed.tables["reserves"]
    assert one(prod, country="COD", year=2023).quantity == 170000
    assert set(prod.flag) == {"e"}  # both columns are Prod_t_est_
    ncl = one(prod, country="NCL", year=2022)  # "New Caledonia11"
    assert ncl.source_country == "New Caledonia11" and ncl.basis == "contained cobalt"
    assert one(res, country="NCL").flag == "NA"
    assert one(res, country="WORLD").year == 2023  # Reserves_t: end of the year before
    assert pd.isna(one(res, country="RUS").flag)  # "Russiae" marks production only


def test_2024_kt_scaled_and_estimate_glued_to_country() -> None:
    t = parse(FIXTURES / "mcs2024" / "world" / "mcs2024-zinc_world.csv").tables
    prod = t["production"]
    assert one(prod, country="USA", year=2022).quantity == 761_000
    assert pd.isna(one(prod, country="USA", year=2022).flag)
    kor = one(prod, country="KOR", year=2022)  # "Korea, Republic ofe", "1,240"
    assert (kor.quantity, kor.flag) == (1_240_000, "e")
    assert one(t["reserves"], country="WORLD").quantity == 220e6


def test_2023_layout_note_units_products_and_capacity() -> None:
    t = parse(FIXTURES / "mcs2023").tables
    prod, cap, res = t["production"], t["capacity"], t["reserves"]
    # Prod_t_2021 with the note "Units are thousand metric tons"
    assert one(prod, commodity="chromium", country="ZAF", year=2021).quantity == 18e6
    assert one(res, commodity="chromium", country="TUR").quantity == 26e6
    assert one(prod, commodity="palladium", country="RUS", year=2021).flag == "e"
    assert one(prod, commodity="platinum", country="RUS", year=2022).quantity == 20000
    assert set(res[res.country == "RUS"].flag.fillna("-")) == {"incl", "-"}
    # Prod_Sponge_*, Cap_Sponge_*, Cap_Pigment_* in one file
    sponge = one(prod, commodity="titanium_metal", country="CHN", year=2021)
    assert (sponge.quantity, sponge.stage, sponge.flag) == (140000.0, "plant", "e")
    assert one(prod, commodity="titanium_metal", country="USA", year=2022).flag == "W"
    assert one(cap, commodity="titanium_metal", country="CHN").quantity == 181000
    assert one(cap, commodity="titanium_dioxide", country="USA").quantity == 1_370_000


# -- salient statistics and figure 2 -------------------------------------------------------


def test_salient_long_form_flags_and_units() -> None:
    s = parse(FIXTURES / "mcs2025" / "salient_commodity" / "mcs2025-cobal_salient.csv")
    frame = s.tables["salient"]
    assert set(s.tables) == {"salient"} and set(frame.country) == {"USA"}
    assert one(frame, year=2022, statistic="production_mine").value == 500
    w = one(frame, year=2023, statistic="production_mine")
    assert pd.isna(w.value) and (w.flag, w.unit) == ("W", "t")
    nir = one(frame, year=2023, statistic="net_import_reliance_pct")
    assert (nir.value, nir.unit, nir.flag) == (50.0, "%", ">")
    assert one(frame, year=2024, statistic="production_secondary").flag == "e"
    assert one(frame, year=2024, statistic="stocks_lme").flag == "<"
    assert one(frame, year=2023, statistic="stocks_industry").flag == "NA"
    assert one(frame, year=2022, statistic="price_spot").unit == "USD/lb"
    assert {"apparent_consumption", "estimated_consumption"} <= set(frame.statistic)


def test_salient_glued_units_net_exporter_and_typo_grams() -> None:
    frame = parse(FIXTURES / "mcs2025" / "salient_commodity" / "mcs2025-galli_salient.csv").tables[
        "salient"
    ]
    assert one(frame, year=2024, statistic="imports_gaas").value == 140000
    assert one(frame, year=2024, statistic="imports_gaas").unit == "kg"
    # "Consump_g" next to kg columns is kg (the publisher's typo), not grams
    assert one(frame, year=2024, statistic="consumption").value == 18000
    nir = one(frame, year=2024, statistic="net_import_reliance_pct")
    assert pd.isna(nir.value) and nir.flag == "E"


def test_salient_garbled_headers_keep_what_can_be_read() -> None:
    frame = parse(FIXTURES / "mcs2024" / "salient" / "mcs2024-nicke_salient.csv").tables["salient"]
    prices = frame[(frame.year == 2022) & (frame.statistic == "price")]
    assert sorted(zip(prices.unit, prices.value, strict=True)) == [
        ("USD/lb", 11.61),
        ("USD/t", 25605.0),
    ]
    assert one(frame, year=2022, statistic="unlabelled").flag == "W"
    assert one(frame, year=2022, statistic="reported_consumption").value == 120000
    assert one(frame, year=2022, statistic="net_import_reliance_pct").unit == "%"


def test_salient_rows_beyond_the_header_are_not_read() -> None:
    path = FIXTURES / "mcs2024" / "salient" / "mcs2024-felds_salient.csv"
    with pytest.warns(UserWarning, match=r"rows \[3\] not read"):
        parsed = usgs_mcs.parse(path)
    frame = parsed.tables["salient"]
    assert set(frame.year) == {2022}
    assert "mcs2024-felds_salient.csv rows 3" in (parsed.version or "")


def test_release_folder_reads_world_salient_and_fig2() -> None:
    parsed = parse(FIXTURES / "mcs2025")
    assert parsed.source == "usgs_mcs2025" and parsed.kind == "usgs-mcs"
    assert parsed.version == "MCS 2025 data release (doi:10.5066/P13XCP3R)"
    assert parsed.licence == "US public domain (USGS)"
    assert set(parsed.tables) == {"production", "capacity", "reserves", "salient"}
    sal = parsed.tables["salient"]
    assert one(sal, commodity="cesium", statistic="net_import_reliance_pct").value == 100
    ti = one(sal, commodity="titanium_metal", year=2024)
    assert (ti.value, ti.flag) == (95.0, ">")
    assert set(sal[sal.commodity == "mica"].statistic) == {
        "net_import_reliance_pct_sheet",
        "net_import_reliance_pct_scrap_and_flake",
    }
    # the figure repeats the cobalt salient value: imported once
    assert (
        len(
            sal[
                (sal.commodity == "cobalt")
                & (sal.year == 2024)
                & sal.statistic.str.startswith("net_")
            ]
        )
        == 1
    )


def test_world_data_named_salient_is_left_out_with_a_warning() -> None:
    with pytest.warns(UserWarning) as caught:
        parsed = usgs_mcs.parse(FIXTURES / "mcs2024")
    assert any("named salient but holds world data" in str(w.message) for w in caught)
    assert "mcs2024-cobal_salient.csv" in (parsed.version or "")
    prod = parsed.tables["production"]
    assert len(prod[(prod.commodity == "cobalt") & (prod.country == "USA")]) == 2


def test_registry_and_source_id() -> None:
    parsed = REGISTRY["usgs-mcs"].parse(WORLD_2025, source_id="mcs_test")
    assert parsed.source == "mcs_test"
    assert usgs_mcs.parse(WORLD_2025).sha256 == parsed.sha256


# -- errors ----------------------------------------------------------------------------------


def test_unknown_country_names_file_row_column_and_suggests(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "mcs2025" / "MCS2025_World_Data.csv",
        [
            WORLD_2025_HEADER,
            'MCS2025,Cobalt,Australia,"Mine production",metric tons,5220,3600,,,,,,',
            'MCS2025,Cobalt,Cuba,"Mine production",metric tons,3300,3500,,,,,,',
            'MCS2025,Cobalt,Madagaskar,"Mine production",metric tons,4000,2600,,,,,,',
        ],
    )
    with pytest.raises(InputError) as err:
        usgs_mcs.parse(path)
    e = err.value
    assert (Path(str(e.path)), e.row, e.column) == (path, 4, "COUNTRY")
    assert "Madagaskar" in e.message and "Madagascar" in (e.hint or "")


def test_unknown_commodity_names_file_row_column_and_suggests(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "MCS2025_World_Data.csv",
        [WORLD_2025_HEADER, 'MCS2025,Cobbalt,Cuba,"Mine production",metric tons,3300,3500,,,,,,'],
    )
    with pytest.raises(InputError) as err:
        usgs_mcs.parse(path)
    assert (err.value.row, err.value.column) == (2, "COMMODITY")
    assert "'Cobalt'" in (err.value.hint or "")
    assert "commodities.toml" in err.value.message


def test_unknown_salient_commodity_and_unreadable_value(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "mcs2025-unobt_salient.csv",
        ["DataSource,Commodity,Year,USprod_t,NIR_pct", "MCS2025,Unobtainium,2024,5,100"],
    )
    with pytest.raises(InputError, match="unknown commodity 'Unobtainium'") as err:
        usgs_mcs.parse(path)
    assert (err.value.row, err.value.column) == (2, "Commodity")
    path = write_csv(
        tmp_path / "mcs2025-cobal_salient.csv",
        ["DataSource,Commodity,Year,USprod_t,NIR_pct", "MCS2025,Cobalt,2024,5,about half"],
    )
    with pytest.raises(InputError, match="cannot read 'about half'") as err:
        usgs_mcs.parse(path)
    assert (err.value.row, err.value.column) == (2, "NIR_pct")


def test_wrong_header_is_a_clear_error(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "mcs2025-cobal_world.csv", ["Country,Amount", "Cuba,3"])
    with pytest.raises(InputError, match="not a USGS MCS data-release file") as err:
        usgs_mcs.parse(path)
    assert err.value.row == 1
    path = write_csv(
        tmp_path / "mcs2024-cobal_world.csv",
        ["Source,Country,Type,Prod_t_2022,Tonnage_2023", "MCS2024,Cuba,Mine production,3,4"],
    )
    with pytest.raises(InputError, match="unexpected column 'Tonnage_2023'") as err:
        usgs_mcs.parse(path)
    assert (err.value.row, err.value.column) == (1, "Tonnage_2023")
    path = write_csv(
        tmp_path / "mcs2024-cobal_world.csv",
        ["Source,Country,Type,Prod_2022", "MCS2024,Cuba,Mine production,3"],
    )
    with pytest.raises(InputError, match="name no unit"):
        usgs_mcs.parse(path)


def test_files_of_other_kinds_and_releases(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no USGS MCS files"):
        usgs_mcs.parse(tmp_path)
    with pytest.raises(InputError, match="no such file"):
        usgs_mcs.parse(tmp_path / "missing.csv")
    shutil.copy(WORLD_2025, tmp_path / WORLD_2025.name)
    shutil.copy(FIXTURES / "mcs2023/salient/mcs2023-zinc_salient.csv", tmp_path)
    with pytest.raises(InputError, match=r"several releases \[2023, 2025\]"):
        usgs_mcs.parse(tmp_path)
    bad_code = write_csv(
        tmp_path / "x" / "mcs2024-xyzzy_world.csv",
        ["Source,Country,Type,Prod_t_2022", "MCS2024,Cuba,Mine production,3"],
    )
    with pytest.raises(InputError, match="cannot tell the commodity from the file name"):
        usgs_mcs.parse(bad_code)


# -- store ---------------------------------------------------------------------------------


def test_import_is_transactional_and_reimport_is_a_noop(tmp_store: Store, tmp_path: Path) -> None:
    parsed = parse(FIXTURES / "mcs2025")
    result = parsed.write(tmp_store)
    assert not result.skipped and result.rows["production"] == len(parsed.tables["production"])
    counts = tmp_store.counts()
    assert counts["provenance"] == 1 and counts["salient"] == len(parsed.tables["salient"])
    again = parse(FIXTURES / "mcs2025").write(tmp_store)
    assert again.skipped and tmp_store.counts() == counts

    # a bad file of the same release raises before the store is touched
    folder = tmp_path / "mcs2025"
    shutil.copytree(FIXTURES / "mcs2025", folder)
    world = folder / "world_data" / "MCS2025_World_Data.csv"
    text = world.read_bytes().decode("utf-8").replace("Burma", "Burmah")
    world.write_bytes(text.encode("utf-8"))
    with pytest.raises(InputError, match="Burmah"):
        parse(folder).write(tmp_store)
    assert tmp_store.counts() == counts

    # a failure inside the import transaction rolls everything back
    changed = parse(WORLD_2025)

    def boom(con: object) -> dict[str, int]:
        raise RuntimeError("disk full")

    changed.writer = boom
    with pytest.raises(RuntimeError, match="disk full"):
        changed.write(tmp_store)
    assert tmp_store.counts() == counts
    cobalt = tmp_store.query(
        "SELECT quantity FROM production WHERE commodity = 'cobalt' AND country = 'COD' "
        "AND year = 2023 AND source = 'usgs_mcs2025'"
    )
    assert cobalt.quantity.tolist() == [175000.0]


# -- the publisher's files (../shared/data) ------------------------------------------------------


@pytest.fixture(scope="module")
def mcs2025() -> Parsed:
    return parse(shared_data("usgs_mcs2025"))


@pytest.mark.integration
def test_mcs2025_every_row_parses(mcs2025: Parsed) -> None:
    from minsec.sources.usgs_common import read_csv

    world = shared_data("usgs_mcs2025", "world_data", "MCS2025_World_Data.csv")
    table = read_csv(world)
    # every row with a production value (not a capacity TYPE) reaches `production`
    with_values = {
        line
        for line, cells in table.records()
        if (cells[5].strip() or cells[6].strip()) and "capacity" not in cells[3].lower()
    }
    prod = mcs2025.tables["production"]
    assert len(with_values) > 1000
    assert with_values <= set(prod.source_row)
    assert set(prod.source_row) <= {line for line, _ in table.records()}
    assert len(set(prod.commodity)) >= 70
    assert len(set(prod.commodity) | set(mcs2025.tables["salient"].commodity)) >= 80
    assert not prod.country.isna().any() and not prod.commodity.isna().any()
    assert set(prod.unit) == {"t", "kg", "ct", "m3"}


@pytest.mark.integration
def test_mcs2025_cobalt_congo_as_published(mcs2025: Parsed) -> None:
    prod = mcs2025.tables["production"]
    cod = one(prod, commodity="cobalt", country="COD", year=2023)
    assert (cod.quantity, cod.unit, cod.stage) == (175000.0, "t", "mine")
    assert one(prod, commodity="cobalt", country="WORLD", year=2024).quantity == 290000
    worlds = prod[prod.country == "WORLD"]
    assert len(set(worlds.commodity)) >= 60
    salient = mcs2025.tables["salient"]
    nir = salient[(salient.statistic == "net_import_reliance_pct") & (salient.year == 2024)]
    assert len(nir) >= 50


@pytest.mark.integration
@pytest.mark.parametrize("release", [2023, 2024])
def test_older_releases_parse(release: int) -> None:
    parsed = parse(shared_data(f"usgs_mcs{release}"))
    prod = parsed.tables["production"]
    assert parsed.source == f"usgs_mcs{release}"
    assert len(set(prod.commodity)) >= 70
    cod = one(prod, commodity="cobalt", country="COD", year=release - 1)
    assert cod.quantity > 100_000 and cod.unit == "t"
    assert len(parsed.tables["salient"]) > 4000


@pytest.mark.integration
def test_releases_agree_on_overlapping_years() -> None:
    """The same figure in two releases differs by revisions, never by a unit factor."""
    frames = []
    for release in (2024, 2025):
        prod = parse(shared_data(f"usgs_mcs{release}")).tables["production"]
        frames.append(prod.dropna(subset=["quantity"]).assign(release=release))
    both = pd.concat(frames)
    wide = (
        both.groupby(["commodity", "stage", "country", "year", "release"])["quantity"]
        .sum()
        .unstack("release")
    )
    wide = wide.dropna()
    wide = wide[(wide[2024] > 0) & (wide[2025] > 0)]
    ratio = wide[2025] / wide[2024]
    assert len(wide) > 500
    assert ((ratio > 20) | (ratio < 0.05)).sum() <= 2  # known revisions (e.g. Burundi Ta)


@pytest.mark.integration
def test_mcs2025_store_import(tmp_store: Store, mcs2025: Parsed) -> None:
    result = mcs2025.write(tmp_store)
    assert result.total == sum(len(t) for t in mcs2025.tables.values())
    assert mcs2025.write(tmp_store).skipped
