"""With a reranker configured, the window shows fused results at once, then the cross-encoder's order."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from localsearch.core import paths
from localsearch.core.embed.hashing import HashingEmbedder
from localsearch.core.search import Query
from localsearch.core.service import Service
from localsearch.core.settings import Settings
from localsearch.gui.main_window import MainWindow
from tests import crossgen

pytestmark = pytest.mark.slow


@contextmanager
def reranking_window(qtbot, tmp_path: Path, notes: list[str]) -> Iterator[MainWindow]:
    """A window over these notes, indexed, with a tiny cross-encoder as the reranker."""
    folder = tmp_path / "notes"
    folder.mkdir()
    for i, text in enumerate(notes):
        (folder / f"note{i:02}.txt").write_text(text)
    settings = Settings(text_model="hashing", ocr=False, reranker=str(crossgen.tiny_cross_encoder(tmp_path / "x")))
    service = Service(paths.resolve(tmp_path / "home"), settings, HashingEmbedder())
    service.index("notes", [str(folder)])
    window = MainWindow(service)
    qtbot.addWidget(window)
    window.show()
    try:
        yield window
    finally:
        window.shutdown()
        service.close()


def test_results_first_then_the_rerankers_order(qtbot, tmp_path):
    notes = [f"Flat {i}: the monthly rent {i * 7} and a landlord called Ann {i}." for i in range(30)]
    with reranking_window(qtbot, tmp_path, notes) as window:
        service = window.service
        query = Query("monthly rent", k=200)
        expected = [h.path for h in service.rerank(query, service.search(query)).hits]
        with qtbot.waitSignal(window.reranked, timeout=60000):
            with qtbot.waitSignal(window.search_done, timeout=60000):
                qtbot.keyClicks(window.search, "monthly rent")
            first = [h.path for h in window.model.hits]
            assert len(first) == 30, "results are shown before the cross-encoder has read them"
        assert [h.path for h in window.model.hits] == expected != first


def test_reranks_behind_newer_keystrokes_are_skipped(qtbot, tmp_path, monkeypatch):
    notes = [f"Flat {i}: the monthly rent and the landlord." for i in range(10)]
    with reranking_window(qtbot, tmp_path, notes) as window:
        ran: list[str] = []
        real = window.service.rerank
        monkeypatch.setattr(window.service, "rerank", lambda q, r: (ran.append(q.text), real(q, r))[1])
        gate = threading.Event()
        window.searching.reranks.run(lambda: gate.wait(60), lambda _: None)  # the rerank worker is busy meanwhile
        for text in ("monthly", "monthly rent"):
            with qtbot.waitSignal(window.search_done, timeout=60000):
                window.search.setText(text)
                window.debounce.stop()  # searched now, not again when the typing pause ends
                window.run_search()
        with qtbot.waitSignal(window.reranked, timeout=60000):
            gate.set()
        assert ran == ["monthly rent"], "only the rerank of what is on show ran"
