"""One writer per data folder, across processes (filelock): `index`, `watch`, `serve` and the window
take it before they write the catalog and its indexes, so two of them never embed the same files
twice or leave vectors the other does not know. Searches never take it.

The lock file is kept (never unlinked: a waiter could otherwise lock a file a newcomer has already
replaced); `writer.json` beside it says who holds it, for the message a waiting command shows.
"""

import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from filelock import FileLock, Timeout

from localsearch.core import atomic


class WriterLock:
    def __init__(self, data: Path, what: str) -> None:
        self.what = what
        self.info = data / "writer.json"
        self._lock = FileLock(data / "writer.lock", mode=0o600, thread_local=False, preserve_lock_file=True)

    def holder(self) -> str:
        """Who holds the lock, in words ("pid 4242: watch"), or a plain fallback."""
        try:
            raw = json.loads(self.info.read_text())
            return f"pid {int(raw['pid'])}: {raw['what']}"
        except (OSError, ValueError, KeyError, TypeError):
            return "another LocalSearch"

    def acquire(self, cancel: threading.Event | None = None, on_wait: Callable[[str], None] | None = None,
                poll: float = 0.25) -> bool:
        """Take the lock, waiting as long as it takes (on_wait is told once, with the holder); False if
        `cancel` is set meanwhile."""
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            if on_wait is not None:
                on_wait(self.holder())
            while True:
                if cancel is not None and cancel.is_set():
                    return False
                try:
                    self._lock.acquire(timeout=poll)
                    break
                except Timeout:
                    continue
        atomic.write_text(self.info, json.dumps({"pid": os.getpid(), "what": self.what, "since": time.time()}))
        return True

    def try_acquire(self) -> bool:
        """Take the lock if it is free now; False when another writer holds it."""
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            return False
        atomic.write_text(self.info, json.dumps({"pid": os.getpid(), "what": self.what, "since": time.time()}))
        return True

    def release(self) -> None:
        if self._lock.is_locked:
            self.info.unlink(missing_ok=True)
            self._lock.release()
