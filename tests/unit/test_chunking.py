from localsearch.core.chunking import chunk_text
from localsearch.core.types import PageSpan


def test_spans_point_back_into_the_text():
    text = "\n".join(f"Sentence number {i} talks about topic {i % 7}." for i in range(200))
    chunks = chunk_text(text, max_words=40, overlap_words=8)
    assert len(chunks) > 5
    for c in chunks:
        assert text[c.start : c.end] == c.text
        assert len(c.text.split()) <= 40


def test_chunks_overlap_and_cover_everything():
    text = " ".join(f"Word{i}." for i in range(500))
    chunks = chunk_text(text, max_words=50, overlap_words=10)
    assert chunks[0].start == 0 and chunks[-1].end == len(text)
    for a, b in zip(chunks, chunks[1:]):
        assert b.start < a.end, "consecutive passages share some text"
        assert b.start > a.start, "every passage moves forward"


def test_a_sentence_longer_than_the_budget_is_cut_at_words():
    text = " ".join(["lorem"] * 1000)
    chunks = chunk_text(text, max_words=100, overlap_words=0)
    assert len(chunks) == 10
    assert all(len(c.text.split()) == 100 for c in chunks)


def test_empty_and_blank_text_give_no_chunks():
    assert chunk_text("") == []
    assert chunk_text("   \n\n  ") == []


def test_passages_stay_within_their_page():
    text = "Alpha page one.\n\nBeta page two.\n\nGamma page three."
    pages = [PageSpan(0, 15, 1), PageSpan(17, 31, 2), PageSpan(33, 50, 3)]
    chunks = chunk_text(text, pages)
    assert [(c.text, c.page) for c in chunks] == [("Alpha page one.", 1), ("Beta page two.", 2),
                                                   ("Gamma page three.", 3)]
