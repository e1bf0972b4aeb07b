"""Background work, Anki-style: a function runs on a worker thread; its result or error comes back
on the GUI thread through a queued signal. Workers never touch widgets."""

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from localsearch.core import log


class _Relay(QObject):
    """Lives on the GUI thread; its signals cross threads as queued calls.

    Signals: done(object), failed(object)
    """

    done = Signal(object)
    failed = Signal(object)


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self.fn = fn
        self.relay = relay

    def run(self) -> None:
        try:
            result = self.fn()
        except Exception as e:  # delivered to on_error on the GUI thread
            log.search.debug("background task failed: %s", e, exc_info=True)
            self.relay.failed.emit(e)
        else:
            self.relay.done.emit(result)


class TaskRunner(QObject):
    """Runs jobs on its own pool; one thread by default, so jobs touching one resource are serialised."""

    def __init__(self, threads: int = 1, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(threads)
        self._relays: set[_Relay] = set()

    def run(self, fn: Callable[[], Any], on_done: Callable[[Any], None],
            on_error: Callable[[Exception], None] | None = None) -> None:
        relay = _Relay()
        self._relays.add(relay)

        def finish(value: Any, handler: Callable[[Any], None] | None) -> None:
            self._relays.discard(relay)
            if handler is not None:
                handler(value)

        relay.done.connect(lambda value: finish(value, on_done))
        relay.failed.connect(lambda error: finish(error, on_error))
        self.pool.start(_Job(fn, relay))

    def wait(self, ms: int = 30000) -> bool:
        return self.pool.waitForDone(ms)
