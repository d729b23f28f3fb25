"""Schema-constrained LLM extraction: chunk, prompt, call (instructor + openai), ground, merge.

- Chunks follow the report's own sections and tables under a character budget; each chunk
  is sent once, with only the schema parts it can fill, so a report costs few calls.
- Instructor re-asks the model when a validator in llm_schema rejects an answer; tenacity
  retries transport errors, timeouts, 429 and 5xx with backoff, honouring Retry-After.
- Answers are cached in SQLite by model, prompt version, schema hash and chunk text; every
  attempt is logged with its tokens and latency.
- `hybrid` merges the rules record with the LLM record: where they disagree, the value whose
  quote verifies is kept and the disagreement is flagged.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from extractor.cache import Cache, cache_key
from extractor.grounding import evidence, g_amount, g_int, g_num, g_str, key, locate, ungrounded_reason
from extractor.ingest import Document
from extractor.llm_schema import PARTS, chunk_model, describe_fields
from extractor.models import Evidence, Extraction, Flag, Indicator, Output, Project, Record, Source
from extractor.normalize import COUNT_RE, MONEY_RE, QUANTITY_UNITS, parse_money, parse_number, parse_percent
from extractor.segment import Layout
from extractor.settings import Settings

PROMPTS = Path(__file__).resolve().parent.parent / "prompts" / "v1"

# instructor logs every failed attempt at ERROR level; our own log (the cache's calls table)
# records them, and a batch's terminal shows one line per report instead
logging.getLogger("instructor").setLevel(logging.CRITICAL)
CHUNK_CHARS = 2400


class LLMUnavailable(Exception):
    """The endpoint cannot be reached at all (connection refused, DNS): stop the batch."""


class ChunkFailed(Exception):
    """One chunk could not be extracted (after retries); the report goes on without it."""


# ---------------------------------------------------------------- prompts


def _read_prompt(name: str) -> str:
    return (PROMPTS / name).read_text(encoding="utf-8")


def prompt_version() -> str:
    """v1 plus a hash of the prompt files: an edited prompt is a new version (and a cache miss)."""
    h = hashlib.sha256()
    for f in sorted(PROMPTS.iterdir()):
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return f"{PROMPTS.name}-{h.hexdigest()[:8]}"


def _field_guides() -> dict[str, str]:
    guides: dict[str, str] = {}
    current = None
    for line in _read_prompt("fields.md").splitlines():
        if line.startswith("## "):
            current = line[3:].strip()
            guides[current] = ""
        elif current and line.strip():
            guides[current] += line.strip()
    return guides


def build_messages(title: str, chunk_text: str, parts: list[str], n: int, count: int) -> list[dict[str, str]]:
    guides = _field_guides()
    blocks = []
    for p in parts:
        blocks.append(f"【{p}】{guides.get(p, '')}")
        blocks.extend(describe_fields(p))
    user = _read_prompt("user.md").format(title=title, chunk_no=n, chunk_count=count, fields="\n".join(blocks), chunk=chunk_text)
    return [{"role": "system", "content": _read_prompt("system.md").strip()}, {"role": "user", "content": user.strip()}]


# ---------------------------------------------------------------- chunking


@dataclass
class Chunk:
    start: int
    end: int
    text: str
    parts: list[str]


_MONEY_CTX = re.compile(r"预算|决算|执行|收入|支出")
_SCORE_CTX = re.compile(r"得分|自评结果|评价等级|总分|等级为|自评价|评价结论")
_PROJECT_CTX = re.compile(r"项目名称|项目.{0,40}(?:自评得分|预算数)")
_PROBLEM_CTX = re.compile(r"存在问题|存在的问题|主要问题|改进措施|整改措施|改进的方向")


def parts_for(text: str, first: bool) -> list[str]:
    parts = []
    if first or re.search(r"编制人数|实有人数|在职人数|退休人员|人员编制|部门名称|单位名称", text):
        parts.append("profile")
    if MONEY_RE.search(text) and _MONEY_CTX.search(text):
        parts.append("budget")
    if _SCORE_CTX.search(text) and re.search(r"\d\s*分", text):
        parts.append("score")
    if re.search(r"[一二三]级指标", text):
        parts.append("indicators")
    if _PROJECT_CTX.search(text):
        parts.append("projects")
    if any(m for m in COUNT_RE.finditer(text) if not re.fullmatch(r"[一二两三四五六七八九十]", m.group("num"))):
        parts.append("outputs")
    if _PROBLEM_CTX.search(text):
        parts.append("problems")
    return parts


def make_chunks(doc: Document, layout: Layout, max_chars: int = CHUNK_CHARS) -> list[Chunk]:
    """Cut at top-level sections and table edges, pack neighbours up to max_chars, and split
    anything longer at line breaks. Every character of the text lands in exactly one chunk."""
    text = doc.text
    cuts = {0, len(text)}
    cuts.update(s.start for s in layout.sections)
    for s in layout.sections:
        if s.end - s.start > max_chars:
            cuts.update(c.start for c in s.children)
    for t in layout.tables:
        cuts.update((t.start, min(len(text), t.end + 1)))
    bounds = sorted(cuts)
    blocks: list[tuple[int, int]] = []
    for a, b in zip(bounds, bounds[1:]):
        while b - a > max_chars:
            cut = text.rfind("\n", a + max_chars // 3, a + max_chars)
            cut = a + max_chars if cut == -1 else cut + 1
            blocks.append((a, cut))
            a = cut
        if b > a:
            blocks.append((a, b))
    packed: list[tuple[int, int]] = []
    for a, b in blocks:
        if packed and b - packed[-1][0] <= max_chars:
            packed[-1] = (packed[-1][0], b)
        else:
            packed.append((a, b))
    chunks = []
    for i, (a, b) in enumerate(packed):
        parts = parts_for(text[a:b], first=(i == 0))
        if parts and text[a:b].strip():
            chunks.append(Chunk(a, b, text[a:b], parts))
    return chunks


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
    """Tokens, calls and cache hits of one report, shared by its chunk threads."""

    def __init__(self, limit: int):
        self.limit = limit
        self.calls = 0
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.cached = 0
        self._lock = threading.Lock()

    def add(self, prompt: int, completion: int, call: bool = True) -> None:
        with self._lock:
            self.prompt_tokens += prompt
            self.completion_tokens += completion
            self.calls += int(call)

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
        # bounds the calls in flight across all chunks of all reports of a batch
        self._slots = threading.BoundedSemaphore(max(1, settings.concurrency))

    def _schema_hash(self, model: type[BaseModel]) -> str:
        return hashlib.sha256(json.dumps(model.model_json_schema(), sort_keys=True).encode()).hexdigest()[:16]

    def ask(self, title: str, chunk: Chunk, n: int, count: int, usage: Usage) -> dict[str, Any]:
        """The validated answer for one chunk, from the cache or the model."""
        import instructor
        import openai
        from instructor.core import IncompleteOutputException
        from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

        model = chunk_model(chunk.parts)
        k = cache_key(self.settings.model, self.prompt_version, self._schema_hash(model), self.settings.mode, chunk.text, ",".join(chunk.parts))
        hit = self.cache.get(k)
        if hit is not None:
            with usage._lock:
                usage.cached += 1
            return hit["answer"]
        if usage.exhausted:
            raise ChunkFailed(f"token limit per report ({usage.limit}) reached; chunk skipped")
        messages = build_messages(title, chunk.text, chunk.parts, n, count)
        client = instructor.from_openai(self.openai, mode=self.mode)
        state = {"attempt": 0, "t0": 0.0, "prompt": 0, "completion": 0}

        def on_kwargs(*_: Any, **__: Any) -> None:
            state["attempt"] += 1
            state["t0"] = time.perf_counter()

        def on_response(resp: Any) -> None:
            u = getattr(resp, "usage", None)
            p, c = (getattr(u, "prompt_tokens", 0) or 0, getattr(u, "completion_tokens", 0) or 0) if u else (0, 0)
            state["prompt"] += p
            state["completion"] += c
            usage.add(p, c)
            self.cache.log(self.settings.model, self.prompt_version, k, state["attempt"], "ok", p, c, time.perf_counter() - state["t0"])

        def on_error(err: Any, *_: Any, **__: Any) -> None:
            self.cache.log(self.settings.model, self.prompt_version, k, state["attempt"], "error", 0, 0,
                           time.perf_counter() - state["t0"], f"{type(err).__name__}: {str(err)[:200]}")

        def on_parse_error(err: Any, *_: Any, **__: Any) -> None:
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
                        max_retries=1,  # one re-ask on validation errors; then salvage
                        context={"chunk": chunk.text},
                        temperature=self.settings.temperature,
                        max_tokens=2048,
                    )
        except Exception as e:  # noqa: BLE001 - classified below
            t = _transport_error(e)
            if isinstance(t, openai.APIConnectionError) and not isinstance(t, openai.APITimeoutError):
                raise LLMUnavailable(f"cannot reach the model at {self.settings.base_url}: {type(t).__name__}") from None
            if isinstance(e, IncompleteOutputException):
                raise ChunkFailed("the model's answer was cut off (max tokens reached)") from None
            if t is not None:
                raise ChunkFailed(f"the model endpoint kept failing: {type(t).__name__}: {str(t)[:120]}") from None
            salvaged = self._salvage(e, chunk)
            if salvaged is None:
                raise ChunkFailed(f"no valid answer after re-asking: {type(e).__name__}: {str(e).splitlines()[0][:160]}") from None
            answer, dropped = salvaged
            self.cache.log(self.settings.model, self.prompt_version, k, state["attempt"], "salvaged", 0, 0, 0.0,
                           f"{dropped} facts failed validation and were dropped")
            answer["_dropped"] = dropped
            self.cache.put(k, self.settings.model, self.prompt_version, chunk.parts, answer, state["prompt"], state["completion"])
            return answer
        answer = obj.model_dump(mode="json")
        self.cache.put(k, self.settings.model, self.prompt_version, chunk.parts, answer, state["prompt"], state["completion"])
        return answer

    @staticmethod
    def _salvage(exc: Exception, chunk: Chunk) -> tuple[dict[str, Any], int] | None:
        """The valid facts of the last rejected answer, or None when it was not JSON at all."""
        from extractor.llm_schema import salvage

        completion = getattr(exc, "last_completion", None)
        try:
            content = completion.choices[0].message.content  # type: ignore[union-attr]
            raw = json.loads(content)
        except (AttributeError, IndexError, TypeError, ValueError):
            return None
        if not isinstance(raw, dict):
            return None
        return salvage(chunk.parts, raw, chunk.text)

    # ------------------------------------------------------------ one report

    def extract(self, doc: Document, layout: Layout) -> tuple[Record, Usage, list[Flag]]:
        chunks = make_chunks(doc, layout)
        usage = Usage(self.settings.max_tokens_per_report)
        title = next((ln.strip(" #\t") for ln in doc.text.splitlines() if ln.strip()), "")[:60]
        answers: list[tuple[Chunk, dict[str, Any] | None, str | None]] = []

        def work(i: int, c: Chunk) -> tuple[Chunk, dict[str, Any] | None, str | None]:
            try:
                return c, self.ask(title, c, i + 1, len(chunks), usage), None
            except ChunkFailed as e:
                return c, None, str(e)

        with ThreadPoolExecutor(max_workers=max(1, self.settings.concurrency)) as pool:
            answers = list(pool.map(lambda ic: work(*ic), enumerate(chunks)))
        flags = [Flag(rule="llm_error", severity="warning", message=f"chunk [{c.start}:{c.end}] ({', '.join(c.parts)}): {err}",
                      paths=[]) for c, a, err in answers if err]
        flags += [Flag(rule="llm_error", severity="info", paths=[],
                       message=f"chunk [{c.start}:{c.end}]: {a['_dropped']} facts of the model's answer failed validation and were dropped")
                  for c, a, _ in answers if a and a.get("_dropped")]
        record = facts_to_record(doc, [(c, a) for c, a, _ in answers if a is not None])
        return record, usage, flags


# ---------------------------------------------------------------- answers -> record


def _span(doc: Document, chunk: Chunk, quote: str) -> tuple[int, int] | None:
    hit = locate(chunk.text, quote)
    if hit is None:
        return None
    return chunk.start + hit[0], chunk.start + hit[1]


def _money(doc: Document, chunk: Chunk, f: dict[str, Any] | None):  # noqa: ANN202
    if not f:
        return None
    span = _span(doc, chunk, f["quote"])
    m = parse_money(f"{f['value']}{f['unit']}")
    if span is None or m is None:
        return None
    return g_amount(doc, m, *span)


def _points(doc: Document, chunk: Chunk, f: dict[str, Any] | None):  # noqa: ANN202
    if not f:
        return None
    span = _span(doc, chunk, f["quote"])
    n = parse_number(f["value"])
    return None if span is None or n is None else g_num(doc, n.value, *span, n.approx)


def _pct(doc: Document, chunk: Chunk, f: dict[str, Any] | None):  # noqa: ANN202
    if not f:
        return None
    span = _span(doc, chunk, f["quote"])
    v = f["value"]
    p = parse_percent(v if "%" in v else f"{v}%")
    return None if span is None or p is None else g_num(doc, p.value, *span, p.approx)


def facts_to_record(doc: Document, answers: list[tuple[Chunk, dict[str, Any]]]) -> Record:
    """Ground every answered fact in the document text and merge chunks in document order:
    the first statement of a scalar wins; list items are concatenated and de-duplicated."""
    r = Record(source=Source(path=doc.path, sha256=doc.sha256, format=doc.format, pages=len(doc.pages)))  # type: ignore[arg-type]
    for chunk, ans in answers:
        prof = ans.get("profile") or {}
        if prof:
            if r.department is None and prof.get("department"):
                d = prof["department"]
                sp = _span(doc, chunk, d["quote"])
                if sp:
                    inner = doc.text[sp[0]:sp[1]].find(d["value"])
                    r.department = g_str(doc, d["value"], sp[0] + inner, sp[0] + inner + len(d["value"])) if inner >= 0 else g_str(doc, d["value"], *sp)
            if r.fiscal_year is None and prof.get("fiscal_year"):
                y = prof["fiscal_year"]
                sp = _span(doc, chunk, y["quote"])
                if sp:
                    r.fiscal_year = g_int(doc, int(y["value"]), *sp)
            for f in ("authorized", "actual", "retired"):
                if getattr(r.staffing, f) is None and prof.get(f):
                    g = _points(doc, chunk, prof[f])
                    if g is not None and g.value == g.value.to_integral_value():
                        setattr(r.staffing, f, g_int(doc, int(g.value), g.start, g.end))
        bud = ans.get("budget") or {}
        for f, v in bud.items():
            if getattr(r.budget, f) is None and v:
                setattr(r.budget, f, _pct(doc, chunk, v) if f == "execution_rate_pct" else _money(doc, chunk, v))
        sc = ans.get("score") or {}
        if r.score.total is None and sc.get("total"):
            r.score.total = _points(doc, chunk, sc["total"])
        if r.score.grade is None and sc.get("grade"):
            sp = _span(doc, chunk, sc["grade"]["quote"])
            if sp:
                r.score.grade = g_str(doc, sc["grade"]["value"], *sp)
        for it in (ans.get("indicators") or {}).get("indicators", []):
            if any(key(i.name) == key(it["name"]) for i in r.indicators):
                continue
            r.indicators.append(Indicator(level=it["level"], name=it["name"], parent=it.get("parent"),
                                          weight=_points(doc, chunk, it.get("weight")), score=_points(doc, chunk, it.get("score")),
                                          evidence=evidence(doc, chunk.start, chunk.end)))
        for it in (ans.get("projects") or {}).get("projects", []):
            from extractor.rules import find_project

            p = Project(name=it["name"], budget=_money(doc, chunk, it.get("budget")), executed=_money(doc, chunk, it.get("executed")),
                        execution_rate_pct=_pct(doc, chunk, it.get("execution_rate_pct")), score=_points(doc, chunk, it.get("score")))
            same = find_project(r.projects, p.name)
            if same is None:
                r.projects.append(p)
            else:
                for f in ("budget", "executed", "execution_rate_pct", "score"):
                    if getattr(same, f) is None:
                        setattr(same, f, getattr(p, f))
        for it in (ans.get("outputs") or {}).get("outputs", []):
            sp = _span(doc, chunk, it["quote"])
            n = parse_number(it["value"])
            if sp is None or n is None or it["unit"] not in QUANTITY_UNITS:
                continue  # an output is a count with a measure word, not a rate or an amount
            approx = n.approx or bool(re.search(r"余|多|约|左右|近|以上", it["quote"]))
            if any(key(o.name) == key(it["name"]) and o.value.value == n.value for o in r.outputs):
                continue
            r.outputs.append(Output(name=it["name"], value=g_num(doc, n.value, *sp, approx), unit=it["unit"], approx=approx,
                                    evidence=evidence(doc, *sp)))
        pm = ans.get("problems") or {}
        r.problems += [p for p in pm.get("problems", []) if p not in r.problems]
        r.measures += [m for m in pm.get("measures", []) if m not in r.measures]
    return r


# ---------------------------------------------------------------- hybrid

SCALAR_PATHS = ["department", "fiscal_year"] + [f"budget.{f}" for f in (
    "total_budget", "initial_budget", "executed", "execution_rate_pct", "basic_budget", "basic_executed",
    "project_budget", "project_executed", "revenue_total", "fiscal_appropriation")] + [
    "score.total", "score.grade", "staffing.authorized", "staffing.actual", "staffing.retired"]


def _get(obj: Any, path: str) -> Any:
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def _set(obj: Any, path: str, value: Any) -> None:
    *head, last = path.split(".")
    for part in head:
        obj = getattr(obj, part)
    setattr(obj, last, value)


def _verifies(text: str, g: Evidence | None) -> bool:
    return g is not None and ungrounded_reason(text, g) is None


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, (Decimal, int)) and isinstance(b, (Decimal, int)):
        return Decimal(a) == Decimal(b)
    return key(str(a)) == key(str(b))


def merge_hybrid(text: str, rules_rec: Record, llm_rec: Record) -> tuple[Record, list[Flag]]:
    """Rules first; the LLM fills what the rules missed; where both speak and disagree, the
    value whose quote verifies stays (the rules' when both do) and the disagreement is flagged."""
    out = rules_rec.model_copy(deep=True)
    flags: list[Flag] = []
    for path in SCALAR_PATHS:
        r, l_ = _get(rules_rec, path), _get(llm_rec, path)
        if l_ is None:
            continue
        if r is None:
            if _verifies(text, l_):
                _set(out, path, l_)
            continue
        if _equal(r.value, l_.value):
            continue
        keep_llm = not _verifies(text, r) and _verifies(text, l_)
        if keep_llm:
            _set(out, path, l_)
        flags.append(Flag(rule="rules_llm_disagree", severity="warning", paths=[path],
                          expected=_json_value(r.value), found=_json_value(l_.value),
                          message=f"{path}: rules read {r.value} ({r.quote[:30]!r}), the model read {l_.value} ({l_.quote[:30]!r}); kept {'the model' if keep_llm else 'rules'}"))
    from extractor.rules import find_project

    for p in llm_rec.projects:
        match = find_project(out.projects, p.name)
        if match is None:
            out.projects.append(p)
            continue
        for f in ("budget", "executed", "execution_rate_pct", "score"):
            lv = getattr(p, f)
            if getattr(match, f) is None and lv is not None and _verifies(text, lv):
                setattr(match, f, lv)
    names = {key(i.name) for i in out.indicators}
    out.indicators += [i for i in llm_rec.indicators if key(i.name) not in names]
    for o in llm_rec.outputs:
        dup = any(x.value.value == o.value.value and x.unit == o.unit for x in out.outputs)
        if not dup:
            out.outputs.append(o)
    if not out.problems:
        out.problems = llm_rec.problems
    if not out.measures:
        out.measures = llm_rec.measures
    return out, flags


def _json_value(v: Any) -> Any:
    return v if isinstance(v, (Decimal, str)) else str(v)


# ---------------------------------------------------------------- pipeline entry


def extract_with_llm(doc: Document, layout: Layout, rules_rec: Record, options: Any, client: LLMClient | None) -> Record:
    if client is None:
        raise LLMUnavailable("no model configured")
    t0 = time.perf_counter()
    llm_rec, usage, flags = client.extract(doc, layout)
    if options.backend == "llm":
        record = llm_rec
    else:
        record, disagreements = merge_hybrid(doc.text, rules_rec, llm_rec)
        flags += disagreements
    record.flags = flags
    record.extraction = Extraction(
        backend=options.backend, model=client.model_name, prompt_version=client.prompt_version,
        llm_calls=usage.calls, prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens,
        cached=usage.cached, seconds=round(time.perf_counter() - t0, 3),
    )
    return record
