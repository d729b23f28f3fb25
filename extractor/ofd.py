"""OFD (GB/T 33190, the format of electronic government documents) read into the same text a PDF
gives.

An OFD file is a zip package of XML: OFD.xml names each document's root (DocRoot), the
document lists its pages (Pages/Page BaseLoc), and each page's Content.xml holds TextObjects:
a Boundary box, a font Size and TextCode runs at X / Y within the box. The runs are set into
lines by their baseline, left to right, and the lines re-joined as a PDF's are
(extractor.ingest.join_pdf_lines).

Read in memory with the standard library. easyofd was tried first and left: it unpacks every
file into the current directory (not removed when parsing fails, and cut at the first '.' of
the directory's path), prints to stdout, and could not read back the packages its own writer
makes.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from pathlib import Path
from xml.etree import ElementTree

from extractor.ingest import Document, IngestError, Page, join_pdf_lines

MAX_UNPACKED = 200 * 1024 * 1024  # a zip bomb is refused, not unpacked


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(node: ElementTree.Element, name: str) -> list[ElementTree.Element]:
    return [e for e in node.iter() if _local(e.tag) == name]


def _parse(z: zipfile.ZipFile, name: str) -> ElementTree.Element:
    name = posixpath.normpath(name.lstrip("/"))
    if name.startswith(".."):
        raise IngestError(f".ofd 文件已损坏：包内路径越界 {name}")
    try:
        info = z.getinfo(name)
    except KeyError:
        raise IngestError(f".ofd 文件已损坏：缺少 {name}") from None
    if info.file_size > MAX_UNPACKED:
        raise IngestError(f".ofd 文件过大：{name} 解压后 {info.file_size / 2**20:.0f} MiB")
    try:
        return ElementTree.fromstring(z.read(info))
    except ElementTree.ParseError as e:
        raise IngestError(f".ofd 文件已损坏：{name}：{e}") from None


def _floats(s: str | None, n: int) -> list[float] | None:
    try:
        vals = [float(x) for x in (s or "").split()]
    except ValueError:
        return None
    return vals if len(vals) >= n else None


def _page_lines(content: ElementTree.Element) -> list[str]:
    """A page's text runs as lines: grouped by baseline (within half a character's height), each
    line left to right."""
    runs = []
    for obj in _children(content, "TextObject"):
        box = _floats(obj.get("Boundary"), 2)
        size = float(obj.get("Size") or obj.get("size") or 3.5)
        if box is None:
            continue
        for code in _children(obj, "TextCode"):
            if not code.text:
                continue
            x = box[0] + float(code.get("X") or 0)
            baseline = box[1] + float(code.get("Y") or size)
            runs.append((baseline, x, size, code.text))
    runs.sort()
    lines: list[list[tuple[float, float, float, str]]] = []
    for run in runs:
        if lines and abs(run[0] - lines[-1][0][0]) <= run[2] / 2:
            lines[-1].append(run)
        else:
            lines.append([run])
    return ["".join(t for _b, _x, _s, t in sorted(line, key=lambda r: r[1])) for line in lines]


def read_ofd(p: Path, data: bytes, sha: str) -> Document:
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise IngestError(".ofd 文件已损坏：不是 OFD 包（zip）") from None
    with z:
        if sum(i.file_size for i in z.infolist()) > MAX_UNPACKED:
            raise IngestError(f".ofd 文件过大：解压后超过 {MAX_UNPACKED // 2**20} MiB")
        roots = [e.text.strip() for e in _children(_parse(z, "OFD.xml"), "DocRoot") if e.text and e.text.strip()]
        if not roots:
            raise IngestError(".ofd 文件已损坏：OFD.xml 中没有 DocRoot")
        texts: list[str] = []
        for root in roots:
            base = posixpath.dirname(root.lstrip("/"))
            for page in _children(_parse(z, root), "Page"):
                loc = page.get("BaseLoc")
                if not loc:
                    continue
                path = loc.lstrip("/") if loc.startswith("/") else posixpath.join(base, loc)
                lines = _page_lines(_parse(z, path))
                texts.append(join_pdf_lines(lines) if lines else "")
    if not any(t.strip() for t in texts):
        raise IngestError("OFD 中没有文字（可能是扫描件）")
    parts, pages, pos = [], [], 0
    for i, t in enumerate(texts, 1):
        if parts:
            parts.append("\n\n")  # pages apart as the PDF reader sets them
            pos += 2
        pages.append(Page(i, pos, pos + len(t)))
        parts.append(t)
        pos += len(t)
    return Document(str(p), "".join(parts), "ofd", sha, pages)
