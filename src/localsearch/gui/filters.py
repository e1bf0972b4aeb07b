"""The search filters beside the search field: three drop-downs when there is room, else one "Filters"
button with the same choices in a menu, so the search field keeps its width in a narrow window."""

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QMenu, QToolButton, QWidget

KINDS = {"Documents and photos": None, "Documents": "document", "Photos": "photo"}
TYPES = {"Any type": None, "PDF": "pdf", "Word and RTF": "word", "Slides": "slides", "Spreadsheets": "spreadsheet",
         "Ebooks": "ebook", "Web pages": "web", "Text and notes": "text", "Source code": "code", "Images": "image"}
DAY = 86400.0
SORTS = {"Best match": "relevance", "Newest first": "modified", "By name": "name"}
MODIFIED = {"Any time": (None, None), "Past day": (DAY, None), "Past week": (7 * DAY, None),
            "Past month": (31 * DAY, None), "Past year": (365 * DAY, None), "Older than a year": (None, 365 * DAY)}
"""The drop-downs' choices, in words, and what each asks of a search (see search_control)."""

NARROW = 900
"""Below this width of the pane that holds the search field, the drop-downs fold into the button
(four of them need ~600 px; the search field keeps at least ~350)."""


class FilterBar(QWidget):
    def __init__(self, combos: list[tuple[str, QComboBox]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.combos = combos  # (what it chooses, in words; the drop-down)
        self.button = QToolButton()
        self.button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.menu = QMenu(self.button)
        self.menu.aboutToShow.connect(self._fill_menu)
        self.button.setMenu(self.menu)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for _, combo in combos:
            layout.addWidget(combo)
            combo.currentIndexChanged.connect(lambda *_: self._label())
        layout.addWidget(self.button)
        self.button.setVisible(False)
        self._label()

    @property
    def folded(self) -> bool:
        return self.button.isVisibleTo(self)

    def fit(self, width: int) -> None:
        """Drop-downs or the one button, for a pane this wide."""
        narrow = width < NARROW
        for _, combo in self.combos:
            combo.setVisible(not narrow)
        self.button.setVisible(narrow)

    def watch(self, pane: QWidget) -> None:
        """Fit whenever `pane` (the search field's pane) is resized."""
        pane.installEventFilter(self)
        self.fit(pane.width())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt's name
        if event.type() == QEvent.Type.Resize and isinstance(watched, QWidget):
            self.fit(watched.width())
        return False

    def _label(self) -> None:
        chosen = sum(combo.currentIndex() != 0 for _, combo in self.combos)
        self.button.setText(f"Filters ({chosen})" if chosen else "Filters")
        self.button.setToolTip(" · ".join(combo.currentText() for _, combo in self.combos))

    def _fill_menu(self) -> None:
        self.menu.clear()
        for title, combo in self.combos:
            sub = self.menu.addMenu(f"{title}: {combo.currentText()}")
            for i in range(combo.count()):
                action = QAction(combo.itemText(i), sub)
                action.setCheckable(True)
                action.setChecked(i == combo.currentIndex())
                action.triggered.connect(lambda *_, c=combo, i=i: c.setCurrentIndex(i))
                sub.addAction(action)
