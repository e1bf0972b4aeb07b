"""Background indexing gives way to the desktop: the watcher's thread (the window, `watch`, `serve`) and
its extraction workers run at a lower CPU priority, so reading a big folder never makes the machine
sluggish. A foreground `localsearch index` keeps normal priority: the user is waiting for it."""

import os
import threading

from localsearch.core import log

BACKGROUND_NICE = 10


def lower_this_thread() -> None:
    """Raise this thread's niceness (Linux: per thread; elsewhere the process's) to BACKGROUND_NICE.
    Threads it starts later (torch's pool on its first use) inherit it."""
    try:
        ident = threading.get_native_id() if hasattr(os, "setpriority") else 0
        current = os.getpriority(os.PRIO_PROCESS, ident)
        if current < BACKGROUND_NICE:
            os.setpriority(os.PRIO_PROCESS, ident, BACKGROUND_NICE)
    except (AttributeError, OSError) as e:  # no such call on this system, or not allowed: run as we are
        log.index.debug("cannot lower the indexer's priority: %s", e)


def lower_worker() -> None:
    """A worker process's initializer: the whole process at background priority."""
    try:
        os.nice(max(0, BACKGROUND_NICE - os.nice(0)))
    except (AttributeError, OSError) as e:
        log.index.debug("cannot lower a worker's priority: %s", e)
