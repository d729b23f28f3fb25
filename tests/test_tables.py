"""Tables come back as grids whatever their flattening, every cell with its offsets."""

import pytest

from extractor.tables import find_tables

PIPES = """资金投入情况 (万元) |
全年预算数(A) | 全年执行数(B) | 预算执行率(B/A×100%) | ||||
年度资金总额: | 808.1 | 692.98 | 86% | ||||
其中:中央财政资金 | 808.1 | 692.98 | 86% | ||||
"""

CELL_LINES = """（临时救助）绩效目标自评表
绩效目标自评表 (2019年度) |
|||||
项目名称 |
临时救助 |
|
|
|
|
资金情况(万元) |
全年预算数(A) |
全年执行数(B) |
执行率(B/A) |
分值 |
得分 |
年度资金总额: |
30 |
30 |
100% |
10 |
10 |
"""

PARAGRAPHS = "\n\n".join(["预算执行情况", "预算数:", "2.38", "执行数:", "2.38", "20", "年度绩效指标完成情况", "三级指标",
                          "年度指标值", "实际完成指标值", "指标1:违法案件查办率", "100%", "100%", "4",
                          "指标2:食品经营环节风险分级", "100%", "100%", "5"])

SPACED = ("稷山县项目支出绩效自评表 (2021年度) 项目名称 国家基本公共卫生服务 年度 实际 指标值 完成值 二级指标 三级指标 分值 得分 "
          "指标7:建立预防接种证 221人 221人 2 2 指标8:适龄儿童疫苗接种率 100.00% 97.30% 2 1.9 "
          "指标9:0-6岁儿童健康管理数 2089人 2089人 2 2 指标12:孕产妇7天访视数 214人 203人 2 1.8")


def offsets_hold(text, table):
    return all(text[c.start:c.end] == c.raw for c in table.cells)


def test_rows_without_a_leading_pipe():
    (t,) = find_tables(PIPES)
    assert t.kind == "pipe" and t.grid and offsets_hold(PIPES, t)
    assert t.title == "资金投入情况 (万元)"
    assert t.rows[1].texts[:4] == ["年度资金总额:", "808.1", "692.98", "86%"]


def test_one_cell_per_line_rows_cut_by_the_title_rows_width():
    (t,) = find_tables(CELL_LINES)
    assert t.kind == "cell_lines" and t.grid and offsets_hold(CELL_LINES, t)
    # the title row and its 5 pipes: 6 columns
    assert all(len(r.cells) == 6 for r in t.rows)
    assert t.rows[1].texts == ["项目名称", "临时救助", "", "", "", ""]
    assert t.rows[3].texts == ["年度资金总额:", "30", "30", "100%", "10", "10"]


def test_one_cell_per_paragraph_is_a_stream():
    (t,) = find_tables(PARAGRAPHS)
    assert t.kind == "cells" and not t.grid and offsets_hold(PARAGRAPHS, t)
    assert [c.raw for c in t.cells][:3] == ["预算执行情况", "预算数:", "2.38"]


def test_a_table_run_together_on_one_line_is_a_stream_of_tokens():
    (t,) = find_tables(SPACED)
    assert t.kind == "spaced" and not t.grid and offsets_hold(SPACED, t)
    assert "指标8:适龄儿童疫苗接种率" in [c.raw for c in t.cells]


@pytest.mark.parametrize("prose", [
    "金安区司法局 2024 年预算金额 1689.97 万元，其中，基本支出预算金额为 1519.17 万元，预算执行情况为 1519.17 万元，"
    "主要用于保障人员经费、机构日常运转和完成日常工作任务等；项目支出预算金额为 170.8 万元，共有 8 个项目，预算执行情况为 58.81 万元。",
    "一、基本情况\n我局共有编制人数 42 人。\n二、绩效目标\n全年完成 1002 件。",
])
def test_prose_is_not_a_table(prose):
    assert find_tables(prose) == []


def test_markdown_and_tab_separated_tables_still_read():
    md = "| 项目名称 | 预算数 |\n|---|---|\n| 人民调解 | 35.20 |\n"
    (t,) = find_tables(md)
    assert t.kind == "markdown" and t.rows[1].texts == ["人民调解", "35.20"] and offsets_hold(md, t)
    tsv = "项目名称\t预算数\n人民调解\t35.20\n"
    (t,) = find_tables(tsv)
    assert t.kind == "tsv" and t.rows[1].texts == ["人民调解", "35.20"]


SPACES = """某县教育局2023年度项目支出绩效自评表
项目名称  学生营养改善计划
项目资金(万元)  年初预算数  全年预算数  全年执行数  分值  执行率  得分
年度资金总额    300.00      320.00      310.40      10    97%     9.7
"""


def test_rows_with_cells_set_apart_by_spaces():
    (t,) = find_tables(SPACES)
    assert t.kind == "spaces" and t.grid and offsets_hold(SPACES, t)
    assert t.rows[0].texts == ["项目名称", "学生营养改善计划"]
    assert t.rows[2].texts == ["年度资金总额", "300.00", "320.00", "310.40", "10", "97%", "9.7"]


def test_short_lines_before_a_table_do_not_hide_it():
    (t,) = find_tables("标题\n说明一行\n" + SPACES)
    assert t.kind == "spaces" and t.rows[0].texts[0] == "项目名称"
