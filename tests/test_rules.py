"""Rules extraction: the facts a careful reader finds in each fixture."""

from decimal import Decimal as D

import pytest

from extractor.grounding import is_grounded, quote_supports
from extractor.ingest import read_document
from extractor.grounding import iter_grounded
from tests.conftest import DOCX_004, PDF_000, SEEDS


def v(g):
    return None if g is None else g.value


def test_000_shangjie(records):
    r = records["000"]
    assert v(r.department) == "上街区司法局" and v(r.fiscal_year) == 2022
    assert r.report_kind == "部门整体支出绩效自评报告"
    assert v(r.budget.total_budget) == D("873.64") and r.budget.total_budget.raw_unit == "万元"
    assert v(r.budget.executed) == D("549.50") and v(r.budget.execution_rate_pct) == D("62.90")
    assert "\n" in r.budget.total_budget.quote  # 873.64 and 万元 sit on different lines
    assert v(r.score.total) == D("93.95") and v(r.score.grade) == "优"
    assert [(i.name, v(i.weight), v(i.score)) for i in r.indicators] == [
        ("预算执行率", None, D("6.99")), ("投入管理指标", 30, D("29.55")),
        ("产出指标", 25, D("22.41")), ("效益指标", 35, 35)]
    assert (v(r.indicators[0].target), v(r.indicators[0].actual)) == ("90%", "62.90%")
    outputs = {o.name: v(o.value) for o in r.outputs}
    assert outputs["法律援助全年办理案件数"] == 854 and outputs["人民调解组织全年调解案件数"] == 1233
    assert r.problems == ["部分项目预算执行率较低", "内控制度需进一步完善"]
    assert r.staffing.authorized is None and r.projects == []  # not stated: null, never a guess


def test_001_qingyunpu(records):
    r = records["001"]
    assert v(r.department) == "南昌市青云谱区司法局"  # the fuller form with its 行政区划 prefix
    assert v(r.fiscal_year) == 2021
    assert v(r.budget.initial_budget) == D("434.77")
    assert r.budget.total_budget is None and r.budget.executed is None
    assert r.score.total is None and r.score.grade is None  # no self-evaluation score in this report
    assert (v(r.staffing.authorized), v(r.staffing.actual), v(r.staffing.retired)) == (26, 47, 8)
    send = next(o for o in r.outputs if "送法进校园" in o.name)
    assert send.value.value == 30 and send.approx and send.unit == "场"  # 30多场
    assert "相关管理制度不健全" in r.problems
    assert any(m.startswith("细化预算编制工作") for m in r.measures)


def test_002_conghua_table(records):
    r = records["002"]
    assert v(r.department) == "广州市从化区司法局" and v(r.fiscal_year) == 2022
    assert r.report_kind == "部门整体支出绩效自评表"
    assert (v(r.budget.total_budget), v(r.budget.basic_budget), v(r.budget.project_budget)) == (
        D("3096.04"), D("1781.53"), D("1314.51"))
    assert v(r.score.total) == D("93.5")
    assert v(r.score.grade) == "优" and "checked" in r.score.grade.quote  # the checked checkbox
    by_name = {i.name: i for i in r.indicators}
    assert by_name["履职效能"].level == 1 and v(by_name["履职效能"].weight) == 50
    assert by_name["预算编制"].parent == "管理效率"  # its level-1 cell sits lower, in a merged cell
    assert (v(by_name["采购内控制度建设"].weight), v(by_name["采购内控制度建设"].score)) == (1, 0)
    assert by_name["固定资产利用率"].parent == "运行成本" and v(by_name["固定资产利用率"].score) == D("1.5")
    assert sum(v(i.score) for i in r.indicators if i.level == 3) == D("93.5")
    (ratio,) = r.ratios
    assert (v(ratio.total), v(ratio.part), v(ratio.rate_pct)) == (1437, 1425, D("99.16"))


def test_003_luquan(records):
    r = records["003"]
    assert v(r.department) == "石家庄市鹿泉区司法局"
    assert v(r.fiscal_year) == 2022  # not 2023, the signature date
    assert v(r.budget.revenue_total) == D("1817.12") and v(r.budget.fiscal_appropriation) == D("1779.59")
    assert v(r.budget.executed) == D("1815.07")
    assert (v(r.budget.basic_executed), v(r.budget.project_executed)) == (D("1337.7"), D("477.37"))
    assert r.budget.basic_budget is None  # 决算 figures are executed, not budget
    assert [(p.name, v(p.amount)) for p in r.budget.revenue_parts] == [
        ("财政拨款收入", D("1779.59")), ("事业收入", 0), ("经营收入", 0), ("其他收入", 0)]
    assert [v(p.share_pct) for p in r.budget.expenditure_parts[:2]] == [D("73.7"), D("26.3")]
    assert v(r.score.total) == 90 and v(r.score.grade) == "优"  # 优秀 normalised
    assert (v(r.staffing.authorized), v(r.staffing.actual), v(r.staffing.retired)) == (42, 45, 21)
    money = next(o for o in r.outputs if o.name == "排查矛盾纠纷")
    assert v(money.value) == 4000 and money.approx and money.unit == "起"
    assert len(r.problems) == 3 and len(r.measures) == 3


@pytest.mark.parametrize("key", ["004", "004.docx"])
def test_004_jinan_projects(records, key):
    r = records[key]
    assert v(r.department) == "金安区司法局" and v(r.fiscal_year) == 2024
    b = r.budget
    assert (v(b.total_budget), v(b.basic_budget), v(b.basic_executed), v(b.project_budget), v(b.project_executed)) == (
        D("1689.97"), D("1519.17"), D("1519.17"), D("170.8"), D("58.81"))
    assert b.executed is None and b.execution_rate_pct is None  # the report states neither
    assert v(r.score.total) == D("94.32") and r.score.grade is None
    assert len(r.projects) == 8
    first = r.projects[0]
    assert (first.name, v(first.budget), v(first.executed), v(first.execution_rate_pct), v(first.score)) == (
        "人民调解", D("35.20"), D("24.81"), D("70.47"), D("93.85"))
    assert first.budget.raw_unit == ""  # the table states no unit: 万元 assumed, and said so
    assert r.projects[2].note == "压缩项目经费，未拨付经费"
    assert len(r.restatements) == 32  # each project's four figures are stated in the narrative too


def test_pdf_and_text_give_the_same_facts(records):
    a, b = records["000"], records["000.pdf"]
    for path in ("department", "fiscal_year", "budget.total_budget", "budget.executed", "score.total", "score.grade"):
        ga, gb = a, b
        for part in path.split("."):
            ga, gb = getattr(ga, part), getattr(gb, part)
        assert ga.value == gb.value
    assert b.budget.total_budget.page == 2


@pytest.mark.parametrize("key", ["000", "001", "002", "003", "004", "000.pdf", "004.docx"])
def test_every_value_is_grounded_and_parses_back(records, key):
    path = {**SEEDS, "000.pdf": PDF_000, "004.docx": DOCX_004}[key]
    text = read_document(path).text
    r = records[key]
    n = 0
    for p, g in iter_grounded(r):
        n += 1
        assert is_grounded(text, g), p
        value = getattr(g, "value", None)
        if value is not None and not isinstance(value, str):
            assert quote_supports(g.quote, value, getattr(g, "raw_unit", None)), (p, g.quote, value)
    assert n > 5
    assert not [f for f in r.flags if f.rule == "ungrounded"]


def test_an_ungrounded_value_is_dropped_and_flagged(records):
    from extractor.grounding import enforce

    r = records["000"].model_copy(deep=True)
    r.budget.total_budget.value = D("999.99")  # the quote says 873.64
    r.score.total.start += 1  # the quote is no longer at its offsets
    text = read_document(SEEDS["000"]).text
    flags = enforce(r, text)
    assert r.budget.total_budget is None and r.score.total is None
    assert {f.paths[0] for f in flags} == {"budget.total_budget", "score.total"}
