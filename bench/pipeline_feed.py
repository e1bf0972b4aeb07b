"""Does the indexing pipeline keep its encoder fed? The whole `index` against the encoder alone, on the
same passages, in one run.

    python bench/pipeline_feed.py [--device cpu|cuda] [--docs 2000] [--paragraphs 6] [--rounds 3]
                                  [--text-model FOLDER] [--precision full|int8|auto]

Each round, on a fresh home over the same synthetic corpus (bench/corpus.py: real words, ~120-word
paragraphs):
- pipeline: `Service.index` (scan, extraction workers, chunking, embedding, commits, FAISS, keywords);
- in_line: the same with the embedding stage run in line (embed_stage.OVERLAP off), as before it had a thread
  (on a CPU a run of indexer.TEXT_FIRST_FILES files or more embeds its text in a second phase,
  core.backfill, which overlaps embedding and storing on its own: there the two agree; on CUDA they differ);
- encoder: the same embedder's `embed_texts` over exactly the passages that index stored, all at once;
- rest: the pipeline with a model that costs nothing (random unit vectors): the ceiling everything but the
  model allows.
Rounds alternate; prints medians and pipeline/encoder as JSON.
"""

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# Only the standard library at the top: the extraction workers import this script as their __main__
# (forkserver), and the app's own entry point keeps them that light (no faiss, no CUDA libraries).


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--paragraphs", type=int, default=6)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--text-model", type=Path, default=None, help="a sentence-transformers folder (default: packaged)")
    ap.add_argument("--precision", default="full", help="text_precision for the pipeline on a CPU")
    args = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from corpus import write_corpus
    from ingest_throughput import pipeline_round

    from localsearch.core import embed_stage
    from localsearch.core.embed.hashing import HashingEmbedder
    from localsearch.core.embed.sentence import DEFAULT_MODEL_ID, SentenceEmbedder, packaged_model_dir
    from localsearch.core.settings import Settings

    settings = Settings(device=args.device, text_precision=args.precision, ocr=False, image_model="none")
    embedder = SentenceEmbedder(args.text_model or packaged_model_dir(), DEFAULT_MODEL_ID, args.device,
                                batch_size=settings.embed_batch)
    embedder.embed_texts(["warm up the model"] * 300)  # loading and picking precision are not ingest
    class ModelFree(HashingEmbedder):
        """Unit vectors for free: what the rest of the pipeline allows with an infinitely fast model."""

        def embed_texts(self, texts: list[str]) -> Any:
            import numpy as np

            v = np.random.default_rng(len(texts)).normal(size=(len(texts), self.dim)).astype(np.float32)
            return v / np.linalg.norm(v, axis=1, keepdims=True)

    model_free = ModelFree(embedder.dim)
    speeds: dict[str, list[float]] = {"pipeline": [], "in_line": [], "encoder": [], "rest": []}
    with tempfile.TemporaryDirectory() as tmp:
        root = write_corpus(Path(tmp) / "corpus", args.docs, args.paragraphs, vocab_from=args.text_model)
        for _ in range(args.rounds):
            seconds, texts, _ = pipeline_round(root, embedder, settings)
            speeds["pipeline"].append(len(texts) / seconds)
            embed_stage.OVERLAP = False
            seconds, _, _ = pipeline_round(root, embedder, settings)
            embed_stage.OVERLAP = True
            speeds["in_line"].append(len(texts) / seconds)
            started = time.perf_counter()
            embedder.embed_texts(texts)
            speeds["encoder"].append(len(texts) / (time.perf_counter() - started))
            seconds, _, _ = pipeline_round(root, model_free, settings)
            speeds["rest"].append(len(texts) / seconds)
            print({k: round(v[-1], 1) for k, v in speeds.items()}, file=sys.stderr, flush=True)
    median = {k: round(statistics.median(v), 1) for k, v in speeds.items()}
    print(json.dumps({
        "bench": "pipeline_feed", "device": embedder.device, "half_precision": embedder.bf16,
        "batch": embedder.batch_size, "docs": args.docs, "passages": len(texts),
        "passages_per_s": {k: [round(x, 1) for x in v] for k, v in speeds.items()},
        "median": median, "pipeline_vs_encoder": round(median["pipeline"] / median["encoder"], 3),
        "in_line_vs_encoder": round(median["in_line"] / median["encoder"], 3),
    }, indent=1))


if __name__ == "__main__":
    main()
