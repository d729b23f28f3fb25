"""The review page, in process: what an operator sees and does, and what it refuses."""

import re
import shutil

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from extractor.cli import app
from extractor.review.app import create_app
from extractor.store import Store
from tests.conftest import FIXTURES, SEEDS

runner = CliRunner()


@pytest.fixture()
def batch(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    shutil.copyfile(FIXTURES / "004_424dabb8b7582373.pdf", src / "金安区.pdf")
    shutil.copyfile(SEEDS["001"], src / "青云谱区.txt")
    hostile = SEEDS["001"].read_text(encoding="utf-8").replace("一、", "一、<script>alert('x')</script>{{ 7*7 }}", 1)
    (src / "可疑.txt").write_text(hostile, encoding="utf-8")
    (src / "坏的.pdf").write_bytes(b"%PDF-1.4 cut")
    out = tmp_path / "out"
    runner.invoke(app, ["extract", str(src), "-o", str(out), "--backend", "rules", "-j", "1"])
    return src, out


def _doc_id(client, name):
    page = client.get("/").text
    return next(m.group(1) for m in re.finditer(r'<tr data-dept="[^"]*"[^>]*>\s*<td><a href="/report/(\d+)">', page)
                if name in page[m.end():m.end() + 2000].split("</tr>")[0])


def _form(page: str, flag: int) -> dict:
    section = page[page.index(f'id="flag-{flag}"'):]
    return {"csrf": re.search(r'name="csrf" value="([^"]+)"', section).group(1),
            "doc_id": re.search(r'name="doc_id" value="(\d+)"', section).group(1),
            "flag": str(flag), "version": re.search(r'name="version" value="(\d+)"', section).group(1)}


def test_the_batch_page_lists_every_report_and_what_could_not_be_read(batch):
    _src, out = batch
    page = TestClient(create_app(out, reviewer="张三")).get("/").text
    assert "批次总览" in page and "全年预算数（万元）" in page and "复核人：张三" in page
    assert page.count('href="/report/') == 3 and "金安区司法局" in page
    assert "未能读取的文件（1）" in page and "坏的.pdf" in page and "PDF 文件已损坏" in page
    assert "<svg" in page  # the overview, drawn from the batch


def test_report_text_is_shown_as_text_never_run(batch):
    _src, out = batch
    client = TestClient(create_app(out))
    page = client.get(f"/report/{_doc_id(client, '可疑.txt')}").text
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert "{{ 7*7 }}" in page and "49" not in page.split("{{ 7*7 }}")[0][-20:]


def test_decisions_are_kept_shown_again_and_survive_re_extraction(batch):
    src, out = batch
    client = TestClient(create_app(out, reviewer="张三"))
    pdf = _doc_id(client, "金安区.pdf")
    page = client.get(f"/report/{pdf}").text
    assert '<mark data-start=' in page and "执行率应等于执行数除以预算数" in page
    assert "表格行「人民调解」列「全年执行数」" in page
    r = client.post("/decide", data={**_form(page, 0), "decision": "dismiss"})
    assert r.status_code == 400 and "理由" in r.text  # a dismissal needs its reason
    r = client.post("/decide", data={**_form(page, 0), "decision": "correct", "field": "projects[0].executed",
                                      "value": "24.80", "note": "以决算为准"}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(f"/report/{pdf}").text
    assert "已复核：更正数值，更正为 24.80（手工输入）（张三，" in page
    txt = _doc_id(client, "青云谱区.txt")
    tpage = client.get(f"/report/{txt}").text
    client.post("/decide", data={**_form(tpage, 0), "decision": "dismiss", "reason": "工勤人员另表列示"})
    runner.invoke(app, ["extract", str(src), "-o", str(out), "--backend", "rules", "-j", "1", "--force"])
    tpage = client.get(f"/report/{txt}").text
    assert "已复核：排除（误报），理由：工勤人员另表列示" in tpage and "过时" not in tpage


def test_a_decision_from_a_stale_page_is_refused_not_overwritten(batch):
    _src, out = batch
    client = TestClient(create_app(out))
    pdf = _doc_id(client, "金安区.pdf")
    page = client.get(f"/report/{pdf}").text
    form = _form(page, 0)
    assert client.post("/decide", data={**form, "decision": "confirm"}, follow_redirects=False).status_code == 303
    second_tab = client.post("/decide", data={**form, "decision": "dismiss", "reason": "误报"})
    assert second_tab.status_code == 409 and "请刷新" in second_tab.text
    store = Store(out)
    assert [d["decision"] for d in store.decisions(str(next(p for p in (out.parent / "in").iterdir() if p.suffix == ".pdf" and "金安" in p.name))).values()] == ["confirm"]


def test_state_changes_need_the_csrf_token(batch):
    _src, out = batch
    client = TestClient(create_app(out))
    page = client.get(f"/report/{_doc_id(client, '金安区.pdf')}").text
    form = _form(page, 0)
    assert client.post("/decide", data={**form, "csrf": "forged", "decision": "confirm"}).status_code == 403
    assert TestClient(create_app(out)).post("/decide", data={**form, "decision": "confirm"}).status_code == 403  # no cookie
    assert client.get("/decide").status_code == 405


def test_nothing_outside_the_batch_can_be_read(batch):
    _src, out = batch
    client = TestClient(create_app(out))
    assert client.get("/report/9999").status_code == 404
    assert client.get("/static/../store.py").status_code == 404
    assert client.get("/static/%2e%2e/app.py").status_code == 404
    assert client.get("/report/../../etc/passwd").status_code == 404


def test_off_the_loopback_every_request_carries_the_token(batch):
    _src, out = batch
    client = TestClient(create_app(out, token="s3cret"))
    assert client.get("/").status_code == 401
    assert client.get("/?token=wrong").status_code == 401
    assert client.get("/?token=s3cret").status_code == 200
    assert client.get("/").status_code == 200  # the cookie it set


def test_a_pdf_report_shows_the_page_its_flag_is_on(batch):
    _src, out = batch
    client = TestClient(create_app(out))
    pdf, txt = _doc_id(client, "金安区.pdf"), _doc_id(client, "青云谱区.txt")
    page = client.get(f"/report/{pdf}").text
    assert 'id="page"' in page and 'data-page="5"' in page  # the rate flag's values are on page 5
    img = client.get(f"/page/{pdf}/5.png")
    assert img.status_code == 200 and img.headers["content-type"] == "image/png" and img.content[:4] == b"\x89PNG"
    assert client.get(f"/page/{pdf}/99.png").status_code == 404
    assert client.get(f"/page/{txt}/1.png").status_code == 404 and 'id="page"' not in client.get(f"/report/{txt}").text


def test_a_decision_whose_flag_changed_shows_as_stale(batch):
    src, out = batch
    client = TestClient(create_app(out))
    txt = _doc_id(client, "青云谱区.txt")
    page = client.get(f"/report/{txt}").text
    client.post("/decide", data={**_form(page, 0), "decision": "dismiss", "reason": "工勤人员另表列示"})
    body = (src / "青云谱区.txt").read_text(encoding="utf-8")
    (src / "青云谱区.txt").write_text(body.replace("在职人数47人", "在职人数48人", 1), encoding="utf-8")  # the flag now compares other numbers
    runner.invoke(app, ["extract", str(src), "-o", str(out), "--backend", "rules", "-j", "1"])
    page = client.get(f"/report/{txt}").text
    assert "过时的复核结论" in page and "工勤人员另表列示" in page


@pytest.mark.block_network(allowed_hosts=["127.0.0.1"])
def test_the_review_command_serves_the_batch_and_says_where(batch):
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    _src, out = batch
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "extractor.cli", "review", str(out), "--port", str(port), "--no-browser",
                             "--reviewer", "王五"], stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stderr.readline()
        assert f"复核页面：http://127.0.0.1:{port}/" in line
        for _ in range(100):
            try:
                page = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).read().decode()  # noqa: S310 - loopback
                break
            except OSError:
                time.sleep(0.1)
        assert "复核人：王五" in page and "批次总览" in page
    finally:
        proc.terminate()
        proc.wait(10)
