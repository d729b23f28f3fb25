"""Benchmark: what the llm backend costs per report, read from committed eval runs.

    python bench/llm_cost.py eval/baseline-llm eval/devset-llm [--base-url http://127.0.0.1:8080]

It reads each run's report.json (committed) and the report texts (fixtures/, ../shared/devset).

For each report of each run: the model seconds and the calls, the prompt tokens sent and the
report's own tokens (counted by the model's tokenizer through llama-server's /tokenize, so the
server that ran the eval must be up), and their ratio. Targets (issue 11, local 1.5B on 2
cores): median <= 90 s per seed report, prompt tokens <= 1.3x the report's tokens, 0 re-asks.
Not a test: the seconds are the eval run's own, measured when it ran.
"""

from __future__ import annotations

import argparse
import json
import statistics
import urllib.request
from pathlib import Path

from extractor.evaluate import source_path
from extractor.ingest import read_document

ROOT = Path(__file__).resolve().parent.parent


def tokens(base_url: str, text: str) -> int:
    req = urllib.request.Request(f"{base_url}/tokenize", data=json.dumps({"content": text}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return len(json.load(r)["tokens"])


def source(doc: str) -> Path:
    """The report a scored document names (as the golden records name it)."""
    return source_path(ROOT / "fixtures" / "golden", doc)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--base-url", default="http://127.0.0.1:8080")
    args = ap.parse_args()
    for run in args.runs:
        rows = []
        report = json.loads((run / "report.json").read_text(encoding="utf-8"))
        for doc, scores in sorted(report["documents"].items()):
            ext = scores["extraction"]
            src = source(doc)
            n = tokens(args.base_url, read_document(src).text)
            rows.append((src.name, ext["llm_calls"], ext["prompt_tokens"], n, ext["seconds"], ext.get("reasks", 0)))
        print(f"# {run}")
        print(f"{'report':<34} {'calls':>5} {'prompt tok':>10} {'report tok':>10} {'ratio':>6} {'seconds':>8} {'re-asks':>7}")
        for name, calls, pt, n, s, ra in rows:
            print(f"{name:<34} {calls:>5} {pt:>10} {n:>10} {pt / max(n, 1):>6.2f} {s:>8.1f} {ra:>7}")
        if rows:
            pt, n = sum(r[2] for r in rows), sum(r[3] for r in rows)
            print(f"median seconds {statistics.median(r[4] for r in rows):.1f}; max {max(r[4] for r in rows):.1f}; "
                  f"prompt tokens / report tokens {pt / n:.2f} overall, max {max(r[2] / max(r[3], 1) for r in rows):.2f}; "
                  f"re-asks {sum(r[5] for r in rows)}")
        print()


if __name__ == "__main__":
    main()
