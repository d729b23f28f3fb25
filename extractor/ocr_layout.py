"""Group OCR boxes into reading-order lines and table rows (pure functions)."""

from __future__ import annotations

from collections.abc import Sequence


def boxes_to_text(boxes: Sequence[tuple[Sequence[Sequence[float]], str]]) -> str:
    """Boxes (four corner points, text) -> lines, top to bottom, left to right.

    Boxes whose vertical centres lie within half a line height of each other form one line.
    Within a line, a horizontal gap wider than two character widths becomes a tab (a table
    cell boundary); a smaller gap joins directly (Chinese has no spaces).
    """
    items = []
    for pts, txt in boxes:
        xs = [p[0] for p in pts]
        ys = [p[1] for p in pts]
        h = max(ys) - min(ys)
        items.append((min(xs), max(xs), (min(ys) + max(ys)) / 2, h, txt))
    if not items:
        return ""
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
