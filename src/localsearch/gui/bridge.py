"""The watcher reports from its own thread; this turns its callbacks into Qt signals."""

from PySide6.QtCore import QObject, Signal

from localsearch.core.indexer import Progress, Report
from localsearch.core.watcher import WatchState


class WatchBridge(QObject):
    """Signals: states(list[WatchState]), progress(Progress), report(Report), error(BaseException)."""

    states = Signal(list)
    progress = Signal(object)
    report = Signal(object)
    error = Signal(object)

    def on_state(self, states: list[WatchState]) -> None:
        self.states.emit([WatchState(**vars(s)) for s in states])  # a snapshot, not shared objects

    def on_progress(self, progress: Progress) -> None:
        self.progress.emit(Progress(**vars(progress)))

    def on_report(self, report: Report) -> None:
        self.report.emit(report)

    def on_error(self, error: BaseException) -> None:
        self.error.emit(error)
