"""The watcher's life in the window: started off the GUI thread once the collections are read, stopped
for a change to the collections (add, remove, rename, settings) and started again, paused and resumed;
its reports come back as signals through the bridge."""

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from localsearch.core.errors import KnownError
from localsearch.core.service import Service
from localsearch.core.watcher import Watcher, WatchState
from localsearch.gui.bridge import WatchBridge
from localsearch.gui.tasks import TaskRunner


def plain_message(error: BaseException) -> str:
    """What a user can act on, without a traceback."""
    import errno
    import sqlite3

    if isinstance(error, KnownError):
        return f"Indexing stopped: {error}"
    text = str(error).lower()
    if (isinstance(error, OSError) and error.errno == errno.ENOSPC) or "disk is full" in text:
        return ("The disk is full, so LocalSearch cannot save its index. Free some space, then restart "
                "LocalSearch; nothing already indexed is lost.")
    if isinstance(error, sqlite3.DatabaseError):
        return f"LocalSearch cannot write its index ({error}). Check the disk, then restart LocalSearch."
    return f"Indexing stopped because of an unexpected error ({type(error).__name__}). Details are in the log."


def said(error: BaseException) -> str:
    """A known error's own words, else plain_message."""
    return str(error) if isinstance(error, KnownError) else plain_message(error)


class WatchControl(QObject):
    """Signals: changed(str said) when a change to the collections is applied (the watcher stopped for it
    starts again once the collections are read anew); failed(str) with a message for the user."""

    changed = Signal(str)
    failed = Signal(str)

    def __init__(self, service: Service, enabled: bool, names: Callable[[], list[str]],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.enabled = enabled
        self.names = names  # the collections as last read
        self.bridge = WatchBridge(self)
        self.bridge.states.connect(self._on_states)
        self.control = TaskRunner(1, self)  # starts, stops and changes, one at a time
        self.watcher: Watcher | None = None
        self.states: dict[str, WatchState] = {}
        self.changing = False  # a change runs with the watcher stopped: nothing may start it meanwhile
        self.closed = False

    def start(self) -> None:
        """Start the watcher on the control runner (making it reads the catalog and sets up a watch per
        folder: not on the GUI thread), after any change queued there."""
        if not self.enabled or self.watcher is not None or self.changing or self.closed or not self.names():
            return
        self.changing = True  # one start at a time

        def start() -> None:
            if self.watcher is None and not self.closed:
                self.watcher = self.service.watcher(on_state=self.bridge.on_state, on_report=self.bridge.on_report,
                                                    on_progress=self.bridge.on_progress,
                                                    on_error=self.bridge.on_error).start()

        def failed(e: Exception) -> None:
            self.changing = False
            self.failed.emit(said(e))

        self.control.run(start, lambda _: setattr(self, "changing", False), failed)

    def with_stopped(self, change: Callable[[], object], message: str | None = None) -> None:
        """Stop the writer off the GUI thread, apply `change`, start it again (then say `message`). The
        control runner does one job at a time, so the watcher stopped is whichever is running by then."""
        self.changing = True

        def stop_and_change() -> None:
            old, self.watcher = self.watcher, None
            if old is not None:
                old.stop()
            change()

        def done(_: object, ok: bool = True) -> None:
            self.states = {}
            self.changing = False
            self.changed.emit(message or "" if ok else "")

        def failed(e: Exception) -> None:
            done(None, ok=False)
            self.failed.emit(said(e))

        self.control.run(stop_and_change, done, failed)

    def is_paused(self, name: str) -> bool:
        return self.watcher is not None and self.watcher.is_paused(name)

    def toggle_pause(self, name: str) -> None:
        if self.watcher is None:
            return
        if self.watcher.is_paused(name):
            self.watcher.resume(name)
        else:
            self.watcher.pause(name)

    def reconcile(self, name: str) -> None:
        if self.watcher is not None:
            self.watcher.reconcile(name)

    def _on_states(self, states: list[WatchState]) -> None:
        self.states = {s.collection: s for s in states}

    def shutdown(self) -> None:
        """Stop the writer: the batch in flight is committed, the indexes saved."""
        self.closed = True
        self.control.wait()
        if self.watcher is not None:
            self.watcher.stop()
            self.watcher = None
