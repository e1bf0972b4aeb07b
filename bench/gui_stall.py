"""The window while it indexes: how long the GUI thread stalls while a person types, and how long the
app takes to exit once its window is closed mid-indexing (with the index saved and consistent).

    bench/gui_stall.py --big HOME [--files 400] [--rounds 3] [--type-seconds 15]

HOME: a big home (e.g. the 1M-passage one of e2e_scale.py, with its word and vector indexes built).
Each round, on that home:
- stall: the window opens (watcher on) and loads its models, a new folder of FILES text documents is
  added, and while it is
  indexed (the app's default model) queries are typed a key every 80 ms for TYPE_SECONDS. A 5 ms timer on
  the GUI thread measures how late it fires: the worst lateness is the longest frame stall (target
  <= 50 ms), with its p99.
- close: `localsearch gui`'s own main() in a child process on a home whose models are built (a warm-up
  run first), a new folder of FILES documents being indexed; the window is closed 3 s into the indexing
  and the time until the process has exited is measured (target <= 2 s); then `localsearch check` must
  find the index consistent, and the files committed before the close are counted.
Prints JSON. Runs offscreen unless a display is set.
"""

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

WORDS = ("lighthouse keeper harbour invoice passport garden heating budget landlord recipe meeting insurance "
         "ferry timetable museum library contract receipt").split()
QUERIES = ["lighthouse keeper", "invoice for the garden", "passport renewal", "heating budget meeting"]


def write_folder(root: Path, n: int) -> Path:
    import random

    rng = random.Random(7)
    root.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        text = " ".join(rng.choice(WORDS) for _ in range(400)) + f"\n\nReference zq{i:05}."
        (root / f"note{i:05}.txt").write_text(text)
    return root


def stall_round(home: Path, folder: Path, type_seconds: float) -> dict[str, float]:
    from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from localsearch.core import paths
    from localsearch.core.service import Service
    from localsearch.gui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])

    def wait_until(cond: Any, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            if cond():
                return True
            time.sleep(0.01)
        return False

    service = Service(paths.resolve(home))
    window = MainWindow(service)
    window.show()
    wait_until(lambda: window.sidebar.ready, 120)
    # the models load at start-up (the watcher's warm-up thread): a person adds a folder after that
    wait_until(lambda: not any(t.name == "localsearch-warm-up" for t in threading.enumerate()), 300)
    window.add_folder(str(folder))
    assert wait_until(window.index_progress.isVisible, 300), "indexing never started"
    late: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.nsecsElapsed()]

    def tick() -> None:
        now = clock.nsecsElapsed()
        late.append(max(0.0, (now - last[0]) / 1e6 - 5.0))
        last[0] = now

    pauses: list[float] = []  # the cyclic garbage collector stops every thread while it runs
    gc_started = [0.0]

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            gc_started[0] = time.perf_counter()
        elif info.get("generation") == 2:
            pauses.append((time.perf_counter() - gc_started[0]) * 1000)

    gc.callbacks.append(on_gc)
    heartbeat = QTimer()
    heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
    heartbeat.setInterval(5)
    heartbeat.timeout.connect(tick)
    heartbeat.start()
    keys = " ".join(QUERIES * 50)
    started, typed, indexing_all_along = time.monotonic(), 0, True
    window.search.setFocus()
    while time.monotonic() - started < type_seconds:
        ch = keys[typed % len(keys)]
        if ch == " " and typed % 40 == 39:
            window.search.clear()
        else:
            QTest.keyClick(window.search, ch)
        typed += 1
        t_key = time.monotonic()
        while time.monotonic() - t_key < 0.08:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)
            time.sleep(0.002)
        indexing_all_along = indexing_all_along and window.index_progress.isVisible()
    heartbeat.stop()
    gc.callbacks.remove(on_gc)
    late.sort()
    out = {"worst_stall_ms": round(late[-1], 1), "p99_stall_ms": round(late[int(0.99 * (len(late) - 1))], 1),
           "ticks": len(late), "keys": typed,
           "full_gc_runs": len(pauses), "worst_full_gc_ms": round(max(pauses, default=0.0), 1), "indexing_all_along": float(indexing_all_along),
           "passages": float(sum(c.chunks for c in window.sidebar.holdings.collections))}
    window.collections.remove_collection(folder.name, confirm=False)  # the next round adds it again
    wait_until(lambda: folder.name not in window.collection_names(), 300)
    window.shutdown()
    service.close()
    return out


CHILD = """
import sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from localsearch.gui import app as gui_app

qt = QApplication(sys.argv[:1])
home, folder = sys.argv[1], sys.argv[2]
state = {"added": False, "seen": None}

def poll():
    windows = [w for w in qt.topLevelWidgets() if w.__class__.__name__ == "MainWindow" and w.isVisible()]
    if not windows:
        return
    w = windows[0]
    if not state["added"] and w.sidebar.ready:
        w.add_folder(folder)
        state["added"] = True
    elif state["added"] and state["seen"] is None and w.index_progress.isVisible():
        state["seen"] = time.monotonic()
    elif state["seen"] is not None and time.monotonic() - state["seen"] > 3.0:
        timer.stop()
        print(f"closing_at={time.time():.6f}", flush=True)
        w.close()

timer = QTimer()
timer.timeout.connect(poll)
timer.start(50)
sys.exit(gui_app.main(home))
"""


def close_round(home: Path, folder: Path) -> dict[str, float]:
    """One close mid-indexing: `folder` (a new path each round) becomes a new collection in `home`, whose
    models are already built (a first start builds the 8-bit model once, which is not what is measured)."""
    env = {**os.environ, "LOCALSEARCH_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(home), str(folder)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    closing = None
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("closing_at="):
            closing = float(line.split("=", 1)[1])
            break
    proc.wait(timeout=600)
    exited = time.time()
    assert closing is not None and proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
    check = subprocess.run([sys.executable, "-m", "localsearch", "check"], env=env, capture_output=True,
                           text=True, timeout=600)
    import sqlite3

    with sqlite3.connect(home / "data" / "catalog.sqlite3") as conn:
        kept = conn.execute("SELECT count(*) FROM files f JOIN roots r ON r.collection_id = f.collection_id "
                            "WHERE r.path = ?", (str(folder),)).fetchone()[0]
    return {"close_to_exit_s": round(exited - closing, 2), "check_ok": float(check.returncode == 0),
            "files_kept": float(kept)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--big", required=True)
    ap.add_argument("--files", type=int, default=400)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--type-seconds", type=float, default=15.0)
    args = ap.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    rounds: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_folder(Path(tmp) / "typing-meanwhile", args.files)
        close_home = Path(tmp) / "close-home"
        close_round(close_home, write_folder(Path(tmp) / "warm-up", 30))  # builds the models once
        for r in range(args.rounds):
            closing = write_folder(Path(tmp) / f"closed-{r}", args.files)
            for k, v in {**stall_round(Path(args.big), folder, args.type_seconds),
                         **close_round(close_home, closing)}.items():
                rounds.setdefault(k, []).append(v)
            print({k: v[-1] for k, v in rounds.items()}, file=sys.stderr, flush=True)
    print(json.dumps({"bench": "gui_stall", "home": args.big, "files": args.files, "rounds": rounds,
                      "median": {k: statistics.median(v) for k, v in rounds.items()}}, indent=1))


if __name__ == "__main__":
    main()
