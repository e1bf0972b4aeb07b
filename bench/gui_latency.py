"""The window's speed as a user feels it: time to first paint, and keystroke to results (the first page
on screen, and the whole list).

Usage: bench/gui_latency.py --home DIR   (a home with a collection, e.g. from query_latency.py --home DIR)
Prints JSON. Runs offscreen unless a display is set.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

QUERIES = ["renew passport", "quarterly budget garden", "landlord heating letter", "chocolate butter recipe",
           "product review meeting", "insurance claim form", "birds migrating south", "invoice"]


def first_paint(home: str, runs: int) -> list[float]:
    env = {**os.environ, "LOCALSEARCH_HOME": home, "LOCALSEARCH_EXIT_AFTER_PAINT": "1"}
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    wall = []
    for _ in range(runs):
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "localsearch", "gui"], env=env, capture_output=True, text=True,
                             check=True, timeout=120)
        assert "first_paint_s=" in out.stdout, out.stdout + out.stderr
        wall.append(time.perf_counter() - t0)
    return wall


def keystroke_to_results(home: str, repeats: int) -> tuple[list[float], list[float], list[float], int]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from localsearch.core import paths
    from localsearch.core.service import Service
    from localsearch.gui.main_window import MainWindow

    _app = QApplication.instance() or QApplication([])  # kept alive while the window runs
    service = Service(paths.resolve(home))
    window = MainWindow(service, watch=False)
    window.show()
    from PySide6.QtCore import QEventLoop

    first: list[float] = []
    done: list[float] = []
    loop = QEventLoop()
    window.first_results.connect(lambda n: first.append(time.perf_counter()))
    window.search_done.connect(lambda n: (done.append(time.perf_counter()), loop.quit()))

    def one(text: str) -> tuple[float, float, float]:
        first.clear()
        done.clear()
        t0 = time.perf_counter()
        window.search.setText(text)  # what a keystroke does; the debounce timer starts here
        loop.exec()  # wait as the application does, in the event loop (no busy polling)
        shown = first[0] - t0
        return shown, shown - window.debounce.interval() / 1000, done[0] - t0

    one("warm up")
    totals, work, whole = [], [], []
    for _ in range(repeats):
        for q in QUERIES:
            a, b, c = one(q)
            totals.append(a)
            work.append(b)
            whole.append(c)
    pause = window.debounce.interval()
    window.shutdown()
    service.close()
    return totals, work, whole, pause


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--home", required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    paint = first_paint(args.home, args.runs)
    totals, work, whole, pause = keystroke_to_results(args.home, args.repeats)

    def ms(values: list[float], p: int) -> float:
        return round(statistics.quantiles(values, n=100)[p - 1] * 1000, 1)

    print(json.dumps({
        "bench": "gui_latency",
        "process_start_to_first_paint_s": {"median": round(statistics.median(paint), 3), "max": round(max(paint), 3)},
        "keystroke_to_first_page_ms": {"p50": ms(totals, 50), "p95": ms(totals, 95)},
        "of_which_typing_pause_ms": pause,
        "search_after_pause_ms": {"p50": ms(work, 50), "p95": ms(work, 95)},
        "keystroke_to_whole_list_ms": {"p50": ms(whole, 50), "p95": ms(whole, 95)},
    }))


if __name__ == "__main__":
    main()
