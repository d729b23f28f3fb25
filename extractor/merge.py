"""Hybrid: the rules record cross-checked and completed by the model's choices, mention by mention.

- Where both backends chose the same mention (or the same value), the value stands (both).
- Where they disagree, the record keeps the rules' value and an info flag `backends_disagree`
  names both mentions for review.
- Where only the model found a value, its choice fills the field (grounded by construction)
  when the value stands by words that mean the field (a lexicon label before it, or its table
  row and column): a small model fills every field it is shown, and this keeps its guesses out.
`chosen_by` says, per path, which backend chose each value.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from extractor import lexicon
from extractor.build import ROW_KINDS, SCALAR_KINDS, find_project
from extractor.grounding import iter_grounded, key
from extractor.ingest import Document
from extractor.lexicon import norm_label
from extractor.mentions import Mention, at
from extractor.models import Flag, Record, get_path, set_path
from extractor.narrative import count_is_result, share_words
from extractor.readers import is_project_kind, title_lines
from extractor.segment import Layout, sentence_prefix

LABELS = {"department": "部门", "fiscal_year": "年度", "staffing.authorized": "编制人数", "staffing.actual": "实有人数",
          "staffing.retired": "退休人数", "budget.total_budget": "全年预算数", "budget.initial_budget": "年初预算数",
          "budget.executed": "全年执行数", "budget.execution_rate_pct": "预算执行率", "budget.basic_budget": "基本支出预算",
          "budget.basic_executed": "基本支出执行数", "budget.project_budget": "项目支出预算", "budget.project_executed": "项目支出执行数",
          "budget.revenue_total": "预算收入合计", "budget.fiscal_appropriation": "财政拨款收入", "score.total": "自评得分"}


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, (Decimal, int)) and isinstance(b, (Decimal, int)):
        return Decimal(a) == Decimal(b)
    return key(str(a)) == key(str(b))


def _flag_value(v: Any) -> Decimal | str:
    return Decimal(v) if isinstance(v, (int, Decimal)) else str(v)


def _used_spans(record: Record) -> list[tuple[int, int]]:
    return [(g.start, g.end) for _, g in iter_grounded(record) if hasattr(g, "value")]  # type: ignore[attr-defined]


def _clause_before(text: str, pos: int, limit: int = 24) -> str:
    """The words before `pos` back to the clause's start (a comma, a stop, a line break), at
    most `limit` characters: 「全年执行金额为」 in 「全年预算数为873.64万元，全年执行金额为549.50万元」."""
    a = max(0, pos - limit)
    cut = max(text.rfind(c, a, pos) for c in "，,。；;\n、")
    return text[max(a, cut + 1):pos]


def _stands_by_its_label(doc: Document, path: str, g: Any, mentions: list[Mention], project_report: bool = False,
                         in_title: bool = True) -> bool:
    """Does a value the model alone chose stand by words that mean its field?
    - In the narrative: a lexicon label for the path just before it, in a sentence the rules
      would read for that path (not one about a project or a part: the lexicon's skip words).
    - In a table: the label in its own row (自评得分 | 94), its row and column (基本支出 × 预算数),
      or its column in the total row (年度资金总额 × 全年执行数).
    - A department: right after a department label (主管部门：…), or, when only filling a field
      the rules left empty (in_title), named in the report's title; a title names other offices
      too (河南省财政厅关于…), so that is not enough to question the rules' reading.
    - A year is a year by its kind."""
    if path == "fiscal_year":
        return True
    lex = lexicon.load()
    if path == "department" and in_title and any(g.value in line for _, line in title_lines(doc.text, 3)):
        return True  # the organisation the report's title names
    wordings = lex.labels_for(path)
    m = at(mentions, g.start, g.end)
    if path == "department" and (m is None or m.table is None):
        # a name follows its label directly: 「主管部门：银川市教育局」, 「地方主管部门 | 安徽省…」
        before = re.sub(r"[\s|｜：:]+$", "", doc.text[max(0, g.start - 16):g.start])
        return any(norm_label(before).endswith(words[0]) for words in wordings)
    if m is None or m.table is None:
        near = norm_label(_clause_before(doc.text, g.start))
        if not any(all(w in near for w in words) for words in wordings):
            return False
        # the words that make the rules pass a sentence by (项目…, 其中…: a part, not the whole)
        prefix = sentence_prefix(doc.text, g.start)
        skips = [s for sf in lex.sentence if sf.path == path for s in sf.skip_before
                 if not (project_report and s.startswith("项目"))]
        return not (skips and re.search("|".join(skips), prefix))
    row, col = norm_label(m.label), norm_label(m.column)
    total_row = any(lex.row_of(w) in ("total", "closing") for w in m.label.split("/"))
    for words in wordings:
        if len(words) == 2 and words[0] in row and words[1] in col:
            return True
        if len(words) == 1 and (words[0] in row or (total_row and words[0] in col)):
            return True
    return False


# a list row's field -> the contract path whose wordings name it
ROW_FIELD_PATHS = {"budget": "budget.total_budget", "executed": "budget.executed", "execution_rate_pct": "budget.execution_rate_pct",
                   "score": "score.total", "weight": "weight"}


def _row_value_stands(doc: Document, name: str, field: str, g: Any, mentions: list[Mention]) -> bool:
    """A value the model put in a list row (a project's budget, an indicator's score): in a
    table, its row holds the name and its column means the field; in the narrative, the name
    stands before it in the same sentence and a wording of the field just before it."""
    if g is None:
        return False
    lex = lexicon.load()
    m = at(mentions, g.start, g.end)
    if field == "weight":
        wordings = {(norm_label(c),) for c in lex.columns["weight"]}
    elif field == "score" and m is not None and m.table is not None:
        wordings = {(norm_label(c),) for c in lex.columns["score"]}
    else:
        wordings = lex.labels_for(ROW_FIELD_PATHS[field])
    if m is not None and m.table is not None:
        col = norm_label(m.column)
        return key(name) in key(m.label) and any(len(w) == 1 and w[0] in col for w in wordings)
    sentence_start = max(doc.text.rfind(c, 0, g.start) for c in "。；;\n") + 1
    before = doc.text[sentence_start:g.start]
    near = norm_label(_clause_before(doc.text, g.start))
    return name in before and any(all(w in near for w in words) for words in wordings)


def _names_its_count(doc: Document, layout: Layout, o: Any) -> bool:
    """An output the model found: a count the outputs reader would take as a result
    (narrative.count_is_result), its name right before it in the same clause (「办理法律援助案件
    1002件」) holding no count of its own, and not describing a plan, a target or the indicators."""
    num = re.search(r"[0-9０-９.,，]+|[零〇一二两三四五六七八九十百千万]+", doc.text[o.value.start:o.value.end])
    if num is None or not count_is_result(doc.text, layout, o.value.start, o.value.end, num.group(0)):
        return False
    if re.search(r"\d", o.name):
        return False
    gap_start = doc.text.rfind(o.name, max(0, o.value.start - 60), o.value.start)
    if gap_start < 0:
        return False
    gap = doc.text[gap_start + len(o.name):o.value.start]
    if len(gap) > 4 or any(c in gap for c in "，,。；;：:、\n"):
        return False
    return not any(w in o.name for w in lexicon.load().outputs["not_results"])


def merge_hybrid(doc: Document, layout: Layout, mentions: list[Mention], rules_rec: Record,
                 llm_rec: Record) -> tuple[Record, list[Flag], dict[str, str]]:
    """The hybrid record, its backends_disagree flags, and which backend chose each value."""
    out = rules_rec.model_copy(deep=True)
    flags: list[Flag] = []
    chosen: dict[str, str] = {}
    project_report = is_project_kind(rules_rec.report_kind)
    used = _used_spans(rules_rec)  # a mention the rules gave one field is not another field's

    def free(g: Any) -> bool:
        return g is not None and not any(a < g.end and g.start < b for a, b in used)

    for path in SCALAR_KINDS:
        r, l_ = get_path(rules_rec, path), get_path(llm_rec, path)
        if l_ is None:
            if r is not None:
                chosen[path] = "rules"
            continue
        if r is None:
            if free(l_) and _stands_by_its_label(doc, path, l_, mentions, project_report):
                set_path(out, path, l_)
                chosen[path] = "llm"
            continue
        rm, lm = at(mentions, r.start, r.end), at(mentions, l_.start, l_.end)
        if (rm is not None and rm is lm) or _equal(r.value, l_.value):
            chosen[path] = "both"
            continue
        chosen[path] = "rules"
        if not _stands_by_its_label(doc, path, l_, mentions, project_report, in_title=False):
            continue  # the model's choice does not stand by words that mean the field: not worth a review
        rid, lid = (rm.id if rm else "—"), (lm.id if lm else "—")
        flags.append(Flag(rule="backends_disagree", severity="info", paths=[path],
                          expected=_flag_value(r.value), found=_flag_value(l_.value),
                          message=f"{LABELS.get(path, path)}：规则读出 {r.value}（「{r.quote.strip()[:30]}」，{rid}），"
                                  f"模型选择 {l_.value}（「{l_.quote.strip()[:30]}」，{lid}）；保留规则读出的值，请核对"))

    for p in llm_rec.projects:
        match = find_project(out.projects, p.name)
        fields = [f for f in ROW_KINDS["projects"] if free(getattr(p, f)) and _row_value_stands(doc, p.name, f, getattr(p, f), mentions)]
        if match is None:
            if fields:
                out.projects.append(p.model_copy(update={f: getattr(p, f) if f in fields else None for f in ROW_KINDS["projects"]}))
                chosen[f"projects[{len(out.projects) - 1}]"] = "llm"
            continue
        i = out.projects.index(match)
        for f in fields:
            if getattr(match, f) is None:
                setattr(match, f, getattr(p, f))
                chosen[f"projects[{i}].{f}"] = "llm"
    names = {key(i.name) for i in out.indicators}
    for ind in llm_rec.indicators:
        if key(ind.name) in names or not all(v is None or (free(v) and _row_value_stands(doc, ind.name, f, v, mentions))
                                             for f, v in (("weight", ind.weight), ("score", ind.score))):
            continue
        out.indicators.append(ind)
        chosen[f"indicators[{len(out.indicators) - 1}]"] = "llm"
    for o in llm_rec.outputs:
        restated = any(key(x.name) == key(o.name) or (x.value.value == o.value.value and x.unit == o.unit and share_words(x.name, o.name))
                       for x in out.outputs)  # the same result written twice (narrative and table)
        if free(o.value) and not restated and _names_its_count(doc, layout, o):
            out.outputs.append(o)
            chosen[f"outputs[{len(out.outputs) - 1}]"] = "llm"
    return out, flags, chosen
