"""OFD, the national format of electronic government documents, read into the PDF's text."""

import builtins
import zipfile

import pytest

from extractor.ingest import IngestError, read_document
from tests.conftest import FIXTURES

OFD = FIXTURES / "000_6edb1e7869f995cc.ofd"
pytest.importorskip("easyofd")


def test_an_ofd_reads_as_its_pdf_does_page_by_page():
    doc = read_document(OFD)
    pdf = read_document(FIXTURES / "000_6edb1e7869f995cc.pdf")
    assert doc.format == "ofd" and len(doc.pages) == len(pdf.pages) == 4
    squeeze = lambda t: "".join(t.split())  # noqa: E731 - pypdf sets a space before some lines
    assert squeeze(doc.text) == squeeze(pdf.text)
    assert "全年预算数为873.64万元" in doc.text and doc.page_of(doc.text.index("873.64")) == 2


def test_nothing_easyofd_prints_reaches_the_terminal(capfd):
    read_document(OFD)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_a_broken_ofd_is_one_line(tmp_path):
    with zipfile.ZipFile(tmp_path / "broken.ofd", "w") as z:
        z.writestr("OFD.xml", "<ofd:OFD xmlns:ofd='http://www.ofdspec.org/2016'>")
    with pytest.raises(IngestError, match=r"\.ofd 文件已损坏") as e:
        read_document(tmp_path / "broken.ofd")
    assert "\n" not in str(e.value)


def test_without_the_extra_the_line_names_it(monkeypatch):
    real_import = builtins.__import__

    def no_easyofd(name, *args, **kwargs):
        if name.startswith("easyofd"):
            raise ImportError("No module named 'easyofd'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_easyofd)
    with pytest.raises(IngestError, match=r"需要 easyofd，但未安装；请安装：pip install -e '\.\[ofd\]'"):
        read_document(OFD)
