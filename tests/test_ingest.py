"""Ingestion: one text string plus a page map, from every format, with clear errors."""

import re

import pytest

from extractor.ingest import IngestError, read_document
from tests.conftest import DOCX_004, FIXTURES, PDF_000, SEEDS

PDF_004 = FIXTURES / "004_424dabb8b7582373.pdf"  # seed 004 with its project table as a ruled table


def squash(s: str) -> str:
    return re.sub(r"\s+", "", s)


def test_pdf_reads_the_same_characters_as_its_text_source():
    assert squash(read_document(PDF_000).text) == squash(read_document(SEEDS["000"]).text)


def test_docx_reads_the_same_characters_as_its_text_source():
    assert squash(read_document(DOCX_004).text) == squash(read_document(SEEDS["004"]).text)


def test_pdf_rejoins_chinese_lines_broken_by_the_layout():
    text = read_document(PDF_000).text
    # the paragraph is re-flowed at the page width; the reader joins it back without spaces
    assert "全年预算数为873.64万元，全年执行金额为549.50万元，预算执行率为62.90%" in text


def test_pdf_keeps_the_page_of_every_offset():
    doc = read_document(PDF_000)
    assert len(doc.pages) == 4
    at = doc.text.index("全年预算数为873.64万元")
    assert doc.page_of(at) == 2
    assert doc.page_of(0) == 1
    assert [p.number for p in doc.pages] == [1, 2, 3, 4]


def test_docx_keeps_tables_as_rows_of_cells_in_document_order():
    doc = read_document(DOCX_004)
    assert len(doc.table_spans) == 1
    start, end = doc.table_spans[0]
    rows = doc.text[start:end].split("\n")
    assert rows[0].split("\t")[:3] == ["序号", "项目名称", "全年预算数"]
    assert rows[1].split("\t")[:5] == ["1", "人民调解", "35.20", "24.81", "70.47%"]
    assert doc.text.index("五、其他需要说明的问题") < start  # the table comes where the document has it


def test_pdf_with_a_ruled_table_reads_the_same_characters_as_its_text_source():
    assert squash(read_document(PDF_004).text) == squash(read_document(SEEDS["004"]).text)


def test_pdf_ruled_table_arrives_as_rows_of_cells():
    from extractor.segment import segment

    doc = read_document(PDF_004)
    assert len(doc.table_spans) == 1
    tables = segment(doc.text, doc.table_spans).tables
    rows = [r for t in tables for r in t.rows]
    row = next(r for r in rows if "人民调解" in r.texts)
    assert row.texts[:6] == ["1", "人民调解", "35.20", "24.81", "70.47%", "93.85"]
    # "序\n号" wraps inside its cell: the cell is one string
    assert rows[0].texts[:3] == ["序号", "项目名称", "全年预算数"]
    # a name that wraps inside its cell is one cell, joined without a space
    assert "法治宣传及法治文化建设(含法治乡村建设)" in [c for r in rows for c in r.texts]
    assert len(rows) == 9 and all(len(r.cells) == 7 for r in rows)
    for t in tables:
        for r in t.rows:
            for c in r.cells:
                assert doc.text[c.start : c.end] == c.raw


def test_pdf_table_keeps_reading_order_and_pages():
    doc = read_document(PDF_004)
    start, end = doc.table_spans[0]
    assert doc.text.index("项目支出绩效自评汇总表\n") < start  # the title above the table comes first
    assert doc.text.index("五、其他需要说明的问题") < start
    assert end == doc.pages[-1].end  # the table ends the report, on its last page
    assert doc.page_of(start) == doc.page_of(end - 1) == 5
    assert "93.852" not in doc.text  # pypdf's stream glued a score to the next row's number


def test_pdf_table_gives_the_same_projects_as_the_text_source():
    from extractor.pipeline import Options, extract_file

    def projects(path):
        record = extract_file(path, Options(backend="rules"))
        return [(p.name, p.budget and p.budget.value, p.executed and p.executed.value) for p in record.projects]

    txt = projects(SEEDS["004"])
    assert len(txt) == 8
    assert projects(PDF_004) == txt


def test_pdf_table_cells_are_one_string_and_pages_without_rules_have_no_tables():
    from extractor import pdf_tables

    assert pdf_tables.one_line("全年预算\n数") == "全年预算数"
    assert pdf_tables.one_line("project\nmanagement") == "project management"
    assert pdf_tables.one_line("人 民\t调解 ") == "人民调解"
    assert pdf_tables.one_line(None) is None
    assert not pdf_tables._is_table([["a framed paragraph"]])
    assert [len(t) for t in pdf_tables.find_tables(PDF_000.read_bytes())] == [0, 0, 0, 0]
    tables = pdf_tables.find_tables(PDF_004.read_bytes())
    assert [len(t) for t in tables] == [0, 0, 0, 0, 1]
    assert tables[4][0].rows[1][:2] == ["1", "人民调解"]


def test_pdf_page_with_two_tables_keeps_text_and_tables_in_reading_order(tmp_path):
    pytest.importorskip("reportlab")
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from extractor.segment import segment

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    style = ParagraphStyle("zh", fontName="STSong-Light", fontSize=11, leading=17)
    grid = TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("FONT", (0, 0), (-1, -1), "STSong-Light", 10)])

    def table(rows):
        t = Table(rows)
        t.setStyle(grid)
        return t

    p = tmp_path / "two-tables.pdf"
    story = [
        Paragraph("一、甲表之前的文字。", style),
        table([["项目", "预算数"], ["人民调解", "35.20"]]),
        Paragraph("二、两表之间的文字。", style),
        table([["指标", "分值"], ["产出指标", "25"]]),
        Spacer(1, 6),
        table([["一个框住的段落，不是表格。"]]),  # one column: prose in a box
        Paragraph("三、乙表之后的文字。", style),
    ]
    SimpleDocTemplate(str(p)).build(story)
    doc = read_document(p)
    assert len(doc.table_spans) == 2
    (a1, b1), (a2, b2) = doc.table_spans
    text = doc.text
    assert text[a1:b1] == "项目\t预算数\n人民调解\t35.20"
    assert text[a2:b2] == "指标\t分值\n产出指标\t25"
    marks = ("一、甲表之前", "人民调解\t35.20", "二、两表之间", "产出指标\t25", "一个框住的段落", "三、乙表之后")
    order = [text.index(m) for m in marks]
    assert order == sorted(order)
    tables = segment(text, doc.table_spans).tables
    assert [[r.texts for r in t.rows] for t in tables] == [
        [["项目", "预算数"], ["人民调解", "35.20"]],
        [["指标", "分值"], ["产出指标", "25"]],
    ]


def test_pdf_reads_as_text_where_the_table_reader_fails(monkeypatch):
    from extractor import pdf_tables

    def broken(*args, **kwargs):
        raise ValueError("pdfminer could not parse it")

    monkeypatch.setattr(pdf_tables, "read_layout", broken)
    doc = read_document(PDF_004)
    assert doc.table_spans == []
    assert squash(doc.text) == squash(read_document(SEEDS["004"]).text)


def test_pdf_with_a_table_and_only_an_owner_password_keeps_its_table(tmp_path):
    from pypdf import PdfReader, PdfWriter

    w = PdfWriter()
    for page in PdfReader(PDF_004).pages:
        w.add_page(page)
    w.encrypt(user_password="", owner_password="owner", algorithm="AES-256")
    p = tmp_path / "owner-only.pdf"
    with p.open("wb") as f:
        w.write(f)
    doc = read_document(p)
    assert len(doc.table_spans) == 1 and "24.81\t70.47%" in doc.text


def test_utf8_with_and_without_bom(tmp_path):
    raw = SEEDS["001"].read_bytes()
    (tmp_path / "bom.txt").write_bytes(b"\xef\xbb\xbf" + raw)
    a = read_document(tmp_path / "bom.txt")
    b = read_document(SEEDS["001"])
    assert a.text == b.text and a.encoding == "utf-8-sig" and b.encoding == "utf-8"


def test_gbk_report_is_detected(tmp_path):
    text = SEEDS["000"].read_text(encoding="utf-8")
    (tmp_path / "gbk.txt").write_bytes(text.encode("gb18030"))
    doc = read_document(tmp_path / "gbk.txt")
    assert doc.encoding == "gb18030" and doc.text == text


def test_utf16_with_bom(tmp_path):
    text = SEEDS["004"].read_text(encoding="utf-8")
    (tmp_path / "u16.txt").write_bytes(text.encode("utf-16"))
    assert read_document(tmp_path / "u16.txt").text == text


def test_crlf_line_endings_become_newlines(tmp_path):
    text = SEEDS["004"].read_text(encoding="utf-8")
    (tmp_path / "crlf.txt").write_bytes(text.replace("\n", "\r\n").encode())
    assert read_document(tmp_path / "crlf.txt").text == text


def test_latin1_noise_is_refused_rather_than_guessed(tmp_path):
    (tmp_path / "odd.txt").write_bytes(bytes(range(0x80, 0x100)) * 20)
    with pytest.raises(IngestError, match="编码|二进制"):
        read_document(tmp_path / "odd.txt")


@pytest.mark.parametrize(
    "name, content, reason",
    [
        ("empty.txt", b"", "空文件"),
        ("blank.txt", b" \n\n \t", "没有文字"),
        ("binary.txt", b"\x00\x01\x02\x03" * 100, "二进制"),
        ("broken.pdf", b"%PDF-1.4\n this is not a pdf", "PDF 文件已损坏"),
        ("broken.docx", b"PK\x03\x04 not a zip at all", r"\.docx 文件已损坏"),
        ("report.xyz", b"PK", "不支持的文件类型"),
    ],
)
def test_bad_input_gets_one_clear_reason(tmp_path, name, content, reason):
    p = tmp_path / name
    p.write_bytes(content)
    with pytest.raises(IngestError, match=reason) as e:
        read_document(p)
    assert "\n" not in str(e.value)


def test_encrypted_pdf_is_refused(tmp_path):
    from pypdf import PdfReader, PdfWriter

    w = PdfWriter()
    for page in PdfReader(PDF_000).pages:
        w.add_page(page)
    w.encrypt(user_password="secret", owner_password="owner")
    p = tmp_path / "locked.pdf"
    with p.open("wb") as f:
        w.write(f)
    with pytest.raises(IngestError, match="PDF 已加密，需要密码"):
        read_document(p)


def test_pdf_with_only_an_owner_password_opens(tmp_path):
    from pypdf import PdfReader, PdfWriter

    w = PdfWriter()
    for page in PdfReader(PDF_000).pages:
        w.add_page(page)
    w.encrypt(user_password="", owner_password="owner")
    p = tmp_path / "owner-only.pdf"
    with p.open("wb") as f:
        w.write(f)
    assert "873.64" in read_document(p).text


def test_huge_file_is_refused_before_reading(tmp_path):
    p = tmp_path / "huge.txt"
    p.write_bytes(b"a" * 2048)
    with pytest.raises(IngestError, match="文件过大"):
        read_document(p, max_bytes=1024)


def test_missing_file(tmp_path):
    with pytest.raises(IngestError, match="文件不存在"):
        read_document(tmp_path / "nope.txt")
