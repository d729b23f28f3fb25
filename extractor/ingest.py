"""Read a report file into one text string plus a page map.

Every offset the tool emits points into `Document.text`, which is what `extractor text FILE`
prints. Readers: .txt/.md (UTF-8 with or without BOM, UTF-16 with BOM, GB18030/GBK), .pdf
(pypdf, Chinese lines re-joined, pages kept; ruled tables read by position with pdfplumber, see
extractor.pdf_tables), .docx (python-docx, paragraphs and tables in
document order). Scans go through OCR (extractor.ocr) when the [ocr] extra is installed.
"""

from __future__ import annotations

import bisect
import hashlib
import logging
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from extractor.pdf_tables import PageLayout

MAX_BYTES_DEFAULT = 64 * 1024 * 1024
# A report is tens of thousands of characters; two million (a thousand pages) is no one report
# and would take minutes and gigabytes to read: refused with the reason.
MAX_TEXT_CHARS = 2_000_000

TEXT_SUFFIXES = {".txt": "txt", ".md": "md", ".markdown": "md"}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"}
SHEET_SUFFIXES = {".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xls"}
CONVERTED_SUFFIXES = {".doc", ".wps", ".rtf", ".et"}  # through LibreOffice (extractor.convert)
SUPPORTED_SUFFIXES = set(TEXT_SUFFIXES) | {".pdf", ".docx", ".ofd"} | set(SHEET_SUFFIXES) | CONVERTED_SUFFIXES | IMAGE_SUFFIXES


class IngestError(Exception):
    """A file that cannot be read; the message says why, in one line."""


@dataclass(frozen=True)
class Page:
    number: int  # 1-based
    start: int
    end: int


@dataclass
class Document:
    path: str
    text: str
    format: str
    sha256: str
    pages: list[Page]
    encoding: str | None = None
    ocr: bool = False
    # Offsets of tables the reader knows structurally (docx, PDF, OCR): (start, end) spans of lines.
    table_spans: list[tuple[int, int]] = field(default_factory=list)
    # True for the reading view of a report in traditional characters (extractor.simplified)
    simplified: bool = False

    def page_of(self, offset: int) -> int:
        starts = [p.start for p in self.pages]
        i = bisect.bisect_right(starts, offset) - 1
        return self.pages[max(i, 0)].number if self.pages else 1


# ---------------------------------------------------------------- entry point


def read_document(path: str | Path, max_bytes: int = MAX_BYTES_DEFAULT) -> Document:
    """Read any supported report. Raises IngestError with a one-line reason."""
    p = Path(path)
    if not p.exists():
        raise IngestError("文件不存在")
    if p.is_dir():
        raise IngestError("这是文件夹，不是文件")
    size = p.stat().st_size
    if size == 0:
        raise IngestError("空文件")
    if size > max_bytes:
        raise IngestError(f"文件过大（{size / 2**20:.1f} MiB，上限 {max_bytes / 2**20:.0f} MiB；可用 --max-mb 调整）")
    try:
        data = p.read_bytes()
    except PermissionError:
        raise IngestError("没有读取权限") from None
    except OSError as e:
        raise IngestError(f"无法读取文件：{e.strerror or type(e).__name__}") from None
    return read_bytes(p, data, max_bytes)


def read_bytes(path: str | Path, data: bytes, max_bytes: int = MAX_BYTES_DEFAULT) -> Document:
    """A report's bytes, read as the file `path` names (its suffix says the format): for a worker
    on another machine, which has the bytes and not the file."""
    p = Path(path)
    if not data:
        raise IngestError("空文件")
    if len(data) > max_bytes:
        raise IngestError(f"文件过大（{len(data) / 2**20:.1f} MiB，上限 {max_bytes / 2**20:.0f} MiB；可用 --max-mb 调整）")
    doc = _read_bytes(p, data)
    if len(doc.text) > MAX_TEXT_CHARS:
        raise IngestError(f"文本过长（{len(doc.text):,} 字，上限 {MAX_TEXT_CHARS:,} 字）：不像是一份报告，请拆分后再提取")
    return doc


def _read_bytes(p: Path, data: bytes) -> Document:
    sha = hashlib.sha256(data).hexdigest()
    suffix = p.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        text, enc = decode_text(data)
        text = _clean_text(text)
        if not text.strip():
            raise IngestError("文件中没有文字（只有空白）")
        return Document(str(p), text, TEXT_SUFFIXES[suffix], sha, [Page(1, 0, len(text))], encoding=enc)
    if suffix == ".pdf":
        return _read_pdf(p, data, sha)
    if suffix == ".docx":
        return read_docx(p, data, sha)
    if suffix in SHEET_SUFFIXES:
        from extractor import sheets

        return sheets.read_xls(p, data, sha) if SHEET_SUFFIXES[suffix] == "xls" else sheets.read_xlsx(p, data, sha)
    if suffix == ".ofd":
        from extractor import ofd

        return ofd.read_ofd(p, data, sha)
    if suffix in CONVERTED_SUFFIXES:
        from extractor import convert

        return convert.read_converted(p, data, sha)
    if suffix in IMAGE_SUFFIXES:
        from extractor import ocr

        return ocr.read_image(p, data, sha)
    raise IngestError(f"不支持的文件类型 {suffix or '（无扩展名）'}；支持：{'、'.join(sorted(SUPPORTED_SUFFIXES))}")


# ---------------------------------------------------------------- text files


def _looks_binary(data: bytes) -> bool:
    head = data[:8192]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13, 27))
    return controls > len(head) * 0.05


def _plausible_chinese(text: str) -> bool:
    """Is a GB18030 decoding real text? Wrong guesses produce rare CJK, private-use and odd symbols."""
    if not text:
        return False
    cjk = sum(1 for c in text if "\u4e00" <= c <= "\u9fff")
    odd = sum(1 for c in text if "\ue000" <= c <= "\uf8ff" or c == "\ufffd" or "\u3400" <= c <= "\u4dbf")
    if odd > max(2, len(text) * 0.01):
        return False
    # Common function characters of Chinese prose appear in any real report.
    common = sum(text.count(c) for c in "的一是在了和有为年部门万元预算")
    return cjk == 0 or common >= max(1, cjk * 0.02)


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode report text: BOMs first, then strict UTF-8, then GB18030 checked for plausibility.

    Raises IngestError rather than returning a silently wrong guess."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as e:
            raise IngestError(f"UTF-8 BOM 之后的内容不是有效的 UTF-8（第 {e.start + 3} 字节）") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise IngestError("UTF-16 BOM 之后的内容不是有效的 UTF-16") from None
    if _looks_binary(data):
        raise IngestError("二进制数据，不是文本报告")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as utf8_error:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise IngestError(
                f"无法识别的文本编码：不是 UTF-8（第 {utf8_error.start} 字节出错），也不是 GB18030/GBK"
            ) from None
        if not _plausible_chinese(text):
            raise IngestError("无法识别的文本编码：不是 UTF-8，按 GB18030 解码也不像中文")
        return text, "gb18030"


def _clean_text(text: str) -> str:
    """Line endings to \\n and no BOM; nothing else changes, so quotes stay verbatim."""
    return text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")


# ---------------------------------------------------------------- PDF

_CJK = r"\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"
_SENTENCE_END = "。！？；：:;!?"
_HEADING_START = re.compile(r"^\s*(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[）)]|\d+[.．、](?!\d)|#)")


def _width(line: str) -> int:
    """A line's width in half-width units: a Chinese character is two, a digit or Latin letter one."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def _full_width(lines: list[str]) -> int:
    """The width of a full line: the 90th percentile of the non-blank lines' widths."""
    widths = sorted(_width(ln.rstrip()) for ln in lines if ln.strip())
    return widths[int(len(widths) * 0.9)] if widths else 0


def join_pdf_lines(lines: list[str], full: int | None = None) -> str:
    """Re-join lines that the PDF's line wrap broke.

    A line joins the previous one when the previous was (nearly) full width and did not end a
    sentence, and this one does not start a heading. Chinese joins without a space; two Latin
    words join with one. Widths count a Chinese character as two digits (a line of numbers is
    not longer than a line of prose); `full`, the width of a full line, is by default measured
    on `lines`.
    """
    lines = [ln.rstrip() for ln in lines]
    if full is None:
        full = _full_width(lines)
    out: list[str] = []
    for ln in lines:
        if not out or not ln.strip():
            out.append(ln)
            continue
        prev = out[-1]
        wraps = (
            prev.strip()
            and _width(prev) >= full * 0.8
            and prev[-1] not in _SENTENCE_END
            and not _HEADING_START.match(ln)
            and "\t" not in prev
        )
        if wraps:
            sep = " " if re.match(r"[A-Za-z0-9]", ln.lstrip()[:1]) and re.search(r"[A-Za-z]$", prev) else ""
            out[-1] = prev + sep + ln.lstrip()
        else:
            out.append(ln)
    return "\n".join(out)


class _Notes(logging.Handler):
    """What pypdf and pdfminer log while one file is read: kept with that file (its error line
    names the first), never printed on their own with no file name."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage().splitlines()[0][:120] if record.getMessage() else "")


@contextmanager
def _pdf_notes() -> Iterator[_Notes]:
    notes = _Notes()
    loggers = [logging.getLogger(n) for n in ("pypdf", "pdfminer", "pdfplumber")]
    saved = [(lg.propagate, lg.level) for lg in loggers]
    for lg in loggers:
        lg.addHandler(notes)
        lg.propagate = False
    try:
        yield notes
    except IngestError as e:
        if notes.messages:
            raise IngestError(f"{e}（pypdf：{notes.messages[0]}）") from None
        raise
    finally:
        for lg, (prop, _lvl) in zip(loggers, saved):
            lg.removeHandler(notes)
            lg.propagate = prop


def _read_pdf(p: Path, data: bytes, sha: str) -> Document:
    with _pdf_notes():
        return _read_pdf_quietly(p, data, sha)


def _read_pdf_quietly(p: Path, data: bytes, sha: str) -> Document:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except Exception:  # noqa: BLE001 - pypdf raises several kinds for unsupported crypto
                ok = 0
            if not ok:
                raise IngestError("PDF 已加密，需要密码才能打开")
        n_pages = len(reader.pages)
    except IngestError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError) as e:
        raise IngestError(f"PDF 文件已损坏：{type(e).__name__}: {str(e)[:120]}") from None
    if n_pages == 0:
        raise IngestError("PDF 没有页面")
    raws: list[str] = []
    for page in reader.pages:
        try:
            raws.append(page.extract_text() or "")
        except Exception as e:  # noqa: BLE001 - a broken content stream is one bad page, not a crash
            raise IngestError(f"PDF 页面已损坏：{type(e).__name__}: {str(e)[:120]}") from None
    texts: list[str | None] = [join_pdf_lines(raw.split("\n")) if raw.strip() else None for raw in raws]
    # Ruled tables, read by position: a page with tables is rebuilt as its text above, the
    # table as tab-separated rows, its text below. Pages without tables keep pypdf's text.
    page_spans: dict[int, list[tuple[int, int]]] = {}
    layouts = _pdf_layouts(data, [i for i, (raw, page) in enumerate(zip(raws, reader.pages), start=1)
                                  if raw.strip() and _draws_lines(page)])
    # a full line as the pages without tables show it: a table page may hold little prose
    with_tables = {lay.number for lay in layouts}
    prose = [ln for i, raw in enumerate(raws, start=1) if i not in with_tables for ln in raw.split("\n")]
    doc_full = _full_width(prose)
    for lay in layouts:
        built = _page_with_tables(lay, doc_full, raws[lay.number - 1])
        if built is not None:
            texts[lay.number - 1], page_spans[lay.number] = built
    ocr_used = False
    if any(t is None for t in texts):
        from extractor import ocr

        texts, ocr_used = ocr.fill_scanned_pages(p, reader, texts)
    pages: list[Page] = []
    parts: list[str] = []
    table_spans: list[tuple[int, int]] = []
    pos = 0
    for i, t in enumerate(texts, start=1):
        t = t or ""
        if parts:
            parts.append("\n\n")
            pos += 2
        pages.append(Page(i, pos, pos + len(t)))
        table_spans += [(pos + a, pos + b) for a, b in page_spans.get(i, [])]
        parts.append(t)
        pos += len(t)
    text = "".join(parts)
    if not text.strip():
        raise IngestError("PDF 中没有文字")
    return Document(str(p), text, "pdf", sha, pages, ocr=ocr_used, table_spans=table_spans)


_PATH_OPS = re.compile(rb"[\d.]\s+(?:re|l)\s")


def _draws_lines(page) -> bool:  # noqa: ANN001 - a pypdf page
    """Does the page's content stream draw lines or rectangles? Only such pages can hold a ruled
    table, so only they pay for the layout reader (pdfplumber is ~6x slower than pypdf)."""
    try:
        contents = page.get_contents()
        return contents is not None and bool(_PATH_OPS.search(contents.get_data()))
    except Exception:  # noqa: BLE001 - unreadable stream: let the layout reader try
        return True


def _pdf_layouts(data: bytes, numbers: list[int]) -> list[PageLayout]:
    """Tables of the pages with text (extractor.pdf_tables); none where pdfplumber cannot read the PDF."""
    if not numbers:
        return []
    from extractor import pdf_tables

    try:
        return [lay for lay in pdf_tables.read_layout(data, set(numbers)) if lay.tables]
    except Exception:  # noqa: BLE001 - tables are a refinement: pypdf's text stands without them
        return []


def _page_with_tables(lay: PageLayout, doc_full: int, raw: str) -> tuple[str, list[tuple[int, int]]] | None:
    """A page's text with each table as one line per row, cells joined by TAB; the tables' spans.

    None (keep pypdf's text) where the positional reading lost text pypdf has: a font without
    a usable Unicode map reads as "(cid:N)" in pdfminer."""
    blocks: list[str | list[str]] = []
    text_lines: list[str] = []
    for b in lay.blocks:
        if isinstance(b, str):
            text_lines += b.split("\n")
            blocks.append(b)
        else:
            blocks.append(["\t".join(c or "" for c in row) for row in b.rows])
    full = max(_full_width(text_lines), doc_full)
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    pos = 0
    for b in blocks:
        chunk = join_pdf_lines(b.split("\n"), full) if isinstance(b, str) else "\n".join(b)
        if out:
            pos += 1
        if not isinstance(b, str):
            spans.append((pos, pos + len(chunk)))
        out.append(chunk)
        pos += len(chunk)
    page = "\n".join(out)
    squashed = len(re.sub(r"\s+", "", page))
    if "(cid:" in page or squashed < 0.9 * len(re.sub(r"\s+", "", raw)):
        return None
    return page, spans


# ---------------------------------------------------------------- DOCX


def _cell_text(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def read_docx(p: Path, data: bytes, sha: str) -> Document:
    import io

    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        d = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as e:
        raise IngestError(f".docx 文件已损坏：{type(e).__name__}: {str(e)[:120]}") from None
    except Exception as e:  # noqa: BLE001 - python-docx / lxml raise many kinds for broken parts
        raise IngestError(f".docx 文件已损坏：{type(e).__name__}: {str(e)[:120]}") from None
    lines: list[str] = []
    table_spans: list[tuple[int, int]] = []
    pos = 0

    def add(line: str) -> None:
        nonlocal pos
        lines.append(line)
        pos += len(line) + 1

    for block in d.iter_inner_content():
        if isinstance(block, Paragraph):
            add(block.text)
        elif isinstance(block, Table):
            start = pos
            for row in block.rows:
                cells: list[str] = []
                seen: set[int] = set()
                for cell in row.cells:
                    if id(cell._tc) in seen:  # a horizontally merged cell repeats: keep it once
                        continue
                    seen.add(id(cell._tc))
                    cells.append(_cell_text(cell.text))
                add("\t".join(cells))
            table_spans.append((start, pos - 1))
    text = "\n".join(lines)
    if not text.strip():
        raise IngestError(".docx 中没有文字")
    return Document(str(p), text, "docx", sha, [Page(1, 0, len(text))], table_spans=table_spans)
