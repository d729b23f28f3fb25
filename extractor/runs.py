"""A table row whose numbers OCR or a converter ran into one string before its rate
(「年度资金总额…执行率(B/A)64.864.864.8100%」, 「编制数…控制率 877383.91%」).

The string is read only where its split is certain: every way of cutting it into the row's
numbers is tried (no leading zeros, at most the decimals the kind is written with), and the row
is kept only when all the cuts under which the rate holds (rate = part / whole x 100, to the
rate's own rounding) give the same numbers. What the row means is data: fields.toml [[rate_run]].
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

from extractor.grounding import g_amount, g_int, g_num
from extractor.ingest import Document
from extractor.lexicon import Lexicon, RateRun
from extractor.models import GroundedInt, GroundedNum
from extractor.normalize import declared_unit, parse_money
from extractor.segment import Layout

WINDOW = 160  # characters before the string in which the row's labels must be written
MAX_RUN = 40
_RUN = re.compile(r"(?<![\d.])(?P<run>\d[\d.]{3,%d}\d)\s*[%%％]" % MAX_RUN)
_DECIMALS = {"money": 6, "count": 0, "rate": 2}


def _token_ok(tok: str, decimals: int) -> bool:
    return re.fullmatch(r"(?:0|[1-9]\d*)" + (rf"(?:\.\d{{1,{decimals}}})?" if decimals else ""), tok) is not None


def cuts(s: str, decimals: list[int]) -> Iterator[list[tuple[int, int]]]:
    """Every way of cutting `s` into len(decimals) numbers, the k-th written with at most
    decimals[k] decimals, as (start, end) pairs."""
    if not decimals:
        if not s:
            yield []
        return
    for end in range(1, len(s) - len(decimals) + 2):
        if _token_ok(s[:end], decimals[0]):
            for rest in cuts(s[end:], decimals[1:]):
                yield [(0, end)] + [(a + end, b + end) for a, b in rest]


def _holds(whole: Decimal, part: Decimal, rate: str) -> bool:
    if whole == 0 or Decimal(rate) == 0 and part != 0:
        return False
    places = len(rate.split(".")[1]) if "." in rate else 0
    return abs(part / whole * 100 - Decimal(rate)) <= Decimal(5) / (10 ** (places + 1))


def readings(run: str, spec: RateRun) -> list[dict[str, tuple[int, int]]]:
    """The readings of `run` (the digits before the %) under which the rate holds: column path
    -> (start, end) in `run`, the rate under "rate"."""
    out = []
    column_sets = [spec.columns, [c for c in spec.columns if c not in spec.optional]]
    for columns in {tuple(c) for c in column_sets}:
        if spec.whole not in columns or spec.part not in columns:
            continue
        decimals = [_DECIMALS[spec.kind]] * len(columns) + [_DECIMALS["rate"]]
        for cut in cuts(run, decimals):
            named = dict(zip([*columns, "rate"], cut))
            w, p = named[spec.whole], named[spec.part]
            if _holds(Decimal(run[w[0]:w[1]]), Decimal(run[p[0]:p[1]]), run[slice(*named["rate"])]):
                out.append(named)
    return out


def _labelled(window: str, spec: RateRun) -> bool:
    squeezed = re.sub(r"\s+", "", window)
    return all(any(label in squeezed for label in group) for group in spec.labels)


def read_rate_runs(doc: Document, layout: Layout, lex: Lexicon) -> dict[str, GroundedNum | GroundedInt]:
    """Contract path -> value for every [[rate_run]] row whose run-together numbers split in
    exactly one way."""
    found: dict[str, GroundedNum | GroundedInt] = {}
    text = doc.text
    for m in _RUN.finditer(text):
        if layout.in_table(m.start()):
            continue
        window = text[max(0, m.start() - WINDOW):m.start()]
        for spec in lex.rate_run:
            if not _labelled(window, spec) or any(c in found for c in spec.columns):
                continue
            run = m.group("run")
            found_readings = readings(run, spec)
            values = {tuple(sorted((k, run[a:b]) for k, (a, b) in r.items())) for r in found_readings}
            if len(values) != 1:
                continue
            at = m.start("run")
            declared = declared_unit(window)
            for path, (a, b) in found_readings[0].items():
                s, e = at + a, at + b
                value = Decimal(run[a:b])
                if path == "rate":
                    if spec.rate:
                        found[spec.rate] = g_num(doc, value, s, m.end())
                elif spec.kind == "count":
                    found[path] = g_int(doc, int(value), s, e)
                else:
                    amount = g_amount(doc, parse_money(run[a:b], default_unit=declared or "万元"), s, e)  # type: ignore[arg-type]
                    if declared is None:
                        amount.raw_unit = ""  # a bare number in a table that states no unit: 万元 assumed (as readers._money_cell)
                    found[path] = amount
    return found
