"""Indexing progress in the status bar: a small bar and an elided line, and a details popover with
every collection's phase, counts, rate and time left (core.eta), and Pause / Resume."""

from collections.abc import Callable

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import (QFrame, QGridLayout, QHBoxLayout, QLabel, QProgressBar, QPushButton, QSizePolicy, QToolButton,
                               QVBoxLayout, QWidget)

from localsearch.core.embed import factory
from localsearch.core.eta import COUNTED, Rates, active, duration
from localsearch.core.indexer import Progress
from localsearch.gui.elided import ElidedLine


def describe(p: Progress, left: float | None, speed: float) -> str:
    """One collection's progress in words: "Notes: 1,200 of 4,000 passages embedded · 35/s · about 1 min left"."""
    switching = f" (switching to {factory.describe(p.switching)})" if p.switching else ""
    if p.phase == "scanning":
        return f"{p.collection}: looking for new and changed files{switching}"
    text = f"{p.collection}: {p.done:,} of {p.total:,} {COUNTED.get(p.phase, p.phase)}{switching}"
    if p.phase == "embedding":
        text += " (all searchable by their words already)"
    if speed > 0:
        text += f" · {speed:.0f}/s" if speed >= 10 else f" · {speed:.1f}/s"
    return text + (f" · about {duration(left)} left" if left is not None else " · working out the time left")


class Details(QFrame):
    """The popover: a line per collection at work, each with its Pause / Resume button."""

    toggled = Signal(str)  # a collection's pause asked for or lifted

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.outer = QVBoxLayout(self)
        self.body: QWidget | None = None
        self.buttons: dict[str, QPushButton] = {}

    def fill(self, lines: dict[str, str], paused: Callable[[str], bool]) -> None:
        if self.body is not None:
            self.outer.removeWidget(self.body)
            self.body.deleteLater()
        self.body = QWidget()
        rows = QGridLayout(self.body)
        rows.setContentsMargins(0, 0, 0, 0)
        self.buttons = {}
        for i, (name, line) in enumerate(lines.items()):
            label = QLabel(line)
            label.setWordWrap(True)
            label.setMinimumWidth(360)
            rows.addWidget(label, i, 0)
            button = QPushButton("Resume" if paused(name) else "Pause")
            button.setToolTip("Go on indexing this collection" if paused(name)
                              else "Pause indexing this collection (searching goes on)")
            button.clicked.connect(lambda *_, n=name: self.toggled.emit(n))
            rows.addWidget(button, i, 1)
            self.buttons[name] = button
        if not lines:
            rows.addWidget(QLabel("Nothing is being indexed."), 0, 0)
        self.outer.addWidget(self.body)


class IndexProgress(QWidget):
    """The status bar's progress: bar, elided line, and a button that opens the details."""

    toggled = Signal(str)

    def __init__(self, paused: Callable[[str], bool], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.paused = paused
        self.rates = Rates()
        self.lines: dict[str, str] = {}
        self._full = ""
        self.shown: dict[str, Progress] = {}
        self.bar = QProgressBar()
        self.bar.setFixedWidth(140)
        self.bar.setTextVisible(False)
        self.label = ElidedLine(120)  # elided, never wraps; a new text moves no layout
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # the status bar gives room
        self.setMinimumWidth(260)
        self.more = QToolButton()
        self.more.setText("Details")
        self.more.setToolTip("Progress of every collection, with Pause and Resume")
        self.more.clicked.connect(self.open_details)
        self.details = Details(self)
        self.details.toggled.connect(self._toggle)
        layout = self.row = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.bar)
        layout.addWidget(self.more)
        self.setVisible(False)

    def update_progress(self, p: Progress) -> None:
        left = self.rates.see(p)
        if active(p):
            self.shown[p.collection] = p
            self.lines[p.collection] = describe(p, left, self.rates.speed(p))
        else:
            self.shown.pop(p.collection, None)
            self.lines.pop(p.collection, None)
        self.note_paused({p.collection} if self.paused(p.collection) else None)

    def note_paused(self, names: set[str] | None = None) -> None:
        """Paused collections stay listed (with Resume) while their pass waits; `names`: those the watcher
        says are paused, when it has said so (else each listed one is asked again)."""
        for name in names or ():
            if name not in self.lines:
                self.lines[name] = f"{name}: paused"
        for name in [n for n in self.lines if n not in self.shown and not self.paused(n)]:
            del self.lines[name]
        self._redraw()

    def _redraw(self) -> None:
        self.setVisible(bool(self.lines))
        if not self.lines:
            self.details.hide()
            return
        name = next(reversed(self.lines))  # the one that reported last
        p = self.shown.get(name)
        if p is None or p.phase == "scanning" or p.total <= 0:
            self.bar.setRange(0, 0 if p is not None else 1)  # busy: no count yet (paused: still)
        else:
            self.bar.setRange(0, p.total)
            self.bar.setValue(p.done)
        line = self.lines[name]
        if self.paused(name) and p is not None:
            line = f"{name}: paused · {line.split(': ', 1)[1]}"
        others = len(self.lines) - 1
        self._full = line + (f" (+{others} more)" if others else "")
        self.label.setToolTip("\n".join(self.lines.values()))
        self.bar.setToolTip(self.label.toolTip())
        self.label.setText(self._full)
        if self.details.isVisible():
            self.details.fill(self.lines, self.paused)

    def resizeEvent(self, event: object) -> None:  # noqa: N802
        super().resizeEvent(event)  # type: ignore[arg-type]
        spacing = 2 * max(0, self.row.spacing())
        self.label.set_width(self.width() - self.bar.width() - self.more.sizeHint().width() - spacing)

    def open_details(self) -> None:
        self.details.fill(self.lines, self.paused)
        self.details.adjustSize()
        corner = self.mapToGlobal(QPoint(self.width(), 0))
        self.details.move(corner.x() - self.details.width(), corner.y() - self.details.height() - 4)
        self.details.show()

    def _toggle(self, name: str) -> None:
        self.toggled.emit(name)  # the watcher pauses or resumes the collection at once
        self.note_paused({name} if self.paused(name) else None)  # redraws, the open details too

    def text(self) -> str:
        """The whole line (the label may show it cut)."""
        return self._full if self.lines else ""
