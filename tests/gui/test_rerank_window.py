"""With a reranker configured, the window shows fused results at once, then the cross-encoder's order."""

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
