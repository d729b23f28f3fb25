"""Deterministic rules extractor: patterns and table readers for every field of the contract.

Runs in milliseconds with no model. Each value is grounded on the span it was read from and
emitted only if that quote parses back to it; facts a report does not state stay null.
"""

from __future__ import annotations

import re
from decimal import Decimal

from extractor import lexicon, readers
from extractor.grounding import evidence, g_amount, g_int, g_num, g_str, key
from extractor.ingest import Document
from extractor.models import (
    Allocation,
    Flag,
    Amount,
    Budget,
    GroundedNum,
    GroundedStr,
    Indicator,
    Breakdown,
    Output,
    Part,
    Ratio,
    Restatement,
    Project,
    Record,
    Score,
    Source,
    Staffing,
)
from extractor.normalize import (
    ARABIC,
    COUNT_RE,
    MONEY_RE,
    PERCENT_RE,
    money_from,
    parse_count,
    parse_money,
    parse_number,
    parse_percent,
)
from extractor.segment import Layout, Row, Section, Table

CJK = "\u4e00-\u9fff"
NUM = ARABIC
# connector between a label and its value: 为 / 是 / 达 / ： and spaces, line breaks
CONN = r"[为是达共计：:\s]{0,4}"
# group-free copies of the normalisation patterns, for embedding in larger patterns
MONEY = re.sub(r"\(\?P<\w+>", "(?:", MONEY_RE.pattern)
PCT = re.sub(r"\(\?P<\w+>", "(?:", PERCENT_RE.pattern)


def extract(doc: Document, layout: Layout) -> Record:
    """Fill a Record: the lexicon's generic readers (tables, cell streams, sentences) first, then
    the readers of the few shapes data cannot describe yet. `doc.text` has its page chrome
    blanked (extractor.readers.mask_chrome)."""
    lex = lexicon.load()
    text = doc.text
    rec = Record(source=Source(path=doc.path, sha256=doc.sha256, format=doc.format, pages=len(doc.pages)))  # type: ignore[arg-type]
    rec.report_kind = readers.report_kind(text, lex)
    project_report = readers.is_project_kind(rec.report_kind)
    facts = readers.read_tables(doc, layout, lex)
    said = readers.read_sentences(doc, lex, layout.tables, project_report)
    rec.department = _department(doc, layout, lex, facts)
    rec.fiscal_year = fiscal_year(doc)
    rec.budget = budget(doc, layout)
    for path, v in facts.scalars.items():  # a table's 年度资金总额 row is the authority
        _set(rec, path, v)
    for path, v in said.items():
        if _get(rec, path) is None:
            _set(rec, path, v)
    rec.budget.funding_parts = facts.parts
    if rec.budget.fiscal_appropriation is None:
        approp = {readers.norm_label(x) for x in lex.rows["appropriation"]}
        part = next((p for p in facts.parts if p.name in approp and p.budget is not None), None)
        if part is not None:
            rec.budget.fiscal_appropriation = part.budget
    rec.score = score(doc, layout, facts, said, lex)
    rec.indicators = max((facts.indicators, indicators(doc, layout)), key=_scored_leaves)
    rec.projects = projects(doc, layout)
    if project_report and not rec.projects:
        rec.projects = _the_project(doc, rec, facts, lex)
    rec.outputs = outputs(doc, layout)
    rec.staffing = Staffing()
    for path in ("staffing.authorized", "staffing.actual", "staffing.retired"):
        v = said.get(path)
        if _get(rec, path) is None and isinstance(v, GroundedNum):
            _set(rec, path, g_int(doc, int(v.value), v.start, v.end))
    rec.problems, rec.measures = problems_and_measures(doc, layout)
    rec.ratios = ratios(doc)
    rec.breakdowns = breakdowns(doc) + money_breakdowns(doc, layout)
    rec.allocations, restated = allocations(doc, layout)
    rec.restatements = restatements(doc, layout, rec) + restated
    rec.flags = [Flag(rule="table_not_understood", severity="info", paths=[],
                      message=f"表格未能确定对齐，未读取其中数值：{d}") for d in facts.doubtful]
    return rec


def _scored_leaves(inds: list[Indicator]) -> tuple[int, int]:
    """How many level-3 rows carry a weight and a score within it: the better of two readings
    of the same indicator table has more."""
    return sum(1 for i in inds if i.level == 3 and i.weight and i.score and i.score.value <= i.weight.value), len(inds)


def _get(rec: Record, path: str) -> object:
    cur: object = rec
    for part in path.split("."):
        cur = getattr(cur, part, None)
    return cur


def _set(rec: Record, path: str, value: object) -> None:
    *head, last = path.split(".")
    cur: object = rec
    for part in head:
        cur = getattr(cur, part)
    setattr(cur, last, value)


def _department(doc: Document, layout: Layout, lex: lexicon.Lexicon, facts: readers.TableFacts) -> GroundedStr | None:
    """主管部门 / 部门名称 cell, else the 实施单位 / 资金使用单位 cell, else the title's unit."""
    name = facts.keyvalues.get("department") or facts.keyvalues.get("implementer")
    if name is not None:
        code = re.match(r"^\s*[\[【(（]\d+[\]】)）]\s*", name.value)  # [155]濉溪县民政局: an agency code
        if code:
            s = name.start + len(code.group(0))
            name = g_str(doc, doc.text[s:name.end], s, name.end)
        if re.search(_ORG_END, name.value):
            return name
    found = readers.title_department(doc, lex) or department(doc, layout)
    return readers.expand_region(doc, found, lex) if found is not None else None


def _the_project(doc: Document, rec: Record, facts: readers.TableFacts, lex: lexicon.Lexicon) -> list[Project]:
    """A project table or a report on one project: projects[0] is the project itself."""
    name = facts.keyvalues.get("project_name")
    label = name.value if name is not None else readers.project_from_title(doc, rec.department, lex)
    if not label:
        return []
    b = rec.budget
    return [Project(name=label, budget=b.total_budget, executed=b.executed, execution_rate_pct=b.execution_rate_pct,
                    score=rec.score.total, evidence=evidence(doc, name.start, name.end) if name is not None else None)]


# ---------------------------------------------------------------- helpers


def _sentence_prefix(text: str, pos: int, stops: str = "。；;\n") -> str:
    """The text from the start of the sentence (or line) up to `pos`."""
    i = pos
    while i > 0 and text[i - 1] not in stops:
        i -= 1
    return text[i:pos]


def _in_table(layout: Layout, pos: int) -> bool:
    return any(t.start <= pos <= t.end for t in layout.tables)


def _title_lines(text: str, n: int = 6) -> list[tuple[int, str]]:
    """The first non-empty lines of the document, with their offsets."""
    out = []
    pos = 0
    for line in text.split("\n"):
        if line.strip():
            out.append((pos + len(line) - len(line.lstrip()), line.strip()))
            if len(out) >= n:
                break
        pos += len(line) + 1
    return out


# ---------------------------------------------------------------- department, year, kind

_ORG_END = r"(?:局|委员会|办公室|中心|院|厅|馆|站|所|队|署|委|办|政府|学校|中学|小学|残联)$"
ORG_SUFFIX = r"(?:局|委员会|办公室|管理委员会|中心|法院|检察院|医院|学校|厅|院|馆|站|所|队|署|委|办)"
_TITLE_CUT = re.compile(r"(?:\d{4}\s*年度?|部门整体|部门\s*\d{4}|整体支出|单位整体|部门绩效|部门（单位）|绩效自评|项目支出|部门$|部门\s)")


def department(doc: Document, layout: Layout) -> GroundedStr | None:
    text = doc.text
    found: tuple[str, int] | None = None
    # 1. a table cell labelled 部门名称 / 单位名称
    for t in layout.tables:
        for row in t.rows:
            for i, c in enumerate(row.cells[:-1]):
                if re.fullmatch(r"(?:部门|单位|部门（单位）|项目单位|主管部门)名称", c.clean):
                    nxt = next((x for x in row.cells[i + 1 :] if x.clean), None)
                    if nxt and re.search(ORG_SUFFIX + "$", nxt.clean):
                        found = (nxt.raw, nxt.start)
                        break
            if found:
                break
        if found:
            break
    # 2. the title line: 2022年度上街区司法局部门整体自评报告
    if not found:
        for pos, line in _title_lines(text):
            if not re.search(r"报告|自评表|总结|自评", line):
                continue
            body = re.sub(r"^#+\s*", "", line)
            body_off = line.index(body)
            m = re.match(r"\s*\d{4}\s*年度?\s*", body)
            skip = m.end() if m else 0
            rest = body[skip:]
            cut = _TITLE_CUT.search(rest)
            name = rest[: cut.start()].strip() if cut else ""
            if 3 <= len(name) <= 24 and re.search(ORG_SUFFIX + "$", name):
                found = (name, pos + body_off + skip + rest.index(name))
                break
    # 3. "XX局 2024 年预算" / "部门（单位）：XX局"
    if not found:
        m = re.search(rf"([{CJK}]{{2,16}}?{ORG_SUFFIX})\s*\d{{4}}\s*年", text)
        if m:
            name = m.group(1)
            name = re.sub(r"^(?:为|我|本|在|对|由|根据|经)", "", name)
            found = (name, m.start(1) + m.group(1).index(name))
    if not found:
        return None
    name, pos = found
    # expand to the fuller form with its 行政区划 prefix where the text writes one
    for m in re.finditer(rf"(?<![{CJK}])([{CJK}]{{2,4}}(?:省|市|州|盟))" + re.escape(name), text):
        return g_str(doc, m.group(0), m.start(), m.end())
    return g_str(doc, name, pos, pos + len(name))


def fiscal_year(doc: Document) -> GroundedInt | None:
    text = doc.text
    for pos, line in _title_lines(text):
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


# ---------------------------------------------------------------- budget


def _money_after(doc: Document, label: str, *, skip_prefix: str | None = None, start_at: int = 0,
                 within: tuple[int, int] | None = None) -> Amount | None:
    """First `label … money` where the label is followed by a connector and an amount."""
    text = doc.text
    pat = re.compile(rf"(?:{label}){CONN}(?P<money>{MONEY})")
    lo, hi = within or (start_at, len(text))
    for m in pat.finditer(text, lo, hi):
        if skip_prefix and re.search(skip_prefix, _sentence_prefix(text, m.start(), "。；;\n") + text[m.start():m.start("money")]):
            continue
        money = parse_money(m.group("money"))
        if money is None:
            continue
        return g_amount(doc, money, m.start(), m.end())
    return None


_PROJECT_CTX = r"项目(?!支出)|其中|基本支出|专项|经费预算"


def budget(doc: Document, layout: Layout) -> Budget:
    text = doc.text
    b = Budget()
    # 基本支出 / 项目支出: budget unless the sentence speaks of 决算 / 执行 (then executed)
    for part, bud_field, exe_field in (("基本支出", "basic_budget", "basic_executed"), ("项目支出", "project_budget", "project_executed")):
        for m in re.finditer(rf"{part}(?P<label>预算金额|预算数|预算|决算数|支出|执行数)?{CONN}(?P<money>{MONEY})", text):
            if _in_table(layout, m.start()):
                continue
            money = parse_money(m.group("money"))
            if money is None:
                continue
            sentence = _sentence_prefix(text, m.start(), "。\n")
            executed_ctx = bool(re.search(r"决算|执行数|实际支出|支出合计", sentence)) and "预算" not in (m.group("label") or "")
            target = exe_field if executed_ctx else bud_field
            if getattr(b, target) is None:
                setattr(b, target, g_amount(doc, money, m.start(), m.end()))
            # 基本支出预算金额为 X 万元，预算执行情况为 Y 万元
            if not executed_ctx and getattr(b, exe_field) is None:
                tail = re.compile(rf"[，,]\s*(?:预算)?执行(?:情况|数|金额)?{CONN}(?P<money>{MONEY})")
                t = tail.match(text, m.end()) or re.compile(rf"[，,][^。；，,]{{0,12}}[，,]\s*(?:预算)?执行(?:情况|数|金额)?{CONN}(?P<money>{MONEY})").match(text, m.end())
                if t:
                    em = parse_money(t.group("money"))
                    if em:
                        setattr(b, exe_field, g_amount(doc, em, m.start(), t.end()))
            break
    b.revenue_parts = _parts_after(doc, r"预算收入合计|收入合计")
    b.expenditure_parts = _parts_after(doc, r"决算支出合计|支出合计")
    return b


def _parts_after(doc: Document, total_label: str) -> list[Part]:
    """「收入合计 X 万元，其中：财政拨款收入 A 万元，占 p%；事业收入 B 万元，占 q%…」 -> parts."""
    text = doc.text
    m = re.search(rf"(?:{total_label}){CONN}{MONEY}[，,。]?\s*其中[：:]?", text)
    if not m:
        return []
    end = text.find("。", m.end())
    end = len(text) if end == -1 else end
    parts = []
    item = re.compile(rf"(?P<name>[{CJK}][{CJK}\s]{{1,12}}?){CONN}(?P<money>{MONEY})(?:[，,]\s*占\s*(?P<pct>{PCT}))?")
    for im in item.finditer(text, m.end(), end):
        money = parse_money(im.group("money"))
        if money is None:
            continue
        share = None
        if im.group("pct"):
            pct = parse_percent(im.group("pct"))
            if pct:
                share = g_num(doc, pct.value, im.start("money"), im.end("pct"), pct.approx)
        parts.append(Part(name=re.sub(r"\s+", "", im.group("name")), amount=g_amount(doc, money, im.start(), im.end("money")), share_pct=share))
    return parts


# ---------------------------------------------------------------- score and grade

def score(doc: Document, layout: Layout, facts: readers.TableFacts, said: dict[str, object], lex: lexicon.Lexicon) -> Score:
    """The total from a 自评得分 cell, else a sentence, else a table's 总分 row; the grade from a
    checked box or a sentence."""
    sc = Score(grade=readers.grade(doc, lex))
    kv = facts.keyvalues.get("score_total")
    if kv is not None and (n := parse_number(kv.value)) is not None and n.value <= 100:
        sc.total = g_num(doc, n.value, kv.start, kv.end)
    else:
        sc.total = said.get("score.total") or _total_score_from_tables(doc, layout)  # type: ignore[assignment]
    return sc


def _header_index(table: Table, pattern: str) -> tuple[int, int] | None:
    for ri, row in enumerate(table.rows):
        for ci, c in enumerate(row.cells):
            if re.search(pattern, c.clean):
                return ri, ci
    return None


def _total_score_from_tables(doc: Document, layout: Layout) -> GroundedNum | None:
    for t in layout.tables:
        h = _header_index(t, r"^(?:得分|自评分|得分/自评分|自评得分)$")
        if not h:
            continue
        for row in t.rows:
            if row.cells and re.fullmatch(r"总分|合计|总计|综合得分", row.cells[0].clean) and h[1] < len(row.cells):
                c = row.cells[h[1]]
                n = parse_number(c.clean)
                if n is not None:
                    return g_num(doc, n.value, row.start, c.end)
    return None


# ---------------------------------------------------------------- indicators


def _is_name(s: str) -> bool:
    return bool(s) and len(s) <= 30 and parse_number(s) is None and not re.search(r"[。；]", s) and not s.startswith("反映")


def indicators(doc: Document, layout: Layout) -> list[Indicator]:
    out = _indicators_from_tables(doc, layout)
    names = {key(i.name) for i in out}
    for ind in _indicators_from_narrative(doc):
        if key(ind.name) not in names:
            out.append(ind)
    return out


def _indicators_from_tables(doc: Document, layout: Layout) -> list[Indicator]:
    """Indicator tables: (name, 分值) pairs per row; the last pair of a row is the leaf (level 3),
    the pairs before it its level-2 and level-1 parents; the score is the first number after the
    leaf's explanation and criteria."""
    out: list[Indicator] = []
    l1: str | None = None
    l1_room = Decimal(0)  # weight of the current level-1 indicator not yet taken by its children
    orphans: list[Indicator] = []  # level-2 rows that do not fit under the current level 1
    l2: str | None = None
    last_leaf: str | None = None
    for t in layout.tables:
        h = _header_index(t, r"^一级指标$")
        if not h or not _header_index(t, r"分值|权重"):
            continue
        for row in t.rows[h[0] + 1 :]:
            cells = row.cells
            texts = [c.clean for c in cells]
            if not any(texts) or re.search(r"^(?:一级指标|总分|合计|评价等级)$", texts[0]):
                continue
            pairs: list[int] = []  # index of name cells followed by a number
            i = 0
            while i < len(cells) - 1:
                if _is_name(texts[i]) and parse_number(texts[i + 1]) is not None:
                    pairs.append(i)
                    i += 2
                    continue
                i += 1
            leaf_end = pairs[-1] + 1 if pairs else None
            if not pairs:
                # an unnamed continuation row: a weight and a score only
                nums = [j for j, s in enumerate(texts) if s and parse_number(s) is not None]
                if len(nums) >= 2 and last_leaf:
                    w, s = cells[nums[0]], cells[nums[1]]
                    out.append(Indicator(level=3, name=f"{last_leaf}（续）", parent=l2,
                                         weight=g_num(doc, parse_number(w.clean).value, w.start, w.end),  # type: ignore[union-attr]
                                         score=g_num(doc, parse_number(s.clean).value, s.start, s.end),  # type: ignore[union-attr]
                                         evidence=evidence(doc, row.start, row.end)))
                continue
            levels = [3, 2, 1][: len(pairs)][::-1]
            for idx, level in zip(pairs, levels):
                name_c, w_c = cells[idx], cells[idx + 1]
                weight = g_num(doc, parse_number(w_c.clean).value, w_c.start, w_c.end)  # type: ignore[union-attr]
                if level == 1:
                    l1, l2 = name_c.clean, None
                    l1_room = weight.value
                    # merged cells put a level-1 label in the middle of its rows: it adopts the
                    # level-2 rows above it that did not fit under the previous level 1
                    for o in orphans:
                        o.parent = l1
                        l1_room -= o.weight.value if o.weight else 0
                    orphans = []
                    out.append(Indicator(level=1, name=name_c.clean, weight=weight, evidence=evidence(doc, name_c.start, w_c.end)))
                elif level == 2:
                    l2 = name_c.clean
                    fits = l1 is not None and weight.value <= l1_room
                    ind = Indicator(level=2, name=name_c.clean, parent=l1 if fits else None, weight=weight,
                                    evidence=evidence(doc, name_c.start, w_c.end))
                    if fits:
                        l1_room -= weight.value
                    else:
                        orphans.append(ind)
                    out.append(ind)
                else:
                    sc = None
                    assert leaf_end is not None
                    for j in range(leaf_end + 1, len(cells)):
                        if texts[j] and parse_number(texts[j]) is not None and j > leaf_end + 1:
                            sc = g_num(doc, parse_number(texts[j]).value, cells[j].start, cells[j].end)  # type: ignore[union-attr]
                            break
                    last_leaf = name_c.clean
                    out.append(Indicator(level=3, name=name_c.clean, parent=l2, weight=weight, score=sc,
                                         evidence=evidence(doc, row.start, row.end)))
    return out


_NARRATIVE_L1 = re.compile(rf"一级指标(?P<name>[{CJK}]{{2,16}}?)[：:](?P<body>[^。]*)")


def _indicators_from_narrative(doc: Document) -> list[Indicator]:
    """「一级指标投入管理指标：总分值30分，总得分29.55分」 and
    「一级指标预算执行率：年初目标为90%,实际完成值为62.90%，得分为6.99分」."""
    text = doc.text
    out = []
    for m in _NARRATIVE_L1.finditer(text):
        b0 = m.start("body")
        body = m.group("body")
        ind = Indicator(level=1, name=m.group("name"), evidence=evidence(doc, m.start(), m.end()))
        w = re.search(rf"(?:总分值|分值|权重){CONN}(?P<n>{NUM})\s*分", body)
        if w:
            ind.weight = g_num(doc, parse_number(w.group("n")).value, b0 + w.start(), b0 + w.end())  # type: ignore[union-attr]
        s = re.search(rf"(?:总得分|得分为|得分){CONN}(?P<n>{NUM})\s*分", body)
        if s:
            ind.score = g_num(doc, parse_number(s.group("n")).value, b0 + s.start(), b0 + s.end())  # type: ignore[union-attr]
        tg = re.search(rf"(?:年初目标|目标值|年度指标值)(?:为|：|:)?\s*(?P<v>{NUM}\s*%?)", body)
        if tg:
            ind.target = g_str(doc, tg.group("v").strip(), b0 + tg.start("v"), b0 + tg.end("v"))
        ac = re.search(rf"(?:实际完成值|实际完成|完成值)(?:为|：|:)?\s*(?P<v>{NUM}\s*%?)", body)
        if ac:
            ind.actual = g_str(doc, ac.group("v").strip(), b0 + ac.start("v"), b0 + ac.end("v"))
        if ind.weight or ind.score:
            out.append(ind)
    return out


# ---------------------------------------------------------------- projects

_PROJECT_HEADERS = {
    "name": r"项目名称",
    "budget": r"全年预算数|预算数|预算金额|年初预算",
    "executed": r"全年执行数|执行数|执行金额|实际支出",
    "rate": r"预算执行率|执行率",
    "score": r"自评得分|得分",
    "note": r"偏差|说明|备注",
}


def projects(doc: Document, layout: Layout) -> list[Project]:
    table = _projects_from_tables(doc, layout)
    narrative = _projects_from_narrative(doc) + _projects_listed(doc, layout)
    merged = list(table)
    for p in narrative:
        match = find_project(merged, p.name)
        if match is None:
            merged.append(p)
        else:
            for f in ("budget", "executed", "execution_rate_pct", "score"):
                if getattr(match, f) is None and getattr(p, f) is not None:
                    setattr(match, f, getattr(p, f))
    return merged


_LIST_START = re.compile(r"(?:具体包括|主要包括|分别是|分别为)[：:]")


def _projects_listed(doc: Document, layout: Layout) -> list[Project]:
    """「预算项目经费15690.38万元,具体包括:交通秩序综合整治155.85万元,…、鲜花港屋面瓦维修170.01万元、…」:
    the projects a sentence lists by name and amount after 具体包括 / 分别为, when the sentence
    speaks of projects. An item cut off before its amount keeps its name only."""
    text = doc.text
    out: list[Project] = []
    for m in _LIST_START.finditer(text):
        if _in_table(layout, m.start()) or "项目" not in _sentence_prefix(text, m.start(), "。；;\n"):
            continue
        stop = text.find("。", m.end())
        stop = len(text) if stop == -1 else stop
        for item in re.finditer(r"[^，,、；;]+", text[m.end():stop]):
            body = item.group(0)
            money = re.search(rf"(?P<money>{MONEY})\s*$", body)
            a = m.end() + item.start()
            if money is None:
                name = body.strip()
                if 4 <= len(name) <= 40 and m.end() + item.end() >= len(text.rstrip()):
                    out.append(Project(name=name, evidence=evidence(doc, a, a + len(body))))  # cut off: name only
                continue
            name = body[: money.start()].strip()
            amount = parse_money(money.group("money"))
            if len(name) < 2 or amount is None:
                continue
            s = a + money.start("money")
            out.append(Project(name=name, budget=g_amount(doc, amount, s, a + money.end("money")),
                               evidence=evidence(doc, a, a + len(body))))
    return out


def find_project(projects_: list[Project], name: str) -> Project | None:
    k = key(re.sub(r"项目$", "", name))
    for p in projects_:
        pk = key(re.sub(r"项目$", "", p.name))
        if pk == k or (len(k) >= 4 and (k in pk or pk in k)):
            return p
    return None


def _projects_from_tables(doc: Document, layout: Layout) -> list[Project]:
    out: list[Project] = []
    for t in layout.tables:
        h = _header_index(t, r"项目名称") if t.grid else None
        if not h:
            continue
        header = t.rows[h[0]]
        if not any(re.search(_PROJECT_HEADERS["budget"] + "|" + _PROJECT_HEADERS["executed"], c.clean) for c in header.cells):
            continue  # 项目名称 | 临时救助: a project table's name cell, not a list of projects
        cols: dict[str, int] = {}
        for ci, c in enumerate(header.cells):
            for field, pat in _PROJECT_HEADERS.items():
                if field not in cols and re.search(pat, c.clean):
                    cols[field] = ci
                    break
        unit = readers.table_unit(t, doc.text)
        for row in t.rows[h[0] + 1 :]:
            cells = row.cells
            if cols["name"] >= len(cells) or not cells[cols["name"]].clean or re.fullmatch(r"合计|总计|小计", cells[cols["name"]].clean):
                continue
            p = Project(name=cells[cols["name"]].clean, evidence=evidence(doc, row.start, row.end))
            for field in ("budget", "executed"):
                if field in cols and cols[field] < len(cells):
                    c = cells[cols[field]]
                    n = parse_number(c.clean)
                    if n is not None:
                        a = g_amount(doc, money_from(n, unit or "万元"), c.start, c.end)
                        if unit is None:
                            a.raw_unit = ""
                        setattr(p, field, a)
            if "rate" in cols and cols["rate"] < len(cells):
                c = cells[cols["rate"]]
                pct = parse_percent(c.clean)
                if pct:
                    p.execution_rate_pct = g_num(doc, pct.value, c.start, c.end)
            if "score" in cols and cols["score"] < len(cells):
                c = cells[cols["score"]]
                n = parse_number(c.clean)
                if n is not None:
                    p.score = g_num(doc, n.value, c.start, c.end)
            if "note" in cols and cols["note"] < len(cells) and cells[cols["note"]].clean:
                p.note = cells[cols["note"]].clean
            out.append(p)
    return out


_PROJECT_ITEM = re.compile(
    rf"^\s*\d{{1,2}}[.．、]\s*(?P<name>[^：:\n。]{{2,40}}?)(?:项目)?(?:绩效自评概述|绩效自评情况|自评概述|绩效情况)[：:]", re.M
)


def _projects_from_narrative(doc: Document) -> list[Project]:
    """Numbered narrative lists: 「1. 人民调解项目绩效自评概述：…项目自评得分 93.85 分，全年预算数
    35.2 万元，执行数 24.81 万元，完成预算的 70.47%。」"""
    text = doc.text
    out = []
    items = list(_PROJECT_ITEM.finditer(text))
    for k, m in enumerate(items):
        end = items[k + 1].start() if k + 1 < len(items) else min(len(text), m.end() + 1500)
        p = Project(name=m.group("name").strip(), evidence=evidence(doc, m.start("name"), m.end()))
        seg_end = text.find("。", m.end(), end)
        seg_end = end if seg_end == -1 else seg_end
        for field, label in (("budget", r"全年预算数|预算数|预算金额|预算"), ("executed", r"执行数|执行金额|实际支出")):
            a = _money_after(doc, label, within=(m.end(), seg_end))
            if a:
                setattr(p, field, a)
        r = re.compile(rf"(?:完成预算的|预算执行率|执行率){CONN}(?P<pct>{PCT})").search(text, m.end(), seg_end)
        if r:
            pct = parse_percent(r.group("pct"))
            if pct:
                p.execution_rate_pct = g_num(doc, pct.value, r.start(), r.end())
        s = re.compile(rf"(?:自评得分|得分){CONN}(?P<n>{NUM})\s*分").search(text, m.end(), seg_end)
        if s:
            p.score = g_num(doc, parse_number(s.group("n")).value, s.start(), s.end())  # type: ignore[union-attr]
        out.append(p)
    return out


# ---------------------------------------------------------------- outputs

_FILLERS = r"^(?:其中|共|全年|累计|并|已|目前|今年以来|截止|截至|全区|全市|全县|我局|我区|本局|，|、|；)+"
_TRAILERS = r"(?:为|达|达到|共|计|约|了|合计|总数|数量|共计|累计|达到了|共有)+$"
_STAFF_CTX = re.compile(r"编制|实有|在职|退休|离休|遗属|人员情况|组织机构|内设|职称|学历")


def outputs(doc: Document, layout: Layout) -> list[Output]:
    """Quantified outputs in the narrative: 法律援助案件1002件, 调解成功2860件, 4000余起."""
    text = doc.text
    lex = lexicon.load()
    out: list[Output] = []
    seen: set[tuple[str, Decimal, str]] = set()
    for m in COUNT_RE.finditer(text):
        if _in_table(layout, m.start()) and not _in_narrative_cell(layout, m.start()):
            continue
        if re.fullmatch(r"[零〇一二两三四五六七八九十]", m.group("num")):
            continue  # 两次, 三项制度: a word, not a reported quantity
        rest = re.split(r"[。；;\n]", text[m.end(): m.end() + 12])[0]  # what follows, in the same sentence
        if "项目" in rest[:7] or text[m.end() - 1: m.end() + 1] == "项目":
            continue  # 「共有 8 个项目」 is the budget's structure, not an output
        if "\n" in m.group(0) and m.start() - (text.rfind("\n", 0, m.start()) + 1) < 20:
            continue  # a number ending a short line and a word on the next: not one quantity (a long line is a hard wrap)
        if re.search(r"[-~～至到]\s*$", text[max(0, m.start() - 2): m.start()]):
            continue  # the end of a range (2-12个月)
        if re.match(rf"(?:{_COUNT_BARE})?[{CJK}]{{1,3}}{_COUNT_BARE}", text[m.end(): m.end() + 16]):
            continue  # 「新建300米深机井1座」, 「20米100吨水塔1座」: a specification inside the name of what was built
        if re.match(r"(?:工作日|个月|月|季度|小时|天|年)", rest):
            continue  # 「30个工作日内」: a time, not a result
        c = parse_count(m.group(0))
        if c is None or c.value == 0:
            continue
        before = _prefix_across_wraps(text, m.start())
        after = text[m.end(): m.end() + 1]
        if re.search(r"年$|月$|第$", before) or after in ("月", "年", "日"):
            continue
        if re.search(r"(?:不低于|不少于|不高于|不超过|[≥≤><])\s*$", before):
            continue  # 「不低于105人」: a target, not a result
        if any(w in _sentence_prefix(text, m.start(), "。；;\n") + rest for w in lex.outputs["scoring_words"]):
            continue  # 「每发现1项扣1分」: a scoring rule, not a result
        if _STAFF_CTX.search(_sentence_prefix(text, m.start(), "。；;\n")) and c.unit in ("人", "个", "名"):
            continue
        if "指标" in before.split("指标值")[-1].split("完成值")[-1] or "指标" in rest:
            continue  # 「设置4个一级指标」 describes the indicator system, not an output
        # 「资助接受托养服务人次数年初指标值为不低于105人，全年实际完成值116人」: the indicator is the name
        target = None
        narrative = re.search(r"([^，,。；;：:]{2,30}?)年初指标值[为是]?(?:不低于|不少于|达到)?(" + _COUNT + ")[^。；;]{0,12}?$", _sentence_prefix(text, m.start()))
        if narrative and re.search(r"实际完成值?[为是]?$", before):
            before = re.sub(r"^第[一二三四五六七八九十]+[，,]?", "", narrative.group(1))
            tc = parse_count(narrative.group(2))
            if tc is not None:
                t0 = m.start() - len(_sentence_prefix(text, m.start())) + narrative.start(2)
                target = g_num(doc, tc.value, t0, t0 + len(narrative.group(2)), tc.approx)
        name = re.sub(r"\s+", "", before)
        name = re.sub(r"\d{4}年(?:\d{1,2}月)?(?:\d{1,2}日)?|\*+", "", name).lstrip("）)】]·.． ")
        name = re.sub(_FILLERS, "", name)
        name = re.sub(_TRAILERS, "", name).strip()
        name = re.sub(rf"^.*{_COUNT}", "", name)  # 「33个行政村26113户」: the words after the last count
        name = name[-18:]
        if not re.sub(rf"[^{CJK}]", "", name):
            # 「开展工作督导: 一个季度开展工作督导一次,共4次」: the label the line opens with
            line_start = text.rfind("\n", 0, m.start()) + 1
            label = re.match(rf"\s*([{CJK}]{{2,16}})\s*[：:]", text[line_start:m.start()])
            if label:
                name = label.group(1)
        if name in lex.outputs["attributes"] and out and m.start() - out[-1].value.end < 16 and \
                not re.search(r"[。；;]", text[out[-1].value.end:m.start()]):
            name = out[-1].name + name  # 「干流堤防工程 1 段,长 0.23km」: the length of what was just named
        elif len(re.sub(rf"[^{CJK}]", "", name)) < 2 or _VERB_END.search(name):
            # 「用于36个自然村」, 「主要依靠全县15家乡镇卫生院」: the noun after the count names it
            follow = re.match(rf"[{CJK}“”\"（()）]{{2,12}}", text[m.end():])
            if not follow:
                continue
            name = re.split(r"[（(]", follow.group(0))[0] if len(follow.group(0)) > 1 else follow.group(0)
        if re.search(r"(?:编号|号|第|条例|办法|项目)$", name):
            continue  # 「一级项目 17 个」 is the budget's structure, not an output
        dup = (key(name), c.value, c.unit)
        if dup in seen or any(o.value.value == c.value and o.unit == c.unit and _share_words(o.name, name) for o in out):
            continue  # the same result stated again (the narrative and a table cell)
        seen.add(dup)
        out.append(Output(name=name, value=g_num(doc, c.value, m.start(), m.end(), c.approx), unit=c.unit,
                          approx=c.approx, target=target, evidence=evidence(doc, max(0, m.start() - len(before)), m.end())))
    return out


_VERB_END = re.compile(r"(?:用于|依靠|全县|全区|全市|我县在|我区在|在|为|由|新建|解决|覆盖|涉及|惠及|包括|完成|聘请|组织|举办|建成|和|及|与|[县区市镇乡])$")


def _share_words(a: str, b: str) -> bool:
    """Do two names share four characters in a row (法律援助案件 in both)?"""
    return any(a[i:i + 4] in b for i in range(len(a) - 3))


def _in_narrative_cell(layout: Layout, pos: int) -> bool:
    """A table cell that holds a sentence (年度总体目标完成情况: 「全年救助…87人次,救助资金30万元,完成目标任务。」)."""
    for t in layout.tables:
        if t.start <= pos <= t.end:
            cell = next((c for c in t.cells if c.start <= pos < c.end), None)
            return cell is not None and len(cell.raw) >= 20 and bool(re.search(r"[，,。；]", cell.raw))
    return False


def _prefix_across_wraps(text: str, pos: int, stops: str = "。；;，,、：:（(）)\t|") -> str:
    """The clause before `pos`, read across hard line wraps: a line break after a long line that
    does not end a sentence is a wrap (seed 000 wraps every ~32 characters), not a boundary."""
    i = pos
    while i > 0:
        c = text[i - 1]
        if c in stops:
            break
        if c == "\n":
            j = i - 1
            while j > 0 and text[j - 1].isspace():
                j -= 1
            line_start = text.rfind("\n", 0, j) + 1
            line = text[line_start:j]
            if len(line) < 20 or (line and line[-1] in "。：:；;"):
                break
            i = j
            continue
        i -= 1
    return text[i:pos]


# ---------------------------------------------------------------- problems and measures

_ITEM_SPLIT = re.compile(r"(?:^|\n)\s*(?:[一二三四五六七八九十]是|\d{1,2}[.．、]|[（(]\d{1,2}[）)])\s*")


def _items(body: str) -> list[str]:
    body = body.strip()
    parts = [p.strip() for p in _ITEM_SPLIT.split(body) if p.strip()]
    if len(parts) <= 1:
        parts = [s.strip() for s in re.split(r"(?<=。)", body) if s.strip()]
        parts = [p for p in parts if not p.startswith("针对")]
    out = []
    for p in parts:
        if re.search(r"[：:]$", p) or p.startswith("针对"):
            continue
        first = re.split(r"(?<=。)", re.sub(r"\s*\n\s*", "", p))[0].strip()
        first = re.sub(r"^(?:一是|二是|三是|四是|五是)", "", first).strip("。； ")
        if len(first) >= 4:
            out.append(first)
    return out


def problems_and_measures(doc: Document, layout: Layout) -> tuple[list[str], list[str]]:
    text = doc.text
    problems: list[str] = []
    measures: list[str] = []
    for s in layout.flat():
        title = s.title
        if re.search(r"需要说明|经验、问题", title):
            continue
        both = bool(re.search(r"问题(?:和|及|与|、)", title))
        is_measure = bool(re.search(r"措施|改进|建议|整改", title))
        is_problem = both or (bool(re.search(r"问题", title)) and not is_measure)
        if not (is_problem or is_measure):
            continue
        body_end = s.children[0].start if s.children else s.end
        head_rest = text[s.start:s.body_start].split("：", 1)[1] if "：" in text[s.start:s.body_start] else ""
        body = head_rest + text[s.body_start:body_end]
        if is_problem and is_measure:
            if s.children and not any(re.search(r"问题|措施|改进", c.title) for c in s.children):
                for c in s.children:
                    problems.append(re.sub(r"^\d{1,2}[.．、]\s*", "", c.title).strip("。： "))
                    paras = [p.strip() for p in text[c.body_start:c.end].split("\n") if p.strip()]
                    joined = re.sub(r"\s*\n\s*", "", text[c.body_start:c.end]).strip()
                    m = re.search(r"[^。]*(?:加强|完善|强化|提高|进一步|督促|建立|健全)[^。]*。", joined)
                    if paras and m:
                        measures.append(m.group(0).strip("。"))
            continue
        target = problems if is_problem else measures
        if s.children and not body.strip():
            for c in s.children:
                target.extend(_items(text[c.start:c.end]))
        else:
            target.extend(_items(text[s.body_start - len(head_rest):s.end] if head_rest else text[s.body_start:s.end]))
    return _dedupe(problems), _dedupe(measures)


def _dedupe(items: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for i in items:
        k = key(i)
        if k not in seen:
            seen.add(k)
            out.append(i)
    return out


# ---------------------------------------------------------------- ratios, breakdowns, restatements

_COUNT = COUNT_RE.pattern
_COUNT_BARE = re.sub(r"\(\?P<\w+>", "(?:", _COUNT)  # group-free, to use twice in one pattern


def ratios(doc: Document) -> list[Ratio]:
    """A 成功率 with the counts it comes from, in one sentence:
    「排查矛盾纠纷1437宗，成功化解1425宗，成功率99.16%」, 「共排查矛盾纠纷 4000 余起，成功调处 3500 起，调处成功率达 99%」."""
    text = doc.text
    out = []
    for m in re.finditer(rf"(?P<label>[{CJK}]{{0,4}}成功率){CONN}(?P<pct>{PCT})", text):
        sent_start = m.start() - len(_sentence_prefix(text, m.start(), "。；;\n"))
        counts = [c for c in COUNT_RE.finditer(text, sent_start, m.start())]
        part = next((c for c in reversed(counts) if "成功" in text[max(sent_start, c.start() - 8):c.start()]), None)
        if part is None:
            continue
        pc = parse_count(part.group(0))
        total = next((c for c in reversed(counts) if c.end() <= part.start() and (tc := parse_count(c.group(0))) and pc and tc.unit == pc.unit), None)
        pct = parse_percent(m.group("pct"))
        tc = parse_count(total.group(0)) if total else None
        if not (pc and tc and pct):
            continue
        name = re.sub(_FILLERS, "", _sentence_prefix(text, total.start(), "。；;，,：:\n")).strip() or m.group("label")
        out.append(Ratio(
            name=name[-16:],
            total=g_num(doc, tc.value, total.start(), total.end(), tc.approx),
            part=g_num(doc, pc.value, part.start(), part.end(), pc.approx),
            rate_pct=g_num(doc, pct.value, m.start(), m.end(), pct.approx),
            evidence=evidence(doc, total.start(), m.end()),
        ))
    return out


def breakdowns(doc: Document) -> list[Breakdown]:
    """「法律援助案件 347 件，其中刑事案件 220 件，民事案件 125 件」: the total is the count just
    before 其中; the parts are the counts of the same unit after it, up to the sentence end or the
    next 其中."""
    text = doc.text
    out = []
    for m in re.finditer(r"其中", text):
        before = text[max(0, m.start() - 40):m.start()]
        tm = None
        for tm in re.finditer(_COUNT + r"(?P<gap>[^0-9０-９]{0,3})$", before):
            pass
        if tm is None or re.search(r"[)）(（]", tm.group("gap")):
            continue
        total = parse_count(tm.group(0)[: len(tm.group(0)) - len(tm.group("gap"))])
        if total is None:
            continue
        t_start = m.start() - len(before) + tm.start()
        t_end = t_start + len(tm.group(0)) - len(tm.group("gap"))
        stop = len(text)
        for stop_m in re.finditer(r"[。；;]|其中", text[m.end():]):
            stop = m.end() + stop_m.start()
            break
        parts = []
        p_end = m.end()
        for pm in COUNT_RE.finditer(text, m.end(), stop):
            pc = parse_count(pm.group(0))
            if pc and pc.unit == total.unit:
                parts.append(g_num(doc, pc.value, pm.start(), pm.end(), pc.approx))
                p_end = pm.end()
        if len(parts) >= 2:
            name = _sentence_prefix(text, t_start, "。；;，,：:\n").split("其中")[-1]
            name = re.sub(_FILLERS, "", re.sub(rf"^[^{CJK}]+|\s+", "", name))
            out.append(Breakdown(name=name[-16:] or "合计", unit=total.unit,
                                 total=g_num(doc, total.value, t_start, t_end, total.approx),
                                 parts=parts, evidence=evidence(doc, t_start, p_end)))
    return out


_NOT_A_PART = re.compile(r"调减|调增|追加|收回|实际|累计|剩余|结余|已|截至|截止|执行|拨付|使用")


def money_breakdowns(doc: Document, layout: Layout) -> list[Breakdown]:
    """「下达…资金2263万元。其中:中小河流治理工程1435万元,小型水库工程维修养护25万元,…」: an amount
    and the amounts a sentence lists under it with 其中, up to the sentence end or a clause that is
    not a part (调减 40 万元, 全年实际下达 71 万元). Income and expenditure totals are read as
    budget.revenue_parts / expenditure_parts instead."""
    text = doc.text
    out = []
    for m in re.finditer(r"其中[：:，,]?", text):
        if _in_table(layout, m.start()):
            continue
        before = text[max(0, m.start() - 30):m.start()]
        tm = None
        for tm in re.finditer(rf"(?P<money>{MONEY})(?P<gap>[^0-9０-９]{{0,2}})$", before):
            pass
        if tm is None or re.search(r"[)）(（]", tm.group("gap")):
            continue
        t_start = m.start() - len(before) + tm.start("money")
        t_end = m.start() - len(before) + tm.end("money")
        clause = _sentence_prefix(text, t_start, "。；;，,\n")
        if re.search(r"收入|支出|决算", clause):
            continue
        total = parse_money(tm.group("money"))
        if total is None:
            continue
        stop = text.find("。", m.end())
        stop = len(text) if stop == -1 else stop
        parts: list[GroundedNum] = []
        p_end = m.end()
        for pm in re.finditer(rf"(?P<name>[^，,、；;：:。]*?)(?P<money>{MONEY})", text[m.end():stop]):
            if _NOT_A_PART.search(pm.group("name")) or "其中" in pm.group("name"):
                break
            money = parse_money(pm.group("money"))
            if money is None:
                break
            a = m.end() + pm.start("money")
            parts.append(g_amount(doc, money, a, m.end() + pm.end("money")))
            p_end = m.end() + pm.end("money")
        if len(parts) >= 2:
            name = re.sub(r"^[^" + CJK + r"]+|\s+", "", clause)[-16:] or "合计"
            out.append(Breakdown(name=name, unit="万元", total=g_amount(doc, total, t_start, t_end), parts=parts,
                                 evidence=evidence(doc, t_start, p_end)))
    return out


_ALLOCATION = re.compile(
    rf"(?P<doc>[{CJK}]{{0,8}}[〔【\[]\s*\d{{4}}\s*[〕】\]]\s*\d{{1,4}}\s*号)(?:文件)?(?:《[^》]{{0,60}}》)?[，,]?"
    rf"[^，,。；;]{{0,20}}?(?:下达|拨付|安排|分配)[^。；;其]{{0,30}}?(?P<money>{MONEY})")


def allocations(doc: Document, layout: Layout) -> tuple[list[Allocation], list[Restatement]]:
    """What each allocation document (文号) gives, where a sentence cites it and then says 下达 / 拨付
    an amount; a second citation of the same document is a restatement, checked by stated_twice."""
    out: list[Allocation] = []
    again: list[Restatement] = []
    for m in _ALLOCATION.finditer(doc.text):
        if _in_table(layout, m.start()):
            continue
        money = parse_money(m.group("money"))
        if money is None:
            continue
        name = re.sub(r"^[^〔【\[]*?(?:局|厅|委|办)(?=[^〔【\[]+[〔【\[])", "", re.sub(r"\s+", "", m.group("doc")))  # 财政局呼财农指… -> 呼财农指…
        amount = g_amount(doc, money, m.start("money"), m.end("money"))
        first = next((i for i, a in enumerate(out) if a.name == name), None)
        if first is None:
            out.append(Allocation(name=name, amount=amount, evidence=evidence(doc, m.start(), m.end())))
        else:
            again.append(Restatement(path=f"allocations[{first}].amount", value=money.wan,
                                     evidence=evidence(doc, m.start("money"), m.end("money"))))
    return out, again


def restatements(doc: Document, layout: Layout, rec: Record) -> list[Restatement]:
    """Project figures stated in the narrative as well as in a project table."""
    if not any(p.evidence and _in_table(layout, p.evidence.start) for p in rec.projects):
        return []
    out = []
    for p in _projects_from_narrative(doc):
        match = find_project(rec.projects, p.name)
        if match is None or match.evidence is None or not _in_table(layout, match.evidence.start):
            continue
        i = rec.projects.index(match)
        for f in ("budget", "executed", "execution_rate_pct", "score"):
            v = getattr(p, f)
            if v is not None and getattr(match, f) is not None:
                out.append(Restatement(path=f"projects[{i}].{f}", value=v.value,
                                       evidence=evidence(doc, v.start, v.end)))
    return out
