"""Composition root of the desktop app: paths, logging, settings, services, QApplication."""

import logging
import os
import sys
import time
from pathlib import Path

STARTED = time.perf_counter()


def has_display() -> bool:
    if sys.platform != "linux" or os.environ.get("QT_QPA_PLATFORM"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def icon_path() -> Path | None:
    for base in (Path(__file__).resolve().parents[3] / "resources", Path(sys.prefix) / "share" / "localsearch"):
        candidate = base / "localsearch.svg"
        if candidate.exists():
            return candidate
    return None


def main(home: str | None = None, verbose: bool = False) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from localsearch.core import log, paths
    from localsearch.core.errors import KnownError
    from localsearch.core.service import Service
    from localsearch.gui.main_window import MainWindow

    log.setup(logging.INFO if verbose else logging.WARNING)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("LocalSearch")
    app.setDesktopFileName("localsearch")
    icon = icon_path()
    if icon is not None:
        app.setWindowIcon(QIcon(str(icon)))
    try:
        service = Service(paths.resolve(home))
    except KnownError as e:  # a damaged or newer catalog: say so in the window, not in a traceback
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.critical(None, "LocalSearch cannot open its index", str(e)[:1].upper() + str(e)[1:] + ".")
        return 1
    window = MainWindow(service)
    window.show()

    def painted() -> None:
        elapsed = time.perf_counter() - STARTED
        log.search.info("first paint %.3f s after start", elapsed)
        if os.environ.get("LOCALSEARCH_EXIT_AFTER_PAINT"):
            print(f"first_paint_s={elapsed:.3f}", flush=True)
            window.close()

    QTimer.singleShot(0, painted)
    code = app.exec()
    service.close()
    return int(code)
