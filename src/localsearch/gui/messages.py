"""The message line above the results: one message at a time, never taller than a few lines, with a
close button. Information goes away by itself after a few seconds; a problem stays until it is closed
or replaced; a message about the current view (the look-alikes of a photo) goes when that view does."""

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QToolButton, QWidget

INFO_MS = 8000
"""How long a piece of information stays (a problem stays until closed)."""
MAX_LINES = 3


class MessageBar(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageBar")
        self.setStyleSheet("QFrame#messageBar { background: palette(alternate-base); border: 1px solid palette(mid);"
                           " border-radius: 4px; }")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.close_button = QToolButton()
        self.close_button.setText("✕")
        self.close_button.setAutoRaise(True)
        self.close_button.setToolTip("Close this message")
        self.close_button.clicked.connect(self.dismiss)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)  # never takes spare room
        self.info_ms = INFO_MS
        self.about_view = False  # the message describes the current view (gone when the view changes)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.dismiss)
        self.setVisible(False)

    def text(self) -> str:
        return self.label.text()

    def show_text(self, text: str, error: bool, about_view: bool = False) -> None:
        self.label.setText(("⚠ " if error else "") + text)
        line = self.label.fontMetrics().lineSpacing()
        self.label.setMaximumHeight(line * MAX_LINES + 4)
        self.about_view = about_view
        self.setToolTip(text)  # the whole text, also when it is longer than the lines shown
        self._timer.stop()
        if not error and not about_view:
            self._timer.start(self.info_ms)
        self.setVisible(True)

    def dismiss(self) -> None:
        self._timer.stop()
        self.about_view = False
        self.setVisible(False)

    def view_changed(self) -> None:
        """The view a message described is gone (a text search replaced the look-alikes)."""
        if self.about_view:
            self.dismiss()
