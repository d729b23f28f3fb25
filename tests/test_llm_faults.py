"""How the LLM path behaves when the endpoint misbehaves: a scripted server on loopback."""

import json
from decimal import Decimal
import socket
import sqlite3

import pytest
from typer.testing import CliRunner

from extractor.cli import app
from extractor.ingest import read_document
from extractor.llm import Call, CallFailed, LLMClient, LLMUnavailable, Usage, render
from extractor.mentions import find
from extractor.pipeline import read_layout
from extractor.settings import Settings
from tests.conftest import SEEDS
from tests.llm_fake_server import ScriptedServer

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1"])

DOC, LAYOUT = read_layout(read_document(SEEDS["004"]))
MENTIONS = find(DOC, LAYOUT)
SCORE = next(m for m in MENTIONS if m.kind == "score" and m.value == Decimal("94.32"))
CALL = Call(["score"], [m for m in MENTIONS if m.kind == "score"])
CALL.text = render(CALL.mentions, DOC.text)
GOOD = json.dumps({"自评总得分": SCORE.id}, ensure_ascii=False)


def client(url, tmp_path, **kw):
    s = Settings(base_url=url, model="fake", mode="json_schema", cache_path=tmp_path / "cache.sqlite",
                 timeout_s=kw.pop("timeout_s", 5.0), max_attempts=kw.pop("max_attempts", 3), **kw)
    return LLMClient(s)


def logged(tmp_path):
    db = sqlite3.connect(tmp_path / "cache.sqlite")
    return [r[0] for r in db.execute("SELECT status FROM calls ORDER BY id")]


def ask(c, usage=None):
    return c.ask("t", CALL, DOC, usage or Usage(10_000))


def test_429_then_success_honours_retry_after(tmp_path):
    with ScriptedServer([("status", (429, {"Retry-After": "0"})), ("answer", GOOD)]) as srv:
        usage = Usage(10_000)
        ans = ask(client(srv.base_url, tmp_path), usage)
    assert ans["scalars"]["score.total"] == SCORE.id
    assert len(srv.requests) == 2 and usage.calls == 1
    assert logged(tmp_path) == ["error", "ok"]


def test_the_request_shows_mention_lines_and_asks_for_ids_only(tmp_path):
    with ScriptedServer([("answer", GOOD)]) as srv:
        ask(client(srv.base_url, tmp_path))
    req = srv.requests[0]
    user = req["messages"][-1]["content"]
    assert f"{SCORE.id} 94.32 分" in user and "自评总得分" in user
    assert DOC.text[:200] not in user  # the mention lines, not the report
    schema = json.dumps(req["response_format"], ensure_ascii=False)
    assert SCORE.id in schema and '"enum"' in schema  # the answer can only be one of the ids shown


def test_repeated_500s_fail_the_call_after_the_attempt_limit(tmp_path):
    steps = [("status", (500, {"Retry-After": "0"}))] * 5
    with ScriptedServer(steps) as srv:
        with pytest.raises(CallFailed, match="多次出错"):
            ask(client(srv.base_url, tmp_path, max_attempts=3))
    assert len(srv.requests) == 3


def test_a_timeout_is_retried_then_fails_the_call(tmp_path):
    with ScriptedServer([("sleep", 1.5), ("sleep", 1.5)]) as srv:
        with pytest.raises(CallFailed):
            ask(client(srv.base_url, tmp_path, timeout_s=0.3, max_attempts=2))
    assert len(srv.requests) == 2


def test_invalid_json_is_re_asked_and_counted(tmp_path):
    usage = Usage(10_000)
    with ScriptedServer([("answer", "这不是 JSON"), ("answer", GOOD)]) as srv:
        ans = ask(client(srv.base_url, tmp_path), usage)
    assert ans["scalars"]["score.total"] == SCORE.id
    assert "invalid" in logged(tmp_path) and usage.reasks == 1


@pytest.mark.parametrize("value", ["m99999", "94.32"], ids=["an id not shown", "a number instead of an id"])
def test_a_value_that_is_not_a_shown_id_is_re_asked(tmp_path, value):
    bad = json.dumps({"自评总得分": value}, ensure_ascii=False)
    with ScriptedServer([("answer", bad), ("answer", GOOD)]) as srv:
        ans = ask(client(srv.base_url, tmp_path))
    assert ans["scalars"]["score.total"] == SCORE.id
    assert len(srv.requests) == 2


def test_an_answer_that_never_fits_fails_the_call_and_nothing_is_emitted(tmp_path):
    bad = json.dumps({"自评总得分": "94.32"}, ensure_ascii=False)
    with ScriptedServer([("answer", bad)] * 2) as srv:
        with pytest.raises(CallFailed, match="不符合结构"):
            ask(client(srv.base_url, tmp_path))


def test_truncated_output_fails_the_call(tmp_path):
    with ScriptedServer([("truncated", GOOD[:10])] * 3) as srv:
        with pytest.raises(CallFailed, match="截断"):
            ask(client(srv.base_url, tmp_path))


def test_the_cache_answers_a_second_time_with_no_call_and_reports_what_it_cost(tmp_path):
    with ScriptedServer([("answer", GOOD)]) as srv:
        c = client(srv.base_url, tmp_path)
        ask(c)
        usage = Usage(10_000)
        ask(c, usage)
    assert len(srv.requests) == 1 and usage.cached == 1 and usage.calls == 0
    assert usage.prompt_tokens == 100 and usage.completion_tokens == 20  # as recorded with the answer


def test_the_token_limit_per_report_stops_further_calls(tmp_path):
    usage = Usage(100)
    usage.add(90, 20)
    with ScriptedServer([("answer", GOOD)]) as srv:
        with pytest.raises(CallFailed, match="token limit"):
            ask(client(srv.base_url, tmp_path), usage)
    assert srv.requests == []


def _dead_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_a_dead_endpoint_raises_unavailable(tmp_path):
    with pytest.raises(LLMUnavailable, match="无法连接模型服务"):
        ask(client(f"http://127.0.0.1:{_dead_port()}/v1", tmp_path))


def test_a_dead_endpoint_ends_the_cli_with_one_line_and_no_traceback(tmp_path, monkeypatch):
    monkeypatch.setenv("EXTRACTOR_HOME", str(tmp_path / "home"))
    url = f"http://127.0.0.1:{_dead_port()}/v1"
    r = CliRunner().invoke(app, ["extract", str(SEEDS["004"]), str(SEEDS["000"]), "-o", str(tmp_path / "out"),
                                 "--backend", "llm", "--base-url", url, "--model", "x"])
    assert r.exit_code == 1
    assert "Traceback" not in r.output
    errors = [ln for ln in r.output.splitlines() if ln.startswith("错误：")]
    assert len(errors) == 1 and "无法连接模型服务" in errors[0]
    assert not list((tmp_path / "out").rglob("*.json"))


def test_the_api_key_is_never_logged_or_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("EXTRACTOR_API_KEY", "sk-secret-test-key-000000000000")
    s = Settings(base_url="http://127.0.0.1:1/v1", model="fake", api_key="sk-secret-test-key-000000000000",
                 cache_path=tmp_path / "cache.sqlite")
    assert "sk-secret" not in repr(s)
    with ScriptedServer([("answer", GOOD)]) as srv:
        LLMClient(Settings(base_url=srv.base_url, model="fake", api_key="sk-secret-test-key-000000000000",
                           cache_path=tmp_path / "cache.sqlite")).ask("t", CALL, DOC, Usage(10_000))
    assert b"sk-secret" not in (tmp_path / "cache.sqlite").read_bytes()
