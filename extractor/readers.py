"""Generic readers: the lexicon (extractor/lexicon/*.toml) applied to a report's grids, cell
streams and sentences. No label is written here; pure functions of the document.

- chrome: page navigation and metadata lines are blanked before any reader looks (offsets
  kept), so chrome never becomes a department, an output or an amount;
- grids: header cells give columns their meaning, a label cell gives its row's; a value is
  read only where its column is certain (same cell count as the header, or as many values as
  the header has labels); a row in doubt yields nothing and the table is named in a note;
- streams (one cell per paragraph, a table run together on one line): label -> next cell,
  and indicator records 「指标N:名称 值 值 …」 mapped onto the column labels in stream order;
- sentences: 「label … number」 within the label's window and clause.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from extractor.grounding import g_amount, g_int, g_num, g_str
from extractor.ingest import Document
from extractor.lexicon import Lexicon, norm_label
from extractor.build import money_of
from extractor.mentions import Mention, between
from extractor.models import Amount, Evidence, FundingPart, GroundedInt, GroundedNum, GroundedStr, Indicator
from extractor.normalize import (
    ARABIC,
    declared_unit,
    parse_money,
    parse_number,
    parse_percent,
)
from extractor.runs import read_rate_runs
from extractor.segment import Layout, heading_of, sentence_prefix
from extractor.tables import Cell, Row, Table, lines_of

CJK = "\u4e00-\u9fff"

# ---------------------------------------------------------------- chrome


@lru_cache(maxsize=4)
def _chrome_pattern(lex: Lexicon) -> re.Pattern[str]:
    markers = "|".join(re.escape(m) for m in lex.chrome["markers"])
    return re.compile(rf"(?:^|[\s|\[【>》,，])(?:{markers})")


def _chrome_line(line: str, lex: Lexicon) -> bool:
    s = line.strip()
    if not s or len(s) > 160:
        return False
    if _chrome_pattern(lex).search(s):
        return True
    tokens = [t for t in re.split(r"[\s|>»/]+", s) if t]
    return bool(tokens) and all(t in lex.chrome["nav_words"] for t in tokens)


def mask_chrome(text: str, lex: Lexicon) -> tuple[str, list[tuple[int, int]]]:
    """The text with chrome lines blanked (same length, offsets unchanged), and their spans."""
    spans = [(a, b) for a, b, line in lines_of(text) if _chrome_line(line, lex)]
    if not spans:
        return text, []
    chars = list(text)
    for a, b in spans:
        chars[a:b] = " " * (b - a)
    return "".join(chars), spans


# ---------------------------------------------------------------- titles, kind, department


def title_lines(text: str, n: int = 6) -> list[tuple[int, str]]:
    """The first non-empty lines (after chrome was blanked), with the offset of their text."""
    out = []
    for pos, _end, line in lines_of(text):
        if line.strip():
            out.append((pos + len(line) - len(line.lstrip()), line.strip()))
            if len(out) >= n:
                break
    return out


def fiscal_year(doc: Document) -> GroundedInt | None:
    """The year evaluated: a year in a title line, else 「N年度」, else the year the text names most."""
    text = doc.text
    for pos, line in title_lines(text):
        m = re.search(r"(\d{4})\s*年度?", line)
        if m and re.search(r"报告|自评|年度", line) and not re.search(r"\d{4}\s*年\s*\d{1,2}\s*月", line):
            s = pos + m.start()
            return g_int(doc, int(m.group(1)), s, pos + m.end())
    m = re.search(r"(\d{4})\s*年度", text)
    if m:
        return g_int(doc, int(m.group(1)), m.start(), m.end())
    years: dict[str, list[re.Match[str]]] = {}
    for m in re.finditer(r"(\d{4})\s*年(?!\s*\d{1,2}\s*月)", text):
        years.setdefault(m.group(1), []).append(m)
    if years:
        best = max(years.values(), key=len)[0]
        return g_int(doc, int(best.group(1)), best.start(), best.end())
    return None


def report_kind(text: str, lex: Lexicon) -> str | None:
    head = norm_label("".join(line for _, line in title_lines(text, 4))).replace("的", "")  # 绩效自评的报告
    opening = text[:1500] if re.search(r"报告|自评", head) else ""  # a title that names no kind
    headings = {line.strip().lstrip("一二三四五六七八九十、.．0123456789 ") for _s, _e, line in lines_of(text[:1500])}
    for kind in lex.kind:
        if any(norm_label(t) in head for t in kind.title) or any(b in opening for b in kind.body) \
                or any(h in headings for h in kind.headings):
            return kind.name
    titles = {norm_label(t): kind.name for kind in lex.kind for t in kind.title}
    for _s, _e, line in lines_of(text):  # a head that names no kind (「…基础数据表」), then 「附件2」 / 「部门整体支出绩效自评表」
        if 4 <= len(line.strip()) <= 30 and norm_label(line.strip()) in titles:
            return titles[norm_label(line.strip())]
    return None


def is_project_kind(kind: str | None) -> bool:
    return bool(kind) and kind.startswith("项目")


@lru_cache(maxsize=4)
def _org_re(lex: Lexicon) -> str:
    suffixes = sorted(lex.org["suffixes"], key=len, reverse=True)
    return "(?:" + "|".join(map(re.escape, suffixes)) + ")"


def title_department(doc: Document, lex: Lexicon) -> GroundedStr | None:
    """The unit named at the head of the report: a line that is only an organisation name, or
    the organisation a title line begins with (「红河州第二人民医院国家基本…2023年度绩效自评报告」):
    the longest stretch before the year or 关于 that ends with an organisation suffix."""
    org = _org_re(lex)
    for pos, line in title_lines(doc.text, 4):
        body = re.sub(r"^(?:[#*\s]+|\d{1,2}[、.．]\s*)|[*]+$", "", line)
        off = pos + line.index(body) if body in line else pos
        if re.fullmatch(rf"[{CJK}]{{2,24}}{org}", body) and not re.search(r"报告|自评|评价", body):
            return g_str(doc, body, off, off + len(body))
        if not re.search(r"报告|自评|评价|绩效|使用情况", body):
            continue
        cut = re.search(r"\s*(?:\d{4}\s*年度?|关于)", body)
        head = body[: cut.start()] if cut else body[:24]
        if cut is not None and cut.start() == 0:  # 「(关于)2022年度上街区司法局部门整体自评报告」: the unit follows
            lead = re.match(r"(?:\s*(?:关于|\d{4}\s*年度?))+\s*", body)
            off, head = off + lead.end(), body[lead.end():][:24]  # type: ignore[union-attr]
        ends = [m.end() for m in re.finditer(org, head)]
        if ends and re.fullmatch(rf"[{CJK}]{{3,30}}", head[: ends[-1]]):
            name = head[: ends[-1]]
            return g_str(doc, name, off, off + len(name))
    return None


_OPENING = re.compile(r"现将(?P<body>[^。；\n]{4,80}?)(?:报告|汇报)如下")


def opening_department(doc: Document, lex: Lexicon) -> GroundedStr | None:
    """The unit a report's opening sentence names: 「现将2022年西平县交通运输局…绩效自评总结报告如下」."""
    org = _org_re(lex)
    m = _OPENING.search(doc.text[:2000])
    if m is None:
        return None
    body = m.group("body")
    year = re.search(r"\d{4}\s*年度?", body)
    head = body[year.end():] if year else body
    off = m.start("body") + (year.end() if year else 0)
    ends = [x.end() for x in re.finditer(org, head[:30])]
    if ends and re.fullmatch(rf"[{CJK}]{{3,30}}", head[: ends[0]]) and not head.startswith(("我", "本")):
        return g_str(doc, head[: ends[0]], off, off + ends[0])
    return None


def body_department(doc: Document, lex: Lexicon) -> GroundedStr | None:
    """The unit a report names with its year in the body: 「金安区司法局 2024 年预算金额…」."""
    m = re.search(rf"(?<![{CJK}])(?:为|我|本|在|对|由|根据|经)?(?P<name>[{CJK}]{{2,16}}?{_org_re(lex)})\s*\d{{4}}\s*年", doc.text[:3000])
    if m is None:
        return None
    return g_str(doc, m.group("name"), m.start("name"), m.end("name"))


def is_org_name(value: str, lex: Lexicon) -> bool:
    return bool(re.search(_org_re(lex) + "$", value))


def expand_region(doc: Document, name: GroundedStr, lex: Lexicon) -> GroundedStr:
    """县司法局 -> 紫金县司法局 where the report writes the fuller name; 司法局 -> 青川县司法局."""
    regions = "".join(lex.org["region_suffixes"])
    best: tuple[int, int] | None = None
    for m in re.finditer(rf"(?<![{CJK}])([{CJK}]{{2,8}}?[{regions}])?" + re.escape(name.value), doc.text):
        if m.group(1) and (best is None or m.end() - m.start() > best[1] - best[0]):
            best = (m.start(), m.end())
    if best is None:
        for m in re.finditer(rf"([{CJK}]{{1,3}})" + re.escape(name.value), doc.text):
            lead = m.group(1)
            # 紫金 + 县司法局: a two-character place name before a name that starts with its level
            if name.value[0] in regions and len(lead) >= 2:
                best = (m.end() - len(name.value) - 2, m.end())
                break
    if best is None:
        return name
    return g_str(doc, doc.text[best[0]:best[1]], best[0], best[1])


_TITLE_TAIL = re.compile(r"(?:\d{4}\s*年度?|年度|关于|的|绩效|自评|评价|报告|情况|总结|部门预算|$)")


def report_titles(text: str) -> list[tuple[int, str]]:
    """Every title-like line among the first lines (a report repeats or subtitles its title)."""
    out: list[tuple[int, str]] = []
    lines = title_lines(text, 5)
    for k, (pos, line) in enumerate(lines):
        if len(line) > 80:  # OCR runs the title into the text: keep it up to 报告 / 自评表
            head = re.match(r".{4,60}?(?:报告|自评表)", line)
            if head is None:
                continue
            line = head.group(0)
        if heading_of(line) and not re.match(r"\d{1,2}、\S{0,6}(?:省|市|州|县|区)", line):
            continue  # 「2、…项目绩效目标设定情况」 is a section, not the title
        if not re.search(r"报告|自评|评价|绩效|使用情况", line):
            continue
        body = re.sub(r"^(?:[#*\s]+|\d{1,2}[、.．]\s*)|[*\s]+$", "", line)
        if k > 0 and len(body) <= 12 and not re.search(r"\d{4}", body):
            prev_pos, prev = lines[k - 1]
            out.append((prev_pos, prev + body))
        else:
            out.append((pos + line.index(body) if body in line else pos, body))
    return out


def project_from_title(doc: Document, department: GroundedStr | None, lex: Lexicon) -> str | None:
    """The project or fund a single-project report is about, as its title names it: a name in
    quotes or in brackets after the title, else the words between the unit (or the year) and
    绩效 / 自评 / 报告: 「红河州第二人民医院国家基本公共卫生服务项目州级补助资金2023年度绩效自评报告」 ->
    国家基本公共卫生服务项目州级补助资金."""
    for _pos, title in report_titles(doc.text):
        name = _project_in_title(title, department, lex)
        if name and not any(g in name for g in lex.org["generic_names"]):
            return name
    return None


def project_before(doc: Document, pos: int) -> GroundedStr | None:
    """The project a sentence names just before the label of its amount: 「我县2022年农村公路通村
    道路建设项目计划投资2179万元」 -> 农村公路通村道路建设项目 (the words after the year or the
    clause's start, ending in 项目); a fund whose label begins with its 资金: 「2021年农业生产发展资金合计
    671037万元」 -> 农业生产发展资金."""
    tail = "资金" if doc.text.startswith("资金", pos) else ""
    prefix = sentence_prefix(doc.text, pos, "。；;\n，,") + tail
    m = re.search(rf"([{CJK}（()）]{{4,30}}?(?:项目|资金))$", prefix)
    if m is None or not tail and m.group(1).endswith("资金"):
        return None
    name = re.split(r"[我本全][县区市局]", m.group(1))[-1]
    name = re.sub(r"^(?:年度|年)", "", name)  # the year's 年, its digits left behind
    if len(name) < 6 or re.search(r"^(?:该|本|此|各|其中|所有|全部)", name):
        return None  # 「该项目」, 「本项目」: no name
    s = pos + len(tail) - len(name)
    return g_str(doc, name, s, s + len(name))


def _project_in_title(title: str, department: GroundedStr | None, lex: Lexicon) -> str | None:
    quoted = re.search(r"[“\"]([^”\"]{4,40})[”\"]", title)
    if quoted:
        return quoted.group(1)
    bracket = re.search(r"(?:报告|自评表|情况)\s*[（(]\s*(?P<n>[^（()）]{4,40})[)）]\s*$", title)
    if bracket:
        return re.sub(r"^\d{4}\s*年度?", "", bracket.group("n")).strip() or None
    body = title
    if department is not None and department.value in body:  # the words after the unit
        body = body[body.index(department.value) + len(department.value):]
    body = re.sub(r"^\s*(?:关于|\d{4}\s*年度?)+", "", body)
    year = re.search(r"\d{4}\s*年度?", body)
    name = body
    if year:  # 「…州级补助资金2023年度绩效自评报告」: up to the year, unless that is only a unit or a place
        before = re.sub(r"[*\s]", "", body[: year.start()])
        unit_or_place = re.search(rf"(?:{_org_re(lex)}|[省市州县区旗镇乡])$", before)
        name = body[: year.start()] if len(before) >= 4 and not unit_or_place else body[year.end():]
    cut = _TITLE_TAIL.search(name)
    name = (name[: cut.start()] if cut else name).strip().split()[-1] if (name[: cut.start()] if cut else name).strip() else ""
    name = re.sub(r"^(?:关于|的)+|(?:支出)$", "", name)
    return name if len(name) >= 4 else None


# ---------------------------------------------------------------- cells


def cell_number(cell: Cell) -> Decimal | None:
    n = parse_number(cell.clean)
    return n.value if n is not None else None


def _is_value(cell: Cell) -> bool:
    c = cell.clean
    return bool(c) and (parse_number(c) is not None or parse_percent(c) is not None or c in ("—", "-", "/"))


@dataclass
class TableFacts:
    keyvalues: dict[str, GroundedStr] = field(default_factory=dict)
    scalars: dict[str, GroundedNum] = field(default_factory=dict)  # contract path -> value
    parts: list[FundingPart] = field(default_factory=list)
    indicators: list[Indicator] = field(default_factory=list)
    doubtful: list[str] = field(default_factory=list)  # tables (or rows) not understood
    run_together: list[tuple[int, int]] = field(default_factory=list)  # spans of tables run into long lines


def _money_cell(doc: Document, cell: Cell, unit: str | None) -> Amount | None:
    m = parse_money(cell.clean) or (parse_money(cell.clean, default_unit=unit or "万元") if cell_number(cell) is not None else None)
    if m is None:
        return None
    a = g_amount(doc, m, cell.start, cell.end)
    if unit is None and not re.search(r"元", cell.clean):
        a.raw_unit = ""  # a bare number in a table that states no unit: 万元 assumed
    return a


def _rate_cell(doc: Document, cell: Cell) -> GroundedNum | None:
    p = parse_percent(cell.clean)
    if p is None or p.kind != "percent":
        return None
    return g_num(doc, p.value, cell.start, cell.end, p.approx)


def _num_cell(doc: Document, cell: Cell) -> GroundedNum | None:
    n = parse_number(cell.clean)
    return g_num(doc, n.value, cell.start, cell.end, n.approx) if n is not None else None


def table_unit(table: Table, text: str) -> str | None:
    """The money unit a table states once: 「单位：万元」 above it, 「（万元）」 in a header."""
    return declared_unit(text[max(0, table.start - 80):table.start] + " " + " ".join(c.clean for c in table.cells[:60]))


def _keyvalue_cells(cells: list[Cell], lex: Lexicon, out: dict[str, GroundedStr], doc: Document) -> None:
    """Label cells (主管部门, 项目名称, 自评得分 …) and the value in the next non-empty cell, or
    written 「label：value」 in one cell."""
    for i, c in enumerate(cells):
        key = lex.keyvalue_of(c.clean)
        if key is None:
            inline = re.match(r"(?P<label>[^：:]{2,12})[：:]\s*(?P<value>\S.*)$", c.clean)
            if inline and lex.keyvalue_of(inline.group("label")):
                key = lex.keyvalue_of(inline.group("label"))
                v = inline.group("value")
                s = c.start + c.raw.rindex(v) if v in c.raw else None
                if key not in out and s is not None:
                    out[key] = g_str(doc, v, s, s + len(v))
            continue
        if key in out:
            continue
        nxt = next((x for x in cells[i + 1 : i + 3] if x.clean), None)
        if nxt is None or lex.keyvalue_of(nxt.clean) or lex.column_of(nxt.clean):
            continue
        if key in _NUMERIC_KEYS and parse_number(nxt.clean) is None:
            nxt = _value_after_pairs(cells, i, lex)
            if nxt is None:
                continue
        out[key] = g_str(doc, nxt.clean, nxt.start, nxt.end)


_NUMERIC_KEYS = ("score_total", "budget_total", "budget_executed")


def _value_after_pairs(cells: list[Cell], i: int, lex: Lexicon) -> Cell | None:
    """A number's label whose cell spans the rows beside it (「自评得分」 | 「省级财政部门」 「四川省财政厅」
    「省级主管部门」 「四川省市场监管局」 | 「100」): its number is the first cell after the label / value pairs
    of those rows, where every cell between is words, in pairs, and none is a label of ours."""
    between: list[Cell] = []
    for c in cells[i + 1 : i + 8]:
        if not c.clean:
            continue
        if parse_number(c.clean) is not None:
            return c if between and len(between) % 2 == 0 else None
        if lex.keyvalue_of(c.clean) or lex.column_of(c.clean) or lex.row_of(c.clean) or re.search(r"\d", c.clean):
            return None
        between.append(c)
    return None


def _header_map(row: Row, lex: Lexicon) -> dict[int, str]:
    return {i: k for i, c in enumerate(row.cells) if (k := lex.column_of(c.clean))}


def _align(header: Row, hmap: dict[int, str], row: Row, label_at: int) -> dict[str, Cell] | None:
    """Column meaning -> cell for a data row, or None when the alignment is not certain.
    Positional when the row has the header's cell count; else the values after the row label,
    in order, against the header's labels, when their numbers agree."""
    if len(row.cells) == len(header.cells):
        return {k: row.cells[i] for i, k in hmap.items() if i > label_at}
    values = [c for c in row.cells[label_at + 1 :] if c.clean]
    labels = [hmap[i] for i in sorted(hmap)]
    if values and len(values) == len(labels):
        return dict(zip(labels, values))
    return None


_FUNDING_COLS = ("initial", "budget", "executed", "rate")


def _read_below(doc: Document, t: Table, lex: Lexicon, facts: TableFacts) -> None:
    """Budget blocks that put each label above its amount: 「总预算（万元）」 … 「3096.04」 in the
    column under it, within the next three rows."""
    head = " ".join(c.clean for r in t.rows[:12] for c in r.cells)
    if not any(w in head for w in lex.below["tables_with"]) or \
            any(lex.keyvalue_of(c.clean) == "project_name" or lex.row_of(c.clean) == "total" for c in t.cells):
        return  # a project table's funding block is read by its rows
    labels = {norm_label(label): path for path, ls in lex.below.items() if path != "tables_with" for label in ls}
    unit = table_unit(t, doc.text)
    for ri, row in enumerate(t.rows):
        for ci, cell in enumerate(row.cells):
            path = labels.get(norm_label(cell.clean))
            if path is None or path in facts.scalars:
                continue
            for below in t.rows[ri + 1 : ri + 4]:
                if ci < len(below.cells) and cell_number(below.cells[ci]) is not None:
                    a = _money_cell(doc, below.cells[ci], declared_unit(cell.clean) or unit)
                    if a is not None:
                        facts.scalars[path] = a
                    break


def _read_grid(doc: Document, t: Table, lex: Lexicon, facts: TableFacts) -> None:
    unit = table_unit(t, doc.text)
    header: Row | None = None
    hmap: dict[int, str] = {}
    for row in t.rows:
        m = _header_map(row, lex)
        if len(m) >= 2:
            header, hmap = row, m
            continue
        if header is None:
            continue
        # the funding block: 年度资金总额 / 其中 rows
        label_at = next((i for i, c in enumerate(row.cells) if c.clean), None)
        if label_at is None:
            continue
        kind = lex.row_of(row.cells[label_at].clean)
        if kind and any(k in _FUNDING_COLS for k in hmap.values()):
            cols = _align(header, hmap, row, label_at)
            if cols is None:
                if any(_is_value(c) for c in row.cells[label_at + 1 :]):
                    facts.doubtful.append(f"{t.name}: 「{row.cells[label_at].clean}」")
                continue
            _funding_row(doc, row.cells[label_at], kind, cols, unit, lex, facts)
            continue
        if "level3" in hmap.values() or "level2" in hmap.values():
            _indicator_row(doc, t, header, hmap, row, lex, facts)


def _funding_row(doc: Document, label: Cell, kind: str, cols: dict[str, Cell], unit: str | None, lex: Lexicon,
                 facts: TableFacts) -> None:
    values: dict[str, Amount | GroundedNum] = {}
    for col in _FUNDING_COLS:
        c = cols.get(col)
        if c is None or not c.clean:
            continue
        v = _rate_cell(doc, c) if col == "rate" else _money_cell(doc, c, unit)
        if v is not None:
            values[col] = v
    if kind == "total":
        # the template scores budget execution on the 年度资金总额 row: 分值 / 得分 of 预算执行率
        w, sc = cols.get("weight"), cols.get("score")
        wv = _num_cell(doc, w) if w is not None and w.clean else None
        if wv is not None:
            facts.indicators.append(Indicator(level=1, name="预算执行率", weight=wv,
                                              score=_num_cell(doc, sc) if sc is not None and sc.clean else None))
    if kind in lex.grid:
        for col, v in values.items():
            path = lex.grid[kind].get(col)
            if path and path not in facts.scalars:
                facts.scalars[path] = v  # type: ignore[assignment]
        return
    name = norm_label(label.clean)
    facts.parts.append(FundingPart(name=name, initial=values.get("initial"), budget=values.get("budget"),  # type: ignore[arg-type]
                                   executed=values.get("executed"), execution_rate_pct=values.get("rate")))  # type: ignore[arg-type]


_INDICATOR_PREFIX = re.compile(r"^(?:指标\s*\d{1,2}\s*[:：.、]\s*|[★☆*]+)+")
_WEIGHT_IN_NAME = re.compile(r"[（(]\s*(?P<w>\d+(?:\.\d+)?)\s*分\s*[)）]")


def indicator_name(s: str) -> str:
    return _INDICATOR_PREFIX.sub("", s).strip()


def _indicator_row(doc: Document, t: Table, header: Row, hmap: dict[int, str], row: Row, lex: Lexicon,
                   facts: TableFacts) -> None:
    cut = t.kind == "cell_lines" and row is t.rows[-1] and len(row.cells) < len(header.cells)
    if len(row.cells) != len(header.cells) and not cut:  # the last row of a cut-off table keeps its positions
        if any(_is_value(c) for c in row.cells):
            facts.doubtful.append(f"{t.name}: 「{next((c.clean for c in row.cells if c.clean), '')}」")
        return
    cols = {k: row.cells[i] for i, k in hmap.items() if i < len(row.cells)}
    # level-1 / level-2 cells that carry their weight: 产出指标(50分)
    for level, key in ((1, "level1"), (2, "level2")):
        c = cols.get(key)
        if c is not None and c.clean:
            w = _WEIGHT_IN_NAME.search(c.raw)
            if w:
                name = _WEIGHT_IN_NAME.sub("", c.clean).strip()
                facts.indicators.append(Indicator(
                    level=level, name=name,  # type: ignore[arg-type]
                    weight=g_num(doc, Decimal(w.group("w")), c.start + w.start(), c.start + w.end())))
    c3 = cols.get("level3")
    if c3 is None or not c3.clean or lex.column_of(c3.clean):
        return
    parent = next((cols[k].clean for k in ("level2", "level1") if k in cols and cols[k].clean), None)
    if parent is None:
        parent = next((i.name for i in reversed(facts.indicators) if i.level in (1, 2)), None)
    ind = Indicator(level=3, name=indicator_name(c3.clean), parent=_WEIGHT_IN_NAME.sub("", parent).strip() if parent else None)
    for col, attr in (("weight", "weight"), ("score", "score")):
        c = cols.get(col)
        if c is not None and c.clean:
            v = _num_cell(doc, c)
            if v is not None:
                setattr(ind, attr, v)
    for col, attr in (("target", "target"), ("actual", "actual")):
        c = cols.get(col)
        if c is not None and c.clean:
            setattr(ind, attr, g_str(doc, c.raw, c.start, c.end))
    facts.indicators.append(ind)


# ---------------------------------------------------------------- streams


def _is_record_label(c: Cell) -> bool:
    return bool(re.match(r"^指标\s*\d{1,2}\s*[:：]", c.clean))


def _read_stream(doc: Document, t: Table, lex: Lexicon, facts: TableFacts) -> None:
    cells = t.cells
    _keyvalue_cells(cells, lex, facts.keyvalues, doc)
    # column labels in stream order after the first indicator-level label
    start = next((i for i, c in enumerate(cells) if lex.column_of(c.clean) in ("level1", "level2", "level3", "target", "actual")), None)
    if start is None:
        return
    order: list[str] = []
    for c in cells[start:]:
        k = lex.column_of(c.clean)
        if k in ("target", "actual", "weight", "score") and k not in order:
            order.append(k)
    if not order:
        return
    # a table that names one numeric column only, its 得分 / 自评得分 (no 分值), has its scores in the
    # number that ends each record (区域绩效目标自评表: 「指标1:… 已完成 已完成 5」)
    named = {lex.column_of(c.clean) for c in cells} | {lex.keyvalue_of(c.clean) for c in cells}
    trailing_score = "weight" not in named and "score" not in order and bool(named & {"score", "score_total"})
    labels = [i for i, c in enumerate(cells) if i >= start and _is_record_label(c)]
    waiting: list[tuple[Cell, str]] = []  # records that wrote only their name, their cells still to come
    records: list[tuple[Cell, str, list[Cell]]] = []
    for n, i in enumerate(labels):
        stop = labels[n + 1] if n + 1 < len(labels) else len(cells)
        values: list[Cell] = []
        for c in cells[i + 1 : stop]:
            if lex.column_of(c.clean) or re.search(r"指标$", c.clean) or lex.row_of(c.clean) == "closing":
                break  # a header word, a level name or the 总分 row: the record ends
            values.append(c)
        name = indicator_name(cells[i].clean)
        if stop < len(cells) and len(values) == stop - i - 1 and not any(re.search(r"\d", c.clean) for c in values):
            waiting.append((cells[i], name + "".join(c.clean for c in values)))  # 「指标24:…事件报告」「数」: the name wrapped
            continue
        if waiting:  # 「指标24:… 指标25:… 14例 14例 2 2 24694人 22584人 2 1.7」: the names first, then each one's cells in turn
            group = [*waiting, (cells[i], name)]
            waiting = []
            if len(values) != len(group) * len(order):
                facts.doubtful.extend(f"{t.name}: 「{c.clean}」" for c, _n in group)
                continue
            records.extend((c, nm, values[k * len(order):(k + 1) * len(order)]) for k, (c, nm) in enumerate(group))
            continue
        records.append((cells[i], name, values))
    facts.doubtful.extend(f"{t.name}: 「{c.clean}」" for c, _n in waiting)
    records, scattered = _gather_scattered(cells, records, order, lex, doc)
    facts.indicators.extend(scattered)
    for label, name, values in records:
        if len(values) < len(order):
            facts.doubtful.append(f"{t.name}: 「{label.clean}」")
            continue
        extra = values[len(order):]
        if extra and (len(order) > 2 or not all(cell_number(c) is not None for c in extra)):
            facts.doubtful.append(f"{t.name}: 「{label.clean}」")
            continue  # more values than columns: which is which is not certain
        ind = Indicator(level=3, name=name)
        if trailing_score and len(extra) == 1:
            ind.score = _num_cell(doc, extra[0])
        ok = True
        for key, c in zip(order, values):
            if key in ("weight", "score"):
                v = _num_cell(doc, c)
                if v is None:
                    ok = False
                    break
                setattr(ind, key, v)
            else:
                setattr(ind, key, g_str(doc, c.raw, c.start, c.end))
        if ok and ind.weight is not None and ind.score is not None and ind.score.value > ind.weight.value:
            ok = False  # a score above its weight here means the columns slipped
        if ok:
            facts.indicators.append(ind)
        else:
            facts.doubtful.append(f"{t.name}: 「{label.clean}」")
    # funding figures in a stream: 预算数: 2.38 / 执行数: 2.38 (label cell, value cell)
    unit = table_unit(t, doc.text)
    read_any = False
    for i, c in enumerate(cells[:-1]):
        key = lex.keyvalue_of(c.clean)
        path = {"budget_total": "budget.total_budget", "budget_executed": "budget.executed"}.get(key or "")
        if path and path not in facts.scalars and cell_number(cells[i + 1]) is not None:
            a = _money_cell(doc, cells[i + 1], unit)
            if a is not None:
                facts.scalars[path] = a
                read_any = True
    # funding rows in a stream: 「年度资金总额 120 150.00 142.50 10 95% 9.5」 after the column labels
    # 年初预算数 / 全年预算数 / 全年执行数 / 分值 / 执行率 / 得分, read when the counts agree
    funding_header = [c for c in cells if lex.column_of(c.clean) in ("budget", "executed", "rate")]
    if funding_header and not read_any:
        first = cells.index(funding_header[0])
        order = []
        for c in cells[max(0, first - 3):]:
            k = lex.column_of(c.clean)
            if k in _FUNDING_COLS + ("weight", "score"):
                order.append(k)
            elif order and (lex.row_of(c.clean) or _is_value(c)):
                break
        for i, c in enumerate(cells):
            kind = lex.row_of(c.clean)
            if kind is None or kind == "closing" or i < first:
                continue
            values = []
            for v in cells[i + 1 :]:
                if not _is_value(v):
                    break
                values.append(v)
            if not values:
                continue
            if len(values) != len(order) or len(set(order)) != len(order):
                facts.doubtful.append(f"{t.name}: 「{c.clean}」")
                continue
            _funding_row(doc, c, kind, dict(zip(order, values)), unit, lex, facts)
            read_any = True
    if len(funding_header) >= 2 and not read_any:
        facts.doubtful.append(f"{t.name}: 「{funding_header[0].clean}」等资金列")


_RECORD_NO = re.compile(r"^指标\s*(\d{1,2})")
_UNIT_ONLY = re.compile(rf"[{CJK}%]{{1,2}}")


def _unit_of(s: str) -> str:
    m = re.search(rf"[\d.]\s*(?P<u>[{CJK}%]{{1,3}})\s*$", s)
    return m.group("u") if m else ""


def _gather_scattered(cells: list[Cell], records: list[tuple[Cell, str, list[Cell]]], order: list[str], lex: Lexicon,
                      doc: Document) -> tuple[list[tuple[Cell, str, list[Cell]]], list[Indicator]]:
    """Records a spreadsheet's flattening scattered (「指标1:居民健康档案 38508人 指标2:… 不少于12 种 不少于6 种
    116次 6次 二级指标 三级指标 指标5:… 分值 得分 37442人 3 3 14种 1 1 …」): names with their 指标 numbers,
    then the column of targets, then each row's other cells in turn. Read when the cells are
    exactly rows x columns (the rows counted by the first and last 指标 number, unnamed rows
    included), every score is within its weight and every row's target and actual count in the
    same unit; the rows that kept their names are then read, the others stay unread. Returns the
    records left as they were, and the indicators read."""
    if order[:1] != ["target"] or set(order) != {"target", "actual", "weight", "score"}:
        return records, []
    width = len(order)
    out_records: list[tuple[Cell, str, list[Cell]]] = []
    read: list[Indicator] = []
    k = 0
    while k < len(records):
        run = []
        while k + len(run) < len(records) and len(records[k + len(run)][2]) != width:
            run.append(records[k + len(run)])
        if len(run) < 2 or k + len(run) >= len(records):
            out_records.extend(run or [records[k]])
            k += max(1, len(run))
            continue
        numbers = [_RECORD_NO.match(label.clean) for label, _n, _v in run]
        if any(m is None for m in numbers):
            out_records.extend(run)
            k += len(run)
            continue
        first, last = int(numbers[0].group(1)), int(numbers[-1].group(1))  # type: ignore[union-attr]
        rows = last - first + 1
        a, b = cells.index(run[0][0]), cells.index(records[k + len(run)][0])
        values: list[Cell] = []
        for c in cells[a:b]:
            if _is_record_label(c) or lex.column_of(c.clean) or re.search(r"指标$", c.clean):
                continue
            if values and _UNIT_ONLY.fullmatch(c.clean) and re.search(r"\d$", values[-1].clean):
                prev = values[-1]  # 「不少于12」「种」: a number and its unit in two cells
                values[-1] = Cell(raw=doc.text[prev.start:c.end], start=prev.start, end=c.end)
                continue
            values.append(c)
        got = _scattered_rows(values, rows, doc)
        if got is None:
            out_records.extend(run)
        else:
            for (label, name, _v), m in zip(run, numbers):
                ind = got[int(m.group(1)) - first]  # type: ignore[union-attr]
                ind.name = name
                read.append(ind)
        k += len(run)
    return out_records, read


def _scattered_rows(values: list[Cell], rows: int, doc: Document) -> list[Indicator] | None:
    if rows < 2 or len(values) != rows * 4:
        return None
    targets, rest = values[:rows], values[rows:]
    out = []
    for r in range(rows):
        actual, w, sc = rest[3 * r: 3 * r + 3]
        weight, score_ = _num_cell(doc, w), _num_cell(doc, sc)
        unit = _unit_of(targets[r].clean)
        if weight is None or score_ is None or score_.value > weight.value or not unit or unit != _unit_of(actual.clean):
            return None
        out.append(Indicator(level=3, name="", weight=weight, score=score_,
                             target=g_str(doc, targets[r].clean, targets[r].start, targets[r].end),
                             actual=g_str(doc, actual.clean, actual.start, actual.end)))
    return out


def run_together_blocks(text: str, layout: Layout, lex: Lexicon) -> list[list[tuple[int, str]]]:
    """Tables whose header and cells ran into long lines with no separators (OCR of a Word table):
    a dense line holding three or more column labels, and the dense lines after it (a page marker
    「2、」 at their start dropped). Each block is its lines as (offset, text)."""
    blocks: list[list[tuple[int, str]]] = []
    block: list[tuple[int, str]] = []
    for start, _end, line in [*lines_of(text), (len(text), len(text), "")]:
        punct = sum(line.count(c) for c in "，。；,;、：:")
        dense = len(line) >= 60 and punct < len(line) * 0.045 and not layout.in_table(start)
        columns = {k for k, ls in lex.columns.items() for label in ls if len(label) >= 2 and label in line} if dense else set()
        if dense and (len(columns) >= 3 or block):  # a table's header run into its cells, not prose
            marker = re.match(r"\s*\d{1,2}、", line) if block else None
            cut = marker.end() if marker else 0
            block.append((start + cut, line[cut:]))
        elif block:
            blocks.append(block)
            block = []
    return blocks


def _read_run_together(doc: Document, layout: Layout, lex: Lexicon, facts: TableFacts) -> None:
    """A table that OCR or a converter ran into one long line with no separators at all
    (「项目名称初中公用经费主管部门银川市教育局实施第位自评得分98」): a label's value is what stands
    between it and the next label, kept only where its shape is certain (an organisation name
    ending in its suffix, a name with no digits, a score at the start)."""
    labels = sorted({label for ls in lex.keyvalue.values() for label in ls if not re.search(r"[(（]", label)}, key=len, reverse=True)
    pattern = re.compile("|".join(map(re.escape, labels)))
    org = _org_re(lex)
    for block in run_together_blocks(doc.text, layout, lex):
        facts.run_together.append((block[0][0], block[-1][0] + len(block[-1][1])))
        facts.doubtful.append(f"「{block[0][1].strip()[:24]}…」的表头与单元格连成一行，只读取能确定的行")
        if not facts.indicators:
            j = "".join(text for _, text in block)
            _read_run_together_rows(doc, j, [a + i for a, text in block for i in range(len(text))], lex, facts)
    for start, _end, line in lines_of(doc.text):
        punct = sum(line.count(c) for c in "，。；,;、：:")
        if len(line) < 60 or layout.in_table(start) or punct >= len(line) * 0.045 or \
                re.search(r"[。；]", line[:200]) is None and " " in line.strip():
            continue  # prose (「项目自评得分97.7分，全年预算数…」 is a project's, said in a sentence), or a spaced row
        hits = [m for m in pattern.finditer(line)]
        if len(hits) < 2:
            continue
        for k, m in enumerate(hits):
            key = lex.keyvalue_of(m.group(0))
            if key is None or key in facts.keyvalues:
                continue
            end = hits[k + 1].start() if k + 1 < len(hits) else min(len(line), m.end() + 30)
            value = line[m.end():end]
            a = start + m.end()
            if key in ("department", "implementer"):
                ends = [x.end() for x in re.finditer(org, value[:24])]
                if ends and re.fullmatch(rf"[{CJK}]{{3,24}}", value[: ends[-1]]):
                    facts.keyvalues[key] = g_str(doc, value[: ends[-1]], a, a + ends[-1])
            elif key == "project_name":
                if re.fullmatch(rf"[{CJK}（()）]{{2,30}}", value):
                    facts.keyvalues[key] = g_str(doc, value, a, a + len(value))
            elif key == "score_total":
                n = re.match(r"\d{1,3}(?:\.\d{1,2})?", value)
                if n:
                    facts.keyvalues[key] = g_str(doc, n.group(0), a, a + n.end())


_MARK = re.compile(rf"(?P<name>[{CJK}]{{2,12}}){_WEIGHT_IN_NAME.pattern}")  # 项目决策(10分)
_DASH_ROW = re.compile(r"(?P<w>\d{1,2})[一\-—](?P<x>[^\d]{2,40}?|\d{1,3}(?:\.\d{1,2})?%)(?P<s>\d{1,2})(?![\d.%])")
_TEXT_ROW = re.compile(r"(?P<w>\d{1,2})(?P<x>[^\d\s()（）:：一\-—%]{2,40}?)(?P<s>\d{1,2})(?![\d.%分])")  # 可行性2实际工作需求2
_OCR_NOISE = re.compile(r"指标\s*[\dLl]\s*[:：]?")


def _dup_row_at(j: str, p: int) -> tuple[int, int, int, int] | None:
    """「办公所需成本415万元15万元4」 read at the digit p: 分值 4, 年度指标值 = 实际完成值 = 15万元 (written
    twice), 得分 4 -> (weight end, value length, score start, score end); None unless exactly one
    split makes the value repeat and ends in a score no larger than the weight."""
    found = []
    for wl in (1, 2):
        if not j[p:p + wl].isdigit():
            continue
        q = p + wl
        for xl in range(2, 31):
            x = j[q:q + xl]
            if j[q + xl:q + 2 * xl] != x or not re.search(rf"[{CJK}%]", x):
                continue
            sm = re.match(r"\d{1,2}(?![\d.%])", j[q + 2 * xl:])
            if sm and 0 < int(j[p:q]) <= 40 and int(sm.group(0)) <= int(j[p:q]):
                found.append((q, xl, q + 2 * xl, q + 2 * xl + sm.end()))
    return found[0] if len(found) == 1 else None


def _read_run_together_rows(doc: Document, j: str, where: list[int], lex: Lexicon, facts: TableFacts) -> None:
    """Indicator rows of a table run into one stream (OCR of a Word table): after the header, each
    row is 名称 分值 指标值 实际值 得分 with nothing between. A row is read only where its shape makes
    the split certain: the target written twice the same (「保障人数102370人2370人10」 is not: 10|2370?
    102|370?), or a dash for no target (「完整性4一目标明确、内容细化、目标量化4」); weights written
    after group names (「项目决策(10分)」) are read as their indicators."""
    ends = [m.end() for label in lex.columns["reason"] for m in re.finditer(re.escape(label), j)] or \
        [m.end() for label in lex.columns["score"] for m in re.finditer(re.escape(label), j)]
    if not ends:
        return
    cursor = max(ends)  # the header's last cell

    def span(a: int, b: int) -> tuple[int, int] | None:
        s, e = where[a], where[b - 1] + 1
        return (s, e) if e - s == b - a else None  # one stretch of the document

    rows: list[Indicator] = []

    def group_marks(a: int, b: int) -> None:  # 「项目决策(10分)」 between rows: a group and its weight
        for mk in _MARK.finditer(j, a, b):
            sp = span(mk.start("w"), mk.end("w"))
            if sp:
                nm = _OCR_NOISE.sub("", mk.group("name"))
                level = 2 if nm.endswith("指标") and nm not in ("产出指标", "效益指标", "满意度指标") else 1
                rows.append(Indicator(level=level, name=nm, weight=g_num(doc, Decimal(mk.group("w")), *sp)))  # type: ignore[arg-type]

    while cursor < len(j):
        best = None
        for p in range(cursor + 1, len(j)):
            if not j[p].isdigit() or j[p - 1].isdigit():
                continue
            dash = _DASH_ROW.match(j, p)
            if dash and int(dash.group("s")) <= int(dash.group("w")):
                best = ("dash", p, dash)
                break
            dup = _dup_row_at(j, p)
            if dup:
                best = ("dup", p, dup)
                break
            text = _TEXT_ROW.match(j, p)
            if text and int(text.group("s")) <= int(text.group("w")) and re.match(rf"[{CJK}]", j[text.end():text.end() + 1] or "。"):
                best = ("text", p, text)  # one text cell, target or actual, which is not known: only 分值 and 得分
                break
        if best is None:
            break
        kind, p, m = best
        name_text = j[cursor:p]
        group_marks(cursor, p)
        name = _OCR_NOISE.sub("", _MARK.sub("", name_text))
        name = re.sub(rf"^.*[^{CJK}（()）、,，]", "", name).strip(",，")  # after what rows could not be read, only the last words name this one
        if kind in ("dash", "text"):
            ws, ss, xs = span(m.start("w"), m.end("w")), span(m.start("s"), m.end("s")), span(m.start("x"), m.end("x"))
            end = m.end()
            w_val, s_val = Decimal(m.group("w")), Decimal(m.group("s"))
            target = None
            if kind == "text":
                xs = None
        else:
            q, xl, s0, s1 = m
            ws, ss, xs = span(p, q), span(s0, s1), span(q + xl, q + 2 * xl)
            ts = span(q, q + xl)
            end = s1
            w_val, s_val = Decimal(j[p:q]), Decimal(j[s0:s1])
            target = g_str(doc, j[q:q + xl], *ts) if ts else None
        if ws and ss and re.search(rf"[{CJK}]{{2}}", name):
            ind = Indicator(level=3, name=name, weight=g_num(doc, w_val, *ws), score=g_num(doc, s_val, *ss), target=target)
            if xs:
                ind.actual = g_str(doc, doc.text[xs[0]:xs[1]], *xs)
            rows.append(ind)
        cursor = end
    group_marks(cursor, len(j))  # the groups after the last row read, up to the table's end
    if sum(1 for r in rows if r.level == 3) >= 3:
        facts.indicators.extend(rows)


_LEAD = re.compile(r"^\s*(?P<a>\d{1,3}(?:\.\d{1,2})?)(?:\s+(?P<b>\d{1,3}(?:\.\d{1,2})?))?(?![\d.])\s*(?P<rest>.*)$")
_WEIGHT_MARK = re.compile(r"[（(]?\s*(?P<w>\d{1,3}(?:\.\d)?)\s*分?\s*[)）]")


_NAME_CHUNK = re.compile(r"[^\s()（）]+(?:\s*[（(][^()（）]*[)）])*")


def _last_name(text: str) -> tuple[str, int] | None:
    """The last indicator name of a line (「项目决策(10 分)科学决策必要性 (政策依据)」 -> 科学决策必要性 (政策依据)),
    with its offset in the line: the words after the last weight mark that does not end the line,
    the last of several names set side by side; a bracket stays with the name before it."""
    cut = 0
    for m in _WEIGHT_MARK.finditer(text):
        if m.end() < len(text.rstrip()):
            cut = m.end()
    names = [m for m in _NAME_CHUNK.finditer(text, cut) if re.search(rf"[{CJK}]{{2}}", m.group(0))]
    if not names:
        return None
    return names[-1].group(0), names[-1].start()


def _nest(run: list[Indicator]) -> list[Indicator]:
    """The groups of a run (「部门决策(25分)」, weight only) whose weights nest: the members written
    after a group, rows and groups in turn, add up to its weight exactly without passing it. Those
    get their levels and their members a parent; a group still open where the text was cut is
    not certain and is left out, and so is every group once a sum passes its weight."""
    open_: list[list] = []  # [group, weight left]
    closed: list[Indicator] = []
    for ind in run:
        w = ind.weight.value if ind.weight else Decimal(0)
        if open_:
            open_[-1][1] -= w
            if open_[-1][1] < 0:
                return []
            ind.parent = open_[-1][0].name
        if ind.score is None:  # a group
            ind.level = min(len(open_) + 1, 2)  # type: ignore[assignment]
            open_.append([ind, w])
        while open_ and open_[-1][1] == 0:
            closed.append(open_.pop()[0])
    return closed


def _group_marks(doc: Document, body: str, at: int, lex: Lexicon) -> list[Indicator]:
    """The groups written before a row's name on its line (「得分 部门决 策(25 分) 目标任务(15 分) 相关性(5 分)」):
    each name with the weight in brackets after it, the name's words joined where the PDF split
    them; a header's words (得分, 三级指标) are not part of it."""
    out, seg = [], 0
    for mk in _WEIGHT_IN_NAME.finditer(body):
        chunks = body[seg:mk.start()].split()
        seg = mk.end()
        cut = max((i + 1 for i, c in enumerate(chunks) if lex.column_of(c) or c.endswith("表")), default=0)
        name = "".join(chunks[cut:])
        if re.fullmatch(rf"[{CJK}]{{2,12}}", name):
            out.append(Indicator(level=1, name=name, weight=g_num(doc, Decimal(mk.group("w")), at + mk.start("w"), at + mk.end("w"))))
    return out


def _read_line_start_numbers(doc: Document, layout: Layout, lex: Lexicon, facts: TableFacts) -> None:
    """An indicator table that a PDF-to-text pass wrote with each row's numbers at the start of the
    next line (「必要性 (政策依据)」 / 「5 5 可行性 (政策完善)」): 分值 and 得分 belong to the name that ends
    the line before. Read only when a run of at least four such rows all hold (score <= weight, and
    a weight written in the name, 「测算依据(5 分)」, agrees); otherwise nothing, and a note.
    Groups written 「名称(N分)」 before a row's name are kept when their weights nest (`_nest`) and
    no line of the run opens with the end of a weight (「20 分)项目决策」: there the marks stand
    before the names they belong to, and which is which is not certain)."""
    lines = [(pos, line) for pos, _end, line in lines_of(doc.text)
             if line.strip() and not layout.in_table(pos)]
    run: list[Indicator] = []
    bad = marks_lead = False

    def close() -> None:
        nonlocal run, bad, marks_lead
        rows = [i for i in run if i.score is not None]
        kept = {id(g) for g in _nest(run)} if not marks_lead else set()
        run = [i for i in run if i.score is not None or id(i) in kept]
        names = {i.name for i in run if i.score is None}
        for i in run:
            if i.parent not in names:
                i.parent = None
        if len(rows) >= 4 and not bad:
            facts.indicators.extend(run)
        elif len(rows) >= 4:
            facts.doubtful.append(f"「{rows[0].name}」起的指标行（数字在行首）")
        run, bad, marks_lead = [], False, False

    for k in range(1, len(lines)):
        start, line = lines[k]
        m = _LEAD.match(line)
        if m is None or re.match(r"\d{4}", line.strip()) or re.match(r"\s*[分)）]", m.group("rest")):
            if m is None or re.match(r"\d{4}", line.strip()):
                close()
            else:
                marks_lead = True
            continue  # a year ends the run; 「10 分)」 finishes a weight the line before opened
        prev_start, prev = lines[k - 1]
        pm = _LEAD.match(prev)
        body = pm.group("rest") if pm else prev
        found = _last_name(body)
        if found is None:
            continue
        name, off = found
        body_at = prev_start + prev.index(body)
        n_start = body_at + off
        mark = _WEIGHT_MARK.search(name)
        a_s, a_e = start + m.start("a"), start + m.end("a")
        a = Decimal(m.group("a"))
        if m.group("b"):
            b = Decimal(m.group("b"))
            weight = g_num(doc, a, a_s, a_e)
            score_ = g_num(doc, b, start + m.start("b"), start + m.end("b"))
            if mark and Decimal(mark.group("w")) != a:
                bad = True
        elif mark:
            weight = g_num(doc, Decimal(mark.group("w")), n_start + mark.start("w"), n_start + mark.end("w"))
            score_ = g_num(doc, a, a_s, a_e)
        else:
            continue  # one number and no weight in the name: which column it is, is not known
        if score_.value > weight.value:
            bad = True
        if re.match(r"\s*[（(]\s*\d", body) or re.match(r"\s*\d{1,3}\s*分?\s*[)）]", body):
            marks_lead = True  # 「(20 分)项目决策…」: a weight with no name before it belongs to the name after it
        run.extend(_group_marks(doc, body[:off], body_at, lex))
        clean = _WEIGHT_MARK.sub("", name).strip()
        run.append(Indicator(level=3, name=re.sub(r"\s+", "", clean), weight=weight, score=score_,
                             evidence=Evidence(quote=doc.text[n_start:start + m.end("b" if m.group("b") else "a")],
                                               start=n_start, end=start + m.end("b" if m.group("b") else "a"),
                                               page=doc.page_of(n_start))))
    close()


def _read_inline_labels(doc: Document, layout: Layout, lex: Lexicon, facts: TableFacts) -> None:
    """「主管部门：某县医疗保障局。」「项目名称：2023年城乡居民医疗救助资金。」 written in the narrative:
    the label's value up to the clause's end, kept where its shape is certain."""
    labels = sorted({label for key in ("department", "implementer", "project_name") for label in lex.keyvalue[key]
                     if not re.search(r"[(（]", label)}, key=len, reverse=True)
    pattern = re.compile(rf"(?P<label>{'|'.join(map(re.escape, labels))})\s*[：:]\s*(?P<v>[^，,。；;：:\n]{{2,40}})")
    for m in pattern.finditer(doc.text):
        key = lex.keyvalue_of(m.group("label"))
        if key is None or key in facts.keyvalues or layout.in_table(m.start()):
            continue
        v = m.group("v").strip()
        a = m.start("v") + m.group("v").index(v)
        if key in ("department", "implementer") and not (is_org_name(v, lex) and re.fullmatch(rf"[{CJK}]{{3,30}}", v)):
            continue
        facts.keyvalues[key] = g_str(doc, v, a, a + len(v))


def _read_label_lines(doc: Document, layout: Layout, lex: Lexicon, facts: TableFacts) -> None:
    """A 部门名称 / 主管部门 cell flattened onto a line of its own, its value on the line next to it:
    after it, or before it where a PDF set the value higher than its label (「新田县教育局」 /
    「部门名称」). Kept when exactly one neighbouring line is nothing but an organisation name."""
    lines = [(pos, line.strip(), pos + len(line) - len(line.lstrip())) for pos, _e, line in lines_of(doc.text) if line.strip()]
    org = _org_re(lex)
    for k, (pos, line, _at) in enumerate(lines):
        key = lex.keyvalue_of(line) if len(line) <= 12 and not layout.in_table(pos) else None
        if key not in ("department", "implementer") or key in facts.keyvalues:
            continue
        named = [(text, at) for _p, text, at in lines[max(k - 1, 0):k] + lines[k + 1:k + 2]
                 if re.fullmatch(rf"[{CJK}]{{2,24}}{org}", text) and not lex.keyvalue_of(text)]
        if len(named) == 1:
            text, at = named[0]
            facts.keyvalues[key] = g_str(doc, text, at, at + len(text))


def read_tables(doc: Document, layout: Layout, lex: Lexicon) -> TableFacts:
    facts = TableFacts()
    for t in layout.tables:
        if t.grid:
            for row in t.rows:
                _keyvalue_cells(row.cells, lex, facts.keyvalues, doc)
            _read_grid(doc, t, lex, facts)
            _read_below(doc, t, lex, facts)
        else:
            _read_stream(doc, t, lex, facts)
    _read_run_together(doc, layout, lex, facts)
    _read_inline_labels(doc, layout, lex, facts)
    _read_label_lines(doc, layout, lex, facts)
    for path, value in read_rate_runs(doc, layout, lex).items():
        facts.scalars.setdefault(path, value)  # type: ignore[arg-type]
    if not facts.indicators:
        _read_line_start_numbers(doc, layout, lex, facts)
    return facts


# ---------------------------------------------------------------- sentences

_TARGET_WORDS = re.compile(r"目标|指标值|计划|不低于|不少于|不高于|不超过|[≥≤]")  # what was planned, not what happened
_SCORE_RE = re.compile(rf"(?P<num>{ARABIC})\s*分?")


def _first_of_kind(text: str, mentions: list[Mention], lo: int, hi: int, kind: str) -> tuple[int, int, object] | None:
    """The first mention of a field's kind in text[lo:hi], within the clause (a hard line wrap,
    「873.64\n\n万元」, does not end it): not a target (「执行率≥95%」, 目标…), not a count of
    anything but people, and a score only right after its label."""
    window = text[lo:hi]
    cut = min((window.find(c) for c in "。；;" if c in window), default=len(window))
    hi = lo + cut
    if re.match(r"[为是达:：\s]{0,3}(?:[≥≤＞＜><]|不低于|不少于|不高于|不超过|大于|小于)", window) and kind != "money":
        return None  # 「执行率≥95%」: a target, not what happened
    for m in between(mentions, lo, hi):
        if kind in ("money", "percent") and (m.comparator is not None or _TARGET_WORDS.search(text[lo:m.start])):
            continue  # what was planned, not what happened
        if kind == "money":
            v = money_of(m, text)
            if v is not None:
                return m.start, m.end, v
        elif kind == "percent" and m.kind == "percent":
            return m.start, m.end, m
        elif kind == "count" and m.kind == "count" and m.unit in ("人", "名", "个"):
            return m.start, m.end, m
        elif kind == "score":
            if not re.fullmatch(r"(?:[（(]分[)）])?[为是达:：\s]{0,4}", text[lo:m.start]):
                return None  # a score stands right after its label
            if m.kind in ("score", "number") and Decimal(m.value) <= 100:
                return m.start, m.end, m
            return None
    return None


def _last_of_kind(text: str, mentions: list[Mention], lo: int, hi: int, kind: str) -> tuple[int, int, object] | None:
    """The money amount that ends right before `hi` (only money is read this way)."""
    if kind != "money":
        return None
    for m in reversed(between(mentions, lo, hi)):
        if m.end <= hi and not text[m.end:hi].strip():
            v = money_of(m, text)
            return (m.start, m.end, v) if v is not None else None
    return None


def read_sentences(doc: Document, lex: Lexicon, layout: Layout, project_report: bool,
                   mentions: list[Mention]) -> dict[str, object]:
    """Contract path -> grounded value, from 「label … number」 in the narrative: the label found
    in the text, the number chosen among the document's mentions (parsed once, mentions.py)."""
    text = doc.text
    out: dict[str, object] = {}

    for entry in lex.sentence:
        if entry.path in out:
            continue
        skips = [s for s in entry.skip_before if not (project_report and s.startswith("项目"))]
        for label in entry.labels:
            hit = None
            for m in re.finditer(re.escape(label), text):
                if layout.in_table(m.start()):
                    continue
                prefix = sentence_prefix(text, m.start()) + m.group(0)
                if skips and re.search("|".join(skips), prefix):
                    continue
                if entry.after:  # the number ends just before the label
                    found = _last_of_kind(text, mentions, max(0, m.start() - 16), m.start(), entry.kind)
                else:
                    found = _first_of_kind(text, mentions, m.end(), min(len(text), m.end() + entry.window + 12), entry.kind)
                if found is None or (entry.unit_required and not text[found[0]:found[1]].rstrip().endswith("分")):
                    continue
                s, e, v = found
                if entry.after:
                    hit = g_amount(doc, v, s, m.end())  # type: ignore[arg-type]
                elif entry.kind == "money":
                    hit = g_amount(doc, v, m.start(), e)  # type: ignore[arg-type]
                elif entry.kind == "count":  # staffing: whole people
                    hit = g_int(doc, int(v.value), m.start(), e)  # type: ignore[attr-defined]
                else:
                    hit = g_num(doc, v.value, m.start(), e, getattr(v, "approx", False))  # type: ignore[attr-defined]
                break
            if hit is not None:
                out[entry.path] = hit
                break
    return out


def grade(doc: Document, lex: Lexicon) -> GroundedStr | None:
    """A checked box before a grade word, else 「评价等级为优」 / 「自评结论为“优秀”」 in a sentence."""
    words = "|".join(sorted(map(re.escape, lex.grades), key=len, reverse=True))
    m = re.search(rf"<input[^>]*\bchecked\b[^>]*>\s*(?P<g>{words})|[☑■√✔]\s*(?P<g2>{words})", doc.text)
    if m:
        w = m.group("g") or m.group("g2")
        return g_str(doc, lex.grades[w], m.start(), m.end())
    labels = "|".join(map(re.escape, [*lex.keyvalue["grade"], "等级", "自评结果", "评价结果", "评定为", "评价结论"]))
    gm = re.search(rf"(?:{labels})[^。；\n]{{0,6}}?(?:为|：|:|是|达到)\s*[“\"]?(?P<g>{words})", doc.text)
    if gm:
        return g_str(doc, lex.grades[gm.group("g")], gm.start(), gm.end())
    return None
