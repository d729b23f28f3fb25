"""SQLite cache of LLM answers and a log of every call attempt.

The cache key is the model, prompt version, mode, schema and prompt; an answer keeps the
tokens and seconds it cost: re-running the
same inputs makes zero calls. Every attempt (retries included) is logged with its tokens and
latency; the API key is never stored.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    key TEXT PRIMARY KEY, model TEXT, prompt_version TEXT, parts TEXT,
    answer TEXT NOT NULL, prompt_tokens INTEGER, completion_tokens INTEGER, created REAL,
    seconds REAL
);
CREATE TABLE IF NOT EXISTS calls (
    id INTEGER PRIMARY KEY AUTOINCREMENT, ts REAL, model TEXT, prompt_version TEXT, cache_key TEXT,
    attempt INTEGER, status TEXT, prompt_tokens INTEGER, completion_tokens INTEGER,
    latency_s REAL, error TEXT
);
"""


def cache_key(*parts: str) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8")).hexdigest()


class Cache:
    def __init__(self, path: Path | None):
        """path None: no cache and no log (used where nothing may persist)."""
        self.path = path
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
            self._db.executescript(SCHEMA)
            columns = {r[1] for r in self._db.execute("PRAGMA table_info(answers)")}
            if "seconds" not in columns:  # a cache written before answers kept their seconds
                self._db.execute("ALTER TABLE answers ADD COLUMN seconds REAL")
            self._db.commit()

    def get(self, key: str) -> dict[str, Any] | None:
        if self._db is None:
            return None
        with self._lock:
            row = self._db.execute("SELECT answer, prompt_tokens, completion_tokens, seconds FROM answers WHERE key = ?",
                                   (key,)).fetchone()
        if row is None:
            return None
        return {"answer": json.loads(row[0]), "prompt_tokens": row[1], "completion_tokens": row[2], "seconds": row[3]}

    def put(self, key: str, model: str, prompt_version: str, parts: list[str], answer: dict[str, Any],
            prompt_tokens: int, completion_tokens: int, seconds: float = 0.0) -> None:
        if self._db is None:
            return
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO answers (key, model, prompt_version, parts, answer, prompt_tokens, "
                "completion_tokens, created, seconds) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (key, model, prompt_version, ",".join(parts), json.dumps(answer, ensure_ascii=False),
                 prompt_tokens, completion_tokens, time.time(), round(seconds, 3)),
            )
            self._db.commit()

    def log(self, model: str, prompt_version: str, key: str, attempt: int, status: str,
            prompt_tokens: int, completion_tokens: int, latency_s: float, error: str | None = None) -> None:
        if self._db is None:
            return
        with self._lock:
            self._db.execute(
                "INSERT INTO calls (ts, model, prompt_version, cache_key, attempt, status, prompt_tokens, "
                "completion_tokens, latency_s, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (time.time(), model, prompt_version, key, attempt, status, prompt_tokens, completion_tokens,
                 round(latency_s, 3), error),
            )
            self._db.commit()

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
