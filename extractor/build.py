"""Mentions -> grounded values, and an LLM answer -> a record.

`amount` / `number` / `integer` / `name` turn a mention into the grounded value of a field (the
rules' narrative readers use them too). An answer names mention ids (and, for list rows, a name copied from the text); every value is
made from its mention, so quote == text[start:end] holds by construction and the model never
writes a number. A name that is not found verbatim in the text is dropped with its row.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from extractor.grounding import evidence, g_int, g_num, g_str, key
from extractor.ingest import Document
from extractor.mentions import Mention
from extractor.models import Amount, GroundedInt, GroundedNum, GroundedStr, Indicator, Output, Project, Record, Source
from extractor.normalize import Money

MONEY_KINDS = ("money", "number")


def amount(doc: Document, m: Mention) -> Amount | None:
    """A money mention as an Amount in 万元; a bare number in a table in the table's declared
    unit (万元 assumed, raw_unit "", when the table declares none)."""
    if m.kind == "money":
        raw = re.sub(r"[^元万亿千百]", "", m.unit) or m.unit
        return Amount(value=Decimal(m.value), raw_unit=raw, approx=m.approx, quote=doc.text[m.start:m.end],
                      start=m.start, end=m.end, page=doc.page_of(m.start))
    if m.kind == "number" and m.table is not None:
        v = Decimal(m.value)
        unit = m.money_unit or ""
        if unit == "元":
            v = v / Decimal(10000)
        elif unit == "亿元":
            v = v * Decimal(10000)
        return Amount(value=v, raw_unit=unit, approx=m.approx, quote=doc.text[m.start:m.end],
                      start=m.start, end=m.end, page=doc.page_of(m.start))
    return None


def money_of(m: Mention, text: str) -> Money | None:
    """A mention as an amount: money as written; a bare number written with 万 alone
    (「执行数29.6万」: after a money label, 万 is 万元)."""
    if m.kind == "money":
        return Money(Decimal(m.value), m.unit, m.decimals, m.approx)
    if m.kind == "number" and m.unit == "" and m.table is None and re.search(r"万\s*$", text[m.start:m.end]):
        n = Decimal(m.value) / Decimal(10000)
        return Money(n, "万", max(0, -n.as_tuple().exponent), m.approx)  # type: ignore[operator]
    return None


def number(doc: Document, m: Mention, kinds: tuple[str, ...]) -> GroundedNum | None:
    if m.kind not in kinds or isinstance(m.value, str):
        return None
    return g_num(doc, Decimal(m.value), m.start, m.end, m.approx)


def integer(doc: Document, m: Mention, kinds: tuple[str, ...]) -> GroundedInt | None:
    if m.kind not in kinds or isinstance(m.value, str) or Decimal(m.value) != Decimal(m.value).to_integral_value():
        return None
    return g_int(doc, int(m.value), m.start, m.end)


def name(doc: Document, m: Mention) -> GroundedStr | None:
    return g_str(doc, str(m.value), m.start, m.end) if m.kind == "name" else None


# contract path -> how a mention becomes its value, and which mention kinds may fill it
SCALAR_KINDS: dict[str, tuple[str, ...]] = {
    "department": ("name",),
    "fiscal_year": ("year",),
    "staffing.authorized": ("count", "number"),
    "staffing.actual": ("count", "number"),
    "staffing.retired": ("count", "number"),
    **{f"budget.{f}": MONEY_KINDS for f in ("total_budget", "initial_budget", "executed", "basic_budget", "basic_executed",
                                            "project_budget", "project_executed", "revenue_total", "fiscal_appropriation")},
    "budget.execution_rate_pct": ("percent",),
    "score.total": ("score", "number"),
}
ROW_KINDS: dict[str, dict[str, tuple[str, ...]]] = {
    "projects": {"budget": MONEY_KINDS, "executed": MONEY_KINDS, "execution_rate_pct": ("percent",), "score": ("score", "number")},
    "indicators": {"weight": ("score", "number"), "score": ("score", "number")},
    "outputs": {"value": ("count",)},
}


def value_of(doc: Document, path: str, m: Mention) -> Any:
    """The grounded value mention `m` gives field `path` (a scalar path, or 'projects.budget'
    style for a row field), or None when the mention cannot fill it."""
    kinds = SCALAR_KINDS.get(path) or ROW_KINDS.get(path.split(".")[0], {}).get(path.split(".")[-1], ())
    if m.kind not in kinds:
        return None
    if path == "department":
        return name(doc, m)
    if path == "fiscal_year":
        return integer(doc, m, kinds) if 1990 <= int(Decimal(m.value)) <= 2100 else None
    if path.startswith("staffing."):
        return integer(doc, m, kinds) if m.kind == "number" or m.unit in ("人", "名") else None
    if kinds == MONEY_KINDS:
        return amount(doc, m)
    return number(doc, m, kinds)


def find_project(projects_: list[Project], name_: str) -> Project | None:
    """The project of a list that a name means: the same name, or one containing the other
    (a trailing 项目 ignored)."""
    k = key(re.sub(r"项目$", "", name_))
    for p in projects_:
        pk = key(re.sub(r"项目$", "", p.name))
        if pk == k or (len(k) >= 4 and (k in pk or pk in k)):
            return p
    return None


class _Verbatim:
    """Names the model copied, kept if the text holds them verbatim (spaces and line breaks
    aside); the text without its whitespace is made once, when a name is not found as written."""

    def __init__(self, text: str):
        self.text = text
        self._flat: str | None = None

    def __call__(self, name: str | None) -> str | None:
        if not name:
            return None
        t = name.strip()
        if len(t) < 2 or len(t) > 60:
            return None
        if t in self.text:
            return t
        if self._flat is None:
            self._flat = re.sub(r"\s+", "", self.text)
        return t if re.sub(r"\s+", "", t) in self._flat else None


def record_from_answers(doc: Document, mentions: dict[str, Mention], answers: list[dict[str, Any]],
                        source: Source | None = None) -> Record:
    """Answers (one per call, in document order: {"scalars": {path: id}, "projects": [{name,
    budget, …}], "indicators": [{name, level, weight, score}], "outputs": [{name, value}]}) -> record. A scalar takes the first answer that
    fills it; list rows are concatenated, a row repeated by a later call merged into the first."""
    r = Record(source=source or Source(path=doc.path, sha256=doc.sha256, format=doc.format, pages=len(doc.pages)))  # type: ignore[arg-type]

    verbatim = _Verbatim(doc.text)

    def pick(mid: Any, path: str) -> Any:
        m = mentions.get(mid) if isinstance(mid, str) else None
        return value_of(doc, path, m) if m is not None else None

    for ans in answers:
        for path, mid in (ans.get("scalars") or {}).items():
            if path not in SCALAR_KINDS:
                continue
            head, _, last = path.rpartition(".")
            holder = getattr(r, head) if head else r
            if getattr(holder, last) is None:
                setattr(holder, last, pick(mid, path))
        for row in ans.get("projects") or []:
            nm = verbatim(row.get("name"))
            if nm is None:
                continue
            p = Project(name=nm, **{f: pick(row.get(f), f"projects.{f}") for f in ROW_KINDS["projects"]})
            p.evidence = _row_evidence(doc, nm, [getattr(p, f) for f in ROW_KINDS["projects"]])
            same = find_project(r.projects, nm)
            if same is None:
                r.projects.append(p)
            else:
                for f in ROW_KINDS["projects"]:
                    if getattr(same, f) is None:
                        setattr(same, f, getattr(p, f))
        for row in ans.get("indicators") or []:
            nm = verbatim(row.get("name"))
            if nm is None or any(key(i.name) == key(nm) for i in r.indicators):
                continue
            w, s = pick(row.get("weight"), "indicators.weight"), pick(row.get("score"), "indicators.score")
            if w is None and s is None:
                continue
            level = row.get("level") if row.get("level") in (1, 2, 3) else 3
            r.indicators.append(Indicator(level=level, name=nm, weight=w, score=s, evidence=_row_evidence(doc, nm, [w, s])))
        for row in ans.get("outputs") or []:
            nm = verbatim(row.get("name"))
            m = mentions.get(row.get("value")) if isinstance(row.get("value"), str) else None
            v = pick(row.get("value"), "outputs.value")
            if nm is None or m is None or v is None:
                continue
            if any(o.value.start == v.start for o in r.outputs):
                continue
            r.outputs.append(Output(name=nm, value=v, unit=m.unit.strip(" 余多约近左右以上"), approx=m.approx,
                                    evidence=evidence(doc, *_span_with_name(doc, nm, v.start, v.end))))
    return r


def _span_with_name(doc: Document, nm: str, start: int, end: int) -> tuple[int, int]:
    """The stretch from the name (where it stands shortly before the value) to the value."""
    a = doc.text.rfind(nm, max(0, start - 80), start)
    return (a, end) if a >= 0 else (start, end)


def _row_evidence(doc: Document, nm: str, values: list[Any]):  # noqa: ANN202
    spans = [(v.start, v.end) for v in values if v is not None]
    if not spans:
        a = doc.text.find(nm)
        return evidence(doc, a, a + len(nm)) if a >= 0 else None
    s, e = min(a for a, _ in spans), max(b for _, b in spans)
    a = doc.text.rfind(nm, max(0, s - 200), s)
    return evidence(doc, a if a >= 0 else s, e)
