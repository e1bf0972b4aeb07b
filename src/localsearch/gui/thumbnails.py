"""Photo thumbnails: decoded off the GUI thread as QImage (EXIF orientation applied), cached on disk,
turned into QPixmap by the receiver on the GUI thread."""

import hashlib
import os
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import QImage, QImageReader

THUMB_SIZE = 256


def cache_key(path: str) -> str:
    try:
        st = os.stat(path)
        stamp = f"{st.st_size}:{st.st_mtime_ns}"
    except OSError:
        stamp = "missing"
    return hashlib.sha1(f"{path}|{stamp}|{THUMB_SIZE}".encode("utf-8", "surrogateescape")).hexdigest()


def make_thumbnail(path: str, cache_dir: Path) -> QImage:
    cached = cache_dir / (cache_key(path) + ".png")
    if cached.exists():
        image = QImage(str(cached))
        if not image.isNull():
            return image
    reader = QImageReader(path)
    reader.setAutoTransform(True)  # EXIF orientation
    size = reader.size()
    if size.isValid() and max(size.width(), size.height()) > THUMB_SIZE:
        reader.setScaledSize(size.scaled(QSize(THUMB_SIZE, THUMB_SIZE), _keep_aspect()))
    image = reader.read()
    if image.isNull():
        image = _decode_with_pillow(path)  # HEIC, AVIF: formats Qt's plugins may lack
        if image.isNull():
            return image
    if max(image.width(), image.height()) > THUMB_SIZE:
        image = image.scaled(THUMB_SIZE, THUMB_SIZE, _keep_aspect())
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_suffix(".tmp.png")
    if image.save(str(tmp), "PNG"):  # type: ignore[call-overload]  # the stubs say bytes; PySide6 takes str
        os.replace(tmp, cached)
    return image


def _decode_with_pillow(path: str) -> QImage:
    from localsearch.core.extract.photo import decode_fitting

    try:
        rgb = decode_fitting(path, THUMB_SIZE)
    except Exception:  # unreadable: the view shows its type badge instead
        return QImage()
    h, w, _ = rgb.shape
    return QImage(rgb.tobytes(), w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def _keep_aspect() -> Qt.AspectRatioMode:
    return Qt.AspectRatioMode.KeepAspectRatio


class _Load(QRunnable):
    def __init__(self, loader: "ThumbnailLoader", path: str) -> None:
        super().__init__()
        self.loader = loader
        self.path = path

    def run(self) -> None:
        self.loader.loaded.emit(self.path, make_thumbnail(self.path, self.loader.cache_dir))


class ThumbnailLoader(QObject):
    """Signals: loaded(str path, QImage image) — a null image when the file cannot be decoded."""

    loaded = Signal(str, QImage)

    def __init__(self, cache_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.cache_dir = cache_dir
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(2)
        self._requested: set[str] = set()

    def request(self, path: str) -> None:
        if path not in self._requested:
            self._requested.add(path)
            self.pool.start(_Load(self, path))

    def forget(self) -> None:
        self._requested.clear()
