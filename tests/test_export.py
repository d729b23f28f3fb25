"""A batch handed on: records and review decisions exported, read back as an operator would."""

import csv
import json
import shutil

import docx
import openpyxl
from typer.testing import CliRunner

from extractor.cli import app
from extractor.store import Conflict, Store
from tests.conftest import FIXTURES, SEEDS

runner = CliRunner()


def _batch(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    shutil.copyfile(FIXTURES / "004_424dabb8b7582373.pdf", src / "金安区.pdf")
    shutil.copyfile(SEEDS["001"], src / "青云谱区.txt")
    out = tmp_path / "out"
    assert runner.invoke(app, ["extract", str(src), "-o", str(out), "--backend", "rules", "-j", "1"]).exit_code == 0
    return src, out


def _decide(out, src):
    """Confirm the 004 rate flag, dismiss the 001 sub-count flag, correct a project's executed."""
    store = Store(out)
    docs = {d["path"]: d for d in store.documents()}
    pdf, txt = str(src / "金安区.pdf"), str(src / "青云谱区.txt")
    rec_pdf = store.record_of(docs[pdf]["record_key"])
    rec_txt = store.record_of(docs[txt]["record_key"])
    rate = next(f for f in rec_pdf["flags"] if f["rule"] == "execution_rate")
    sub = next(f for f in rec_txt["flags"] if f["rule"] == "sub_counts")
    store.decide(pdf, docs[pdf]["sha256"], rate, "confirm", "张三", note="执行率按 24.81/35.20 应为 70.48%")
    store.decide(txt, docs[txt]["sha256"], sub, "dismiss", "李四", reason="其余 21 人为工勤人员，另表列示")
    store.decide(pdf, docs[pdf]["sha256"], rate, "correct", "张三", field="projects[0].executed", value="24.80", manual=True,
                 seen_version=1)
    store.close()
    return pdf, txt


def test_the_xlsx_has_a_sheet_each_with_chinese_headers_units_and_the_decisions(tmp_path):
    src, out = _batch(tmp_path)
    pdf, txt = _decide(out, src)
    r = runner.invoke(app, ["export", str(out)])
    assert r.exit_code == 0 and "2 份报告，2 条复核结论" in r.stdout
    wb = openpyxl.load_workbook(out / "汇总.xlsx")
    assert wb.sheetnames == ["报告", "项目", "指标", "产出", "标记"]
    reports = wb["报告"]
    assert reports.freeze_panes == "A2" and reports["E1"].value == "全年预算数（万元）"
    projects = wb["项目"]
    row = next(r for r in projects.iter_rows(min_row=2) if r[2].value == "人民调解")
    assert row[4].value == 24.8 and row[4].fill.fgColor.rgb.endswith("FFF2CC")  # corrected, and marked
    flags = {(r[0].value, r[2].value): r for r in wb["标记"].iter_rows(min_row=2)}
    rate = flags[(pdf, "execution_rate")]
    assert rate[6].value == "更正数值" and rate[8].value == "24.80（手工输入）" and rate[9].value == "张三" and not rate[11].value
    sub = flags[(txt, "sub_counts")]
    assert sub[6].value == "排除（误报）" and sub[7].value.startswith("其余 21 人") and sub[3].value == "其中各项人数（数量）之和应等于总数"


def test_a_decision_shows_stale_when_the_document_changed(tmp_path):
    src, out = _batch(tmp_path)
    _pdf, txt = _decide(out, src)
    (src / "青云谱区.txt").write_text((src / "青云谱区.txt").read_text(encoding="utf-8") + "\n补充说明。\n", encoding="utf-8")
    runner.invoke(app, ["extract", str(src), "-o", str(out), "--backend", "rules", "-j", "1"])
    runner.invoke(app, ["export", str(out)])
    wb = openpyxl.load_workbook(out / "汇总.xlsx")
    sub = next(r for r in wb["标记"].iter_rows(min_row=2) if r[0].value == txt and r[2].value == "sub_counts")
    assert sub[6].value == "排除（误报）" and sub[11].value == "是"


def test_two_tabs_deciding_the_same_flag_do_not_overwrite_each_other_silently(tmp_path):
    src, out = _batch(tmp_path)
    store = Store(out)
    doc = next(d for d in store.documents() if d["path"].endswith(".txt"))
    flag = store.record_of(doc["record_key"])["flags"][0]
    assert store.decide(doc["path"], doc["sha256"], flag, "confirm", "甲", seen_version=0) == 1
    try:
        store.decide(doc["path"], doc["sha256"], flag, "dismiss", "乙", reason="误报", seen_version=0)
        raise AssertionError("the second tab overwrote the first")
    except Conflict as e:
        assert "请刷新" in str(e)
    assert next(iter(store.decisions(doc["path"]).values()))["decision"] == "confirm"


def test_csv_jsonl_and_the_problem_list(tmp_path):
    src, out = _batch(tmp_path)
    pdf, _txt = _decide(out, src)
    runner.invoke(app, ["export", str(out), "-f", "csv"])
    with open(out / "汇总-csv" / "标记.csv", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert {r["复核结论"] for r in rows} >= {"更正数值", "排除（误报）"}
    runner.invoke(app, ["export", str(out), "-f", "jsonl", "-o", str(tmp_path / "b.jsonl")])
    lines = [json.loads(ln) for ln in (tmp_path / "b.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {ln["类别"] for ln in lines} == {"报告", "项目", "产出", "标记"}  # these two reports have no indicator table
    assert any(ln.get("人工更正") == ["执行数（万元）"] for ln in lines)
    # the 问题清单 lists confirmed problems only: here the correction replaced the confirmation
    store = Store(out)
    doc = next(d for d in store.documents() if d["path"] == pdf)
    rate = next(f for f in store.record_of(doc["record_key"])["flags"] if f["rule"] == "execution_rate")
    store.decide(pdf, doc["sha256"], rate, "confirm", "张三", note="执行率计算有误")
    store.close()
    r = runner.invoke(app, ["export", str(out), "-f", "docx"])
    assert "1 个经确认的问题" in r.stdout
    text = "\n".join(p.text for p in docx.Document(str(out / "问题清单.docx")).paragraphs)
    assert "金安区司法局（2024）" in text and "执行率应等于执行数除以预算数" in text
    assert "项目「人民调解」的执行率：原文「70.47%」（第 5 页）" in text and "复核意见：执行率计算有误（张三）" in text


def test_export_of_a_folder_without_a_batch_says_so(tmp_path):
    r = runner.invoke(app, ["export", str(tmp_path)])
    assert r.exit_code == 2 and "没有批次库 extractor.db" in r.stderr
