"""The command line, as a user meets it."""

import json
import subprocess
import sys

from typer.testing import CliRunner

from extractor import __version__
from extractor.cli import app
from extractor.ingest import SUPPORTED_SUFFIXES
from extractor.models import Record
from tests.conftest import FIXTURES, PDF_000, SEEDS

runner = CliRunner()


def test_version_and_help():
    assert runner.invoke(app, ["--version"]).output.strip() == f"extractor {__version__}"
    out = runner.invoke(app, ["--help"]).output
    listed = {line.strip("│ ").split()[0] for line in out.splitlines() if line.startswith("│ ") and line.strip("│ ")}
    assert {"extract", "text", "sections", "mentions", "schema", "check", "eval"} <= listed
    assert "--backend" in runner.invoke(app, ["extract", "--help"]).output


def test_extract_writes_one_contract_record_per_report(tmp_path):
    r = runner.invoke(app, ["extract", str(FIXTURES), "-o", str(tmp_path), "--backend", "rules"])
    assert r.exit_code == 0, r.output
    inputs = [f.relative_to(FIXTURES) for f in FIXTURES.rglob("*") if f.is_file() and f.suffix in SUPPORTED_SUFFIXES]
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.json"))
    assert written == sorted(f.with_name(f.name + ".json") for f in inputs)  # subfolders too, in the same layout
    for p in tmp_path.rglob("*.json"):
        data = json.loads(p.read_text(encoding="utf-8"))
        Record.model_validate(data)
        assert data["schema_version"] == "1.0"
    assert (tmp_path / "extractor.db").is_file()
    assert f"共 {len(inputs)} 份报告：" in r.stdout and "失败 0 份" in r.stdout  # the .wps holds the .doc's bytes: read once
    assert "跳过：" in r.stderr and "golden" in r.stderr  # the golden JSON files are listed as passed over, with the reason


def test_batch_goes_on_past_a_corrupt_file_and_says_why(tmp_path):
    bad = tmp_path / "in" / "broken.pdf"
    bad.parent.mkdir()
    bad.write_bytes(b"%PDF-1.7 truncated")
    empty = tmp_path / "in" / "empty.txt"
    empty.write_bytes(b"")
    out = tmp_path / "out"
    r = runner.invoke(app, ["extract", str(SEEDS["000"]), str(bad), str(empty), str(SEEDS["004"]), "-o", str(out), "--backend", "rules"])
    assert r.exit_code == 1
    assert f"错误：{bad}：PDF 文件已损坏" in r.stderr
    assert f"错误：{empty}：空文件" in r.stderr
    assert "提取 2 份" in r.stdout and "失败 2 份" in r.stdout
    assert sorted(p.name for p in out.rglob("*.json")) == ["000_6edb1e7869f995cc.txt.json", "004_424dabb8b7582373.txt.json"]


def test_no_temporary_files_are_left_behind(tmp_path):
    runner.invoke(app, ["extract", str(SEEDS["001"]), "-o", str(tmp_path), "--backend", "rules"])
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("extractor.db")) == ["001_483226dbb7fcc7a4.txt.json"]


def test_text_prints_what_quotes_point_into(tmp_path):
    r = runner.invoke(app, ["text", str(PDF_000)])
    assert r.exit_code == 0
    runner.invoke(app, ["extract", str(PDF_000), "-o", str(tmp_path), "--backend", "rules"])
    rec = json.loads((tmp_path / "000_6edb1e7869f995cc.pdf.json").read_text(encoding="utf-8"))
    tb = rec["budget"]["total_budget"]
    assert r.output[tb["start"]:tb["end"]] == tb["quote"] == "全年预算数为873.64万元"


def test_text_of_a_bad_file_is_one_line_and_exit_1(tmp_path):
    p = tmp_path / "x.bin.txt"
    p.write_bytes(b"\x00" * 50)
    r = runner.invoke(app, ["text", str(p)])
    assert r.exit_code == 1 and r.output.strip() == f"错误：{p}：二进制数据，不是文本报告"


def test_schema_is_the_models_json_schema():
    r = runner.invoke(app, ["schema"])
    schema = json.loads(r.output)
    assert set(Record.model_fields) <= set(schema["properties"])


def test_auto_backend_without_a_model_runs_rules(tmp_path, monkeypatch):
    for v in ("EXTRACTOR_BASE_URL", "EXTRACTOR_MODEL", "EXTRACTOR_PRESET"):
        monkeypatch.delenv(v, raising=False)
    monkeypatch.setenv("EXTRACTOR_CONFIG", str(tmp_path / "none.toml"))
    r = runner.invoke(app, ["extract", str(SEEDS["000"]), "-o", str(tmp_path)])
    assert r.exit_code == 0 and "后端 rules" in r.output


def test_console_script_is_installed():
    r = subprocess.run([sys.executable, "-m", "extractor.cli", "--version"], capture_output=True, text=True)
    assert r.stdout.strip() == f"extractor {__version__}"


def test_mentions_shows_what_the_model_is_shown_without_a_model():
    r = runner.invoke(app, ["mentions", str(SEEDS["004"])])
    assert r.exit_code == 0
    lines = r.output.splitlines()
    assert lines[0].endswith("次调用") and "个候选" in lines[0]
    assert any(line.startswith("# 第 1 次：部门名称、评价年度") for line in lines)
    assert any(" 1689.97 万元 〔" in line and line.startswith("m") for line in lines)
    assert any(line.startswith("表") and "全年预算数: m" in line for line in lines)  # a table row, one line
    bad = runner.invoke(app, ["mentions", "/no/such/report.txt"])
    assert bad.exit_code == 1 and "文件不存在" in bad.output
