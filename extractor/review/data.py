"""What the review pages show, built from the batch store: pure functions over records, the
store's rows and a report's text; the web layer (extractor.review.app) only renders them."""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from extractor.explain import Cells, Pointer, pointers, rule_name, severity_name
from extractor.models import Evidence, Record
from extractor.store import flag_key

SEVERITIES = ("error", "warning", "info")


@dataclass
class Row:
    """One report on the batch page."""

    doc_id: int
    path: str
    department: str | None
    year: int | None
    kind: str | None
    budget: float | None
    executed: float | None
    rate: float | None
    score: float | None
    flags: dict[str, int]
    rules: list[str]
    decided: int
    values: int  # numbers read, each grounded in a quote
    checked: int  # of them, those a reconciliation rule could check against another number

    @property
    def open_flags(self) -> int:
        return sum(self.flags.values()) - self.decided


def _num(v: Any) -> float | None:
    return float(v.value) if v is not None and getattr(v, "value", None) is not None else None


def _walk(node: Any, path: str, out: list[tuple[str, Evidence]]) -> None:
    if isinstance(node, list):
        for i, item in enumerate(node):
            _walk(item, f"{path}[{i}]", out)
        return
    if not isinstance(node, BaseModel):
        return
    if isinstance(node, Evidence) and path:
        out.append((path, node))
        return
    for name in type(node).model_fields:
        if name in ("flags", "extraction", "source"):
            continue
        _walk(getattr(node, name), f"{path}.{name}" if path else name, out)


def grounded_values(record: Record) -> list[tuple[str, Evidence]]:
    """Every value of a record with its evidence, by path (budget.total_budget, indicators[3].score)."""
    out: list[tuple[str, Evidence]] = []
    _walk(record, "", out)
    return out


def _checked_paths(record: Record) -> set[str]:
    """Values some reconciliation rule compares with another: parts and totals, rates, scores
    and weights, figures stated twice, and those any flag names."""
    paths = {p for f in record.flags for p in f.paths}
    b = record.budget
    if b.total_budget and b.executed and b.execution_rate_pct:
        paths |= {"budget.total_budget", "budget.executed", "budget.execution_rate_pct"}
    for i, p in enumerate(record.projects):
        if p.budget and p.executed and p.execution_rate_pct:
            paths |= {f"projects[{i}].budget", f"projects[{i}].executed", f"projects[{i}].execution_rate_pct"}
    for i, ind in enumerate(record.indicators):
        if ind.weight and ind.score:
            paths |= {f"indicators[{i}].weight", f"indicators[{i}].score"}
    for kind in ("ratios", "breakdowns", "restatements"):
        for i, _x in enumerate(getattr(record, kind)):
            paths.add(f"{kind}[{i}]")
    return paths


def row_of(doc: dict[str, Any], record: Record, decisions: dict[str, dict[str, Any]]) -> Row:
    values = [p for p, ev in grounded_values(record) if isinstance(getattr(ev, "value", None), (int, float)) or
              type(getattr(ev, "value", None)).__name__ == "Decimal"]
    checked = _checked_paths(record)
    current = {flag_key(f.model_dump(mode="json")) for f in record.flags}
    return Row(doc_id=doc["rowid"], path=doc["path"], department=record.department.value if record.department else None,
               year=record.fiscal_year.value if record.fiscal_year else None, kind=record.report_kind,
               budget=_num(record.budget.total_budget), executed=_num(record.budget.executed),
               rate=_num(record.budget.execution_rate_pct), score=_num(record.score.total),
               flags={s: sum(1 for f in record.flags if f.severity == s) for s in SEVERITIES},
               rules=sorted({f.rule for f in record.flags}),
               decided=sum(1 for k in decisions if k in current),
               values=len(values), checked=sum(1 for p in values if any(p == c or p.startswith(c + ".") for c in checked)))


@dataclass
class FlagView:
    n: int
    key: str
    rule: str
    rule_name: str
    severity: str
    severity_name: str
    message: str
    expected: Any
    found: Any
    pointers: list[Pointer]
    decision: dict[str, Any] | None
    stale: bool
    version: int


def flag_views(record: Record, decisions: dict[str, dict[str, Any]], sha256: str, cells: Cells | None) -> list[FlagView]:
    out = []
    for n, f in enumerate(record.flags):
        key = flag_key(f.model_dump(mode="json"))
        d = decisions.get(key)
        out.append(FlagView(n, key, f.rule, rule_name(f.rule), f.severity, severity_name(f.severity), f.message,
                            f.expected, f.found, pointers(record, f, cells), d,
                            stale=bool(d) and d["sha256"] != sha256, version=d["version"] if d else 0))
    return out


@dataclass
class Segment:
    text: str
    start: int
    paths: list[str] = field(default_factory=list)


def segments(text: str, record: Record) -> list[Segment]:
    """The report's text cut at every value's quote: plain runs and marked runs (with the paths
    read there), each with its offset; overlapping quotes give way to the first."""
    spans = sorted(((ev.start, ev.end, p) for p, ev in grounded_values(record) if 0 <= ev.start < ev.end <= len(text)),
                   key=lambda s: (s[0], -s[1]))
    merged: list[tuple[int, int, list[str]]] = []
    for s, e, p in spans:
        if merged and s < merged[-1][1]:
            if s == merged[-1][0] and e == merged[-1][1]:
                merged[-1][2].append(p)
            continue
        merged.append((s, e, [p]))
    out, pos = [], 0
    for s, e, paths in merged:
        if s > pos:
            out.append(Segment(text[pos:s], pos))
        out.append(Segment(text[s:e], s, paths))
        pos = e
    if pos < len(text):
        out.append(Segment(text[pos:], pos))
    return out


def when(ts: float | None) -> str:
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M") if ts else ""


def overview_svg(rows: list[Row]) -> str:
    """Execution rate against score, one dot per report (red where it has errors), as inline SVG:
    where to look first."""
    w, h, pad = 360, 220, 30
    pts = [r for r in rows if r.rate is not None and r.score is not None]
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" role="img" aria-label="执行率与自评得分">',
             f'<rect x="{pad}" y="10" width="{w - pad - 10}" height="{h - pad - 10}" fill="#fafafa" stroke="#ccc"/>',
             f'<text x="{w // 2}" y="{h - 5}" font-size="11" text-anchor="middle">执行率（%）</text>',
             f'<text x="10" y="{h // 2}" font-size="11" transform="rotate(-90 10 {h // 2})" text-anchor="middle">自评得分</text>']
    for r in pts:
        x = pad + max(0.0, min(r.rate, 120.0)) / 120.0 * (w - pad - 10)  # type: ignore[arg-type]
        y = 10 + (1 - max(0.0, min(r.score, 100.0)) / 100.0) * (h - pad - 10)  # type: ignore[arg-type]
        color = "#d33" if r.flags["error"] else "#e90" if r.flags["warning"] else "#393"
        label = html.escape(f"{r.department or r.path}：执行率 {r.rate}%，得分 {r.score}")
        parts.append(f'<a href="report/{r.doc_id}"><circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{color}"><title>{label}</title></circle></a>')
    parts.append("</svg>")
    return "".join(parts)


def rules_svg(rows: list[Row]) -> str:
    """Flags per rule as bars."""
    counts: dict[str, int] = {}
    for r in rows:
        for rule in r.rules:
            counts[rule] = counts.get(rule, 0) + 1
    items = sorted(counts.items(), key=lambda kv: -kv[1])[:10]
    top = max((c for _r, c in items), default=1)
    h = 22 * len(items) + 10
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="420" height="{h}" role="img" aria-label="各规则的报告数">']
    for i, (rule, c) in enumerate(items):
        y = 5 + i * 22
        parts.append(f'<text x="0" y="{y + 14}" font-size="11">{html.escape(rule_name(rule)[:16])}</text>'
                     f'<rect x="200" y="{y + 3}" width="{180 * c / top:.1f}" height="14" fill="#5b8def"/>'
                     f'<text x="{205 + 180 * c / top:.1f}" y="{y + 14}" font-size="11">{c}</text>')
    parts.append("</svg>")
    return "".join(parts)
