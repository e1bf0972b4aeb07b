"""The preview pane beside the results (Space, View → Preview): for a document, every passage that holds
the query's words, with its page, the words in bold, and n / Shift+N to step between them; for a
photo, the photo fitted to the pane, what the photo model sees in it, the text read in it, its size,
date and camera. Everything is read off the GUI thread (core.preview, from the catalog)."""

import html
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap, QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QTextBrowser, QVBoxLayout, QWidget

from localsearch.core import wording
from localsearch.core.preview import Preview
from localsearch.core.types import Hit
from localsearch.gui.results import highlighted
from localsearch.gui.tasks import TaskRunner

IMAGE_SIDE = 1024  # the photo is decoded at most this large for the pane


@dataclass
class _Loaded:
    preview: Preview
    image: bytes | None  # a JPEG of the photo, fitted to IMAGE_SIDE


class PreviewPane(QWidget):
    """Shows one hit; `shown` is emitted (with the path) once its content is on screen."""

    shown = Signal(str)

    def __init__(self, load: Callable[[str, str], Preview], photo: Callable[[str, int], bytes],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._load, self._photo = load, photo
        self.runner = TaskRunner(1, self)
        self.path: str | None = None
        self.preview: Preview | None = None
        self.current = -1  # the match scrolled to
        self._pixmap: QPixmap | None = None
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.meta = QLabel()
        self.meta.setWordWrap(True)
        self.meta.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.image = QLabel()
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setMinimumHeight(1)
        self.body = QTextBrowser()
        self.body.setOpenLinks(False)
        self.prev_button, self.next_button = QPushButton("▲"), QPushButton("▼")
        self.prev_button.setToolTip("Previous match (Shift+N)")
        self.next_button.setToolTip("Next match (N)")
        self.prev_button.clicked.connect(self.previous_match)
        self.next_button.clicked.connect(self.next_match)
        self.position = QLabel()
        nav = QHBoxLayout()
        nav.addWidget(self.position, 1)
        nav.addWidget(self.prev_button)
        nav.addWidget(self.next_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.meta)
        layout.addLayout(nav)
        layout.addWidget(self.image, 2)
        layout.addWidget(self.body, 3)
        self.clear()

    def clear(self) -> None:
        self.path, self.preview, self.current, self._pixmap = None, None, -1, None
        self.title.setText("<b>Preview</b>")
        self.meta.setText("Select a result to see it here.")
        self.position.clear()
        self.image.clear()
        self.image.setVisible(False)
        self.body.clear()
        self._nav(False)

    def show_hit(self, hit: Hit, query: str) -> None:
        """Load and show `hit` (the newest request wins; typing is never held up)."""
        self.path = hit.path
        self.title.setText(f"<b>{html.escape(os.path.basename(hit.path))}</b>")
        self.meta.setText("…")
        path, photo = hit.path, hit.kind == "photo"

        def load() -> _Loaded:
            return _Loaded(self._load(path, query), self._photo(path, IMAGE_SIDE) if photo else None)

        self.runner.run(load, lambda loaded: self._fill(path, loaded), lambda e: self._failed(path, e))

    def _failed(self, path: str, error: Exception) -> None:
        if path == self.path:
            self.meta.setText(f"Couldn't preview this file: {error}")
            self.body.clear()
            self.shown.emit(path)

    def _fill(self, path: str, loaded: _Loaded) -> None:
        if path != self.path:
            return  # another result was selected meanwhile
        p = self.preview = loaded.preview
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(p.modified)) if p.modified else "?"
        facts = [wording.size_text(p.size), f"modified {when}"]
        if p.kind == "photo":
            facts += [f"{k}: {v}" for k, v in p.camera.items()]
        self.meta.setText(html.escape(" · ".join(facts)))
        self._pixmap = None
        if loaded.image:
            image = QImage.fromData(loaded.image)
            self._pixmap = QPixmap.fromImage(image) if not image.isNull() else None
        self.image.setVisible(self._pixmap is not None)
        self._fit_image()
        self.body.setHtml(self._html(p))
        self.current = -1
        steps = p.kind == "document" and p.matching > 0  # a photo's read text is short: all of it is shown
        self._nav(steps)
        self.prev_button.setVisible(p.kind == "document")
        self.next_button.setVisible(p.kind == "document")
        if steps:
            self.next_match()
        else:
            self.position.setText("" if p.kind == "photo" else "No passage holds the words: the start of the file")
        self.shown.emit(path)

    def _html(self, p: Preview) -> str:
        parts = []
        if p.kind == "photo":
            if p.labels:
                parts.append(f"<p><b>Photo of:</b> {html.escape(p.labels)}</p>")
            if p.read_text:
                read = "<br>".join(highlighted(x.text, x.spans) for x in p.passages) if p.matching \
                    else html.escape(p.read_text)
                parts.append(f"<p><b>Text in the photo:</b><br>{read}</p>")
            return "".join(parts)
        for i, passage in enumerate(p.passages):
            where = f"page {passage.page}" if passage.page else f"passage {i + 1}"
            parts.append(f'<p><a name="m{i}"></a><span style="color:gray">{where}</span><br>'
                         f"{highlighted(passage.text, passage.spans)}</p>")
        if p.matching > len(p.passages):
            parts.append(f"<p>… and {p.matching - len(p.passages)} more passages hold the words.</p>")
        return "".join(parts)

    def _nav(self, on: bool) -> None:
        self.prev_button.setEnabled(on)
        self.next_button.setEnabled(on)

    def _go(self, step: int) -> None:
        p = self.preview
        if p is None or not p.matching or p.kind != "document":
            return
        shown = min(p.matching, len(p.passages))
        self.current = (self.current + step) % shown
        self.body.scrollToAnchor(f"m{self.current}")
        page = p.passages[self.current].page
        self.position.setText(f"match {self.current + 1} of {p.matching}" + (f" · page {page}" if page else ""))

    def next_match(self) -> None:
        self._go(1)

    def previous_match(self) -> None:
        self._go(-1)

    def _fit_image(self) -> None:
        if self._pixmap is not None:
            room = self.image.size()
            self.image.setPixmap(self._pixmap.scaled(max(1, room.width()), max(1, room.height()),
                                                     Qt.AspectRatioMode.KeepAspectRatio,
                                                     Qt.TransformationMode.SmoothTransformation))

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        self._fit_image()
