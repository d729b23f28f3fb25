"""Build fixtures/ from the seed reports: copies of the seeds (names kept), two PDFs, a .docx,
and seed 004 as an .xlsx and an .xls workbook, and (with LibreOffice installed) as .doc, .rtf,
.wps and .et; seed 000 as OFD.

    python scripts/make_fixtures.py [--seeds ../shared/seeds]

The PDF (reportlab, built-in CID font STSong-Light, no font file needed) re-flows seed 000's
paragraphs at the page width, so its line breaks differ from the source's and the reader must
re-join them. The second PDF holds seed 004 with its tab-separated project table drawn as a
ruled table (grid lines, long names wrapping inside their cells, reproducible bytes), for the
positional table reader (extractor.pdf_tables). The .docx (python-docx) holds seed 004 with its
tab-separated table as a real Word table. All read back to the same characters as their .txt
source, whitespace aside.
"""

from __future__ import annotations

import argparse
import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


def paragraphs(text: str) -> list[str]:
    """Undo the source's hard wraps: join lines until a sentence end, a heading or a table row."""
    heading = re.compile(r"^\s*(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[）)]|\d+[.．、]|#)")
    out: list[str] = []
    for line in (ln.strip() for ln in text.split("\n")):
        if not line:
            continue
        if out and not heading.match(line) and not out[-1].endswith(("。", "：", ":")) and len(out[-1]) >= 28:
            out[-1] += line
        else:
            out.append(line)
    return out


def make_pdf(src: Path, dst: Path) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    style = ParagraphStyle("zh", fontName="STSong-Light", fontSize=11, leading=17, wordWrap="CJK", firstLineIndent=22)
    doc = SimpleDocTemplate(str(dst), pagesize=A4, title=src.stem, author="extractor fixtures",
                            leftMargin=60, rightMargin=60, topMargin=60, bottomMargin=60)
    story = []
    for p in paragraphs(src.read_text(encoding="utf-8")):
        story.append(Paragraph(p.replace("&", "&amp;").replace("<", "&lt;"), style))
        story.append(Spacer(1, 4))
    doc.build(story)


def make_pdf_with_table(src: Path, dst: Path) -> None:
    """The narrative as paragraphs and each run of tab-separated rows as a ruled reportlab Table."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    style = ParagraphStyle("zh", fontName="STSong-Light", fontSize=11, leading=17, wordWrap="CJK", firstLineIndent=22)
    cell = ParagraphStyle("cell", fontName="STSong-Light", fontSize=9, leading=12, wordWrap="CJK")
    doc = SimpleDocTemplate(str(dst), pagesize=A4, title=src.stem, author="extractor fixtures", invariant=1,
                            leftMargin=60, rightMargin=60, topMargin=60, bottomMargin=60)

    def esc(t: str) -> str:
        return t.replace("&", "&amp;").replace("<", "&lt;")

    story: list = []
    prose: list[str] = []
    lines = src.read_text(encoding="utf-8").split("\n")
    i = 0
    while True:
        if i < len(lines) and not ("\t" in lines[i] and sum(1 for c in lines[i].split("\t") if c.strip()) >= 2):
            prose.append(lines[i])
            i += 1
            continue
        paras = []
        for p in paragraphs("\n".join(prose)):
            paras += [Paragraph(esc(p), style), Spacer(1, 4)]
        prose = []
        if i == len(lines):
            story += paras
            break
        rows = []
        while i < len(lines) and "\t" in lines[i]:
            rows.append([Paragraph(esc(c.strip()), cell) for c in lines[i].split("\t")])
            i += 1
        width = max(len(r) for r in rows)
        rows = [r + [""] * (width - len(r)) for r in rows]
        # 序号, 项目名称, 预算数, 执行数, 执行率, 得分, 偏差 (475 pt between the margins)
        widths = [28, 132, 52, 52, 52, 42, 117] if width == 7 else None
        table = Table(rows, colWidths=widths)
        grid = [("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]
        table.setStyle(TableStyle(grid))
        # the table stays on one page, with the two title lines above it (text, then the table)
        story += paras[:-4]
        story.append(KeepTogether([*paras[-4:], table, Spacer(1, 8)]))
    doc.build(story)


def make_docx(src: Path, dst: Path) -> None:
    import docx

    d = docx.Document()
    lines = src.read_text(encoding="utf-8").split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if "\t" in line and sum(1 for c in line.split("\t") if c.strip()) >= 2:
            rows = []
            while i < len(lines) and "\t" in lines[i]:
                rows.append(lines[i].split("\t"))
                i += 1
            width = max(len(r) for r in rows)
            table = d.add_table(rows=len(rows), cols=width)
            table.style = "Table Grid"
            for r, cells in enumerate(rows):
                for c, value in enumerate(cells):
                    table.cell(r, c).text = value.strip()
            continue
        if line.strip():
            d.add_paragraph(line.strip())
        i += 1
    d.core_properties.title = src.stem
    d.save(str(dst))


def _sheet_rows(src: Path) -> list[list[str]]:
    """The seed as a sheet would hold it: a paragraph per row in column A, the tab-separated
    table's cells in its columns."""
    return [line.split("\t") if "\t" in line else [line.strip()]
            for line in src.read_text(encoding="utf-8").split("\n") if line.strip()]


def _typed(cell: str) -> tuple[object, str]:
    """A table cell as a spreadsheet stores it: numbers as numbers with the format that shows
    them as written (35.20 -> 35.2 formatted 0.00; 70.47% -> 0.7047 formatted 0.00%)."""
    cell = cell.strip()
    m = re.fullmatch(r"(\d+)(?:\.(\d+))?(%?)", cell)
    if not m:
        return cell, "General"
    places = len(m.group(2) or "")
    decimals = "0." + "0" * places if places else "0"
    if m.group(3):
        return float(cell[:-1]) / 100, decimals + "%"
    return (float(cell) if places else int(cell)), (decimals if places else "General")


def make_xlsx(src: Path, dst: Path) -> None:
    """Seed 004 as a workbook: the title merged across the table's width, numbers typed."""
    import openpyxl

    rows = _sheet_rows(src)
    width = max(len(r) for r in rows)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "自评报告"
    for r, cells in enumerate(rows, 1):
        for c, value in enumerate(cells, 1):
            v, fmt = _typed(value) if len(cells) > 1 else (value, "General")
            ws.cell(r, c, v).number_format = fmt
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    wb.properties.creator = "extractor fixtures"
    wb.save(str(dst))


def make_xls(src: Path, dst: Path) -> None:
    """Seed 004 as an Excel 97 workbook (xlwt, used only here: pip install xlwt)."""
    import xlwt

    rows = _sheet_rows(src)
    width = max(len(r) for r in rows)
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("自评报告")
    styles: dict[str, object] = {}
    for r, cells in enumerate(rows):
        for c, value in enumerate(cells):
            v, fmt = _typed(value) if len(cells) > 1 else (value, "General")
            style = styles.setdefault(fmt, xlwt.easyxf(num_format_str=fmt))
            if r == 0 and c == 0:
                sheet.write_merge(0, 0, 0, width - 1, v, style)
            else:
                sheet.write(r, c, v, style)
    book.save(str(dst))


def make_converted(docx: Path, xls: Path) -> None:
    """Seed 004 as RTF and Word 97 (.doc), written by LibreOffice from the .docx; as WPS files the
    way Kingsoft WPS saves them in compatibility mode (a .wps holding a Word 97 document, an .et
    holding an Excel 97 workbook)."""
    import subprocess
    import tempfile

    def convert(src: Path, target: str) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(["soffice", "--headless", "--convert-to", target, "--outdir", tmp, str(src)], check=True,
                           capture_output=True)
            shutil.copyfile(Path(tmp) / f"{src.stem}.{target}", docx.with_suffix(f".{target}"))

    convert(docx, "rtf")
    convert(docx.with_suffix(".rtf"), "doc")  # docx -> doc directly loses python-docx's table (LibreOffice 7.4)
    shutil.copyfile(docx.with_suffix(".doc"), docx.with_suffix(".wps"))
    shutil.copyfile(xls, xls.with_suffix(".et"))


OFD_NS = "http://www.ofdspec.org/2016"


def make_ofd(pdf: Path, dst: Path) -> None:
    """Seed 000 as OFD (GB/T 33190, the format of electronic government documents): each line of
    the PDF fixture a TextObject at its place on an A4 page, in millimetres, with the font size
    and the per-character advance (DeltaX) a writer records; zipped as OFD.xml, Document.xml,
    PublicRes.xml and one Content.xml per page."""
    import zipfile
    from xml.sax.saxutils import escape

    import pdfplumber

    mm = 25.4 / 72
    pages: list[str] = []
    next_id = 10
    with pdfplumber.open(str(pdf)) as doc:
        for page in doc.pages:
            objects = []
            for line in page.extract_text_lines():
                text = line["text"]
                size = (line["bottom"] - line["top"]) * mm
                width = (line["x1"] - line["x0"]) * mm
                step = width / max(len(text), 1)
                objects.append(
                    f'<ofd:TextObject ID="{next_id}" Font="2" Size="{size:.3f}" '
                    f'Boundary="{line["x0"] * mm:.3f} {line["top"] * mm:.3f} {width:.3f} {size * 1.2:.3f}">'
                    f'<ofd:TextCode X="0" Y="{size:.3f}" DeltaX="g {max(len(text) - 1, 0)} {step:.3f}">{escape(text)}</ofd:TextCode>'
                    f"</ofd:TextObject>")
                next_id += 1
            pages.append(f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{OFD_NS}"><ofd:Content>'
                         f'<ofd:Layer ID="{next_id}">{"".join(objects)}</ofd:Layer></ofd:Content></ofd:Page>')
            next_id += 1
    ofd = (f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="{OFD_NS}" Version="1.0" DocType="OFD"><ofd:DocBody>'
           f'<ofd:DocInfo><ofd:DocID>{pdf.stem}</ofd:DocID><ofd:Creator>extractor fixtures</ofd:Creator></ofd:DocInfo>'
           f'<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>')
    document = (f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="{OFD_NS}"><ofd:CommonData>'
                f'<ofd:MaxUnitID>{next_id}</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea>'
                f'<ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData><ofd:Pages>'
                + "".join(f'<ofd:Page ID="{i + 1}" BaseLoc="Pages/Page_{i}/Content.xml"/>' for i in range(len(pages)))
                + "</ofd:Pages></ofd:Document>")
    res = (f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res xmlns:ofd="{OFD_NS}" BaseLoc="Res"><ofd:Fonts>'
           f'<ofd:Font ID="2" FontName="宋体" FamilyName="宋体"/></ofd:Fonts></ofd:Res>')
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        for name, body in [("OFD.xml", ofd), ("Doc_0/Document.xml", document), ("Doc_0/PublicRes.xml", res)] + \
                [(f"Doc_0/Pages/Page_{i}/Content.xml", body) for i, body in enumerate(pages)]:
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))  # reproducible bytes
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, body)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=Path, default=ROOT.parent / "shared" / "seeds")
    args = ap.parse_args()
    FIXTURES.mkdir(exist_ok=True)
    if args.seeds.is_dir():
        for f in sorted(args.seeds.glob("*.txt")):
            shutil.copyfile(f, FIXTURES / f.name)
    make_pdf(FIXTURES / "000_6edb1e7869f995cc.txt", FIXTURES / "000_6edb1e7869f995cc.pdf")
    make_docx(FIXTURES / "004_424dabb8b7582373.txt", FIXTURES / "004_424dabb8b7582373.docx")
    make_pdf_with_table(FIXTURES / "004_424dabb8b7582373.txt", FIXTURES / "004_424dabb8b7582373.pdf")
    make_ofd(FIXTURES / "000_6edb1e7869f995cc.pdf", FIXTURES / "000_6edb1e7869f995cc.ofd")
    make_xlsx(FIXTURES / "004_424dabb8b7582373.txt", FIXTURES / "004_424dabb8b7582373.xlsx")
    make_xls(FIXTURES / "004_424dabb8b7582373.txt", FIXTURES / "004_424dabb8b7582373.xls")
    if shutil.which("soffice"):
        make_converted(FIXTURES / "004_424dabb8b7582373.docx", FIXTURES / "004_424dabb8b7582373.xls")
    for f in sorted(FIXTURES.iterdir()):
        if f.is_file():
            print(f"{f.relative_to(ROOT)}  {f.stat().st_size} bytes")


if __name__ == "__main__":
    main()
