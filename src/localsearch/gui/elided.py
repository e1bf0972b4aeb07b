"""A one-line text for the status bar that never moves the window's layout: its size is fixed (a width
given by its owner, the font's line height), and a new text only repaints it, elided to fit. A QLabel's
setText asks the whole window to lay itself out again, which at 1M passages cost 20-36 ms a time on the
GUI thread while progress and result counts changed under the user's typing (bench/gui_stall.py)."""

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget


class ElidedLine(QWidget):
    def __init__(self, width: int = 160, align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._text = ""
        self.align = align
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.set_width(width)

    def set_width(self, width: int) -> None:
        """The room it takes (a change of room is a layout change, made only when the owner resizes)."""
        self.setFixedSize(QSize(max(40, width), self.fontMetrics().height() + 4))

    def setText(self, text: str) -> None:  # noqa: N802 (QLabel's name, so it can stand in for one)
        if text != self._text:
            self._text = text
            self.update()

    def clear(self) -> None:
        self.setText("")

    def text(self) -> str:
        """The whole text (shown() is what fits)."""
        return self._text

    def shown(self) -> str:
        return self.fontMetrics().elidedText(self._text, Qt.TextElideMode.ElideRight, self.width() - 4)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setPen(self.palette().windowText().color())
        painter.drawText(self.rect().adjusted(2, 0, -2, 0), int(self.align | Qt.AlignmentFlag.AlignVCenter),
                         self.shown())
        painter.end()
