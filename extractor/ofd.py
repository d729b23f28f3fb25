"""OFD (GB/T 33190, the format of electronic government documents), read through easyofd (the
[ofd] extra) into the same text a PDF gives.

easyofd parses the package (OFD.xml -> Document.xml -> each page's Content.xml) into text
objects with their boxes; each page's objects are set into lines by their baseline, left to
right, and the lines re-joined as a PDF's are (extractor.ingest.join_pdf_lines). easyofd prints
to stdout and logs through loguru while it works: both are kept from the user's terminal.
"""

from __future__ import annotations

import base64
import contextlib
import io
import warnings
from pathlib import Path
from typing import Any

from extractor.ingest import Document, IngestError, Page, join_pdf_lines

INSTALL_HINT = "请安装：pip install -e '.[ofd]'"


def _parse(data: bytes) -> list[dict[str, Any]]:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            from loguru import logger

            logger.disable("easyofd")
            from easyofd.parser_ofd import OFDParser
        except ImportError:
            raise IngestError(f"读取 .ofd 需要 easyofd，但未安装；{INSTALL_HINT}") from None
        try:
            return OFDParser(base64.b64encode(data).decode("ascii"))()
        except Exception as e:  # noqa: BLE001 - easyofd raises many kinds for broken packages
            raise IngestError(f".ofd 文件已损坏：{type(e).__name__}: {str(e)[:120]}") from None


def _lines(items: list[dict[str, Any]]) -> list[str]:
    """A page's text objects as lines: grouped by baseline (within half a character's height),
    each line left to right."""
    placed = []
    for it in items:
        x, y, *_ = it["pos"]
        size = float(it.get("size") or 3.5)
        baseline = y + float(it.get("Y") or size)
        placed.append((baseline, x, size, it["text"]))
    placed.sort()
    lines: list[list[tuple[float, float, float, str]]] = []
    for obj in placed:
        if lines and abs(obj[0] - lines[-1][0][0]) <= obj[2] / 2:
            lines[-1].append(obj)
        else:
            lines.append([obj])
    return ["".join(t for _b, _x, _s, t in sorted(line, key=lambda o: o[1])) for line in lines]


def read_ofd(p: Path, data: bytes, sha: str) -> Document:
    docs = _parse(data)
    texts: list[str] = []
    for d in docs:
        pages = d.get("page_info") or {}
        for key in sorted(pages, key=lambda k: int(k) if str(k).isdigit() else 0):
            items = [it for it in pages[key].get("text_list", []) if it.get("text") and it["text"] != "None"]
            texts.append(join_pdf_lines(_lines(items)) if items else "")
    if not any(t.strip() for t in texts):
        raise IngestError("OFD 中没有文字（可能是扫描件）")
    parts, pages_out, pos = [], [], 0
    for i, t in enumerate(texts, 1):
        if parts:
            parts.append("\n\n")  # pages apart as the PDF reader sets them
            pos += 2
        pages_out.append(Page(i, pos, pos + len(t)))
        parts.append(t)
        pos += len(t)
    return Document(str(p), "".join(parts), "ofd", sha, pages_out)
