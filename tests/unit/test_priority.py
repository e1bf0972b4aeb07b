"""Background indexing (the window, `watch`, `serve`) runs below normal priority; `index` does not."""

import os
import sys
import threading

import pytest

from localsearch.core import priority
from localsearch.core.indexer import Indexer

pytestmark = [pytest.mark.skipif(sys.platform != "linux", reason="per-thread niceness is Linux's"),
              pytest.mark.skipif(sys.platform == "linux" and os.nice(0) >= priority.BACKGROUND_NICE,
                                 reason="the tests themselves already run at background priority")]


def niceness() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def test_the_background_writer_thread_and_its_workers_give_way(service):
    seen: list[int] = []
    thread = threading.Thread(target=lambda: (priority.lower_this_thread(), seen.append(niceness())))
    thread.start()
    thread.join()
    assert seen == [priority.BACKGROUND_NICE]
    assert niceness() < priority.BACKGROUND_NICE  # only that thread: the caller keeps its priority

    indexer = Indexer(service.catalog, service.paths.vectors, service.embedder, service.settings, workers=1)
    indexer.background = True
    try:
        assert indexer.pool().schedule(os.nice, args=(0,)).result(timeout=120) >= priority.BACKGROUND_NICE
    finally:
        indexer.close()


def test_the_watcher_thread_runs_in_the_background(service, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("granite")
    service.index("docs", [str(docs)])
    watcher = service.watcher(force_polling=True, poll_interval=0.2).start()
    try:
        assert watcher.wait_idle(60 * float(os.environ.get("WAIT_SCALE", "1")))
        assert os.getpriority(os.PRIO_PROCESS, watcher._thread.native_id) >= priority.BACKGROUND_NICE
    finally:
        watcher.stop()
