"""Query latency on a generated collection: query embedding alone, the whole search (warm), and a
cold `localsearch search` process as a user runs it: on its own (interpreter start + model load + search)
and answered by a LocalSearch already running (`core.resident`), alternating.

Prints JSON with p50/p95 in milliseconds.
"""

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import write_corpus  # noqa: E402

from localsearch.core import paths  # noqa: E402
from localsearch.core.search import Query  # noqa: E402
from localsearch.core.service import Service  # noqa: E402
from localsearch.core.settings import Settings  # noqa: E402

QUERIES = ["how do I renew my passport", "invoice 2024-0042", "quarterly budget for the garden project",
           "letter to the landlord about the heating", "recipe with chocolate and butter",
           "meeting notes from the product review", "travel insurance claim form", "birds migrating south"]


def pct(values: list[float], p: float) -> float:
    return round(statistics.quantiles(values, n=100)[int(p) - 1], 2) if len(values) > 1 else round(values[0], 2)


def timer(out: Path) -> list[str]:
    """GNU time writing the command's peak RSS (KB) to `out`; a child's own rusage would count the memory of
    the forked bench process too."""
    return ["/usr/bin/time", "-f", "%M", "-o", str(out)] if Path("/usr/bin/time").exists() else []


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=1700, help="~6 chunks each: 1700 docs ~ 10k chunks")
    ap.add_argument("--repeats", type=int, default=25)
    ap.add_argument("--cold-runs", type=int, default=5)
    ap.add_argument("--home", help="keep the collection here and reuse it on later runs (bench/gui_latency.py too)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(args.home) if args.home else Path(tmp) / "home"
        settings = Settings()
        service = Service(paths.resolve(home), settings)
        index_s = None
        if not service.catalog.collections():
            root = write_corpus(home.parent / (home.name + "-corpus"), args.docs, 6)
            t0 = time.perf_counter()
            service.index("bench", [str(root)])
            index_s = round(time.perf_counter() - t0, 1)
        chunks = sum(service.catalog.stats(c.id)["chunks"] for c in service.catalog.collections())
        service.close()

        # A fresh service, as after a restart: the torch model is not loaded (queries go through ONNX Runtime).
        service = Service(paths.resolve(home), settings)
        embed_ms, search_ms = [], []
        service.search(Query(QUERIES[0]))  # load index + query encoder once
        for _ in range(args.repeats):
            for q in QUERIES:
                t0 = time.perf_counter()
                service.embedder.embed_query(q)
                embed_ms.append((time.perf_counter() - t0) * 1000)
                t0 = time.perf_counter()
                service.search(Query(q, k=10))
                search_ms.append((time.perf_counter() - t0) * 1000)
        service.close()

        # A cold `localsearch search` as a user types it: on its own (everything loaded for one query), and
        # answered by a LocalSearch already running (`watch` here; the window and `serve` answer alike),
        # alternating. Peak memory of the command's own process from its rusage.
        command = Path(sys.executable).with_name("localsearch")
        argv0 = [str(command)] if command.exists() else [sys.executable, "-m", "localsearch"]
        env = {**os.environ, "LOCALSEARCH_HOME": str(home)}
        env.pop("LOCALSEARCH_STANDALONE", None)
        watch = subprocess.Popen([*argv0, "watch"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        sock = paths.resolve(home).data / "search.sock"
        deadline = time.monotonic() + 120
        while not sock.exists() and watch.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        cold: dict[str, list[tuple[float, float]]] = {"alone": [], "answered": []}
        try:
            for i in range(args.cold_runs):
                for how in ("alone", "answered"):
                    run_env = {**env, "LOCALSEARCH_STANDALONE": "1"} if how == "alone" else env
                    rss = Path(tmp) / "rss"
                    t0 = time.perf_counter()
                    code = subprocess.run([*timer(rss), *argv0, "search", QUERIES[i % len(QUERIES)]], env=run_env,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
                    ms = (time.perf_counter() - t0) * 1000
                    assert code == 0, f"search exited {code}"
                    cold[how].append((ms, int(rss.read_text().split()[-1]) / 1024 if rss.exists() else float("nan")))
        finally:
            watch.send_signal(signal.SIGINT)
            watch.wait(timeout=120)
    print(json.dumps({
        "bench": "query_latency",
        "chunks": chunks,
        "index_build_s": index_s,
        "query_embed_ms": {"p50": pct(embed_ms, 50), "p95": pct(embed_ms, 95)},
        "search_warm_ms": {"p50": pct(search_ms, 50), "p95": pct(search_ms, 95)},
        "cli_search_cold_ms": {how: {"p50": round(statistics.median(ms for ms, _ in runs), 1),
                                     "max": round(max(ms for ms, _ in runs), 1),
                                     "peak_rss_mb": round(statistics.median(mb for _, mb in runs), 1)}
                               for how, runs in cold.items()},
    }))


if __name__ == "__main__":
    main()
