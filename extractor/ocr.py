"""OCR for pages without a text layer (scanned PDFs and images).

Uses rapidocr + onnxruntime from the optional extra: pip install -e '.[ocr]'.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from extractor.ingest import Document, IngestError, Page

INSTALL_HINT = "install the OCR extra: pip install -e '.[ocr]'"


def _engine() -> Any:
    try:
        from rapidocr import RapidOCR  # type: ignore[import-not-found]
    except ImportError:
        raise IngestError(f"scanned input needs OCR, which is not installed; {INSTALL_HINT}") from None
    return RapidOCR(params={"Global.use_cls": False})


def read_image(p: Path, data: bytes, sha: str) -> Document:
    engine = _engine()
    text = ocr_image_bytes(engine, data)
    if not text.strip():
        raise IngestError("OCR found no text in the image")
    return Document(str(p), text, "image", sha, [Page(1, 0, len(text))], ocr=True)


def fill_scanned_pages(p: Path, reader: Any, texts: list[str | None]) -> tuple[list[str | None], bool]:
    """OCR the pages of a PDF that have no text layer; pages with text are kept as they are."""
    if all(t is None for t in texts) or any(t is None for t in texts):
        engine = _engine()
    out: list[str | None] = []
    for page, t in zip(reader.pages, texts):
        if t is not None:
            out.append(t)
            continue
        page_text = []
        for img in page.images:
            page_text.append(ocr_image_bytes(engine, img.data))
        out.append("\n".join(page_text))
    return out, True


def ocr_image_bytes(engine: Any, data: bytes) -> str:
    """Run OCR on one image and group its boxes into reading-order lines."""
    from extractor.ocr_layout import boxes_to_text

    result = engine(data)
    boxes = list(zip(result.boxes, result.txts)) if result.boxes is not None else []
    return boxes_to_text(boxes)
