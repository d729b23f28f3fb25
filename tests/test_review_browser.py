"""The review page in a real browser (Debian's chromium through playwright; no browser is
downloaded): an operator's whole round, from a batch to the exported decisions."""

import os
import shutil
import socket
import threading
import time

import openpyxl
import pytest
from typer.testing import CliRunner

from extractor.cli import app
from tests.conftest import FIXTURES, SEEDS

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs Debian's)")
runner = CliRunner()
# EXTRACTOR_SCREENSHOT=docs/review-report.png python3 -m pytest tests/test_review_browser.py renews the README's picture
SHOT = os.environ.get("EXTRACTOR_SCREENSHOT")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def served(tmp_path):
    import uvicorn

    from extractor.review.app import create_app

    src = tmp_path / "in"
    src.mkdir()
    shutil.copyfile(SEEDS["003"], src / "某区司法局.txt")
    shutil.copyfile(FIXTURES / "004_424dabb8b7582373.pdf", src / "金安区.pdf")
    out = tmp_path / "out"
    runner.invoke(app, ["extract", str(src), "-o", str(out), "--backend", "rules", "-j", "1"])
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(out, reviewer="张三"), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", src, out
    server.should_exit = True
    thread.join(5)


def test_an_operator_reviews_a_report_and_exports_the_decisions(served):
    from playwright.sync_api import sync_playwright

    url, src, out = served
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(url)
        assert page.locator("#reports tbody tr").count() == 2
        page.fill("#q", "金安")  # search by department
        assert page.locator("#reports tbody tr:not([hidden])").count() == 1
        page.fill("#q", "")
        page.locator("#reports tr", has_text="某区司法局.txt").locator("a").click()
        page.wait_for_selector(".flag")
        flags = page.locator(".flag")
        assert flags.count() >= 3
        flags.nth(1).click()  # choose a flag: its quotes are marked in the text
        assert page.locator("mark.hit").count() >= 1
        assert page.locator(".flag.active").get_attribute("id") == "flag-1"
        page.keyboard.press("k")  # previous flag
        assert page.locator(".flag.active").get_attribute("id") == "flag-0"
        flags.nth(0).locator("button.confirm").click()  # confirm one
        page.wait_for_selector("#flag-0 .decision")
        flags = page.locator(".flag")
        flags.nth(1).locator("input[name=reason]").fill("口径不同，不是矛盾")
        flags.nth(1).locator("button.dismiss").click()  # dismiss another, with the reason
        page.wait_for_selector("#flag-1 .decision")
        third = page.locator(".flag").nth(2)
        third.locator("summary").click()
        third.locator("input[name=value]").fill("12")
        third.locator("input[name=note]").fill("按原表更正")
        third.locator("button.correct").click()  # correct a value
        page.wait_for_selector("#flag-2 .decision")
        page.reload()
        decided = page.locator(".flag .decision")
        assert decided.count() == 3
        text = " ".join(decided.all_inner_texts())
        assert "确认（报告自相矛盾）" in text and "排除（误报），理由：口径不同，不是矛盾" in text and "更正为 12（手工输入）" in text
        page.locator(".flag").nth(0).click()
        page.screenshot(path=SHOT or str(out / "report.png"), full_page=False)
        report_url = page.url
        # re-extracting the unchanged document keeps the decisions attached
        runner.invoke(app, ["extract", str(src), "-o", str(out), "--backend", "rules", "-j", "1", "--force"])
        page.goto(report_url)
        assert page.locator(".flag .decision").count() == 3 and page.locator(".stale").count() == 0
        browser.close()
    runner.invoke(app, ["export", str(out)])
    wb = openpyxl.load_workbook(out / "汇总.xlsx")
    got = [r[6].value for r in wb["标记"].iter_rows(min_row=2) if r[0].value.endswith("某区司法局.txt") and r[6].value]
    assert sorted(got) == ["排除（误报）", "更正数值", "确认（报告自相矛盾）"]
