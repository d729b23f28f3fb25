"""The mention stage, the builder and the hybrid merge: what a backend may choose, how a choice
becomes a grounded value, and how the model's choices are checked against the rules'."""

from __future__ import annotations

from decimal import Decimal as D

from extractor.build import record_from_answers
from extractor.ingest import Document, Page, read_document
from extractor.llm import plan_calls
from extractor.mentions import at, find
from extractor.merge import merge_hybrid
from extractor.pipeline import read_layout
from extractor.rules import extract
from tests.conftest import SEEDS

# wording from seed 000 and seed 004, with a project table as a project table is sent
TEXT = """上街区司法局2022年度部门整体支出绩效自评报告
一、部门基本情况
我部门全年预算数为873.64万元，全年执行金额为549.50万元，预算执行率为62.90%。
2022年度部门整体自评得分为93.95分。
全年共办理法律援助案件1002件，其中本年度我单位绩效共设置4个一级指标。
1.任务1：完成普法宣传。
单位：万元
| 项目名称 | 全年预算数 | 全年执行数 | 预算执行率 |
|---|---|---|---|
| 人民调解 | 35.20 | 24.81 | 70.47% |
| 社区矫正 | 40 | 18 | 45% |
"""


def doc_of(text: str) -> Document:
    return Document("t.txt", text, "txt", "0" * 64, [Page(1, 0, len(text))])


def mentions_of(text: str = TEXT):
    d, layout = read_layout(doc_of(text))
    return d, layout, find(d, layout)


def test_every_mention_is_grounded_and_numbered_in_text_order():
    d, _, ms = mentions_of()
    assert [m.id for m in ms] == [f"m{i}" for i in range(1, len(ms) + 1)]
    assert [m.start for m in ms] == sorted(m.start for m in ms)
    for m in ms:
        assert d.text[m.start:m.end].strip(), m
    money = {m.value: m for m in ms if m.kind == "money"}
    assert money[D("873.64")].unit == "万元" and money[D("873.64")].label.endswith("全年预算数为")
    assert any(m.kind == "percent" and m.value == D("62.90") for m in ms)
    assert any(m.kind == "score" and m.value == D("93.95") for m in ms)
    assert any(m.kind == "count" and m.value == 1002 and m.unit == "件" for m in ms)


def test_a_table_cell_carries_its_row_and_column_and_the_tables_unit():
    _, _, ms = mentions_of()
    cell = next(m for m in ms if m.table is not None and m.value == D("24.81"))
    assert cell.label.startswith("人民调解") and cell.column == "全年执行数"
    assert cell.kind == "number" and cell.money_unit == "万元"


def test_list_markers_are_not_mentions_and_names_are_organisations_in_the_opening():
    _, _, ms = mentions_of()
    assert not any(m.kind == "number" and m.table is None and m.value == 1 for m in ms)  # 1.任务1
    names = [m.value for m in ms if m.kind == "name"]
    assert names == ["上街区司法局"]
    _, _, ms2 = mentions_of("就业专项资金是由县级以上人民政府安排的资金。\n")
    assert [m for m in ms2 if m.kind == "name"] == []  # a clause, not a name


def test_a_table_row_is_one_line_of_the_prompt():
    d, layout, ms = mentions_of()
    calls = plan_calls(d, layout, ms)
    main = calls[0]
    assert main.parts == ["profile", "budget", "score", "projects"]
    row = next(line for line in main.text.splitlines() if line.startswith("表1｜人民调解"))
    assert "全年预算数: " in row and "全年执行数: " in row and "预算执行率: " in row and row.count("‖") == 3
    outputs = next(c for c in calls if c.parts == ["outputs"])
    assert any("1002件" in line for line in outputs.text.splitlines())


def ids(ms, value, kind=None):
    return next(m.id for m in ms if m.value == value and (kind is None or m.kind == kind))


def test_the_builder_makes_grounded_values_from_ids_and_drops_what_does_not_fit():
    d, _, ms = mentions_of()
    by = {m.id: m for m in ms}
    answer = {"scalars": {"budget.total_budget": ids(ms, D("873.64")),
                          "budget.executed": ids(ms, D("62.90")),  # a percent cannot be an amount
                          "score.total": ids(ms, D("93.95")), "department": "m9999"},  # not a mention
              "projects": [{"name": "人民调解", "budget": ids(ms, D("35.20")), "executed": ids(ms, D("24.81")),
                            "execution_rate_pct": ids(ms, D("70.47")), "score": None},
                           {"name": "编造的项目", "budget": ids(ms, D("40"))}],  # not in the text
              "outputs": [{"name": "办理法律援助案件", "value": ids(ms, D("1002"))}]}
    r = record_from_answers(d, by, [answer])
    assert r.budget.total_budget.value == D("873.64") and r.budget.total_budget.quote == "873.64万元"
    assert r.budget.executed is None and r.department is None
    assert r.score.total.value == D("93.95")
    assert [p.name for p in r.projects] == ["人民调解"]
    p = r.projects[0]
    assert (p.budget.value, p.budget.raw_unit, p.executed.value, p.execution_rate_pct.value) == (D("35.20"), "万元", D("24.81"), D("70.47"))
    assert d.text[p.budget.start:p.budget.end] == p.budget.quote
    assert [(o.name, o.value.value, o.unit) for o in r.outputs] == [("办理法律援助案件", D("1002"), "件")]


def test_hybrid_keeps_the_rules_value_flags_a_plausible_disagreement_and_fills_only_what_stands_by_its_label():
    d, layout, ms = mentions_of()
    rules = extract(d, layout)
    assert rules.budget.total_budget.value == D("873.64")
    by = {m.id: m for m in ms}
    model = record_from_answers(d, by, [{"scalars": {
        "budget.total_budget": ids(ms, D("549.50")),  # stands by 全年执行金额, not 全年预算数: no flag
        "budget.execution_rate_pct": ids(ms, D("62.90")),  # agrees
        "score.total": ids(ms, D("93.95")),
        "budget.basic_budget": ids(ms, D("40"), "number"),  # a project's cell: not the 基本支出
    }}])
    model.budget.executed = None
    out, flags, chosen = merge_hybrid(d, layout, ms, rules, model)
    assert out.budget.total_budget.value == D("873.64") and chosen["budget.total_budget"] == "rules"
    assert flags == []  # the model's 549.50 does not stand by a wording of 全年预算数
    assert chosen["budget.execution_rate_pct"] == "both" and chosen["score.total"] == "both"
    assert out.budget.basic_budget is None and "budget.basic_budget" not in chosen

    rules2 = rules.model_copy(deep=True)
    rules2.budget.total_budget = None  # as if the rules had missed it
    model3 = record_from_answers(d, by, [{"scalars": {"budget.total_budget": ids(ms, D("873.64")),
                                                      "budget.executed": ids(ms, D("873.64"))}}])
    out3, _, chosen3 = merge_hybrid(d, layout, ms, rules2, model3)
    assert out3.budget.total_budget.value == D("873.64") and chosen3["budget.total_budget"] == "llm"
    assert out3.budget.executed.value == D("549.50") and chosen3["budget.executed"] == "rules"  # not by a 执行 wording: no flag


def test_a_disagreement_the_model_could_be_right_about_is_an_info_flag():
    d, layout, ms = mentions_of()
    rules = extract(d, layout)
    rules.score.total = None
    by = {m.id: m for m in ms}
    rules_wrong = rules.model_copy(deep=True)
    # the rules read the executed amount from the wrong mention; the model chose the one by its label
    rules_wrong.budget.executed = record_from_answers(d, by, [{"scalars": {"budget.executed": ids(ms, D("873.64"))}}]).budget.executed
    model = record_from_answers(d, by, [{"scalars": {"budget.executed": ids(ms, D("549.50"))}}])
    out, flags, chosen = merge_hybrid(d, layout, ms, rules_wrong, model)
    assert out.budget.executed.value == D("873.64")  # the rules' value stays
    assert [(f.rule, f.severity, f.paths) for f in flags] == [("backends_disagree", "info", ["budget.executed"])]
    assert "549.50" in flags[0].message and "873.64" in flags[0].message


def test_outputs_the_model_adds_must_be_results_named_right_before_their_count():
    d, layout, ms = mentions_of()
    rules = extract(d, layout)
    rules.outputs = []
    by = {m.id: m for m in ms}
    model = record_from_answers(d, by, [{"outputs": [
        {"name": "办理法律援助案件", "value": ids(ms, D("1002"))},
        {"name": "本年度我单位绩效共设置", "value": ids(ms, D("4"), "count")},  # the indicator system
    ]}])
    out, _, chosen = merge_hybrid(d, layout, ms, rules, model)
    assert [o.name for o in out.outputs] == ["办理法律援助案件"] and chosen["outputs[0]"] == "llm"


def test_at_finds_the_mention_a_grounded_value_stands_on():
    d, layout, ms = mentions_of()
    rules = extract(d, layout)
    g = rules.budget.total_budget
    assert at(ms, g.start, g.end).value == D("873.64")


def test_seed_mentions_cover_every_number_the_rules_read():
    """Whatever the rules backend reads is among the mentions, so the two backends can be compared mention by mention."""
    from extractor.grounding import iter_grounded

    for key in ("000", "004"):
        d, layout = read_layout(read_document(SEEDS[key]))
        ms = find(d, layout)
        rec = extract(d, layout)
        for path, g in iter_grounded(rec):
            if hasattr(g, "value") and not isinstance(g.value, str) and ".evidence" not in path:
                assert at(ms, g.start, g.end) is not None, (key, path)


def test_department_names_are_cut_from_the_words_before_them():
    text = ("2022年度上街区司法局部门整体自评报告\n项目名称初中公用经费主管部门银川市教育局实施单位银川市第六中学\n"
            "年度总体目标：做好服务区政府各类法律事务。\n")
    _, _, ms = mentions_of(text)
    names = [m.value for m in ms if m.kind == "name"]
    assert "上街区司法局" in names and "银川市教育局" in names  # after the year, after the label
    assert not any(n.startswith(("年度", "做好")) for n in names)
