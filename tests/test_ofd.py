"""OFD, the national format of electronic government documents, read into the PDF's text, in
memory and with nothing written anywhere."""

import io
import os
import zipfile

import pytest

from extractor.ingest import IngestError, read_document
from tests.conftest import FIXTURES

OFD = FIXTURES / "000_6edb1e7869f995cc.ofd"
NS = "http://www.ofdspec.org/2016"


def test_an_ofd_reads_as_its_pdf_does_page_by_page():
    doc = read_document(OFD)
    pdf = read_document(FIXTURES / "000_6edb1e7869f995cc.pdf")
    assert doc.format == "ofd" and len(doc.pages) == len(pdf.pages) == 4
    squeeze = lambda t: "".join(t.split())  # noqa: E731 - pypdf sets a space before some lines
    assert squeeze(doc.text) == squeeze(pdf.text)
    assert "全年预算数为873.64万元" in doc.text and doc.page_of(doc.text.index("873.64")) == 2


def test_reading_writes_nothing_and_prints_nothing(tmp_path, capfd, monkeypatch):
    monkeypatch.chdir(tmp_path)
    read_document(OFD)
    with pytest.raises(IngestError):
        read_document(_package(tmp_path, {"OFD.xml": "<ofd:OFD xmlns:ofd='x'>"}))
    assert [p.name for p in tmp_path.iterdir()] == ["p.ofd"]
    assert capfd.readouterr() == ("", "")


def _package(tmp_path, members: dict[str, str]):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, body in members.items():
            z.writestr(name, body)
    p = tmp_path / "p.ofd"
    p.write_bytes(buf.getvalue())
    return p


def _doc(pages: str) -> dict[str, str]:
    return {"OFD.xml": f"<ofd:OFD xmlns:ofd='{NS}'><ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>",
            "Doc_0/Document.xml": f"<ofd:Document xmlns:ofd='{NS}'><ofd:Pages>{pages}</ofd:Pages></ofd:Document>"}


def test_runs_on_one_baseline_make_one_line_left_to_right(tmp_path):
    content = (f"<ofd:Page xmlns:ofd='{NS}'><ofd:Content><ofd:Layer>"
               "<ofd:TextObject Boundary='60 20 30 5' Size='4'><ofd:TextCode X='0' Y='4'>873.64万元。</ofd:TextCode></ofd:TextObject>"
               "<ofd:TextObject Boundary='20 20 40 5' Size='4'><ofd:TextCode X='0' Y='4'>全年预算数为</ofd:TextCode></ofd:TextObject>"
               "<ofd:TextObject Boundary='20 30 40 5' Size='4'><ofd:TextCode X='0' Y='4'>下一行。</ofd:TextCode></ofd:TextObject>"
               "</ofd:Layer></ofd:Content></ofd:Page>")
    p = _package(tmp_path, {**_doc("<ofd:Page ID='1' BaseLoc='Pages/Page_0/Content.xml'/>"), "Doc_0/Pages/Page_0/Content.xml": content})
    assert read_document(p).text == "全年预算数为873.64万元。\n下一行。"


@pytest.mark.parametrize("members, reason", [
    ({"OFD.xml": "<ofd:OFD xmlns:ofd='x'>"}, r"\.ofd 文件已损坏"),
    ({"OFD.xml": f"<ofd:OFD xmlns:ofd='{NS}'/>"}, "没有 DocRoot"),
    (_doc("<ofd:Page ID='1' BaseLoc='../../../etc/passwd'/>"), "路径越界"),
    (_doc("<ofd:Page ID='1' BaseLoc='Pages/Page_0/Content.xml'/>"), "缺少 Doc_0/Pages/Page_0/Content.xml"),
])
def test_a_broken_package_is_one_line(tmp_path, members, reason):
    with pytest.raises(IngestError, match=reason) as e:
        read_document(_package(tmp_path, members))
    assert "\n" not in str(e.value)


def test_a_file_that_is_no_package_says_so(tmp_path):
    (tmp_path / "x.ofd").write_bytes(b"%PDF-1.4 not an ofd")
    with pytest.raises(IngestError, match="不是 OFD 包"):
        read_document(tmp_path / "x.ofd")
    assert os.listdir(tmp_path) == ["x.ofd"]
