"""Live watching on the real filesystem. Each test waits for the outcome it expects, with a timeout."""

import errno
import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from watchdog.observers import Observer

from localsearch.core import observation
from localsearch.core import watcher as watcher_mod
from localsearch.core.search import Query
from localsearch.core.service import Service
from tests.unit.test_indexer import assert_consistent


def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"condition not met within {timeout} s")


def names(service: Service, text: str) -> list[str]:
    return sorted(Path(h.path).name for h in service.search(Query(text, k=50)).hits)


def rel_paths(service: Service, text: str, root: Path) -> list[str]:
    return sorted(str(Path(h.path).relative_to(root)) for h in service.search(Query(text, k=50)).hits
                  if Path(h.path).is_relative_to(root))


@pytest.fixture
def watched(service, tmp_path):
    root = tmp_path / "docs"
    (root / "a").mkdir(parents=True)
    (root / "b").mkdir()
    (root / "a" / "first.txt").write_text("the first document mentions zebras")
    service.index("docs", [str(root)])
    w = service.watcher(["docs"])
    w.start()
    assert w.wait_idle(30)
    yield service, w, root
    w.stop()


def test_every_kind_of_change_is_reflected_within_seconds(watched, tmp_path):
    service, w, root = watched
    (root / "a" / "new.txt").write_text("a brand new note about giraffes")
    eventually(lambda: names(service, "giraffes") == ["new.txt"])

    (root / "a" / "new.txt").write_text("the note now talks about elephants")
    eventually(lambda: names(service, "elephants") == ["new.txt"] and names(service, "giraffes") == [])

    cid = service.catalog.collection("docs").id
    chunks_before = service.catalog.chunk_ids_of([service.catalog.files(cid)[os.fsencode(root / "a/new.txt")].id])
    (root / "a" / "new.txt").rename(root / "a" / "renamed.txt")
    eventually(lambda: names(service, "elephants") == ["renamed.txt"])
    after = service.catalog.files(cid)[os.fsencode(root / "a/renamed.txt")]
    assert service.catalog.chunk_ids_of([after.id]) == chunks_before, "a rename keeps the vectors"

    (root / "a" / "renamed.txt").rename(root / "b" / "renamed.txt")
    eventually(lambda: rel_paths(service, "elephants", root) == ["b/renamed.txt"])

    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "b" / "renamed.txt").rename(outside / "renamed.txt")
    eventually(lambda: names(service, "elephants") == [])

    (root / "a" / "first.txt").unlink()
    eventually(lambda: names(service, "zebras") == [])

    # An editor's atomic save: write a hidden temp file, then rename it over the original.
    (root / "b" / "doc.txt").write_text("original wording about tigers")
    eventually(lambda: names(service, "tigers") == ["doc.txt"])
    tmp = root / "b" / ".doc.txt.swp"
    tmp.write_text("rewritten wording about penguins")
    os.replace(tmp, root / "b" / "doc.txt")
    eventually(lambda: names(service, "penguins") == ["doc.txt"] and names(service, "tigers") == [])

    # Folders: a move keeps what is inside, a delete removes it, a folder moved in is indexed.
    (root / "b").rename(root / "c")
    eventually(lambda: rel_paths(service, "penguins", root) == ["c/doc.txt"])
    shutil.rmtree(root / "c")
    eventually(lambda: names(service, "penguins") == [])
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    (incoming / "x.txt").write_text("moved in from elsewhere: kangaroos")
    incoming.rename(root / "incoming")
    eventually(lambda: names(service, "kangaroos") == ["x.txt"])

    # Excluded names are ignored by the watcher too.
    (root / "a" / "__pycache__").mkdir()
    (root / "a" / "__pycache__" / "junk.txt").write_text("pelicans")
    (root / "a" / "visible.txt").write_text("pelicans in plain sight")
    eventually(lambda: names(service, "pelicans") == ["visible.txt"])
    assert w.wait_idle(10)
    w.stop()
    assert_consistent(service, "docs")


def test_a_storm_of_creations_and_deletions_ends_exactly_matching_the_disk(watched):
    service, w, root = watched
    storm = root / "storm"
    storm.mkdir()
    n = 1500
    for i in range(n):
        (storm / f"f{i:05}.txt").write_text(f"storm file {i}")
    for i in range(0, n, 2):
        (storm / f"f{i:05}.txt").unlink()
    cid = service.catalog.collection("docs").id

    def settled() -> bool:
        return w.queue.pending() == 0 and len(service.catalog.files_under(cid, [os.fsencode(storm)])) == n // 2

    eventually(settled, timeout=180)
    assert w.wait_idle(60)
    w.stop()
    on_disk = {os.fsencode(p) for p in storm.iterdir()}
    assert set(service.catalog.files_under(cid, [os.fsencode(storm)])) == on_disk
    assert_consistent(service, "docs")


def test_changes_made_while_stopped_are_caught_up_on_restart(watched, tmp_path):
    service, w, root = watched
    w.stop()
    (root / "a" / "offline-edit.txt").write_text("written while nobody watched: walruses")
    (root / "a" / "first.txt").unlink()
    w2 = service.watcher(["docs"]).start()
    try:
        eventually(lambda: names(service, "walruses") == ["offline-edit.txt"] and names(service, "zebras") == [],
                   timeout=30)
    finally:
        w2.stop()


class _RefusingObserver(Observer):  # type: ignore[misc, valid-type]
    """What inotify does when the watch limit is reached."""

    def schedule(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "inotify watch limit reached")


def test_watch_limit_falls_back_to_polling_with_the_same_results(service, tmp_path, monkeypatch):
    root = tmp_path / "docs"
    root.mkdir()
    (root / "one.txt").write_text("one about otters")
    service.index("docs", [str(root)])
    monkeypatch.setattr(observation.Observation, "native_observer", lambda self: _RefusingObserver())
    states: list[list[watcher_mod.WatchState]] = []
    w = service.watcher(["docs"], poll_interval=0.2, on_state=lambda s: states.append([*s])).start()
    try:
        assert w.wait_idle(30)
        assert w.states["docs"].mode == "polling"
        assert service.status()["collections"][0]["watch"]["mode"] == "polling"
        (root / "two.txt").write_text("two about beavers")
        eventually(lambda: names(service, "beavers") == ["two.txt"])
        (root / "one.txt").rename(root / "uno.txt")
        eventually(lambda: names(service, "otters") == ["uno.txt"])
        (root / "two.txt").unlink()
        eventually(lambda: names(service, "beavers") == [])
    finally:
        w.stop()
    assert_consistent(service, "docs")


def test_a_vanished_root_goes_offline_keeps_its_index_and_resumes(service, tmp_path):
    root = tmp_path / "drive"
    root.mkdir()
    (root / "photo-notes.txt").write_text("notes about volcanoes")
    service.index("drive", [str(root)])
    w = service.watcher(["drive"], poll_interval=0.2).start()
    try:
        assert w.wait_idle(30)
        parked = tmp_path / "unplugged"
        root.rename(parked)  # as if the drive were unmounted
        eventually(lambda: w.states["drive"].mode == "offline")
        assert service.overview()[0].files == 1, "an offline root keeps its index..."
        assert names(service, "volcanoes") == [], "...but its files are not offered while they cannot be opened"
        (parked / "later.txt").write_text("added elsewhere: glaciers")
        parked.rename(root)  # plugged back in
        eventually(lambda: w.states["drive"].mode == "watching" and names(service, "glaciers") == ["later.txt"],
                   timeout=15)
        assert names(service, "volcanoes") == ["photo-notes.txt"]
    finally:
        w.stop()


def test_pause_holds_changes_and_resume_applies_them(watched):
    service, w, root = watched
    w.pause("docs")
    (root / "a" / "held.txt").write_text("written while paused: lemurs")
    eventually(lambda: w.states["docs"].pending >= 1 or w.queue.pending() >= 1)
    assert w.wait_idle(5) and names(service, "lemurs") == [], "a paused collection is not indexed"
    w.resume("docs")
    eventually(lambda: names(service, "lemurs") == ["held.txt"])


def test_a_grown_index_is_retrained_in_the_background_while_changes_keep_landing(service, tmp_path, monkeypatch):
    """Sizes shrunk (IVF of 2 lists past 60 vectors) so that a few small files exercise the real path."""
    from localsearch.core.store import vectors as vec_mod

    def small_plan(count: int, compression: str = "none") -> vec_mod.Plan:
        return vec_mod.Plan("flat") if count < 60 else vec_mod.Plan("ivf", 2)

    monkeypatch.setattr(vec_mod, "plan_for", small_plan)
    trained = []
    real_build = vec_mod.build

    def watched_build(*args, **kwargs):
        trained.append(threading.current_thread().name)
        time.sleep(3.0)  # a long training: the watcher takes changes and tells the window meanwhile, even under load
        return real_build(*args, **kwargs)

    monkeypatch.setattr(vec_mod, "build", watched_build)
    root = tmp_path / "docs"
    root.mkdir()
    for i in range(80):
        (root / f"n{i}.txt").write_text(f"note {i} about okapis")
    service.index("docs", [str(root)])  # the one-off command trains in place and waits
    cid = service.catalog.collection("docs").id
    vi = vec_mod.VectorIndex(service.paths.vectors, cid, service.embedder.dim)
    assert vi.read_sidecar().kind == "ivf" and vi.read_sidecar().trained_on == 80
    trained.clear()
    seen: list[bool] = []
    w = service.watcher(["docs"], on_state=lambda states: seen.extend(s.reorganising for s in states)).start()
    try:
        assert w.wait_idle(30)
        for i in range(80, 200):  # past twice the size it was trained on
            (root / f"n{i}.txt").write_text(f"note {i} about okapis")
        eventually(lambda: any(t.startswith("localsearch-retrain") for t in trained), 30)
        (root / "late.txt").write_text("a late note about quokkas")  # lands while the retrain runs
        assert w.wait_idle(60), "idle only once the retrained index is in"
        assert True in seen and seen[-1] is False, "the window is told while it reorganises, and when it is done"
        side = vi.read_sidecar()
        assert side.kind == "ivf" and side.trained_on >= 200 and side.count == 201
        assert names(service, "quokkas") == ["late.txt"]
        ids = {r[0] for r in service.catalog.conn.execute("SELECT id FROM chunks")}
        assert ivf_ids(service.paths.vectors / f"collection-{cid}.faiss") == ids
    finally:
        w.stop()


def ivf_ids(path: Path) -> set[int]:
    import faiss

    index = faiss.read_index(str(path))  # held: the IVF view below points into it
    ivf = faiss.extract_index_ivf(index)
    return {int(i) for lst in range(ivf.nlist) if (n := ivf.invlists.list_size(lst))
            for i in faiss.rev_swig_ptr(ivf.invlists.get_ids(lst), n)}


def test_idle_it_publishes_nothing_and_counts_at_most_four_times_a_second(service, tmp_path):
    """Each publish rebuilds the window's sidebar and writes the state file: idle, there must be none."""
    root = tmp_path / "docs"
    root.mkdir()
    (root / "first.txt").write_text("a note about herons")
    service.index("docs", [str(root)])
    published: list[tuple[float, list[tuple[str, int]]]] = []
    w = service.watcher(["docs"], on_state=lambda states: published.append(
        (time.monotonic(), [(s.mode, s.pending) for s in states]))).start()
    try:
        assert w.wait_idle(30)
        eventually(lambda: bool(published) and published[-1][1][0][0] == "watching", timeout=30)
        before, stamp = len(published), service.watch_state_file.stat().st_mtime_ns
        time.sleep(2.0)  # an observation window: nothing may happen in it
        assert len(published) == before, "idle, nothing is published"
        assert service.watch_state_file.stat().st_mtime_ns == stamp, "idle, the state file is not rewritten"
        for i in range(60):
            (root / f"burst{i}.txt").write_text(f"burst note {i} about egrets")
        eventually(lambda: len(service.search(Query("egrets", k=100)).hits) == 60, timeout=60)
        assert w.wait_idle(30)
        burst = published[before:]
        assert burst, "the burst was told"
        same_mode = [b[0] - a[0] for a, b in zip(burst, burst[1:]) if [m for m, _ in a[1]] == [m for m, _ in b[1]]]
        assert all(gap >= watcher_mod.PUBLISH_EVERY_S * 0.9 for gap in same_mode), same_mode
    finally:
        w.stop()
