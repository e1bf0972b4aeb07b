from localsearch.core import search


def test_rrf_rewards_agreement_between_lists():
    fused = search.rrf([[1, 2, 3], [3, 4, 1]])
    assert max(fused, key=fused.__getitem__) in (1, 3)
    assert fused[1] > fused[2] and fused[3] > fused[4]


def test_fts_query_quotes_terms_so_no_syntax_leaks():
    assert search.fts_query('invoice 2024-0042') == '"invoice" OR "2024-0042"'
    assert search.fts_query('NEAR(x "b"* ^c') == '"NEAR" OR "x" OR "b" OR "c"'
    assert search.fts_query("how do I renew my passport") == '"renew" OR "passport"'
    assert search.fts_query("to be or not to be") == '"to" OR "be" OR "or" OR "not" OR "to" OR "be"'
    assert search.fts_query("   ") == ""


def test_snippet_windows_around_the_first_match():
    text = "filler " * 200 + "the passport office" + " more" * 100
    spans = search.match_spans(text, ["passport"])
    snippet, offset, inside = search.make_snippet(text, spans, width=100)
    assert "passport" in snippet and len(snippet) <= 100
    a, b = inside[0]
    assert snippet[a:b].lower() == "passport"
    assert text[offset : offset + len(snippet)] == snippet


def test_match_spans_are_case_insensitive_and_cover_whole_words():
    assert search.match_spans("Renew your Passport; passports", ["passport"]) == [(11, 19), (21, 30)]
    assert search.match_spans("xpassport", ["passport"]) == []
    assert search.match_spans("them and the", ["the"]) == [(9, 12)], "short words match whole words only"


def test_weighted_rrf_lets_an_exact_id_beat_stray_matches():
    texts = {1: "invoice 2024-0042 for ACME", 2: "another invoice", 3: "unrelated words"}
    terms = search.keyword_terms("invoice 2024-0042")
    keyword = [(2, -3.0), (1, -2.5)]  # BM25 happened to rank the stray match first
    semantic = [(3, 0.35), (2, 0.30), (1, 0.25)]
    fused = search.weighted_rrf(keyword, semantic, texts, terms)
    assert max(fused, key=fused.__getitem__) == 1


def test_weighted_rrf_lets_a_close_paraphrase_beat_a_one_word_match():
    texts = {1: "renewing travel documents at the consulate", 2: "random text mentioning travel once"}
    terms = search.keyword_terms("getting a new travel document abroad")
    fused = search.weighted_rrf([(2, -1.0)], [(1, 0.62), (2, 0.22)], texts, terms)
    assert fused[1] > fused[2]


def test_coverage_counts_inflected_forms():
    assert search.coverage("The monthly rent, paid each month", ["monthly", "rent"]) == 1.0
    assert search.coverage("two months of rent", ["month", "deposit"]) == 0.5
