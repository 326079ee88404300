"""Helpers shared by the USGS Mineral Commodity Summaries parsers.

Reading the publisher's CSV files as they are (BOM, ragged rows, quoted line breaks),
reading one cell (numbers with thousands separators and the USGS markers), units, and
resolving the USGS country and commodity names to catalog ids.

Cell markers kept in ``flag`` (value NULL unless a number is given):

========================  =====================================================
``W``                     withheld to avoid disclosing company proprietary data
``NA``                    not available
``XX``                    not applicable
``E``                     net exporter (net import reliance)
``e``                     estimated (an ``e`` prefix, an ``_est`` column, an ``e``
                          glued to a country name, or a note such as "estimated 2023")
``>`` / ``<``             bound: the number is kept ("less than ½ unit" → 0.5, ``<``)
``a-b``                   a range as published, e.g. ``50-300`` (value NULL)
``incl``                  included with another row (world total, other countries…)
``large`` ``moderate``    qualitative size (reserves), also ``small``, ``very small``,
                          ``moderate to large``
``variable``              "variable, depending on type of product" (prices)
========================  =====================================================
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from minsec.catalog import commodities, countries
from minsec.catalog._names import normalise, suggestion
from minsec.errors import InputError

WORLD = "WORLD"
OTHER = "OTHER"

# -- reading files ---------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """A CSV file as text cells: the header and the records with their file line numbers."""

    path: Path
    header: list[str]
    rows: list[list[str]]
    lines: list[int]

    def records(self) -> list[tuple[int, list[str]]]:
        """``(file row, cells)`` of every record that holds any non-blank cell."""
        return [
            (line, cells)
            for line, cells in zip(self.lines, self.rows, strict=True)
            if any(clean(c) for c in cells)
        ]


def read_csv(path: Path) -> Table:
    """Read a publisher CSV into text cells, padded to the widest record.

    UTF-8 (with or without BOM) is tried first, then Windows-1252.
    """
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")
    reader = csv.reader(io.StringIO(text, newline=""))
    records: list[list[str]] = []
    lines: list[int] = []
    start = 1
    try:
        for rec in reader:
            records.append(rec)
            lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InputError(f"not a readable CSV file: {exc}", path=path, row=start) from exc
    if not records:
        raise InputError("the file is empty; expected a header row", path=path, row=1)
    width = max(len(r) for r in records)
    padded = [r + [""] * (width - len(r)) for r in records]
    header = [h.strip() for h in padded[0]]
    return Table(path=Path(path), header=header, rows=padded[1:], lines=lines[1:])


def clean(text: str) -> str:
    """Strip a cell: no-break spaces become spaces, runs of spaces collapse."""
    return re.sub(r"\s+", " ", text.replace("\xa0", " ")).strip()


def release_year(path: Path) -> int | None:
    """The MCS release year written in a file or folder name (``mcs2025``), if any."""
    m = re.search(r"(?i)mcs[_ -]?(20\d\d)", Path(path).name)
    return int(m.group(1)) if m else None


# -- cell values -----------------------------------------------------------------------

_NUM = r"[-+]?(?:\d[\d,]*(?:\.\d+)?|\.\d+)"
_QUALITATIVE = ("moderate to large", "very small", "large", "moderate", "small")
_UNIT_WORDS = {"tons": "t", "ton": "t", "metric tons": "t", "carats": "ct", "carat": "ct"}


@dataclass(frozen=True)
class Cell:
    """One published cell: a number (or none) and the publisher's marker."""

    value: Decimal | None
    flag: str | None
    unit: str | None = None  # unit named in the text itself ("less than 50,000 tons")


def _number(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def _plain_number(m: re.Match[str]) -> Cell:
    flag = m.group(2) or ("e" if (m.group(1) or m.group(4)) else None)
    return Cell(_number(m.group(3)), flag)


def _less_than(m: re.Match[str]) -> Cell:
    word = (m.group(2) or "").strip().lower()
    unit = _UNIT_WORDS.get(word)
    if word and unit is None:
        raise ValueError(f"unknown unit {word!r} in {m.group(0)!r}")
    return Cell(_number(m.group(1)), "<", unit)


def _range_of(m: re.Match[str]) -> Cell:
    groups = [g for g in m.groups() if g is not None]
    lo, hi = (str(_number(g)) for g in groups)
    return Cell(None, f"{lo}-{hi}")


_Q = "[\"'“”]?"
_CELL_RULES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], Cell]], ...] = (
    (re.compile(r"W|E"), lambda m: Cell(None, m.group(0))),
    (re.compile(r"(?i)na|n/a|not available"), lambda m: Cell(None, "NA")),
    (re.compile(r"(?i)xx|not applicable"), lambda m: Cell(None, "XX")),
    (re.compile(rf"(e)?\s*([<>])?\s*({_NUM})\s*(e)?"), _plain_number),
    (
        re.compile(r"(?i)less than (½|1/2|a half|one-half|0\.5) unit"),
        lambda m: Cell(Decimal("0.5"), "<"),
    ),
    (re.compile(rf"(?i)less than ({_NUM})\s*([a-z ]+)?"), _less_than),
    (re.compile(rf"({_NUM})\s*–\s*({_NUM})|({_NUM})-({_NUM})"), _range_of),
    (
        re.compile(rf"(?i)(?:categorized as\s*)?{_Q}({'|'.join(_QUALITATIVE)}){_Q}"),
        lambda m: Cell(None, m.group(1).lower()),
    ),
    (re.compile(r"(?i)included\b.*"), lambda m: Cell(None, "incl")),
    (re.compile(r"(?i)variable\b.*"), lambda m: Cell(None, "variable")),
)


def parse_cell(text: str) -> Cell | None:
    """Read one cell; None when it is empty. Raise ``ValueError`` on text it cannot read.

    >>> parse_cell("e5,000")
    Cell(value=Decimal('5000'), flag='e', unit=None)
    >>> parse_cell(">50").flag
    '>'
    """
    t = clean(text).replace("\u2212", "-").replace("\u2013", "–")
    if not t:
        return None
    bare = t.rstrip(".").strip()
    for pattern, make in _CELL_RULES:
        m = pattern.fullmatch(bare)
        if m:
            return make(m)
    raise ValueError(f"cannot read {t!r} as a number or a USGS marker (W, NA, XX, e, >, <)")


def cell_at(text: str, *, path: Path, row: int, column: str) -> Cell | None:
    """:func:`parse_cell` with the error naming file, row and column."""
    try:
        return parse_cell(text)
    except (ValueError, InvalidOperation) as exc:
        raise InputError(str(exc), path=path, row=row, column=column) from None


# -- units ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    """A normalised unit and the factor from the published unit to it."""

    unit: str | None
    factor: Decimal = Decimal(1)
    basis: str | None = None

    def scale(self, value: Decimal | None) -> float | None:
        """The value in the normalised unit (exact decimal arithmetic, then float)."""
        return None if value is None else float(value * self.factor)


_K = Decimal(1000)
_M = Decimal(1_000_000)

#: Units spelt out in UNIT_MEAS (2025 world data) and in notes.
UNIT_TEXT: dict[str, Unit] = {
    "metric tons": Unit("t"),
    "thousand metric tons": Unit("t", _K),
    "thousand metric dry tons": Unit("t", _K, "dry weight"),
    "million metric tons": Unit("t", _M),
    "kilograms": Unit("kg"),
    "thousand carats": Unit("ct", _K),
    "million carats": Unit("ct", _M),
    "million cubic meters": Unit("m3", _M),
}

#: Unit codes in column names (2023/2024 world files and salient files), lower case.
QUANTITY_CODES: dict[str, Unit] = {
    "t": Unit("t"),
    "kt": Unit("t", _K),
    "mt": Unit("t", _M),  # "Mt", "mt": million metric tons in USGS files
    "mmt": Unit("t", _M),
    "kg": Unit("kg"),
    "kct": Unit("ct", _K),
    "mct": Unit("ct", _M),
    "mcm": Unit("m3", _M),
}

PRICE_CODES: dict[str, Unit] = {
    "dt": Unit("USD/t"),
    "dst": Unit("USD/short ton"),
    "dkg": Unit("USD/kg"),
    "dg": Unit("USD/g"),
    "dlb": Unit("USD/lb"),
    "ctslb": Unit("USc/lb"),
    "dtoz": Unit("USD/troy oz"),
    "dto": Unit("USD/troy oz"),
    "dct": Unit("USD/ct"),
    "df": Unit("USD/flask"),
}

OTHER_CODES: dict[str, Unit] = {
    "pct": Unit("%"),
    "num": Unit("count"),
    "um": Unit("count"),
    "mdol": Unit("MUSD"),
    "msqft": Unit("ft2", _M),
    "index": Unit("index"),
    "ct": Unit("ct"),
    "g": Unit("kg", Decimal("0.001")),
}

UNIT_CODES: dict[str, Unit] = {**QUANTITY_CODES, **PRICE_CODES, **OTHER_CODES}


def unit_from_text(text: str) -> Unit | None:
    """A unit spelt out in words ("thousand metric tons"), or None."""
    return UNIT_TEXT.get(clean(text).lower())


# -- names -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """A USGS country cell resolved: catalog id, the qualifier it carried, an ``e`` mark."""

    country: str
    qualifier: str | None
    estimated: bool = False


def _qualifier(text: str) -> str | None:
    words = re.sub(r"\brounded\b", "", text)
    words = re.sub(r"[()]", " ", words)
    words = clean(words).strip(",;. ")
    return words or None


def _candidates(name: str) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = [(name, None)]
    m = re.fullmatch(r"(.*?)\s*\((.*)\)\s*", name)
    if m:
        out.append((m.group(1), m.group(2)))
    if "," in name:
        head, _, tail = name.partition(",")
        out.append((head, tail))
    return out


def find_place(raw: str) -> Place | None:
    """Resolve a USGS country cell; None when nothing in the catalog matches.

    Handles footnote numbers glued to names (``New Caledonia11``), an ``e`` (estimated)
    glued to names (``Chinae``), qualifiers (``Brazil (beneficiated)``, ``Argentina,
    crude ore``), world totals (→ ``WORLD``), other countries (→ ``OTHER``) and two
    countries reported together (``United States and Canada`` → ``USA+CAN``).
    """
    s = clean(raw)
    s = re.sub(r"(?<=[A-Za-z)])\s?\d{1,2}$", "", s)
    m = re.fullmatch(r"(?i)world total(e?)\b(.*)", s)
    if m:
        return Place(WORLD, _qualifier(m.group(2)), bool(m.group(1)))
    m = re.fullmatch(r"(?i)other(?: countries)?(e?)\b(.*)", s)
    if m:
        return Place(OTHER, _qualifier(m.group(2)), bool(m.group(1)))
    for candidate, qual in _candidates(s):
        name = candidate.strip()
        found = countries.find(name)
        if found is not None:
            return Place(found, _qualifier(qual or ""))
        if name.endswith("e") and (found := countries.find(name[:-1])) is not None:
            return Place(found, _qualifier(qual or ""), True)
    parts = re.split(r"\s+and\s+", s)
    if len(parts) == 2:
        ids = [countries.find(p) for p in parts]
        if all(ids):
            return Place("+".join(str(i) for i in ids), None)
    return None


def place_at(raw: str, *, path: Path, row: int, column: str) -> Place:
    """:func:`find_place`, raising :class:`InputError` with file, row, column and hint."""
    found = find_place(raw)
    if found is None:
        names = [c.name for c in countries.countries()]
        names += [a for c in countries.countries() for a in c.aliases]
        raise InputError(
            f"unknown country {clean(raw)!r}: not a country name or alias in the catalog "
            "(add it to the aliases of src/minsec/catalog/data/countries.csv)",
            path=path,
            row=row,
            column=column,
            hint=suggestion(clean(raw), names),
        )
    return found


def commodity_candidates() -> list[str]:
    """Names a commodity may be given by, for 'did you mean' hints."""
    out = []
    for c in commodities.commodities():
        out += [c.id, c.name, *c.usgs, *c.aliases]
    return out


def commodity_at(raw: str, *, path: Path, row: int | None, column: str | None) -> str:
    """Catalog id of a USGS commodity name; unknown names raise with a suggestion."""
    name = clean(raw)
    found = commodities.find(name) if name else None
    if found is None:
        raise InputError(
            f"unknown commodity {name!r}: add this USGS spelling to the `usgs` list of its "
            "entry in src/minsec/catalog/data/commodities.toml",
            path=path,
            row=row,
            column=column,
            hint=suggestion(name, commodity_candidates()),
        )
    return found


def snake(text: str) -> str:
    """``snake_case`` of a label (accents, case and punctuation folded)."""
    return normalise(text).replace(" ", "_")
