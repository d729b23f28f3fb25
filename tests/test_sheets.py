"""Spreadsheets as units send them: .xlsx and .xls read into the same text and tables as a
.docx, each cell shown as the sheet shows it."""

import datetime as dt

import openpyxl
import pytest

from extractor.ingest import IngestError, read_document
from extractor.pipeline import read_layout
from extractor.sheets import display
from tests.conftest import FIXTURES

XLSX = FIXTURES / "004_424dabb8b7582373.xlsx"
XLS = FIXTURES / "004_424dabb8b7582373.xls"


@pytest.mark.parametrize("value, fmt, shown", [
    (35.2, "0.00", "35.20"), (0.7047, "0.00%", "70.47%"), (0.45, "0%", "45%"), (1689.97, "#,##0.00", "1,689.97"),
    (16, "General", "16"), (16.0, "General", "16"), (93.85, "General", "93.85"), (0.1 + 0.2, "General", "0.3"),
    (dt.datetime(2023, 12, 31), "yyyy-mm-dd", "2023-12-31"), ("人民调解\n项目", "General", "人民调解 项目"), (None, "General", ""),
])
def test_a_cell_reads_as_the_sheet_shows_it(value, fmt, shown):
    assert display(value, fmt) == shown


@pytest.mark.parametrize("path", [XLSX, XLS])
def test_a_workbook_reads_into_text_and_a_grid_with_offsets(path):
    doc = read_document(path)
    assert doc.format == path.suffix[1:] and len(doc.pages) == 1
    assert "1\t人民调解\t35.20\t24.81\t70.47%\t93.85" in doc.text  # numbers in their display formats
    assert doc.text.startswith("附件1\n")  # the title merged across the table's width stands once
    _reading, layout = read_layout(doc)
    (table,) = layout.tables
    row = next(r for r in table.rows if any(c.clean == "人民调解" for c in r.cells))
    assert [c.clean for c in row.cells][:6] == ["1", "人民调解", "35.20", "24.81", "70.47%", "93.85"]
    assert all(doc.text[c.start:c.end].strip() == c.clean for c in row.cells)
    assert not layout.in_table(doc.text.index("一、自评工作开展情况"))  # a one-cell row is prose


def test_each_sheet_is_a_page(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["项目名称", "某县农村公路建设"])
    wb.create_sheet("绩效指标").append(["指标", "分值", "得分"])
    wb.create_sheet("空表")
    wb.save(tmp_path / "two.xlsx")
    doc = read_document(tmp_path / "two.xlsx")
    assert len(doc.pages) == 2 and doc.text == "项目名称\t某县农村公路建设\n\n指标\t分值\t得分"
    assert doc.page_of(doc.text.index("指标")) == 2


@pytest.mark.parametrize("name, content, reason", [
    ("broken.xlsx", b"PK\x03\x04 not a workbook", r"\.xlsx 文件已损坏"),
    ("broken.xls", b"\xd0\xcf\x11\xe0 not a workbook", r"\.xls 文件已损坏"),
])
def test_a_broken_workbook_is_one_line(tmp_path, name, content, reason):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(IngestError, match=reason) as e:
        read_document(tmp_path / name)
    assert "\n" not in str(e.value)


def test_an_empty_workbook_says_so(tmp_path):
    openpyxl.Workbook().save(tmp_path / "empty.xlsx")
    with pytest.raises(IngestError, match="表格文件中没有文字"):
        read_document(tmp_path / "empty.xlsx")
