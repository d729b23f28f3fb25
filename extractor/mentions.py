"""The mention stage: every number, table cell value and candidate name a field could take,
parsed and grounded once.

A mention is what a backend may choose: the LLM answers with mention ids, the builder turns
chosen ids into grounded values (quote == text[start:end] by construction), and the hybrid
backend compares the two backends' choices by the mentions they land on. Nothing here decides
what a mention means; its labels (the words before it, its table row and column) say where it
sits so that a reader (or a model) can decide.

Pure functions of the document text (chrome already blanked) and its layout.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import lru_cache

from extractor import lexicon
from extractor.ingest import Document
from extractor.lexicon import Lexicon
from extractor.normalize import QUANTITY_UNITS, declared_unit, scan_quantities
from extractor.segment import Layout
from extractor.tables import Cell, Table

CJK = "\u4e00-\u9fff"
OPENING_CHARS = 400  # a report names its department in its title and first sentences

# what a number is, for a field: kind as the scanner reads it -> the kinds of fields it can fill
KINDS = ("money", "percent", "points", "score", "count", "number", "year", "name")


@dataclass(frozen=True)
class Mention:
    id: str              # "m17": stable within one document
    kind: str            # money | percent | points | score | count | number | year | name
    value: Decimal | str  # money in 万元; a percent as its number; a name as written
    unit: str            # as written: 万元 元 % 分 件 人 ...; "" for a bare number or a name
    approx: bool
    start: int           # the quantity as written (unit included) or the name: text[start:end]
    end: int
    label: str = ""      # prose: the words before it in its clause; a cell: its row's label
    column: str = ""     # a cell: its column's header
    table: int | None = None  # index of the table in layout.tables
    row: int | None = None    # index of the row in that table
    money_unit: str | None = None  # a bare number in a table that declares 单位：万元 / （元）
    decimals: int = 0    # decimals as written (money: of the value in 万元)
    comparator: str | None = None  # ">=", "<=", ">", "<": a target (不低于95%), not what happened
    num_start: int = 0   # the number alone, inside [start, end)
    num_end: int = 0

    def line(self, text: str) -> str:
        """The compact line a model reads: id, value as written, where it sits."""
        where = f"{self.label}｜{self.column}" if self.column else self.label
        quote = text[self.start:self.end].replace("\n", " ")
        return f"{self.id} {quote} 〔{where}〕" if where else f"{self.id} {quote}"


def _clause_before(text: str, pos: int, limit: int = 14) -> str:
    """The words before `pos` in its clause (after a comma when that leaves a few words), at
    most `limit` characters, on one line."""
    s = text[max(0, pos - limit):pos]
    for stop in "。；;\n|\t":
        i = s.rfind(stop)
        if i >= 0:
            s = s[i + 1:]
    comma = max(s.rfind("，"), s.rfind(","), s.rfind("、"))
    if comma >= 0 and len(s) - comma > 3:
        s = s[comma + 1:]
    return re.sub(r"\s+", "", s)


def _header_labels(t: Table, lex: Lexicon) -> tuple[int | None, dict[int, str]]:
    """The header row of a grid (the first row with two or more known column labels) and the
    header text of each of its columns."""
    if not t.grid:
        return None, {}
    for i, row in enumerate(t.rows[:6]):
        known = [c for c in row.cells if lex.column_of(c.clean)]
        if len(known) >= 2:
            return i, {j: c.clean for j, c in enumerate(row.cells) if c.clean}
    return None, {}


def _row_label(cells: list[Cell]) -> str:
    """A row's label: its first cells that hold words, not numbers (三级指标 after 一级, 二级)."""
    words = [c.clean for c in cells if re.search(rf"[{CJK}]{{2}}", c.clean) and not re.search(r"\d", c.clean)]
    return "/".join(words[:3])[-40:]


def find(doc: Document, layout: Layout, lex: Lexicon | None = None) -> list[Mention]:
    """Every mention of the document, in text order, numbered m1, m2, …"""
    lex = lex or lexicon.load()
    text = doc.text
    found: list[tuple] = []
    cell_at: dict[int, tuple[int, int, Cell, str, str, str | None]] = {}
    for ti, t in enumerate(layout.tables):
        hdr, columns = _header_labels(t, lex)
        unit = declared_unit(text[max(0, t.start - 80):t.start] + " " + " ".join(c.clean for c in t.cells[:60]))
        for ri, row in enumerate(t.rows):
            if ri == hdr:
                continue
            label = _row_label(row.cells)
            for ci, c in enumerate(row.cells):
                if c.clean:
                    cell_at[c.start] = (ti, ri, c, label, columns.get(ci, "") if t.grid else "", unit)
    for q in scan_quantities(text):
        if q.kind in ("date",):
            continue
        kind = q.kind  # "points" (个百分点) stays apart: a difference, not a rate
        if kind == "count" and q.unit not in QUANTITY_UNITS:
            kind = "number"
        marker = re.match(r"\d{1,2}\.(?=\d)", text[q.num_start:q.num_end])
        if kind == "count" and marker and q.unit in lex.outputs["entity_counters"] and not text[text.rfind("\n", 0, q.start) + 1:q.start].strip():
            # 「7.21个司法所…」 opening a line: item 7 of a list, 21 of them (司法所 are not counted in tenths)
            ns = q.num_start + marker.end()
            q = replace(q, start=ns, num_start=ns, value=Decimal(text[ns:q.num_end]), decimals=0)
        cell = _cell_holding(cell_at, text, q.start)
        if cell is not None:
            ti, ri, _c, label, column, unit = cell
            found.append((q.start, q.end, kind, q.value, q.unit, q.approx, label, column, ti, ri, unit, q.decimals, q.comparator, q.num_start, q.num_end))
        elif kind == "number" and q.value == q.value.to_integral_value() and abs(q.value) < 30:
            continue  # a small bare number in prose is a list marker or an ordinal (1.任务1), not a field's value
        else:
            found.append((q.start, q.end, kind, q.value, q.unit, q.approx, _clause_before(text, q.start), "", None, None, None,
                          q.decimals, q.comparator, q.num_start, q.num_end))
    found += _names(doc, cell_at)
    found.sort(key=lambda f: (f[0], f[1]))
    out: list[Mention] = []
    last_end = -1
    for s, e, kind, value, unit, approx, label, column, ti, ri, mu, decimals, comparator, ns, ne in found:
        if kind == "name" and s < last_end:
            continue  # a name overlapping a number already listed
        out.append(Mention(f"m{len(out) + 1}", kind, value, unit, approx, s, e, label, column, ti, ri, mu, decimals, comparator, ns, ne))
        last_end = max(last_end, e)
    return out


def _cell_holding(cell_at: dict, text: str, pos: int):  # noqa: ANN202
    """The table cell a quantity starting at `pos` sits in (cells are keyed by their start)."""
    for back in range(0, 24):
        hit = cell_at.get(pos - back)
        if hit is not None:
            return hit if hit[2].end > pos else None
        if pos - back <= 0 or text[pos - back - 1] in "\n|\t":
            return None
    return None


@lru_cache(maxsize=1)
def _org_pattern() -> re.Pattern[str]:
    """An organisation named with its region (金安区司法局, 重庆市梁平区林业局): a region word,
    then the body, then an organisation suffix (data: vocab.toml [org])."""
    lex = lexicon.load()
    suffixes = "|".join(map(re.escape, sorted(lex.org["suffixes"], key=len, reverse=True)))
    return re.compile(rf"[{CJK}]{{1,10}}?(?:省|市|区|县|州|旗|盟)[{CJK}（()）]{{0,16}}?(?:{suffixes})(?![{CJK}]?(?:长|办法|条例|文件|通知))")


# characters an organisation's name does not hold: a match across them is a clause
# (「就业专项资金是由县级以上人民政府」), not a name
_FUNCTION_WORDS = re.compile(r"[是由为的在对把将从向按据经]")


def _names(doc: Document, cell_at: dict) -> list[tuple]:
    """Candidate department names: organisations named with their region, where a report names
    who wrote it (its title and first sentences, the whole text for a name written again and
    again), or filling a table cell (主管部门 | 稷山县卫生健康和体育局)."""
    text = doc.text
    out: list[tuple] = []
    seen: set[str] = set()
    twice = _WrittenTwice(text)
    for m in _org_pattern().finditer(text):
        name, s = _org_name(text, m.start(), m.end(), twice)
        if name is None or name in seen:
            continue
        if s >= OPENING_CHARS and not twice(name) and not (s == 0 or text[s - 1] == "\n"):
            continue  # far from the opening, written once, inside a sentence: an office the report mentions
        seen.add(name)
        out.append((s, m.end(), "name", name, "", False, _clause_before(text, s, 8), "", None, None, None, 0, None, s, m.end()))
    for start, (ti, ri, c, label, column, _unit) in cell_at.items():
        v = c.clean
        if v not in seen and _org_pattern().fullmatch(v) and text[c.start:c.end].strip() == v:
            a = c.start + text[c.start:c.end].index(v)
            out.append((a, a + len(v), "name", v, "", False, label if label != v else "", column, ti, ri, None, 0, None, a, a + len(v)))
    return out


class _WrittenTwice:
    """Is a string written at least twice in the text? Answered once per string, each search
    stopping at the second occurrence (names repeat: a report names its offices again and again)."""

    def __init__(self, text: str):
        self.text = text
        self.seen: dict[str, bool] = {}

    def __call__(self, s: str) -> bool:
        if s not in self.seen:
            first = self.text.find(s)
            self.seen[s] = first >= 0 and self.text.find(s, first + len(s)) >= 0  # as str.count: not overlapping
        return self.seen[s]


def _org_name(text: str, start: int, end: int, twice: _WrittenTwice) -> tuple[str | None, int]:
    """The organisation a match of the pattern names, and where it starts. A match runs on from
    the words before it (「2022年度上街区司法局」, 「主管部门银川市教育局」, 「主动学习区财政局」), so
    the name is the tail after a year or a department label, else the longest tail the text
    writes elsewhere too, else the whole match where it starts a line or follows a bracket,
    a quote or a cell border (not a colon: 「目标：做好服务区政府…」); never one that holds a function word (是由…)."""
    match = text[start:end]
    lead = re.match(rf"(?:.*?(?:年度|年|{_department_labels()}))(?=[{CJK}]{{2}})", match)
    if lead and _org_pattern().fullmatch(match[lead.end():]) and not _FUNCTION_WORDS.search(match[lead.end():]):
        return match[lead.end():], start + lead.end()
    for i in range(len(match) - 3):
        tail = match[i:]
        if _FUNCTION_WORDS.search(tail) or not re.match(rf"[{CJK}]{{2}}", tail):
            continue
        if _org_pattern().fullmatch(tail) and twice(tail):
            return tail, start + i
    before = text[start - 1] if start > 0 else "\n"
    if before in "\n《“\"（(|" and not _FUNCTION_WORDS.search(match):
        return match, start
    return None, start


@lru_cache(maxsize=1)
def _department_labels() -> str:
    lex = lexicon.load()
    labels = sorted({x for k in ("department", "implementer") for x in lex.keyvalue.get(k, [])}, key=len, reverse=True)
    return "|".join(map(re.escape, labels))


def between(mentions: list[Mention], lo: int, hi: int, kinds: tuple[str, ...] | None = None) -> list[Mention]:
    """The mentions that start in [lo, hi), in text order (mentions are sorted by start), of
    the given kinds (numbers of every kind when None: names left out)."""
    i = bisect.bisect_left(mentions, lo, key=lambda m: m.start)
    out = []
    while i < len(mentions) and mentions[i].start < hi:
        m = mentions[i]
        if (kinds is None and m.kind != "name") or (kinds is not None and m.kind in kinds):
            out.append(m)
        i += 1
    return out


def at(mentions: list[Mention], start: int, end: int) -> Mention | None:
    """The mention a grounded value (span start..end) stands on: the one overlapping it most."""
    best, overlap = None, 0
    for m in mentions:
        o = min(end, m.end) - max(start, m.start)
        if o > overlap:
            best, overlap = m, o
    return best
