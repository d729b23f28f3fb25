"""Benchmark: how fast the review page's batch page opens for a batch of N reports.

    python bench/review_speed.py [--n 1000] [--out bench/results/review_speed.txt]

Makes the same mixed batch as bench/batch_speed.py, extracts it (rules, 2 workers), then times
the batch page (GET /, in process, the median of 5) and one report page.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from batch_speed import make_batch  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "review_speed.txt")
    a = ap.parse_args()
    from starlette.testclient import TestClient

    from extractor.review.app import create_app

    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        make_batch(t / "in", a.n)
        subprocess.run([sys.executable, "-m", "extractor.cli", "extract", str(t / "in"), "-o", str(t / "out"),
                        "--backend", "rules", "-j", "2", "-q"], capture_output=True, check=False)
        client = TestClient(create_app(t / "out"))
        times, page = [], ""
        for _ in range(5):
            t0 = time.perf_counter()
            page = client.get("/").text
            times.append(time.perf_counter() - t0)
        rows = page.count('href="/report/')
        first = re.search(r'href="/report/(\d+)"', page).group(1)  # type: ignore[union-attr]
        t0 = time.perf_counter()
        client.get(f"/report/{first}")
        report_s = time.perf_counter() - t0
    text = (f"# bench/review_speed.py --n {a.n}\n"
            f"batch page, {rows} reports: {statistics.median(times):.3f} s (median of 5; first {times[0]:.3f} s)\n"
            f"one report page: {report_s:.3f} s\n")
    a.out.write_text(text, encoding="utf-8")
    print(text, end="")


if __name__ == "__main__":
    main()
