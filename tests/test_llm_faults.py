"""How the LLM path behaves when the endpoint misbehaves: a scripted server on loopback."""

import json
import socket
import sqlite3

import pytest
from typer.testing import CliRunner

from extractor.cli import app
from extractor.ingest import read_document
from extractor.llm import Chunk, ChunkFailed, LLMClient, LLMUnavailable, Usage
from extractor.settings import Settings
from tests.conftest import SEEDS
from tests.llm_fake_server import ScriptedServer

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1"])

TEXT = read_document(SEEDS["004"]).text
QUOTE = "部门整体绩效自评得分：94.32 分"
GOOD = json.dumps({"score": {"total": {"value": "94.32", "quote": QUOTE}, "grade": None}}, ensure_ascii=False)
CHUNK = Chunk(TEXT.index("2024 年，部门整体"), TEXT.index("三、项目自评结果"), "", ["score"])
CHUNK.text = TEXT[CHUNK.start:CHUNK.end]


def client(url, tmp_path, **kw):
    s = Settings(base_url=url, model="fake", mode="json_schema", cache_path=tmp_path / "cache.sqlite",
                 timeout_s=kw.pop("timeout_s", 5.0), max_attempts=kw.pop("max_attempts", 3), **kw)
    return LLMClient(s)


def logged(tmp_path):
    db = sqlite3.connect(tmp_path / "cache.sqlite")
    return [r[0] for r in db.execute("SELECT status FROM calls ORDER BY id")]


def test_429_then_success_honours_retry_after(tmp_path):
    with ScriptedServer([("status", (429, {"Retry-After": "0"})), ("answer", GOOD)]) as srv:
        usage = Usage(10_000)
        ans = client(srv.base_url, tmp_path).ask("t", CHUNK, 1, 1, usage)
    assert ans["score"]["total"]["value"] == "94.32"
    assert len(srv.requests) == 2 and usage.calls == 1
    assert logged(tmp_path) == ["error", "ok"]


def test_repeated_500s_fail_the_chunk_after_the_attempt_limit(tmp_path):
    steps = [("status", (500, {"Retry-After": "0"}))] * 5
    with ScriptedServer(steps) as srv:
        with pytest.raises(ChunkFailed, match="kept failing"):
            client(srv.base_url, tmp_path, max_attempts=3).ask("t", CHUNK, 1, 1, Usage(10_000))
    assert len(srv.requests) == 3


def test_a_timeout_is_retried_then_fails_the_chunk(tmp_path):
    with ScriptedServer([("sleep", 1.5), ("sleep", 1.5)]) as srv:
        with pytest.raises(ChunkFailed):
            client(srv.base_url, tmp_path, timeout_s=0.3, max_attempts=2).ask("t", CHUNK, 1, 1, Usage(10_000))
    assert len(srv.requests) == 2


def test_invalid_json_is_re_asked(tmp_path):
    with ScriptedServer([("answer", "这不是 JSON"), ("answer", GOOD)]) as srv:
        ans = client(srv.base_url, tmp_path).ask("t", CHUNK, 1, 1, Usage(10_000))
    assert ans["score"]["total"]["value"] == "94.32"
    assert "invalid" in logged(tmp_path)


def test_a_quote_not_in_the_text_is_re_asked_with_the_reason(tmp_path):
    bad = json.dumps({"score": {"total": {"value": "94.32", "quote": "自评得分为94.32分（编造）"}, "grade": None}}, ensure_ascii=False)
    with ScriptedServer([("answer", bad), ("answer", GOOD)]) as srv:
        ans = client(srv.base_url, tmp_path).ask("t", CHUNK, 1, 1, Usage(10_000))
    assert ans["score"]["total"]["quote"] == QUOTE
    reask = json.dumps(srv.requests[1]["messages"], ensure_ascii=False)
    assert "不在原文片段中" in reask  # the validator's message goes back to the model


def test_a_value_that_does_not_parse_from_its_quote_is_re_asked(tmp_path):
    bad = json.dumps({"score": {"total": {"value": "97.32", "quote": QUOTE}, "grade": None}}, ensure_ascii=False)
    with ScriptedServer([("answer", bad), ("answer", GOOD)]) as srv:
        ans = client(srv.base_url, tmp_path).ask("t", CHUNK, 1, 1, Usage(10_000))
    assert ans["score"]["total"]["value"] == "94.32"


def test_an_impossible_score_is_re_asked_then_dropped(tmp_path):
    bad = json.dumps({"score": {"total": {"value": "943.2", "quote": QUOTE}, "grade": None}}, ensure_ascii=False)
    with ScriptedServer([("answer", bad), ("answer", bad), ("answer", bad)]) as srv:
        ans = client(srv.base_url, tmp_path).ask("t", CHUNK, 1, 1, Usage(10_000))
    assert len(srv.requests) == 2  # the first answer and one re-ask
    assert ans["score"] == {} and ans["_dropped"] == 1  # never emitted as a fact
    assert logged(tmp_path)[-1] == "salvaged"


def test_one_bad_fact_does_not_cost_the_good_ones(tmp_path):
    chunk = Chunk(CHUNK.start, CHUNK.end, CHUNK.text, ["score", "budget"])
    mixed = json.dumps({"score": {"total": {"value": "94.32", "quote": QUOTE}, "grade": None},
                        "budget": {"total_budget": {"value": "9999", "unit": "万元", "quote": "预算金额 9999 万元"}}},
                       ensure_ascii=False)
    with ScriptedServer([("answer", mixed), ("answer", mixed)]) as srv:
        ans = client(srv.base_url, tmp_path).ask("t", chunk, 1, 1, Usage(10_000))
    assert ans["score"]["total"]["value"] == "94.32"
    assert "total_budget" not in ans["budget"] and ans["_dropped"] == 1


def test_an_answer_that_is_never_json_fails_the_chunk(tmp_path):
    with ScriptedServer([("answer", "不是 JSON")] * 2) as srv:
        with pytest.raises(ChunkFailed, match="no valid answer"):
            client(srv.base_url, tmp_path).ask("t", CHUNK, 1, 1, Usage(10_000))


def test_truncated_output_fails_the_chunk(tmp_path):
    with ScriptedServer([("truncated", GOOD[:30])] * 3) as srv:
        with pytest.raises(ChunkFailed, match="cut off"):
            client(srv.base_url, tmp_path).ask("t", CHUNK, 1, 1, Usage(10_000))


def test_the_cache_answers_a_second_time_with_no_call(tmp_path):
    with ScriptedServer([("answer", GOOD)]) as srv:
        c = client(srv.base_url, tmp_path)
        c.ask("t", CHUNK, 1, 1, Usage(10_000))
        usage = Usage(10_000)
        c.ask("t", CHUNK, 1, 1, usage)
    assert len(srv.requests) == 1 and usage.cached == 1 and usage.calls == 0


def test_the_token_limit_per_report_stops_further_calls(tmp_path):
    usage = Usage(100)
    usage.add(90, 20)
    with ScriptedServer([("answer", GOOD)]) as srv:
        with pytest.raises(ChunkFailed, match="token limit"):
            client(srv.base_url, tmp_path).ask("t", CHUNK, 1, 1, usage)
    assert srv.requests == []


def _dead_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_a_dead_endpoint_raises_unavailable(tmp_path):
    with pytest.raises(LLMUnavailable, match="cannot reach"):
        client(f"http://127.0.0.1:{_dead_port()}/v1", tmp_path).ask("t", CHUNK, 1, 1, Usage(10_000))


def test_a_dead_endpoint_ends_the_cli_with_one_line_and_no_traceback(tmp_path, monkeypatch):
    monkeypatch.setenv("EXTRACTOR_HOME", str(tmp_path / "home"))
    url = f"http://127.0.0.1:{_dead_port()}/v1"
    r = CliRunner().invoke(app, ["extract", str(SEEDS["004"]), str(SEEDS["000"]), "-o", str(tmp_path / "out"),
                                 "--backend", "llm", "--base-url", url, "--model", "x"])
    assert r.exit_code == 1
    assert "Traceback" not in r.output
    errors = [ln for ln in r.output.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and "cannot reach the model" in errors[0]
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_the_api_key_is_never_logged_or_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("EXTRACTOR_API_KEY", "sk-secret-test-key-000000000000")
    s = Settings(base_url="http://127.0.0.1:1/v1", model="fake", api_key="sk-secret-test-key-000000000000",
                 cache_path=tmp_path / "cache.sqlite")
    assert "sk-secret" not in repr(s)
    with ScriptedServer([("answer", GOOD)]) as srv:
        LLMClient(Settings(base_url=srv.base_url, model="fake", api_key="sk-secret-test-key-000000000000",
                           cache_path=tmp_path / "cache.sqlite")).ask("t", CHUNK, 1, 1, Usage(10_000))
    assert b"sk-secret" not in (tmp_path / "cache.sqlite").read_bytes()
