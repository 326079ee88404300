"""Small HTML readers for the briefing tests (standard library parser only)."""

from __future__ import annotations

from html.parser import HTMLParser


class Links(HTMLParser):
    """Every src/href (incl. xlink:href) with whether it sits in the sources section."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str, bool]] = []  # (tag, url, in_sources)
        self._depth = 0
        self._sources_depth: int | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._depth += 1
        a = dict(attrs)
        if tag == "section" and a.get("id") == "sources":
            self._sources_depth = self._depth
        for name in ("src", "href", "xlink:href", "action", "data"):
            if a.get(name):
                self.links.append((tag, str(a[name]), self._sources_depth is not None))

    def handle_endtag(self, tag: str) -> None:
        if self._sources_depth == self._depth and tag == "section":
            self._sources_depth = None
        self._depth -= 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self._depth -= 1


class KeyFigures(HTMLParser):
    """``data-key`` → text of the ``<span class="v">`` inside (footnote markers dropped)."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self.refs: dict[str, list[str]] = {}
        self._key: str | None = None
        self._in_value = False
        self._in_sup = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("data-key"):
            self._key = str(a["data-key"])
            self.values[self._key] = ""
            self.refs[self._key] = []
        elif tag == "span" and a.get("class") == "v" and self._key:
            self._in_value = True
        elif tag == "sup":
            self._in_sup = True
        elif tag == "a" and self._key and self._in_value and a.get("href"):
            self.refs[self._key].append(str(a["href"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "sup":
            self._in_sup = False
        elif tag == "span" and self._in_value:
            self._in_value = False
        elif tag == "div" and not self._in_value:
            self._key = None

    def handle_data(self, data: str) -> None:
        if self._key and self._in_value and not self._in_sup:
            self.values[self._key] += data


def links(page: str) -> list[tuple[str, str, bool]]:
    """All links of ``page`` as (tag, url, inside the sources section)."""
    p = Links()
    p.feed(page)
    return p.links


def key_figures(page: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Key figure values and their footnote links, by ``data-key``."""
    p = KeyFigures()
    p.feed(page)
    return {k: " ".join(v.split()) for k, v in p.values.items()}, p.refs


class TornadoTables(HTMLParser):
    """``<table class="tornado">`` of a briefing: per (scenario, stage) its base and rows.

    A row is ``parameter`` plus the text of each ``<td data-key>`` (footnotes kept out).
    """

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[tuple[str, str], dict[str, object]] = {}
        self._rows: list[dict[str, str]] | None = None
        self._row: dict[str, str] | None = None
        self._key: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table" and a.get("class") == "tornado":
            self._rows = []
            key = (str(a["data-scenario"]), str(a["data-stage"]))
            self.tables[key] = {"base": float(str(a["data-base"])), "rows": self._rows}
        elif tag == "tr" and self._rows is not None and a.get("data-parameter"):
            self._row = {"parameter": str(a["data-parameter"])}
            self._rows.append(self._row)
        elif tag == "td" and self._row is not None and a.get("data-key"):
            self._key = str(a["data-key"])
            self._row[self._key] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._key = None
        elif tag == "tr":
            self._row = None
        elif tag == "table":
            self._rows = None

    def handle_data(self, data: str) -> None:
        if self._row is not None and self._key is not None:
            self._row[self._key] += data


def tornado_tables(page: str) -> dict[tuple[str, str], dict[str, object]]:
    """The tornado tables of ``page`` by (scenario, stage)."""
    p = TornadoTables()
    p.feed(page)
    return p.tables
