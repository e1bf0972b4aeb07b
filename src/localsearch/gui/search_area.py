"""The right-hand pane of the window: the search field and its filters, the message line, the
look-alike bar, the results (a photo strip above a list, or a grid) and the preview beside them."""

from PySide6.QtCore import QSettings, QSize, Qt, QTimer
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QListView, QSplitter, QStyle, QVBoxLayout, QWidget

from localsearch.core.extract import photo
from localsearch.core.service import Service
from localsearch.core.types import Hit
from localsearch.gui.filters import KINDS, MODIFIED, SORTS, TYPES, FilterBar
from localsearch.gui.lookalike import History, LikenessBar
from localsearch.gui.messages import MessageBar
from localsearch.gui.photostrip import TILE_SIZES, PhotoStrip
from localsearch.gui.preview import PreviewPane
from localsearch.gui.results import HitRole, ResultDelegate, ResultsModel
from localsearch.gui.thumbnails import ThumbnailLoader

TYPING_PAUSE_MS = 60
"""The pause in typing that starts a search: a search costs ~7 ms, so searching mid-word is cheap,
and stale results are never shown."""


class SearchArea(QWidget):
    def __init__(self, service: Service, qsettings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.qsettings = qsettings
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search your files by meaning or by words…")
        self.search.setClearButtonEnabled(True)
        self.kind, self.file_type, self.modified, self.sort = (QComboBox() for _ in range(4))
        for combo, choices in ((self.kind, KINDS), (self.file_type, TYPES), (self.modified, MODIFIED),
                               (self.sort, SORTS)):
            combo.addItems(list(choices))
        self.operators = self.search.addAction(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxQuestion),
                                               QLineEdit.ActionPosition.TrailingPosition)
        self.operators.setToolTip('Search operators: "exact phrase", -word, type:pdf, kind:photo, after:2024-01-01, '
                                  "in:folder")
        self.debounce = QTimer(self)
        self.debounce.setSingleShot(True)
        self.debounce.setInterval(TYPING_PAUSE_MS)

        self.banner = MessageBar()
        self.history = History()
        self.likeness = LikenessBar(qsettings)
        self.likeness.setVisible(False)  # shown with look-alikes only

        self.thumbnails = ThumbnailLoader(service.paths.cache / "thumbnails", self)
        self.model = ResultsModel(self.thumbnails)
        self.view = QListView()
        self.view.setModel(self.model)
        self.delegate = ResultDelegate(self.view)
        self.view.setItemDelegate(self.delegate)
        self.strip = PhotoStrip(self.thumbnails)  # photos above documents in a mixed result set
        self.view.setUniformItemSizes(True)
        self.view.setSelectionMode(QListView.SelectionMode.SingleSelection)
        self.view.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # rows elide to fit instead
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.empty = QLabel()
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)

        self.filters = FilterBar([("Show", self.kind), ("Type", self.file_type), ("Modified", self.modified),
                                  ("Sort", self.sort)])
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.filters)
        rl = QVBoxLayout(self)
        rl.setContentsMargins(8, 8, 8, 0)
        rl.addLayout(top)
        rl.addWidget(self.banner)
        rl.addWidget(self.likeness)
        rl.addWidget(self.empty, 1)  # the placeholder takes the room, not the message line
        self.preview = PreviewPane(service.preview, photo.thumbnail_jpeg, self)
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
        self.filters.watch(self)

    def current_hit(self) -> Hit | None:
        """The result with the keyboard focus: in the photo strip, or in the list."""
        if self.strip.view.hasFocus():
            return self.strip.current_hit()
        idx = self.view.currentIndex()
        hit: Hit | None = idx.data(HitRole) if idx.isValid() else None
        return hit

    def preview_hit(self, hit: Hit | None) -> None:
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
        self.set_tile(tile)
        self.qsettings.setValue("tile", TILE_SIZES.index(tile))

    def set_tile(self, tile: QSize) -> None:
        self.delegate.tile = QSize(tile)
        self.strip.set_tile(tile)
        self.view.doItemsLayout()
