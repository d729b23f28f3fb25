from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"

SEEDS = {
    "000": FIXTURES / "000_6edb1e7869f995cc.txt",
    "001": FIXTURES / "001_483226dbb7fcc7a4.txt",
    "002": FIXTURES / "002_ad102a3d62571759.txt",
    "003": FIXTURES / "003_dbfd8887bbff9196.txt",
    "004": FIXTURES / "004_424dabb8b7582373.txt",
}
PDF_000 = FIXTURES / "000_6edb1e7869f995cc.pdf"
DOCX_004 = FIXTURES / "004_424dabb8b7582373.docx"


@pytest.fixture(scope="session")
def records():
    """Rules-backend records of every fixture, extracted once."""
    from extractor.pipeline import Options, extract_file

    paths = {**SEEDS, "000.pdf": PDF_000, "004.docx": DOCX_004}
    return {k: extract_file(p, Options(backend="rules")) for k, p in paths.items()}


@pytest.fixture(scope="module")
def vcr_config():
    """LLM traffic is replayed from tests/cassettes/ (recorded against a real local model).
    Requests match on their body too: a changed prompt, schema or instructor version needs a
    deliberate re-recording (see the README). No authorization header is ever stored."""
    return {
        "filter_headers": ["authorization", "x-api-key", "api-key"],
        "match_on": ["method", "scheme", "host", "port", "path", "body"],
        "decode_compressed_response": True,
    }
