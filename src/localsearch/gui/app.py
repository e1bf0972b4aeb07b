"""Composition root of the desktop app: paths, logging, settings, services, QApplication."""

import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QAbstractButton, QMessageBox, QWidget

    from localsearch.core.paths import Paths
    from localsearch.core.service import Service

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


def repair_box(problem: str) -> "tuple[QMessageBox, QAbstractButton]":
    """The damaged-catalog dialog, and its Repair now button (Quit is the other)."""
    from PySide6.QtWidgets import QMessageBox

    box = QMessageBox(QMessageBox.Icon.Critical, "LocalSearch cannot open its index", problem)
    box.setInformativeText("Repair keeps the damaged file aside and indexes your folders again in the "
                           "background; you can search as it goes. Your own files are never changed.")
    repair = box.addButton("Repair now", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Quit", QMessageBox.ButtonRole.RejectRole)
    return box, repair


def ask_repair(problem: str) -> bool:
    box, repair = repair_box(problem)
    box.exec()
    return box.clickedButton() is repair


def tell(problem: str) -> None:
    from PySide6.QtWidgets import QMessageBox

    QMessageBox.critical(None, "LocalSearch cannot open its index", problem)


def open_service(where: "Paths", ask: "Callable[[str], bool]",
                 say: "Callable[[str], None] | None" = None) -> "Service | None":
    """The Service, or None after telling the user why not. A damaged catalog is offered a repair: it is
    set aside and its collections and folders restored, and the window's catch-up indexes them."""
    from localsearch.core import repair
    from localsearch.core.errors import CatalogDamaged, KnownError
    from localsearch.core.service import Service

    say = say or tell
    try:
        return Service(where)
    except CatalogDamaged as e:
        if not ask(sentence(e.summary)):
            return None
    except KnownError as e:  # a newer LocalSearch's catalog, no permission: say so, never a traceback
        say(sentence(str(e)))
        return None
    try:
        salvage = repair.set_aside_alone(where.ensure())
    except KnownError as e:  # another LocalSearch is using it
        say(sentence(str(e)))
        return None
    service = Service(where)
    service.restore(salvage)
    return service


def close_on_signals(window: "QWidget") -> None:
    """SIGTERM (a session logging out, `kill`) and Ctrl-C in the terminal that started the window close it
    as its close button does: work done is committed, the layout kept, the search socket taken away.
    Python runs a signal handler only between its own bytecodes, which Qt's event loop may not reach for
    a long time; the handler's wake-up byte goes to a socket that Qt watches instead."""
    import signal
    import socket

    from PySide6.QtCore import QSocketNotifier

    readable, writable = socket.socketpair()
    readable.setblocking(False)
    writable.setblocking(False)
    signal.set_wakeup_fd(writable.fileno(), warn_on_full_buffer=False)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, frame: None)  # a Python handler: the wake-up byte is written
    notifier = QSocketNotifier(readable.fileno(), QSocketNotifier.Type.Read, window)

    def woken() -> None:
        try:
            readable.recv(64)
        except OSError:
            pass
        for sig in (signal.SIGINT, signal.SIGTERM):  # a second one ends the process at once
            signal.signal(sig, signal.SIG_DFL)
        window.close()

    notifier.activated.connect(woken)
    _KEPT.append((readable, writable, notifier))


_KEPT: list[object] = []  # the wake-up sockets and their notifier live as long as the process


def sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def main(home: str | None = None, verbose: bool = False) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from localsearch.core import log, paths
    from localsearch.desktop import APP_ID
    from localsearch.gui.main_window import MainWindow

    log.setup(logging.INFO if verbose else logging.WARNING)
    running = QApplication.instance()
    app = running if isinstance(running, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName("LocalSearch")
    app.setDesktopFileName(APP_ID)  # ties the window to its entry (localsearch install-desktop) on Wayland/KDE
    icon = icon_path()
    if icon is not None:
        app.setWindowIcon(QIcon(str(icon)))
    service = open_service(paths.resolve(home), ask_repair)
    if service is None:
        return 1
    from localsearch.cli_search import start_resident

    answering = start_resident(service)  # `localsearch search` in a terminal is answered by this window
    window = MainWindow(service)
    close_on_signals(window)
    window.show()

    def painted() -> None:
        elapsed = time.perf_counter() - STARTED
        log.search.info("first paint %.3f s after start", elapsed)
        if os.environ.get("LOCALSEARCH_EXIT_AFTER_PAINT"):
            print(f"first_paint_s={elapsed:.3f}", flush=True)
            window.close()

    QTimer.singleShot(0, painted)
    code = app.exec()
    answering.stop()
    service.close()
    return int(code)
