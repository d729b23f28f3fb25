"""Group OCR boxes into reading-order lines and table rows (pure functions)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import median


def skew_angle(boxes: Sequence[Sequence[Sequence[float]]]) -> float:
    """The page's text angle (radians), from the top edges of wide boxes."""
    angles = []
    for pts in boxes:
        (x0, y0), (x1, y1) = pts[0], pts[1]
        if x1 - x0 > 3 * abs(pts[3][1] - pts[0][1]):
            angles.append(math.atan2(y1 - y0, x1 - x0))
    return median(angles) if angles else 0.0


def boxes_to_text(boxes: Sequence[tuple[Sequence[Sequence[float]], str]]) -> str:
    """Boxes (four corner points, text) -> lines, top to bottom, left to right.

    Coordinates are first rotated by the page's skew, so that a scan tilted by a degree still
    groups into lines. Boxes whose vertical centres lie within half a line height form one
    line. Within a line, a gap wider than two character widths becomes a tab (a table cell
    boundary); a smaller gap joins directly (Chinese has no spaces).
    """
    if not boxes:
        return ""
    a = -skew_angle([b for b, _ in boxes])
    cos, sin = math.cos(a), math.sin(a)
    items = []
    for pts, txt in boxes:
        rot = [(x * cos - y * sin, x * sin + y * cos) for x, y in pts]
        xs = [p[0] for p in rot]
        ys = [p[1] for p in rot]
        items.append((min(xs), max(xs), (min(ys) + max(ys)) / 2, max(ys) - min(ys), txt))
    items.sort(key=lambda it: it[2])
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
    out = []
    for line in lines:
        line.sort(key=lambda it: it[0])
        s = line[0][4]
        for prev, cur in zip(line, line[1:]):
            char_w = max((prev[1] - prev[0]) / max(len(prev[4]), 1), 1.0)
            gap = cur[0] - prev[1]
            s += ("\t" if gap > 2 * char_w else "") + cur[4]
        out.append(s)
    return "\n".join(out)
