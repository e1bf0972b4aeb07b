"""Query latency on a generated collection: query embedding alone, the whole search (warm), and a
cold `localsearch search` process (interpreter start + model load + search), as a user runs it.

Prints JSON with p50/p95 in milliseconds.
"""

import argparse
import json
import os
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
        chunks = service.catalog.stats(service.catalog.collection("bench").id)["chunks"]
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

        cold_ms = []
        env = {**os.environ, "LOCALSEARCH_HOME": str(home)}
        for i in range(args.cold_runs):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "localsearch", "search", QUERIES[i % len(QUERIES)]], env=env,
                           check=True, capture_output=True)
            cold_ms.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({
        "bench": "query_latency",
        "chunks": chunks,
        "index_build_s": index_s,
        "query_embed_ms": {"p50": pct(embed_ms, 50), "p95": pct(embed_ms, 95)},
        "search_warm_ms": {"p50": pct(search_ms, 50), "p95": pct(search_ms, 95)},
        "cli_search_cold_ms": {"p50": round(statistics.median(cold_ms), 1), "max": round(max(cold_ms), 1)},
    }))


if __name__ == "__main__":
    main()
