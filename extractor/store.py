"""The batch store: one SQLite database per output folder (OUT/extractor.db), the single record
of a batch. The JSON files beside it are written from it.

Tables (sqlite-utils does the plumbing; the schema grows by numbered migrations, PRAGMA
user_version says which have run; WAL journal, one writer: the batch's main process):

- documents: one row per input path (path as given, the output it maps to, sha256, format,
  pages, characters, the last outcome and its reason when it failed).
- records:   one row per (sha256, backend, model, prompt version, extractor version): the record
  as JSON, its timings and LLM use. A document is done when its key has a row here.
- flags:     the flags of each record, one row each (rule, severity, message, paths).
- runs:      one row per `extract` run: options, counts, seconds.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils

DB_NAME = "extractor.db"


@dataclass(frozen=True)
class Key:
    """What makes a record reusable: the same bytes read by the same code and model."""

    sha256: str
    backend: str
    model: str
    prompt_version: str
    extractor_version: str

    @property
    def id(self) -> str:
        return "|".join((self.sha256, self.backend, self.model, self.prompt_version, self.extractor_version))


def _m1_tables(db: sqlite_utils.Database) -> None:
    db["documents"].create({"path": str, "output": str, "sha256": str, "format": str, "pages": int, "chars": int,
                            "status": str, "reason": str, "record_key": str, "updated": float}, pk="path")
    db["records"].create({"key": str, "sha256": str, "backend": str, "model": str, "prompt_version": str,
                          "extractor_version": str, "record": str, "seconds": float, "llm_calls": int,
                          "prompt_tokens": int, "completion_tokens": int, "created": float}, pk="key")
    db["records"].create_index(["sha256"])
    db["flags"].create({"record_key": str, "n": int, "rule": str, "severity": str, "message": str, "paths": str},
                       pk=("record_key", "n"), foreign_keys=[("record_key", "records", "key")])
    db["runs"].create({"id": int, "started": float, "finished": float, "backend": str, "model": str,
                       "prompt_version": str, "extractor_version": str, "workers": int, "inputs": int, "done": int,
                       "skipped": int, "failed": int, "seconds": float}, pk="id")


def _m2_reviews(db: sqlite_utils.Database) -> None:
    """An operator's decisions on flags: kept by document path and flag, with the bytes and the
    flag they were made on, so that they survive re-extraction of an unchanged document and
    show as stale when either changed."""
    db["reviews"].create({"id": int, "path": str, "sha256": str, "flag_key": str, "rule": str, "decision": str,
                          "reason": str, "field": str, "value": str, "span_start": int, "span_end": int, "manual": int,
                          "note": str, "reviewer": str, "decided": float, "version": int}, pk="id")
    db["reviews"].create_index(["path", "flag_key"], unique=True)


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [_m1_tables, _m2_reviews]

DECISIONS = ("confirm", "dismiss", "correct")


def flag_key(flag: dict[str, Any]) -> str:
    """What identifies a flag across re-extractions: its rule, the paths it involves and the
    numbers it compares (a changed value makes it another flag)."""
    return json.dumps([flag["rule"], sorted(flag.get("paths", [])), str(flag.get("expected")), str(flag.get("found"))],
                      ensure_ascii=False)


class Conflict(Exception):
    """The decision changed since the version the caller saw (another tab saved first)."""


class Store:
    def __init__(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / DB_NAME
        self.db = sqlite_utils.Database(self.path)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA busy_timeout=10000")
        self._migrate()

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        for n, step in enumerate(MIGRATIONS[version:], version + 1):
            with self.db.conn:
                step(self.db)
                self.db.execute(f"PRAGMA user_version = {n}")

    @property
    def schema_version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    def record(self, key: Key) -> dict[str, Any] | None:
        """The stored record for this key, or None when the document is not done."""
        row = self.db.execute("SELECT record FROM records WHERE key = ?", [key.id]).fetchone()
        return json.loads(row[0]) if row else None

    def save(self, path: str, output: str, key: Key, record: dict[str, Any]) -> None:
        """A document's record, its flags and its row, in one transaction: a batch killed at any
        point leaves either all of them or none."""
        ext = record.get("extraction", {})
        src = record.get("source", {})
        with self.db.conn:
            self.db["records"].insert({
                "key": key.id, "sha256": key.sha256, "backend": key.backend, "model": key.model,
                "prompt_version": key.prompt_version, "extractor_version": key.extractor_version,
                "record": json.dumps(record, ensure_ascii=False), "seconds": ext.get("seconds", 0.0),
                "llm_calls": ext.get("llm_calls", 0), "prompt_tokens": ext.get("prompt_tokens", 0),
                "completion_tokens": ext.get("completion_tokens", 0), "created": time.time()}, replace=True)
            self.db.execute("DELETE FROM flags WHERE record_key = ?", [key.id])
            self.db["flags"].insert_all(
                ({"record_key": key.id, "n": n, "rule": f["rule"], "severity": f["severity"], "message": f["message"],
                  "paths": json.dumps(f["paths"], ensure_ascii=False)} for n, f in enumerate(record.get("flags", []))))
            self.db["documents"].upsert({
                "path": path, "output": output, "sha256": key.sha256, "format": src.get("format"),
                "pages": src.get("pages"), "chars": src.get("chars"), "status": "done", "reason": None,
                "record_key": key.id, "updated": time.time()}, pk="path")  # upsert: a document keeps its id (the review page's address)

    def failed(self, path: str, output: str, sha256: str | None, reason: str) -> None:
        with self.db.conn:
            self.db["documents"].upsert({"path": path, "output": output, "sha256": sha256, "status": "failed",
                                         "reason": reason, "record_key": None, "updated": time.time()}, pk="path")

    def mark_done(self, path: str, output: str, key: Key) -> None:
        """A document whose record was already stored (a resumed batch, or the same file twice)."""
        with self.db.conn:
            self.db["documents"].upsert({"path": path, "output": output, "sha256": key.sha256, "status": "done",
                                         "reason": None, "record_key": key.id, "updated": time.time()},
                                        pk="path")

    def start_run(self, key: Key, workers: int, inputs: int) -> int:
        with self.db.conn:
            table = self.db["runs"]
            table.insert({"started": time.time(), "backend": key.backend, "model": key.model,
                          "prompt_version": key.prompt_version, "extractor_version": key.extractor_version,
                          "workers": workers, "inputs": inputs})
            return int(table.last_pk)  # type: ignore[arg-type]

    def finish_run(self, run_id: int, done: int, skipped: int, failed: int, seconds: float) -> None:
        with self.db.conn:
            self.db["runs"].update(run_id, {"finished": time.time(), "done": done, "skipped": skipped,
                                            "failed": failed, "seconds": round(seconds, 3)})

    def decide(self, path: str, sha256: str, flag: dict[str, Any], decision: str, reviewer: str, *,
               reason: str | None = None, field: str | None = None, value: str | None = None,
               span: tuple[int, int] | None = None, manual: bool = False, note: str | None = None,
               seen_version: int | None = None) -> int:
        """Record an operator's decision on a flag; returns its new version. `seen_version` is the
        version the operator's page showed: if someone saved since, Conflict is raised rather
        than overwriting their decision silently."""
        if decision not in DECISIONS:
            raise ValueError(f"unknown decision {decision!r}")
        key = flag_key(flag)
        with self.db.conn:
            row = self.db.execute("SELECT id, version FROM reviews WHERE path = ? AND flag_key = ?", [path, key]).fetchone()
            current = row[1] if row else 0
            if seen_version is not None and seen_version != current:
                raise Conflict(f"该标记已被他人更新（版本 {current}），请刷新后再操作")
            data = {"path": path, "sha256": sha256, "flag_key": key, "rule": flag["rule"], "decision": decision,
                    "reason": reason, "field": field, "value": value, "span_start": span[0] if span else None,
                    "span_end": span[1] if span else None, "manual": int(manual), "note": note, "reviewer": reviewer,
                    "decided": time.time(), "version": current + 1}
            if row:
                self.db["reviews"].update(row[0], data)
            else:
                self.db["reviews"].insert(data)
        return current + 1

    def decisions(self, path: str) -> dict[str, dict[str, Any]]:
        """A document's decisions by flag key."""
        return {r["flag_key"]: r for r in self.db.query("SELECT * FROM reviews WHERE path = ?", [path])}

    def documents(self) -> list[dict[str, Any]]:
        """Every document of the batch, by path, with its stable id (`rowid`)."""
        return list(self.db.query("SELECT rowid, * FROM documents ORDER BY path"))

    def document(self, doc_id: int) -> dict[str, Any] | None:
        """The document with this id (`rowid`: documents are upserted, so it outlives re-extraction)."""
        return next(iter(self.db.query("SELECT rowid, * FROM documents WHERE rowid = ?", [doc_id])), None)

    def record_of(self, record_key: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT record FROM records WHERE key = ?", [record_key]).fetchone()
        return json.loads(row[0]) if row else None

    def close(self) -> None:
        self.db.close()
