from localsearch.core import search


def test_rrf_rewards_agreement_between_lists():
    fused = search.rrf([[1, 2, 3], [3, 4, 1]])
    assert max(fused, key=fused.__getitem__) in (1, 3)
    assert fused[1] > fused[2] and fused[3] > fused[4]


def test_fts_query_quotes_terms_so_no_syntax_leaks():
    assert search.fts_query('invoice 2024-0042') == '"invoice" OR "2024-0042"'
    assert search.fts_query('NOT (a OR "b"') == '"NOT" OR "a" OR "OR" OR "b"'
    assert search.fts_query("   ") == ""


def test_snippet_windows_around_the_first_match():
    text = "filler " * 200 + "the passport office" + " more" * 100
    spans = search.match_spans(text, ["passport"])
    snippet, offset, inside = search.make_snippet(text, spans, width=100)
    assert "passport" in snippet and len(snippet) <= 100
    a, b = inside[0]
    assert snippet[a:b].lower() == "passport"
    assert text[offset : offset + len(snippet)] == snippet


def test_match_spans_are_case_insensitive_word_prefixes():
    assert search.match_spans("Renew your Passport; passports", ["passport"]) == [(11, 19), (21, 29)]
    assert search.match_spans("xpassport", ["passport"]) == []
