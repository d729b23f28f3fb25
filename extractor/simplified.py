"""A simplified-character reading view of a report written in traditional characters.

Doc-sharing sites and Hong Kong / Taiwan converters hand out reports in traditional characters
(「部門整體支出績效自評表」, 「編制數」), some with the reading of a rare character in brackets after
it (「數(shù)據(jù)表」). The lexicon is written in simplified characters, so such a report is read
through a view of the same length: each character mapped to its simplified form (OpenCC t2s),
each bracketed pinyin blanked. Offsets therefore hold in both texts, and `restore` puts the
characters as written back into the record: quotes, names and units are the report's own.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from pydantic import BaseModel

from extractor.models import Evidence, GroundedStr

MIN_CHANGED = 8  # characters that differ from their simplified form
MIN_SHARE = 0.03  # of the Chinese characters
_PINYIN = re.compile(r"(?<=[\u4e00-\u9fff])\([a-zü]*[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ][a-zü]*\)")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_NAMES = ("name", "parent", "unit", "note")  # plain strings copied from the text


@cache
def _converter():  # noqa: ANN202 - opencc's own type
    import opencc

    return opencc.OpenCC("t2s")


def simplified_view(text: str) -> str | None:
    """The text with traditional characters mapped to simplified ones, character for character,
    and bracketed pinyin blanked; None when the text is not written in traditional characters."""
    cjk = len(_CJK.findall(text[:20000]))
    if cjk == 0:
        return None
    cc = _converter()
    sample = text[:20000]
    converted = cc.convert(sample)
    if len(converted) != len(sample):
        converted = "".join(_one(c) for c in sample)
    changed = sum(1 for a, b in zip(sample, converted) if a != b)
    if changed < MIN_CHANGED or changed < MIN_SHARE * cjk:
        return None
    view = cc.convert(text)
    if len(view) != len(text):
        view = "".join(_one(c) for c in text)
    return _PINYIN.sub(lambda m: " " * len(m.group(0)), view)


@cache
def _one(c: str) -> str:
    s = _converter().convert(c)
    return s if len(s) == 1 else c


def _back(value: str, view_span: str, original_span: str) -> str:
    """`value` as the original text writes it: its characters found in order in the view's span
    and taken from the original at the same place (whitespace the value dropped is skipped)."""
    out, p = [], 0
    for c in value:
        q = view_span.find(c, p)
        if q < 0:
            out.append(c)
            continue
        out.append(original_span[q])
        p = q + 1
    return "".join(out)


def restore(node: Any, view: str, original: str) -> None:
    """Put the original characters back into every quote, grounded string and copied name of a
    record read through the view."""
    if isinstance(node, list):
        for item in node:
            restore(item, view, original)
        return
    if not isinstance(node, BaseModel):
        return
    if isinstance(node, Evidence):
        v_span = view[node.start:node.end]
        if isinstance(node, GroundedStr):
            node.value = _back(node.value, v_span, original[node.start:node.end])
        node.quote = original[node.start:node.end] if node.quote == v_span else node.quote
    for field in type(node).model_fields:
        value = getattr(node, field)
        if field in _NAMES and isinstance(value, str):
            at = view.find(value)
            if at >= 0:
                setattr(node, field, original[at:at + len(value)])
        elif isinstance(value, (BaseModel, list)):
            restore(value, view, original)
