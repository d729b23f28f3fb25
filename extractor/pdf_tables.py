"""Ruled tables of digital PDFs, read by position (pdfplumber) rather than from the text stream.

pypdf's text stream runs a table's cells together ("93.852 社区矫正": one row's score glued
to the next row's name). pdfplumber finds the grid a table's ruling lines draw (the `lines`
strategy: government PDFs draw their tables with lines) and reads each cell's characters
inside its box. For a page with tables, `read_layout` also returns the text outside them in
reading order: text above a table, the table, text below.

Everything here is pure apart from opening the PDF: no page text is changed beyond joining a
cell's own wrapped lines.
"""

from __future__ import annotations

import io
import re
from collections.abc import Collection
from dataclasses import dataclass, field

# Ruling lines only: text-aligned "tables" (the text strategy) would cut prose into columns.
TABLE_SETTINGS = {"vertical_strategy": "lines", "horizontal_strategy": "lines"}

_CJK = "\u2e80-\u9fff\u3000-\u303f\uf900-\ufaff\uff00-\uffef"
_CJK_SPACE = re.compile(rf"(?<=[{_CJK}])[ \u3000]+(?=[{_CJK}])")


@dataclass(frozen=True)
class PdfTable:
    bbox: tuple[float, float, float, float]  # x0, top, x1, bottom in points, origin top left
    rows: list[list[str | None]]  # one string per cell; None where a merged cell covers the grid slot


@dataclass
class PageLayout:
    number: int  # 1-based
    tables: list[PdfTable] = field(default_factory=list)
    # Reading order: text outside the tables (lines joined by "\n") and the tables themselves.
    blocks: list[str | PdfTable] = field(default_factory=list)


def one_line(cell: str | None) -> str | None:
    """A cell's wrapped lines as one string: Chinese joins without a space, two Latin words with one.

    Runs of spaces and tabs become one space; spaces between two Chinese characters (justified
    text) go."""
    if cell is None:
        return None
    out = ""
    for ln in re.split(r"[\r\n]+", cell):
        ln = re.sub(r"[ \t\u3000]+", " ", ln).strip()
        if not ln:
            continue
        sep = " " if out and re.search(r"[A-Za-z]$", out) and re.match(r"[A-Za-z0-9]", ln) else ""
        out += sep + ln
    return _CJK_SPACE.sub("", out)


def _is_table(rows: list[list[str | None]]) -> bool:
    """A grid with at least two columns and some text; a lone box round a paragraph is prose."""
    return max((len(r) for r in rows), default=0) >= 2 and any(c for r in rows for c in r)


def _inside(obj: dict, bbox: tuple[float, float, float, float]) -> bool:
    x = (obj["x0"] + obj["x1"]) / 2
    y = (obj["top"] + obj["bottom"]) / 2
    return bbox[0] <= x <= bbox[2] and bbox[1] <= y <= bbox[3]


def page_layout(page, number: int) -> PageLayout:
    """Tables and outside text of one pdfplumber page (no I/O beyond what the page object does)."""
    from pdfplumber.utils import extract_text

    tables: list[PdfTable] = []
    if page.edges:  # no ruling lines at all: no table to find
        for t in page.find_tables(table_settings=TABLE_SETTINGS):
            rows = [[one_line(c) for c in row] for row in t.extract()]
            rows = [r for r in rows if any(r)]
            if _is_table(rows):
                tables.append(PdfTable(tuple(float(v) for v in t.bbox), rows))
    tables.sort(key=lambda t: (t.bbox[1], t.bbox[0]))
    if not tables:
        return PageLayout(number)
    # Text outside the tables, cut into bands at each table's top: a band is read before its
    # table, and text beside a table (same height, outside its box) comes after the table.
    bands: list[list[dict]] = [[] for _ in range(len(tables) + 1)]
    for ch in page.chars:
        if any(_inside(ch, t.bbox) for t in tables):
            continue
        mid = (ch["top"] + ch["bottom"]) / 2
        bands[sum(1 for t in tables if t.bbox[1] <= mid)].append(ch)
    blocks: list[str | PdfTable] = []
    for i, chars in enumerate(bands):
        text = extract_text(chars) if chars else ""
        if text.strip():
            blocks.append(text)
        if i < len(tables):
            blocks.append(tables[i])
    return PageLayout(number, tables, blocks)


def read_layout(data: bytes, pages: Collection[int] | None = None) -> list[PageLayout]:
    """Per page (1-based numbers; only `pages` when given), its ruled tables and outside text.

    Raises whatever pdfplumber / pdfminer raise for a PDF they cannot open; callers that can
    do without tables catch it."""
    import pdfplumber

    out: list[PageLayout] = []
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for n, page in enumerate(pdf.pages, start=1):
            if pages is not None and n not in pages:
                continue
            out.append(page_layout(page, n))
            page.close()  # drop the page's parsed objects: long reports stay small in memory
    return out


def find_tables(data: bytes) -> list[list[PdfTable]]:
    """The ruled tables of every page, in page order."""
    return [p.tables for p in read_layout(data)]
