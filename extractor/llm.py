"""The LLM backend by reference: the model chooses among grounded mentions and never writes a
number.

- The mention stage (extractor/mentions.py) lists every number, table cell and candidate name
  with an id. Each call shows the model the compact mention lines of one part of a report
  (the figures and names; an indicator table's rows; the narrative's counts), not the text.
- The response schema makes every value an enum of the ids shown (or null): the answer is tiny
  and valid by construction (llama.cpp turns the schema into a grammar). Names in list rows
  are copied from the lines and kept only where the text holds them verbatim (build.py).
- Answers are cached in SQLite by model, prompt version, schema and prompt text, with the
  tokens and seconds the call cost, so a re-scored run still reports what the model run cost.
  Tenacity retries transport errors, timeouts, 429 and 5xx with backoff, honouring Retry-After.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Optional

from pydantic import BaseModel, Field, create_model

from extractor.build import ROW_KINDS, SCALAR_KINDS, record_from_answers, value_of
from extractor.cache import Cache, cache_key
from extractor.grounding import iter_grounded
from extractor.ingest import Document
from extractor.lexicon import Lexicon
from extractor import lexicon
from extractor.mentions import Mention
from extractor.models import Extraction, Flag, Record
from extractor.segment import Layout
from extractor.settings import Settings

PROMPTS = Path(__file__).resolve().parent.parent / "prompts" / "v2"

# instructor logs every failed attempt at ERROR level; our own log (the cache's calls table)
# records them, and a batch's terminal shows one line per report instead
logging.getLogger("instructor").setLevel(logging.CRITICAL)
NAME_CHARS = 40  # the longest name a list row may copy
# room for the longest answer the schema allows (16 scalar ids, 12 project rows of a name and
# four ids), so that only a model that loops is cut off
MAX_ANSWER_TOKENS = 1600
CALL_CHARS = 3000  # mention lines per call: a 1.5B model on 2 cores reads ~80 tokens/s


class LLMUnavailable(Exception):
    """The endpoint cannot be reached at all (connection refused, DNS): stop the batch."""


class CallFailed(Exception):
    """One call could not be answered (after retries); the report goes on without it."""


# ---------------------------------------------------------------- prompts


def _read_prompt(name: str) -> str:
    return (PROMPTS / name).read_text(encoding="utf-8")


def prompt_version() -> str:
    """v2 plus a hash of the prompt files: an edited prompt is a new version (and a cache miss)."""
    h = hashlib.sha256()
    for f in sorted(PROMPTS.iterdir()):
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return f"{PROMPTS.name}-{h.hexdigest()[:8]}"


@lru_cache(maxsize=1)
def questions() -> dict[str, Any]:
    """prompts/v2/fields.toml: the answer keys, in the reports' words, and the contract paths
    they mean."""
    with open(PROMPTS / "fields.toml", "rb") as f:
        return tomllib.load(f)


@dataclass
class Call:
    """One question to the model: the parts it answers and the mentions it may choose from."""

    parts: list[str]
    mentions: list[Mention]
    text: str = ""  # the rendered mention lines

    def ids(self, kinds: tuple[str, ...], path: str, doc: Document) -> list[str]:
        """The ids shown in this call that can fill `path`."""
        return [m.id for m in self.mentions if m.kind in kinds and value_of(doc, path, m) is not None]


# ---------------------------------------------------------------- routing and rendering


def _indicator_tables(layout: Layout, lex: Lexicon) -> set[int]:
    """Tables whose header has a 分值 / 得分 column: their rows are indicators."""
    out = set()
    for i, t in enumerate(layout.tables):
        for row in t.rows[:6]:
            cols = {lex.column_of(c.clean) for c in row.cells}
            if "weight" in cols or ("score" in cols and cols & {"target", "actual", "level1", "level2", "level3"}):
                out.add(i)
                break
    return out


def _closing_row(m: Mention, lex: Lexicon) -> bool:
    return any(lex.row_of(w) == "closing" for w in m.label.split("/"))


def render(mentions: list[Mention], text: str) -> str:
    """The mention lines of a call: one line per mention in the narrative; one line per table
    row, its label once and each cell as 「column: id value」."""
    lines: list[str] = []
    row_key = None
    for m in mentions:
        if m.table is None or m.row is None:
            row_key = None
            lines.append(m.line(text))
            continue
        quote = text[m.start:m.end].replace("\n", " ")
        cell = f"{m.column}: {m.id} {quote}" if m.column else f"{m.id} {quote}"
        if (m.table, m.row) != row_key:
            row_key = (m.table, m.row)
            lines.append(f"表{m.table + 1}｜{m.label or '（无行名）'} ‖ {cell}")
        else:
            lines[-1] += f" ‖ {cell}"
    return "\n".join(lines)


def plan_calls(doc: Document, layout: Layout, mentions: list[Mention], max_chars: int = CALL_CHARS) -> list[Call]:
    """The calls one report needs, each mention shown once: the figures and names (profile,
    budget, score, projects); an indicator table's rows (indicators, and the 总分 row also to the
    score); the narrative's counts (outputs). A part with more lines than max_chars is cut
    into several calls. Parts are not packed into one call even when they would fit: the 1.5B
    model answered a packed call worse (seed 000: outputs lost, counts taken for projects)."""
    lex = lexicon.load()
    ind_tables = _indicator_tables(layout, lex)
    main, indicators, outputs = [], [], []
    for m in mentions:
        if m.table in ind_tables:
            indicators.append(m)
            if _closing_row(m, lex):
                main.append(m)
        elif m.kind == "count" and m.table is None and m.unit not in ("人", "名"):
            outputs.append(m)
        elif m.kind in ("name", "year", "money", "percent", "score", "number", "count"):
            main.append(m)
    calls: list[Call] = []
    for parts, ms in ((["profile", "budget", "score", "projects"], main), (["indicators"], indicators), (["outputs"], outputs)):
        if not ms and parts[0] != "profile":
            continue
        group: list[Mention] = []
        for m in ms:
            group.append(m)
            if len(render(group, doc.text)) > max_chars and len(group) > 1:
                group.pop()
                calls.append(Call(list(parts), group))
                group = [m]
                if parts[0] == "profile":
                    parts = ["budget", "score", "projects"]  # the profile is asked of the opening only
        if group:
            calls.append(Call(list(parts), group))
    for c in calls:
        c.text = render(c.mentions, doc.text)
    return calls


# ---------------------------------------------------------------- the answer schema


def _choice(ids: list[str]) -> tuple[Any, Any]:
    """A required field whose value is one of `ids` or null (required: a small model then
    decides each field instead of leaving it out)."""
    if not ids:
        return (Optional[Literal[None]], ...)  # type: ignore[valid-type]
    return (Optional[Literal[tuple(ids)]], ...)  # type: ignore[valid-type]


def answer_model(call: Call, doc: Document) -> type[BaseModel]:
    """The response schema of one call, keyed in the reports' words: every value an enum of
    the ids the call shows, or null; list rows carry a name copied from the text."""
    q = questions()
    fields: dict[str, Any] = {}
    for part in call.parts:
        if part in q["scalars"]:
            for label, path in q["scalars"][part].items():
                fields[label] = _choice(call.ids(SCALAR_KINDS[path], path, doc))
        else:
            spec = q["rows"][part]
            # names are short: a bound keeps a looping model from filling its tokens with one name
            row: dict[str, Any] = {spec["name"]: (str, Field(max_length=NAME_CHARS))}
            if "level" in spec:
                row[spec["level"]] = (Literal[1, 2, 3], ...)
            for label, f in spec.items():
                if label not in ("list", "name", "level", "max_rows"):
                    row[label] = _choice(call.ids(ROW_KINDS[part][f], f"{part}.{f}", doc))
            # a bound on the rows: a small model can repeat a row until it runs out of tokens
            fields[spec["list"]] = (list[create_model(f"{part.title()}Row", **row)],  # type: ignore[call-overload, misc]
                                    Field(max_length=spec.get("max_rows", 20)))
    return create_model("Answer", **fields)  # type: ignore[call-overload]


def normalize_answer(answer: dict[str, Any]) -> dict[str, Any]:
    """An answer keyed in the reports' words -> {"scalars": {path: id}, part: [rows by field]}."""
    q = questions()
    out: dict[str, Any] = {"scalars": {}}
    for labels in q["scalars"].values():
        for label, path in labels.items():
            if label in answer:
                out["scalars"][path] = answer[label]
    for part, spec in q["rows"].items():
        if spec["list"] not in answer:
            continue
        rows = []
        for row in answer[spec["list"]] or []:
            r = {"name": row.get(spec["name"]), "level": row.get(spec["level"]) if "level" in spec else None}
            r.update({f: row.get(label) for label, f in spec.items() if label not in ("list", "name", "level", "max_rows")})
            rows.append(r)
        out[part] = rows
    return out


def describe_fields(call: Call) -> str:
    """The keys a call asks for, in order: 部门名称、评价年度、…、项目（每行：项目名称、预算数、…）."""
    q = questions()
    out: list[str] = []
    for part in call.parts:
        if part in q["scalars"]:
            out += list(q["scalars"][part])
        else:
            spec = q["rows"][part]
            cols = [spec["name"]] + ([spec["level"]] if "level" in spec else []) + \
                [k for k in spec if k not in ("list", "name", "level", "max_rows")]
            out.append(f"{spec['list']}（每行：{'、'.join(cols)}）")
    return "、".join(out)


def build_messages(title: str, call: Call) -> list[dict[str, str]]:
    user = _read_prompt("user.md").format(title=title, fields=describe_fields(call), mentions=call.text)
    return [{"role": "system", "content": _read_prompt("system.md").strip()}, {"role": "user", "content": user.strip()}]


# ---------------------------------------------------------------- the client


def _retry_after(exc: BaseException) -> float | None:
    resp = getattr(exc, "response", None)
    headers = getattr(resp, "headers", None)
    if headers is None:
        return None
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, min(float(value), 60.0))
    except ValueError:
        return None


def _transport_error(exc: BaseException) -> BaseException | None:
    """The openai transport error behind an exception (instructor wraps them), if any."""
    import openai

    seen = exc
    for _ in range(4):
        if isinstance(seen, (openai.APIConnectionError, openai.RateLimitError, openai.InternalServerError)):
            return seen
        if isinstance(seen, openai.APIStatusError) and (seen.status_code >= 500 or seen.status_code == 429):
            return seen
        nxt = seen.__cause__ or seen.__context__
        if nxt is None:
            return None
        seen = nxt
    return None


class Usage:
    """Calls, tokens and model seconds of one report, shared by its call threads. Answers from
    the cache count what they cost when they were made (and are counted as cached too)."""

    def __init__(self, limit: int):
        self.limit = limit
        self.calls = 0
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.seconds = 0.0
        self.cached = 0
        self.reasks = 0
        self._lock = threading.Lock()

    def add(self, prompt: int, completion: int, seconds: float = 0.0, call: bool = True, cached: bool = False) -> None:
        with self._lock:
            self.prompt_tokens += prompt
            self.completion_tokens += completion
            self.seconds += seconds
            self.calls += int(call)
            self.cached += int(cached)

    @property
    def exhausted(self) -> bool:
        return self.prompt_tokens + self.completion_tokens >= self.limit


class LLMClient:
    def __init__(self, settings: Settings, cache: Cache | None = None):
        import instructor
        import openai

        self.settings = settings
        self.model_name = settings.model
        self.openai = openai.OpenAI(
            base_url=settings.base_url,
            api_key=settings.api_key or "not-needed",
            max_retries=0,  # retries are ours (tenacity), so that every attempt is logged
            timeout=settings.timeout_s,
        )
        self.mode = {
            "json_schema": instructor.Mode.JSON_SCHEMA,
            "json": instructor.Mode.JSON,
            "md_json": instructor.Mode.MD_JSON,
            "tools": instructor.Mode.TOOLS,
        }[settings.mode]
        self.cache = cache if cache is not None else Cache(settings.cache_path)
        self.prompt_version = prompt_version()
        # bounds the calls in flight across all calls of all reports of a batch
        self._slots = threading.BoundedSemaphore(max(1, settings.concurrency))

    def ask(self, title: str, call: Call, doc: Document, usage: Usage) -> dict[str, Any]:
        """The validated answer to one call, from the cache or the model."""
        import instructor
        import openai
        from instructor.core import IncompleteOutputException
        from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

        model = answer_model(call, doc)
        messages = build_messages(title, call)
        schema = json.dumps(model.model_json_schema(), sort_keys=True, ensure_ascii=False)
        k = cache_key(self.settings.model, self.prompt_version, self.settings.mode, schema, json.dumps(messages, ensure_ascii=False))
        hit = self.cache.get(k)
        if hit is not None:
            usage.add(hit["prompt_tokens"] or 0, hit["completion_tokens"] or 0, hit.get("seconds") or 0.0, call=False, cached=True)
            return hit["answer"]
        if usage.exhausted:
            raise CallFailed(f"token limit per report ({usage.limit}) reached; call skipped")
        client = instructor.from_openai(self.openai, mode=self.mode)
        state = {"attempt": 0, "t0": 0.0, "prompt": 0, "completion": 0, "seconds": 0.0}

        def on_kwargs(*_: Any, **__: Any) -> None:
            state["attempt"] += 1
            state["t0"] = time.perf_counter()

        def on_response(resp: Any) -> None:
            u = getattr(resp, "usage", None)
            p, c = (getattr(u, "prompt_tokens", 0) or 0, getattr(u, "completion_tokens", 0) or 0) if u else (0, 0)
            dt = time.perf_counter() - state["t0"]
            state["prompt"] += p
            state["completion"] += c
            state["seconds"] += dt
            self.cache.log(self.settings.model, self.prompt_version, k, state["attempt"], "ok", p, c, dt)

        def on_error(err: Any, *_: Any, **__: Any) -> None:
            self.cache.log(self.settings.model, self.prompt_version, k, state["attempt"], "error", 0, 0,
                           time.perf_counter() - state["t0"], f"{type(err).__name__}: {str(err)[:200]}")

        def on_parse_error(err: Any, *_: Any, **__: Any) -> None:
            with usage._lock:
                usage.reasks += 1
            self.cache.log(self.settings.model, self.prompt_version, k, state["attempt"], "invalid", 0, 0, 0.0, str(err)[:300])

        client.on("completion:kwargs", on_kwargs)
        client.on("completion:response", on_response)
        client.on("completion:error", on_error)
        client.on("parse:error", on_parse_error)

        def wait(rs: RetryCallState) -> float:
            exc = rs.outcome.exception() if rs.outcome else None
            after = _retry_after(_transport_error(exc) or exc) if exc else None
            return after if after is not None else min(2 ** (rs.attempt_number - 1), 20)

        def retryable(exc: BaseException) -> bool:
            t = _transport_error(exc)
            if t is None:
                return False
            # a refused connection will not heal in seconds: fail fast, it ends the batch
            return not (isinstance(t, openai.APIConnectionError) and not isinstance(t, openai.APITimeoutError)
                        and "refused" in repr(t.__cause__ or t).lower())

        try:
            for attempt in Retrying(stop=stop_after_attempt(self.settings.max_attempts), wait=wait,
                                    retry=retry_if_exception(retryable), reraise=True):
                with attempt, self._slots:
                    obj = client.chat.completions.create(
                        model=self.settings.model,
                        response_model=model,
                        messages=messages,  # type: ignore[arg-type]
                        max_retries=1,  # one re-ask should the answer not fit the schema
                        temperature=self.settings.temperature,
                        max_tokens=MAX_ANSWER_TOKENS,
                    )
        except Exception as e:  # noqa: BLE001 - classified below
            t = _transport_error(e)
            if isinstance(t, openai.APIConnectionError) and not isinstance(t, openai.APITimeoutError):
                raise LLMUnavailable(f"无法连接模型服务 {self.settings.base_url}：{type(t).__name__}") from None
            if isinstance(e, IncompleteOutputException):
                raise CallFailed("模型的回答被截断（达到 max_tokens）") from None
            if t is not None:
                raise CallFailed(f"模型服务多次出错：{type(t).__name__}: {str(t)[:120]}") from None
            raise CallFailed(f"模型的回答不符合结构：{type(e).__name__}: {str(e).splitlines()[0][:160]}") from None
        finally:
            usage.add(state["prompt"], state["completion"], state["seconds"], call=state["attempt"] > 0)
        answer = normalize_answer(obj.model_dump(mode="json"))
        self.cache.put(k, self.settings.model, self.prompt_version, call.parts, answer, state["prompt"], state["completion"], state["seconds"])
        return answer

    # ------------------------------------------------------------ one report

    def extract(self, doc: Document, layout: Layout, mentions: list[Mention]) -> tuple[Record, Usage, list[Flag]]:
        calls = plan_calls(doc, layout, mentions)
        usage = Usage(self.settings.max_tokens_per_report)
        title = next((ln.strip(" #\t") for ln in doc.text.splitlines() if ln.strip()), "")[:60]

        def work(c: Call) -> tuple[Call, dict[str, Any] | None, str | None]:
            try:
                return c, self.ask(title, c, doc, usage), None
            except CallFailed as e:
                return c, None, str(e)

        with ThreadPoolExecutor(max_workers=max(1, self.settings.concurrency)) as pool:
            answers = list(pool.map(work, calls))
        flags = [Flag(rule="llm_error", severity="warning", paths=[],
                      message=f"模型调用失败（{'、'.join(c.parts)}，{len(c.mentions)} 个候选）：{err}") for c, a, err in answers if err]
        record = record_from_answers(doc, {m.id: m for m in mentions}, [a for _, a, _ in answers if a is not None])
        return record, usage, flags


# ---------------------------------------------------------------- pipeline entry


def extract_with_llm(doc: Document, layout: Layout, mentions: list[Mention], rules_rec: Record, options: Any,
                     client: LLMClient | None) -> Record:
    """The llm backend's record, or the hybrid's (the rules record, cross-checked and completed
    by the model's choices: extractor/merge.py)."""
    from extractor.merge import merge_hybrid

    if client is None:
        raise LLMUnavailable("no model configured")
    t0 = time.perf_counter()
    llm_rec, usage, flags = client.extract(doc, layout, mentions)
    if options.backend == "llm":
        record = llm_rec
        chosen = {p: "llm" for p, g in iter_grounded(record) if hasattr(g, "value") and ".evidence" not in p}
    else:
        record, disagreements, chosen = merge_hybrid(doc, layout, mentions, rules_rec, llm_rec)
        flags += disagreements
    record.flags = flags
    wall = time.perf_counter() - t0
    record.extraction = Extraction(
        backend=options.backend, model=client.model_name, prompt_version=client.prompt_version,
        llm_calls=usage.calls + usage.cached, prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens,
        cached=usage.cached, reasks=usage.reasks,
        # what the model run cost: the calls' own seconds when answers came from the cache
        seconds=round(max(wall, usage.seconds), 3), chosen_by=chosen,
    )
    return record
