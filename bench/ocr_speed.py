"""Benchmark: OCR seconds per page and peak memory on the scanned fixture.

    python bench/ocr_speed.py

Target: <= 3 s/page on 2 cores. Needs the [ocr] extra. Peak memory is the process's maximum
resident set size (engine and models included).
"""

from __future__ import annotations

import resource
import time
from pathlib import Path

from extractor.ingest import read_document

SCAN = Path(__file__).resolve().parent.parent / "fixtures" / "000_6edb1e7869f995cc.scan.pdf"


def main() -> None:
    from extractor.ocr import _engine

    t0 = time.perf_counter()
    _engine()
    load = time.perf_counter() - t0
    t1 = time.perf_counter()
    doc = read_document(SCAN)
    dt = time.perf_counter() - t1
    n = len(doc.pages)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"engine load {load:.1f} s; {n} pages in {dt:.1f} s = {dt / n:.2f} s/page; {len(doc.text)} characters; peak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    main()
