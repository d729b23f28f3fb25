"""Deterministic rules extractor: patterns and table readers for every field of the contract.

Runs in milliseconds with no model. Each value is grounded on the span it was read from and
emitted only if that quote parses back to it; facts a report does not state stay null.
"""

from __future__ import annotations

import re
from decimal import Decimal

from extractor import lexicon, readers
from extractor.build import find_project, money_of
from extractor.mentions import Mention, between, find
from extractor.grounding import evidence, g_amount, g_num, g_str, key
from extractor.ingest import Document
from extractor.models import (
    Amount,
    Budget,
    Flag,
    GroundedNum,
    GroundedStr,
    Indicator,
    Part,
    Project,
    Record,
    Restatement,
    Score,
    Source,
    get_path,
    set_path,
)
from extractor.normalize import money_from, parse_number, parse_percent
from extractor.readers import CJK
from extractor.narrative import (
    CONN,
    NUM,
    allocations,
    breakdowns,
    money_breakdowns,
    outputs,
    problems_and_measures,
    projects_listed,
    ratios,
)
from extractor.segment import Layout, sentence_prefix
from extractor.tables import Table

def extract(doc: Document, layout: Layout, mentions: list[Mention] | None = None) -> Record:
    """Fill a Record: the lexicon's generic readers (tables, cell streams, sentences) first, then
    the readers of the few shapes data cannot describe yet. `doc.text` has its page chrome
    blanked (extractor.readers.mask_chrome)."""
    lex = lexicon.load()
    text = doc.text
    rec = Record(source=Source(path=doc.path, sha256=doc.sha256, format=doc.format, pages=len(doc.pages)))  # type: ignore[arg-type]
    rec.report_kind = readers.report_kind(text, lex)
    project_report = readers.is_project_kind(rec.report_kind)
    facts = readers.read_tables(doc, layout, lex)
    mentions = mentions if mentions is not None else find(doc, layout, lex)
    said = readers.read_sentences(doc, lex, layout, project_report, mentions)
    rec.department = _department(doc, layout, lex, facts)
    rec.fiscal_year = readers.fiscal_year(doc)
    rec.budget = budget(doc, layout, mentions)
    for path, v in facts.scalars.items():  # a table's 年度资金总额 row is the authority
        set_path(rec, path, v)
    for path, v in said.items():
        if get_path(rec, path) is None:
            set_path(rec, path, v)
    rec.budget.funding_parts = facts.parts
    if rec.budget.fiscal_appropriation is None:
        approp = {readers.norm_label(x) for x in lex.rows["appropriation"]}
        part = next((p for p in facts.parts if p.name in approp and p.budget is not None), None)
        if part is not None:
            rec.budget.fiscal_appropriation = part.budget
    rec.score = score(doc, layout, facts, said, lex)
    rec.indicators = max((facts.indicators, indicators(doc, layout)), key=_scored_leaves)
    funds = _funds_with_rates(doc, mentions) if project_report else []
    if len(funds) < 2:
        funds = []  # one fund's sentence in a one-project report is the project itself
    for path in ("budget.total_budget", "budget.executed", "budget.execution_rate_pct"):
        v = get_path(rec, path)
        if v is not None and any(f.evidence and f.evidence.start <= v.start < f.evidence.end for f in funds):
            set_path(rec, path, None)  # a part's figure, not the whole fund's
    rec.projects = projects(doc, layout, mentions)
    if project_report and not rec.projects:
        rec.projects = _the_project(doc, rec, facts, lex)
    rec.projects += [p for p in funds if find_project(rec.projects, p.name) is None]
    rec.outputs = outputs(doc, layout, mentions, facts.run_together)
    rec.problems, rec.measures = problems_and_measures(doc, layout)
    rec.ratios = ratios(doc, mentions)
    rec.breakdowns = breakdowns(doc, mentions) + money_breakdowns(doc, layout, mentions)
    rec.allocations, restated = allocations(doc, layout)
    rec.restatements = restatements(doc, layout, rec, mentions) + restated
    rec.flags = [Flag(rule="table_not_understood", severity="info", paths=[],
                      message=f"表格未能确定对齐，未读取其中数值：{d}") for d in facts.doubtful]
    return rec


def _scored_leaves(inds: list[Indicator]) -> tuple[int, int]:
    """How many level-3 rows carry a weight and a score within it: the better of two readings
    of the same indicator table has more."""
    return sum(1 for i in inds if i.level == 3 and i.weight and i.score and i.score.value <= i.weight.value), len(inds)


def _department(doc: Document, layout: Layout, lex: lexicon.Lexicon, facts: readers.TableFacts) -> GroundedStr | None:
    """主管部门 / 部门名称 cell, else the 实施单位 / 资金使用单位 cell, else the title's unit."""
    name = facts.keyvalues.get("department") or facts.keyvalues.get("implementer")
    if name is not None:
        code = re.match(r"^\s*[\[【(（]\d+[\]】)）]\s*", name.value)  # [155]濉溪县民政局: an agency code
        if code:
            s = name.start + len(code.group(0))
            name = g_str(doc, doc.text[s:name.end], s, name.end)
        if readers.is_org_name(name.value, lex):
            return name
    found = readers.title_department(doc, lex) or readers.opening_department(doc, lex) or readers.body_department(doc, lex)
    return readers.expand_region(doc, found, lex) if found is not None else None


def _the_project(doc: Document, rec: Record, facts: readers.TableFacts, lex: lexicon.Lexicon) -> list[Project]:
    """A project table or a report on one project: projects[0] is the project itself."""
    name = facts.keyvalues.get("project_name")
    label = name.value if name is not None else readers.project_from_title(doc, rec.department, lex)
    if not label and rec.budget.total_budget is not None:
        name = readers.project_before(doc, rec.budget.total_budget.start)
        label = name.value if name is not None else None
    if not label:
        return []
    b = rec.budget
    return [Project(name=label, budget=b.total_budget, executed=b.executed, execution_rate_pct=b.execution_rate_pct,
                    score=rec.score.total, evidence=evidence(doc, name.start, name.end) if name is not None else None)]


# ---------------------------------------------------------------- budget


def _money_at(mentions: list[Mention], pos: int) -> Mention | None:
    """The money mention written at `pos` (right after a label and its connector)."""
    hit = between(mentions, pos, pos + 1, ("money",))
    return hit[0] if hit else None


def _money_after(doc: Document, mentions: list[Mention], label: str, *, within: tuple[int, int]) -> Amount | None:
    """First `label … money` where the label is followed by a connector and an amount."""
    hit = _after_label(doc, mentions, label, ("money",), *within)
    return g_amount(doc, money_of(hit[1], doc.text), hit[0], hit[1].end) if hit else None


def _after_label(doc: Document, mentions: list[Mention], label: str, kinds: tuple[str, ...], lo: int, hi: int) -> tuple[int, Mention] | None:
    """The first `label … value` in text[lo:hi] whose value (a mention of one of `kinds`) is
    written right after the label and its connector: (the label's start, the mention)."""
    for m in re.compile(rf"(?:{label}){CONN}").finditer(doc.text, lo, hi):
        hit = between(mentions, m.end(), m.end() + 1, kinds)
        if hit and hit[0].end <= hi:
            return m.start(), hit[0]
    return None


def budget(doc: Document, layout: Layout, mentions: list[Mention]) -> Budget:
    text = doc.text
    b = Budget()
    # 基本支出 / 项目支出: budget unless the sentence speaks of 决算 / 执行 (then executed)
    for part, bud_field, exe_field in (("基本支出", "basic_budget", "basic_executed"), ("项目支出", "project_budget", "project_executed")):
        for m in re.finditer(rf"{part}(?P<label>预算金额|预算数|预算|决算数|支出|执行数)?{CONN}", text):
            if layout.in_table(m.start()):
                continue
            money = _money_at(mentions, m.end())
            if money is None:
                continue
            sentence = sentence_prefix(text, m.start(), "。\n")
            executed_ctx = bool(re.search(r"决算|执行数|实际支出|支出合计", sentence)) and "预算" not in (m.group("label") or "")
            target = exe_field if executed_ctx else bud_field
            if getattr(b, target) is None:
                setattr(b, target, g_amount(doc, money_of(money, doc.text), m.start(), money.end))
            # 基本支出预算金额为 X 万元，预算执行情况为 Y 万元
            if not executed_ctx and getattr(b, exe_field) is None:
                tail = re.compile(rf"[，,]\s*(?:预算)?执行(?:情况|数|金额)?{CONN}")
                t = tail.match(text, money.end) or \
                    re.compile(rf"[，,][^。；，,]{{0,12}}[，,]\s*(?:预算)?执行(?:情况|数|金额)?{CONN}").match(text, money.end)
                em = _money_at(mentions, t.end()) if t else None
                if em is not None:
                    setattr(b, exe_field, g_amount(doc, money_of(em, doc.text), m.start(), em.end))
            break
    b.revenue_parts = _parts_after(doc, mentions, r"预算收入合计|收入合计")
    b.expenditure_parts = _parts_after(doc, mentions, r"决算支出合计|支出合计")
    return b


def _parts_after(doc: Document, mentions: list[Mention], total_label: str) -> list[Part]:
    """「收入合计 X 万元，其中：财政拨款收入 A 万元，占 p%；事业收入 B 万元，占 q%…」 -> parts."""
    text = doc.text
    start = None
    for m in re.finditer(rf"(?:{total_label}){CONN}", text):
        total = _money_at(mentions, m.end())
        if total is not None and (k := re.match(r"[，,。]?\s*其中[：:]?", text[total.end:])):
            start = total.end + k.end()
            break
    if start is None:
        return []
    end = text.find("。", start)
    end = len(text) if end == -1 else end
    parts = []
    prev = start
    for money in between(mentions, start, end, ("money",)):
        if money.start < prev:
            continue
        nm = re.search(rf"(?P<name>[{CJK}][{CJK}\s]{{1,12}}?){CONN}$", text[prev:money.start])
        if nm is None:
            continue
        a = prev + nm.start()
        share = None
        prev = money.end
        sm = re.match(r"[，,]\s*占\s*", text[money.end:])
        pct = between(mentions, money.end + sm.end(), money.end + sm.end() + 1, ("percent",)) if sm else []
        if pct:
            share = g_num(doc, Decimal(pct[0].value), money.start, pct[0].end, pct[0].approx)
            prev = pct[0].end
        parts.append(Part(name=re.sub(r"\s+", "", nm.group("name")), amount=g_amount(doc, money_of(money, doc.text), a, money.end), share_pct=share))
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


def projects(doc: Document, layout: Layout, mentions: list[Mention]) -> list[Project]:
    table = _projects_from_tables(doc, layout)
    narrative = _projects_from_narrative(doc, mentions) + projects_listed(doc, layout, mentions)
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
    r"^\s*\d{1,2}[.．、]\s*(?P<name>[^：:\n。]{2,40}?)(?:项目)?(?:绩效自评概述|绩效自评情况|自评概述|绩效情况)[：:]", re.M
)


def _projects_from_narrative(doc: Document, mentions: list[Mention]) -> list[Project]:
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
            a = _money_after(doc, mentions, label, within=(m.end(), seg_end))
            if a:
                setattr(p, field, a)
        rate = _after_label(doc, mentions, r"完成预算的|预算执行率|执行率", ("percent",), m.end(), seg_end)
        if rate is not None:
            r0, pm = rate
            p.execution_rate_pct = g_num(doc, Decimal(pm.value), r0, pm.end)
        sc = _after_label(doc, mentions, r"自评得分|得分", ("score",), m.end(), seg_end)
        if sc is not None:
            s0, sm = sc
            p.score = g_num(doc, Decimal(sm.value), s0, sm.end)
        out.append(p)
    return out


_FUND_SENTENCE = re.compile(rf"(?:^|(?<=[。；;\n]))\s*(?P<name>[{CJK}（()）]{{4,30}}?资金)(?=全年|共|合计|总计|\s*\d)")


def _funds_with_rates(doc: Document, mentions: list[Mention]) -> list[Project]:
    """The parts of a fund reported one sentence each, with their own execution rate (a
    transfer-payment report): 「天然商品林管护补助资金全年共…万元，当年未使用，预算执行率0%。」 ->
    a project with that rate, and the amounts its sentence labels. The evidence spans the sentence."""
    text = doc.text
    out = []
    for m in _FUND_SENTENCE.finditer(text):
        name = m.group("name")
        if len(name) < 6 or re.match(r"(?:该|本|此|各|其中|上述|以上|所有|全部|专项|补助)", name):
            continue
        end = min(i for i in (text.find("。", m.end()), text.find("\n", m.end()), len(text)) if i >= 0)
        rate = _after_label(doc, mentions, r"预算执行率|资金执行率|执行率", ("percent",), m.end(), end)
        if rate is None:
            continue
        r0, pm = rate
        p = Project(name=name, execution_rate_pct=g_num(doc, Decimal(pm.value), r0, pm.end),
                    evidence=evidence(doc, m.start("name"), end))
        p.budget = _money_after(doc, mentions, r"全年共|共计|合计|总计|共", within=(m.end("name"), end))
        p.executed = _money_after(doc, mentions, r"拨付使用了|已使用|已支出|已拨付|支出|执行", within=(m.end("name"), end))
        out.append(p)
    return out


def restatements(doc: Document, layout: Layout, rec: Record, mentions: list[Mention]) -> list[Restatement]:
    """Project figures stated in the narrative as well as in a project table."""
    if not any(p.evidence and layout.in_table(p.evidence.start) for p in rec.projects):
        return []
    out = []
    for p in _projects_from_narrative(doc, mentions):
        match = find_project(rec.projects, p.name)
        if match is None or match.evidence is None or not layout.in_table(match.evidence.start):
            continue
        i = rec.projects.index(match)
        for f in ("budget", "executed", "execution_rate_pct", "score"):
            v = getattr(p, f)
            if v is not None and getattr(match, f) is not None:
                out.append(Restatement(path=f"projects[{i}].{f}", value=v.value,
                                       evidence=evidence(doc, v.start, v.end)))
    return out
