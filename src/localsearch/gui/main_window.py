"""The main window: collections on the left, search bar and results on the right, status below.

All engine work runs off the GUI thread: searches on a one-thread task runner, indexing and watching
on the watcher's thread, reporting back through signals.
"""

import html
import os
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import (QByteArray, QItemSelectionModel, QModelIndex, QPoint, QSettings, QSize, Qt, QTimer,
                            QUrl, Signal)
from PySide6.QtGui import QAction, QDesktopServices, QDragEnterEvent, QDropEvent, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (QComboBox, QFileDialog, QHBoxLayout, QInputDialog, QLabel, QLineEdit, QListView,
                               QMainWindow, QMenu, QMessageBox, QProgressBar, QStyle,
                               QSplitter, QToolBar, QVBoxLayout, QWidget)

from localsearch.core import extract, log, query_syntax
from localsearch.core.extract import photo
from localsearch.core.embed import factory
from localsearch.core.errors import KnownError
from localsearch.core.indexer import Progress, Report
from localsearch.core.search import Query
from localsearch.core.searcher import SearchResult
from localsearch.core.service import Service
from localsearch.core.settings import save as save_settings
from localsearch.core.types import Hit
from localsearch.core.watcher import Watcher, WatchState
from localsearch.gui.api_host import ApiHost
from localsearch.gui.bridge import WatchBridge
from localsearch.gui import menus
from localsearch.gui.lookalike import History, LikenessBar, Place
from localsearch.gui.photostrip import TILE_SIZES, PhotoStrip, split
from localsearch.gui.preview import PreviewPane
from localsearch.gui.dialogs import FailuresDialog, SettingsDialog
from localsearch.gui.filters import FilterBar
from localsearch.gui.messages import MessageBar
from localsearch.gui.results import HitRole, ResultDelegate, ResultsModel
from localsearch.gui.sidebar import CollectionSidebar
from localsearch.gui.tasks import TaskRunner
from localsearch.gui.thumbnails import ThumbnailLoader

KINDS = {"Documents and photos": None, "Documents": "document", "Photos": "photo"}
TYPES = {"Any type": None, "PDF": "pdf", "Word and RTF": "word", "Slides": "slides", "Spreadsheets": "spreadsheet",
         "Ebooks": "ebook", "Web pages": "web", "Text and notes": "text", "Source code": "code", "Images": "image"}
DAY = 86400.0
SORTS = {"Best match": "relevance", "Newest first": "modified", "By name": "name"}
MODIFIED = {"Any time": (None, None), "Past day": (DAY, None), "Past week": (7 * DAY, None),
            "Past month": (31 * DAY, None), "Past year": (365 * DAY, None), "Older than a year": (None, 365 * DAY)}


def _shortcut(keys: str | QKeySequence.StandardKey, parent: QWidget, slot: Callable[[], object],
              widget: bool = False) -> QShortcut:
    """A key for `slot` in the window, or (widget) only while `parent` has the focus."""
    shortcut = QShortcut(QKeySequence(keys), parent)
    if widget:
        shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
    shortcut.activated.connect(slot)
    return shortcut


def result_count(shown: int, total: int) -> str:
    """How many results, in words: all of them, or how many of at least how many when the list is cut."""
    if shown == 0:
        return ""
    if total > shown:
        return f"{shown} of ≥{total} results"
    return f"{shown} result{'s' if shown != 1 else ''}"


def plain_message(error: BaseException) -> str:
    """What a user can act on, without a traceback."""
    import errno
    import sqlite3

    if isinstance(error, KnownError):
        return f"Indexing stopped: {error}"
    text = str(error).lower()
    if (isinstance(error, OSError) and error.errno == errno.ENOSPC) or "disk is full" in text:
        return ("The disk is full, so LocalSearch cannot save its index. Free some space, then restart "
                "LocalSearch; nothing already indexed is lost.")
    if isinstance(error, sqlite3.DatabaseError):
        return f"LocalSearch cannot write its index ({error}). Check the disk, then restart LocalSearch."
    return f"Indexing stopped because of an unexpected error ({type(error).__name__}). Details are in the log."


LIST_LENGTH = 200
"""Hits a search lists (the count says when there are more)."""
FIRST_PAGE = 40
"""Hits searched first, more than a screen holds: shown as soon as they are ready, and the rest of the
list follows from a second search (200 snippets cost ~30 ms at 100,000 passages, 40 cost ~7 ms)."""
TYPING_PAUSE_MS = 60
"""The pause in typing that starts a search: a search costs ~7 ms, so searching mid-word is cheap,
and stale results are never shown."""


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
        self.service = service
        self.watch_enabled = watch
        self.watcher: Watcher | None = None
        self.bridge = WatchBridge(self)
        self.bridge.states.connect(self._on_states)
        self.bridge.progress.connect(self._on_progress)
        self.bridge.report.connect(self._on_report)
        self.bridge.error.connect(self._on_error)
        self.searches = TaskRunner(1, self)
        self.reranks = TaskRunner(1, self)  # a cross-encoder's pass never holds up the next search
        self.control = TaskRunner(1, self)
        self.files = TaskRunner(1, self)  # opening results: a stat off the GUI thread
        self.search_seq = 0
        self.similar_to: str | None = None  # the photo whose look-alikes are shown, if they are
        self.states: dict[str, WatchState] = {}
        self._changing = False  # a change runs with the watcher stopped: nothing may start it meanwhile
        self._closed = False
        self.progress: dict[str, Progress] = {}
        self.progress_started: dict[str, tuple[str, float, int]] = {}  # collection -> (phase, seen at, done)
        self.open_url = QDesktopServices.openUrl  # replaced by tests
        self.qsettings = QSettings(str(service.paths.config / "window.ini"), QSettings.Format.IniFormat)
        self.api = ApiHost(service, lambda: self.watcher, self)
        self.api.started.connect(lambda url: self.statusBar().showMessage(
            f"Other apps can search at {url} with the token from “localsearch serve --show-token”", 15000))
        self.api.failed.connect(self.show_message)

        self.setWindowTitle("LocalSearch")
        self.setAcceptDrops(True)
        self._build()
        self._restore()
        self.refresh_collections()  # the watcher starts once the collections are read
        QTimer.singleShot(0, self.api.sync)

    # --- layout -------------------------------------------------------------------------------

    def _build(self) -> None:
        bar = QToolBar("Main")
        bar.setMovable(False)
        self.addToolBar(bar)
        self.add_action = QAction("Add folder…", self)
        self.add_action.triggered.connect(self.choose_folder)
        bar.addAction(self.add_action)
        self.settings_action = QAction("Settings…", self)
        self.settings_action.triggered.connect(self.open_settings)
        bar.addAction(self.settings_action)

        self.sidebar = CollectionSidebar(self.service, lambda: (self.states, self.progress))
        self.sidebar.loaded.connect(self._collections_read)
        self.sidebar.setMinimumWidth(200)
        self.sidebar.setSpacing(4)  # not a stylesheet: that would stop the list following the palette
        self.sidebar.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.sidebar.customContextMenuRequested.connect(self._collection_menu)
        self.sidebar.currentItemChanged.connect(lambda *_: self.schedule_search())

        self.search = QLineEdit()
        self.search.setPlaceholderText("Search your files by meaning or by words…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.schedule_search)
        self.search.returnPressed.connect(self.focus_results)
        self.kind = QComboBox()
        self.kind.addItems(list(KINDS))
        self.kind.currentIndexChanged.connect(lambda *_: self.schedule_search())
        self.file_type = QComboBox()
        self.file_type.addItems(list(TYPES))
        self.file_type.currentIndexChanged.connect(lambda *_: self.schedule_search())
        self.modified = QComboBox()
        self.modified.addItems(list(MODIFIED))
        self.modified.currentIndexChanged.connect(lambda *_: self.schedule_search())
        self.sort = QComboBox()
        self.sort.addItems(list(SORTS))
        self.sort.currentIndexChanged.connect(lambda *_: self.schedule_search())
        self.operators = self.search.addAction(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxQuestion),
                                               QLineEdit.ActionPosition.TrailingPosition)
        self.operators.setToolTip('Search operators: "exact phrase", -word, type:pdf, kind:photo, after:2024-01-01, '
                                  "in:folder")
        self.operators.triggered.connect(self.show_operators)
        self.debounce = QTimer(self)
        self.debounce.setSingleShot(True)
        self.debounce.setInterval(TYPING_PAUSE_MS)
        self.debounce.timeout.connect(self.run_search)

        self.banner = MessageBar()
        self.history = History()
        self.likeness = LikenessBar(self.qsettings)
        self.likeness.setVisible(False)  # shown with look-alikes only
        self.likeness.changed.connect(self._likeness_changed)
        self.likeness.back.connect(self.go_back)

        self.thumbnails = ThumbnailLoader(self.service.paths.cache / "thumbnails", self)
        self.model = ResultsModel(self.thumbnails)
        self.view = QListView()
        self.view.setModel(self.model)
        self.delegate = ResultDelegate(self.view)
        self.view.setItemDelegate(self.delegate)
        self.strip = PhotoStrip(self.thumbnails)  # photos above documents in a mixed result set
        self.strip.activated.connect(lambda hit: self._open(hit.path, folder=False))
        self.strip.menu.connect(self._hit_menu)
        self.strip.current.connect(self._preview_hit)
        self.view.setUniformItemSizes(True)
        self.view.setSelectionMode(QListView.SelectionMode.SingleSelection)
        self.view.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # rows elide to fit instead
        self.view.activated.connect(lambda idx: self.open_hit(idx))
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._result_menu)
        self.empty = QLabel()
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)

        self.filters = FilterBar([("Show", self.kind), ("Type", self.file_type), ("Modified", self.modified),
                                  ("Sort", self.sort)])
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.filters)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(8, 8, 8, 0)
        rl.addLayout(top)
        rl.addWidget(self.banner)
        rl.addWidget(self.likeness)
        rl.addWidget(self.empty, 1)  # the placeholder takes the room, not the message line
        self.preview = PreviewPane(self.service.preview, photo.thumbnail_jpeg, self)
        self.preview.setVisible(False)  # Space or View > Preview
        self.results_split = QSplitter()
        found = QWidget()  # the photo strip (when photos and documents mix) above the list
        fl = QVBoxLayout(found)
        fl.setContentsMargins(0, 0, 0, 0)
        fl.addWidget(self.strip)
        fl.addWidget(self.view, 1)
        self.results_split.addWidget(found)
        self.results_split.addWidget(self.preview)
        self.results_split.setStretchFactor(0, 1)
        self.results_split.setChildrenCollapsible(False)
        rl.addWidget(self.results_split, 1)
        self.filters.watch(right)
        self.splitter = QSplitter()
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([230, 770])
        self.setCentralWidget(self.splitter)

        self.status_label = QLabel()
        self.progress_bar = QProgressBar()
        self.progress_bar.setFixedWidth(220)
        self.progress_bar.setVisible(False)
        self.count_label = QLabel()  # "12 results", or "200 of ≥412 results" when the list is cut
        self.statusBar().addWidget(self.status_label, 1)
        self.statusBar().addPermanentWidget(self.count_label)
        self.statusBar().addPermanentWidget(self.progress_bar)

        self.menu_actions = menus.install(self)  # Ctrl+F, Ctrl+O, Ctrl+Q, Ctrl+, live there
        _shortcut("Ctrl+L", self, self.focus_search)
        _shortcut("Escape", self, self.clear_search)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            _shortcut(keys, self.view, self.reveal_current, widget=True)
        _shortcut(QKeySequence.StandardKey.Copy, self.view, self.copy_current, widget=True)
        for view in (self.view, self.strip.view):
            for keys, slot in (("Space", self.toggle_preview), ("N", self.preview.next_match),
                               ("Shift+N", self.preview.previous_match)):
                _shortcut(keys, view, slot, widget=True)
        _shortcut(QKeySequence.StandardKey.ZoomIn, self, lambda: self.zoom(1))
        _shortcut("Ctrl+=", self, lambda: self.zoom(1))
        _shortcut(QKeySequence.StandardKey.ZoomOut, self, lambda: self.zoom(-1))
        self.view.selectionModel().currentChanged.connect(lambda *_: self._preview_current())
        self.resize(1100, 720)
        self._update_empty()

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
            self._set_tile(TILE_SIZES[int(tile)])
        self.preview.setVisible(self.qsettings.value("preview") in (True, "true"))
        self.menu_actions["preview"].setChecked(self.preview.isVisible())
        last = self.qsettings.value("last_query", "")
        if isinstance(last, str) and last:
            self.search.setText(last)

    # --- collections --------------------------------------------------------------------------

    def collection_names(self) -> list[str]:
        """As last read from the catalog (off the GUI thread)."""
        return self.sidebar.names

    @property
    def roots(self) -> dict[str, list[str]]:
        """Each collection's folders, as last read."""
        return {c.name: c.roots for c in self.sidebar.holdings.collections}

    def refresh_collections(self) -> None:
        """Read the collections again, off the GUI thread (_collections_read shows them)."""
        self.sidebar.reload()

    def _collections_read(self) -> None:
        if self._closed:
            return
        self.filters.setEnabled(any(c.files for c in self.sidebar.holdings.collections))  # nothing to filter yet
        self.status_label.setText(self.sidebar.summary())
        self._update_empty()
        self.collections_changed.emit()
        self.start_watching()

    def selected_collection(self) -> str | None:
        return self.sidebar.selected()

    def unique_name(self, base: str) -> str:
        names = set(self.collection_names())
        name, n = base or "folder", 2
        while name in names:
            name, n = f"{base} {n}", n + 1
        return name

    def _pick_folder(self, title: str, start: str | None = None) -> str:
        """A folder from the dialog, opened where the user last chose one (else their home), never in the
        process's working directory; '' when cancelled."""
        last = self.qsettings.value("last_folder", "")
        folder = QFileDialog.getExistingDirectory(self, title, start or (last if isinstance(last, str) and last
                                                                        else str(Path.home())))
        if folder:
            self.qsettings.setValue("last_folder", str(Path(folder).parent))
        return folder

    def choose_folder(self) -> None:
        folder = self._pick_folder("Add a folder to search")
        if folder:
            self.add_folder(folder)

    def add_folder(self, folder: str) -> bool:
        path = Path(folder).expanduser()
        if not path.is_dir():
            self.show_message(f"“{path}” is not a folder.")
            return False
        if not os.access(path, os.R_OK | os.X_OK):
            self.show_message(f"LocalSearch cannot read “{path}” (permission denied). Check the folder's "
                              "permissions, then add it again.")
            return False
        name = self.unique_name(path.name)
        self._with_watcher_stopped(lambda: self.service.add_folder(name, str(path.resolve())),
                                   f"Added “{path}” as collection “{name}”. Indexing starts now; you can search "
                                   "meanwhile.")
        return True

    def remove_collection(self, name: str, confirm: bool = True) -> None:
        if confirm and QMessageBox.question(
                self, "Remove collection", f"Remove “{name}” from LocalSearch? Your files are not touched."
        ) != QMessageBox.StandardButton.Yes:
            return
        self._with_watcher_stopped(lambda: self.service.remove_collection(name))

    def rename_collection(self, name: str, new: str | None = None) -> None:
        if new is None:
            new, ok = QInputDialog.getText(self, "Rename collection", "New name:", text=name)
            if not ok:
                return
        new = new.strip()
        if new and new != name:
            self._with_watcher_stopped(lambda: self.service.rename_collection(name, new))

    @staticmethod
    def _later(act: Callable[[str], None], folder: str) -> Callable[[], None]:
        """A menu action for one folder (bound now, not to the loop's last value; takes no `checked`)."""
        return lambda: act(folder)

    def locate_folder(self, name: str, root: str, new: str | None = None) -> None:
        """A folder that moved: point the collection at its new place (its index is kept)."""
        if new is None:
            new = self._pick_folder(f"Where is “{os.path.basename(root)}” now?", os.path.dirname(root))
        if new:
            self._with_watcher_stopped(lambda: self.service.move_root(root, new, name),
                                       f"“{name}” now searches {new}; nothing needed indexing again.")

    def add_folder_to(self, name: str, folder: str | None = None) -> None:
        if folder is None:
            folder = self._pick_folder(f"Add a folder to “{name}”")
        if folder:
            self._with_watcher_stopped(lambda: self.service.add_folder(name, folder),
                                       f"Added {folder} to “{name}”. Indexing starts now; you can search meanwhile.")

    def remove_folder(self, name: str, root: str, confirm: bool = True) -> None:
        if confirm and QMessageBox.question(
                self, "Stop searching a folder", f"Stop searching {root} in “{name}”? Your files are not touched."
        ) != QMessageBox.StandardButton.Yes:
            return
        self._with_watcher_stopped(lambda: self.service.remove_folder(name, root),
                                   f"“{name}” no longer searches {root}.")

    def toggle_pause(self, name: str) -> None:
        if self.watcher is None:
            return
        if self.watcher.is_paused(name):
            self.watcher.resume(name)
        else:
            self.watcher.pause(name)
        self.sidebar.redraw()

    def show_failures(self, name: str) -> None:
        def read() -> list[tuple[str, str]]:  # off the GUI thread
            reader = self.service.searcher.reader()
            return [(p, r) for _, p, r in reader.failures(reader.collection(name).id)]

        self.files.run(read, lambda failures: self._failures_dialog(name, failures),
                       lambda e: self.show_message(str(e) if isinstance(e, KnownError) else plain_message(e)))

    def _failures_dialog(self, name: str, failures: list[tuple[str, str]]) -> None:
        dialog = FailuresDialog(name, failures, self)
        if dialog.exec() and self.watcher is not None:
            self.watcher.reconcile(name)

    def _collection_menu(self, pos: QPoint) -> None:
        item = self.sidebar.itemAt(pos)
        name = item.data(Qt.ItemDataRole.UserRole) if item else None
        menu = QMenu(self)
        menu.addAction("Add folder…", self.choose_folder)
        if name:
            state = self.states.get(name)
            for root in state.offline if state is not None else []:
                menu.addAction(f"Locate “{os.path.basename(root)}”… (moved or renamed)", self._later(
                    lambda folder: self.locate_folder(name, folder), root))
            menu.addAction(f"Add a folder to “{name}”…", lambda: self.add_folder_to(name))
            roots = self.roots.get(name, [])
            if len(roots) > 1:
                drop = menu.addMenu("Stop searching a folder")
                for root in roots:
                    drop.addAction(root, self._later(lambda folder: self.remove_folder(name, folder), root))
            paused = self.watcher is not None and self.watcher.is_paused(name)
            menu.addAction("Resume indexing" if paused else "Pause indexing", lambda: self.toggle_pause(name))
            menu.addAction("Show files not indexed…", lambda: self.show_failures(name))
            menu.addAction("Rename…", lambda: self.rename_collection(name))
            menu.addAction("Remove…", lambda: self.remove_collection(name))
        menu.exec(self.sidebar.mapToGlobal(pos))

    # --- watching -----------------------------------------------------------------------------

    def start_watching(self) -> None:
        """Start the watcher on the control runner (making it reads the catalog and sets up a watch per
        folder: not on the GUI thread), after any change queued there."""
        if not self.watch_enabled or self.watcher is not None or self._changing or self._closed \
                or not self.collection_names():
            return
        self._changing = True  # one start at a time

        def start() -> None:
            if self.watcher is None and not self._closed:
                self.watcher = self.service.watcher(on_state=self.bridge.on_state, on_report=self.bridge.on_report,
                                                    on_progress=self.bridge.on_progress,
                                                    on_error=self.bridge.on_error).start()

        def failed(e: Exception) -> None:
            self._changing = False
            self.show_message(str(e) if isinstance(e, KnownError) else plain_message(e))

        self.control.run(start, lambda _: setattr(self, "_changing", False), failed)

    def _with_watcher_stopped(self, change: object, said: str | None = None) -> None:
        """Stop the writer off the GUI thread, apply `change`, start it again (then say `said`). The
        control runner does one job at a time, so the watcher stopped is whichever is running by then."""
        self._changing = True

        def stop_and_change() -> None:
            old, self.watcher = self.watcher, None
            if old is not None:
                old.stop()
            change()  # type: ignore[operator]

        def done(_: object) -> None:
            self.states = {}
            self._changing = False
            self.refresh_collections()  # then the watcher starts again, over what the catalog now holds
            self.refresh_results()
            if said:
                self.show_message(said, error=False)

        def failed(e: Exception) -> None:
            done(None)
            self.show_message(str(e) if isinstance(e, KnownError) else plain_message(e))

        self.control.run(stop_and_change, done, failed)

    def _on_states(self, states: list[WatchState]) -> None:
        self.states = {s.collection: s for s in states}
        for s in states:
            if s.mode == "offline":
                self.show_message(f"The folder of “{s.collection}” is missing (unplugged or moved?). Its index is "
                                  f"kept; if it moved, right-click “{s.collection}” → Locate.", error=False)
        self.sidebar.redraw()

    def _on_error(self, error: BaseException) -> None:
        self.show_message(plain_message(error))
        self.banner.setToolTip(f"{type(error).__name__}: {error}")  # the details, for a bug report

    def _on_progress(self, p: Progress) -> None:
        self.progress[p.collection] = p
        active = p.phase in ("indexing", "embedding") and p.done < p.total
        if active:
            # a phase's own rate: reading files, then (a big run) embedding their passages
            # a phase's own rate, from where the window first saw it: reading files, then embedding passages
            phase, started, first_done = self.progress_started.get(p.collection, (p.phase, time.monotonic(), p.done))
            if phase != p.phase:
                started, first_done = time.monotonic(), p.done
            self.progress_started[p.collection] = (p.phase, started, first_done)
            elapsed = time.monotonic() - started
            rate = (p.done - first_done) / elapsed if elapsed > 1.0 else 0.0
            left = f"about {(p.total - p.done) / rate:.0f} s left" if rate > 0 else "working out the time left"
            self.progress_bar.setRange(0, p.total)
            self.progress_bar.setValue(p.done)
            doing = f"switching to {factory.describe(p.switching)}, " if p.switching else ""
            eta = f" · ETA {(p.total - p.done) / rate:.0f} s" if rate > 0 else ""
            self.progress_bar.setFormat(f"{p.done}/{p.total}{eta}")  # fits; the rest in the tooltip
            what = ("passages embedded (all files are searchable by their words already)" if p.phase == "embedding"
                    else "files")
            self.progress_bar.setToolTip(f"{p.collection}: {doing}{p.done} of {p.total} {what} · {left}")
        else:
            self.progress_started.pop(p.collection, None)
        self.progress_bar.setVisible(active)
        self.sidebar.redraw()
        if not active or p.done % 25 == 0:
            self.refresh_collections()  # its file count

    def _on_report(self, report: Report) -> None:
        if report.added or report.updated or report.removed or report.moved or report.photos_read:
            self.refresh_results()  # text read in photos makes them findable by it too
        self.refresh_collections()

    def refresh_results(self) -> None:
        """The index changed: show the current view again, the look-alikes of a photo or the words'
        results (a text search here would replace look-alikes with the empty search box's view)."""
        if self.similar_to is not None:
            self.find_similar(self.similar_to, announce=False, remember=False)
        else:
            self.schedule_search()

    # --- search -------------------------------------------------------------------------------

    def schedule_search(self, *_: object) -> None:
        self.debounce.start()

    def current_query(self) -> Query:
        name = self.selected_collection()
        within, older_than = MODIFIED[self.modified.currentText()]
        now = time.time()
        return Query(self.search.text().strip(), k=LIST_LENGTH, collections=[name] if name else None,
                     kind=KINDS[self.kind.currentText()], file_type=TYPES[self.file_type.currentText()],
                     modified_after=now - within if within else None,
                     modified_before=now - older_than if older_than else None, sort=SORTS[self.sort.currentText()])

    def show_operators(self) -> None:
        """The search operators under the search field's end; choosing one adds it to the search."""
        menus.syntax_menu(self).popup(self.search.mapToGlobal(self.search.rect().bottomLeft()))

    def add_to_search(self, operator: str) -> None:
        text = self.search.text().rstrip()
        self.search.setText(f"{text} {operator}".lstrip())
        self.search.setFocus()

    def run_search(self) -> None:
        query = self.current_query()
        self.similar_to = None  # typing or a filter leaves the look-alike view
        self.likeness.setVisible(False)
        self.banner.view_changed()
        self.search_seq += 1
        seq = self.search_seq
        if not query.text:
            self.model.set_hits([])
            self.count_label.clear()
            self._update_empty()
            self.search_done.emit(0)
            return

        # A first page, then the rest below it; a list sorted by date or name comes whole, or the rest
        # could hold files that belong above what is already shown.
        first = replace(query, k=FIRST_PAGE) if query.sort == "relevance" else query
        self.searches.run(lambda: self.service.search(first), lambda r: self._show(seq, r, query),
                          lambda e: self._failed(seq, e))

    def find_similar(self, image_path: str, announce: bool = True, remember: bool = True) -> None:
        """Photos that look like this one (a dropped file or a result), as alike as the slider asks;
        remember: what was shown before is kept for Back."""
        if remember and (self.search.text().strip() or self.similar_to):
            self.history.push(self._place())
        self.search_seq += 1
        seq = self.search_seq
        self.similar_to = image_path
        self.likeness.setVisible(True)
        self.likeness.back_button.setEnabled(bool(self.history))
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)
        self.debounce.stop()
        if announce:
            self.show_message(f"Photos that look like “{os.path.basename(image_path)}”", error=False, about_view=True)
        name = self.selected_collection()

        def failed(e: Exception) -> None:
            if seq == self.search_seq:
                self.similar_to = None  # an unreadable photo: say so once, not again at every change
            self._failed(seq, e)

        likeness = self.likeness.likeness()
        self.searches.run(lambda: self.service.similar(image_path, k=200, collections=[name] if name else None,
                                                       min_similarity=likeness),
                          lambda r: self._show(seq, r), failed)

    def toggle_preview(self) -> None:
        """Show or hide the preview pane (Space, View > Preview); its width is remembered."""
        self.preview.setVisible(not self.preview.isVisible())
        self.menu_actions["preview"].setChecked(self.preview.isVisible())
        self._preview_current()

    def _preview_current(self) -> None:
        idx = self.view.currentIndex()
        hit = self.strip.current_hit() if self.strip.view.hasFocus() else idx.data(HitRole) if idx.isValid() else None
        self._preview_hit(hit)

    def _preview_hit(self, hit: Hit | None) -> None:
        if not self.preview.isVisible():
            return
        if hit is None:
            self.preview.clear()
        elif hit.path != self.preview.path:
            self.preview.show_hit(hit, self.search.text())

    def zoom(self, step: int) -> None:
        """Larger or smaller photo thumbnails (Ctrl+Plus / Ctrl+Minus), remembered."""
        now = next((i for i, t in enumerate(TILE_SIZES) if t == self.delegate.tile), 1)
        tile = TILE_SIZES[max(0, min(len(TILE_SIZES) - 1, now + step))]
        self._set_tile(tile)
        self.qsettings.setValue("tile", TILE_SIZES.index(tile))

    def _set_tile(self, tile: QSize) -> None:
        self.delegate.tile = QSize(tile)
        self.strip.set_tile(tile)
        self.view.doItemsLayout()

    def _distribute(self, hits: list[Hit], append: bool = False) -> None:
        """Photos and documents together: the photos as a strip above the documents; photos alone: the
        grid; documents alone: the list. append: below what is shown, which stays as it is."""
        if append:
            shown = {h.path for h in self.model.hits} | {h.path for h in self.strip.hits}
            hits = [h for h in hits if h.path not in shown]
            photos, docs = split(hits)
            grid = self.view.viewMode() == QListView.ViewMode.IconMode and bool(self.model.hits)
            if self.strip.hits or (self.model.hits and not grid):  # documents on show: photos to the strip
                self.strip.append(photos)
                self.model.append_hits(docs)
                return
            if grid and not docs:  # photos alone, more photos
                self.model.append_hits(photos)
                return
            hits = self.model.hits + hits  # nothing yet, or documents join a grid of photos: arrange anew
        photos, docs = split(hits)
        mixed = bool(photos) and bool(docs)
        self.strip.show_hits(photos if mixed else [])
        self.model.set_hits(docs if mixed else hits)
        grid = bool(hits) and not docs
        self.view.setViewMode(QListView.ViewMode.IconMode if grid else QListView.ViewMode.ListMode)
        self.view.setResizeMode(QListView.ResizeMode.Adjust)

    def _shown_count(self) -> int:
        return len(self.model.hits) + len(self.strip.hits)

    def _likeness_changed(self, _: float) -> None:
        if self.similar_to is not None:
            self.find_similar(self.similar_to, announce=False, remember=False)

    def _place(self) -> Place:
        return Place(self.search.text(), self.similar_to, self.view.verticalScrollBar().value())

    def go_back(self) -> None:
        """Back to what was shown before the look-alikes (Alt+Left): that search, or that photo's
        look-alikes, scrolled where it was."""
        place = self.history.pop()
        if place is None:
            return
        pending = [True]

        def scroll_back(_: int) -> None:
            if pending:
                pending.clear()
                self.search_done.disconnect(scroll_back)
                self.view.verticalScrollBar().setValue(place.scroll)

        self.search_done.connect(scroll_back)
        if place.similar_to is not None:
            self.find_similar(place.similar_to, announce=False, remember=False)
        else:
            self.search.setText(place.text)
            self.debounce.stop()
            self.run_search()

    def _show(self, seq: int, result: SearchResult, query: Query | None = None) -> None:
        if seq != self.search_seq:
            return  # a newer query was typed meanwhile: drop this one
        if query is not None and result.hits and self.service.settings.reranker.strip():
            # Results now; the cross-encoder reorders them when it is done (its own worker: typing goes on).
            # A rerank queued behind newer keystrokes is skipped, not run: the cross-encoder is the slow part.
            self.reranks.run(lambda: self.service.rerank(query, result) if seq == self.search_seq else None,
                             lambda r: self._reordered(seq, r), lambda e: self._failed(seq, e))
        self._distribute(result.hits)
        if result.warnings:
            self.show_message(" ".join(result.warnings), error=False)
        self.count_label.setText(result_count(len(result.hits), result.total))
        self._update_empty()
        self.first_results.emit(len(result.hits))
        if query is not None and query.k > FIRST_PAGE and len(result.hits) >= FIRST_PAGE:  # a full page: more may follow
            # The rest of the list, unless the user has typed on meanwhile (then it is not run at all).
            self.searches.run(lambda: self.service.search(query) if seq == self.search_seq else None,
                              lambda r: self._show_rest(seq, r), lambda e: self._failed(seq, e))
            return
        self.search_done.emit(len(result.hits))

    def _show_rest(self, seq: int, result: SearchResult | None) -> None:
        """The list beyond its first page, added below what is on screen (which stays as it is)."""
        if seq != self.search_seq or result is None:
            return
        self._distribute(result.hits, append=True)
        self.count_label.setText(result_count(self._shown_count(), result.total))
        self.search_done.emit(self._shown_count())

    def _reordered(self, seq: int, result: SearchResult | None) -> None:
        """The reranker's order for the results on show (dropped if a newer search came meanwhile)."""
        if seq != self.search_seq or result is None:
            return
        current = self.view.currentIndex()
        chosen = self.model.hits[current.row()].path if current.isValid() and current.row() < len(self.model.hits) \
            else None
        reordered = {h.path for h in result.hits}  # the first page; the rest of the list stays below it
        if self.strip.hits:
            photos, docs = split(result.hits)
            self.strip.show_hits(photos + [h for h in self.strip.hits if h.path not in reordered])
            self.model.set_hits(docs + [h for h in self.model.hits if h.path not in reordered])
        else:
            self.model.set_hits(result.hits + [h for h in self.model.hits if h.path not in reordered])
        if chosen is not None:
            row = next((i for i, h in enumerate(self.model.hits) if h.path == chosen), None)
            if row is not None:
                self.view.setCurrentIndex(self.model.index(row))
        self.reranked.emit(len(result.hits))

    def _failed(self, seq: int, e: Exception) -> None:
        if seq == self.search_seq:
            self.show_message(str(e) if isinstance(e, KnownError) else f"Search failed: {e}")
            log.search.error("search failed", exc_info=e)
            self.search_done.emit(0)

    def _update_empty(self) -> None:
        has_rows = self.model.rowCount() > 0
        self.view.setVisible(has_rows)
        self.empty.setVisible(not has_rows)
        if not self.sidebar.ready:
            self.empty.setText("")  # the collections are being read (a moment): no "add a folder" flash
        elif not self.collection_names():
            self.empty.setText("<h2>Search your own files</h2><p>Add a folder to start: click <b>Add folder…</b> "
                               "or drop a folder onto this window.</p><p>Everything stays on this computer.</p>")
        elif not self.search.text().strip():
            self.empty.setText("<h3>Type to search</h3><p>By meaning (“how do I renew my passport”) or by exact "
                               "words and ids (“invoice 2024-0042”).</p>")
        else:
            self.empty.setText(f"<h3>No results</h3><p>{html.escape(self._what_to_try())}</p>")

    def _what_to_try(self) -> str:
        """What to change when nothing is found: the filters and operators in force first."""
        narrowing = [combo.currentText() for _, combo in self.filters.combos[:3] if combo.currentIndex() != 0]
        parsed = query_syntax.parse(self.search.text())
        narrowing += [f'"{p}"' for p in parsed.phrases] + [f"-{x}" for x in parsed.excluded]
        narrowing += [f"{k}:…" for k, v in (("type", parsed.file_type), ("kind", parsed.kind),
                                            ("after", parsed.after), ("before", parsed.before),
                                            ("in", parsed.folder)) if v is not None]
        if narrowing:
            return f"Nothing matches with {', '.join(narrowing)}. Try without them, or other words."
        if self.selected_collection():
            return "Try other words, or search all collections."
        return "Try other words: a question in your own words, or a word the file holds."

    # --- results ------------------------------------------------------------------------------

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def clear_search(self) -> None:
        self.search.clear()
        self.search.setFocus()

    def focus_results(self) -> None:
        if self.model.rowCount():
            self.view.setFocus()
            self.view.selectionModel().setCurrentIndex(self.model.index(0),
                                                       QItemSelectionModel.SelectionFlag.ClearAndSelect)

    def current_path(self) -> str | None:
        if self.strip.view.hasFocus():
            hit = self.strip.current_hit()
            return hit.path if hit is not None else None
        idx = self.view.currentIndex()
        return idx.data(HitRole).path if idx.isValid() else None

    def open_hit(self, idx: QModelIndex | None = None) -> None:
        idx = idx if idx is not None else self.view.currentIndex()
        if idx.isValid():
            self._open(idx.data(HitRole).path, folder=False)

    def reveal_current(self) -> None:
        path = self.current_path()
        if path:
            self._open(path, folder=True)

    def _open(self, path: str, folder: bool) -> None:
        """Open a result (or its folder) with the desktop's application. A file gone since it was indexed,
        or no application to open it with, is said in the message bar (its path copied): never silence."""
        target, name = (os.path.dirname(path) if folder else path), os.path.basename(path)

        def go(exists: bool) -> None:
            if not exists:
                self.show_message(f"Couldn't open “{name}”: it was moved or deleted since it was indexed.")
            elif not self.open_url(QUrl.fromLocalFile(target)):
                QGuiApplication.clipboard().setText(path)
                kind = "folders" if folder else (f"{os.path.splitext(name)[1][1:].upper()} files"
                                                 if os.path.splitext(name)[1] else "this file")
                self.show_message(f"Couldn't open “{name}”: no application is set to open {kind} on this system. "
                                  "Its path is copied to the clipboard.")

        self.files.run(lambda: os.path.exists(target), go)  # a stat can hang on a lost network share

    def copy_current(self) -> None:
        path = self.current_path()
        if path:
            QGuiApplication.clipboard().setText(path)

    def _result_menu(self, pos: QPoint) -> None:
        index = self.view.indexAt(pos)
        if index.isValid():
            self._hit_menu(index.data(HitRole), self.view.viewport().mapToGlobal(pos))

    def _hit_menu(self, hit: Hit, where: QPoint) -> None:
        menu = QMenu(self)
        menu.addAction("Open", lambda: self._open(hit.path, folder=False))
        menu.addAction("Show in folder", lambda: self._open(hit.path, folder=True))
        menu.addAction("Copy path", lambda: QGuiApplication.clipboard().setText(hit.path))
        if hit.kind == "photo":
            menu.addAction("Find similar photos", lambda: self.find_similar(hit.path))
        menu.exec(where)

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
                self.add_folder(path)
            elif extract.kind_of(Path(path)) == "photo":
                self.find_similar(path)
            else:
                self.show_message("Drop a folder to add it to LocalSearch.", error=False)
        event.acceptProposedAction()

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
        self._closed = True
        self.debounce.stop()
        self.control.wait()
        self.api.stop()  # no new requests while the writer stops
        if self.watcher is not None:
            self.watcher.stop()
            self.watcher = None
        self.searches.wait()
        self.files.wait()
        self.sidebar.shutdown()
        self.thumbnails.pool.waitForDone(5000)

    def open_settings(self) -> None:
        dialog = SettingsDialog(self.service.settings, self)
        if not dialog.exec():
            return
        new = dialog.result_settings()
        save_settings(self.service.paths.settings, new)
        self._with_watcher_stopped(lambda: self.service.apply_settings(new))
        self.api.sync(new)
