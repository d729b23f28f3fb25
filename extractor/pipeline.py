"""One report from file to record: ingest -> segment -> extract (rules; mentions -> model
choices -> build, for the llm and hybrid backends) -> ground -> reconcile.

I/O lives at the edges (reading the file, writing the JSON); the stages in between are pure.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from dataclasses import replace

from extractor import lexicon
from extractor.ingest import Document, read_bytes, read_document
from extractor.readers import mask_chrome
from extractor.models import Record, Source
from extractor.segment import Layout, segment
from extractor.simplified import restore, simplified_view


@dataclass
class Options:
    backend: str = "rules"  # rules | llm | hybrid (auto is resolved by the CLI)
    max_bytes: int = 64 * 1024 * 1024


def source_of(doc: Document) -> Source:
    return Source(
        path=doc.path,
        sha256=doc.sha256,
        format=doc.format,  # type: ignore[arg-type]
        pages=len(doc.pages),
        ocr=doc.ocr,
        encoding=doc.encoding,
        chars=len(doc.text),
    )


def read_layout(doc: Document) -> tuple[Document, Layout]:
    """The document as every reader sees it, and its sections and tables: traditional characters
    read as simplified ones and page chrome blanked (offsets unchanged), so the lexicon's words
    match and navigation, page metadata and phone numbers are never data."""
    view = simplified_view(doc.text)
    masked, _chrome = mask_chrome(view or doc.text, lexicon.load())
    structural = ("docx", "xlsx", "xls", "doc", "wps", "rtf", "et")  # tables known from the file's own structure
    kind = "pdf" if doc.format in ("pdf", "ofd") else "docx" if doc.format in structural else "ocr"  # what reported the table spans
    return replace(doc, text=masked, simplified=view is not None), segment(masked, doc.table_spans, kind)


def record_from_document(doc: Document, options: Options, llm: object | None = None) -> Record:
    """Extract, merge, ground and reconcile one ingested document."""
    from extractor import reconcile, rules

    t0 = time.perf_counter()
    from extractor.mentions import find

    reading, layout = read_layout(doc)
    mentions = find(reading, layout)  # parsed once, for both backends
    record = rules.extract(reading, layout, mentions)
    record.source = source_of(doc)
    if options.backend in ("llm", "hybrid"):
        from extractor import llm as llm_mod

        record = llm_mod.extract_with_llm(reading, layout, mentions, record, options, llm)  # type: ignore[arg-type]
        record.source = source_of(doc)
    if reading.simplified:
        restore(record, reading.text, doc.text)  # the characters as the report writes them
    from extractor.grounding import enforce

    record.flags = enforce(record, doc.text) + record.flags
    record.flags = reconcile.reconcile(record)
    if doc.ocr:
        from extractor import ocr_checks

        record.flags += (ocr_checks.shape_flags(doc.text) + ocr_checks.dropped_points(layout.tables)
                         + ocr_checks.one_char_fixes(record.flags))
    if options.backend == "rules":
        record.extraction.seconds = round(time.perf_counter() - t0, 3)
    return record


def extract_file(path: str | Path, options: Options, llm: object | None = None, data: bytes | None = None) -> Record:
    """One report file to its record; with `data`, the file's bytes are given (a worker on a
    machine that cannot see the file)."""
    t0 = time.perf_counter()
    doc = read_document(path, max_bytes=options.max_bytes) if data is None else read_bytes(path, data, options.max_bytes)
    reading = time.perf_counter() - t0  # parsing, and OCR for a scan
    record = record_from_document(doc, options, llm)
    record.extraction.seconds = round(record.extraction.seconds + reading, 3)
    return record


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _read_umask()  # read once, before any worker thread writes


def write_json_atomic(path: Path, data: dict | list) -> None:
    """Write JSON so that readers never see half a file: temp file, fsync, rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes it 0600; the record is as readable as any file the user writes
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, indent=2)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def record_to_json(record: Record) -> dict:
    return record.model_dump(mode="json")
