"""Benchmark: rules-backend documents per second and peak memory over the fixtures.

    python bench/rules_speed.py [--rounds 20]

Reports per format, over the fixtures and the dev-set texts (../shared/devset, when present);
target >= 20 documents/s on one core. Not a test: timings vary with the machine, so they are
measured here and the last run is committed in bench/results/rules_speed.txt.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from pathlib import Path

from extractor.evaluate import shared_root
from extractor.pipeline import Options, extract_file

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=20)
    args = ap.parse_args()
    files = sorted(f for f in FIXTURES.iterdir() if f.suffix in (".txt", ".pdf", ".docx") and ".scan" not in f.name)
    devset = shared_root() / "devset" / "reports"
    if devset.is_dir():
        files += sorted(devset.glob("*.txt"))
    lines: list[str] = []

    def say(line: str) -> None:
        print(line)
        lines.append(line)

    opts = Options(backend="rules")
    for f in files:  # warm up imports and regex caches
        extract_file(f, opts)
    say(f"{'file':<40} {'KB':>6} {'docs/s':>8} {'ms/doc':>8}")
    total_docs = 0
    total_s = 0.0
    for f in files:
        t0 = time.perf_counter()
        for _ in range(args.rounds):
            extract_file(f, opts)
        dt = time.perf_counter() - t0
        total_docs += args.rounds
        total_s += dt
        name = f.name if f.parent == FIXTURES else f"devset/{f.name}"
        say(f"{name:<40} {f.stat().st_size / 1024:>6.1f} {args.rounds / dt:>8.1f} {dt / args.rounds * 1000:>8.1f}")
    tracemalloc.start()
    for f in files:
        extract_file(f, opts)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    say(f"overall: {total_docs / total_s:.1f} documents/s on one core; peak traced memory {peak / 2**20:.1f} MiB")
    out = Path(__file__).resolve().parent / "results" / "rules_speed.txt"
    out.parent.mkdir(exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
