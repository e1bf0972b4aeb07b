"""The operating system's file watches over the collections' folders: native (inotify and the like)
where the system allows, polling where it refuses more watches. Every event becomes "look at this
path again" on the watcher's queue."""

import errno
import os
from typing import Protocol

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch
from watchdog.observers.polling import PollingObserver

from localsearch.core import log

_IGNORED = {"opened", "closed_no_write"}


class Queue(Protocol):
    def put(self, collection: str, path: bytes) -> None: ...


class _Handler(FileSystemEventHandler):
    def __init__(self, queue: Queue, collection: str) -> None:
        self.queue = queue
        self.collection = collection

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in _IGNORED:
            return
        for p in (event.src_path, getattr(event, "dest_path", "")):
            if p:
                self.queue.put(self.collection, os.fsencode(p))


def _watch_limit_hit(e: OSError) -> bool:
    return e.errno in (errno.ENOSPC, errno.EMFILE, errno.ENFILE)


class Observation:
    """One native observer and, only if needed, one polling observer (every poll_interval seconds),
    shared by all roots."""

    def __init__(self, queue: Queue, force_polling: bool = False, poll_interval: float = 2.0) -> None:
        self.queue = queue
        self.force_polling = force_polling
        self.poll_interval = poll_interval
        self._watches: dict[tuple[str, str], tuple[BaseObserver, ObservedWatch]] = {}
        self._observers: list[BaseObserver] = []
        self._native: BaseObserver | None = None
        self._polling: BaseObserver | None = None

    def native_observer(self) -> BaseObserver:
        return Observer()

    def _observer(self, polling: bool) -> BaseObserver:
        if polling:
            if self._polling is None:
                self._polling = PollingObserver(timeout=self.poll_interval)
                self._polling.start()
                self._observers.append(self._polling)
            return self._polling
        if self._native is None:
            self._native = self.native_observer()
            self._native.start()
            self._observers.append(self._native)
        return self._native

    def schedule(self, name: str, root: str) -> str:
        """Watch one root natively, or by polling where the OS refuses more watches; returns which."""
        handler = _Handler(self.queue, name)
        if not self.force_polling:
            try:
                obs = self._observer(polling=False)
                self._watches[(name, root)] = (obs, obs.schedule(handler, root, recursive=True))
                return "watching"
            except OSError as e:
                if not _watch_limit_hit(e):
                    raise
                log.watch.warning("%s: the system refused more file watches (%s); polling %s every %.0f s instead",
                                  name, e.strerror, root, self.poll_interval)
        obs = self._observer(polling=True)
        self._watches[(name, root)] = (obs, obs.schedule(handler, root, recursive=True))
        return "polling"

    def unschedule(self, name: str, root: str) -> None:
        found = self._watches.pop((name, root), None)
        if found:
            obs, watch = found
            try:
                obs.unschedule(watch)
            except (KeyError, OSError):
                pass

    def mode(self, name: str, root: str) -> str | None:
        """How a root is watched: 'watching', 'polling', or None when it is not."""
        found = self._watches.get((name, root))
        if found is None:
            return None
        return "polling" if found[0] is self._polling else "watching"

    def stop(self) -> None:
        for obs in self._observers:
            obs.stop()
        for obs in self._observers:
            obs.join(timeout=5)
