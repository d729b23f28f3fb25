"""Benchmark: a batch of 1,000 mixed reports through `extractor extract`, as an operator runs it.

    python bench/batch_speed.py [--n 1000] [--out bench/results/batch_speed.txt]

Makes N distinct reports from the fixtures (texts, digital PDFs, .docx, .xlsx; each with its own
bytes, so none is skipped as a duplicate) in 20 unit folders, then measures with the rules
backend, each run a fresh `extractor` process:

- throughput with 1 and 2 workers (documents per second, wall clock);
- the re-run of the finished batch (everything done: nothing extracted);
- peak memory (largest resident set of the main process and of any worker) for the first 100
  documents and for all N: flat when the batch streams;
- a run killed (SIGKILL) halfway and resumed, whose records must equal a clean run's exactly
  (seconds aside).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
KINDS = [
    ("txt", FIXTURES / "000_6edb1e7869f995cc.txt"), ("txt", FIXTURES / "001_483226dbb7fcc7a4.txt"),
    ("txt", FIXTURES / "002_ad102a3d62571759.txt"), ("txt", FIXTURES / "003_dbfd8887bbff9196.txt"),
    ("pdf", FIXTURES / "000_6edb1e7869f995cc.pdf"), ("pdf", FIXTURES / "004_424dabb8b7582373.pdf"),
    ("docx", FIXTURES / "004_424dabb8b7582373.docx"), ("xlsx", FIXTURES / "004_424dabb8b7582373.xlsx"),
]


def make_batch(folder: Path, n: int) -> dict[str, int]:
    """n reports, each with its own bytes: a line appended to a text, a comment after a PDF's
    end, a title in a .docx's or .xlsx's properties."""
    import docx
    import openpyxl

    counts: dict[str, int] = {}
    for i in range(n):
        kind, src = KINDS[i % len(KINDS)]
        unit = folder / f"单位{i % 20:02d}"
        unit.mkdir(parents=True, exist_ok=True)
        dst = unit / f"自评报告{i:04d}.{kind}"
        if kind == "txt":
            dst.write_text(src.read_text(encoding="utf-8") + f"\n（第{i}份）\n", encoding="utf-8")
        elif kind == "pdf":
            dst.write_bytes(src.read_bytes() + f"\n% copy {i}\n".encode())
        elif kind == "docx":
            d = docx.Document(str(src))
            d.core_properties.title = f"copy {i}"
            d.save(str(dst))
        else:
            wb = openpyxl.load_workbook(src)
            wb.properties.title = f"copy {i}"
            wb.save(dst)
        counts[kind] = counts.get(kind, 0) + 1
    return counts


# A wrapper process per run, so that the peak it reports is that run's alone (a process's
# RUSAGE_CHILDREN peak covers every descendant it waited for, the pool's workers included).
_MEASURE = ("import resource, subprocess, sys; p = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
            "sys.stdout.write(p.stdout); sys.stderr.write(p.stderr); "
            "print('PEAK', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(p.returncode)")


def run(args: list[str]) -> tuple[float, int, str]:
    """Wall seconds, peak RSS in MiB of the extractor process and its workers, and its stdout."""
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", _MEASURE, sys.executable, "-m", "extractor.cli", "extract", *args],
                       capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if p.returncode not in (0, 1):
        raise SystemExit(p.stderr[-2000:])
    out, peak = p.stdout.rsplit("PEAK ", 1)
    return seconds, int(peak) // 1024, out.strip()


def records(out: Path) -> dict[str, dict]:
    got = {}
    for p in sorted(out.rglob("*.json")):
        data = json.loads(p.read_text(encoding="utf-8"))
        data["extraction"].pop("seconds")
        got[str(p.relative_to(out))] = data
    return got


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "batch_speed.txt")
    a = ap.parse_args()
    lines = [f"# bench/batch_speed.py --n {a.n}  ({os.cpu_count()} cores, rules backend, each run a fresh process)"]
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        counts = make_batch(t / "in", a.n)
        small = t / "in100"
        every = sorted((t / "in").rglob("*.*"), key=lambda f: f.name)  # in the order made: every kind in turn
        for f in every[:100]:
            (small / f.parent.name).mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, small / f.parent.name / f.name)
        lines.append(f"batch: {a.n} reports in 20 folders: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        s1, m1, _ = run([str(t / "in"), "-o", str(t / "w1"), "--backend", "rules", "-j", "1", "-q"])
        s2, m2, _ = run([str(t / "in"), "-o", str(t / "w2"), "--backend", "rules", "-j", "2", "-q"])
        lines.append(f"1 worker:  {s1:7.1f} s  {a.n / s1:6.1f} documents/s  peak {m1} MiB")
        lines.append(f"2 workers: {s2:7.1f} s  {a.n / s2:6.1f} documents/s  peak {m2} MiB  ({s1 / s2:.2f}x)")
        rerun, _m, summary = run([str(t / "in"), "-o", str(t / "w2"), "--backend", "rules", "-j", "2", "-q"])
        lines.append(f"re-run of the finished batch: {rerun:.1f} s  ({summary.splitlines()[0][:40]}…)")
        s100, m100, _ = run([str(small), "-o", str(t / "m100"), "--backend", "rules", "-j", "1", "-q"])
        lines.append(f"peak memory, 1 worker: {m100} MiB for 100 documents, {m1} MiB for {a.n}")
        # killed halfway (SIGKILL), then resumed: the records must equal the clean 2-worker run's
        out = t / "killed"
        cmd = [sys.executable, "-m", "extractor.cli", "extract", str(t / "in"), "-o", str(out), "--backend", "rules", "-j", "2", "-q"]
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while len(list(out.rglob("*.json"))) < a.n // 2 and p.poll() is None:
            time.sleep(0.05)
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
        halfway = len(list(out.rglob("*.json")))
        resumed, _m, summary = run([str(t / "in"), "-o", str(out), "--backend", "rules", "-j", "2", "-q"])
        same = records(out) == records(t / "w2")
        lines.append(f"killed after {halfway} records, resumed in {resumed:.1f} s: {summary.splitlines()[0][:60]}…; "
                     f"records equal a clean run's: {'yes' if same else 'NO'}")
    text = "\n".join(lines) + "\n"
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(text, encoding="utf-8")
    print(text, end="")


if __name__ == "__main__":
    main()
