"""Faults an adversarial user (or bad luck) brings, run against the real product with the real model.

Prints, in one run:
  1. hostile folder (tests/hostile.py: a 1M-cell spreadsheet, 9 MiB of text in one file, a zip bomb,
     junk, links out and in circles, a FIFO, a non-UTF-8 name, a deep tree): peak RSS of the indexing
     process against the same run over its ordinary notes alone; ordinary notes lost (must be 0); the
     outside secret in the catalog (must be 0); tracebacks (must be 0).
  2. kill -9 mid-run, --rounds times at different moments: seconds of work lost (kill time minus the
     last commit), files lost after the next run (must be 0).
  3. damage (index file overwritten, truncated; keyword index; NaN vectors; catalog pages): wrong
     answers served before repair (must be 0), refusals (a plain message instead of an answer), and
     whether `repair` brings every answer back.
  4. concurrent writers: two `index` runs and a `watch` on one data folder while files arrive; orphan
     vectors (ids in an index file that the catalog does not have) afterwards (must be 0).

Data lives in --work (default bench/out/faults; built once, reused); nothing is committed.
"""

import argparse
import json
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from localsearch.core import paths  # noqa: E402
from localsearch.core.check import vector_index_problems  # noqa: E402
from localsearch.core.errors import KnownError  # noqa: E402
from localsearch.core.search import Query  # noqa: E402
from localsearch.core.service import Service  # noqa: E402
from localsearch.core.store.catalog import Catalog  # noqa: E402
from tests import hostile  # noqa: E402

TRACEBACKS = 0


def cli(home: Path, *args: str, timeout: float = 3600) -> subprocess.CompletedProcess[str]:
    global TRACEBACKS
    env = {**os.environ, "LOCALSEARCH_HOME": str(home)}
    proc = subprocess.run([sys.executable, "-m", "localsearch", *args], env=env, capture_output=True, text=True,
                          timeout=timeout)
    TRACEBACKS += proc.stderr.count("Traceback")
    return proc


def tree_rss(pid: int) -> tuple[int, int]:
    """(RSS of pid, largest RSS among its descendants), bytes."""
    import psutil

    try:
        main = psutil.Process(pid)
        kids = main.children(recursive=True)
        return main.memory_info().rss, max([k.memory_info().rss for k in kids] or [0])
    except psutil.Error:
        return 0, 0


def index_peak(home: Path, folder: Path, name: str) -> dict[str, float]:
    """Index `folder` in a fresh process; peak RSS of it and of its busiest worker, sampled every 0.2 s."""
    global TRACEBACKS
    env = {**os.environ, "LOCALSEARCH_HOME": str(home)}
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "localsearch", "index", str(folder), "-c", name,
                             "--no-progress", "--no-photo-text"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    peak_main = peak_worker = 0
    while proc.poll() is None:
        main, worker = tree_rss(proc.pid)
        peak_main, peak_worker = max(peak_main, main), max(peak_worker, worker)
        time.sleep(0.2)
    out, err = proc.communicate()
    TRACEBACKS += err.count("Traceback")
    return {"seconds": round(time.monotonic() - started, 1), "peak_rss_mb": round(peak_main / 2**20),
            "peak_worker_rss_mb": round(peak_worker / 2**20), "exit": proc.returncode, "summary": out.splitlines()[0]}


def found_by_word(service: Service, expected: dict[Path, str]) -> int:
    """How many files are the first hit for their own word."""
    return sum(1 for path, word in expected.items()
               if (hits := service.search(Query(word, k=3)).hits)
               and hits[0].path == os.fsencode(path).decode("utf-8", "replace"))


def hostile_section(work: Path) -> dict[str, object]:
    folder, outside = work / "hostile", work / "outside"
    if not folder.exists():
        hostile.hostile_folder(folder, outside)
    expected = {p: w for p, w in ((folder / "ordinary" / f"note-{i:04d}.txt", f"ordinaryword{i:04d}")
                                  for i in range(20))}
    expected[folder / os.fsdecode(b"caf\xe9-latin1.txt")] = "ordinarylatin"
    expected[folder.joinpath(*[f"d{i}" for i in range(60)], "deep.txt")] = "ordinarydeep"
    out: dict[str, object] = {}
    for label, target in (("tame", folder / "ordinary"), ("hostile", folder)):
        home = work / f"home-{label}"
        shutil.rmtree(home, ignore_errors=True)
        out[label] = index_peak(home, target, label)
    home = paths.resolve(work / "home-hostile")
    service = Service(home)
    try:
        out["ordinary_notes_lost"] = len(expected) - found_by_word(service, expected)
        out["partly_indexed"] = [p["note"] for c in service.status()["collections"] for p in c["partial"]]
    finally:
        service.close()
    secret = hostile.SECRET.split()[3].encode()
    out["outside_secret_in_catalog"] = sum(f.read_bytes().count(secret) for f in home.data.glob("catalog.sqlite3*"))
    return out


def notes_folder(path: Path, n: int) -> dict[Path, str]:
    """n notes of about one full passage each (~2 minutes of embedding for 3,000 on 2 cores)."""
    if path.exists():
        return {path / f"note-{i:04d}.txt": f"ordinaryword{i:04d}" for i in range(n)}
    return hostile.notes(path, n, filler=3)


def catalog_state(home: Path) -> tuple[int, float]:
    db = sqlite3.connect(home / "data" / "catalog.sqlite3", timeout=30)
    try:
        files, last = db.execute("SELECT count(*), coalesce(max(indexed_at), 0) FROM files").fetchone()
        return int(files), float(last)
    finally:
        db.close()


def kill_section(work: Path, rounds: int, files: int) -> dict[str, object]:
    folder = work / "many"
    expected = notes_folder(folder, files)
    results = []
    for r in range(rounds):
        home = work / f"home-kill-{r}"
        shutil.rmtree(home, ignore_errors=True)
        env = {**os.environ, "LOCALSEARCH_HOME": str(home)}
        started = time.time()
        proc = subprocess.Popen([sys.executable, "-m", "localsearch", "index", str(folder), "-c", "many",
                                 "--no-progress"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(15 + 15 * r)
        killed_at = time.time()
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        committed, last = catalog_state(home)
        again = cli(home, "index", "-c", "many", "--no-progress")
        service = Service(paths.resolve(home))
        try:
            sample = dict(list(expected.items())[:: max(1, files // 100)])
            lost = len(sample) - found_by_word(service, sample)
            total = service.overview()[0].files
        finally:
            service.close()
        unfinished = committed < files
        results.append({"killed_after_s": 15 + 15 * r, "files_committed_before_kill": committed,
                        "seconds_lost": round(killed_at - max(last, started), 1) if unfinished else None,
                        "files_after_next_run": total, "sampled_files_lost": lost,
                        "next_run": again.stdout.splitlines()[0] if again.stdout else again.stderr.strip()})
    lost_s = [r["seconds_lost"] for r in results if r["seconds_lost"] is not None]  # runs killed mid-work
    return {"rounds": results, "median_seconds_lost": statistics.median(lost_s) if lost_s else None}


def _overwrite(path: Path, at: float, size: int) -> None:
    with open(path, "r+b") as f:
        f.seek(int(path.stat().st_size * at))
        f.write(os.urandom(size))


DAMAGE = {
    "index file overwritten": lambda h: _overwrite(next(h.vectors.glob("collection-*[0-9].faiss")), 0.5, 65536),
    "index file truncated": lambda h: os.truncate(f := next(h.vectors.glob("collection-*[0-9].faiss")),
                                                  f.stat().st_size // 3),
    "keyword index pages": lambda h: _sql(h, "UPDATE chunks_words_data SET block = zeroblob(length(block))"
                                          " WHERE id > 10"),
    "NaN vectors in catalog": lambda h: _sql(h, "UPDATE chunks SET vector = ? WHERE id % 7 = 0",
                                             (b"\x00\x00\xc0\x7f" * 384,)),
    "catalog pages": lambda h: _overwrite(h.catalog, 0.3, 16 * 4096),
}


def _sql(home: paths.Paths, statement: str, args: tuple[object, ...] = ()) -> None:
    db = sqlite3.connect(home.catalog)
    db.execute(statement, args)
    db.commit()
    db.close()


def damage_section(work: Path, files: int) -> dict[str, object]:
    pristine = work / "home-kill-0"
    expected = dict(list(notes_folder(work / "many", files).items())[:: max(1, files // 50)])
    out = {}
    for name, damage in DAMAGE.items():
        home_dir = work / "home-damaged"
        shutil.rmtree(home_dir, ignore_errors=True)
        shutil.copytree(pristine, home_dir)
        home = paths.resolve(home_dir)
        damage(home)
        wrong = refused = errors = 0
        try:
            service = Service(home)
            try:
                for path, word in expected.items():
                    try:
                        hits = service.search(Query(word, k=3)).hits
                        wrong += not hits or hits[0].path != str(path)
                    except (KnownError, sqlite3.DatabaseError):
                        refused += 1
            finally:
                service.close()
        except KnownError:
            refused = len(expected)
        except Exception:  # a traceback a user would see
            errors += 1
        repaired = cli(home_dir, "repair", "--quick")
        service = Service(home)
        try:
            after = len(expected) - found_by_word(service, expected)
        finally:
            service.close()
        out[name] = {"wrong_answers": wrong, "refused": refused, "unexpected_errors": errors,
                     "repair_exit": repaired.returncode, "wrong_after_repair": after}
    return out


def concurrent_section(work: Path) -> dict[str, object]:
    home = work / "home-concurrent"
    shutil.rmtree(home, ignore_errors=True)
    folder = work / "concurrent"
    shutil.rmtree(folder, ignore_errors=True)
    hostile.notes(folder, 300)
    env = {**os.environ, "LOCALSEARCH_HOME": str(home)}
    cli(home, "index", str(folder), "-c", "c", "--no-progress")
    watch = subprocess.Popen([sys.executable, "-m", "localsearch", "watch", "--poll"], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    stop = threading.Event()

    def arrive() -> None:
        i = 0
        while not stop.is_set():
            (folder / f"new-{i:04d}.txt").write_text(f"arrived {i} with arrivalword{i:04d}")
            i += 1
            time.sleep(0.2)

    feeder = threading.Thread(target=arrive)
    feeder.start()
    runs = [subprocess.Popen([sys.executable, "-m", "localsearch", "index", "-c", "c", "--no-progress"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    time.sleep(20)
    stop.set()
    feeder.join()
    watch.send_signal(signal.SIGINT)
    global TRACEBACKS
    TRACEBACKS += watch.communicate(timeout=300)[1].count("Traceback")
    for r in runs:
        TRACEBACKS += r.communicate(timeout=600)[1].count("Traceback")
    cli(home, "index", "-c", "c", "--no-progress")
    where = paths.resolve(home)
    catalog = Catalog(where.catalog)
    try:
        col = catalog.collection("c")
        orphans = vector_index_problems(catalog, where.vectors, col, "text", col.dim or 384, compare_version=True)
        files = catalog.stats(col.id)["files"]
    finally:
        catalog.close()
    return {"files": files, "files_on_disk": len(list(folder.iterdir())), "index_problems": orphans,
            "check_exit": cli(home, "check", "--quick").returncode}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=ROOT / "bench" / "out" / "faults")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--files", type=int, default=3000, help="notes in the kill -9 folder")
    ap.add_argument("--skip", action="append", default=[], choices=["hostile", "kill", "damage", "concurrent"])
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    report: dict[str, object] = {}
    if "hostile" not in args.skip:
        report["hostile"] = hostile_section(args.work)
        print(json.dumps({"hostile": report["hostile"]}, indent=1), flush=True)
    if "kill" not in args.skip:
        report["kill"] = kill_section(args.work, args.rounds, args.files)
        print(json.dumps({"kill": report["kill"]}, indent=1), flush=True)
    if "damage" not in args.skip:
        report["damage"] = damage_section(args.work, args.files)
        print(json.dumps({"damage": report["damage"]}, indent=1), flush=True)
    if "concurrent" not in args.skip:
        report["concurrent"] = concurrent_section(args.work)
        print(json.dumps({"concurrent": report["concurrent"]}, indent=1), flush=True)
    report["tracebacks"] = TRACEBACKS
    print(json.dumps({"tracebacks": TRACEBACKS}))
    (args.work / "faults.json").write_text(json.dumps(report, indent=1, default=str))


if __name__ == "__main__":
    main()
