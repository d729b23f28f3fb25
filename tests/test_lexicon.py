"""The lexicon as data, and the generic readers that apply it.

Adding a label a region uses is one string in extractor/lexicon/*.toml and one row here.
"""

from decimal import Decimal as D
from pathlib import Path

import pytest

from extractor import lexicon
from extractor.ingest import read_document
from extractor.pipeline import Options, record_from_document

LEX = lexicon.load()


@pytest.mark.parametrize("cell, column", [
    ("全年预算数(A)", "budget"), ("调整后预算数", "budget"), ("全年（调整）预算数", "budget"), ("预算数", "budget"),
    ("年初预算数", "initial"), ("年初批复预算", "initial"),
    ("全年执行数(B)", "executed"), ("实际执行", "executed"), ("预算执行数", "executed"),
    ("执行率(B/A)", "rate"), ("预算执行率(B/A×100%)", "rate"),
    ("分值", "weight"), ("指标权重(分)", "weight"), ("得分", "score"), ("指标得分(分)", "score"),
    ("年度指标值", "target"), ("指标值", "target"), ("全年实际值", "actual"), ("实际完成指标值", "actual"),
    ("一级指标", "level1"), ("二级指标", "level2"), ("三级指标", "level3"),
    ("项目名称", None), ("年度资金总额", None),
])
def test_a_header_cell_gives_its_column_a_meaning(cell, column):
    assert LEX.column_of(cell) == column


@pytest.mark.parametrize("cell, row", [
    ("年度资金总额:", "total"), ("年度资金总额", "total"), ("年度总金额", "total"),
    ("其中:本年财政拨款", "part"), ("其中：当年财政拨款", "part"), ("上年结转资金", "part"), ("其他资金", "part"),
    ("地方财政资金", "part"), ("分配科学性", None),
])
def test_a_label_cell_gives_its_row_a_meaning(cell, row):
    assert LEX.row_of(cell) == row


@pytest.mark.parametrize("cell, key", [
    ("项目名称", "project_name"), ("转移支付(项目)名称", "project_name"), ("专项名称", "project_name"),
    ("主管部门", "department"), ("部门名称", "department"), ("实施单位", "implementer"),
    ("资金使用单位", "implementer"), ("自评得分", "score_total"), ("综合评分", "score_total"),
    ("中央主管部门", None), ("地方主管部门", None),  # the ministry and the province are not the unit that reports
])
def test_label_value_cells(cell, key):
    assert LEX.keyvalue_of(cell) == key


def rules_record(tmp_path: Path, text: str):
    p = tmp_path / "report.txt"
    p.write_text(text, encoding="utf-8")
    return record_from_document(read_document(p), Options(backend="rules"))


@pytest.mark.parametrize("sentence, path, value", [
    ("项目资金共2179万元，截止2022年12月8日，已完成拨付2113.63万元，执行率97%。", "budget.execution_rate_pct", D("97")),
    ("2023年度12类基本公共卫生服务资金3728万元全部执行到位。", "budget.total_budget", D("3728")),
    ("2023年度12类基本公共卫生服务资金3728万元全部执行到位。", "budget.executed", D("3728")),
    ("项目资金共2179万元，截止2022年12月8日，已完成拨付2113.63万元，执行率97%。", "budget.executed", D("2113.63")),
    ("中央下达中央政法转移支付资金预算150万元。", "budget.total_budget", D("150")),
    ("下达我区111万元，其中低保资金100万元，孤儿保障金11万元，调减40万元，全年实际下达71万元。", "budget.total_budget", D("71")),
    ("2021年度市级就业资金配套项目资金绩效自评得分为98分，自评结论为“优秀”。", "score.total", D("98")),
    ("全县综合得分为93.22分，评价等级为优。", "score.total", D("93.22")),
    ("2018年，市文化馆事业编制核定数 35 名。实有事业人员 32 名、离退休人员 29 名。", "staffing.authorized", 35),
    ("2018年，市文化馆事业编制核定数 35 名。实有事业人员 32 名、离退休人员 29 名。", "staffing.actual", 32),
    ("全年实际收入1699.12万元，其中财政拨款收入1435.22万元，上年结转结余263.90万元。", "budget.revenue_total", D("1699.12")),
    # wordings seen in other regions: one string each in fields.toml
    ("该项目批复预算120万元，截至12月底实际支出118.5万元，资金支付率98.75%。", "budget.total_budget", D("120")),
    ("该项目批复预算120万元，截至12月底实际支出118.5万元，资金支付率98.75%。", "budget.executed", D("118.5")),
    ("该项目批复预算120万元，截至12月底实际支出118.5万元，资金支付率98.75%。", "budget.execution_rate_pct", D("98.75")),
    ("年度预算安排资金300万元，累计拨付280万元。", "budget.total_budget", D("300")),
    ("年度预算安排资金300万元，累计拨付280万元。", "budget.executed", D("280")),
    ("经评价，该项目自评综合得分92.5分，评价等级为“优”。", "score.total", D("92.5")),
    ("全年支出合计801.45万元，其中：基本支出612.30万元，项目支出189.15万元。", "budget.executed", D("801.45")),
])
def test_label_then_number_in_a_sentence(tmp_path, sentence, path, value):
    r = rules_record(tmp_path, "某县某局2021年度项目支出绩效自评报告\n" + sentence + "\n")
    cur = r
    for part in path.split("."):
        cur = getattr(cur, part)
    assert cur is not None and cur.value == value
    assert r.source is not None


@pytest.mark.parametrize("sentence", [
    "（6）政府采购执行率≥95%。",  # a target, and another rate
    "绩效指标：服务对象满意度≥80%。",
])
def test_targets_are_not_results(tmp_path, sentence):
    r = rules_record(tmp_path, "某县某局2021年度部门整体支出绩效自评报告\n" + sentence + "\n")
    assert r.budget.execution_rate_pct is None


CHROME = """首页 > 区部门网站 > 区民政局 > 通知公告
索引号: | 11340722348722127R/202403-00037 | 组配分类: | 公立医疗卫生绩效考核 |
发布机构: | 枞阳县卫生健康委员会 | 主题分类: | 卫生、体育、医疗 |
发布日期: | 2024-03-22 | ||
有效性: | 有效 | 咨询电话: | 0562-3211127 |
枞阳县2023年度国家基本公共卫生服务项目绩效评价自评报告
一、项目基本情况
资金3728万元全部执行到位。
"""


def test_page_chrome_is_never_data(tmp_path):
    r = rules_record(tmp_path, CHROME)
    assert r.department is None  # named only by the page's 发布机构
    assert r.fiscal_year.value == 2023  # not the 发布日期
    assert r.report_kind == "项目支出绩效自评报告"
    quotes = [o.evidence.quote for o in r.outputs if o.evidence]
    assert not any("0562" in q or "2024-03" in q for q in quotes)


PROJECT_TABLE = """（临时救助）绩效目标自评表
绩效目标自评表 (2019年度) |
||||||
项目名称 |
临时救助 |
|
|
|
|
|
主管部门 |
[155]濉溪县民政局 |
|
|
|
|
|
资金情况(万元) |
|
全年预算数(A) |
全年执行数(B) |
分值 |
执行率(B/A) |
得分 |
|
年度资金总额: |
30 |
25 |
10 |
100% |
10 |
|
其中:本年财政拨款 |
20 |
20 |
|
|
|
|
其他资金 |
|
|
|
|
|
"""


def test_a_project_table_reads_into_the_record_and_reconciles(tmp_path):
    r = rules_record(tmp_path, PROJECT_TABLE)
    assert r.report_kind == "项目支出绩效自评表"
    assert r.department.value == "濉溪县民政局"  # 主管部门, without its agency code
    b = r.budget
    assert (b.total_budget.value, b.executed.value, b.execution_rate_pct.value) == (30, 25, 100)
    assert b.total_budget.raw_unit == "万元"  # 资金情况(万元) states the unit once for the table
    assert r.projects[0].name == "临时救助" and r.projects[0].budget.value == 30
    assert [p.name for p in b.funding_parts] == ["本年财政拨款", "其他资金"]
    assert b.fiscal_appropriation.value == 20
    rules = {f.rule for f in r.flags}
    assert "execution_rate" in rules  # 25 / 30 is not 100%
    assert "funding_parts_sum" not in rules  # 其他资金 is blank: the parts are not all stated


def test_funding_rows_that_do_not_add_up_are_flagged(tmp_path):
    text = PROJECT_TABLE.replace("其他资金 |\n|\n|", "其他资金 |\n5 |\n5 |")
    r = rules_record(tmp_path, text)
    flags = [f for f in r.flags if f.rule == "funding_parts_sum"]
    assert [(f.severity, f.expected, f.found) for f in flags] == [("error", 25, 30)]


def test_an_amount_and_the_amounts_listed_under_it(tmp_path):
    r = rules_record(tmp_path, "某县水务局2023年度项目支出绩效自评报告\n下达某县2023年中央水利发展资金2263万元。其中:中小河流治理工程1435万元,"
                               "小型水库工程维修养护25万元,农村饮水工程维修养护55万元,小流域综合治理700万元。中央资金已全部到位。\n")
    (f,) = [f for f in r.flags if f.rule == "parts_sum"]
    assert (f.severity, f.expected, f.found) == ("error", 2215, 2263) and "budget.total_budget" in f.paths


def test_a_cut_to_the_allocation_is_not_a_part(tmp_path):
    r = rules_record(tmp_path, "某区民政局2021年度项目支出绩效自评报告\n下达我区111万元,其中低保、特困和临时救助资金100万元,孤儿基本生活保障金11万元,"
                               "调减40万元,全年实际下达71万元。\n")
    assert not [f for f in r.flags if f.rule == "parts_sum"]


INDICATORS = """一级指标 | 二级指标 | 三级指标 | 分值 | 年度指标值 | 全年实际值 | 得分
产出指标(50分) | 数量指标 | 特困人员救助供养人数 | 5 | >=4754人 | 4604人 | 5
 | | 农村低保发放人数 | 5 | >=21933人 | 21980人 | 5
 | 质量指标 | 扶贫临时救助标准 | 10 | <=5300元/户 | 5830元/户 | 10
 | | 农村低保标准 | 5 | >=530元/人*月 | 583元/人*月 | 4
"""


def test_a_missed_target_with_a_full_score_is_flagged(tmp_path):
    r = rules_record(tmp_path, "某县民政局2019年度项目支出绩效自评表\n" + INDICATORS)
    assert [i.name for i in r.indicators if i.level == 3] == ["特困人员救助供养人数", "农村低保发放人数", "扶贫临时救助标准", "农村低保标准"]
    assert r.indicators[0].level == 1 and r.indicators[0].weight.value == 50
    flagged = sorted(r.indicators[int(f.paths[0].split("[")[1].split("]")[0])].name for f in r.flags if f.rule == "score_vs_target")
    assert flagged == ["扶贫临时救助标准", "特困人员救助供养人数"]


def test_one_allocation_document_cited_with_two_amounts(tmp_path):
    text = ("某县2023年度中央水利发展资金绩效自评报告\n"
            "某市财政局呼财农指【2023】41号文件《关于下达2023年自治区水利发展资金预算的通知》,下达某县2023年资金5万元。\n"
            "某市财政局呼财农指【2023】10号文件《关于下达2023年中央水利发展资金预算的通知》,下达某县2023年资金2263万元。\n"
            "某市财政局呼财农指【2023】41号文件《关于下达2023年自治区水利发展资金预算的通知》,下达某县2023年山洪灾害防治设施维养6万元。\n")
    r = rules_record(tmp_path, text)
    assert [(a.name, a.amount.value) for a in r.allocations] == [("呼财农指【2023】41号", 5), ("呼财农指【2023】10号", 2263)]
    (f,) = [f for f in r.flags if f.rule == "stated_twice"]
    assert (f.expected, f.found) == (5, 6) and f.paths[0] == "allocations[0].amount"


LINE_START = """绩效评价得分表
(20 分)项目决策(10 分)科学决策必要性 (政策依据)
5 5 可行性 (政策完善)
5 5 (
10 ) 绩效目标明确性
5 5 合理性
5 4 项目完成完成数量
5 3
2017 年部门整体支出绩效评价得分表 一级指标 二级指标 三级指标 得分 部门决策(25 分) 目标任务(15 分) 相关性(5 分)
5 明确性(5 分)
5 合理性(5 分)
5 预算编制(10 分) 测算依据(5 分)
2 目标管理(5 分)
4 综合管理
"""


def test_numbers_written_at_the_start_of_the_next_line(tmp_path):
    r = rules_record(tmp_path, LINE_START)
    got = [(i.level, i.name, i.weight.value, i.score.value if i.score else None) for i in r.indicators]
    assert got == [(3, "科学决策必要性(政策依据)", 5, 5), (3, "可行性(政策完善)", 5, 5), (3, "绩效目标明确性", 5, 5),
                   (3, "合理性", 5, 4), (3, "项目完成完成数量", 5, 3),
                   # 「名称(N分)」 before a row's name: groups whose members add up to them (15 = 5+5+5, 10 = 5+5, 25 = 15+10)
                   (1, "部门决策", 25, None), (2, "目标任务", 15, None),
                   (3, "相关性", 5, 5), (3, "明确性", 5, 5), (3, "合理性", 5, 5),
                   (2, "预算编制", 10, None), (3, "测算依据", 5, 2), (3, "目标管理", 5, 4)]
    assert [i.parent for i in r.indicators[5:]] == [None, "部门决策", "目标任务", "目标任务", "目标任务", "部门决策", "预算编制", "预算编制"]
    for i in r.indicators:
        assert r.source is not None and (i.score or i.weight).quote == LINE_START[(i.score or i.weight).start:(i.score or i.weight).end]


def test_groups_are_not_read_where_their_sums_do_not_nest_or_their_marks_lead(tmp_path):
    # 「(20 分)项目决策(10 分)科学决策…」: each mark stands before the name it belongs to; 项目决策 is not 10
    assert not [i for i in rules_record(tmp_path, LINE_START).indicators if i.name == "项目决策"]
    # a group whose members pass its weight: none of the groups is certain
    r = rules_record(tmp_path, LINE_START.replace("目标任务(15 分)", "目标任务(12 分)"))
    assert [i.name for i in r.indicators if i.score is None] == []
    # a group still open where the text is cut is left out
    r = rules_record(tmp_path, LINE_START.replace("4 综合管理\n", "4 综合管理(30 分) 分配时限(2 分)\n1\n"))
    assert "综合管理" not in [i.name for i in r.indicators] and "部门决策" in [i.name for i in r.indicators]


def test_a_score_above_its_weight_voids_the_whole_run(tmp_path):
    r = rules_record(tmp_path, LINE_START.replace("5 4 项目完成", "5 7 项目完成"))
    assert [i.name for i in r.indicators][:1] != ["科学决策必要性(政策依据)"]
    assert any(f.rule == "table_not_understood" for f in r.flags)


RUN_TOGETHER = ("某市本级部门项目支出绩效自评表(2021年)项目名称初中公用经费主管部门某市教育局自评得分98一级指标二级指标三级指标分值"
                "指标值(A)全年实际值(B)得分未完成原因分析及改进措施项目决策(10分)项目目标完整性4一目标明确、内容细化4项目立项相关性2一"
                "按照学校管理标准进行管理2可行性2实际工作需求2顼目产出(30分)成本指标(10分)办公所需成本415万元15万元4维修所需成本335万元"
                "35万元3保障人数102370人2370人IO时效指标(5分)公用经费完成时间52021年12月完成2021年12月完成4"
                "服务对象满意度指标(10分)学生和老\n")


def test_a_table_run_into_one_line_yields_only_the_rows_it_can_split(tmp_path):
    r = rules_record(tmp_path, RUN_TOGETHER)
    rows = {i.name: (i.weight.value, i.score.value if i.score else None) for i in r.indicators}
    assert rows["项目目标完整性"] == (4, 4) and rows["项目立项相关性"] == (2, 2)  # 分值 一 实际值 得分
    assert rows["办公所需成本"] == (4, 4) and rows["维修所需成本"] == (3, 3)  # the target written twice
    assert rows["公用经费完成时间"] == (5, 4)
    assert rows["项目决策"] == (10, None) and rows["成本指标"] == (10, None)  # group weights
    assert rows["服务对象满意度指标"] == (10, None)  # a group after the last row read, where the text was cut
    assert rows["可行性"] == (2, 2)  # 「可行性2实际工作需求2」: one text cell between 分值 and 得分
    assert not [i for i in r.indicators if i.name == "可行性" and (i.target or i.actual)]  # target or actual: not known
    assert "保障人数" not in rows  # 「102370人2370人IO」: 10|2370? 102|370? not certain
    assert r.projects[0].name == "初中公用经费" and r.department.value == "某市教育局" and r.score.total.value == 98
    assert any(f.rule == "table_not_understood" for f in r.flags)
    assert not r.outputs  # the cells of an indicator table are not results


def _paragraphs(*cells):
    return "\n\n".join(cells) + "\n"


def test_a_table_that_names_only_its_score_column_scores_each_record(tmp_path):
    head = ["食品监管补助资金区域绩效目标自评表", "专项名称", "食品监管补助资金", "自评得分", "100", "预算执行情况", "预算数:", "2.38",
            "执行数:", "2.38", "20", "年度绩效指标完成情况", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成指标值", "50",
            "产出指标", "质量指标"]
    rows = ["指标1:违法案件查办率", "100%", "100%", "4", "指标2:食品经营环节风险分级", "100%", "100%", "5",
            "指标3:食品安全宣传活动", "已完成", "已完成", "3"]
    r = rules_record(tmp_path, _paragraphs(*head, *rows))
    assert [(i.name, i.target.value, i.actual.value, i.score.value, i.weight) for i in r.indicators] == [
        ("违法案件查办率", "100%", "100%", 4, None), ("食品经营环节风险分级", "100%", "100%", 5, None),
        ("食品安全宣传活动", "已完成", "已完成", 3, None)]
    assert (r.budget.total_budget.value, r.budget.executed.value) == (D("2.38"), D("2.38"))
    with_weights = _paragraphs(*head[:14], "分值", *head[14:], *rows)  # a 分值 column too: the number is not known
    assert all(i.score is None for i in rules_record(tmp_path, with_weights).indicators)


def test_a_score_label_spanning_the_rows_beside_it_takes_the_number_after_them(tmp_path):
    cells = ["食品监管补助资金区域绩效目标自评表", "专项名称", "食品监管补助资金", "中央主管部门", "市场监管总局", "自评得分",
             "省级财政部门", "某省财政厅", "省级主管部门", "某省市场监管局", "100", "预算执行情况", "预算数:", "2.38",
             "执行数:", "2.38", "20", "年度绩效指标完成情况", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成指标值",
             "50", "产出指标", "质量指标", "指标1:违法案件查办率", "100%", "100%", "4"]
    assert rules_record(tmp_path, _paragraphs(*cells)).score.total.value == 100
    odd = cells[:8] + cells[9:]  # 「省级财政部门 某省财政厅 某省市场监管局 100」: the cells between are not pairs
    assert rules_record(tmp_path, _paragraphs(*odd)).score.total is None


def test_rows_a_spreadsheet_scattered_are_read_by_their_numbers_when_every_row_agrees(tmp_path):
    head = "某县项目支出绩效自评表 (2021年度) 项目名称 基本公共卫生服务 一级指标 二级指标 三级指标 年度 实际 指标值 完成值 "
    block = ("指标1:居民健康档案 30000人 指标2:发放健康教育资料 不少于10 种 不少于5 种 100次 5次 二级指标 三级指标 "
             "指标5:举办健康教育知识讲座 分值 得分 29000人 3 3 12种 1 1 20种 1 1 120次 1 1 130次 1 1 ")
    tail = "指标6:建立预防接种证 221人 221人 2 2\n"
    r = rules_record(tmp_path, head + block + tail)
    got = {i.name: (i.target.value, i.actual.value, i.weight.value, i.score.value) for i in r.indicators}
    assert got["居民健康档案"] == ("30000人", "29000人", 3, 3)  # row 1: the first target, the first triple
    assert got["举办健康教育知识讲座"] == ("5次", "130次", 1, 1)  # row 5 by its number; rows 3 and 4 have no name
    assert [f.rule for f in r.flags if f.rule == "score_vs_target"] == ["score_vs_target"]  # 29000 < 30000, full score
    odd = block.replace("12种 1 1", "12次 1 1")  # row 2's target and actual in different units: not certain
    names = [i.name for i in rules_record(tmp_path, head + odd + tail).indicators]
    assert "居民健康档案" not in names and "建立预防接种证" in names


def test_names_written_before_their_cells_are_paired_in_turn(tmp_path):
    head = "某县项目支出绩效自评表 (2021年度) 项目名称 基本公共卫生服务 一级指标 二级指标 三级指标 年度指标值 实际完成值 分值 得分 "
    rows = ("指标6:建立预防接种证 221人 221人 2 2 指标7:传染病及突发公共卫生事件报告 数 指标8:家庭医生签约率 "
            "14例 14例 2 2 24694人 22584人 2 1.7 指标9:早孕建册数 120人 69人 2 1\n")
    got = {i.name: (i.target.value, i.actual.value, i.weight.value, i.score.value) for i in rules_record(tmp_path, head + rows).indicators}
    assert got["传染病及突发公共卫生事件报告数"] == ("14例", "14例", 2, 2)  # the name wrapped onto a cell of its own
    assert got["家庭医生签约率"] == ("24694人", "22584人", 2, D("1.7"))
    assert got["早孕建册数"] == ("120人", "69人", 2, 1)
    short = rows.replace("24694人 22584人 2 1.7 ", "24694人 2 1.7 ")  # one cell short: which row lost it is not known
    names = [i.name for i in rules_record(tmp_path, head + short).indicators]
    assert "家庭医生签约率" not in names and "传染病及突发公共卫生事件报告数" not in names and "早孕建册数" in names


DEPARTMENT_TABLE = """部门整体支出绩效自评表
（2023年度）
| 部门名称 | 某县林业局 | | | | |
| 年度预算执行情况（万元） | 年初预算数 | 全年预算数 | 全年执行数 | 分值 | 执行率 | 得分 |
| 年度资金总额 | 900 | 1000.00 | 950.00 | 10 | 95% | 9.5 |
| 其中：基本支出 | 600 | 620.00 | 610.00 | | | |
| 项目支出 | 300 | 390.00 | 340.00 | | | |
"""


def test_a_department_table_reads_its_basic_and_project_rows(tmp_path):
    r = rules_record(tmp_path, DEPARTMENT_TABLE)
    b = r.budget
    assert r.report_kind == "部门整体支出绩效自评表" and r.department.value == "某县林业局"
    assert (b.initial_budget.value, b.total_budget.value, b.executed.value, b.execution_rate_pct.value) == (900, 1000, 950, 95)
    assert (b.basic_budget.value, b.basic_executed.value, b.project_budget.value, b.project_executed.value) == (620, 610, 390, 340)
    (f,) = [f for f in r.flags if f.rule == "budget_parts_sum"]  # 620 + 390 = 1010, not 1000
    assert (f.expected, f.found) == (1010, 1000)
    assert r.projects == []  # a department table, not a project


def test_a_generic_title_gives_way_to_the_funds_own_name(tmp_path):
    text = ("某市林业和草原局2021年度中央对地方转移支付预算执行情况绩效自评报告\n"
            "(略) 分 林业改革发展资金绩效自评\n一、绩效目标分解下达情况\n中央下达补助资金9.03万元。\n")
    r = rules_record(tmp_path, text)
    assert [p.name for p in r.projects] == ["林业改革发展资金"]


@pytest.mark.parametrize("sentence", [
    "安排耕地地力保护补贴、良种良法技术推广8项约束性任务资金合计575218万元。",  # the structure of a budget
    "国家级公益林管护面积万亩2810810森林抚育(营林)面积万亩2110110天保工程区。",  # a table's cells run together
])
def test_not_results(tmp_path, sentence):
    r = rules_record(tmp_path, "某县某局2021年度项目支出绩效自评报告\n" + sentence + "\n")
    assert r.outputs == []


def test_the_unit_named_in_the_opening_sentence(tmp_path):
    r = rules_record(tmp_path, "为做好2022年财政衔接推进乡村振兴资金项目绩效管理工作，根据《有关办法》，现将2022年西平县交通运输局"
                               "财政衔接推进乡村振兴资金项目绩效自评总结报告如下：\n一、绩效目标分解下达情况\n")
    assert r.department.value == "西平县交通运输局"


def test_an_amount_before_its_label(tmp_path):
    r = rules_record(tmp_path, "某县2023年度国家基本公共卫生服务项目绩效评价自评报告\n2023年度12类基本公共卫生服务资金3728万元全部执行到位。\n")
    assert r.budget.executed.value == 3728 and r.budget.executed.quote == "3728万元全部执行到位"


def test_the_project_template_one_cell_per_paragraph(tmp_path):
    cells = ["项目支出绩效自评表", "（2023年度）", "项目名称", "农村饮水安全工程维修养护", "主管部门", "某县水利局", "项目资金（万元）",
             "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分",
             "年度资金总额", "120", "150.00", "142.50", "10", "95%", "9.5",
             "其中：当年财政拨款", "120", "150.00", "142.50", "—", "—", "—",
             "上年结转资金", "—", "—", "—",  # its empty cells vanished: it cannot be placed
             "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分",
             "产出指标", "数量指标", "指标1：维修工程数量", "≥30处", "32处", "20", "20",
             "满意度指标", "服务对象满意度指标", "指标1：群众满意度", "≥90%", "96%", "10", "10",
             "总分", "100", "89.5"]
    r = rules_record(tmp_path, _paragraphs(*cells))
    b = r.budget
    assert (b.initial_budget.value, b.total_budget.value, b.executed.value, b.execution_rate_pct.value) == (120, 150, D("142.5"), 95)
    assert [(p.name, p.budget.value) for p in b.funding_parts] == [("当年财政拨款", 150)]
    assert [(i.name, i.weight.value, i.score.value) for i in r.indicators if i.level == 3] == [("维修工程数量", 20, 20), ("群众满意度", 10, 10)]
    assert any(f.rule == "table_not_understood" and "上年结转资金" in f.message for f in r.flags)


def test_labels_written_inline_in_the_narrative(tmp_path):
    r = rules_record(tmp_path, "2023年城乡居民医疗救助资金项目绩效自评报告\n一、项目基本情况\n"
                               "项目名称：2023年城乡居民医疗救助资金。主管部门：某县医疗保障局。\n"
                               "该项目年初预算200万元，调整后预算260万元，实际支出251.3万元，预算执行率96.65%。\n")
    assert r.department.value == "某县医疗保障局"
    assert [(p.name, p.budget.value, p.executed.value) for p in r.projects] == [("2023年城乡居民医疗救助资金", 260, D("251.3"))]
    assert r.budget.initial_budget.value == 200


@pytest.mark.parametrize("chrome", [
    "【字体：大 中 小】 打印本页 关闭窗口",
    "上一篇：某县2022年度部门预算公开 下一篇：某县2023年度部门决算公开",
    "主办单位：某县人民政府办公室 网站标识码：5101000001 蜀ICP备12345678号-1 川公网安备51010002000123号",
    "文章来源：某县财政局 扫一扫在手机打开当前页",
])
def test_more_page_chrome_is_never_data(tmp_path, chrome):
    r = rules_record(tmp_path, chrome + "\n某县司法局2022年度部门整体支出绩效自评报告\n全年办理法律援助案件120件。\n" + chrome + "\n")
    assert r.department.value == "某县司法局"
    assert [(o.name, o.value.value) for o in r.outputs] == [("办理法律援助案件", 120)]


@pytest.mark.parametrize("title, department, project", [
    ("某县农业农村局关于2023年高标准农田建设项目绩效自评的报告", "某县农业农村局", "高标准农田建设项目"),
    ("关于2022年度某县水利局小型水库除险加固项目支出绩效自评报告", "某县水利局", "小型水库除险加固项目"),
    ("红河州第二人民医院国家基本公共卫生服务项目州级补助资金2023年度绩效自评报告", "红河州第二人民医院", "国家基本公共卫生服务项目州级补助资金"),
    ("镜湖区残联中央转移支付2023年度绩效自评报告(残疾人事业发展补助资金)", "镜湖区残联", "残疾人事业发展补助资金"),
    ("深圳市福田区民政局关于“2021年中央财政困难群众救助补助资金”管理使用情况", "深圳市福田区民政局", "2021年中央财政困难群众救助补助资金"),
])
def test_a_project_reports_title_names_its_unit_and_its_project(tmp_path, title, department, project):
    r = rules_record(tmp_path, title + "\n一、基本情况\n项目资金100万元已全部到位。\n")
    assert r.report_kind == "项目支出绩效自评报告"
    assert r.department.value == department and [p.name for p in r.projects] == [project]


@pytest.mark.parametrize("text, kind", [
    ("某县司法局2022年度绩效自评报告\n一、部门基本情况\n本部门2022年度部门整体支出情况如下。\n", "部门整体支出绩效自评报告"),
    ("某县司法局2022年度绩效自评报告\n一、项目基本情况\n法律援助项目资金50万元。\n", "项目支出绩效自评报告"),
    ("项目决策 项目管理 项目绩效\n本部门对2017年整体支出开展绩效自评。\n", None),  # no title: not guessed
    ("一、绩效目标分解下达情况\n(一)中央下达预算和绩效目标情况。\n", "项目支出绩效自评报告"),  # the transfer-payment template's first section
])
def test_a_title_that_names_no_kind_is_decided_by_the_opening(tmp_path, text, kind):
    assert rules_record(tmp_path, text).report_kind == kind


def test_a_fund_named_in_the_sentence_of_its_total_is_the_project(tmp_path):
    r = rules_record(tmp_path, "一、绩效目标分解下达情况\n中央下达我区专项转移支付预算463142万元。2021年农业生产发展资金合计671037万元。\n")
    assert r.projects[0].name == "农业生产发展资金" and r.projects[0].budget.value == 671037
    assert r.projects[0].evidence.quote == "农业生产发展资金"


def test_the_parts_of_a_fund_reported_with_their_own_rates_are_projects(tmp_path):
    text = ("某市林业和草原局2021年度中央对地方转移支付预算执行情况绩效自评报告\n林业改革发展资金绩效自评\n"
            "下达给我单位资金120万元。\n天然商品林管护补助资金全年共30万元，当年未使用，预算执行率0%。\n"
            "森林生态效益补偿资金全年共90万元，拨付使用了90万元，预算执行率100%。\n")
    got = {p.name: (p.budget and p.budget.value, p.executed and p.executed.value, p.execution_rate_pct and p.execution_rate_pct.value)
           for p in rules_record(tmp_path, text).projects}
    assert got["天然商品林管护补助资金"] == (30, None, 0) and got["森林生态效益补偿资金"] == (90, 90, 100)
    r = rules_record(tmp_path, text)
    assert r.budget.execution_rate_pct is None  # a part's rate is not the whole fund's
    assert r.budget.total_budget.value == 120
    # the report's own rate is not a part's: 「投入中央直达资金29.6万,执行数29.6万,执行率100%」
    r = rules_record(tmp_path, "某县2021年度食品安全项目绩效自评报告\n投入中央直达资金29.6万,执行数29.6万,执行率100%。\n")
    assert r.budget.execution_rate_pct.value == 100 and not [p for p in r.projects if p.name == "投入中央直达资金"]


def test_counts_listed_one_after_another_are_each_named_by_the_noun_they_count(tmp_path):
    r = rules_record(tmp_path, "某县交通运输局2022年度项目绩效自评报告\n项目实施后，能有效解决某县15个乡镇(街道办事处)33个行政村26113户97401人出行难问题。\n")
    got = [(o.name, o.value.value, o.unit) for o in r.outputs]
    assert ("乡镇", 15, "个") in got and ("行政村", 33, "个") in got
    assert not [o for o in r.outputs if o.name == "行政村" and o.unit == "户"]  # 行政村 names the 33, not the 26113户
    assert [(o.name, o.value.value) for o in rules_record(tmp_path, "某县水利局2022年度项目绩效自评报告\n新建300米深机井1座。\n").outputs] == [("深机井", 1)]  # 300米 is part of the well, not a result


def test_a_list_number_run_into_a_count_is_not_a_decimal(tmp_path):
    r = rules_record(tmp_path, "某县司法局2022年度部门整体支出绩效自评报告\n6.全年开展法治宣传活动12场。\n7.21个司法所基本完成信息化建设。\n")
    assert [(o.value.value, o.value.quote) for o in r.outputs if o.unit == "个"] == [(21, "21个")]


def test_a_long_output_name_is_not_cut_in_the_middle_of_a_word(tmp_path):
    r = rules_record(tmp_path, "某区司法局2022年度部门整体支出绩效自评报告\n截止2022年12月底，区公共法律服务中心和各司法所共受理法律援助案件347件。\n")
    (o,) = r.outputs
    assert o.name == "受理法律援助案件" and o.value.value == 347


def test_a_project_named_only_in_the_sentence_of_its_amount(tmp_path):
    r = rules_record(tmp_path, "西平县交通运输局2022年度项目支出绩效自评报告\n一、绩效目标分解下达情况\n我县2022年农村公路通村道路建设项目计划投资2179万元，"
                               "实现新建村内道路32.63公里。\n项目资金共2179万元，已完成拨付2113.63万元，执行率97%。\n")
    assert [(p.name, p.budget.value, p.executed.value, p.execution_rate_pct.value) for p in r.projects] == \
        [("农村公路通村道路建设项目", 2179, D("2113.63"), 97)]


def test_what_was_completed_and_specifications_that_differ_are_results(tmp_path):
    r = rules_record(tmp_path, "某区水务局2022年衔接资金项目绩效自评报告\n(1)项目完成数量。\n完成年度建设项目1个，"
                               "潜水泵2台，配套Ф160PVC干管管长1100m、Ф110PVC分干管管长1100m及其他配套设施。\n")
    assert [(o.name, o.value.value, o.unit) for o in r.outputs] == [
        ("完成年度建设项目", 1, "个"), ("潜水泵", 2, "台"), ("配套Ф160PVC干管管长", 1100, "m"), ("Ф110PVC分干管管长", 1100, "m")]
