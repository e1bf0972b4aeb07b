"""When should an IVF be retrained? Its lists are fitted to the vectors it was trained on; material of
a new kind lands in lists that fit it badly, and recall at the tuned nprobe falls.

  bench/ivf_drift.py --vectors 200000 --added 50000

Trains the app's IVF on vectors from half of the topics, then adds either more of the same topics
or vectors from the unseen half, through VectorIndex.add (which keeps the drift figure). Prints the
drift (mean distance of the added vectors to their list centre over that of the training vectors),
whether the index asks for a retrain, and recall@10 for queries near the added material before
and after the retrain.
"""

import argparse
import json
import tempfile
import time
from pathlib import Path

import faiss
import numpy as np
from search_latency import around, topics

from localsearch.core.store.vectors import VectorIndex, build, plan_for, questions_about, recall


def scenario(name: str, base: np.ndarray, added: np.ndarray, directory: Path, seed: int) -> dict[str, object]:
    rng = np.random.default_rng(seed)
    dim = base.shape[1]
    vi = VectorIndex(directory, 1, dim, use_gpu=False)
    ids = np.arange(1, len(base) + 1, dtype=np.int64)
    plan = plan_for(len(base))
    t0 = time.perf_counter()
    vi._install(build(ids, base, plan), plan.kind, len(base))
    build_s = time.perf_counter() - t0
    new_ids = np.arange(len(base) + 1, len(base) + len(added) + 1, dtype=np.int64)
    for start in range(0, len(added), 64):  # as the indexer adds: a batch per flush
        vi.add(list(new_ids[start:start + 64]), list(added[start:start + 64]))
    everything, all_ids = np.concatenate([base, added]), np.concatenate([ids, new_ids])
    exact = faiss.IndexFlatIP(dim)
    exact.add(everything)
    q = questions_about(added, 500, rng)
    truth = all_ids[exact.search(q, 10)[1]]
    before = recall(vi.index.search(q, 10)[1], truth)
    drift, wants, nprobe_before = vi.drift(), vi.needs_reshape(), vi.nprobe
    plan = plan_for(len(everything))
    vi._install(build(all_ids, everything, plan), plan.kind, len(everything))
    after = recall(vi.index.search(q, 10)[1], truth)
    return {"scenario": name, "trained_on": len(base), "added": len(added), "build_s": round(build_s, 1),
            "drift": round(drift, 3), "asks_for_retrain": wants, "recall_before": round(before, 3),
            "nprobe_before": nprobe_before, "recall_after_retrain": round(after, 3), "nprobe_after": vi.nprobe}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--vectors", type=int, default=200_000)
    ap.add_argument("--added", type=int, default=50_000)
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--topics", type=int, default=2000)
    args = ap.parse_args()
    faiss.omp_set_num_threads(2)
    rng = np.random.default_rng(0)
    centres = topics(args.topics, args.dim, rng)
    half = args.topics // 2  # the index is trained on the first half of the topics
    known = around(centres[:half], args.vectors + args.added, rng)
    base, more = known[: args.vectors], known[args.vectors:]
    unseen = around(centres[half:], args.added, rng)
    with tempfile.TemporaryDirectory() as tmp:
        results = [scenario("more of the same topics", base, more, Path(tmp), 1),
                   scenario("unseen topics", base, unseen, Path(tmp), 2)]
    print(json.dumps({"bench": "ivf_drift", "dim": args.dim, "results": results}))


if __name__ == "__main__":
    main()
