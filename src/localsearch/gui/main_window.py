"""The main window: collections on the left, search bar and results on the right, status below.

The window lays out its widgets and hands the work to its components, as qutebrowser's main window
does: the watcher's life (watch_control), changes to collections (collection_actions), searching
(search_control), what is done with a result (result_actions) and indexing progress (progress). All
engine work runs off the GUI thread, reporting back through signals.
"""

import os
import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import (QAction, QDesktopServices, QDragEnterEvent, QDropEvent, QKeySequence, QResizeEvent,
                           QShortcut)
from PySide6.QtWidgets import (QMainWindow, QSplitter, QToolBar, QWidget)

from localsearch.core import extract
from localsearch.core.indexer import Progress, Report
from localsearch.core.service import Service
from localsearch.core.settings import save as save_settings
from localsearch.core.watcher import Watcher, WatchState
from localsearch.gui import menus
from localsearch.gui.api_host import ApiHost
from localsearch.gui.collection_actions import CollectionActions
from localsearch.gui.dialogs import SettingsDialog
from localsearch.gui.elided import ElidedLine
from localsearch.gui.photostrip import TILE_SIZES
from localsearch.gui.progress import IndexProgress
from localsearch.gui.result_actions import ResultActions
from localsearch.gui.search_area import SearchArea
from localsearch.gui.search_control import FIRST_PAGE, LIST_LENGTH, SearchControl, result_count
from localsearch.gui.sidebar import CollectionSidebar
from localsearch.gui.tasks import TaskRunner
from localsearch.gui.watch_control import WatchControl, plain_message

__all__ = ["FIRST_PAGE", "LIST_LENGTH", "MainWindow", "plain_message", "result_count"]

GIL_SWITCH_S = 0.001
"""How long a Python thread keeps the GIL while another waits for it (Python's default: 5 ms). The window
paints through Python (delegates, handlers) and each call waits for the GIL while searches and the
indexer run Python code: with 5 ms slices a frame waited 70-80 ms at 1M passages (bench/gui_stall.py)."""


def _shortcut(keys: str | QKeySequence.StandardKey, parent: QWidget, slot: Callable[[], object],
              widget: bool = False) -> QShortcut:
    """A key for `slot` in the window, or (widget) only while `parent` has the focus."""
    shortcut = QShortcut(QKeySequence(keys), parent)
    if widget:
        shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
    shortcut.activated.connect(slot)
    return shortcut


class MainWindow(QMainWindow):
    """Signals: first_results(int hits) when a search's first page is on screen, search_done(int hits)
    when its list is complete, collections_changed(), message_shown(str)."""

    first_results = Signal(int)
    search_done = Signal(int)
    reranked = Signal(int)
    collections_changed = Signal()
    message_shown = Signal(str)

    def __init__(self, service: Service, watch: bool = True) -> None:
        super().__init__()
        sys.setswitchinterval(GIL_SWITCH_S)
        self.service = service
        self.files = TaskRunner(1, self)  # opening results, reading failures: file and catalog reads off the GUI thread
        self.progress: dict[str, Progress] = {}
        self._counted_at: dict[str, tuple[str, int]] = {}  # (phase, count) at the last sidebar read
        self.open_url = QDesktopServices.openUrl  # replaced by tests
        self.qsettings = QSettings(str(service.paths.config / "window.ini"), QSettings.Format.IniFormat)
        self.watch = WatchControl(service, watch, self.collection_names, self)
        self.watch.bridge.states.connect(self._on_states)
        self.watch.bridge.progress.connect(self._on_progress)
        self.watch.bridge.report.connect(self._on_report)
        self.watch.bridge.error.connect(self._on_error)
        self.watch.changed.connect(self._changed)
        self.watch.failed.connect(self.show_message)
        self.api = ApiHost(service, lambda: self.watch.watcher, self)
        self.api.started.connect(lambda url: self.statusBar().showMessage(
            f"Other apps can search at {url} with the token from “localsearch serve --show-token”", 15000))
        self.api.failed.connect(self.show_message)

        self.setWindowTitle("LocalSearch")
        self.setAcceptDrops(True)
        self._build()
        self.collections = CollectionActions(self)
        self.searching = SearchControl(self)
        self.results = ResultActions(self)
        self._connect()
        self._restore()
        self.refresh_collections()  # the watcher starts once the collections are read
        QTimer.singleShot(0, self.api.sync)

    # --- layout -------------------------------------------------------------------------------

    def _build(self) -> None:
        """The widgets and their places; what they do is wired in _connect, once the components exist."""
        bar = QToolBar("Main")
        bar.setMovable(False)
        self.addToolBar(bar)
        self.add_action = QAction("Add folder…", self)
        bar.addAction(self.add_action)
        self.settings_action = QAction("Settings…", self)
        bar.addAction(self.settings_action)

        self.sidebar = CollectionSidebar(self.service, lambda: (self.states, self.progress))
        self.sidebar.setMinimumWidth(200)
        self.sidebar.setSpacing(4)  # not a stylesheet: that would stop the list following the palette
        self.sidebar.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)

        self.area = SearchArea(self.service, self.qsettings)
        area = self.area
        self.search, self.operators, self.debounce, self.filters = area.search, area.operators, area.debounce, area.filters
        self.kind, self.file_type, self.modified, self.sort = area.kind, area.file_type, area.modified, area.sort
        self.banner, self.history, self.likeness, self.empty = area.banner, area.history, area.likeness, area.empty
        self.thumbnails, self.model, self.view, self.delegate = area.thumbnails, area.model, area.view, area.delegate
        self.strip, self.preview, self.results_split = area.strip, area.preview, area.results_split
        self.splitter = QSplitter()
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(area)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([230, 770])
        self.setCentralWidget(self.splitter)

        self.status_label = ElidedLine(300)  # what the collections hold: new counts repaint it, no relayout
        self.count_label = ElidedLine(170, Qt.AlignmentFlag.AlignRight)  # "12 results", "200 of ≥412 results"
        self.index_progress = IndexProgress(self.watch.is_paused)  # bar, elided line, details with Pause
        self.statusBar().addWidget(self.status_label, 1)
        self.statusBar().addPermanentWidget(self.count_label)
        self.statusBar().addPermanentWidget(self.index_progress, 2)
        self.resize(1100, 720)

    def _connect(self) -> None:
        """What the widgets do: each hands its work to the component it belongs to."""
        self.add_action.triggered.connect(self.collections.choose_folder)
        self.settings_action.triggered.connect(self.open_settings)
        self.sidebar.loaded.connect(self._collections_read)
        self.sidebar.customContextMenuRequested.connect(self.collections.menu)
        self.sidebar.currentItemChanged.connect(lambda *_: self.schedule_search())
        self.index_progress.toggled.connect(self.collections.toggle_pause)
        self.search.textChanged.connect(self.schedule_search)
        self.search.returnPressed.connect(self.results.focus_results)
        for combo in (self.kind, self.file_type, self.modified, self.sort):
            combo.currentIndexChanged.connect(lambda *_: self.schedule_search())
        self.operators.triggered.connect(self.show_operators)
        self.debounce.timeout.connect(self.searching.run)
        self.likeness.changed.connect(self.searching.likeness_changed)
        self.likeness.back.connect(self.searching.go_back)
        self.strip.activated.connect(lambda hit: self.results.open(hit.path, folder=False))
        self.strip.menu.connect(self.results.hit_menu)
        self.strip.current.connect(self.area.preview_hit)
        self.view.activated.connect(lambda idx: self.results.open_hit(idx))
        self.view.customContextMenuRequested.connect(self.results.list_menu)
        self.view.selectionModel().currentChanged.connect(lambda *_: self._preview_current())

        self.menu_actions = menus.install(self)  # Ctrl+F, Ctrl+O, Ctrl+Q, Ctrl+, live there
        _shortcut("Ctrl+L", self, self.focus_search)
        _shortcut("Escape", self, self.clear_search)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            _shortcut(keys, self.view, self.results.reveal_current, widget=True)
        _shortcut(QKeySequence.StandardKey.Copy, self.view, self.results.copy_current, widget=True)
        for view in (self.view, self.strip.view):
            for keys, slot in (("Space", self.toggle_preview), ("N", self.preview.next_match),
                               ("Shift+N", self.preview.previous_match)):
                _shortcut(keys, view, slot, widget=True)
        _shortcut(QKeySequence.StandardKey.ZoomIn, self, lambda: self.zoom(1))
        _shortcut("Ctrl+=", self, lambda: self.zoom(1))
        _shortcut(QKeySequence.StandardKey.ZoomOut, self, lambda: self.zoom(-1))
        self.searching.update_empty()

    def _restore(self) -> None:
        geometry = self.qsettings.value("geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        splitter = self.qsettings.value("splitter")
        if isinstance(splitter, QByteArray):
            self.splitter.restoreState(splitter)
        split = self.qsettings.value("preview_split")
        if isinstance(split, QByteArray):
            self.results_split.restoreState(split)
        else:
            self.results_split.setSizes([600, 360])
        tile = self.qsettings.value("tile")
        if isinstance(tile, (int, str)) and str(tile).isdigit() and int(tile) < len(TILE_SIZES):
            self.area.set_tile(TILE_SIZES[int(tile)])
        self.preview.setVisible(self.qsettings.value("preview") in (True, "true"))
        self.menu_actions["preview"].setChecked(self.preview.isVisible())
        last = self.qsettings.value("last_query", "")
        if isinstance(last, str) and last:
            self.search.setText(last)

    # --- collections and the watcher ------------------------------------------------------------

    def collection_names(self) -> list[str]:
        """As last read from the catalog (off the GUI thread)."""
        return self.sidebar.names

    @property
    def roots(self) -> dict[str, list[str]]:
        """Each collection's folders, as last read."""
        return {c.name: c.roots for c in self.sidebar.holdings.collections}

    @property
    def watcher(self) -> Watcher | None:
        return self.watch.watcher

    @property
    def states(self) -> dict[str, WatchState]:
        return self.watch.states

    def refresh_collections(self) -> None:
        """Read the collections again, off the GUI thread (_collections_read shows them)."""
        self.sidebar.reload()

    def _collections_read(self) -> None:
        if self.watch.closed:
            return
        self.filters.setEnabled(any(c.files for c in self.sidebar.holdings.collections))  # nothing to filter yet
        self.status_label.setText(self.sidebar.summary())
        self.status_label.setToolTip(self.sidebar.summary())
        self.searching.update_empty()
        self.collections_changed.emit()
        self.watch.start()

    def selected_collection(self) -> str | None:
        return self.sidebar.selected()

    def add_folder(self, folder: str) -> None:
        self.collections.add_folder(folder)

    def _changed(self, said: str) -> None:
        """A change to the collections is done: read them anew (the watcher starts again over them)."""
        self.refresh_collections()
        self.searching.refresh()
        if said:
            self.show_message(said, error=False)

    def _on_states(self, states: list[WatchState]) -> None:
        for s in states:
            if s.mode == "offline":
                self.show_message(f"The folder of “{s.collection}” is missing (unplugged or moved?). Its index is "
                                  f"kept; if it moved, right-click “{s.collection}” → Locate.", error=False)
        self.index_progress.note_paused({s.collection for s in states if s.mode == "paused"})
        self.sidebar.redraw()

    def _on_error(self, error: BaseException) -> None:
        self.show_message(plain_message(error))
        self.banner.setToolTip(f"{type(error).__name__}: {error}")  # the details, for a bug report

    def _on_progress(self, p: Progress) -> None:
        self.progress[p.collection] = p
        self.index_progress.update_progress(p)
        self.sidebar.redraw()
        counted = p.phase in ("indexing", "embedding") and p.done < p.total
        phase, at = self._counted_at.get(p.collection, ("", 0))
        if not counted or phase != p.phase or not at <= p.done < at + 25:
            self._counted_at[p.collection] = (p.phase, p.done)
            self.refresh_collections()  # its counts: at a new phase, then every 25 more (a report comes per file read)

    def _on_report(self, report: Report) -> None:
        if report.added or report.updated or report.removed or report.moved or report.photos_read:
            self.searching.refresh()  # text read in photos makes them findable by it too
        self.refresh_collections()

    # --- search -------------------------------------------------------------------------------

    @property
    def similar_to(self) -> str | None:
        return self.searching.similar_to

    def schedule_search(self, *_: object) -> None:
        self.debounce.start()

    def run_search(self) -> None:
        self.searching.run()

    def find_similar(self, image_path: str, announce: bool = True, remember: bool = True) -> None:
        self.searching.find_similar(image_path, announce, remember)

    def show_operators(self) -> None:
        """The search operators under the search field's end; choosing one adds it to the search."""
        menus.syntax_menu(self).popup(self.search.mapToGlobal(self.search.rect().bottomLeft()))

    def add_to_search(self, operator: str) -> None:
        text = self.search.text().rstrip()
        self.search.setText(f"{text} {operator}".lstrip())
        self.search.setFocus()

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def clear_search(self) -> None:
        self.search.clear()
        self.search.setFocus()

    # --- preview and thumbnails ---------------------------------------------------------------

    def toggle_preview(self) -> None:
        """Show or hide the preview pane (Space, View > Preview); its width is remembered."""
        self.preview.setVisible(not self.preview.isVisible())
        self.menu_actions["preview"].setChecked(self.preview.isVisible())
        self._preview_current()

    def _preview_current(self) -> None:
        self.area.preview_hit(self.area.current_hit())

    def zoom(self, step: int) -> None:
        self.area.zoom(step)

    # --- messages, drops, shutdown ------------------------------------------------------------

    def show_message(self, text: str, error: bool = True, about_view: bool = False) -> None:
        """A problem stays until closed; information goes after a few seconds; a message about the
        current view (about_view) goes with it."""
        self.banner.show_text(text, error, about_view)
        self.message_shown.emit(text)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        for url in event.mimeData().urls():
            path = url.toLocalFile()
            if not path:
                continue
            if os.path.isdir(path):
                self.collections.add_folder(path)
            elif extract.kind_of(Path(path)) == "photo":
                self.find_similar(path)
            else:
                self.show_message("Drop a folder to add it to LocalSearch.", error=False)
        event.acceptProposedAction()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.status_label.set_width(max(120, self.width() // 3))  # the status bar's line: a third of the width

    def closeEvent(self, event: object) -> None:  # noqa: N802
        self.qsettings.setValue("geometry", self.saveGeometry())
        self.qsettings.setValue("splitter", self.splitter.saveState())
        self.qsettings.setValue("preview_split", self.results_split.saveState())
        self.qsettings.setValue("preview", self.preview.isVisible())
        self.qsettings.setValue("last_query", self.search.text())
        self.qsettings.sync()
        self.shutdown()
        super().closeEvent(event)  # type: ignore[arg-type]

    def shutdown(self) -> None:
        """Stop background work cleanly: the batch in flight is committed, indexes saved."""
        self.watch.closed = True
        self.debounce.stop()
        self.watch.control.wait()
        self.api.stop()  # no new requests while the writer stops
        self.watch.shutdown()
        self.searching.searches.wait()
        self.files.wait()
        self.sidebar.shutdown()
        self.thumbnails.pool.waitForDone(5000)

    def open_settings(self) -> None:
        dialog = SettingsDialog(self.service.settings, self)
        if not dialog.exec():
            return
        new = dialog.result_settings()
        save_settings(self.service.paths.settings, new)
        self.watch.with_stopped(lambda: self.service.apply_settings(new))
        self.api.sync(new)
