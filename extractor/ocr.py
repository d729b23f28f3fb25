"""OCR for pages without a text layer: scanned PDFs (page by page) and images.

rapidocr + onnxruntime from the optional extra (pip install -e '.[ocr]'); its PP-OCR models
ship in the wheel, so nothing is downloaded at run time. The angle classifier is off (it
drops whole lines on clean scans); boxes are grouped into reading-order lines and table rows
by extractor.ocr_layout, and wrapped lines are re-joined like a PDF's.
"""

from __future__ import annotations

import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from extractor.ingest import Document, IngestError, Page, join_pdf_lines

INSTALL_HINT = "请安装 OCR 扩展：pip install -e '.[ocr]'"


@lru_cache(maxsize=1)
def _engine() -> Any:
    try:
        from rapidocr import RapidOCR  # type: ignore[import-not-found]
    except ImportError:
        raise IngestError(f"扫描件需要 OCR，但未安装；{INSTALL_HINT}") from None
    # Detection on a 960-pixel long side: 0.6 s instead of 2.1 s on an A4 page at 150 dpi with
    # 99.9% of characters unchanged (bench/ocr_speed.py); raise it for very small print.
    side = int(os.environ.get("EXTRACTOR_OCR_DET_SIDE", "960"))
    engine = RapidOCR(params={
        "Global.use_cls": False,
        "Global.log_level": "warning",
        "Det.limit_type": "max",
        "Det.limit_side_len": side,
        "EngineConfig.onnxruntime.intra_op_num_threads": os.cpu_count() or 2,
        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
    })
    logging.getLogger("RapidOCR").setLevel(logging.WARNING)
    return engine


def available() -> bool:
    try:
        import rapidocr  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        return False
    return True


def read_image(p: Path, data: bytes, sha: str) -> Document:
    text = ocr_image_bytes(data)
    if not text.strip():
        raise IngestError("OCR 未在图片中识别出文字")
    return Document(str(p), text, "image", sha, [Page(1, 0, len(text))], ocr=True)


def fill_scanned_pages(p: Path, reader: Any, texts: list[str | None]) -> tuple[list[str | None], bool]:
    """OCR the PDF pages that have no text layer; pages with text keep it (mixed PDFs)."""
    out: list[str | None] = []
    for page, t in zip(reader.pages, texts):
        if t is not None:
            out.append(t)
            continue
        try:
            images = list(page.images)
        except ImportError:  # pypdf reads page images through Pillow, which comes with the OCR extra
            raise IngestError(f"扫描件需要 OCR，但未安装；{INSTALL_HINT}") from None
        except Exception as e:  # noqa: BLE001 - pypdf raises many kinds for odd image streams
            raise IngestError(f"无法读取扫描页的图像：{type(e).__name__}") from None
        out.append("\n".join(ocr_image_bytes(img.data) for img in images))
    return out, True


def ocr_image_bytes(data: bytes) -> str:
    """OCR one image: boxes -> reading-order lines -> wrapped lines re-joined."""
    from extractor.ocr_layout import boxes_to_text

    if not available():  # rapidocr, numpy, onnxruntime: the [ocr] extra
        raise IngestError(f"扫描件需要 OCR，但未安装；{INSTALL_HINT}")
    try:
        from PIL import Image
    except ImportError:
        raise IngestError(f"扫描件需要 OCR，但未安装；{INSTALL_HINT}") from None
    try:
        import io

        # palette, 1-bit and 16-bit scans: give the engine plain RGB
        image = Image.open(io.BytesIO(data)).convert("RGB")
    except Exception as e:  # noqa: BLE001 - Pillow raises many kinds for broken images
        raise IngestError(f"不是可读取的图片：{type(e).__name__}: {str(e)[:100]}") from None
    try:
        import numpy as np

        result = _engine()(np.asarray(image))
    except IngestError:
        raise
    except ImportError:  # a part of the [ocr] extra missing (numpy, onnxruntime)
        raise IngestError(f"扫描件需要 OCR，但未安装；{INSTALL_HINT}") from None
    except Exception as e:  # noqa: BLE001 - a broken image is one bad input, not a crash
        raise IngestError(f"OCR 识别图片失败：{type(e).__name__}: {str(e)[:100]}") from None
    if result is None or result.boxes is None:
        return ""
    boxes = [(b.tolist() if hasattr(b, "tolist") else b, t) for b, t in zip(result.boxes, result.txts)]
    return join_pdf_lines(boxes_to_text(boxes, rulings(np.asarray(image.convert("L")))).split("\n"))


def rulings(gray: Any) -> tuple[list[tuple[float, float, float]], list[tuple[float, float, float]]]:
    """The page's ruling lines (horizontal, vertical) as (position, start, end): dark runs a
    morphological opening keeps with a long flat (or tall thin) element, so text strokes go."""
    import cv2  # type: ignore[import-not-found]  # comes with rapidocr

    h, w = gray.shape
    ink = cv2.adaptiveThreshold(255 - gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, 15, -2)
    out: list[list[tuple[float, float, float]]] = []
    for kernel, horizontal in (((max(20, w // 25), 1), True), ((1, max(20, h // 60)), False)):
        mask = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, kernel))
        n, _labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        found = []
        for x, y, bw, bh, _area in stats[1:n]:
            if horizontal and bw >= w * 0.1:
                found.append((float(y + bh / 2), float(x), float(x + bw)))
            elif not horizontal and bh >= h * 0.02:
                found.append((float(x + bw / 2), float(y), float(y + bh)))
        out.append(found)
    return out[0], out[1]
