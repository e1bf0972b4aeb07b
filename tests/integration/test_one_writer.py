"""One writer per data folder across processes: a second `index` waits for the first (and then finds
nothing left to embed), `index` waits for a running `watch` with a message, Ctrl-C ends the waiting,
and a watcher whose data folder another process writes says so and takes over once it stops."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from localsearch.core import paths
from localsearch.core.embed.hashing import HashingEmbedder
from localsearch.core.service import Service
from localsearch.core.settings import Settings
from localsearch.core.store.catalog import Catalog
from localsearch.core.store.vectors import VectorIndex
from localsearch.core.writer import WriterLock
from tests.apiserver import WAIT_SCALE

CEILING = 120 * WAIT_SCALE


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path]:
    home, docs = tmp_path / "home", tmp_path / "docs"
    (home / "config").mkdir(parents=True)
    (home / "config" / "settings.json").write_text('{"text_model": "hashing", "ocr": false, "image_model": "none"}')
    docs.mkdir()
    for i in range(80):
        (docs / f"n{i:02}.txt").write_text(f"note {i} about the harbour and tide {i % 7}")
    return home, docs


def start(home: Path, *args: str, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "localsearch", "--home", str(home), *args],
                            stdout=open(log, "wb"), stderr=subprocess.STDOUT)


def wait_for(condition, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + CEILING
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def embedded(log: Path) -> int:
    m = re.search(r"(\d+) chunks embedded", log.read_text())
    assert m, log.read_text()
    return int(m.group(1))


def test_two_index_runs_at_once_embed_each_passage_once(setup, tmp_path):
    home, docs = setup
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    procs = [start(home, "index", str(docs), "-c", "docs", "--no-progress", log=log) for log in logs]
    for p in procs:
        assert p.wait(timeout=CEILING) == 0
    assert sorted(embedded(log) for log in logs) == [0, 80]
    catalog = Catalog(paths.resolve(home).catalog)
    col = catalog.collection("docs")
    vi = VectorIndex(paths.resolve(home).vectors, col.id, col.dim or 0)
    assert vi.load_or_rebuild(catalog, col, persist=False) == "loaded" and vi.count == 80  # no orphan vectors
    catalog.close()


def test_index_waits_for_a_running_watch_then_finds_nothing_to_redo(setup, tmp_path):
    home, docs = setup
    first = start(home, "index", str(docs), "-c", "docs", "--no-progress", log=tmp_path / "first.log")
    assert first.wait(timeout=CEILING) == 0
    watch = start(home, "watch", log=tmp_path / "watch.log")
    try:
        wait_for(lambda: "keeping collections current" in (paths.resolve(home).data / "writer.json").read_text()
                 if (paths.resolve(home).data / "writer.json").exists() else False, "the watcher to take the lock")
        second = start(home, "index", "-c", "docs", "--no-progress", log=tmp_path / "second.log")
        wait_for(lambda: "waiting for the running indexer" in (tmp_path / "second.log").read_text(), "the message")
        assert second.poll() is None, "it waits while the watcher writes"
        watch.send_signal(signal.SIGINT)
        assert watch.wait(timeout=CEILING) == 0
        assert second.wait(timeout=CEILING) == 0
        assert embedded(tmp_path / "second.log") == 0
    finally:
        watch.kill()


def test_ctrl_c_ends_the_waiting(setup, tmp_path):
    home, docs = setup
    holder = WriterLock(paths.resolve(home).ensure().data, "a test")
    assert holder.acquire()
    try:
        waiting = start(home, "index", str(docs), "-c", "docs", "--no-progress", log=tmp_path / "w.log")
        wait_for(lambda: "waiting for the running indexer (pid %d: a test)" % os.getpid() in
                 (tmp_path / "w.log").read_text(), "the message")
        waiting.send_signal(signal.SIGINT)
        assert waiting.wait(timeout=CEILING) == 130
        assert "Traceback" not in (tmp_path / "w.log").read_text()
    finally:
        holder.release()


def test_a_watcher_says_it_waits_and_takes_over_when_the_other_writer_stops(setup, tmp_path):
    home, docs = setup
    service = Service(paths.resolve(home), Settings(text_model="hashing", ocr=False, image_model="none"),
                      HashingEmbedder())
    service.add_folder("docs", str(docs))
    other = WriterLock(service.paths.data, "another process")  # its own lock file handle: as another process
    assert other.acquire()
    seen: list[str] = []
    w = service.watcher(on_state=lambda states: seen.extend(f"{s.mode}: {s.detail}" for s in states)).start()
    try:
        wait_for(lambda: any(s.startswith("waiting: another LocalSearch is indexing (pid") for s in seen),
                 "the waiting state")
        assert service.overview()[0].files == 0, "nothing written while the other writer holds the lock"
        other.release()
        assert w.wait_idle(CEILING)
        assert service.overview()[0].files == 80
    finally:
        w.stop()
        other.release()
        service.close()
