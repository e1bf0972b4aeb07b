"""Hosts the HTTP service inside the window's process when the user allows it (Settings: "Let other apps
on this computer search"), so the window stays the one writer and other programs search its index.

Starting binds sockets and reads the token file, stopping waits for requests in flight: both run on
a task runner, never on the GUI thread.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from localsearch.core.service import Service
from localsearch.core.settings import Settings
from localsearch.gui.tasks import TaskRunner

if TYPE_CHECKING:
    from localsearch.api.server import ApiServer
    from localsearch.core.watcher import Watcher


class ApiHost(QObject):
    """Signals: started(str url), stopped(), failed(str message)."""

    started = Signal(str)
    stopped = Signal()
    failed = Signal(str)

    def __init__(self, service: Service, watcher: Callable[[], "Watcher | None"], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.watcher = watcher
        self.server: "ApiServer | None" = None
        self.runner = TaskRunner(1, self)
        self._port: int | None = None
        self._want = False

    @property
    def url(self) -> str | None:
        return self.server.urls[0] if self.server is not None else None

    def sync(self, settings: Settings | None = None) -> None:
        """Start or stop (or move to a new port) to match `settings` (default: the service's)."""
        settings = settings or self.service.settings
        self._want, port = settings.serve_api, settings.api_port
        if self.server is not None and (not self._want or port != self._port):
            old, self.server = self.server, None
            self.runner.run(old.stop, lambda _: self.stopped.emit())
        if self._want and self.server is None:
            self._port = port
            self.runner.run(lambda: self._start(port), self._on_started,
                            lambda e: self.failed.emit(f"Other apps cannot search LocalSearch: {e}"))

    def _start(self, port: int) -> "ApiServer":
        from localsearch.api import server, tokens
        from localsearch.api.app import Host, create_app

        token = tokens.load_or_create(self.service.paths.config)
        return server.ApiServer(create_app(Host(self.service, token, self.watcher)), port=port).start()

    def _on_started(self, started: "ApiServer") -> None:
        if not self._want:  # switched off while it started
            self.runner.run(started.stop, lambda _: None)
            return
        self.server = started
        self.started.emit(started.urls[0])

    def stop(self) -> None:
        """At window close: let requests in flight finish (at most the server's grace period)."""
        self.runner.wait()
        if self.server is not None:
            self.server.stop(timeout=3.0)
            self.server = None
