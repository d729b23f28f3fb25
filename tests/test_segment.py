"""Segmentation: the report's own headings and tables, with offsets."""

from extractor.ingest import read_document
from extractor.segment import heading_of, segment
from extractor.tables import clean_cell
from tests.conftest import DOCX_004, SEEDS


def layout_of(key):
    doc = read_document(SEEDS[key])
    return doc, segment(doc.text, doc.table_spans)


def test_chinese_heading_markers_and_levels():
    assert heading_of("一、基本情况") == (1, "一、基本情况")
    assert heading_of("（二）各项指标得分情况简要分析：") == (2, "（二）各项指标得分情况简要分析")
    assert heading_of("1.投入管理指标完成情况分析") == (3, "1.投入管理指标完成情况分析")
    assert heading_of("（1）公共法律服务中心惠民生") == (4, "（1）公共法律服务中心惠民生")
    assert heading_of("### （2）法治宣传教育全覆盖") == (3, "（2）法治宣传教育全覆盖")  # markdown level wins
    assert heading_of("1.承担全面依法治区重大问题的政策研究，开展全面依法治区理论与实践调查研究，并提出政策建议。") is None


def test_section_tree_of_a_plain_text_report():
    doc, layout = layout_of("000")
    tops = [s.title for s in layout.sections]
    assert tops[:3] == ["一、基本情况", "二、绩效自评工作开展情况", "三、综合评价结论"]
    four = layout.sections[3]
    assert [c.title for c in four.children] == ["（一）部门资金情况分析", "（二）项目绩效指标完成情况分析"]
    assert [g.title for g in four.children[1].children][0] == "1.投入管理指标完成情况分析"
    # offsets point into the text and sections nest
    for s in layout.flat():
        assert doc.text[s.start:].startswith(s.title[:2])
        for c in s.children:
            assert s.start <= c.start and c.end <= s.end


def test_section_containing_an_offset():
    doc, layout = layout_of("000")
    at = doc.text.index("全年预算数为873.64")
    assert [s.title for s in layout.path_at(at)] == ["四、绩效目标实现情况分析", "（一）部门资金情况分析"]


def test_markdown_tables_with_html_cells_and_checkboxes():
    doc, layout = layout_of("002")
    assert [t.kind for t in layout.tables] == ["markdown"] * 4
    first = layout.tables[0]
    assert first.rows[1].texts[:2] == ["部门名称", "广州市从化区司法局"]
    for row in first.rows:
        for c in row.cells:
            assert doc.text[c.start:c.end] == c.raw
    grade_row = layout.tables[3].rows[-1]
    assert grade_row.texts[0] == "评价等级"
    assert grade_row.texts[1].startswith("☑ 优") and "☐ 良" in grade_row.texts[1]


def test_tab_separated_table():
    doc, layout = layout_of("004")
    (t,) = layout.tables
    assert t.kind == "tsv" and len(t.rows) == 9
    assert t.rows[3].texts[1] == "法治宣传及法治文化建设(含法治乡村建设)"
    assert t.rows[3].texts[6] == "压缩项目经费，未拨付经费"


def test_docx_tables_come_from_the_reader():
    doc = read_document(DOCX_004)
    layout = segment(doc.text, doc.table_spans)
    (t,) = layout.tables
    assert t.kind == "docx" and len(t.rows) == 9 and t.rows[1].texts[1] == "人民调解"


def test_clean_cell():
    assert clean_cell("<p>1.任务1：</p> <p>2.任务2</p>") == "1.任务1：\n2.任务2"
    assert clean_cell('<input checked="" type="checkbox"/> 优') == "☑ 优"
