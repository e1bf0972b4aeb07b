"""The look-alike view's controls: how alike the photos must be (a slider, remembered between runs),
and the way back to what was shown before (Back, Alt+Left), with its scroll position."""

from dataclasses import dataclass

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QWidget

from localsearch.core import cutoff

DEFAULT = cutoff.LOOKS_ALIKE["efficientnet-lite0-imagenet"]
"""Where the slider starts until it is moved: the built-in photo model's look-alike threshold."""


@dataclass(frozen=True)
class Place:
    """What the list showed: a search (its text) or the look-alikes of a photo, and how far it was scrolled."""

    text: str
    similar_to: str | None
    scroll: int


class History:
    """Places to go back to, newest last (a short list: the way back, not a journal)."""

    LIMIT = 50

    def __init__(self) -> None:
        self.places: list[Place] = []

    def push(self, place: Place) -> None:
        if self.places and self.places[-1] == place:
            return
        self.places = [*self.places, place][-self.LIMIT:]

    def pop(self) -> Place | None:
        return self.places.pop() if self.places else None

    def __bool__(self) -> bool:
        return bool(self.places)


class LikenessBar(QWidget):
    """"How alike: loosely ——|—— same photo" and Back; `changed` carries the new least cosine once the
    slider rests (not at every step of a drag)."""

    changed = Signal(float)
    back = Signal()

    def __init__(self, qsettings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.qsettings = qsettings
        self.back_button = QPushButton("← Back")
        self.back_button.setToolTip("Back to what was shown before (Alt+Left)")
        self.back_button.clicked.connect(self.back.emit)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(20, 95)  # cosine x 100: every loosely similar photo .. only copies of this one
        self.slider.setMaximumWidth(260)
        self.slider.setToolTip("How alike the photos must be to this one")
        stored = qsettings.value("likeness")
        self.moved = stored is not None  # until the user moves it, the photo model's own threshold applies
        try:
            start = float(str(stored)) if stored is not None else DEFAULT
        except ValueError:
            start = DEFAULT
        self.slider.setValue(round(min(0.95, max(0.2, start)) * 100))
        self._rest = QTimer(self)
        self._rest.setSingleShot(True)
        self._rest.setInterval(250)
        self._rest.timeout.connect(self._settled)
        self.slider.valueChanged.connect(lambda *_: self._rest.start())
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 4)
        layout.addWidget(self.back_button)
        layout.addStretch(1)
        layout.addWidget(QLabel("How alike:"))
        layout.addWidget(QLabel("loosely"))
        layout.addWidget(self.slider)
        layout.addWidget(QLabel("same photo"))

    def likeness(self) -> float | None:
        """The least cosine asked for; None while the slider has never been moved (the model's own)."""
        return self.slider.value() / 100 if self.moved else None

    def _settled(self) -> None:
        self.moved = True
        self.qsettings.setValue("likeness", self.slider.value() / 100)
        self.changed.emit(self.slider.value() / 100)
