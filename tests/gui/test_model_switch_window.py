"""Changing the text model in the window: the watcher builds the next index in the background, the
sidebar says so, searches answer throughout, and the new index takes over. Waits are on conditions."""

import dataclasses
import re
from pathlib import Path

from localsearch.core import paths
from localsearch.core.indexer import Progress
from localsearch.core.search import Query
from localsearch.core.service import Service
from localsearch.core.settings import Settings
from localsearch.gui.main_window import MainWindow
from tests.gui.test_window import search, up_to_date


def test_changing_the_text_model_switches_in_the_background(qtbot, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(30):
        (docs / f"note{i:02}.txt").write_text(f"Note {i} about the lighthouse keeper, entry{i}.")
    service = Service(paths.resolve(tmp_path / "home"), Settings(text_model="hashing-256", ocr=False,
                                                                  commit_every_chunks=2))
    window = MainWindow(service)
    qtbot.addWidget(window)
    window.show()
    try:
        window.add_folder(str(docs))
        qtbot.waitUntil(lambda: up_to_date(window, "docs"), timeout=60000)
        assert search(qtbot, window, "entry7")[0] == "note07.txt"
        before = [Path(h.path).name for h in service.search(Query("entry7", k=5)).hits]
        assert before[0] == "note07.txt"
        said: list[str] = []
        found_meanwhile: list[list[str]] = []

        def watch(p: Progress) -> None:
            if p.switching:
                said.append(window.sidebar.item(1).toolTip())
                if len(found_meanwhile) < 1 and p.done >= 10:
                    found_meanwhile.append([Path(h.path).name for h in service.search(Query("entry7", k=5)).hits])

        window.watch.bridge.progress.connect(watch)
        new = dataclasses.replace(service.settings, text_model="hashing")
        window.watch.with_stopped(lambda: service.apply_settings(new))  # what Settings → OK does
        qtbot.waitUntil(lambda: service.catalog.collection("docs").model_id == "localsearch/hashing-v1-384",
                        timeout=60000)
        qtbot.waitUntil(lambda: up_to_date(window, "docs"), timeout=60000)
        assert any(re.search(r"switching \(\d+ of 30\) to localsearch/hashing-v1-384", s) for s in said), said
        assert found_meanwhile == [before], "searches answered as before while the next index was built"
        assert search(qtbot, window, "entry7")[0] == "note07.txt"
    finally:
        window.shutdown()
        service.close()
