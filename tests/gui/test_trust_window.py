"""The window with the real packaged models, as issue 12's user saw it: only related results, reasons
in words, "No results" for what no file holds, and Back after Find similar photos."""

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from localsearch.core import paths
from localsearch.core.service import Service
from localsearch.core.settings import Settings
from localsearch.gui.main_window import MainWindow
from tests import docgen

pytestmark = pytest.mark.slow
skdata = pytest.importorskip("skimage.data")


@pytest.fixture
def window(qtbot, tmp_path, real_embedder, image_model):
    docs = docgen.mixed_folder(tmp_path / "Documents")
    pictures = tmp_path / "Pictures"
    pictures.mkdir()
    src = Path(skdata.__file__).parent
    for i, name in enumerate(["chelsea.png", "coffee.png", "rocket.jpg", "brick.png", "moon.png", "astronaut.png"]):
        shutil.copy(src / name, pictures / f"IMG_{1000 + i}{Path(name).suffix}")
    service = Service(paths.resolve(tmp_path / "home"), Settings(ocr=False), real_embedder, image_model)
    service.index("Documents", [str(docs)])
    service.index("Pictures", [str(pictures)])
    w = MainWindow(service, watch=False)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: w.sidebar.ready, timeout=30000)
    yield w
    w.shutdown()
    service.close()


def typed(qtbot, w: MainWindow, text: str, kind: str = "Documents and photos") -> list[str]:
    with qtbot.waitSignal(w.search_done, timeout=30000):
        w.kind.setCurrentText(kind)
        w.search.setText(text)
    return [Path(h.path).name for h in w.strip.hits + w.model.hits]


def test_only_related_results_with_their_reasons_and_back_from_look_alikes(qtbot, window):
    w = window
    assert typed(qtbot, w, "cat", "Photos") == ["IMG_1000.png"]  # the cat, none of the other photos
    assert typed(qtbot, w, "Okafor") == [] and "No results" in w.empty.text()
    rent = typed(qtbot, w, "how much do I pay the landlord every month")
    assert rent[0] == "contract.pdf" and "garden.txt" not in rent
    top = w.model.hits[0]
    assert top.why[0].startswith("words: ") and "meaning" in top.why and top.page == 2
    assert w.count_label.text() == f"{len(rent)} result" + ("s" if len(rent) > 1 else "")

    typed(qtbot, w, "cat", "Photos")
    scroll = w.view.verticalScrollBar().value()
    with qtbot.waitSignal(w.search_done, timeout=30000):
        w.find_similar(w.model.hits[0].path)
    assert [Path(h.path).name for h in w.model.hits] == ["IMG_1000.png"]  # no other photo looks like it
    tip = w.model.data(w.model.index(0), Qt.ItemDataRole.ToolTipRole)  # a tile shows why in its tooltip
    assert "the photo itself" in tip and "score 1.0" in tip
    with qtbot.waitSignal(w.search_done, timeout=30000):
        w.searching.go_back()
    assert w.search.text() == "cat" and [Path(h.path).name for h in w.model.hits] == ["IMG_1000.png"]
    assert w.view.verticalScrollBar().value() == scroll
