import os
from pathlib import Path

import pytest

from localsearch.core import extract
from localsearch.core.errors import ExtractionError, FileTooLarge, UnsupportedFile
from localsearch.core.extract.limits import Limits
from tests import docgen

LIMITS = Limits()


def text_of(path: Path, limits: Limits = LIMITS) -> str:
    return extract.extract_file(path, limits).text


def test_pdf_keeps_page_numbers(tmp_path):
    p = docgen.pdf(tmp_path / "a.pdf", ["first page about apples", "second page about pears"])
    out = extract.extract_file(p, LIMITS)
    assert [s.page for s in out.pages] == [1, 2]
    second = out.pages[1]
    assert "pears" in out.text[second.start : second.end]
    assert "apples" not in out.text[second.start : second.end]


@pytest.mark.parametrize("make,expected", [
    (lambda d: docgen.docx(d / "a.docx", ["Quarterly report"], [["Region", "Sales"], ["North", "42"]]),
     ["Quarterly report", "North | 42"]),
    (lambda d: docgen.pptx(d / "a.pptx", ["Solar panels. They convert light to power."]), ["Solar panels"]),
    (lambda d: docgen.xlsx(d / "a.xlsx", [["Rent", 950], ["Water", 30]]), ["Rent | 950", "Water | 30"]),
    (lambda d: docgen.epub(d / "a.epub", "Book", ["Chapter one: the storm.", "Chapter two: calm."]),
     ["the storm", "Chapter two"]),
    (lambda d: docgen.rtf(d / "a.rtf", "Hello from RTF land."), ["Hello from RTF land."]),
])
def test_office_and_ebook_formats(tmp_path, make, expected):
    text = text_of(make(tmp_path))
    for fragment in expected:
        assert fragment in text


def test_html_drops_scripts_and_styles(tmp_path):
    p = tmp_path / "a.html"
    p.write_text("<html><head><title>T</title><script>var secret=1;</script><style>.x{}</style></head>"
                 "<body><p>Visible words</p></body></html>")
    out = extract.extract_file(p, LIMITS)
    assert "Visible words" in out.text and "secret" not in out.text and out.title == "T"


def test_markdown_keeps_words_without_markup(tmp_path):
    p = tmp_path / "a.md"
    p.write_text("# Title\n\nSome **bold** text and a [link label](http://x.invalid).\n")
    text = text_of(p)
    assert "bold" in text and "link label" in text and "**" not in text and "http" not in text


def test_legacy_encodings_are_detected(tmp_path):
    p = tmp_path / "a.txt"
    p.write_bytes("Café crème brûlée à la française, très délicieux et économique.".encode("cp1252"))
    assert "crème brûlée" in text_of(p)


def test_binary_junk_in_a_text_file_is_refused(tmp_path):
    p = tmp_path / "a.txt"
    p.write_bytes(os.urandom(4096) + b"\0\0\0")
    with pytest.raises(UnsupportedFile):
        text_of(p)


def test_unknown_types_are_name_only_and_extensionless_text_is_read(tmp_path):
    blob = tmp_path / "data.xyz"
    blob.write_bytes(b"\0\1\2" * 100)
    assert text_of(blob) == ""
    readme = tmp_path / "README"
    readme.write_text("How to build this project")
    assert "build this project" in text_of(readme)


def test_corrupt_and_encrypted_pdfs_fail_with_a_reason(tmp_path):
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.4\n garbage garbage")
    with pytest.raises(UnsupportedFile, match="unreadable PDF"):
        text_of(bad)
    locked = docgen.encrypted_pdf(tmp_path / "locked.pdf", "top secret")
    with pytest.raises(UnsupportedFile, match="encrypted|password"):
        text_of(locked)


def test_zip_bomb_is_rejected_before_parsing(tmp_path):
    bomb = docgen.zip_bomb_docx(tmp_path / "bomb.docx", expanded_mib=600)
    assert bomb.stat().st_size < 5 * 2**20
    with pytest.raises(FileTooLarge, match="expands to"):
        text_of(bomb)


def test_size_limit(tmp_path):
    p = tmp_path / "big.txt"
    p.write_text("x" * 5000)
    with pytest.raises(FileTooLarge):
        text_of(p, Limits(max_file_bytes=1000))


def test_vanished_and_unreadable_files(tmp_path):
    with pytest.raises(ExtractionError, match="vanished"):
        text_of(tmp_path / "gone.txt")
    if os.geteuid() != 0:
        p = tmp_path / "secret.txt"
        p.write_text("hidden")
        p.chmod(0)
        with pytest.raises(ExtractionError, match="permission"):
            text_of(p)
