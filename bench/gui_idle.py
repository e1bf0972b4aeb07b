"""The window's GUI thread while nothing happens, and what a sidebar refresh costs it.

Usage: bench/gui_idle.py --home DIR [--big DIR] [--seconds S] [--rounds R]

--home: a home with a real collection (its folders exist); it is copied, and the window runs on the
copy with its watcher, idle: the share of GUI-thread time spent handling events (timed in
QApplication.notify), and how many states the watcher published. --big: a large home (e.g. from
e2e_scale.py), opened without a watcher: GUI-thread milliseconds per sidebar refresh (the catalog's
counts at that size), from the call until the sidebar shows the result.
Works with the window before and after its sidebar was moved off the GUI thread (for a side by side).
"""

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, QTimer
from PySide6.QtWidgets import QApplication


class TimedApp(QApplication):
    """Adds up the time the GUI thread spends dispatching events (outermost dispatches only)."""

    def __init__(self) -> None:
        super().__init__([])
        self.busy = 0.0
        self._depth = 0

    def notify(self, receiver: QObject, event: Any) -> bool:  # Qt's name
        self._depth += 1
        started = time.perf_counter()
        try:
            return super().notify(receiver, event)
        finally:
            self._depth -= 1
            if self._depth == 0:
                self.busy += time.perf_counter() - started


def wait(app: QCoreApplication, seconds: float) -> None:
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def idle_share(app: TimedApp, home: Path, seconds: float) -> dict[str, float]:
    from localsearch.core import paths
    from localsearch.core.service import Service
    from localsearch.gui.main_window import MainWindow

    service = Service(paths.resolve(home))
    window = MainWindow(service, watch=True)
    window.show()
    published: list[float] = []
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:  # until its catch-up pass is over and it watches
        wait(app, 0.2)
        if window.watcher is not None and window.watcher._idle.is_set():
            break
    wait(app, 1.0)
    told = window.watcher.on_state

    def counted(states: list[Any]) -> None:
        published.append(time.monotonic())
        told(states)

    window.watcher.on_state = counted
    app.busy, started = 0.0, time.perf_counter()
    wait(app, seconds)
    elapsed = time.perf_counter() - started
    out = {"gui_busy_share_idle": round(app.busy / elapsed, 4), "states_published_per_s": round(len(published) / elapsed, 2)}
    window.shutdown()
    service.close()
    return out


def refresh_cost(app: TimedApp, home: Path, rounds: int) -> list[float]:
    from localsearch.core import paths
    from localsearch.core.service import Service
    from localsearch.gui.main_window import MainWindow

    service = Service(paths.resolve(home))
    window = MainWindow(service, watch=False)
    window.show()
    done: list[int] = []
    window.collections_changed.connect(lambda: done.append(1))
    wait(app, 0.5)
    costs = []
    for _ in range(rounds):
        done.clear()
        app.busy = 0.0
        started = time.perf_counter()
        window.refresh_collections()  # on the GUI thread: all of it (before), or the call alone (after)
        called = time.perf_counter() - started
        while not done:
            app.processEvents()
            time.sleep(0.001)
        costs.append((called + app.busy) * 1000)
    window.shutdown()
    service.close()
    return costs


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--home", required=True)
    ap.add_argument("--big")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    app = TimedApp()
    out: dict[str, object] = {"bench": "gui_idle"}
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "home"
        shutil.copytree(args.home, copy)
        out.update(idle_share(app, copy, args.seconds))
    if args.big:
        costs = refresh_cost(app, Path(args.big), args.rounds)
        out["sidebar_refresh_gui_ms"] = {"median": round(statistics.median(costs), 1), "max": round(max(costs), 1)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
