"""Batches as an operator runs them: same-named files from different folders, re-runs that redo
nothing, a batch killed halfway and resumed, the store behind it."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from extractor.batch import find_inputs, plan
from extractor.cli import app
from extractor.store import Store
from tests.conftest import SEEDS

runner = CliRunner()


def _records(out: Path) -> dict[str, dict]:
    """Every record under OUT by its relative path, without the one field that differs between
    two runs of the same batch: the seconds it took."""
    got = {}
    for p in sorted(out.rglob("*.json")):
        data = json.loads(p.read_text(encoding="utf-8"))
        data["extraction"].pop("seconds")
        got[str(p.relative_to(out))] = data
    return got


def test_same_named_files_in_different_folders_both_survive(tmp_path):
    for unit, seed in (("a", "000"), ("b", "001")):
        (tmp_path / "in" / unit).mkdir(parents=True)
        (tmp_path / "in" / unit / "自评报告.txt").write_bytes(SEEDS[seed].read_bytes())
    r = runner.invoke(app, ["extract", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--backend", "rules"])
    assert r.exit_code == 0, r.output
    a = json.loads((tmp_path / "out" / "a" / "自评报告.txt.json").read_text(encoding="utf-8"))
    b = json.loads((tmp_path / "out" / "b" / "自评报告.txt.json").read_text(encoding="utf-8"))
    assert a["source"]["path"].endswith("a/自评报告.txt") and b["source"]["path"].endswith("b/自评报告.txt")
    assert a["source"]["sha256"] != b["source"]["sha256"]


def test_outputs_mirror_the_inputs_below_their_common_root(tmp_path):
    files = [tmp_path / "x" / "a" / "r.txt", tmp_path / "x" / "b" / "c" / "r.txt"]
    assert [str(t.output) for t in plan(files)] == ["a/r.txt.json", "b/c/r.txt.json"]
    assert [str(t.output) for t in plan([tmp_path / "one.pdf"])] == ["one.pdf.json"]


def test_folders_are_searched_into_subfolders_and_what_is_passed_over_says_why(tmp_path):
    (tmp_path / "u" / "sub").mkdir(parents=True)
    (tmp_path / "u" / "sub" / "r.txt").write_text("x", encoding="utf-8")
    (tmp_path / "u" / "notes.xyz").write_text("x", encoding="utf-8")
    (tmp_path / "u" / ".git").mkdir()
    (tmp_path / "u" / ".git" / "HEAD").write_text("x", encoding="utf-8")
    files, skipped = find_inputs([tmp_path / "u"])
    assert files == [tmp_path / "u" / "sub" / "r.txt"]
    assert [(p.name, why) for p, why in skipped] == [("notes.xyz", "不支持的文件类型 .xyz")]


def test_a_rerun_redoes_nothing_and_force_redoes_everything(tmp_path):
    args = ["extract", str(SEEDS["000"]), str(SEEDS["004"]), "-o", str(tmp_path), "--backend", "rules"]
    first = runner.invoke(app, args)
    assert "提取 2 份，跳过 0 份" in first.stdout
    again = runner.invoke(app, args)
    assert again.exit_code == 0 and "提取 0 份，跳过 2 份" in again.stdout and again.stderr.count("此前已完成") == 2
    forced = runner.invoke(app, [*args, "--force"])
    assert "提取 2 份，跳过 0 份" in forced.stdout
    db = sqlite3.connect(tmp_path / "extractor.db")
    assert db.execute("SELECT count(*) FROM records").fetchone() == (2,)
    assert [r[0] for r in db.execute("SELECT done || '/' || skipped FROM runs ORDER BY id")] == ["2/0", "0/2", "2/0"]
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_a_file_with_the_same_bytes_as_another_reuses_its_record_under_its_own_name(tmp_path):
    for name in ("a.txt", "b.txt"):
        (tmp_path / "in" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "in" / name).write_bytes(SEEDS["001"].read_bytes())
    r = runner.invoke(app, ["extract", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--backend", "rules", "-j", "1"])
    assert "提取 1 份，跳过 1 份（0 份此前已完成，1 份与本批另一文件内容相同）" in r.stdout
    assert "与本批另一文件内容相同，沿用其结果" in r.stderr
    b = json.loads((tmp_path / "out" / "b.txt.json").read_text(encoding="utf-8"))
    assert b["source"]["path"].endswith("b.txt")


def test_a_record_lost_from_the_folder_is_written_again_from_the_store(tmp_path):
    args = ["extract", str(SEEDS["001"]), "-o", str(tmp_path), "--backend", "rules"]
    runner.invoke(app, args)
    target = tmp_path / "001_483226dbb7fcc7a4.txt.json"
    before = target.read_text(encoding="utf-8")
    target.unlink()
    assert "跳过 1 份" in runner.invoke(app, args).stdout and target.read_text(encoding="utf-8") == before


def test_records_are_as_readable_as_any_file_the_user_writes(tmp_path):
    runner.invoke(app, ["extract", str(SEEDS["001"]), "-o", str(tmp_path), "--backend", "rules"])
    mask = os.umask(0)
    os.umask(mask)
    assert (tmp_path / "001_483226dbb7fcc7a4.txt.json").stat().st_mode & 0o777 == 0o666 & ~mask


def test_the_store_keeps_documents_records_flags_and_runs(tmp_path):
    runner.invoke(app, ["extract", str(SEEDS["001"]), "-o", str(tmp_path), "--backend", "rules"])
    store = Store(tmp_path)
    assert store.schema_version == 2
    (doc,) = store.db["documents"].rows
    assert doc["status"] == "done" and doc["format"] == "txt" and doc["output"] == "001_483226dbb7fcc7a4.txt.json"
    flags = list(store.db["flags"].rows)
    assert [f["rule"] for f in flags] == ["sub_counts"]
    (rec,) = store.db["records"].rows
    assert json.loads(rec["record"])["source"]["sha256"] == doc["sha256"] == rec["sha256"]


def _batch(folder: Path, n: int) -> None:
    """n distinct reports made from the seeds (a line appended, so each has its own bytes)."""
    seeds = [SEEDS[k] for k in ("000", "001", "002", "003", "004")]
    for i in range(n):
        sub = folder / f"unit{i % 4}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"report{i:03d}.txt").write_text(seeds[i % 5].read_text(encoding="utf-8") + f"\n（第{i}份）\n", encoding="utf-8")


def test_a_batch_killed_halfway_resumes_and_ends_as_a_clean_run(tmp_path):
    _batch(tmp_path / "in", 40)
    clean = runner.invoke(app, ["extract", str(tmp_path / "in"), "-o", str(tmp_path / "clean"), "--backend", "rules", "-j", "1"])
    assert clean.exit_code == 0
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "extractor.cli", "extract", str(tmp_path / "in"), "-o", str(out), "--backend", "rules", "-j", "1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline and len(list(out.rglob("*.json"))) < 8:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)  # kill -9: no chance to clean up
    proc.wait()
    stored = sqlite3.connect(out / "extractor.db").execute("SELECT count(*) FROM records").fetchone()[0]
    assert 0 < stored < 40 and len(list(out.rglob("*.json"))) in (stored, stored - 1)  # killed after a commit, before its file?
    resumed = runner.invoke(app, ["extract", str(tmp_path / "in"), "-o", str(out), "--backend", "rules", "-j", "1"])
    assert resumed.exit_code == 0
    assert f"提取 {40 - stored} 份，跳过 {stored} 份" in resumed.stdout  # nothing done twice, nothing lost
    assert _records(out) == _records(tmp_path / "clean")
    assert not list(out.rglob("*.tmp"))  # a file the kill left half-written is gone


# ---------------------------------------------------------------- bad inputs, one line each


def test_an_unreadable_file_is_one_line_and_the_batch_goes_on(tmp_path, monkeypatch):
    locked = tmp_path / "locked.txt"
    locked.write_text("x", encoding="utf-8")
    real = Path.read_bytes

    def read_bytes(self):
        if self.name == "locked.txt":
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    r = runner.invoke(app, ["extract", str(locked), str(SEEDS["001"]), str(tmp_path / "absent.txt"), "-o", str(tmp_path / "out"),
                            "--backend", "rules", "-j", "1"])
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert f"错误：{locked}：没有读取权限" in r.stderr and f"错误：{tmp_path / 'absent.txt'}：文件不存在" in r.stderr
    assert "提取 1 份" in r.stdout and "失败 2 份" in r.stdout


def _encrypted(tmp_path: Path, user: str) -> Path:
    from pypdf import PdfReader, PdfWriter

    from tests.conftest import PDF_000

    w = PdfWriter()
    for page in PdfReader(PDF_000).pages:
        w.add_page(page)
    w.encrypt(user_password=user, owner_password="owner", algorithm="AES-256")
    p = tmp_path / f"aes-{'locked' if user else 'open'}.pdf"
    with p.open("wb") as f:
        w.write(f)
    return p


def test_an_aes_encrypted_pdf_opens_and_one_with_a_user_password_says_so(tmp_path):
    opened, locked = _encrypted(tmp_path, ""), _encrypted(tmp_path, "secret")
    r = runner.invoke(app, ["extract", str(opened), str(locked), "-o", str(tmp_path / "out"), "--backend", "rules", "-j", "1"])
    assert "提取 1 份" in r.stdout
    assert f"错误：{locked}：PDF 已加密，需要密码才能打开" in r.stderr and "DependencyError" not in r.output


def test_what_pypdf_logs_about_a_file_is_part_of_that_files_line(tmp_path):
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"garbage before %PDF-1.4\n1 0 obj <<>> endobj\n")
    r = runner.invoke(app, ["extract", str(bad), "-o", str(tmp_path / "out"), "--backend", "rules", "-j", "1"])
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"错误：{bad}：PDF 文件已损坏")


def test_a_missing_image_library_names_the_extra_to_install(tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_pil(name, *args, **kwargs):
        if name == "PIL" or name.startswith("PIL."):
            raise ImportError("No module named 'PIL'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pil)
    png = next((Path(__file__).parent.parent / "fixtures").glob("*.png"))
    r = runner.invoke(app, ["extract", str(png), "-o", str(tmp_path / "out"), "--backend", "rules", "-j", "1"])
    assert r.exit_code == 1 and "pip install -e '.[ocr]'" in r.stderr and "No module named" not in r.output


def test_a_text_too_long_to_be_one_report_is_refused_with_the_limit(tmp_path, monkeypatch):
    from extractor import ingest

    monkeypatch.setattr(ingest, "MAX_TEXT_CHARS", 1000)
    r = runner.invoke(app, ["extract", str(SEEDS["000"]), "-o", str(tmp_path / "out"), "--backend", "rules", "-j", "1"])
    assert r.exit_code == 1 and "文本过长" in r.stderr and "上限 1,000 字" in r.stderr


def test_the_seconds_of_a_record_include_reading_the_file(tmp_path, monkeypatch):
    from extractor import pipeline

    real = pipeline.read_document

    def slow(path, max_bytes):
        time.sleep(0.3)
        return real(path, max_bytes=max_bytes)

    monkeypatch.setattr(pipeline, "read_document", slow)
    runner.invoke(app, ["extract", str(SEEDS["001"]), "-o", str(tmp_path), "--backend", "rules", "-j", "1"])
    data = json.loads((tmp_path / "001_483226dbb7fcc7a4.txt.json").read_text(encoding="utf-8"))
    assert data["extraction"]["seconds"] >= 0.3


# ---------------------------------------------------------------- Ray


def test_a_batch_on_a_local_ray_cluster_gives_the_records_of_a_local_run(tmp_path):
    pytest.importorskip("ray")
    import ray

    _batch(tmp_path / "in", 6)
    local = runner.invoke(app, ["extract", str(tmp_path / "in"), "-o", str(tmp_path / "local"), "--backend", "rules", "-j", "1"])
    try:
        on_ray = runner.invoke(app, ["extract", str(tmp_path / "in"), "-o", str(tmp_path / "ray"), "--backend", "rules", "--ray", "local"])
    finally:
        ray.shutdown()
    assert on_ray.exit_code == 0, on_ray.output
    assert "提取 6 份" in on_ray.stdout and local.exit_code == 0
    assert _records(tmp_path / "ray") == _records(tmp_path / "local")
    assert sqlite3.connect(tmp_path / "ray" / "extractor.db").execute("SELECT count(*) FROM records").fetchone() == (6,)


def test_ray_without_the_extra_names_the_command_that_installs_it(tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_ray(name, *args, **kwargs):
        if name == "ray":
            raise ImportError("No module named 'ray'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    r = runner.invoke(app, ["extract", str(SEEDS["001"]), "-o", str(tmp_path), "--backend", "rules", "--ray", "local"])
    assert r.exit_code == 2 and "pip install -e '.[ray]'" in r.stderr and "Traceback" not in r.output
