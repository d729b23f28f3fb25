"""Readers of narrative structures, generic over the wording: quantified results (outputs), a
rate with the counts it comes from, a total and the parts listed under it with 其中, what each
allocation document (文号) gives, projects listed by name and amount, problems and measures.

Pure functions of the document text (chrome already blanked); each value grounded where it is read.
"""

from __future__ import annotations

import re
from decimal import Decimal

from extractor import lexicon
from extractor.grounding import evidence, g_amount, g_num, key
from extractor.ingest import Document
from extractor.build import amount as amount_of
from extractor.mentions import Mention, between
from extractor.models import Allocation, Breakdown, GroundedNum, Output, Project, Ratio, Restatement
from extractor.normalize import (
    ARABIC,
    COUNT_RE,
    MONEY_RE,
    parse_count,
    parse_money,
)
from extractor.readers import CJK
from extractor.segment import Layout, heading_of, sentence_prefix

NUM = ARABIC
# connector between a label and its value: 为 / 是 / 达 / ： and spaces, line breaks
CONN = r"[为是达共计：:\s]{0,4}"
# group-free copies of the normalisation patterns, for embedding in larger patterns
MONEY = re.sub(r"\(\?P<\w+>", "(?:", MONEY_RE.pattern)


# ---------------------------------------------------------------- helpers


_LIST_START = re.compile(r"(?:具体包括|主要包括|分别是|分别为)[：:]")


def projects_listed(doc: Document, layout: Layout, mentions: list[Mention]) -> list[Project]:
    """「预算项目经费15690.38万元,具体包括:交通秩序综合整治155.85万元,…、鲜花港屋面瓦维修170.01万元、…」:
    the projects a sentence lists by name and amount after 具体包括 / 分别为, when the sentence
    speaks of projects. An item cut off before its amount keeps its name only."""
    text = doc.text
    out: list[Project] = []
    for m in _LIST_START.finditer(text):
        if layout.in_table(m.start()) or "项目" not in sentence_prefix(text, m.start(), "。；;\n"):
            continue
        stop = text.find("。", m.end())
        stop = len(text) if stop == -1 else stop
        for item in re.finditer(r"[^，,、；;]+", text[m.end():stop]):
            body = item.group(0)
            a = m.end() + item.start()
            b = m.end() + item.end()
            money = next((x for x in reversed(between(mentions, a, b, ("money",))) if not text[x.end:b].strip()), None)
            if money is None:
                name = body.strip()
                if 4 <= len(name) <= 40 and b >= len(text.rstrip()):
                    out.append(Project(name=name, evidence=evidence(doc, a, b)))  # cut off: name only
                continue
            name = text[a:money.start].strip()
            if len(name) < 2:
                continue
            out.append(Project(name=name, budget=amount_of(doc, money), evidence=evidence(doc, a, b)))
    return out


# ---------------------------------------------------------------- outputs

_FILLERS = r"^(?:其中|共|全年|累计|并|已|目前|今年以来|截止|截至|全区|全市|全县|我局|我区|本局|，|、|；)+"
_TRAILERS = r"(?:为|达|达到|共|计|约|了|合计|总数|数量|共计|累计|达到了|共有)+$"
_STAFF_CTX = re.compile(r"编制|实有|在职|退休|离休|遗属|人员情况|组织机构|内设|职称|学历")


def count_is_result(text: str, layout: Layout, start: int, end: int, num: str, lex: lexicon.Lexicon | None = None) -> bool:
    """Can the count written at text[start:end] (its number `num`) be a reported result? Not in
    a table's indicator cells, not a word (两次), not the budget's structure (8个项目, 8项…资金),
    not a specification inside the name of what was built (新建300米深机井1座), not a time, a
    date, a range's end, a target (不低于105人), a scoring rule (每项扣1分) or a count of
    indicators (设置4个一级指标). Used by the outputs reader and to check another backend's."""
    lex = lex or lexicon.load()
    if layout.in_table(start) and not _in_narrative_cell(layout, start):
        return False  # a table's cells are indicators, not results
    if re.fullmatch(r"[零〇一二两三四五六七八九十]", num):
        return False  # 两次, 三项制度: a word, not a reported quantity
    rest = re.split(r"[。；;\n]", text[end: end + 12])[0]  # what follows, in the same sentence
    if "资金" in re.split(r"[，,、]", rest)[0]:
        return False  # 「8项约束性任务资金合计…」: the structure of a budget, not a result
    if re.search(r"(?:万亩|亩|%|％|万元|元)$", text[max(0, start - 3):start]) and re.fullmatch(r"\d{5,}", num):
        return False  # 「面积万亩2110110」: a table's unit cell run into its numbers, not prose
    if "项目" in rest[:7] or text[end - 1: end + 1] == "项目":
        return False  # 「共有 8 个项目」 is the budget's structure, not an output
    if "\n" in text[start:end] and start - (text.rfind("\n", 0, start) + 1) < 20:
        return False  # a number ending a short line and a word on the next: not one quantity (a long line is a hard wrap)
    if re.search(r"[-~～至到]\s*$", text[max(0, start - 2): start]):
        return False  # the end of a range (2-12个月)
    unit = text[start:end].rsplit(num, 1)[-1].strip()
    if unit not in lex.outputs["entity_counters"] and re.match(rf"(?:{_COUNT_BARE})?[{CJK}]{{1,3}}{_COUNT_BARE}", text[end: end + 16]):
        return False  # 「新建300米深机井1座」, 「20米100吨水塔1座」: a specification inside the name of what was built
        # (「33个行政村26113户」 counts villages, then households: a list of results)
    if re.match(r"(?:工作日|个月|月|季度|小时|天|年)", rest):
        return False  # 「30个工作日内」: a time, not a result
    before = _prefix_across_wraps(text, start)
    after = text[end: end + 1]
    if re.search(r"年$|月$|第$", before) or after in ("月", "年", "日"):
        return False
    if re.search(r"(?:不低于|不少于|不高于|不超过|[≥≤><])\s*$", before):
        return False  # 「不低于105人」: a target, not a result
    if any(w in sentence_prefix(text, start, "。；;\n") + rest for w in lex.outputs["scoring_words"]):
        return False  # 「每发现1项扣1分」: a scoring rule, not a result
    if "指标" in before.split("指标值")[-1].split("完成值")[-1] or "指标" in rest:
        return False  # 「设置4个一级指标」 describes the indicator system, not an output
    return True


def outputs(doc: Document, layout: Layout, mentions: list[Mention], skip: list[tuple[int, int]] = ()) -> list[Output]:
    """Quantified outputs in the narrative: 法律援助案件1002件, 调解成功2860件, 4000余起, chosen
    among the document's count mentions."""
    text = doc.text
    lex = lexicon.load()
    out: list[Output] = []
    seen: set[tuple[str, Decimal, str]] = set()
    named_after = -1  # where the noun that named the last count by following it ends
    for c in mentions:
        if c.kind != "count" or (c.comparator is not None and text[c.start:c.num_start].strip()):
            continue  # 「不低于105人」: a target (「20个课时以上」 is a result, approximately)
        if any(a <= c.start < b for a, b in skip) or \
                not count_is_result(text, layout, c.start, c.end, text[c.num_start:c.num_end], lex):
            continue
        if c.value == 0:
            continue
        before = _prefix_across_wraps(text, c.start)
        if _STAFF_CTX.search(sentence_prefix(text, c.start, "。；;\n")) and c.unit in ("人", "个", "名"):
            continue
        # 「资助接受托养服务人次数年初指标值为不低于105人，全年实际完成值116人」: the indicator is the name
        target = None
        narrative = re.search(r"([^，,。；;：:]{2,30}?)年初指标值[为是]?(?:不低于|不少于|达到)?(" + _COUNT + ")[^。；;]{0,12}?$", sentence_prefix(text, c.start))
        if narrative and re.search(r"实际完成值?[为是]?$", before):
            before = re.sub(r"^第[一二三四五六七八九十]+[，,]?", "", narrative.group(1))
            tc = parse_count(narrative.group(2))
            if tc is not None:
                t0 = c.start - len(sentence_prefix(text, c.start)) + narrative.start(2)
                target = g_num(doc, tc.value, t0, t0 + len(narrative.group(2)), tc.approx)
        name = re.sub(r"\s+", "", before)
        name = re.sub(r"\d{4}年(?:\d{1,2}月)?(?:\d{1,2}日)?|\*+", "", name).lstrip("）)】]·.． ")
        name = re.sub(_FILLERS, "", name)
        name = re.sub(_TRAILERS, "", name).strip()
        name = re.sub(rf"^.*{_COUNT}", "", name)  # 「33个行政村26113户」: the words after the last count
        if len(name) > 18:  # too long for a name: keep what follows its last 共 / 累计 / 全年, never half a word
            tail = re.split(r"共计|共|累计|全年|合计", name)[-1]
            name = tail if len(tail) >= 4 else name[-24:]
        if not re.sub(rf"[^{CJK}]", "", name):
            # 「开展工作督导: 一个季度开展工作督导一次,共4次」: the label the line opens with
            line_start = text.rfind("\n", 0, c.start) + 1
            label = re.match(rf"\s*([{CJK}]{{2,16}})\s*[：:]", text[line_start:c.start])
            if label:
                name = label.group(1)
        if name in lex.outputs["attributes"] and out and c.start - out[-1].value.end < 16 and \
                not re.search(r"[。；;]", text[out[-1].value.end:c.start]):
            name = out[-1].name + name  # 「干流堤防工程 1 段,长 0.23km」: the length of what was just named
        elif c.start == named_after or len(re.sub(rf"[^{CJK}]", "", name)) < 2 or _VERB_END.search(name):
            # 「用于36个自然村」, 「主要依靠全县15家乡镇卫生院」: the noun after the count names it; in
            # 「33个行政村26113户」 行政村 names the 33, and the 26113户 has only a noun after it, if any
            follow = re.match(rf"[{CJK}“”\"（()）]{{2,12}}", text[c.end:])
            if not follow:
                continue
            name = re.split(r"[（(]", follow.group(0))[0] if len(follow.group(0)) > 1 else follow.group(0)
            named_after = c.end + len(name)
        if re.search(r"(?:编号|号|第|条例|办法|项目)$", name) and not name.startswith(tuple(lex.outputs["done_verbs"])):
            continue  # 「一级项目 17 个」 is the budget's structure, not an output; 「完成年度建设项目1个」 is one
        dup = (key(name), c.value, c.unit)
        if dup in seen or any(o.value.value == c.value and o.unit == c.unit and share_words(o.name, name)
                              and re.findall(r"\d+", o.name) == re.findall(r"\d+", name) for o in out):
            continue  # the same result stated again (the narrative and a table cell)
        seen.add(dup)
        out.append(Output(name=name, value=g_num(doc, c.value, c.start, c.end, c.approx), unit=c.unit,
                          approx=c.approx, target=target, evidence=evidence(doc, max(0, c.start - len(before)), c.end)))
    return out


_VERB_END = re.compile(r"(?:用于|依靠|全县|全区|全市|我县在|我区在|在|为|由|新建|解决|覆盖|涉及|惠及|包括|完成|聘请|组织|举办|建成|和|及|与|[县区市镇乡])$")


def share_words(a: str, b: str) -> bool:
    """Do two names share four characters in a row (法律援助案件 in both)? Names that differ in
    their numbers (Ф160PVC干管 and Ф110PVC分干管) are told apart by the caller."""
    return any(a[i:i + 4] in b for i in range(len(a) - 3))


def _in_narrative_cell(layout: Layout, pos: int) -> bool:
    """A table cell that holds a sentence (年度总体目标完成情况: 「全年救助…87人次,救助资金30万元,完成目标任务。」)."""
    for t in layout.tables:
        if t.start <= pos <= t.end:
            cell = next((c for c in t.cells if c.start <= pos < c.end), None)
            return cell is not None and len(cell.raw) >= 20 and bool(re.search(r"[，,。；]", cell.raw))
    return False


_ENDS_A_TITLE = re.compile(r"(?:报告|自评表|总结|情况|分析)\s*$")


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
            if len(line) < 20 or (line and line[-1] in "。：:；;") or _ENDS_A_TITLE.search(line) or heading_of(line):
                break  # a short line, a sentence's end, a title or a heading: not a hard wrap
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
        first = re.sub(r"^(?:[一二三四五六七八九十]是|\d{1,2}[.．、]\s*|[（(]\d{1,2}[）)]\s*)", "", first).strip("。； ")
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


def ratios(doc: Document, mentions: list[Mention]) -> list[Ratio]:
    """A 成功率 with the counts it comes from, in one sentence:
    「排查矛盾纠纷1437宗，成功化解1425宗，成功率99.16%」, 「共排查矛盾纠纷 4000 余起，成功调处 3500 起，调处成功率达 99%」."""
    text = doc.text
    out = []
    for m in re.finditer(rf"(?P<label>[{CJK}]{{0,4}}成功率){CONN}", text):
        pct = next(iter(between(mentions, m.end(), m.end() + 1, ("percent",))), None)
        if pct is None:
            continue
        sent_start = m.start() - len(sentence_prefix(text, m.start(), "。；;\n"))
        counts = between(mentions, sent_start, m.start(), ("count",))
        part = next((c for c in reversed(counts) if "成功" in text[max(sent_start, c.start - 8):c.start]), None)
        if part is None:
            continue
        total = next((c for c in reversed(counts) if c.end <= part.start and c.unit == part.unit), None)
        if total is None:
            continue
        name = re.sub(_FILLERS, "", sentence_prefix(text, total.start, "。；;，,：:\n")).strip() or m.group("label")
        out.append(Ratio(
            name=name[-16:],
            total=g_num(doc, Decimal(total.value), total.start, total.end, total.approx),
            part=g_num(doc, Decimal(part.value), part.start, part.end, part.approx),
            rate_pct=g_num(doc, Decimal(pct.value), m.start(), pct.end, pct.approx),
            evidence=evidence(doc, total.start, pct.end),
        ))
    return out


def _total_before(text: str, mentions: list[Mention], pos: int, kind: str, window: int, gap: int) -> Mention | None:
    """The total a 其中 at `pos` lists parts of: the last mention of `kind` that ends at most
    `gap` characters before it (no bracket or digit between), within `window` characters."""
    before = between(mentions, max(0, pos - window), pos, (kind,))
    total = before[-1] if before else None
    if total is None or total.end > pos:
        return None
    between_text = text[total.end:pos]
    if len(between_text) > gap or re.search(r"[)）(（0-9０-９]", between_text):
        return None
    return total


def breakdowns(doc: Document, mentions: list[Mention]) -> list[Breakdown]:
    """「法律援助案件 347 件，其中刑事案件 220 件，民事案件 125 件」: the total is the count just
    before 其中; the parts are the counts of the same unit after it, up to the sentence end or the
    next 其中."""
    text = doc.text
    out = []
    for m in re.finditer(r"其中", text):
        total = _total_before(text, mentions, m.start(), "count", window=40, gap=3)
        if total is None:
            continue
        stop = len(text)
        for stop_m in re.finditer(r"[。；;]|其中", text[m.end():]):
            stop = m.end() + stop_m.start()
            break
        parts = [g_num(doc, Decimal(c.value), c.start, c.end, c.approx)
                 for c in between(mentions, m.end(), stop, ("count",)) if c.unit == total.unit]
        if len(parts) >= 2:
            name = sentence_prefix(text, total.start, "。；;，,：:\n").split("其中")[-1]
            name = re.sub(_FILLERS, "", re.sub(rf"^[^{CJK}]+|\s+", "", name))
            out.append(Breakdown(name=name[-16:] or "合计", unit=total.unit,
                                 total=g_num(doc, Decimal(total.value), total.start, total.end, total.approx),
                                 parts=parts, evidence=evidence(doc, total.start, parts[-1].end)))
    return out


_NOT_A_PART = re.compile(r"调减|调增|追加|收回|实际|累计|剩余|结余|已|截至|截止|执行|拨付|使用")


def money_breakdowns(doc: Document, layout: Layout, mentions: list[Mention]) -> list[Breakdown]:
    """「下达…资金2263万元。其中:中小河流治理工程1435万元,小型水库工程维修养护25万元,…」: an amount
    and the amounts a sentence lists under it with 其中, up to the sentence end or a clause that is
    not a part (调减 40 万元, 全年实际下达 71 万元). Income and expenditure totals are read as
    budget.revenue_parts / expenditure_parts instead."""
    text = doc.text
    out = []
    for m in re.finditer(r"其中[：:，,]?", text):
        if layout.in_table(m.start()):
            continue
        total = _total_before(text, mentions, m.start(), "money", window=30, gap=2)
        if total is None:
            continue
        clause = sentence_prefix(text, total.start, "。；;，,\n")
        if re.search(r"收入|支出|决算", clause):
            continue
        stop = text.find("。", m.end())
        stop = len(text) if stop == -1 else stop
        parts: list[GroundedNum] = []
        prev = m.end()
        for pm in between(mentions, m.end(), stop, ("money",)):
            name = re.split(r"[，,、；;：:。]", text[prev:pm.start])[-1]
            if _NOT_A_PART.search(name) or "其中" in name:
                break
            parts.append(amount_of(doc, pm))
            prev = pm.end
        if len(parts) >= 2:
            name = re.sub(r"^[^" + CJK + r"]+|\s+", "", clause)[-16:] or "合计"
            out.append(Breakdown(name=name, unit="万元", total=amount_of(doc, total), parts=parts,
                                 evidence=evidence(doc, total.start, prev)))
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
        if layout.in_table(m.start()):
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


