"""ANN search at scale: the index the app builds for N clustered, normalised vectors.

  bench/search_latency.py --vectors 1000000 --dim 384 --queries 500 [--compression sq8] [--flat-baseline]

Prints JSON: build time, bytes per vector (and vs raw float32), recall@10 against exact search, and
single-query latency p50/p95/p99 (one query at a time, as a user's search runs).
"""

import argparse
import json
import os
import statistics
import tempfile
import time

import faiss
import numpy as np

from localsearch.core.store.vectors import build, gpu_count, plan_for, recall


def clustered(n: int, dim: int, clusters: int, rng: np.random.Generator) -> np.ndarray:
    """Topics (unit centres) with passages spread around them at cosine ~0.6, as sentence embeddings
    spread around their topic: lumpy like real data, but not trivially separable."""
    centres = rng.normal(size=(clusters, dim)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, 100_000):  # in slices: 1M x 384 is 1.5 GB
        m = min(100_000, n - start)
        block = centres[rng.integers(0, clusters, m)] + rng.normal(0, 1.33 / np.sqrt(dim), (m, dim))
        out[start:start + m] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def latencies(index: faiss.Index, queries: np.ndarray, k: int) -> tuple[np.ndarray, list[float]]:
    found, times = np.empty((len(queries), k), dtype=np.int64), []
    for i, q in enumerate(queries):
        t0 = time.perf_counter()
        found[i] = index.search(q.reshape(1, -1), k)[1][0]
        times.append((time.perf_counter() - t0) * 1000)
    return found, times


def pct(values: list[float]) -> dict[str, float]:
    qs = statistics.quantiles(values, n=100)
    return {"p50": round(qs[49], 3), "p95": round(qs[94], 3), "p99": round(qs[98], 3)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--vectors", type=int, default=1_000_000)
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--queries", type=int, default=500)
    ap.add_argument("--clusters", type=int, default=2000)
    ap.add_argument("--compression", choices=["none", "sq8"], default="none")
    ap.add_argument("--flat-baseline", action="store_true", help="also time exact search over the same data")
    args = ap.parse_args()
    rng = np.random.default_rng(42)
    t0 = time.perf_counter()
    data = clustered(args.vectors, args.dim, args.clusters, rng)
    ids = np.arange(1, args.vectors + 1, dtype=np.int64)
    gen_s = time.perf_counter() - t0
    picks = data[rng.choice(args.vectors, args.queries, replace=False)]
    queries = picks + rng.normal(0, 1.0 / np.sqrt(args.dim), picks.shape).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)

    plan = plan_for(args.vectors, args.compression)
    t0 = time.perf_counter()
    index, nprobe = build(ids, data, plan)
    build_s = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "index.faiss")
        faiss.write_index(index, path)
        size = os.path.getsize(path)

    exact = faiss.IndexFlatIP(args.dim)
    exact.add(data)
    t0 = time.perf_counter()
    truth = ids[exact.search(queries, 10)[1]]
    exact_batch_s = time.perf_counter() - t0
    found, times = latencies(index, queries, 10)
    out = {
        "bench": "search_latency",
        "vectors": args.vectors, "dim": args.dim, "queries": args.queries, "threads": faiss.omp_get_max_threads(),
        "gpus": gpu_count(),
        "index": plan.kind, "nlist": plan.nlist, "nprobe": nprobe,
        "data_gen_s": round(gen_s, 1), "build_s": round(build_s, 1),
        "bytes_per_vector": round(size / args.vectors, 1),
        "memory_vs_raw_float32": round(size / (args.vectors * args.dim * 4), 3),
        "recall_at_10": round(recall(found, truth), 4),
        "query_ms": pct(times),
    }
    if args.flat_baseline:
        _, flat_times = latencies(exact, queries[:100], 10)
        out["exact_flat_query_ms"] = pct(flat_times)
        out["exact_batch_of_queries_s"] = round(exact_batch_s, 2)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
