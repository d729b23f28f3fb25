"""What a flag points at, in the report's own words: for each of its paths, the value read there,
its quote, page and offsets, and, for a table cell, its row and column labels. Used by
`extractor check`, the exports and the review page.

Pure except `cells_of`, which reads the report again to find its table cells (`cells_in` for a
report already read).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from extractor import lexicon
from extractor.ingest import Document
from extractor.models import Evidence, Flag, Record

_STEP = re.compile(r"(?P<name>[a-z_]+)(?:\[(?P<i>\d+)\])?")


def resolve(record: Record, path: str) -> Any:
    """The object at a flag path (budget.total_budget, indicators[3].score), None where absent."""
    obj: Any = record
    for part in path.split("."):
        m = _STEP.fullmatch(part)
        if m is None or obj is None:
            return None
        obj = getattr(obj, m.group("name"), None)
        if m.group("i") is not None:
            i = int(m.group("i"))
            obj = obj[i] if isinstance(obj, list) and i < len(obj) else None
    return obj


@dataclass
class Pointer:
    path: str
    label: str  # the field in words: 全年预算数, 指标「保障人数」的得分
    value: str | None
    quote: str | None
    start: int | None
    end: int | None
    page: int | None
    row: str | None = None  # a table cell's row label
    column: str | None = None  # and its column header


# A contract path's last step, in the words of the reports.
FIELD_NAMES = {
    "total_budget": "全年预算数", "initial_budget": "年初预算数", "executed": "全年执行数", "execution_rate_pct": "执行率",
    "basic_budget": "基本支出预算", "basic_executed": "基本支出执行", "project_budget": "项目支出预算",
    "project_executed": "项目支出执行", "revenue_total": "收入合计", "fiscal_appropriation": "财政拨款",
    "total": "总分", "grade": "评价等级", "weight": "分值", "score": "得分", "target": "指标值", "actual": "实际完成值",
    "budget": "预算数", "value": "数量", "authorized": "编制数", "actual_staff": "实有人数", "retired": "退休人数",
    "department": "部门", "fiscal_year": "年度", "part": "分子", "rate_pct": "比率", "share_pct": "占比", "amount": "金额",
}


def describe(record: Record, path: str) -> str:
    """「指标「保障人数」的得分」, 「全年预算数」: a path as an operator reads it."""
    steps = path.split(".")
    last = _STEP.fullmatch(steps[-1])
    name = last.group("name") if last else steps[-1]
    field = FIELD_NAMES.get(name, steps[-1])
    if path.startswith("staffing.actual"):
        field = "实有人数"
    if steps[0].startswith(("breakdowns", "ratios")) and name in ("total", "parts", "part"):
        field = {"total": "总数", "part": "分子"}.get(name) or f"第 {int(last.group('i') or 0) + 1} 项"  # type: ignore[union-attr]
    if len(steps) >= 2:
        owner = resolve(record, ".".join(steps[:-1]))
        name = getattr(owner, "name", None)
        kind = {"indicators": "指标", "projects": "项目", "outputs": "产出", "ratios": "比率", "breakdowns": "分项",
                "restatements": "复述"}.get(_STEP.fullmatch(steps[0]).group("name") if _STEP.fullmatch(steps[0]) else "", "")
        if name and kind:
            return f"{kind}「{name}」的{field}"
    return field


class Cells:
    """The table cells of a report, to name the row and column of a value read from one."""

    def __init__(self, spans: list[tuple[int, int, str, str]]):
        self.spans = spans  # (start, end, row label, column label)

    def at(self, start: int | None) -> tuple[str | None, str | None]:
        if start is None:
            return None, None
        for a, b, row, column in self.spans:
            if a <= start < b:
                return _short(row), _short(column)
        return None, None


def _short(label: str | None) -> str | None:
    """A row's label as the mention stage joined it (「资产管理/资产配置合规性/反映单位…」): its first
    two short words, enough to find the row."""
    if not label:
        return None
    words = [w for w in label.split("/") if w and len(w) <= 24][:2]
    return "/".join(words) or label[:24]


def cells_in(doc: Document) -> Cells:
    """A read report's table cells, as the mention stage lists them."""
    from extractor.mentions import find
    from extractor.pipeline import read_layout

    reading, layout = read_layout(doc)
    return Cells([(m.start, m.end, m.label, m.column) for m in find(reading, layout) if m.table is not None])


def cells_of(source_path: str | Path) -> Cells | None:
    """The report's table cells, read again from its file; None when the file is not there."""
    from extractor.ingest import IngestError, read_document

    try:
        return cells_in(read_document(source_path))
    except (IngestError, OSError):
        return None


def pointers(record: Record, flag: Flag, cells: Cells | None = None) -> list[Pointer]:
    """Each path of a flag with what was read there."""
    out = []
    for path in flag.paths:
        obj = resolve(record, path)
        ev = obj if isinstance(obj, Evidence) else getattr(obj, "evidence", None) if isinstance(obj, BaseModel) else None
        value = getattr(obj, "value", None) if isinstance(obj, BaseModel) else obj
        row, column = cells.at(ev.start) if (cells is not None and ev is not None) else (None, None)
        owner = resolve(record, path.rsplit(".", 1)[0]) if "." in path else None
        if row and getattr(owner, "name", None):
            row = owner.name  # an indicator's or a project's row is the one its name opens (a wrapped cell is no label)
        out.append(Pointer(path, describe(record, path), None if value is None else _text(value),
                           ev.quote if ev else None, ev.start if ev else None, ev.end if ev else None,
                           ev.page if ev else None, row, column))
    return out


def _text(v: Any) -> str:
    s = str(v)
    return s.rstrip("0").rstrip(".") if re.fullmatch(r"-?\d+\.\d+", s) else s


def rule_name(rule: str) -> str:
    return lexicon.load().rule_names.get(rule, rule)


def severity_name(severity: str) -> str:
    return lexicon.load().severity_names.get(severity, severity)
