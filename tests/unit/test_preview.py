"""What the preview pane shows, from the catalog: every matching passage with its page."""

import pytest

from localsearch.core.access import NotIndexed
from tests import docgen


@pytest.fixture
def pdf_indexed(service, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    pages = ["The lighthouse keeper logs the weather at dawn.", "Supplies arrive by boat every second week.",
             "At dusk the lighthouse lamp is lit and the fog horn tested."]
    pdf = docgen.pdf(docs / "logbook.pdf", pages)
    service.index("docs", [str(docs)])
    return service, pdf


def test_every_matching_passage_with_its_page_and_words(pdf_indexed):
    service, pdf = pdf_indexed
    p = service.preview(str(pdf), "lighthouse lamp type:pdf")  # operators are not words to find
    assert p.kind == "document" and p.size == pdf.stat().st_size and p.total == 3
    assert p.matching == 2 and [x.page for x in p.passages] == [1, 3]
    first = p.passages[0]
    assert [first.text[a:b].lower() for a, b in first.spans] == ["lighthouse"]
    assert {p.passages[1].text[a:b].lower() for a, b in p.passages[1].spans} == {"lighthouse", "lamp"}


def test_without_matching_words_the_start_of_the_file(pdf_indexed):
    service, pdf = pdf_indexed
    p = service.preview(str(pdf), "maritime navigation aids")  # found by meaning: no word in it
    assert p.matching == 0 and [x.page for x in p.passages] == [1, 2, 3] and not p.passages[0].spans


def test_only_indexed_files_are_previewed(pdf_indexed, tmp_path):
    service, _ = pdf_indexed
    other = tmp_path / "elsewhere.txt"
    other.write_text("lighthouse")
    with pytest.raises(NotIndexed):
        service.preview(str(other), "lighthouse")
