"""Word 97, WPS and RTF documents and WPS spreadsheets, converted with LibreOffice headless and
then read by the .docx / .xlsx readers.

LibreOffice comes from the system (Debian: `libreoffice-writer-nogui`, `libreoffice-calc-nogui`);
without it such a file is one line naming the package to install. Each conversion runs in its
own temporary folder with its own LibreOffice profile, so parallel workers do not collide, and
is stopped after `TIMEOUT` seconds. The document keeps the file's own format and sha256.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from extractor.ingest import Document, IngestError

TIMEOUT = 180
# suffix -> (what LibreOffice writes, the Debian package that converts it)
CONVERTED = {
    ".doc": ("docx", "libreoffice-writer-nogui"),
    ".wps": ("docx", "libreoffice-writer-nogui"),
    ".rtf": ("docx", "libreoffice-writer-nogui"),
    ".et": ("xlsx", "libreoffice-calc-nogui"),
}


_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Word 97, Excel 97 and WPS files in compatibility mode
_MAGIC = {".doc": _OLE2, ".wps": _OLE2, ".et": _OLE2, ".rtf": b"{\\rtf"}


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def read_converted(p: Path, data: bytes, sha: str) -> Document:
    from extractor import ingest, sheets

    suffix = p.suffix.lower()
    target, package = CONVERTED[suffix]
    if not data.startswith(_MAGIC[suffix]):  # LibreOffice would import any bytes as plain text
        raise IngestError(f"不是有效的 {suffix} 文件（文件头不符）")
    exe = soffice()
    if exe is None:
        raise IngestError(f"读取 {suffix} 文件需要 LibreOffice，但未安装；请安装：apt-get install {package}")
    with tempfile.TemporaryDirectory(prefix="extractor-lo-") as tmp:
        folder = Path(tmp)
        src = folder / f"in{suffix}"
        src.write_bytes(data)
        cmd = [exe, "--headless", "--norestore", "--nolockcheck", f"-env:UserInstallation={(folder / 'profile').as_uri()}",
               "--convert-to", target, "--outdir", str(folder), str(src)]
        try:
            subprocess.run(cmd, capture_output=True, timeout=TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            raise IngestError(f"LibreOffice 转换超时（{TIMEOUT} 秒）") from None
        out = folder / f"in.{target}"
        if not out.is_file() or out.stat().st_size == 0:
            raise IngestError(f"LibreOffice 无法转换此 {suffix} 文件（文件可能已损坏或不是该格式）")
        converted = out.read_bytes()
    doc = ingest.read_docx(p, converted, sha) if target == "docx" else sheets.read_xlsx(p, converted, sha)
    doc.format = suffix[1:]
    return doc
