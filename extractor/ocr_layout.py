"""Group OCR boxes into reading-order lines and table rows (pure functions)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median


def _extent(pts: Sequence[Sequence[float]], txt: str, cos: float, sin: float) -> tuple[float, float, float, float, str]:
    """A box rotated by the page's skew: (left, right, centre y, height, text)."""
    rot = [(x * cos - y * sin, x * sin + y * cos) for x, y in pts]
    xs = [p[0] for p in rot]
    ys = [p[1] for p in rot]
    return (min(xs), max(xs), (min(ys) + max(ys)) / 2, max(ys) - min(ys), txt)


def skew_angle(boxes: Sequence[Sequence[Sequence[float]]]) -> float:
    """The page's text angle (radians), from the top edges of wide boxes."""
    angles = []
    for pts in boxes:
        (x0, y0), (x1, y1) = pts[0], pts[1]
        if x1 - x0 > 3 * abs(pts[3][1] - pts[0][1]):
            angles.append(math.atan2(y1 - y0, x1 - x0))
    return median(angles) if angles else 0.0


Rule = tuple[float, float, float]  # a ruling line: its position, where it starts, where it ends


@dataclass
class Ruled:
    """A table drawn with ruling lines: its row bands and, per band, the x of the lines crossing it."""

    top: float
    bottom: float
    left: float
    right: float
    bands: list[tuple[float, float, list[float]]]


def ruled_tables(horizontal: Sequence[Rule], vertical: Sequence[Rule], min_gap: float = 8.0) -> list[Ruled]:
    """Tables from the ruling lines of a page: vertical lines that overlap in height make one
    table; its horizontal lines cut it into row bands; in each band, the vertical lines that
    cross it are the cell borders (a merged cell simply has fewer)."""
    groups: list[list[Rule]] = []
    for v in sorted(vertical, key=lambda r: r[1]):
        for g in groups:
            if v[1] < max(r[2] for r in g) and v[2] > min(r[1] for r in g):
                g.append(v)
                break
        else:
            groups.append([v])
    out = []
    for g in groups:
        if len(g) < 2:
            continue
        left, right = min(r[0] for r in g), max(r[0] for r in g)
        top, bottom = min(r[1] for r in g), max(r[2] for r in g)
        ys = sorted({round(h[0]) for h in horizontal
                     if top - min_gap <= h[0] <= bottom + min_gap and min(h[2], right) - max(h[1], left) > (right - left) * 0.2})
        cuts: list[float] = []
        for y in ys:
            if not cuts or y - cuts[-1] >= min_gap:
                cuts.append(y)
        bands = []
        for y0, y1 in zip(cuts, cuts[1:]):
            mid = (y0 + y1) / 2
            xs = sorted({round(r[0]) for r in g if r[1] <= mid <= r[2]})
            if len(xs) >= 2:
                bands.append((y0, y1, [float(x) for x in xs]))
        if len(bands) >= 2:
            out.append(Ruled(top, bottom, left, right, bands))
    return out


def _ruled_rows(table: Ruled, items: list[tuple[float, float, float, float, str]]) -> list[tuple[float, str]]:
    """Each band of a ruled table as one row: the boxes whose centre falls in a cell, read top to
    bottom and left to right inside it (a wrapped cell joins into one), cells joined by TAB."""
    rows = []
    for y0, y1, xs in table.bands:
        cells: list[list[tuple[float, float, float, float, str]]] = [[] for _ in xs[1:]]
        for it in items:
            cx = (it[0] + it[1]) / 2
            if y0 <= it[2] < y1:
                for c, (a, b) in enumerate(zip(xs, xs[1:])):
                    if a <= cx < b:
                        cells[c].append(it)
                        break
        if any(cells):
            rows.append((y0, "\t".join("".join(t.replace("\t", "") for _, t in _lines(cell)) for cell in cells)))
    return rows


def boxes_to_text(boxes: Sequence[tuple[Sequence[Sequence[float]], str]],
                  rulings: tuple[Sequence[Rule], Sequence[Rule]] | None = None) -> str:
    """Boxes (four corner points, text) -> lines, top to bottom, left to right.

    Tables drawn with ruling lines (`rulings`: the page's horizontal and vertical lines, on an
    unskewed page) are read cell by cell, one row per band. Elsewhere, coordinates are first
    rotated by the page's skew, so that a scan tilted by a degree still groups into lines.
    Boxes whose vertical centres lie within half a line height form one line. Within a line, a
    gap wider than two character widths becomes a tab (a table cell boundary); a smaller gap
    joins directly (Chinese has no spaces).
    """
    if not boxes:
        return ""
    a = -skew_angle([b for b, _ in boxes])
    tables = ruled_tables(*rulings) if rulings and abs(a) < math.radians(0.3) else []
    if not tables:
        cos, sin = math.cos(a), math.sin(a)
        return "\n".join(t for _, t in _lines([_extent(pts, txt, cos, sin) for pts, txt in boxes]))
    items = [_extent(pts, txt, 1.0, 0.0) for pts, txt in boxes]

    def inside(it: tuple[float, float, float, float, str]) -> bool:
        return any(t.left <= (it[0] + it[1]) / 2 <= t.right and t.top <= it[2] <= t.bottom for t in tables)

    rows = [row for t in tables for row in _ruled_rows(t, [it for it in items if inside(it)])]
    prose = _lines([it for it in items if not inside(it)])
    return "\n".join(t for _, t in sorted(rows + prose, key=lambda r: r[0]))


def _lines(items: list[tuple[float, float, float, float, str]]) -> list[tuple[float, str]]:
    """Boxes grouped into lines (vertical centres within half a line height), each line's
    cells joined by TAB and table runs kept in their columns; (y, text) per line."""
    items = sorted(items, key=lambda it: it[2])
    lines: list[list[tuple[float, float, float, float, str]]] = []
    for it in items:
        if lines:
            last = lines[-1]
            cy = sum(x[2] for x in last) / len(last)
            lh = max(x[3] for x in last)
            if abs(it[2] - cy) < max(lh, it[3]) * 0.5:
                last.append(it)
                continue
        lines.append([it])
    ys = [sum(x[2] for x in line) / len(line) for line in lines]
    rows = [_cells(sorted(line, key=lambda it: it[0])) for line in lines]
    out: list[tuple[float, str]] = []
    k = 0
    while k < len(rows):
        if len(rows[k]) < 2:
            out.append((ys[k], rows[k][0][2]))
            k += 1
            continue
        j = k
        while j < len(rows) and len(rows[j]) >= 2:
            j += 1
        out += list(zip(ys[k:j], _grid(rows[k:j])))
        k = j
    return out


Cell = tuple[float, float, str]  # left, right, text


def _cells(line: list[tuple[float, float, float, float, str]]) -> list[Cell]:
    """A line's boxes joined into cells: a gap wider than two character widths starts a new cell."""
    cells: list[Cell] = [(line[0][0], line[0][1], line[0][4])]
    for prev, cur in zip(line, line[1:]):
        char_w = max((prev[1] - prev[0]) / max(len(prev[4]), 1), 1.0)
        left, right, text = cells[-1]
        if cur[0] - prev[1] > 2 * char_w:
            cells.append((cur[0], cur[1], cur[4]))
        else:
            cells[-1] = (left, cur[1], text + cur[4])
    return cells


def _grid(rows: list[list[Cell]]) -> list[str]:
    """Rows of a table placed into the columns of its fullest row by the x-extent of their cells,
    a missing cell written as an empty one (so 「年度资金总额 | | 30」 keeps its columns). A row
    whose cells do not each fall in one column of their own stays as read: its cell count then
    differs from the header's, and the table reader treats it as not aligned."""
    widest = max(rows, key=len)
    columns = [(left, right) for left, right, _ in widest]
    out = []
    for row in rows:
        if len(row) == len(columns):
            out.append("\t".join(text for _, _, text in row))
            continue
        placed: dict[int, str] = {}
        for left, right, text in row:
            hits = [c for c, (a, b) in enumerate(columns) if min(b, right) - max(a, left) > 0]
            if len(hits) != 1 or hits[0] in placed:
                placed = {}
                break
            placed[hits[0]] = text
        if placed:
            out.append("\t".join(placed.get(c, "") for c in range(len(columns))))
        else:
            out.append("\t".join(text for _, _, text in row))
    return out
