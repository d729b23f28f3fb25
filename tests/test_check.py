"""`extractor check`: each flag in Chinese, with the report's own words for every value involved."""

from typer.testing import CliRunner

from extractor.cli import app
from extractor.explain import describe, pointers, resolve
from extractor.ingest import read_document
from extractor.pipeline import Options, record_from_document
from tests.conftest import FIXTURES, SEEDS

runner = CliRunner()


def test_a_flag_prints_in_chinese_with_each_quote_its_page_and_its_table_cell(tmp_path):
    runner.invoke(app, ["extract", str(FIXTURES / "004_424dabb8b7582373.pdf"), str(SEEDS["001"]), "-o", str(tmp_path), "--backend", "rules"])
    r = runner.invoke(app, ["check", str(tmp_path)])
    out = r.stdout
    assert "【警告】执行率应等于执行数除以预算数（execution_rate）：24.81 / 35.2 = 70.4830%，报告写执行率 70.47%" in out
    assert "项目「人民调解」的全年执行数：24.81  原文「24.81」，第 5 页，表格行「人民调解」列「全年执行数」" in out
    assert "分项「在职人数」的总数：47  原文「47人」，第 1 页" in out  # prose: no row or column
    assert "共 2 份记录：错误 0 条，警告 2 条，提示 0 条" in out
    assert "fields:" not in out and "…" not in out  # no JSON paths cut short


def test_every_path_of_a_flag_names_its_value_in_words():
    rec = record_from_document(read_document(SEEDS["002"]), Options(backend="rules"))
    flag = next(f for f in rec.flags if f.rule == "weights_sum")
    ptrs = pointers(rec, flag)
    assert len(ptrs) == len(flag.paths) and all(p.quote and p.page for p in ptrs)
    assert ptrs[0].label == f"指标「{resolve(rec, flag.paths[0].rsplit('.', 1)[0]).name}」的分值"
    assert describe(rec, "budget.total_budget") == "全年预算数" and resolve(rec, "indicators[999].score") is None
