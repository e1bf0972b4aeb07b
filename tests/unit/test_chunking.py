from localsearch.core.chunking import Budget, chunk_text
from localsearch.core.types import Extracted
from localsearch.core.types import PageSpan


def test_spans_point_back_into_the_text():
    text = "\n".join(f"Sentence number {i} talks about topic {i % 7}." for i in range(200))
    chunks = chunk_text(text, budget=Budget(40, 8))
    assert len(chunks) > 5
    for c in chunks:
        assert text[c.start : c.end] == c.text
        assert len(c.text.split()) <= 40


def test_chunks_overlap_and_cover_everything():
    text = " ".join(f"Word{i}." for i in range(500))
    chunks = chunk_text(text, budget=Budget(50, 10))
    assert chunks[0].start == 0 and chunks[-1].end == len(text)
    for a, b in zip(chunks, chunks[1:]):
        assert b.start < a.end, "consecutive passages share some text"
        assert b.start > a.start, "every passage moves forward"


def test_a_sentence_longer_than_the_budget_is_cut_at_words():
    text = " ".join(["lorem"] * 1000)
    chunks = chunk_text(text, budget=Budget(100, 0))
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


def test_passages_fit_the_models_window_in_its_own_word_pieces():
    """Technical text (code, versions, paths) has far more word pieces than words: sized by the model's
    tokenizer, no passage overflows what the model reads, and none of the text is lost."""
    from localsearch.core import passages
    from localsearch.core.embed.sentence import packaged_model_dir
    from localsearch.core.embed.tokens import TokenCounter

    counter = TokenCounter.from_folder(packaged_model_dir())
    assert counter is not None and counter.max_tokens == 254
    line = "libfoo2 (2.4.1-3ubuntu0.2) jammy-security; urgency=medium: CVE-2024-12345 fix in src/xml/parse.c:1142.\n"
    text = "Changelog\n" + line * 120 + "x" * 3000  # and one 'word' longer than the window
    title = passages.title_of(Extracted(text=text))
    assert title == "Changelog"
    budget = passages.budget_for_counter(counter, title)
    by_words = chunk_text(text)
    by_tokens = chunk_text(text, budget=budget)
    assert max(counter.count([c.text for c in by_words])) > counter.max_tokens, "words overflow here"
    sizes = counter.count([passages.embedding_text(title, c.text) for c in by_tokens])
    assert max(sizes) <= counter.max_tokens
    covered = set()
    for c in by_tokens:
        covered.update(range(c.start, c.end))
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace()), "every character is in a passage"


def test_titles_come_from_content_and_lead_later_passages():
    from localsearch.core import passages

    assert passages.title_of(Extracted(text="Tenancy agreement\nThe rent is due monthly.")) == "Tenancy agreement"
    assert passages.title_of(Extracted(text="one long first line " * 10 + "\nmore")) is None
    assert passages.title_of(Extracted(text="Only a line")) is None
    assert passages.title_of(Extracted(text="body", title="  Annual  report ")) == "Annual report"
    assert passages.embedding_text("Annual report", "Annual report\nfirst") == "Annual report\nfirst"
    assert passages.embedding_text("Annual report", "the fifth passage") == "Annual report\nthe fifth passage"
    assert passages.embedding_text(None, "text") == "text"
