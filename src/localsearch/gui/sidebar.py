"""The collections sidebar: what each collection holds, read off the GUI thread, and how it stands.

The counts come from the catalog (at 1M passages the stats queries take ~200 ms), so they are read on
a worker and only when they can have changed (an index pass reported, a collection added or removed);
the watcher's states and progress only redraw the list from what was read last.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from localsearch.core import disk, status, wording
from localsearch.core.embed import factory
from localsearch.core.indexer import Progress
from localsearch.core.service import Service
from localsearch.core.watcher import WatchState
from localsearch.gui.tasks import TaskRunner

ALL = "All collections"


def state_text(state: WatchState | None, progress: Progress | None, failed: int) -> str:
    """What the sidebar says about a collection, in plain words."""
    if progress is not None and progress.phase == "indexing" and progress.switching:
        # the count first: the line is cut with "…" in a narrow sidebar (the whole of it is in the tooltip)
        text = f"switching ({progress.done} of {progress.total}) to {factory.describe(progress.switching)}"
    elif progress is not None and progress.phase == "indexing" and progress.done < progress.total:
        text = f"catching up ({progress.total - progress.done} left)"
    elif progress is not None and progress.phase == "embedding" and progress.done < progress.total:
        text = f"{progress.done} of {progress.total} passages searchable by meaning (all by words)"
    elif progress is not None and progress.phase == "upgrading keywords" and progress.done < progress.total:
        text = f"upgrading the keyword index ({progress.done} of {progress.total} passages)"
    elif progress is not None and progress.phase == "compacting" and progress.done < progress.total:
        text = f"compacting the catalog ({progress.done} of {progress.total} passages)"
    elif progress is not None and progress.phase == "compacting file" and progress.done < progress.total:
        text = "compacting the catalog (giving its free space back)"
    elif progress is not None and progress.phase == "reading text" and state is None:
        text = f"reading text in photos and scans ({progress.total - progress.done} left)"
    elif state is not None and state.text_left and state.mode in ("watching", "polling"):
        text = f"reading text in photos and scans ({state.text_left} left)"
    elif state is not None and state.reorganising and state.mode in ("watching", "polling"):
        text = "reorganising the search index"
    elif state is None:
        text = "starting"
    else:
        text = {"offline": "offline (index kept)", "catching up": "catching up",
                "waiting": "waiting for another indexer"}.get(state.mode, state.mode)
        if state.pending and state.mode in ("watching", "polling", "paused"):
            text += f" · {state.pending} pending"
        if state.offline and state.mode != "offline":
            text += f" · {len(state.offline)} folder{'s' if len(state.offline) > 1 else ''} offline"
    if failed:
        text += f" · {failed} failed"
    return text


@dataclass(frozen=True)
class CollectionInfo:
    name: str
    files: int
    failed: int
    chunks: int
    roots: list[str]
    hint: str | None = None  # status.language_hint


@dataclass(frozen=True)
class Holdings:
    """What the catalog holds, as the sidebar and the status bar show it."""

    collections: list[CollectionInfo] = field(default_factory=list)
    data_bytes: int = 0
    """The whole data folder (disk.data_bytes)."""


def read_holdings(service: Service, hints: dict[tuple[int, str | None], tuple[int, str | None]] | None = None
                  ) -> Holdings:
    """On a worker thread (its own read connection): every collection's counts and folders. `hints` keeps
    each collection's language hint (a scan of 300 passages in Python, which competes with the window
    for the GIL) with its file count then: it is read again only when the count has moved by a tenth."""
    reader = service.searcher.reader()
    hints = {} if hints is None else hints
    cols = []
    for col in reader.collections():
        stats = reader.stats(col.id)
        key = (col.id, col.model_id)
        known = hints.get(key)
        if known is None or abs(stats["files"] - known[0]) > max(10, known[0] // 10):
            known = hints[key] = (stats["files"], status.language_hint(reader, col, service.model_id))
        cols.append(CollectionInfo(col.name, stats["files"], stats["failed"], stats["chunks"], reader.roots(col.id),
                                   known[1]))
    return Holdings(cols, disk.data_bytes(service.paths.data))


class CollectionSidebar(QListWidget):
    """Signals: loaded() once fresh holdings are on show (the first time, and after each reload)."""

    loaded = Signal()

    def __init__(self, service: Service, standing: Callable[[], tuple[dict[str, WatchState], dict[str, Progress]]],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.standing = standing  # the watcher's latest states and progress, by collection
        self.holdings = Holdings()
        self.ready = False  # the first read has come back
        self._reader = TaskRunner(1, self)
        self._hints: dict[tuple[int, str | None], tuple[int, str | None]] = {}  # see read_holdings
        self._reading = self._again = False
        self._closed = False  # a read that comes back after shutdown() is dropped (the widget may be gone)
        # A long state ("reading text in photos and scans (12 left)") is cut with "…", never scrolled
        # sideways; the whole of it is in the item's tooltip.
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.holdings.collections]

    def roots(self, name: str) -> list[str]:
        return next((c.roots for c in self.holdings.collections if c.name == name), [])

    def selected(self) -> str | None:
        item = self.currentItem()
        name = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        return str(name) if name is not None else None

    def reload(self) -> None:
        """Read the holdings again (off the GUI thread); one read at a time, the latest request wins."""
        if self._closed:
            return
        if self._reading:
            self._again = True
            return
        self._reading = True
        self._reader.run(lambda: read_holdings(self.service, self._hints), self._read, self._failed)

    def _read(self, holdings: Holdings) -> None:
        if self._closed:
            return
        self._reading, self.holdings, self.ready = False, holdings, True
        self.redraw()
        self.loaded.emit()
        if self._again:
            self._again = False
            self.reload()

    def _failed(self, error: Exception) -> None:
        self._reading = False  # the window shows the catalog's own errors; keep what was shown

    def redraw(self) -> None:
        """The list from the last holdings read and the watcher's latest word (no catalog access). Called
        at every progress report: the items are rebuilt only when the collections changed, else only the
        texts that changed are set (a rebuild resets the list and its selection each time)."""
        states, progress = self.standing()
        rows = []
        for col in self.holdings.collections:
            state = states.get(col.name)
            line = f"{wording.counted(col.files, 'file')} · {state_text(state, progress.get(col.name), col.failed)}"
            seen = (time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(state.last_change))
                    if state and state.last_change else "none yet")
            rows.append((col.name, f"{col.name}\n{line}", f"{line}\n" + "\n".join(col.roots)
                         + f"\nlast change seen: {seen}" + (f"\n\nHint: {col.hint}" if col.hint else "")))
        if [self.item(i).data(Qt.ItemDataRole.UserRole) for i in range(1, self.count())] == [r[0] for r in rows] \
                and self.count() == len(rows) + 1:
            for i, (_, text, tip) in enumerate(rows, start=1):
                item = self.item(i)
                if item.text() != text:
                    item.setText(text)
                if item.toolTip() != tip:
                    item.setToolTip(tip)
            return
        current = self.selected()
        self.blockSignals(True)
        self.clear()
        self.addItem(QListWidgetItem(ALL))
        for name, text, tip in rows:
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setToolTip(tip)
            self.addItem(item)
            if name == current:
                self.setCurrentItem(item)
        if self.currentItem() is None:
            self.setCurrentRow(0)
        self.blockSignals(False)

    def summary(self) -> str:
        h = self.holdings
        files, chunks = sum(c.files for c in h.collections), sum(c.chunks for c in h.collections)
        return (f"{wording.counted(len(h.collections), 'collection')} · {wording.counted(files, 'file')} · "
                f"{wording.counted(chunks, 'passage')}"
                f" · {wording.size_text(h.data_bytes)} on disk")

    def shutdown(self) -> None:
        self._closed = True
        self._reader.wait()
