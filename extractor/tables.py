"""Tables recovered from every way a report's tables reach us as text (pure functions).

One table model whatever the flattening, every cell with its offsets into the document text
(`text[cell.start:cell.end] == cell.raw`):

- `markdown`: `| a | b |` rows (cells may hold <p> and checkbox HTML);
- `pipe`: rows without the leading `|` (`年度资金总额: | 808.1 | 692.98 | 86% | ||||`);
- `cell_lines`: one cell per line ending in ` |`, a line of k pipes standing for k empty
  cells (HTML tables copied as text); rows are cut by the column count the title row shows;
- `tsv`: tab-separated rows; `docx` / `pdf` / `ocr`: rows a structural reader reports;
- `cells`: one cell per paragraph (copied from Word or HTML), row structure lost;
- `spaced`: a whole table run together on one line with spaces (converted .doc, xlsx, OCR);
- `spaces`: one row per line, cells set apart by runs of spaces (text copied from a PDF table).

`grid` says whether rows are real rows. A stream (`cells`, `spaced`) keeps its cells in
reading order as one-cell rows; readers of streams read label -> values records and never
align by position.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from functools import cached_property

_TAG = re.compile(r"<[^>]+>")


def clean_cell(raw: str) -> str:
    """Cell text for reading: <p> and tags removed, checkboxes as ☑ / ☐, entities unescaped."""
    s = re.sub(r"<input[^>]*\bchecked\b[^>]*>", "☑", raw)
    s = re.sub(r"<input[^>]*type=\"checkbox\"[^>]*>", "☐", s)
    s = re.sub(r"</p>\s*<p>", "\n", s)
    s = _TAG.sub("", s)
    s = html.unescape(s)
    return re.sub(r"[ \t\u3000]+", " ", s).strip()


@dataclass
class Cell:
    raw: str  # text[start:end]
    start: int
    end: int

    @cached_property
    def clean(self) -> str:  # read many times by the readers: cleaned once
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
    kind: str
    rows: list[Row]
    start: int
    end: int
    grid: bool = True  # False: a cell stream (each row holds one cell, in reading order)
    title: str = ""  # the line before the table, to name it in flags
    notes: list[str] = field(default_factory=list)

    @property
    def cells(self) -> list[Cell]:
        return [c for r in self.rows for c in r.cells]

    @property
    def name(self) -> str:
        return self.title or f"{self.kind} table at offset {self.start}"


def lines_of(text: str) -> list[tuple[int, int, str]]:
    """(start, end, line) for every line of the text."""
    out = []
    pos = 0
    for line in text.split("\n"):
        out.append((pos, pos + len(line), line))
        pos += len(line) + 1
    return out


def _cell(line: str, line_start: int, a: int, b: int) -> Cell:
    """The stripped text of line[a:b] as a cell with document offsets."""
    part = line[a:b]
    lead = len(part) - len(part.lstrip())
    stripped = part.strip()
    s = line_start + a + lead
    return Cell(stripped, s, s + len(stripped))


def split_cells(line: str, line_start: int, sep: str, outer_pipes: bool = False) -> list[Cell]:
    """Cells of one row. With outer_pipes the text before the first and after the last `|` is
    not a cell (markdown)."""
    lo, hi = 0, len(line)
    if outer_pipes:
        lo, hi = line.index("|") + 1, line.rindex("|")
    cells = []
    pos = lo
    for part in line[lo:hi].split(sep):
        cells.append(_cell(line, line_start, pos, pos + len(part)))
        pos += len(part) + 1
    return cells


# ---------------------------------------------------------------- line classes

_MD_ROW = re.compile(r"^\s*\|.*\|\s*$")
_MD_SEP = re.compile(r"^\s*\|[\s\-:|]+\|\s*$")
_PIPES_ONLY = re.compile(r"^\s*\|+\s*$")
_CELL_LINE = re.compile(r"^(?P<cell>[^|]*?)\s*\|\s*$")
_NUMERIC_CELL = re.compile(r"^[\s>=<≥≤＞＜]*-?[0-9０-９][0-9０-９,，.．]*\s*(?:%|％|[\u4e00-\u9fff/*·]{0,6})$")


_SPACES = re.compile(r"[ \u3000]{2,}")


def _is_spaced_row(line: str) -> bool:
    """A row whose cells are set apart by runs of spaces (text copied from a PDF table)."""
    s = line.strip()
    return 0 < len(s) <= 200 and "。" not in s and "\t" not in s and "|" not in s and len(_SPACES.split(s)) >= 2


def _spaced_cells(line: str, line_start: int) -> list[Cell]:
    lead = len(line) - len(line.lstrip())
    cells = []
    pos = lead
    for part in _SPACES.split(line.strip()):
        at = line.index(part, pos)
        cells.append(Cell(part, line_start + at, line_start + at + len(part)))
        pos = at + len(part)
    return cells


def _is_tsv_row(line: str) -> bool:
    return "\t" in line and sum(1 for c in line.split("\t") if c.strip()) >= 2


def _is_pipe_row(line: str) -> bool:
    """A row written with `|` between cells but not in markdown form."""
    s = line.strip()
    return "|" in s and not _PIPES_ONLY.match(s) and bool(re.search(r"\S\s*\|\s*\S", s)) and not _MD_ROW.match(line)


def _is_cell_line(line: str) -> bool:
    return bool(_PIPES_ONLY.match(line) or _CELL_LINE.match(line)) and line.strip() != ""


def _title_before(lines: list[tuple[int, int, str]], i: int) -> str:
    for j in range(i - 1, max(-1, i - 4), -1):
        s = lines[j][2].strip().strip("|").strip()
        if s:
            return s[:40]
    return ""


# ---------------------------------------------------------------- cell_lines


def _cell_stream(block: list[tuple[int, int, str]]) -> list[Cell]:
    """`X |` lines are cells; a line of k pipes is k empty cells (at each pipe's offset)."""
    cells: list[Cell] = []
    for s, _e, line in block:
        if _PIPES_ONLY.match(line):
            for k, ch in enumerate(line):
                if ch == "|":
                    cells.append(Cell("", s + k, s + k))
            continue
        m = _CELL_LINE.match(line)
        assert m is not None
        cells.append(_cell(line, s, 0, m.end("cell")))
    return cells


def _column_count(block: list[tuple[int, int, str]]) -> int | None:
    """A cell_lines table opens with its title row: one cell, then a line of k pipes for the
    k empty cells that fill the row. The column count is then k + 1."""
    if len(block) >= 2 and not _PIPES_ONLY.match(block[0][2]) and _PIPES_ONLY.match(block[1][2]):
        k = block[1][2].count("|")
        if k >= 2:
            return k + 1
    return None


def _cell_lines_table(block: list[tuple[int, int, str]], title: str) -> Table:
    cells = _cell_stream(block)
    n = _column_count(block)
    start, end = block[0][0], block[-1][1]
    if n is None or len(cells) < 2 * n:
        return Table("cell_lines", [Row([c], c.start, c.end) for c in cells], start, end, grid=False, title=title,
                     notes=["column count unknown: read as a cell stream"])
    rows = []
    for i in range(0, len(cells), n):
        chunk = cells[i : i + n]
        rows.append(Row(chunk, chunk[0].start, chunk[-1].end))
    notes = [] if len(cells) % n == 0 else [f"{len(cells) % n} cells left over after rows of {n}"]
    return Table("cell_lines", rows, start, end, grid=True, title=title, notes=notes)


# ---------------------------------------------------------------- streams

_SHORT = 40


def _is_stream_line(line: str) -> bool:
    s = line.strip()
    return 0 < len(s) <= _SHORT and "|" not in s and "\t" not in s


def _stream_block_end(lines: list[tuple[int, int, str]], i: int) -> int:
    """Index after a run of short paragraphs (blank lines between them allowed)."""
    j = i
    last = i
    while j < len(lines):
        line = lines[j][2]
        if not line.strip():
            j += 1
            continue
        if not _is_stream_line(line):
            break
        last = j
        j += 1
    return last + 1


def _stream_table(block: list[tuple[int, int, str]], kind: str, title: str) -> Table | None:
    cells = [_cell(line, s, 0, len(line)) for s, _e, line in block if line.strip()]
    numeric = sum(1 for c in cells if _NUMERIC_CELL.match(c.clean))
    if len(cells) < 12 or numeric < 4 or numeric < len(cells) * 0.15:
        return None
    return Table(kind, [Row([c], c.start, c.end) for c in cells], block[0][0], block[-1][1], grid=False, title=title)


def _spaced_table(s: int, line: str, title: str) -> Table | None:
    """A table run together on one line: tokens between runs of spaces."""
    if len(line) < 150:
        return None
    cells = [Cell(m.group(0), s + m.start(), s + m.end()) for m in re.finditer(r"\S+", line)]
    numeric = sum(1 for c in cells if _NUMERIC_CELL.match(c.raw))
    prose = sum(1 for c in cells if re.search(r"[，。；;,]", c.raw) or len(c.raw) > 30)
    if len(cells) < 20 or numeric < len(cells) * 0.25 or prose > len(cells) * 0.1:
        return None  # prose with spaces around its numbers, not a table
    return Table("spaced", [Row([c], c.start, c.end) for c in cells], s, s + len(line), grid=False, title=title)


# ---------------------------------------------------------------- all together


def find_tables(text: str, table_spans: list[tuple[int, int]] = (), hinted_kind: str = "docx") -> list[Table]:
    """Every table of the text, in order, whatever its flattening."""
    tables: list[Table] = []
    lines = lines_of(text)
    i = 0
    no_stream_before = 0
    while i < len(lines):
        start, _end, line = lines[i]
        title = _title_before(lines, i)
        hinted = next(((a, b) for a, b in table_spans if a <= start < b), None)
        if hinted:
            rows = []
            while i < len(lines) and lines[i][0] < hinted[1]:
                s, e, ln = lines[i]
                rows.append(Row(split_cells(ln, s, "\t"), s, e))
                i += 1
            tables.append(Table(hinted_kind, rows, rows[0].start, rows[-1].end, title=title))
            continue
        if _MD_ROW.match(line) and not _PIPES_ONLY.match(line):
            rows = []
            while i < len(lines) and _MD_ROW.match(lines[i][2]):
                s, e, ln = lines[i]
                if not _MD_SEP.match(ln) and not _PIPES_ONLY.match(ln):
                    rows.append(Row(split_cells(ln, s, "|", outer_pipes=True), s, e))
                i += 1
            if rows:
                tables.append(Table("markdown", rows, rows[0].start, rows[-1].end, title=title))
            continue
        if _is_cell_line(line) and i + 1 < len(lines) and _is_cell_line(lines[i + 1][2]):
            j = i
            while j < len(lines) and _is_cell_line(lines[j][2]):
                j += 1
            block = lines[i:j]
            if j - i >= 6:
                tables.append(_cell_lines_table(block, title))
                i = j
                continue
        if _is_pipe_row(line):
            j = i
            while j < len(lines) and (_is_pipe_row(lines[j][2]) or _is_cell_line(lines[j][2])):
                j += 1
            if j - i >= 2:
                rows = [Row(split_cells(ln, s, "|"), s, e) for s, e, ln in lines[i:j]]
                rows = [Row([c for c in r.cells], r.start, r.end) for r in rows]
                tables.append(Table("pipe", rows, rows[0].start, rows[-1].end, title=title))
                i = j
                continue
        if _is_tsv_row(line):
            rows = []
            j = i
            while j < len(lines) and _is_tsv_row(lines[j][2]):
                s, e, ln = lines[j]
                rows.append(Row(split_cells(ln, s, "\t"), s, e))
                j += 1
            if len(rows) >= 2:
                tables.append(Table("tsv", rows, rows[0].start, rows[-1].end, title=title))
                i = j
                continue
            i += 1
            continue
        if _is_spaced_row(line):
            j = i
            while j < len(lines) and _is_spaced_row(lines[j][2]):
                j += 1
            block = lines[i:j]
            numeric = sum(1 for s_, _e, ln in block for c in _spaced_cells(ln, s_) if _NUMERIC_CELL.match(c.raw))
            if j - i >= 2 and numeric >= 2:
                rows = [Row(_spaced_cells(ln, s_), s_, e_) for s_, e_, ln in block]
                tables.append(Table("spaces", rows, rows[0].start, rows[-1].end, title=title))
                i = j
                continue
        if _is_stream_line(line) and i >= no_stream_before:
            j = _stream_block_end(lines, i)
            t = _stream_table(lines[i:j], "cells", title)
            if t:
                tables.append(t)
                i = j
                continue
            no_stream_before = j  # a run of short lines is one stream table or none: tested once
        t = _spaced_table(start, line, title)
        if t:
            tables.append(t)
        i += 1
    return tables
