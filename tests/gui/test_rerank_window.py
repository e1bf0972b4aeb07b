"""With a reranker configured, the window shows fused results at once, then the cross-encoder's order."""

import threading

import pytest

from localsearch.core import paths
from localsearch.core.embed.hashing import HashingEmbedder
from localsearch.core.search import Query
from localsearch.core.service import Service
from localsearch.core.settings import Settings
from localsearch.gui.main_window import MainWindow
from tests import crossgen

pytestmark = pytest.mark.slow


def test_results_first_then_the_rerankers_order(qtbot, tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    for i in range(30):
        (notes / f"note{i:02}.txt").write_text(f"Flat {i}: the monthly rent {i * 7} and a landlord called Ann {i}.")
    model = crossgen.tiny_cross_encoder(tmp_path / "cross")
    settings = Settings(text_model="hashing", ocr=False, reranker=str(model))
    service = Service(paths.resolve(tmp_path / "home"), settings, HashingEmbedder())
    service.index("notes", [str(notes)])
    expected = [h.path for h in service.rerank(Query("monthly rent", k=200),
                                               service.search(Query("monthly rent", k=200))).hits]
    window = MainWindow(service)
    qtbot.addWidget(window)
    window.show()
    try:
        with qtbot.waitSignal(window.reranked, timeout=60000):
            with qtbot.waitSignal(window.search_done, timeout=60000):
                qtbot.keyClicks(window.search, "monthly rent")
            first = [h.path for h in window.model.hits]
            assert len(first) == 30, "results are shown before the cross-encoder has read them"
        assert [h.path for h in window.model.hits] == expected != first
    finally:
        window.shutdown()
        service.close()


def test_reranks_behind_newer_keystrokes_are_skipped(qtbot, tmp_path, monkeypatch):
    notes = tmp_path / "notes"
    notes.mkdir()
    for i in range(10):
        (notes / f"note{i}.txt").write_text(f"Flat {i}: the monthly rent and the landlord.")
    settings = Settings(text_model="hashing", ocr=False, reranker=str(crossgen.tiny_cross_encoder(tmp_path / "x")))
    service = Service(paths.resolve(tmp_path / "home"), settings, HashingEmbedder())
    service.index("notes", [str(notes)])
    ran: list[str] = []
    real = service.rerank
    monkeypatch.setattr(service, "rerank", lambda q, r: (ran.append(q.text), real(q, r))[1])
    window = MainWindow(service)
    qtbot.addWidget(window)
    window.show()
    try:
        gate = threading.Event()
        window.reranks.run(lambda: gate.wait(60), lambda _: None)  # the rerank worker is busy meanwhile
        for text in ("monthly", "monthly rent"):
            with qtbot.waitSignal(window.search_done, timeout=60000):
                window.search.setText(text)
                window.run_search()
        with qtbot.waitSignal(window.reranked, timeout=60000):
            gate.set()
        assert ran == ["monthly rent"], "only the rerank of what is on show ran"
    finally:
        window.shutdown()
        service.close()
