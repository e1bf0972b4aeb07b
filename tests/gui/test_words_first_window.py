"""In the window: after Add folder, files are found by their words while their passages are still being
embedded, and the sidebar and progress bar say so (the big run's second phase, see core.backfill)."""

import numpy as np

from localsearch.core import indexer, paths
from localsearch.core.embed.hashing import HashingEmbedder
from localsearch.core.service import Service
from localsearch.core.settings import Settings
from localsearch.gui.main_window import MainWindow
from tests.gui.test_window import search, up_to_date
from tests.integration.test_words_first import TIMEOUT, Gated


class GatedPassages(Gated):
    """Holds the passages back; a typed query is embedded at once, as the app's query encoder does."""

    def embed_query(self, text: str) -> np.ndarray:
        vector: np.ndarray = HashingEmbedder.embed_texts(self, [text])[0]
        return vector


def sidebar(window: MainWindow) -> str:
    return "\n".join(window.sidebar.item(i).text() for i in range(window.sidebar.count()))


def test_words_find_files_while_the_sidebar_counts_passages_embedded(qtbot, tmp_path):
    root = tmp_path / "notes"
    root.mkdir()
    for i in range(indexer.TEXT_FIRST_FILES + 10):
        (root / f"note{i:03}.txt").write_text(f"Minutes {i}: the harbour committee met, codeword zeta{i:03}.\n")
    model = GatedPassages()
    service = Service(paths.resolve(tmp_path / "home"), Settings(text_model="hashing", ocr=False), model)
    window = MainWindow(service)
    qtbot.addWidget(window)
    window.show()
    try:
        window.add_folder(str(root))
        wait_ms = int(TIMEOUT * 1000)
        qtbot.waitUntil(lambda: "passages searchable by meaning" in sidebar(window), timeout=wait_ms)
        assert "0 of 30 passages searchable by meaning (all by words)" in sidebar(window)
        qtbot.waitUntil(lambda: "30 files · 0 of 30 passages" in sidebar(window), timeout=wait_ms)  # read off-thread
        assert window.index_progress.isVisible() and "passages embedded" in window.index_progress.text()
        assert search(qtbot, window, "zeta017") == ["note017.txt"]
        model.gate.set()
        qtbot.waitUntil(lambda: up_to_date(window, "notes"), timeout=wait_ms)
        assert not window.index_progress.isVisible()
    finally:
        model.gate.set()
        window.shutdown()
        service.close()
