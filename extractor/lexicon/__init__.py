"""The field lexicon: what the labels of self-evaluation reports mean, loaded from the TOML files
beside this module into validated models. Generic readers (extractor.readers) apply it; no
label lives in code.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

HERE = Path(__file__).parent

ColumnKey = Literal["initial", "budget", "executed", "rate", "weight", "score", "target", "actual", "level1",
                    "level2", "level3", "reason"]


class SentenceField(BaseModel):
    path: str
    kind: Literal["money", "percent", "score", "count"]
    labels: list[str]
    window: int = 20
    skip_before: list[str] = Field(default_factory=list)
    unit_required: bool = False  # a score must be written with 分 (「得分93.5分」)
    after: bool = False  # the label follows its number: 「资金3728万元全部执行到位」


class RateRun(BaseModel):
    """A row whose numbers OCR ran together before its rate (fields.toml [[rate_run]])."""

    labels: list[list[str]]
    kind: Literal["money", "count"]
    columns: list[str]
    optional: list[str] = Field(default_factory=list)
    whole: str
    part: str
    rate: str | None = None


class Kind(BaseModel):
    name: str
    title: list[str]
    body: list[str] = Field(default_factory=list)  # signatures in the opening text, for titles that do not say
    headings: list[str] = Field(default_factory=list)  # a template's own section heading, written near the start


# key-value labels whose value is a contract path's
KEYVALUE_PATHS = {"score_total": "score.total", "budget_total": "budget.total_budget", "budget_executed": "budget.executed",
                  "department": "department", "implementer": "department", "grade": "score.grade"}


class Lexicon(BaseModel):
    columns: dict[ColumnKey, list[str]]
    rows: dict[str, list[str]]
    grid: dict[str, dict[str, str]]
    keyvalue: dict[str, list[str]]
    below: dict[str, list[str]]
    sentence: list[SentenceField]
    rate_run: list[RateRun] = Field(default_factory=list)
    grades: dict[str, str]
    grade_bands: dict[str, float]
    org: dict[str, list[str]]
    kind: list[Kind]
    chrome: dict[str, list[str]]
    outputs: dict[str, list[str]]
    rule_names: dict[str, str] = Field(default_factory=dict)
    severity_names: dict[str, str] = Field(default_factory=dict)

    def column_of(self, cell: str) -> ColumnKey | None:
        return _lookup(self._column_index(), cell)

    def row_of(self, cell: str) -> str | None:
        """A row kind with its own contract paths ([grid.<kind>]: total, basic, project), or
        'part' for a 其中 row or a known part name; None otherwise."""
        label = norm_label(cell)
        rows = self._row_index()
        for kind in self.grid:
            if label in rows.get(kind, ()):
                return kind
        if cell.strip().startswith("其中") or label in rows["parts"]:
            return "part"
        if label in rows["closing"]:
            return "closing"
        return None

    @lru_cache(maxsize=None)
    def labels_for(self, path: str) -> frozenset[tuple[str, ...]]:
        """The wordings the lexicon knows for a contract path, each the labels that must all be
        present, normalised: a sentence label, a label-above-value or key-value cell (one word
        each), a grid's row and column (基本支出 + 预算数 for budget.basic_budget; a column alone
        for the total row's paths). Used to check that a value another backend chose stands by
        words that mean its field."""
        out: set[tuple[str, ...]] = set()
        for sf in self.sentence:
            if sf.path == path:
                out.update((x,) for x in sf.labels)
        out.update((x,) for x in self.below.get(path, ()))
        out.update((x,) for k, labels in self.keyvalue.items() if KEYVALUE_PATHS.get(k) == path for x in labels)
        for row_kind, cols in self.grid.items():
            for col, p in cols.items():
                if p != path:
                    continue
                for c in self.columns.get(col, ()):  # type: ignore[call-overload]
                    if row_kind == "total":
                        out.add((c,))
                    else:
                        out.update((r, c) for r in self.rows.get(row_kind, ()))
        if path == "score.total":
            out.update((x,) for x in self.rows.get("closing", ()))
        return frozenset(tuple(norm_label(x) for x in words) for words in out if all(words))

    def keyvalue_of(self, cell: str) -> str | None:
        return _lookup(self._keyvalue_index(), cell)

    @lru_cache(maxsize=None)
    def _column_index(self) -> dict[str, str]:
        return {norm_label(label): key for key, labels in self.columns.items() for label in labels}

    @lru_cache(maxsize=None)
    def _row_index(self) -> dict[str, frozenset[str]]:
        return {kind: frozenset(norm_label(x) for x in labels) for kind, labels in self.rows.items()}

    @lru_cache(maxsize=None)
    def _keyvalue_index(self) -> dict[str, str]:
        return {norm_label(label): key for key, labels in self.keyvalue.items() for label in labels}

    def __hash__(self) -> int:  # one lexicon per process; lets lru_cache key on it
        return id(self)


def _lookup(index: dict[str, str], cell: str) -> str | None:
    return index.get(norm_label(cell))


_BRACKETS = re.compile(r"[（(][^（()）]{0,12}[)）]")


def norm_label(s: str) -> str:
    """A label as matched: NFKC, brackets and their contents ((A), (B/A), （万元）) removed,
    ★ markers, spaces, a leading 其中 and a trailing colon dropped."""
    s = unicodedata.normalize("NFKC", s)
    s = _BRACKETS.sub("", s)
    s = re.sub(r"[\s★☆*]+", "", s)
    s = re.sub(r"^其中[:：]?", "", s)
    return s.rstrip(":：")


@lru_cache(maxsize=1)
def load() -> Lexicon:
    data: dict = {}
    for name in ("fields.toml", "vocab.toml"):
        with open(HERE / name, "rb") as f:
            data.update(tomllib.load(f))
    return Lexicon.model_validate(data)
