"""The optional cross-encoder stage (settings: reranker), with a tiny random cross-encoder, offline.

Plumbing, not quality: the top hits come back in the cross-encoder's own order, the rest unchanged,
off by default, one plain line when the model cannot be had; the window shows results first and
reorders them when the cross-encoder is done.
"""

import json
import subprocess
import sys
from dataclasses import replace

import pytest

from localsearch.core import paths
from localsearch.core.embed.hashing import HashingEmbedder
from localsearch.core.errors import ModelUnavailable
from localsearch.core.rerank import DEPTH, Reranker
from localsearch.core.search import Query
from localsearch.core.service import Service
from localsearch.core.settings import Settings, save
from tests import crossgen

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cross_encoder(tmp_path_factory):
    return crossgen.tiny_cross_encoder(tmp_path_factory.mktemp("rerank") / "tiny")


@pytest.fixture
def notes(tmp_path):
    root = tmp_path / "notes"
    root.mkdir()
    for i in range(60):
        (root / f"note{i:02}.txt").write_text(f"Note {i}: the monthly rent for flat {i} and the landlord's invoice.")
    return root


def test_the_top_hits_come_back_in_the_cross_encoders_order(tmp_path, notes, cross_encoder):
    settings = Settings(text_model="hashing", ocr=False, reranker=str(cross_encoder))
    service = Service(paths.resolve(tmp_path / "home"), settings, HashingEmbedder())
    try:
        service.index("notes", [str(notes)])
        query = Query("monthly rent landlord", k=60)
        fused = service.search(query)
        assert len(fused.hits) == 60
        reranked = service.rerank(query, fused)
        top = fused.hits[:DEPTH]
        texts = service.catalog.chunk_rows([h.chunk_id for h in top])
        scores = Reranker(str(cross_encoder), "cpu").scores(query.text, [texts[h.chunk_id].text for h in top])
        expected = [h.path for _, h in sorted(zip(scores, top), key=lambda p: -p[0])]
        assert [h.path for h in reranked.hits[:DEPTH]] == expected
        assert expected != [h.path for h in top], "the tiny model's order is not fusion's"
        assert [h.path for h in reranked.hits[DEPTH:]] == [h.path for h in fused.hits[DEPTH:]]
        assert all(h.rerank_score is not None for h in reranked.hits[:DEPTH])
        assert "rerank_score" in reranked.hits[0].to_json() and "rerank_score" not in fused.hits[0].to_json()
    finally:
        service.close()


def test_off_by_default_and_keywords_alone_are_never_reranked(service, notes):
    service.index("notes", [str(notes)])
    query = Query("monthly rent", k=5)
    result = service.search(query)
    assert service.reranker is None and service.rerank(query, result) is result


def test_setting_or_clearing_the_reranker_takes_effect_without_a_restart(service, notes, cross_encoder):
    service.index("notes", [str(notes)])
    query = Query("monthly rent landlord", k=30)
    fused = service.search(query)
    assert service.rerank(query, fused) is fused
    service.apply_settings(replace(service.settings, reranker=str(cross_encoder)))  # as the Settings dialog does
    assert service.reranker is not None and service.rerank(query, fused).hits[0].rerank_score is not None
    service.apply_settings(replace(service.settings, reranker=""))
    assert service.reranker is None and service.rerank(query, fused) is fused


def test_a_missing_reranker_is_one_plain_line(tmp_path, notes):
    home = tmp_path / "home"
    save(paths.resolve(home).ensure().settings, Settings(text_model="hashing", ocr=False,
                                                          reranker=str(tmp_path / "no-such-model")))
    with pytest.raises(ModelUnavailable, match="does not exist"):
        Reranker(str(tmp_path / "no-such-model"))
    cli = [sys.executable, "-m", "localsearch", "--home", str(home)]
    subprocess.run([*cli, "index", str(notes), "-c", "notes", "--no-progress"], check=True, capture_output=True)
    run = subprocess.run([*cli, "search", "monthly rent"], capture_output=True, text=True)
    assert run.returncode != 0
    assert "does not exist" in run.stderr and "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


def test_the_command_line_reranks_offline(tmp_path, notes, cross_encoder):
    home = tmp_path / "home"
    save(paths.resolve(home).ensure().settings, Settings(text_model="hashing", ocr=False, reranker=str(cross_encoder)))
    cli = [sys.executable, "-m", "localsearch", "--home", str(home)]
    subprocess.run([*cli, "index", str(notes), "-c", "notes", "--no-progress"], check=True, capture_output=True)
    run = subprocess.run([*cli, "search", "monthly rent", "--json", "-k", "5"], capture_output=True, text=True,
                         env={**__import__("os").environ, "HF_HUB_OFFLINE": "1"})
    assert run.returncode == 0, run.stderr
    hits = json.loads(run.stdout)
    assert len(hits) == 5 and all("rerank_score" in h for h in hits)
    scores = [h["rerank_score"] for h in hits]
    assert scores == sorted(scores, reverse=True)
