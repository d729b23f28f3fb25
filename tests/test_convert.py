"""Word 97, WPS and RTF documents and WPS spreadsheets, read through LibreOffice."""

import shutil

import pytest

from extractor import convert
from extractor.ingest import IngestError, read_document
from extractor.pipeline import read_layout
from tests.conftest import FIXTURES

needs_libreoffice = pytest.mark.skipif(convert.soffice() is None, reason="LibreOffice is not installed (.ci/run installs it)")


@needs_libreoffice
@pytest.mark.parametrize("suffix", ["doc", "wps", "rtf", "et"])
def test_a_converted_file_reads_like_the_docx_and_keeps_its_own_format(suffix):
    doc = read_document(FIXTURES / f"004_424dabb8b7582373.{suffix}")
    assert doc.format == suffix and doc.sha256 == __import__("hashlib").sha256(
        (FIXTURES / f"004_424dabb8b7582373.{suffix}").read_bytes()).hexdigest()
    assert "人民调解\t35.20\t24.81\t70.47%\t93.85" in doc.text
    _reading, layout = read_layout(doc)
    assert any(c.clean == "人民调解" for t in layout.tables for c in t.cells)


def test_a_file_that_is_not_what_its_name_says_is_one_line(tmp_path):
    (tmp_path / "fake.doc").write_bytes("这是一段纯文本，不是 Word 文件".encode())
    with pytest.raises(IngestError, match=r"不是有效的 \.doc 文件"):
        read_document(tmp_path / "fake.doc")


@needs_libreoffice
def test_a_file_libreoffice_cannot_open_is_one_line(tmp_path):
    (tmp_path / "cut.doc").write_bytes((FIXTURES / "004_424dabb8b7582373.doc").read_bytes()[:1536])
    with pytest.raises(IngestError, match=r"LibreOffice 无法转换此 \.doc 文件") as e:
        read_document(tmp_path / "cut.doc")
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("suffix, package", [("doc", "libreoffice-writer-nogui"), ("et", "libreoffice-calc-nogui")])
def test_without_libreoffice_the_line_names_the_package_to_install(tmp_path, monkeypatch, suffix, package):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    (tmp_path / f"report.{suffix}").write_bytes((FIXTURES / f"004_424dabb8b7582373.{suffix}").read_bytes())
    with pytest.raises(IngestError, match=f"需要 LibreOffice，但未安装；请安装：apt-get install {package}"):
        read_document(tmp_path / f"report.{suffix}")
