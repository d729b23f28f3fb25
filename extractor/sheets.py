"""Spreadsheets (.xlsx with openpyxl, .xls with xlrd) read into the document model.

Each sheet is a page, one line per row, its cells separated by tabs (the layout the .docx reader
gives a Word table): rows of two or more cells are tables the finder reads as grids, every cell
with its offsets in the text `extractor text` prints; a row of one cell (a title, a paragraph
typed into column A) is text, read as a report's prose is. A cell is written as the sheet shows it: a number
in its display format (0.7047 formatted 0.00% is 「70.47%」, 35.2 formatted 0.00 is 「35.20」), a
date as 2023-12-31. A merged range's text stands once, in its first cell: the cells it covers
to the right are dropped (as a Word table's merged cells are), those below are left empty.
Empty rows and trailing empty cells are left out.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from extractor.ingest import Document, IngestError, Page

_DECIMALS = re.compile(r"0\.(0+)")


def display(value: Any, number_format: str = "General") -> str:
    """A cell's value as the sheet shows it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d") if value.time() == dt.time() else value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, (int, float)):
        fmt = (number_format or "General").split(";")[0]
        m = _DECIMALS.search(fmt)
        places = len(m.group(1)) if m else None
        if "%" in fmt:
            v = value * 100
            return f"{v:.{places or 0}f}%"
        thousands = "," in fmt and "#" in fmt
        if places is not None:
            return f"{value:,.{places}f}" if thousands else f"{value:.{places}f}"
        if float(value).is_integer():
            return f"{int(value):,}" if thousands else str(int(value))
        return f"{round(float(value), 10):.10f}".rstrip("0").rstrip(".")
    return " ".join(str(value).split())  # a cell's own line breaks and runs of spaces: one space


def _text_of(sheets: Iterable[tuple[str, list[list[str]]]], path: Path, fmt: str, sha: str) -> Document:
    lines: list[str] = []
    pages: list[Page] = []
    spans: list[tuple[int, int]] = []
    pos = 0
    for _name, rows in sheets:
        rows = [r[: max((i + 1 for i, c in enumerate(r) if c), default=0)] for r in rows]
        rows = [r for r in rows if r]
        if not rows:
            continue
        if lines:
            lines.append("")
            pos += 1
        start = pos
        run: int | None = None  # where the current run of rows with two or more cells began
        for r in rows:
            line = "\t".join(r)
            if sum(1 for c in r if c) >= 2:
                run = pos if run is None else run
            elif run is not None:
                spans.append((run, pos - 1))
                run = None
            lines.append(line)
            pos += len(line) + 1
        if run is not None:
            spans.append((run, pos - 1))
        pages.append(Page(len(pages) + 1, start, pos - 1))
    text = "\n".join(lines)
    if not text.strip():
        raise IngestError("表格文件中没有文字")
    return Document(str(path), text, fmt, sha, pages, table_spans=spans)


def read_xlsx(path: Path, data: bytes, sha: str) -> Document:
    import zipfile

    import openpyxl
    from openpyxl.cell.cell import MergedCell

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as e:
        raise IngestError(f".xlsx 文件已损坏：{type(e).__name__}: {str(e)[:120]}") from None
    except Exception as e:  # noqa: BLE001 - openpyxl / lxml raise many kinds for broken parts
        raise IngestError(f".xlsx 文件已损坏：{type(e).__name__}: {str(e)[:120]}") from None

    def sheets() -> Iterable[tuple[str, list[list[str]]]]:
        for ws in wb.worksheets:
            covered_right = {(r, c) for rng in ws.merged_cells.ranges
                             for r in range(rng.min_row, rng.max_row + 1) for c in range(rng.min_col + 1, rng.max_col + 1)}
            rows = []
            for row in ws.iter_rows():
                cells = []
                for cell in row:
                    if (cell.row, cell.column) in covered_right:
                        continue
                    cells.append("" if isinstance(cell, MergedCell) else display(cell.value, cell.number_format))
                rows.append(cells)
            yield ws.title, rows

    return _text_of(sheets(), path, "xlsx", sha)


def read_xls(path: Path, data: bytes, sha: str) -> Document:
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True)
    except Exception as e:  # noqa: BLE001 - xlrd raises its own XLRDError and struct errors for broken files
        raise IngestError(f".xls 文件已损坏：{type(e).__name__}: {str(e)[:120]}") from None

    def number_format(sheet: Any, r: int, c: int) -> str:
        try:
            xf = book.xf_list[sheet.cell_xf_index(r, c)]
            return book.format_map[xf.format_key].format_str
        except (IndexError, KeyError):
            return "General"

    def sheets() -> Iterable[tuple[str, list[list[str]]]]:
        for sheet in book.sheets():
            covered_right = {(r, c) for rlo, rhi, clo, chi in sheet.merged_cells
                             for r in range(rlo, rhi) for c in range(clo + 1, chi)}
            covered_below = {(r, c) for rlo, rhi, clo, chi in sheet.merged_cells
                             for r in range(rlo + 1, rhi) for c in range(clo, clo + 1)}
            rows = []
            for r in range(sheet.nrows):
                cells = []
                for c in range(sheet.ncols):
                    if (r, c) in covered_right:
                        continue
                    cell = sheet.cell(r, c)
                    value: Any = cell.value
                    if (r, c) in covered_below or cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                        value = None
                    elif cell.ctype == xlrd.XL_CELL_DATE:
                        value = xlrd.xldate.xldate_as_datetime(cell.value, book.datemode)
                    elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                        value = bool(cell.value)
                    elif cell.ctype == xlrd.XL_CELL_ERROR:
                        value = None
                    cells.append(display(value, number_format(sheet, r, c) if cell.ctype == xlrd.XL_CELL_NUMBER else "General"))
                rows.append(cells)
            yield sheet.name, rows

    return _text_of(sheets(), path, "xls", sha)
