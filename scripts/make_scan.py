"""Build the scanned fixtures: image-only pages, as a scanner would make them.

    python scripts/make_scan.py [--font /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc]

Also the scan of a ruled table: page 5 of fixtures/004_424dabb8b7582373.pdf (its project table
drawn with grid lines) rendered by Debian's pdftoppm (poppler-utils, with fonts-wqy-zenhei and
poppler-data for the CJK font) at 150 dpi, with the same speckle and blur and a skew of 0.2
degree: fixtures/004_424dabb8b7582373.scan-p5.png.

The seed's paragraphs are set in a CJK TrueType font (Debian's fonts-wqy-zenhei) at 150 dpi,
then each page gets mild skew (under one degree), speckle noise and a slight blur, and the
pages go into a PDF with no text layer: fixtures/000_6edb1e7869f995cc.scan.pdf, plus the
first page as fixtures/000_6edb1e7869f995cc.scan-p1.png. The outputs are committed, so CI
needs neither the font nor this script. Deterministic: the noise has a fixed seed.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from make_fixtures import paragraphs  # noqa: E402

DPI = 150
PAGE = (1240, 1754)  # A4 at 150 dpi
MARGIN = 110
FONT_PX = 25  # about 12 pt at 150 dpi
LEADING = 40


def layout_lines(text: str, font, width: int) -> list[str]:  # noqa: ANN001
    lines: list[str] = []
    for para in paragraphs(text):
        line = "\u3000\u3000"
        for ch in para:
            if font.getlength(line + ch) > width:
                lines.append(line)
                line = ""
            line += ch
        lines.append(line)
    return lines


def render_pages(text: str, font_path: str) -> list:  # noqa: ANN401
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    font = ImageFont.truetype(font_path, FONT_PX, index=0)
    lines = layout_lines(text, font, PAGE[0] - 2 * MARGIN)
    per_page = (PAGE[1] - 2 * MARGIN) // LEADING
    rng = random.Random(20261121)
    pages = []
    for p in range(0, len(lines), per_page):
        img = Image.new("L", PAGE, 255)
        draw = ImageDraw.Draw(img)
        y = MARGIN
        for line in lines[p : p + per_page]:
            draw.text((MARGIN, y), line, font=font, fill=20)
            y += LEADING
        img = img.rotate(rng.uniform(-0.8, 0.8), resample=Image.BICUBIC, fillcolor=255)
        px = img.load()
        for _ in range(PAGE[0] * PAGE[1] // 1500):  # speckle
            x, yy = rng.randrange(PAGE[0]), rng.randrange(PAGE[1])
            px[x, yy] = rng.choice((0, 90, 160, 255))
        img = img.filter(ImageFilter.GaussianBlur(0.6))
        # a few grey levels, as a cheap office scanner stores them: keeps the fixture small
        pages.append(img.point(lambda v: min(255, (v // 64) * 85)).convert("L").quantize(4))
    return pages


def write_pdf(pages: list, path: Path) -> None:  # noqa: ANN401
    """Image-only pages, Flate-compressed greyscale, A4: a scanned PDF with no text layer."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=A4, pageCompression=1)
    c.setTitle("scan of 000_6edb1e7869f995cc")
    for img in pages:
        c.drawImage(ImageReader(img.convert("L")), 0, 0, width=A4[0], height=A4[1])
        c.showPage()
    c.save()


def scan_of_table_page() -> Path:
    """Page 5 of the 004 PDF, its project table with ruling lines, as a scanner gives it."""
    import subprocess
    import tempfile

    from PIL import Image, ImageFilter

    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["pdftoppm", "-f", "5", "-l", "5", "-r", str(DPI), "-gray", "-png",
                        str(ROOT / "fixtures" / "004_424dabb8b7582373.pdf"), f"{tmp}/p"], check=True)
        img = Image.open(next(Path(tmp).glob("p*.png"))).convert("L")
    rng = random.Random(20261123)
    img = img.rotate(0.2, resample=Image.BICUBIC, fillcolor=255)
    px = img.load()
    for _ in range(img.size[0] * img.size[1] // 1500):
        x, y = rng.randrange(img.size[0]), rng.randrange(img.size[1])
        px[x, y] = rng.choice((0, 90, 160, 255))
    img = img.filter(ImageFilter.GaussianBlur(0.6)).point(lambda v: min(255, (v // 64) * 85)).quantize(4)
    out = ROOT / "fixtures" / "004_424dabb8b7582373.scan-p5.png"
    img.save(out, optimize=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--font", default="/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
    args = ap.parse_args()
    src = ROOT / "fixtures" / "000_6edb1e7869f995cc.txt"
    pages = render_pages(src.read_text(encoding="utf-8"), args.font)
    pdf = ROOT / "fixtures" / "000_6edb1e7869f995cc.scan.pdf"
    write_pdf(pages, pdf)
    png = ROOT / "fixtures" / "000_6edb1e7869f995cc.scan-p1.png"
    pages[0].save(png, optimize=True)
    table = scan_of_table_page()
    print(f"{table.relative_to(ROOT)}  {table.stat().st_size} bytes")
    for f in (pdf, png):
        print(f"{f.relative_to(ROOT)}  {f.stat().st_size} bytes, {len(pages)} pages" if f == pdf else f"{f.relative_to(ROOT)}  {f.stat().st_size} bytes")


if __name__ == "__main__":
    main()
