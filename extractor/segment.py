"""Split a report along its own headings and tables (pure functions over the document text).

Headings: markdown `#`, 一、 (level 1), （一） (level 2), 1. (level 3), （1） (level 4); a
markdown heading's level is its number of `#`. Tables come from extractor.tables, whatever
their flattening. Every section, row and cell carries offsets into the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from extractor.tables import Table, find_tables, lines_of

_CN = "一二三四五六七八九十"
_HEADING_PATTERNS: list[tuple[int, re.Pattern[str], int]] = [
    # (level, pattern, longest line still taken as a heading)
    (1, re.compile(rf"^[{_CN}]+、\s*\S"), 60),
    (2, re.compile(rf"^[（(][{_CN}]+[）)]\s*\S"), 400),
    (3, re.compile(r"^\d{1,2}[.．、](?!\d)\s*\S"), 40),
    (4, re.compile(r"^[（(]\d{1,2}[）)]\s*\S"), 40),
]
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*\S)\s*$")
_BOLD = re.compile(r"^\*\*(.+?)\*\*")


@dataclass
class Section:
    level: int
    title: str
    start: int  # offset of the heading line
    body_start: int  # offset just after the heading line
    end: int  # offset where the next heading of the same or a higher level begins
    children: list[Section] = field(default_factory=list)


@dataclass
class Layout:
    sections: list[Section]  # roots of the section tree
    tables: list[Table]

    def in_table(self, pos: int) -> bool:
        """Is this offset inside one of the tables?"""
        return any(t.start <= pos < t.end for t in self.tables)

    def flat(self) -> list[Section]:
        out: list[Section] = []

        def walk(ss: list[Section]) -> None:
            for s in ss:
                out.append(s)
                walk(s.children)

        walk(self.sections)
        return out

    def path_at(self, offset: int) -> list[Section]:
        """The chain of sections (outermost first) that contains `offset`."""
        chain: list[Section] = []
        level = self.sections
        while True:
            hit = next((s for s in level if s.start <= offset < s.end), None)
            if hit is None:
                return chain
            chain.append(hit)
            level = hit.children


def heading_of(line: str) -> tuple[int, str] | None:
    """(level, title) when a line is a heading, else None."""
    s = line.strip()
    if not s or s.startswith("|"):
        return None
    m = _MD_HEADING.match(s)
    if m:
        title = m.group(2).strip("*# ").strip()
        return len(m.group(1)), title
    b = _BOLD.match(s)
    if b:
        s = b.group(1).strip()
    for level, pat, longest in _HEADING_PATTERNS:
        if pat.match(s) and len(s) <= longest:
            title = s
            # （一）存在问题：预算执行…: the title is the part before the colon
            head = re.split(r"[：:]", title, maxsplit=1)[0]
            if len(head) >= 4:
                title = head
            if len(title) > 60:
                title = re.split(r"[。]", title, maxsplit=1)[0]
            return level, title
    return None


def find_sections(text: str, table_ranges: list[tuple[int, int]] = ()) -> list[Section]:
    flat: list[Section] = []
    for start, end, line in lines_of(text):
        if any(a <= start < b for a, b in table_ranges):
            continue
        h = heading_of(line)
        if h:
            lead = len(line) - len(line.lstrip())
            flat.append(Section(h[0], h[1], start + lead, min(end + 1, len(text)), len(text)))
    roots: list[Section] = []
    stack: list[Section] = []
    for s in flat:
        while stack and stack[-1].level >= s.level:
            stack.pop()
        (stack[-1].children if stack else roots).append(s)
        stack.append(s)
    _close(roots, len(text))
    return roots


def _close(sections: list[Section], end: int) -> None:
    """A section ends where its next sibling starts, the last one where its parent ends."""
    for i, s in enumerate(sections):
        s.end = sections[i + 1].start if i + 1 < len(sections) else end
        _close(s.children, s.end)


def sentence_prefix(text: str, pos: int, stops: str = "。；;\n") -> str:
    """The text from the start of the sentence (or line) up to `pos`."""
    i = pos
    while i > 0 and text[i - 1] not in stops:
        i -= 1
    return text[i:pos]


def segment(text: str, table_spans: list[tuple[int, int]] = (), hinted_kind: str = "docx") -> Layout:
    tables = find_tables(text, list(table_spans), hinted_kind)
    return Layout(find_sections(text, [(t.start, t.end) for t in tables]), tables)
