"""Rows whose numbers OCR ran together, traditional-character reports, and a unit's name on the
line beside its label: read where one reading is certain, and only there."""

from decimal import Decimal as D
from pathlib import Path

import pytest

from extractor import lexicon
from extractor.ingest import read_document
from extractor.pipeline import Options, record_from_document
from extractor.runs import cuts, readings
from extractor.simplified import simplified_view

LEX = lexicon.load()
BUDGET, STAFFING = LEX.rate_run


def rules_record(tmp_path: Path, text: str):
    p = tmp_path / "report.txt"
    p.write_text(text, encoding="utf-8")
    return record_from_document(read_document(p), Options(backend="rules"))


def test_a_string_is_cut_into_numbers_without_leading_zeros():
    assert [[("064"[a:b]) for a, b in c] for c in cuts("064", [2, 2])] == [["0", "64"]]
    assert list(cuts("1.2.3", [2, 2])) == []  # a number holds one point
    assert len(list(cuts("12345", [0, 0, 0]))) == 6


@pytest.mark.parametrize("run, spec, expected", [
    ("64.864.864.8100", BUDGET, {"budget.initial_budget": "64.8", "budget.total_budget": "64.8", "budget.executed": "64.8", "rate": "100"}),
    ("877383.91", STAFFING, {"staffing.authorized": "87", "staffing.actual": "73", "rate": "83.91"}),  # 73 / 87 = 83.908%
])
def test_the_one_cut_under_which_the_rate_holds(run, spec, expected):
    found = readings(run, spec)
    assert [{k: run[a:b] for k, (a, b) in r.items()} for r in found] == [expected]


def test_a_string_two_readings_fit_is_not_read(tmp_path):
    run = "2222100"  # 22 | 22 | 100% and 22221 | 0 | 0%: both hold
    assert len(readings(run, STAFFING)) >= 2
    r = rules_record(tmp_path, f"部门整体支出绩效自评表\n编制数 实有人数 控制率\n{run}%\n")
    assert r.staffing.authorized is None and r.staffing.actual is None


def test_a_budget_row_run_together_fills_the_budget_and_the_project(tmp_path):
    text = ("某市本级部门项目支出绩效自评表(2021年)项目名称初中公用经费主管部门某市教育局自评得分98项目资金(万元)年度资金总额"
            "年初预算数调整预算数(A)全年执行数(B)执行率(B/A)52.652.652.6100%年度总体目标保障学校正常工作运行\n")
    r = rules_record(tmp_path, text)
    b = r.budget
    assert (b.initial_budget.value, b.total_budget.value, b.executed.value, b.execution_rate_pct.value) == (D("52.6"),) * 3 + (D(100),)
    assert b.total_budget.quote == "52.6" and text[b.executed.start:b.executed.end] == "52.6"
    assert r.projects[0].name == "初中公用经费" and r.projects[0].budget.value == D("52.6")


def test_a_rate_that_no_cut_makes_hold_reads_nothing(tmp_path):
    r = rules_record(tmp_path, "项目支出绩效自评表\n年度资金总额 年初预算数 全年预算数 全年执行数 执行率\n52.652.652.697%\n")
    assert r.budget.total_budget is None and r.budget.executed is None


def test_without_the_row_labels_a_run_is_not_read(tmp_path):
    r = rules_record(tmp_path, "部门整体支出绩效自评报告\n去年同期为877383.91%。\n")
    assert r.staffing.authorized is None


TRADITIONAL = ("部門整體支出績效評價基礎數(shù)據(jù)表\n2021年實際在職人\n編制數(shù)控制率\n財政供養(yǎng)人員情況數(shù)\n"
               "595491.53%\n附件2\n部門整體支出績效自評表\n(2021年度)\n省級預算\n某縣教育局\n部門名稱\n")


def test_a_report_in_traditional_characters_is_read_and_quoted_as_written(tmp_path):
    r = rules_record(tmp_path, TRADITIONAL)
    assert r.department.value == "某縣教育局" and r.department.quote == "某縣教育局"
    assert r.report_kind == "部门整体支出绩效自评表"
    assert (r.staffing.authorized.value, r.staffing.actual.value) == (59, 54)  # 54 / 59 = 91.53%
    assert not [f for f in r.flags if f.rule == "ungrounded"]


def test_simplified_text_has_no_view():
    assert simplified_view("部门整体支出绩效自评报告\n本部门编制数25人。") is None
    view = simplified_view(TRADITIONAL)
    assert view is not None and len(view) == len(TRADITIONAL) and "编制数     控制率" in view


@pytest.mark.parametrize("text, name", [
    ("部门整体支出绩效自评表\n部门名称\n某县司法局\n年初预算数\n", "某县司法局"),
    ("部门整体支出绩效自评表\n某县司法局\n部门名称\n年初预算数\n", "某县司法局"),
    ("部门整体支出绩效自评表\n(2021年度)\n省级预算\n年初预算数\n某县司法局\n部门名称\n某县财政局\n", None),  # a name on both sides: which is not known
])
def test_a_unit_on_the_line_beside_its_label(tmp_path, text, name):
    r = rules_record(tmp_path, text)
    assert (r.department.value if r.department else None) == name
