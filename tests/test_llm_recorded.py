"""The llm and hybrid backends against a real model, replayed from recorded cassettes.

Recorded against Qwen2.5-Coder-1.5B-Instruct (Q4_K_M) served by llama.cpp's llama-server
(scripts/local-llm.sh). Re-record, with the server running:

    python3 -m pytest tests/test_llm_recorded.py --record-mode=rewrite

Each test runs one document through the llm backend (real calls, a fresh cache) and then the
hybrid backend (the same answers from that cache, no request of its own). The documents are
the five seeds and dev-set reports of other shapes: an OCR'd project table, a flattened
spreadsheet, a table one cell per paragraph, a narrative full of outputs.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from extractor.build import SCALAR_KINDS
from extractor.cache import Cache
from extractor.evaluate import shared_root
from extractor.grounding import is_grounded, iter_grounded, quote_supports
from extractor.ingest import read_document
from extractor.llm import LLMClient
from extractor.mentions import find
from extractor.pipeline import Options, read_layout, record_from_document
from extractor.settings import PRESETS, Settings
from tests.conftest import SEEDS

PRESET = PRESETS["llamacpp"]
DEVSET = shared_root() / "devset" / "reports"
DOCS = {**{f"seed-{k}": p for k, p in SEEDS.items()},
        **{f"devset-{n}": DEVSET / f"{n}.txt" for n in ("03", "14", "21", "22")}}


@pytest.fixture()
def client(tmp_path):
    s = Settings(base_url=PRESET.base_url, model=PRESET.model, mode=PRESET.mode, concurrency=1,
                 timeout_s=PRESET.timeout_s, cache_path=tmp_path / "cache.sqlite")
    return LLMClient(s, Cache(s.cache_path))


def values(record) -> dict[str, object]:
    return {p: g for p, g in iter_grounded(record) if hasattr(g, "value")}


@pytest.mark.vcr
@pytest.mark.parametrize("name", list(DOCS))
def test_the_model_chooses_mentions_and_hybrid_keeps_what_rules_read(client, name):
    path = DOCS[name]
    if not path.exists():
        pytest.skip(f"dev-set text absent: {path}")
    doc = read_document(path)
    llm = record_from_document(doc, Options(backend="llm"), client)
    hybrid = record_from_document(doc, Options(backend="hybrid"), client)
    rules = record_from_document(doc, Options(backend="rules"))

    ext = llm.extraction
    assert ext.backend == "llm" and ext.prompt_version.startswith("v2-")
    assert ext.llm_calls >= 1 and ext.prompt_tokens > 0 and ext.reasks == 0  # valid on the first try
    # every call answered (a request the cassette does not hold fails its call: re-record)
    assert [f.message for f in llm.flags if f.rule == "llm_error"] == []
    assert hybrid.extraction.cached == ext.llm_calls  # hybrid asked nothing new
    assert hybrid.extraction.prompt_tokens == ext.prompt_tokens  # and reports what the answers cost

    # every value the model chose is a mention, grounded by construction
    reading, layout = read_layout(doc)
    spans = {(m.start, m.end) for m in find(reading, layout)}
    for p, g in values(llm).items():
        assert is_grounded(doc.text, g), p
        if p.startswith(("budget.", "score.", "staffing.", "fiscal_year", "department")) or p.endswith((".value", ".weight", ".score", ".budget", ".executed", ".execution_rate_pct")):
            assert (g.start, g.end) in spans, p
        if not isinstance(g.value, str):
            assert quote_supports(g.quote, g.value, getattr(g, "raw_unit", None)), (p, g.quote, g.value)
    for p, g in values(hybrid).items():
        assert is_grounded(doc.text, g), p

    # hybrid keeps every scalar the rules read, and says which backend chose each value
    for p, g in values(rules).items():
        if p in SCALAR_KINDS:
            h = values(hybrid).get(p)
            assert h is not None and h.value == g.value, p
            assert hybrid.extraction.chosen_by[p] in ("rules", "both"), p
    assert all(v in ("rules", "llm", "both") for v in hybrid.extraction.chosen_by.values())
    # a disagreement is an info flag for review, never an error
    assert all(f.severity == "info" for f in hybrid.flags if f.rule == "backends_disagree")


@pytest.mark.vcr
def test_004_hybrid_still_catches_the_stated_execution_rate(client):
    """Seed 004 states 70.47% for 24.81 / 35.2 = 70.48%: merging the model's answers in must not
    hide it (the answers come from this test's own cassette)."""
    doc = read_document(SEEDS["004"])
    hybrid = record_from_document(doc, Options(backend="hybrid"), client)
    assert hybrid.budget.total_budget.value == D("1689.97")
    assert hybrid.score.total.value == D("94.32")
    assert any(f.rule == "execution_rate" and f.paths[0] == "projects[0].execution_rate_pct" for f in hybrid.flags)
