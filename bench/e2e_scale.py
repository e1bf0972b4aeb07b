"""End-to-end search latency at scale: a catalog of N chunks (real FTS5 text, clustered vectors)
searched through the same Service as the app, with the real query encoder.

  bench/e2e_scale.py --chunks 1000000 --home DIR   (DIR is reused on later runs)

Rounds alternate the keyword engine: the fast word index (tantivy, shipped) and FTS5 (what answers
while that index is built or behind), same process, same queries.

The vectors are synthetic (not MiniLM's), so the ranking is meaningless; the timing of every stage
(embedding, FTS5 BM25 over N passages, IVF search, fusion, fetching rows, snippets) is real.
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import paragraph, vocabulary  # noqa: E402

from localsearch.core import paths  # noqa: E402
from localsearch.core.embed.sentence import DEFAULT_MODEL_ID  # noqa: E402
from localsearch.core.search import Query  # noqa: E402
from localsearch.core import keyword_side  # noqa: E402
from localsearch.core.service import Service  # noqa: E402
from localsearch.core.settings import Settings  # noqa: E402
from localsearch.core.store import wordsync  # noqa: E402
from localsearch.core.store.catalog import Catalog, FileResult  # noqa: E402
from localsearch.core.store.vectors import VectorIndex  # noqa: E402
from localsearch.core.types import Chunk  # noqa: E402

QUERIES = ["how do I renew my passport", "invoice 2024-0042", "quarterly budget for the garden project",
           "letter to the landlord about the heating", "recipe with chocolate and butter",
           "meeting notes from the product review", "travel insurance claim form", "birds migrating south"]


def populate(home: Path, n: int, dim: int = 384) -> float:
    import random

    rng = np.random.default_rng(3)
    wrng = random.Random(3)
    words = vocabulary()
    centres = rng.normal(size=(2000, dim)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    cat = Catalog(paths.resolve(home).ensure().catalog)
    col = cat.ensure_collection("big")
    cat.set_model(col.id, DEFAULT_MODEL_ID, dim)
    # a folder that is not there: a watcher (the window, gui_stall.py) sees it offline and keeps the index;
    # with no folder at all, its first pass would remove every file as outside the collection's folders
    cat.add_root(col.id, "/corpus")
    t0 = time.perf_counter()
    per_file, files_per_commit = 100, 100
    for start in range(0, n, per_file * files_per_commit):
        results = []
        for f in range(start // per_file, min(n, start + per_file * files_per_commit) // per_file):
            v = centres[rng.integers(0, 2000, per_file)] + rng.normal(0, 1.33 / np.sqrt(dim), (per_file, dim))
            v = (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)
            texts = [paragraph(wrng, words, 40) for _ in range(per_file)]
            results.append(FileResult(f"/corpus/f{f:06}.txt".encode(), 1, 1, f"h{f}", "document",
                                      [Chunk(0, len(t), t) for t in texts], v))
        cat.commit_files(col.id, results)
    cat.close()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--chunks", type=int, default=1_000_000)
    ap.add_argument("--home", required=True)
    ap.add_argument("--repeats", type=int, default=10, help="passes over the queries per round")
    ap.add_argument("--rounds", type=int, default=3, help="rounds per keyword engine, interleaved")
    ap.add_argument("--one-keyword-query", action="store_true",
                    help="BM25 as one query, not split into id ranges (for an A/B of the split)")
    args = ap.parse_args()
    if args.one_keyword_query:
        keyword_side.KEYWORD_SPLIT_AT = 2**62
    home = Path(args.home)
    fill_s = None
    if not (home / "data" / "catalog.sqlite3").exists():
        fill_s = round(populate(home, args.chunks), 1)
    cat = Catalog(paths.resolve(home).catalog)
    col = cat.collection("big")
    vi = VectorIndex(paths.resolve(home).vectors, col.id, 384)
    t0 = time.perf_counter()
    state = vi.load_or_rebuild(cat, col)  # the indexer's path: builds IVF from the catalog once
    index_s = round(time.perf_counter() - t0, 1)
    words_dir = paths.resolve(home).words
    sync = wordsync.WordSync(words_dir, cat.conn)
    t0 = time.perf_counter()
    sync.build()
    sync.sync()  # and whatever the catalog logged since (a home an earlier run left mid-indexing)
    sync.close()
    words_s = round(time.perf_counter() - t0, 1)
    words_mb = round(sum(f.stat().st_size for f in words_dir.iterdir()) / 1e6, 1)
    cat.close()
    service = Service(paths.resolve(home), Settings())
    service.search(Query("warm up", k=10))
    assert service.searcher.word_index() is not None, "the word index should be complete and current"

    def pct(v: list[float]) -> dict[str, float]:
        qs = statistics.quantiles(v, n=100)
        return {"p50": round(qs[49], 1), "p95": round(qs[94], 1), "p99": round(qs[98], 1)}

    rounds = []
    for r in range(args.rounds):
        for engine in ("words", "fts5"):
            if engine == "fts5":
                service.searcher.keywords.word_index = lambda: None  # type: ignore[method-assign]
            else:
                service.searcher.keywords.__dict__.pop("word_index", None)
            stages: dict[str, list[float]] = {"embed": [], "keyword": [], "search": []}
            for _ in range(args.repeats):
                for q in QUERIES:
                    t0 = time.perf_counter()
                    service.embedder.embed_query(q)
                    stages["embed"].append((time.perf_counter() - t0) * 1000)
                    t0 = time.perf_counter()
                    result = service.search(Query(q, k=10))
                    stages["search"].append((time.perf_counter() - t0) * 1000)
                    stages["keyword"].append(result.timings["keyword"] * 1000)
            rounds.append({"round": r + 1, "keywords": engine, "query_embed_ms": pct(stages["embed"]),
                           "keyword_stage_ms": pct(stages["keyword"]), "search_end_to_end_ms": pct(stages["search"])})
            print(json.dumps(rounds[-1]), flush=True)
    service.close()
    print(json.dumps({"bench": "e2e_scale", "chunks": args.chunks, "catalog_fill_s": fill_s,
                      "vector_index": state, "vector_index_s": index_s, "kind": vi.kind, "nprobe": vi.nprobe,
                      "word_index_build_s": words_s, "word_index_mb": words_mb,
                      "keyword_parts": 1 if args.one_keyword_query else keyword_side.KEYWORD_PARTS,
                      "rounds": rounds}))


if __name__ == "__main__":
    main()
