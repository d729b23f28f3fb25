"""Ingestion: one text string plus a page map, from every format, with clear errors."""

import re

import pytest

from extractor.ingest import IngestError, read_document
from tests.conftest import DOCX_004, PDF_000, SEEDS


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
    with pytest.raises(IngestError, match="encoding|binary"):
        read_document(tmp_path / "odd.txt")


@pytest.mark.parametrize(
    "name, content, reason",
    [
        ("empty.txt", b"", "empty file"),
        ("blank.txt", b" \n\n \t", "no text"),
        ("binary.txt", b"\x00\x01\x02\x03" * 100, "binary"),
        ("broken.pdf", b"%PDF-1.4\n this is not a pdf", "corrupt PDF"),
        ("broken.docx", b"PK\x03\x04 not a zip at all", "corrupt .docx"),
        ("report.doc", b"\xd0\xcf\x11\xe0 legacy", "legacy .doc"),
        ("report.xlsx", b"PK", "unsupported file type"),
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
    with pytest.raises(IngestError, match="encrypted PDF"):
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
    with pytest.raises(IngestError, match="too large"):
        read_document(p, max_bytes=1024)


def test_missing_file(tmp_path):
    with pytest.raises(IngestError, match="no such file"):
        read_document(tmp_path / "nope.txt")
