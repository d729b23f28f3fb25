"""Split a report along its own headings and tables (pure functions over the document text).

Headings: markdown `#`, 一、 (level 1), （一） (level 2), 1. (level 3), （1） (level 4); a
markdown heading's level is its number of `#`. Tables: markdown pipe tables (cells may hold
<p> and checkbox HTML), tab-separated rows, and the table spans a reader reports (docx, OCR).
Every section, row and cell carries offsets into the text.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

_CN = "一二三四五六七八九十"
_HEADING_PATTERNS: list[tuple[int, re.Pattern[str], int]] = [
    # (level, pattern, longest line still taken as a heading)
    (1, re.compile(rf"^[{_CN}]+、\s*\S"), 60),
    (2, re.compile(rf"^[（(][{_CN}]+[）)]\s*\S"), 400),
    (3, re.compile(r"^\d{1,2}[.．、](?!\d)\s*\S"), 40),
    (4, re.compile(r"^[（(]\d{1,2}[）)]\s*\S"), 40),
]
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*\S)\s*$")
_BOLD = re.compile(r"^\*\*(.+?)\*\*")


@dataclass
class Section:
    level: int
    title: str
    start: int  # offset of the heading line
    body_start: int  # offset just after the heading line
    end: int  # offset where the next heading of the same or a higher level begins
    children: list[Section] = field(default_factory=list)


@dataclass
class Cell:
    raw: str  # text[start:end]
    start: int
    end: int

    @property
    def clean(self) -> str:
        return clean_cell(self.raw)


@dataclass
class Row:
    cells: list[Cell]
    start: int
    end: int

    @property
    def texts(self) -> list[str]:
        return [c.clean for c in self.cells]


@dataclass
class Table:
    kind: str  # markdown | tsv | docx
    rows: list[Row]
    start: int
    end: int


@dataclass
class Layout:
    sections: list[Section]  # roots of the section tree
    tables: list[Table]

    def flat(self) -> list[Section]:
        out: list[Section] = []

        def walk(ss: list[Section]) -> None:
            for s in ss:
                out.append(s)
                walk(s.children)

        walk(self.sections)
        return out

    def path_at(self, offset: int) -> list[Section]:
        """The chain of sections (outermost first) that contains `offset`."""
        chain: list[Section] = []
        level = self.sections
        while True:
            hit = next((s for s in level if s.start <= offset < s.end), None)
            if hit is None:
                return chain
            chain.append(hit)
            level = hit.children


_TAG = re.compile(r"<[^>]+>")


def clean_cell(raw: str) -> str:
    """Cell text for reading: <p> and tags removed, checkboxes as ☑ / ☐, entities unescaped."""
    s = re.sub(r"<input[^>]*\bchecked\b[^>]*>", "☑", raw)
    s = re.sub(r"<input[^>]*type=\"checkbox\"[^>]*>", "☐", s)
    s = re.sub(r"</p>\s*<p>", "\n", s)
    s = _TAG.sub("", s)
    s = html.unescape(s)
    return re.sub(r"[ \t\u3000]+", " ", s).strip()


def _lines(text: str) -> list[tuple[int, int, str]]:
    out = []
    pos = 0
    for line in text.split("\n"):
        out.append((pos, pos + len(line), line))
        pos += len(line) + 1
    return out


def heading_of(line: str) -> tuple[int, str] | None:
    """(level, title) when a line is a heading, else None."""
    s = line.strip()
    if not s or s.startswith("|"):
        return None
    m = _MD_HEADING.match(s)
    if m:
        title = m.group(2).strip("*# ").strip()
        return len(m.group(1)), title
    b = _BOLD.match(s)
    if b:
        s = b.group(1).strip()
    for level, pat, longest in _HEADING_PATTERNS:
        if pat.match(s) and len(s) <= longest:
            title = s
            # （一）存在问题：预算执行…: the title is the part before the colon
            head = re.split(r"[：:]", title, maxsplit=1)[0]
            if len(head) >= 4:
                title = head
            if len(title) > 60:
                title = re.split(r"[。]", title, maxsplit=1)[0]
            return level, title
    return None


def find_sections(text: str, table_ranges: list[tuple[int, int]] = ()) -> list[Section]:
    flat: list[Section] = []
    for start, end, line in _lines(text):
        if any(a <= start < b for a, b in table_ranges):
            continue
        h = heading_of(line)
        if h:
            lead = len(line) - len(line.lstrip())
            flat.append(Section(h[0], h[1], start + lead, min(end + 1, len(text)), len(text)))
    roots: list[Section] = []
    stack: list[Section] = []
    for s in flat:
        while stack and stack[-1].level >= s.level:
            stack.pop()
        (stack[-1].children if stack else roots).append(s)
        stack.append(s)
    _close(roots, len(text))
    return roots


def _close(sections: list[Section], end: int) -> None:
    """A section ends where its next sibling starts, the last one where its parent ends."""
    for i, s in enumerate(sections):
        s.end = sections[i + 1].start if i + 1 < len(sections) else end
        _close(s.children, s.end)


_MD_ROW = re.compile(r"^\s*\|.*\|\s*$")
_MD_SEP = re.compile(r"^\s*\|[\s\-:|]+\|\s*$")


def _split_cells(line: str, line_start: int, sep: str) -> list[Cell]:
    cells: list[Cell] = []
    body_start = 0
    body_end = len(line)
    if sep == "|":
        body_start = line.index("|") + 1
        body_end = line.rindex("|")
    pos = body_start
    for part in line[body_start:body_end].split(sep):
        lead = len(part) - len(part.lstrip())
        stripped = part.strip()
        s = line_start + pos + lead
        cells.append(Cell(stripped, s, s + len(stripped)))
        pos += len(part) + 1
    return cells


def find_tables(text: str, table_spans: list[tuple[int, int]] = ()) -> list[Table]:
    tables: list[Table] = []
    lines = _lines(text)
    i = 0
    while i < len(lines):
        start, end, line = lines[i]
        hinted = next(((a, b) for a, b in table_spans if a <= start < b), None)
        if hinted:
            rows = []
            while i < len(lines) and lines[i][0] < hinted[1]:
                s, e, ln = lines[i]
                rows.append(Row(_split_cells(ln, s, "\t"), s, e))
                i += 1
            tables.append(Table("docx", rows, rows[0].start, rows[-1].end))
            continue
        if _MD_ROW.match(line):
            rows = []
            while i < len(lines) and _MD_ROW.match(lines[i][2]):
                s, e, ln = lines[i]
                if not _MD_SEP.match(ln):
                    rows.append(Row(_split_cells(ln, s, "|"), s, e))
                i += 1
            if rows:
                tables.append(Table("markdown", rows, rows[0].start, rows[-1].end))
            continue
        if _is_tsv_row(line):
            rows = []
            while i < len(lines) and _is_tsv_row(lines[i][2]):
                s, e, ln = lines[i]
                rows.append(Row(_split_cells(ln, s, "\t"), s, e))
                i += 1
            if len(rows) >= 2:
                tables.append(Table("tsv", rows, rows[0].start, rows[-1].end))
            continue
        i += 1
    return tables


def _is_tsv_row(line: str) -> bool:
    return "\t" in line and sum(1 for c in line.split("\t") if c.strip()) >= 2


def segment(text: str, table_spans: list[tuple[int, int]] = ()) -> Layout:
    tables = find_tables(text, list(table_spans))
    return Layout(find_sections(text, [(t.start, t.end) for t in tables]), tables)
