from localsearch.core import search
from localsearch.core.store.reads import ChunkRow


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
    snippet, start, end, inside = search.make_snippet(text, spans, width=100)
    assert "passport" in snippet and len(snippet) <= 102
    a, b = inside[0]
    assert snippet[a:b].lower() == "passport"
    assert snippet == "…" + text[start:end].strip() + "…"


def test_snippet_cuts_at_words_and_starts_with_the_sentence_holding_most_query_words():
    text = ("The lease was signed in March. " + "Parking is in the garage behind the building. " * 8 +
            "The monthly rent is due within five days of the first and the landlord keeps a deposit. "
            + "Unrelated closing remarks follow here " * 10)
    spans = search.match_spans(text, ["monthly", "rent", "landlord", "lease"])
    snippet, start, end, inside = search.make_snippet(text, spans, width=120)
    assert snippet.startswith("…The monthly rent"), snippet
    assert snippet.endswith("…") and text[end - 1].isalnum() and text[end] == " ", "cut between words"
    assert [snippet[a:b] for a, b in inside] == ["monthly", "rent", "landlord"][: len(inside)] and inside
    short, start, end, same = search.make_snippet("A short note about rent.", [(19, 23)])
    assert short == "A short note about rent." and (start, end) == (0, 24) and same == [(19, 23)]


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


def test_coverage_matches_word_forms_but_ranks_the_exact_form_higher():
    exact = search.coverage("The lineage develops from progenitor cells", ["develops", "progenitor"])
    forms = search.coverage("Lineages developed from progenitors", ["develops", "progenitor"])
    assert exact == 1.0 and 0.8 < forms < exact
    assert search.coverage("T cells respond", ["T", "cells"]) == 1.0, "one-letter terms count for nothing"
    assert search.coverage("a low birth-weight cohort", ["birthweight"]) > 0.8
    assert search.match_spans("developing and developed", ["develop"]) == [(0, 10), (15, 24)]


def test_coverage_weighs_rare_words_over_common_ones():
    terms = ["library", "classification", "dewey"]
    frequencies = {"librari": 900, "classif": 300, "dewei": 3}
    matcher = search.Matcher(terms, frequencies, 1000)
    assert matcher.coverage("the Dewey decimal system") > matcher.coverage("library classification schemes")
    assert search.Matcher(terms).coverage("the Dewey decimal system") < 0.5, "equal weights without frequencies"


def row(cid: int, file_id: int, text: str = "") -> ChunkRow:
    return ChunkRow(cid, file_id, "c", f"/d/{file_id}.txt", "document", 0, len(text), None, text)


def test_a_files_evidence_adds_up_across_its_passages():
    """Words in one passage, meaning in another: the file beats files with only one of the two."""
    rows = {1: row(1, 1, "invoice ACME"), 2: row(2, 1, "paid by transfer"), 3: row(3, 2, "invoice ACME"),
            4: row(4, 3, "paid by transfer")}
    texts = {cid: r.text for cid, r in rows.items()}
    matcher = search.term_pattern(["invoice", "acme"])
    keyword = [(3, -2.0), (1, -1.9)]
    semantic = [(4, 0.6), (2, 0.58)]
    files = search.fuse_files(keyword, semantic, rows, texts, matcher)
    assert files[0][1].file_id == 1
    assert [r.file_id for _, r in files] .count(1) == 1, "one hit per file"
    keywords_only = search.fuse_files(keyword, [], rows, texts, matcher, by_coverage=False)
    assert [r.file_id for _, r in keywords_only] == [2, 1], "keywords alone: BM25's order"
