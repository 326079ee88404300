"""USGS MCS world data: mine, refinery and plant production, capacity and reserves.

Two publisher layouts are read:

* 2025: one file ``MCS2025_World_Data.csv`` with the columns ``SOURCE, COMMODITY,
  COUNTRY, TYPE, UNIT_MEAS, PROD_2023, PROD_EST_ 2024, PROD_NOTES, CAP_2023,
  CAP_EST_ 2024, CAP_NOTES, RESERVES_2024, RESERVE_NOTES``;
* 2023 and 2024: one file per commodity (``mcs2024-cobal_world.csv``) with the columns
  ``Source, Country, Type`` and value columns whose names carry table, qualifier, unit,
  estimate mark and year (``Prod_t_2022``, ``Prod_kt_est_2023``, ``Cap_Pigment_t_2023``,
  ``Reserves_ore_K2O_equiv_kt``); the commodity comes from the file-name code.

Normalisation:

* **stage** from TYPE (or the column qualifier): ``mine``, ``smelter``, ``refinery`` or
  ``plant`` (plant capacity, sponge, pigment, clinker, lime, raw steel, synthetic); when
  TYPE names no stage, the commodity's first catalog stage. TYPE rows that say
  "capacity" go to the ``capacity`` table even in production columns.
* **unit**: ``t``, ``kg``, ``ct`` or ``m3``; thousand and million units are scaled to
  these base units. Reserve notes such as "Crude Ore, million metric tons" override the
  row unit for reserves.
* **basis**: what TYPE says is counted ("contained cobalt", "usable ore", "TiO2
  content"), the country qualifier ("beneficiated"), dry weight, column qualifiers and
  short notes ("crude borates"), joined with ``"; "``.
* **commodity**: the USGS name through the catalog; a few USGS tables hold several
  products that the catalog keeps apart (``PRODUCTS``): palladium and platinum in the
  platinum-group metals table, alumina in bauxite, fused alumina and silicon carbide in
  abrasives, bentonite and kaolin in clays, pig iron and raw steel, titanium dioxide
  pigment next to sponge, gem diamond in gemstones.
* **countries**: ``WORLD`` for world totals (as published, rounded), ``OTHER`` for "other
  countries", ``USA+CAN`` for a figure USGS gives for two countries together.

Empty cells are not data and yield no row unless a note gives them a marker ("W for
23-24", "NA"). A reserve that a note says is "not a reserve" is left out. Unnamed
columns are ignored (in the 2024 release some hold a copy of a named column or notes
shifted by one column); :func:`parse_table` warns when they hold anything.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from minsec.catalog import commodities
from minsec.catalog._names import normalise, suggestion
from minsec.errors import InputError
from minsec.sources.usgs_common import (
    QUANTITY_CODES,
    UNIT_TEXT,
    Cell,
    Place,
    Table,
    Unit,
    cell_at,
    clean,
    commodity_at,
    parse_cell,
    place_at,
    unit_from_text,
)

#: USGS file-name codes of the per-commodity files (2023, 2024) → USGS commodity name.
CODES: dict[str, str] = {
    "abras": "Abrasives",
    "alum": "Aluminum",
    "alumi": "Aluminum",
    "antim": "Antimony",
    "arsen": "Arsenic",
    "asbes": "Asbestos",
    "barit": "Barite",
    "bauxi": "Bauxite",
    "beryl": "Beryllium",
    "bismu": "Bismuth",
    "boron": "Boron",
    "bromi": "Bromine",
    "cadmi": "Cadmium",
    "cemen": "Cement",
    "chrom": "Chromium",
    "clays": "Clays",
    "cobal": "Cobalt",
    "coppe": "Copper",
    "diamo": "Diamond (industrial)",
    "diato": "Diatomite",
    "felds": "Feldspar",
    "feore": "Iron Ore",
    "fepig": "Iron oxide pigments",
    "fescr": "Iron and Steel Scrap",
    "fesla": "Iron and Steel Slag",
    "feste": "Iron and Steel",
    "fluor": "Fluorspar",
    "galli": "Gallium",
    "garne": "Garnet (industrial)",
    "gemst": "Gemstones",
    "germa": "Germanium",
    "gold": "Gold",
    "graph": "Graphite",
    "gypsu": "Gypsum",
    "heliu": "Helium",
    "indiu": "Indium",
    "iodin": "Iodine",
    "kyani": "Kyanite and Related Minerals",
    "lead": "Lead",
    "lime": "Lime",
    "lithi": "Lithium",
    "lithium": "Lithium",
    "manga": "Manganese",
    "mercu": "Mercury",
    "mgcomp": "Magnesium Compounds",
    "mgmet": "Magnesium metal",
    "mica": "Mica (Natural)",
    "molyb": "Molybdenum",
    "nicke": "Nickel",
    "niobi": "Niobium",
    "nitro": "Nitrogen(fixed) - Ammonia",
    "peat": "Peat",
    "perli": "Perlite",
    "phosp": "Phosphate rock",
    "plati": "Platinum-Group metals",
    "potas": "Potash",
    "pumic": "Pumice & Pumicite",
    "quart": "Quartz Crystal (Industrial)",
    "quartz": "Quartz Crystal (Industrial)",
    "raree": "Rare earths",
    "rareee": "Rare earths",
    "rheni": "Rhenium",
    "salt": "Salt",
    "sandc": "Sand and Gravel (Construction)",
    "sandi": "Sand and gravel (industrial)",
    "scand": "Scandium",
    "scandi": "Scandium",
    "selen": "Selenium",
    "silve": "Silver",
    "simet": "Silicon",
    "sodaa": "Soda ash",
    "stonc": "Stone (Crushed)",
    "stonec": "Stone (Crushed)",
    "stond": "Stone (Dimension)",
    "stron": "Strontium",
    "sulfu": "Sulfur",
    "talc": "Talc and Pyrophyllite",
    "tanta": "Tantalum",
    "tellu": "Tellurium",
    "thall": "Thallium",
    "thalli": "Thallium",
    "thori": "Thorium",
    "timin": "Titanium Mineral Concentrates",
    "tin": "Tin",
    "titan": "Titanium & titanium dioxide",
    "tungs": "Tungsten",
    "vanad": "Vanadium",
    "vermi": "Vermiculite",
    "wolla": "Wollastonite",
    "yttri": "Yttrium",
    "zeoli": "Zeolites (natural)",
    "zinc": "Zinc",
    "zirco": "Zirconium and Hafnium",
    "zirco-hafni": "Zirconium and Hafnium",
}

#: Products a USGS table holds besides its commodity: catalog commodity of the table →
#: (text in TYPE or the column name, catalog commodity, applies to reserves too).
PRODUCTS: dict[str, tuple[tuple[str, str, bool], ...]] = {
    "abrasives": (
        ("fused aluminum oxide", "fused_alumina", True),
        ("silicon carbide", "silicon_carbide", True),
    ),
    "bauxite": (("alumina", "alumina", True),),
    # reserves in the PGM table count all platinum-group metals
    "platinum_group_metals": (("palladium", "palladium", False), ("platinum", "platinum", False)),
    "clays": (("bentonite", "bentonite", True), ("kaolin", "kaolin", True)),
    "iron_steel": (("pig iron", "pig_iron", True), ("raw steel", "steel", True)),
    "titanium_metal": (("pigment", "titanium_dioxide", True),),
    "gemstones": (("diamond", "diamonds_gem", True),),
}

_T, _KT, _KG = QUANTITY_CODES["t"], QUANTITY_CODES["kt"], QUANTITY_CODES["kg"]

#: Units a release states wrongly, as its other releases and the MCS report tables show:
#: (release, commodity as published, table or "*") → (unit as published, true unit).
#: Each was found by comparing the same figures across the 2023, 2024 and 2025 releases.
ERRATA: dict[tuple[int, str, str], tuple[Unit, Unit]] = {
    # UNIT_MEAS "metric tons"; values are thousand t (MCS2024 Prod_kt: Australia ilmenite 400)
    (2025, "titanium mineral concentrates", "*"): (_T, _KT),
    # UNIT_MEAS "metric tons"; values are thousand t (MCS2024 Prod_kt: United States 130,000)
    (2025, "sand and gravel (industrial)", "*"): (_T, _KT),
    # Reserves_kt; values are kg (MCS2024 Reserves_kg and MCS2025: United States 400,000 kg)
    (2023, "rhenium", "reserves"): (_KT, _KG),
    # Reserves_t; values are thousand t (MCS2024 Reserves_kt: United States 45)
    (2023, "vanadium", "reserves"): (_T, _KT),
    # Reserves_kt; values are t (MCS2023 Reserves_t and MCS2025: United States 10,000 t)
    (2024, "selenium", "reserves"): (_KT, _T),
    # Reserves_t; values are thousand t (MCS2023 Reserves_kt, MCS2025: United States 140,000)
    (2024, "talc and pyrophyllite", "reserves"): (_T, _KT),
}


def errata(release: int, commodity: str, table: str, unit: Unit) -> Unit:
    """The true unit where :data:`ERRATA` lists the published one as wrong."""
    for key in ((release, commodity.lower(), table), (release, commodity.lower(), "*")):
        wrong, right = ERRATA.get(key, (None, None))
        if wrong == unit and right is not None:
            return right
    return unit


TABLES = {"prod": "production", "cap": "capacity", "reserves": "reserves", "reserve": "reserves"}

_STAGES: tuple[tuple[str, str], ...] = (
    (r"\bsmelter\b", "smelter"),
    (r"\brefinery\b", "refinery"),
    (r"\bmine\b", "mine"),
    (r"\bpig iron\b", "smelter"),
    (r"natural and synthetic", ""),
    (
        r"\b(plant|capacity|sponge|pigment|clinker|cement production|lime|raw steel|"
        r"synthetic)\b",
        "plant",
    ),
    (r"\bprimary production\b", "refinery"),
)

_TYPE_WORDS = re.compile(
    r"\b(world|total|mine|mne|refinery|plant|smelter|production|poduction|capacity|yearend|reserves|"
    r"operating|estimated|rounded)\b",
    re.I,
)
_UNIT_WORDS = re.compile(
    r"-?\s*\b(in\s+)?(thousand\s+|million\s+)?(metric\s+)?(dry\s+)?(tons|carats)\b(\s+of\b)?",
    re.I,
)
_QUALITATIVE = ("moderate to large", "very small", "large", "moderate", "small")
#: Short notes that say what is counted ("crude borates", "Excludes U.S. production").
_BASIS_NOTE = re.compile(
    r"\b(ore|content|weight|equivalent|borates|ulexite|compounds|crude|beneficiated|processed|"
    r"concentrates?|excludes?|excluding|includes?|sold|used|shipments|exports|marketable|grade)\b"
)


@dataclass(frozen=True)
class ValueColumn:
    """A value column of a world-data file, read from its name."""

    index: int
    name: str
    table: str
    year: int
    estimated: bool
    unit: Unit | None
    qualifier: str | None


@dataclass
class Layout:
    """Where a world-data file keeps what."""

    country: int
    type: int | None = None
    commodity: int | None = None
    unit: int | None = None
    values: list[ValueColumn] = field(default_factory=list)
    notes: dict[str, int] = field(default_factory=dict)


def is_world(header: list[str]) -> bool:
    """Whether a header is one of the world-data layouts."""
    keys = {re.sub(r"\s+", "", h).lower() for h in header}
    tables = any(re.match(r"(?i)(prod|cap|reserves?)_", re.sub(r"\s+", "", h)) for h in header)
    return "country" in keys and tables


def layout(table: Table, *, release: int) -> Layout:
    """Read the header of a world-data file; a header of another shape raises."""
    header = table.header
    found: dict[str, int] = {}
    values: list[ValueColumn] = []
    notes: dict[str, int] = {}
    for i, name in enumerate(header):
        key = re.sub(r"\s+", "", name)
        low = key.lower()
        if not key or low in ("source", "datasource"):
            continue
        if low in ("country", "commodity", "type", "unit_meas"):
            found[low] = i
            continue
        tokens = [t for t in key.split("_") if t]
        kind = TABLES.get(tokens[0].lower())
        if kind is None:
            if i == 2 and "type" not in found:  # 2024 fluorspar: the TYPE text as header
                found["type"] = i
                continue
            raise InputError(
                f"unexpected column {name!r}: world-data columns are Source, Country, Type "
                "and value columns like Prod_t_2022, Prod_kt_est_2023, Cap_t_2023, "
                "Reserves_t (or the 2025 names PROD_2023, PROD_EST_ 2024, RESERVES_2024)",
                path=table.path,
                row=1,
                column=name,
            )
        rest = tokens[1:]
        if any(t.lower().startswith("note") for t in rest):
            notes[kind] = i
            continue
        years = [int(t) for t in rest if re.fullmatch(r"(19|20)\d\d", t)]
        units = [t for t in rest if t.lower() in QUANTITY_CODES]
        quals = [
            t
            for t in rest
            if t.lower() != "est" and t not in units and not re.fullmatch(r"\d{4}", t)
        ]
        if years:
            year = years[-1]
        elif kind == "reserves":
            year = release - 1  # MCS reserves without a year are those at the end of release-1
        else:
            raise InputError(
                f"column {name!r} has no year (expected e.g. Prod_t_2022)",
                path=table.path,
                row=1,
                column=name,
            )
        values.append(
            ValueColumn(
                index=i,
                name=name,
                table=kind,
                year=year,
                estimated=any(t.lower() == "est" for t in rest),
                unit=QUANTITY_CODES[units[-1].lower()] if units else None,
                qualifier=" ".join(quals) or None,
            )
        )
    if "country" not in found or not values:
        raise InputError(
            f"not a USGS MCS world-data header: {header}; expected Source, Country, Type and "
            "value columns such as Prod_t_2022, Prod_t_est_2023, Reserves_t (2023/2024) or "
            "SOURCE, COMMODITY, COUNTRY, TYPE, UNIT_MEAS, PROD_2023, ... (2025)",
            path=table.path,
            row=1,
        )
    missing_units = [v.name for v in values if v.unit is None]
    if missing_units and "unit_meas" not in found:
        raise InputError(
            f"column(s) {missing_units} name no unit (t, kt, Mt, kg, kct, mct, mcm) and the "
            "file has no UNIT_MEAS column",
            path=table.path,
            row=1,
            column=missing_units[0],
        )
    return Layout(
        country=found["country"],
        type=found.get("type"),
        commodity=found.get("commodity"),
        unit=found.get("unit_meas"),
        values=values,
        notes=notes,
    )


# -- notes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Note:
    """What a notes cell says about the values of its table."""

    flag: str | None = None
    value: Decimal | None = None
    years: frozenset[int] = frozenset()
    estimated: bool = False
    unit: Unit | None = None
    basis: str | None = None
    not_reserve: bool = False

    def applies(self, year: int) -> bool:
        """Whether the note is about ``year`` (notes naming no year are about all)."""
        return not self.years or year in self.years


_NOTE_UNIT = re.compile(
    r"(?:NA\s*)?\(?\s*(?:reserve data is\s*)?(?:(?P<basis>[^,()]*?)\s*,\s*)?"
    r"(?P<unit>(?:thousand |million )?metric tons)\s*\)?\.?",
    re.I,
)


def _note_marker(n: str, low: str, years: frozenset[int]) -> Note | None:
    """A USGS marker as note ("W for 23-24", "NA", "Less than 1/2 unit", "Large")."""
    head = re.sub(r"(?i)\s+for\b.*$", "", n)
    try:
        cell = parse_cell(head)
    except (ValueError, ArithmeticError):
        cell = None
    if cell is None or cell.flag is None or (cell.value is not None and cell.flag != "<"):
        return None
    return Note(flag=cell.flag, value=cell.value, years=years)


def _note_units_are(n: str, low: str, years: frozenset[int]) -> Note | None:
    """A unit statement: 'Units are thousand metric tons, gross weight, ...' (MCS2023)."""
    m = re.match(r"(?i)units are ((?:thousand |million )?metric tons)\b", n)
    return Note(unit=unit_from_text(m.group(1))) if m else None


def _note_unit_phrase(n: str, low: str, years: frozenset[int]) -> Note | None:
    """A unit phrase: 'Crude Ore, million metric tons', '(Reserve data is thousand ...)'."""
    m = _NOTE_UNIT.fullmatch(n)
    if m is None:
        return None
    flag = "NA" if low.startswith("na") else None
    basis = clean(m.group("basis") or "") or None
    return Note(flag=flag, unit=unit_from_text(m.group("unit")), basis=basis)


def _note_estimated(n: str, low: str, years: frozenset[int]) -> Note | None:
    """An estimate: 'estimated 2023', 'Production in 2022 is also estimated.'."""
    if not (low.startswith("estimated") or "also estimated" in low):
        return None
    m = re.fullmatch(r"(?i)estimated,\s*(.{1,40})", n)
    return Note(estimated=True, years=years, basis=m.group(1) if m else None)


def _note_basis(n: str, low: str, years: frozenset[int]) -> Note | None:
    """A short note saying what is counted ("crude borates", "Excludes U.S. production")."""
    if len(n) > 40 or years or "reported" in low or not _BASIS_NOTE.search(low):
        return None
    basis = clean(_UNIT_WORDS.sub(" ", re.sub(r"(?i)\s*for reserves data$", "", n)))
    return Note(basis=basis.strip(" ,.") or None)


_NOTE_RULES = (_note_marker, _note_units_are, _note_unit_phrase, _note_estimated, _note_basis)


def read_note(text: str) -> Note:
    """Interpret a notes cell: markers, estimates, years, units and short basis texts."""
    n = clean(text)
    low = n.lower().rstrip(".").strip()
    if "not a reserve" in low:
        return Note(not_reserve=True)
    years = {int(y) for y in re.findall(r"\b(20\d\d)\b", n)}
    for a, b in re.findall(r"\b(\d\d)\s*-\s*(\d\d)\b", n):
        years |= {2000 + int(a), 2000 + int(b)}
    for rule in _NOTE_RULES if low else ():
        note = rule(n, low, frozenset(years))
        if note is not None:
            return note
    return Note()


# -- rows ------------------------------------------------------------------------------


def stage_of(text: str, commodity: str) -> str:
    """Stage named in a TYPE text, else the commodity's first catalog stage."""
    low = text.lower().replace("poduction", "production").replace("mne ", "mine ")
    for pattern, stage in _STAGES:
        if re.search(pattern, low):
            if stage:
                return stage
            break
    return commodities.get(commodity).stages[0]


def _names_of(*ids: str, raw: str) -> tuple[set[str], set[str]]:
    names = {normalise(raw)}
    for cid in ids:
        c = commodities.get(cid)
        names |= {normalise(x) for x in (c.id.replace("_", " "), c.name, *c.usgs, *c.aliases)}
        names |= {normalise(x) for x in (c.wmd, c.geopolrisk) if x}
    words = {w for n in names for w in n.split()}
    return names, words


def type_basis(text: str, names: set[str], words: set[str]) -> str | None:
    """What a TYPE text says is counted, without stage words, units and the commodity."""
    out = []
    for part in re.split(r"\s*[,:;]\s*|\s+-\s*|\s*-\s+", text):
        q = _UNIT_WORDS.sub(" ", part)
        q = _TYPE_WORDS.sub(" ", q)
        q = clean(re.sub(r"\(\s*\)", " ", q)).strip(" .,-")
        q = re.sub(r"(?i)^(and|of)\b\s*|\s*\b(and|of)$", "", q).strip()
        if not q:
            continue
        key = normalise(q)
        if key in names or set(key.split()) <= words:
            continue
        out.append(q)
    return ", ".join(out) or None


def _join(parts: list[str | None]) -> str | None:
    out: list[str] = []
    for p in parts:
        if p and p.lower() not in (x.lower() for x in out):
            out.append(p)
    return "; ".join(out) or None


@dataclass
class _Rows:
    production: list[dict[str, Any]] = field(default_factory=list)
    capacity: list[dict[str, Any]] = field(default_factory=list)
    reserves: list[dict[str, Any]] = field(default_factory=list)


def _row_units(table: Table, lay: Layout) -> dict[int, Unit | None]:
    """UNIT_MEAS of each record (2025 layout); empty cells take their group's unit."""
    if lay.unit is None:
        return {}
    out: dict[int, Unit | None] = {}
    groups: dict[tuple[str, str], set[str]] = {}
    recs = table.records()
    for _, cells in recs:
        text = clean(cells[lay.unit])
        if text:
            key = (_commodity_text(cells, lay), _type_text(cells, lay))
            groups.setdefault(key, set()).add(text)
    for line, cells in recs:
        commodity = _commodity_text(cells, lay)
        text = clean(cells[lay.unit])
        if not text:
            known = groups.get((commodity, _type_text(cells, lay)), set())
            if len(known) != 1:
                if not any(clean(cells[v.index]) for v in lay.values):
                    out[line] = None
                    continue
                raise InputError(
                    "UNIT_MEAS is empty and rows of the same commodity and TYPE do not name "
                    f"one unit (they name {sorted(known)})",
                    path=table.path,
                    row=line,
                    column=table.header[lay.unit],
                )
            text = next(iter(known))
        unit = unit_from_text(text)
        if unit is None:
            raise InputError(
                f"unknown unit {text!r}; expected one of {sorted(UNIT_TEXT)}",
                path=table.path,
                row=line,
                column=table.header[lay.unit],
            )
        out[line] = unit
    return out


def _commodity_text(cells: list[str], lay: Layout) -> str:
    return clean(cells[lay.commodity]) if lay.commodity is not None else ""


def _type_text(cells: list[str], lay: Layout) -> str:
    text = clean(cells[lay.type]) if lay.type is not None else ""
    return "" if text.upper() in ("XX", "NA") else text


def _noted_units(
    table: Table, lay: Layout, fixed_commodity: str | None
) -> dict[tuple[str, str, str], Unit]:
    """Units that notes state for a whole table of a commodity.

    The publisher sometimes writes "(Reserve data is thousand metric tons)" on a few rows
    of a commodity only (MCS2025 molybdenum, vanadium); a unit stated so, and no other,
    applies to every row of that commodity, TYPE and table.
    """
    found: dict[tuple[str, str, str], set[Unit]] = {}
    for _, cells in table.records():
        commodity = fixed_commodity or _commodity_text(cells, lay)
        for kind, col in lay.notes.items():
            unit = read_note(cells[col]).unit
            if unit is not None:
                found.setdefault((commodity, _type_text(cells, lay), kind), set()).add(unit)
    return {k: next(iter(v)) for k, v in found.items() if len(v) == 1}


def file_commodity(path: Path) -> str:
    """USGS commodity name of a per-commodity file, from its name (``mcs2024-cobal_world``)."""
    m = re.fullmatch(r"(?i)mcs\d{4}-?(.+?)_(world|salient)(_data)?\.csv", path.name)
    code = m.group(1).lower() if m else ""
    if code not in CODES:
        raise InputError(
            f"cannot tell the commodity from the file name (code {code!r}); USGS MCS files "
            "are named like mcs2024-cobal_world.csv",
            path=path,
            hint=suggestion(code, list(CODES)) if code else None,
        )
    return CODES[code]


def parse_table(table: Table, *, release: int) -> dict[str, list[dict[str, Any]]]:
    """Rows of the ``production``, ``capacity`` and ``reserves`` tables of one file."""
    lay = layout(table, release=release)
    path = table.path
    units = _row_units(table, lay)
    fixed_commodity = None if lay.commodity is not None else file_commodity(path)
    out = _Rows()
    ids: dict[str, str] = {}
    noted = _noted_units(table, lay, fixed_commodity)
    named = {lay.country, *(v.index for v in lay.values), *lay.notes.values()}
    named |= {i for i in (lay.type, lay.commodity, lay.unit) if i is not None}
    stray = False
    for line, cells in table.records():
        stray = stray or any(
            clean(c) for i, c in enumerate(cells) if i not in named and not table.header[i]
        )
        commodity_raw = fixed_commodity or _commodity_text(cells, lay)
        country_raw = cells[lay.country]
        if not clean(country_raw):
            if any(clean(cells[v.index]) for v in lay.values):
                raise InputError(
                    "the country is empty but the row holds values",
                    path=path,
                    row=line,
                    column=table.header[lay.country],
                )
            continue
        place = place_at(country_raw, path=path, row=line, column=table.header[lay.country])
        if commodity_raw not in ids:
            column = table.header[lay.commodity] if lay.commodity is not None else None
            ids[commodity_raw] = commodity_at(
                commodity_raw,
                path=path,
                row=line if lay.commodity is not None else None,
                column=column,
            )
        base = ids[commodity_raw]
        type_text = _type_text(cells, lay)
        for col in lay.values:
            note = read_note(cells[lay.notes[col.table]]) if col.table in lay.notes else Note()
            cell = cell_at(cells[col.index], path=path, row=line, column=col.name)
            unit = col.unit or units.get(line)
            if unit is not None:
                unit = errata(release, commodity_raw, col.table, unit)
            unit = noted.get((commodity_raw, type_text, col.table), unit)
            _emit(
                out,
                cell=cell,
                note=note,
                col=col,
                place=place,
                base=base,
                commodity_raw=commodity_raw,
                type_text=type_text,
                unit=unit,
                country_raw=clean(country_raw),
                line=line,
                path=path,
            )
    if stray:
        warnings.warn(
            f"{path}: cells in unnamed columns were ignored (the publisher's file has more "
            "cells than header names in some rows)",
            stacklevel=2,
        )
    return {"production": out.production, "capacity": out.capacity, "reserves": out.reserves}


def _emit(
    out: _Rows,
    *,
    cell: Cell | None,
    note: Note,
    col: ValueColumn,
    place: Place,
    base: str,
    commodity_raw: str,
    type_text: str,
    unit: Unit | None,
    country_raw: str,
    line: int,
    path: Path,
) -> None:
    if col.table == "reserves" and note.not_reserve:
        return
    if cell is None:
        if note.flag is None or not note.applies(col.year):
            return
        cell = Cell(note.value, note.flag)
    kind = col.table
    # a column qualifier (Prod_Sponge_t, Cap_Pigment_t) says what the column holds; the
    # TYPE text of such files describes all columns at once
    descr = col.qualifier or type_text
    if kind == "production" and "capacity" in descr.lower():
        kind = "capacity"
    flag = cell.flag
    if flag is None and cell.value is not None:
        noted = note.estimated and note.applies(col.year)
        if col.estimated or noted or (place.estimated and kind != "reserves"):
            flag = "e"
    if cell.value is None and note.flag == "incl":  # "NA" with "Included with platinum"
        flag = "incl"
    if note.unit is not None:
        unit = note.unit
    if cell.unit is not None:
        unit = Unit(cell.unit)
    if unit is None:
        raise InputError("no unit for this value", path=path, row=line, column=col.name)
    target = base
    products = PRODUCTS.get(base, ())
    for pattern, product, reserves_too in products:
        if pattern in descr.lower() and (kind != "reserves" or reserves_too):
            target = product
            break
    names, words = _names_of(base, target, raw=commodity_raw)
    # TYPE describes production: it does not describe columns with their own qualifier,
    # nor reserves of a whole table (all platinum-group metals on the palladium row)
    skip_type = col.qualifier is not None or (
        kind == "reserves" and target == base and any(p in descr.lower() for p, _, _ in products)
    )
    basis = _join(
        [
            None if skip_type else type_basis(type_text, names, words),
            col.qualifier,
            place.qualifier,
            unit.basis,
            note.basis,
        ]
    )
    row: dict[str, Any] = {
        "commodity": target,
        "country": place.country,
        "year": col.year,
        "quantity": unit.scale(cell.value),
        "unit": unit.unit,
        "flag": flag,
    }
    if kind == "reserves":
        out.reserves.append({**row, "basis": basis, "source_commodity": commodity_raw})
        return
    row["stage"] = stage_of(descr, target)
    if kind == "capacity":
        out.capacity.append(row)
        return
    out.production.append(
        {
            **row,
            "basis": basis,
            "source_commodity": commodity_raw,
            "source_country": country_raw,
            "source_row": line,
        }
    )
