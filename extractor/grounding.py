"""Grounding: every value carries the verbatim quote and offsets it came from (pure functions).

`quote == text[start:end]` holds for every grounded value. A value whose quote cannot be found
in the text, or does not parse back to the value, is not a fact.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from decimal import Decimal
from typing import TYPE_CHECKING

from extractor.ingest import Document
from extractor.models import Amount, Evidence, GroundedInt, GroundedNum, GroundedStr
if TYPE_CHECKING:
    from extractor.models import Flag, Record
from extractor.normalize import (
    MONEY_RE,
    NUMBER_RE,
    PERCENT_RE,
    Money,
    fullwidth_to_ascii,
    parse_money,
    parse_number,
    parse_percent,
)


def evidence(doc: Document, start: int, end: int) -> Evidence:
    return Evidence(quote=doc.text[start:end], start=start, end=end, page=doc.page_of(start))


def g_str(doc: Document, value: str, start: int, end: int) -> GroundedStr:
    return GroundedStr(value=value, quote=doc.text[start:end], start=start, end=end, page=doc.page_of(start))


def g_int(doc: Document, value: int, start: int, end: int) -> GroundedInt:
    return GroundedInt(value=value, quote=doc.text[start:end], start=start, end=end, page=doc.page_of(start))


def g_num(doc: Document, value: Decimal, start: int, end: int, approx: bool = False) -> GroundedNum:
    return GroundedNum(
        value=value, approx=approx, quote=doc.text[start:end], start=start, end=end, page=doc.page_of(start)
    )


def g_amount(doc: Document, money: Money, start: int, end: int) -> Amount:
    return Amount(
        value=money.wan,
        raw_unit=money.raw_unit,
        approx=money.approx,
        quote=doc.text[start:end],
        start=start,
        end=end,
        page=doc.page_of(start),
    )


# ---------------------------------------------------------------- verification


def numbers_in(quote: str) -> list[Decimal]:
    """Every number a quote states, in every reading: plain, as money in 万元, as percent."""
    out: list[Decimal] = []
    q = fullwidth_to_ascii(quote)
    for m in MONEY_RE.finditer(q):
        money = parse_money(m.group(0))
        if money:
            out.append(money.wan)
    for m in PERCENT_RE.finditer(q):
        pct = parse_percent(m.group(0))
        if pct:
            out.append(pct.value)
    for m in NUMBER_RE.finditer(q):
        n = parse_number(m.group(0))
        if n:
            out.append(n.value)
    for m in re.finditer(r"[零〇一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟]+", q):
        n = parse_number(m.group(0))
        if n:
            out.append(n.value)
    return out


def quote_supports(quote: str, value: object, raw_unit: str | None = None) -> bool:
    """Does the quote state this value? Numbers must parse back from the quote."""
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, (int, Decimal, float)):
        v = Decimal(str(value))
        for n in numbers_in(quote):
            if n == v:
                return True
        if raw_unit == "":  # a bare table number with 万元 assumed
            return any(n == v for n in numbers_in(quote))
        return False
    if isinstance(value, str):
        return key(value) in key(quote) or value in GRADE_WORDS.get(value, ()) and any(
            w in quote for w in GRADE_WORDS[value]
        )
    return False


def _grade_words() -> dict[str, tuple[str, ...]]:
    """grade -> the words a quote may state it with (优秀 / 优 for 优), from the lexicon."""
    from extractor import lexicon

    words: dict[str, list[str]] = {}
    for word, grade in lexicon.load().grades.items():
        words.setdefault(grade, []).append(word)
    return {g: tuple(ws) for g, ws in words.items()}


GRADE_WORDS = _grade_words()


def key(s: str) -> str:
    """Comparison key: NFKC (full-width to half-width, as OCR returns it), no whitespace."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", s))


def is_grounded(text: str, g: Evidence) -> bool:
    return 0 <= g.start <= g.end <= len(text) and text[g.start : g.end] == g.quote


def iter_grounded(record: Record) -> Iterator[tuple[str, object]]:
    """(path, grounded value) for every grounded value in a record."""
    from pydantic import BaseModel

    from extractor.models import Evidence

    def walk(obj: object, path: str) -> Iterator[tuple[str, object]]:
        if isinstance(obj, Evidence):
            yield path, obj
        if isinstance(obj, BaseModel):
            for name in type(obj).model_fields:
                v = getattr(obj, name)
                if v is not None and name != "source":
                    yield from walk(v, f"{path}.{name}" if path else name)
        elif isinstance(obj, list):
            for i, v in enumerate(obj):
                yield from walk(v, f"{path}[{i}]")

    yield from walk(record, "")


# ---------------------------------------------------------------- enforcement


def ungrounded_reason(text: str, g: Evidence) -> str | None:
    """Why a grounded value is not a fact (None when it is): its quote is not at its offsets,
    or the quote does not state the value. The one definition enforcement and merging share."""
    if not is_grounded(text, g):
        return "引文与其偏移处的原文不一致"
    value = getattr(g, "value", None)
    if value is None:
        return None
    if isinstance(value, str):
        return None if key(value) in key(g.quote) or _grade_in(value, g.quote) else "引文中没有这个值"
    return None if quote_supports(g.quote, value, getattr(g, "raw_unit", None)) else "引文没有写出这个数"

def enforce(record: "Record", text: str) -> "list[Flag]":
    """Drop every grounded value whose quote is not text[start:end], or whose quote does not
    state the value; return one `ungrounded` flag per dropped value. Mutates `record`."""
    from extractor.models import Flag

    flags: list[Flag] = []

    def walk(obj: object, path: str) -> bool:
        """Returns False when obj itself must be removed from its list."""
        from pydantic import BaseModel

        if not isinstance(obj, BaseModel):
            return True
        for name in type(obj).model_fields:
            if name in ("source", "extraction", "flags"):
                continue
            v = getattr(obj, name)
            p = f"{path}.{name}" if path else name
            if isinstance(v, Evidence) and "value" in type(v).model_fields:
                why = ungrounded_reason(text, v)
                if why:
                    flags.append(Flag(rule="ungrounded", severity="warning", paths=[p],
                                      message=f"{p} 已舍弃：{why}（{v.quote[:40]!r}）", found=str(getattr(v, "value", ""))))
                    if type(obj).model_fields[name].is_required():
                        return False  # an output without its value, a ratio without its total: void
                    setattr(obj, name, None)
            elif isinstance(v, list):
                keep = []
                for i, item in enumerate(v):
                    if isinstance(item, Evidence) and "value" in type(item).model_fields:
                        why = ungrounded_reason(text, item)
                        if why:
                            flags.append(Flag(rule="ungrounded", severity="warning", paths=[f"{p}[{i}]"],
                                              message=f"{p}[{i}] 已舍弃：{why}"))
                            continue
                    if walk(item, f"{p}[{i}]"):
                        keep.append(item)
                setattr(obj, name, keep)
            elif isinstance(v, BaseModel):
                walk(v, p)
        return True

    walk(record, "")
    return flags


def _grade_in(value: str, quote: str) -> bool:
    return any(w in quote for w in GRADE_WORDS.get(value, ()))

