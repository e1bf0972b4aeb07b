"""Photos among document results: a strip of thumbnails above the documents (scrolling sideways,
arrow keys to move, Enter to open), instead of 56-pixel rows between them. A result set of photos
alone stays the grid of the main list. Thumbnail size: Ctrl+Plus / Ctrl+Minus (see MainWindow.zoom)."""

from PySide6.QtCore import QModelIndex, QPoint, QSize, Qt, Signal
from PySide6.QtWidgets import QLabel, QListView, QVBoxLayout, QWidget

from localsearch.core.types import Hit
from localsearch.gui.results import HitRole, ResultDelegate, ResultsModel
from localsearch.gui.thumbnails import ThumbnailLoader

TILE_SIZES = [QSize(128, 148), QSize(176, 196), QSize(240, 262), QSize(320, 344)]
"""The thumbnail sizes Ctrl+Plus / Ctrl+Minus step through (tile: the picture and its name)."""


def split(hits: list[Hit]) -> tuple[list[Hit], list[Hit]]:
    """(photos, documents) of a result list, each in its order."""
    return [h for h in hits if h.kind == "photo"], [h for h in hits if h.kind != "photo"]


class PhotoStrip(QWidget):
    """The strip; `activated` (open), `menu` (a context menu at a global point) and `current` (the
    selected photo changed) carry the photo's Hit."""

    activated = Signal(object)
    menu = Signal(object, QPoint)
    current = Signal(object)

    def __init__(self, thumbnails: ThumbnailLoader, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel()
        self.model = ResultsModel(thumbnails)
        self.delegate = ResultDelegate()
        self.view = QListView()
        self.view.setModel(self.model)
        self.view.setItemDelegate(self.delegate)
        self.view.setViewMode(QListView.ViewMode.IconMode)
        self.view.setFlow(QListView.Flow.LeftToRight)
        self.view.setWrapping(False)
        self.view.setMovement(QListView.Movement.Static)
        self.view.setUniformItemSizes(True)
        self.view.setHorizontalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.view.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.setSelectionMode(QListView.SelectionMode.SingleSelection)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.activated.connect(lambda idx: self.activated.emit(idx.data(HitRole)))
        self.view.customContextMenuRequested.connect(self._menu)
        self.view.selectionModel().currentChanged.connect(
            lambda idx, _: self.current.emit(idx.data(HitRole)) if idx.isValid() else None)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 6)
        layout.addWidget(self.title)
        layout.addWidget(self.view)
        self.set_tile(self.delegate.tile)
        self.setVisible(False)

    @property
    def hits(self) -> list[Hit]:
        return self.model.hits

    def show_hits(self, photos: list[Hit]) -> None:
        self.model.set_hits(photos)
        self._titled()
        self.setVisible(bool(photos))

    def append(self, photos: list[Hit]) -> None:
        self.model.append_hits(photos)
        self._titled()
        self.setVisible(bool(self.model.hits))

    def set_tile(self, tile: QSize) -> None:
        self.delegate.tile = tile
        bar = self.view.horizontalScrollBar().sizeHint().height()
        self.view.setFixedHeight(tile.height() + bar + 2 * self.view.frameWidth() + 4)
        self.view.doItemsLayout()

    def current_hit(self) -> Hit | None:
        idx = self.view.currentIndex()
        hit: Hit | None = idx.data(HitRole) if idx.isValid() else None
        return hit

    def _titled(self) -> None:
        n = len(self.model.hits)
        self.title.setText(f"<b>Photos</b> ({n})")

    def _menu(self, pos: QPoint) -> None:
        index: QModelIndex = self.view.indexAt(pos)
        if index.isValid():
            self.view.setCurrentIndex(index)
            self.menu.emit(index.data(HitRole), self.view.viewport().mapToGlobal(pos))
