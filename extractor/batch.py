"""Many reports: find the inputs, give each a unique output, run them on workers, and keep every
outcome in the batch store (extractor.store).

- Inputs: files as given; folders searched into their subfolders. A file of a kind the tool does
  not read is listed with its reason, never silently dropped.
- Outputs mirror the inputs' folders below their common root (`a/自评报告.pdf` and
  `b/自评报告.pdf` give `OUT/a/自评报告.pdf.json` and `OUT/b/自评报告.pdf.json`).
- A document is done when the store holds a record for its sha256, backend, model, prompt
  version and extractor version: a re-run skips it (`force` redoes it); an interrupted batch
  picks up where it stopped.
- The rules backend runs on a process pool (`workers`); the llm and hybrid backends on threads,
  their calls bounded by the client's concurrency. At most a few documents per worker are in
  flight, so memory stays flat however long the batch.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from extractor import __version__
from extractor.ingest import SUPPORTED_SUFFIXES, IngestError
from extractor.pipeline import Options, extract_file, record_to_json
from extractor.store import Key


@dataclass(frozen=True)
class Task:
    path: Path
    output: Path  # relative to OUT


@dataclass
class Outcome:
    task: Task
    sha256: str | None
    record: dict[str, Any] | None = None
    error: str | None = None
    skipped: bool = False  # done before: the stored record was reused


def find_inputs(paths: list[Path]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """The files to read, in a stable order, and the ones passed over with the reason: a named
    file is always tried (its reader says what is wrong); inside a folder, only files of a kind
    the tool reads."""
    files: list[Path] = []
    skipped: list[tuple[Path, str]] = []
    for p in paths:
        if p.is_dir():
            for f in sorted(x for x in p.rglob("*") if x.is_file()):
                if f.name.startswith(".") or any(part.startswith(".") for part in f.relative_to(p).parts[:-1]):
                    continue  # hidden files and folders (.git, .DS_Store)
                if f.suffix.lower() in SUPPORTED_SUFFIXES:
                    files.append(f)
                else:
                    skipped.append((f, f"不支持的文件类型 {f.suffix or '（无扩展名）'}"))
        else:
            files.append(p)
    seen: set[Path] = set()
    unique = []
    for f in files:
        r = f.resolve()
        if r not in seen:
            seen.add(r)
            unique.append(f)
    return unique, skipped


def plan(files: list[Path]) -> list[Task]:
    """Each file with its output path, `<path below the common root>.json`: unique, stable for
    the same inputs, and readable."""
    if not files:
        return []
    parents = [f.resolve().parent for f in files]
    root = Path(os.path.commonpath(parents))
    return [Task(f, f.resolve().relative_to(root).with_name(f.name + ".json")) for f in files]


def sha256_of(path: Path) -> str | None:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    except OSError:
        return None  # the reader will say what is wrong
    return h.hexdigest()


def key_for(sha256: str, options: Options, llm: object | None) -> Key:
    if options.backend == "rules" or llm is None:
        return Key(sha256, "rules", "", "", __version__)
    return Key(sha256, options.backend, llm.settings.model, llm.prompt_version, __version__)  # type: ignore[attr-defined]


def _extract(path: Path, options: Options, llm: object | None = None, data: bytes | None = None) -> tuple[dict[str, Any] | None, str | None]:
    """One report, never raising: (record as JSON, None) or (None, the reason in one line)."""
    try:
        return record_to_json(extract_file(path, options, llm, data)), None
    except IngestError as e:
        return None, str(e)
    except Exception as e:  # noqa: BLE001 - a bad report must not stop the batch
        if type(e).__name__ == "LLMUnavailable":
            raise
        return None, f"内部错误：{type(e).__name__}: {e}"


class RayMissing(Exception):
    """--ray without the [ray] extra."""


class _LocalPool:
    """Processes (the rules backend) or threads (llm / hybrid, whose client cannot be pickled)
    on this machine."""

    def __init__(self, options: Options, workers: int, llm: object | None):
        if llm is not None:
            n = max(1, llm.settings.concurrency)  # type: ignore[attr-defined]
            self.executor: Executor = ThreadPoolExecutor(max_workers=n)
            self.slots = n * 2
        elif workers > 1:
            self.executor = ProcessPoolExecutor(max_workers=workers)
            self.slots = workers * 4
        else:
            self.executor = ThreadPoolExecutor(max_workers=1)
            self.slots = 2
        self.options, self.llm = options, llm

    def submit(self, path: Path) -> Future:
        if self.llm is not None:
            return self.executor.submit(_extract, path, self.options, self.llm)
        return self.executor.submit(_extract, path, self.options)

    def wait_any(self, pending: dict[Any, Any]) -> list[Any]:
        return list(wait(pending, return_when=FIRST_COMPLETED)[0])

    def result(self, fut: Future) -> tuple[dict[str, Any] | None, str | None]:
        return fut.result()

    def close(self, pending: dict[Any, Any]) -> None:
        for fut in pending:
            fut.cancel()
        self.executor.shutdown(wait=True, cancel_futures=True)


class _RayPool:
    """The same per-document task on a Ray cluster: the report's bytes travel with the task, so a
    worker on another machine needs no shared disk."""

    def __init__(self, address: str, options: Options):
        try:
            import ray
        except ImportError:
            raise RayMissing("--ray 需要 Ray，但未安装；请安装：pip install -e '.[ray]'") from None
        self.ray = ray
        if not ray.is_initialized():
            ray.init(address=None if address == "local" else address, include_dashboard=False, log_to_driver=False,
                     configure_logging=False)
        self.task = ray.remote(_extract)
        self.slots = max(1, int(ray.cluster_resources().get("CPU", 1))) * 4
        self.options = options

    def submit(self, path: Path) -> Any:
        return self.task.remote(path, self.options, None, path.read_bytes())

    def wait_any(self, pending: dict[Any, Any]) -> list[Any]:
        return self.ray.wait(list(pending), num_returns=1)[0]

    def result(self, ref: Any) -> tuple[dict[str, Any] | None, str | None]:
        return self.ray.get(ref)

    def close(self, pending: dict[Any, Any]) -> None:
        for ref in pending:
            self.ray.cancel(ref)  # the cluster outlives the batch; `ray.shutdown()` is the caller's to call


def run_many(tasks: list[Task], options: Options, *, done: Any, workers: int = 0, llm: object | None = None,
             force: bool = False, ray: str | None = None) -> Iterator[Outcome]:
    """Every task's outcome, as they finish, with at most a few reports in flight per worker.
    `done(sha256) -> record | None` answers whether the store holds the document's record
    already (then it is not extracted again, unless `force`); a file with the same bytes as one
    being extracted waits for that record. `ray`: "local" (a Ray instance on this machine),
    "auto" (the cluster this machine is part of) or a cluster address; the rules backend only."""
    pool: _LocalPool | _RayPool = _RayPool(ray, options) if ray is not None else \
        _LocalPool(options, workers or os.cpu_count() or 1, llm)
    pending: dict[Any, tuple[Task, str | None]] = {}
    twins: dict[str, list[Task]] = {}
    queue = iter(tasks)
    try:
        while True:
            while len(pending) < pool.slots:
                task = next(queue, None)
                if task is None:
                    break
                sha = sha256_of(task.path)
                stored = done(sha) if sha and not force else None
                if stored is not None:
                    yield Outcome(task, sha, stored, skipped=True)
                    continue
                if sha is None:  # unreadable here: its reader says why, on this machine
                    record, error = _extract(task.path, options)
                    yield Outcome(task, sha, record, error)
                    continue
                if sha in twins:
                    twins[sha].append(task)
                    continue
                twins[sha] = []
                pending[pool.submit(task.path)] = (task, sha)
            if not pending:
                return
            for handle in pool.wait_any(pending):
                task, sha = pending.pop(handle)
                record, error = pool.result(handle)
                yield Outcome(task, sha, record, error)
                for twin in twins.pop(sha or "", []):
                    yield Outcome(twin, sha, json.loads(json.dumps(record)) if record else None, error, skipped=record is not None)
    finally:
        pool.close(pending)
