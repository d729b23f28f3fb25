"""Review flags for OCR slips (pure functions), applied to records whose text came from OCR.

- Shapes that suggest a misread: a list marker fused with a year (「1.2024年」 for 「1. 2024年」)
  and numbers with a letter inside (0/O, 1/l/I, 5/S, 8/B).
- A decimal point the engine dropped: in a table column whose amounts are written with two
  decimals, an integer such as 240 or 1280 (2.40 and 12.80 on the page).
- Reconciliation errors that a single misread digit would explain: the difference between
  what the numbers say and what the report states is one digit in one place (±d×10^k), or
  the stated value differs from the expected one in exactly one character.
"""

from __future__ import annotations

import re
from decimal import Decimal

from extractor.models import Flag
from extractor.tables import Table

_FUSED_YEAR = re.compile(r"(?<![\d.．])(\d{1,2})[.．]((?:19|20)\d{2})\s*年")
_LETTER_IN_NUMBER = re.compile(
    r"(?<![A-Za-z0-9])(?=[0-9OolIS]*[0-9])(?=[0-9OolIS]*[OolIS])[0-9OolIS][0-9OolIS.,]*[0-9OolIS]"
    r"(?=\s*(?:万元|元|%|％|件|人|个|分|次|场))"
)


def shape_flags(text: str) -> list[Flag]:
    out = []
    for m in _FUSED_YEAR.finditer(text):
        out.append(Flag(rule="ocr_fused_year", severity="warning", paths=[], found=m.group(0),
                        expected=f"{m.group(1)}. {m.group(2)}年",
                        message=f"偏移 {m.start()} 处「{m.group(0)}」像是 OCR 把序号和年份连在了一起"))
    for m in _LETTER_IN_NUMBER.finditer(text):
        fixed = m.group(0).translate(str.maketrans("OolIS", "00115"))
        out.append(Flag(rule="ocr_letter_in_number", severity="warning", paths=[], found=m.group(0), expected=fixed,
                        message=f"偏移 {m.start()} 处「{m.group(0)}」数字中夹有字母，可能是 {fixed}"))
    return out


def dropped_points(tables: list[Table]) -> list[Flag]:
    """Integers in a column of amounts written with a fixed number of decimals: a decimal point
    the OCR engine missed (「240」 where the column reads 35.20, 40.00, 6.40 …)."""
    out = []
    for t in tables:
        if not t.grid:
            continue
        for col in range(max(len(r.cells) for r in t.rows)):
            cells = [r.cells[col] for r in t.rows if col < len(r.cells) and re.fullmatch(r"\d+(?:\.\d+)?", r.cells[col].clean)]
            places = [len(c.clean.split(".")[1]) for c in cells if "." in c.clean]
            if len(places) < 3 or len(set(places)) != 1:
                continue
            d = places[0]
            for c in cells:
                if "." not in c.clean and len(c.clean) > d and c.clean != "0":
                    fixed = f"{c.clean[:-d]}.{c.clean[-d:]}"
                    out.append(Flag(rule="ocr_dropped_point", severity="warning", paths=[], found=c.clean, expected=fixed,
                                    message=f"偏移 {c.start} 处「{c.clean}」所在列的数都写 {d} 位小数，可能是 OCR 漏识小数点：{fixed}"))
    return out


def _single_digit_step(diff: Decimal) -> bool:
    """Is |diff| = d × 10^k for a single digit d (one misread digit in one number)?"""
    if diff == 0:
        return False
    digits = abs(diff).normalize().as_tuple().digits
    return len(digits) == 1


def _one_char_apart(a: str, b: str) -> bool:
    return len(a) == len(b) and sum(x != y for x, y in zip(a, b)) == 1


def one_char_fixes(flags: list[Flag]) -> list[Flag]:
    """A review flag beside each numeric error that one misread character would explain."""
    out = []
    for f in flags:
        if f.severity != "error" or not isinstance(f.expected, Decimal) or not isinstance(f.found, Decimal):
            continue
        e, fo = f.expected, f.found
        if _single_digit_step(e - fo) or _one_char_apart(format(e.normalize(), "f"), format(fo.normalize(), "f")):
            out.append(Flag(rule="ocr_suspect_digit", severity="warning", paths=f.paths, expected=e, found=fo,
                            message=f"{f.rule}：{fo} 与 {e} 只差一位数字；请先核对扫描件是否识别有误，再认定为报告本身的错误"))
    return out
