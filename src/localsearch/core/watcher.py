"""Live folder watching: filesystem events -> a coalescing queue -> batches for the one indexer.

Events are reduced to "look at this path again": the indexer's scoped update re-stats each path and
diffs it against the catalog, so creates, edits, deletes, renames (vectors kept, by content hash),
folder moves and editor-style atomic saves all take the same well-tested route, and an event
storm costs one stat per distinct path. At start a full reconciliation pass catches up with what
changed while nothing was watching; events that arrive meanwhile find those files unchanged.
"""

import json
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


from localsearch.core import atomic, log, observation, priority
from localsearch.core.errors import KnownError
from localsearch.core.indexer import Indexer, Report
from localsearch.core.store import successor
from localsearch.core.store.catalog import Catalog
from localsearch.core.writer import WriterLock



class ChangeQueue:
    """Paths to look at again, per collection, handed out once writes have paused.

    A batch is released when nothing new arrived for `debounce` seconds (an editor's save burst, a
    `git checkout`), or when the oldest pending change is `max_delay` old (a storm that never pauses).
    """

    def __init__(self, debounce: float = 0.3, max_delay: float = 2.0) -> None:
        self.debounce = debounce
        self.max_delay = max_delay
        self._pending: dict[str, set[bytes]] = {}
        self._first = 0.0
        self._last = 0.0
        self._cond = threading.Condition()
        self.last_event: float | None = None

    def put(self, collection: str, path: bytes) -> None:
        with self._cond:
            now = time.monotonic()
            if not self._pending:
                self._first = now
            self._pending.setdefault(collection, set()).add(path)
            self._last = now
            self.last_event = time.time()
            self._cond.notify_all()

    def pending(self) -> int:
        with self._cond:
            return sum(len(v) for v in self._pending.values())

    def take(self, timeout: float) -> dict[str, set[bytes]]:
        """Wait up to `timeout` for a batch to be due; {} if none is."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                now = time.monotonic()
                if self._pending and (now - self._last >= self.debounce or now - self._first >= self.max_delay):
                    batch, self._pending = self._pending, {}
                    return batch
                if now >= deadline:
                    return {}
                wait = deadline - now
                if self._pending:
                    wait = min(wait, max(0.01, min(self._last + self.debounce, self._first + self.max_delay) - now))
                self._cond.wait(wait)

    def wake(self) -> None:
        with self._cond:
            self._cond.notify_all()


@dataclass
class WatchState:
    collection: str
    mode: str = "starting"  # waiting (another process writes) | catching up | watching | polling | paused | offline | stopped
    pending: int = 0
    last_change: float | None = None
    detail: str = ""
    text_left: int = 0  # photos whose text (OCR) is still to be read
    reorganising: bool = False  # its vector index is being retrained in the background
    offline: list[str] = field(default_factory=list)  # its folders that are missing now (kept, not served)


PUBLISH_EVERY_S = 0.25
"""At most four publishes a second for counts alone (a new mode is told at once)."""


class Watcher:
    """Runs the indexer on its own thread (the only writer) and keeps every root watched."""

    def __init__(self, make_indexer: Callable[[], tuple[Indexer, Catalog]], catalog: Catalog,
                 collections: Iterable[str] | None = None, force_polling: bool = False, poll_interval: float = 2.0,
                 state_file: Path | None = None, on_state: Callable[[list[WatchState]], None] | None = None,
                 on_report: Callable[[Report], None] | None = None, debounce: float = 0.3,
                 warm_up: Callable[[], object] | None = None,
                 on_error: Callable[[BaseException], None] | None = None,
                 writer_lock: WriterLock | None = None) -> None:
        self.make_indexer = make_indexer
        wanted = list(collections) if collections else [c.name for c in catalog.collections()]
        self.roots = {name: catalog.roots(catalog.collection(name).id) for name in wanted}
        self.poll_interval = poll_interval
        self.state_file = state_file
        self.on_state = on_state or (lambda states: None)
        self.on_report = on_report or (lambda report: None)
        self.queue = ChangeQueue(debounce=debounce)
        self.states = {name: WatchState(name) for name in wanted}
        self.observation = observation.Observation(self.queue, force_polling, poll_interval)
        self._stop = threading.Event()
        self._idle = threading.Event()
        self._thread = threading.Thread(target=self._work, name="localsearch-indexer", daemon=True)
        self.error: BaseException | None = None
        self.warm_up = warm_up
        self.on_error = on_error or (lambda error: None)
        self.writer_lock = writer_lock  # taken by the indexer thread before it writes; another writer is waited for
        self._interrupt = threading.Event()  # the running index pass stops early (stop or pause)
        self._lock = threading.Lock()
        self._paused: set[str] = set()
        self._held: dict[str, set[bytes]] = {}
        self._requested: set[str] = set()
        self._running: str | None = None
        self._publish_lock = threading.Lock()
        self._published: list[dict[str, Any]] | None = None
        self._published_modes: list[tuple[str, str, bool, list[str]]] = []
        self._published_at = 0.0

    # --- observers ----------------------------------------------------------------------------

    def _check_roots(self, reconcile: set[str]) -> None:
        """Roots that vanish (unmounted drive) go offline with their index kept; back again -> catch up."""
        for name, roots in self.roots.items():
            modes = []
            for root in roots:
                present = os.path.isdir(root)
                watched = self.observation.mode(name, root)
                if present and watched is None:
                    watched = self.observation.schedule(name, root)
                    modes.append(watched)
                    if self.states[name].mode == "offline":
                        log.watch.info("%s: %s is back; catching up", name, root)
                        reconcile.add(name)
                elif not present:
                    if watched is not None:
                        log.watch.warning("%s: %s is gone (unmounted?); keeping its index, waiting for it", name, root)
                        self.observation.unschedule(name, root)
                    modes.append("offline")
                elif watched is not None:
                    modes.append(watched)
            state = self.states[name]
            state.offline = [root for root, m in zip(roots, modes) if m == "offline"]
            mode = "offline" if roots and all(m == "offline" for m in modes) else (
                "polling" if "polling" in modes else "watching")
            state.detail = "some folders offline" if "offline" in modes and mode != "offline" else ""
            if state.mode not in ("catching up", "paused"):
                state.mode = mode

    # --- the writer thread --------------------------------------------------------------------

    def start(self) -> "Watcher":
        if self.warm_up is not None:  # load the model now, not when the first file changes
            threading.Thread(target=self._warm, name="localsearch-warm-up", daemon=True).start()
        self._thread.start()
        return self

    def _warm(self) -> None:
        priority.lower_this_thread()  # the model's thread pool starts here and keeps this priority
        try:
            assert self.warm_up is not None
            self.warm_up()
        except Exception as e:  # the writer thread will meet (and report) the same problem
            log.watch.warning("could not preload the model: %s", e)

    def pause(self, name: str) -> None:
        """Stop indexing a collection (its changes are kept for later); a pass in flight stops early."""
        with self._lock:
            self._paused.add(name)
            self.states[name].mode = "paused"
            if self._running == name:
                self._interrupt.set()
        self.queue.wake()

    def resume(self, name: str) -> None:
        with self._lock:
            self._paused.discard(name)
            self._requested.add(name)  # a full pass: the paused one may have been cut short
            held = self._held.pop(name, set())
        for path in held:
            self.queue.put(name, path)
        self.queue.wake()

    def reconcile(self, name: str) -> None:
        """Ask for a full pass (retry failures, after settings change)."""
        with self._lock:
            self._requested.add(name)
        self._idle.clear()
        self.queue.wake()

    def is_paused(self, name: str) -> bool:
        with self._lock:
            return name in self._paused

    def stop(self, timeout: float = 60.0) -> None:
        """Stop watching; the batch in flight is committed and vector indexes saved."""
        self._stop.set()
        self._interrupt.set()
        self.queue.wake()
        self._thread.join(timeout)
        self.observation.stop()

    def wait_idle(self, timeout: float) -> bool:
        """True once caught up with no pending changes. Events still in the kernel are not counted:
        tests wait for the outcome they expect (a condition with a timeout), not for this alone."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.error is not None:
                raise self.error
            if self._idle.is_set() and self.queue.pending() == 0:
                return True
            time.sleep(0.02)
        return False

    def _publish(self) -> None:
        """Tell the window (on_state) and other processes (the state file) how each collection stands,
        only when that changed: a new mode at once, new counts (files pending, last change seen) at
        most every PUBLISH_EVERY_S. Idle, nothing is published (each publish rebuilds the window's
        sidebar and writes a file)."""
        for name, state in self.states.items():
            state.last_change = self.queue.last_event or state.last_change
        states = list(self.states.values())
        snapshot = [asdict(s) for s in states]
        modes = [(s.mode, s.detail, s.reorganising, s.offline) for s in states]
        with self._publish_lock:
            if snapshot == self._published:
                return
            if modes == self._published_modes and \
                    time.monotonic() - self._published_at < PUBLISH_EVERY_S:
                return  # only counts moved, and recently told: the loop's next turn tells them
            self._published, self._published_modes = snapshot, modes
            self._published_at = time.monotonic()
        self.on_state(states)
        if self.state_file is not None:
            data = {"pid": os.getpid(), "time": time.time(), "collections": snapshot}
            try:
                atomic.write_text(self.state_file, json.dumps(data))
            except OSError as e:
                log.watch.warning("cannot write watch state: %s", e)

    def _waiting(self, holder: str) -> None:
        """Another process writes this data folder (the window, `serve`, `watch`, `index`): say so and wait."""
        for state in self.states.values():
            state.mode, state.detail = "waiting", f"another LocalSearch is indexing ({holder})"
        self._publish()

    def _take_requested(self, reconcile: set[str]) -> list[str]:
        with self._lock:
            reconcile |= self._requested
            self._requested.clear()
            due = sorted(n for n in reconcile if n not in self._paused)
            reconcile -= set(due)
            return due

    def _pass(self, indexer: Indexer, name: str, run: Callable[[], Report]) -> None:
        with self._lock:
            if name in self._paused:
                return
            self._running = name
        try:
            self.on_report(run())
        finally:
            with self._lock:
                self._running = None
                if not self._stop.is_set():
                    self._interrupt.clear()

    def _read_photo_text(self, indexer: Indexer) -> bool:
        """One bounded step of the slow OCR pass for the first collection that has some left."""
        if not indexer.settings.ocr:
            return False
        for name in sorted(self.roots):
            if self.is_paused(name) or self._stop.is_set():
                continue
            col = indexer.catalog.collection(name)
            left = indexer.catalog.ocr_left(col.id)
            self.states[name].text_left = left
            if left and successor.of(indexer.catalog, col) is None:  # mid-switch: read after the switch
                self._publish()
                step = 2 * indexer.workers
                self._pass(indexer, name, lambda: indexer.read_photo_text(name, max_photos=step))
                self.states[name].text_left = max(0, left - step)
                return True
        return False

    def _note_rebuilds(self, indexer: Indexer) -> None:
        """Tell the window which collections are having their vector index retrained."""
        busy = indexer.rebuilding_collections()
        if not busy and not any(s.reorganising for s in self.states.values()):
            return
        ids = {c.name: c.id for c in indexer.catalog.collections()}
        changed = False
        for name, state in self.states.items():
            now = ids.get(name) in busy
            changed |= now != state.reorganising
            state.reorganising = now
        if changed:
            self._publish()

    def _work(self) -> None:
        indexer: Indexer | None = None
        catalog: Catalog | None = None
        priority.lower_this_thread()  # indexing in the background gives way to the desktop
        try:
            if self.writer_lock is not None and not self.writer_lock.acquire(self._stop, self._waiting):
                return  # stopped while another LocalSearch was writing
            indexer, catalog = self.make_indexer()
            indexer.cancel = self._interrupt
            reconcile = set(self.roots)  # catch up with what changed while nothing watched
            self._check_roots(set())
            last_check = time.monotonic()
            while not self._stop.is_set():
                for name in self._take_requested(reconcile):
                    if self._stop.is_set():
                        break
                    self.states[name].mode = "catching up"
                    self._publish()
                    self._pass(indexer, name, lambda name=name: indexer.index(name))  # type: ignore[misc]
                    self.states[name].mode = "paused" if self.is_paused(name) else "watching"
                    self._check_roots(set())
                pending = self.queue.pending()
                for state in self.states.values():
                    state.pending = pending + len(self._held.get(state.collection, ()))
                self._publish()
                if pending == 0 and not self._requested:
                    reading = self._read_photo_text(indexer)
                    # Quiet now: let searches in other processes load, not rebuild. Between the short
                    # steps of reading text, only on the save cadence.
                    indexer.save_dirty(due_only=reading)
                    self._note_rebuilds(indexer)
                    if reading:
                        continue  # fresh changes come first
                    if not indexer.rebuilding:  # a retrain in the background is work still to land
                        self._idle.set()
                batch = self.queue.take(timeout=0.5)
                if batch:
                    self._idle.clear()
                    for name, paths in batch.items():
                        if name not in self.roots or self._stop.is_set():
                            continue
                        if self.is_paused(name):
                            with self._lock:
                                self._held.setdefault(name, set()).update(paths)
                            continue
                        self._pass(indexer, name, lambda name=name, paths=paths: indexer.update(name, paths))  # type: ignore[misc]
                if time.monotonic() - last_check > self.poll_interval:
                    self._check_roots(reconcile)
                    last_check = time.monotonic()
                    if reconcile:
                        self._idle.clear()
        except BaseException as e:  # surfaced through .error and on_error; the thread must not die silently
            if isinstance(e, KnownError):
                log.watch.error("indexing stopped: %s", e)
            else:
                log.watch.exception("the indexer stopped on an error")
            self.error = e
            self.on_error(e)
        finally:
            if indexer is not None:
                indexer.close()
            if catalog is not None:
                catalog.close()
            if self.writer_lock is not None:
                self.writer_lock.release()
            for state in self.states.values():
                state.mode = "stopped"
            self._publish()


def read_state(path: Path) -> dict[str, Any] | None:
    """The running watcher's state, if one is alive (for `localsearch status` in another process)."""
    try:
        data = json.loads(path.read_text())
        os.kill(int(data["pid"]), 0)
        return data if isinstance(data, dict) else None
    except (OSError, ValueError, KeyError, TypeError):
        return None
