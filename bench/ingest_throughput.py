"""Ingest throughput: how fast passages are embedded, by the encoder alone and by the whole pipeline.

    python bench/ingest_throughput.py [--files 3000] [--max-chars 2000] [--rounds 3] [--sample 600]
    python bench/ingest_throughput.py --synthetic [--docs 200]

Real text by default: Debian's own documentation (see realtext.py), cached outside the repository.
Prints one JSON object:
- encoders: chunks/s of torch fp32 (sentence-transformers), ONNX Runtime fp32 and the 8-bit encoder
  (embed.int8) on the same `sample` passages, rounds alternating; each one's cosine with torch fp32
  per passage (lowest, 1st percentile, mean);
- pipeline: the whole `index` (scan, extract in worker processes, chunk, embed, commit) over the corpus
  with text_precision "full" and "int8", rounds alternating, each on a fresh home; medians and the ratio.
"""

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import realtext  # noqa: E402
from corpus import write_corpus  # noqa: E402

from localsearch.core import passages, paths  # noqa: E402
from localsearch.core.embed import factory, query_encoder  # noqa: E402
from localsearch.core.embed.base import Embedder  # noqa: E402
from localsearch.core.embed.sentence import SentenceEmbedder  # noqa: E402
from localsearch.core.service import Service  # noqa: E402
from localsearch.core.settings import Settings  # noqa: E402

CACHE = Path.home() / ".cache" / "localsearch-bench"


def pipeline_round(root: Path, embedder: Embedder, settings: Settings) -> tuple[float, list[str], str]:
    """Seconds to index `root` on a fresh home, the passages' embedding texts, and the model id recorded."""
    with tempfile.TemporaryDirectory() as tmp:
        service = Service(paths.resolve(Path(tmp) / "home"), settings, embedder)
        try:
            started = time.perf_counter()
            report = service.index("bench", [str(root)])
            seconds = time.perf_counter() - started
            if report.failed:
                print(f"{report.failed} files failed", file=sys.stderr)
            rows = service.catalog.conn.execute(
                "SELECT ch.text, f.title FROM chunks ch JOIN files f ON f.id = ch.file_id ORDER BY ch.id").fetchall()
            recorded = service.catalog.collection("bench").model_id or ""
        finally:
            service.close()
    return seconds, [passages.embedding_text(title, text) for text, title in rows], recorded


def encoders(embedder: SentenceEmbedder) -> dict[str, Callable[[list[str]], np.ndarray]]:
    folder = Path(str(embedder.source))
    onnx_fp32 = query_encoder.QueryEncoder(folder, threads=0)
    fast = embedder.int8()
    out: dict[str, Callable[[list[str]], np.ndarray]] = {
        "torch_fp32": lambda texts: embedder._encode(embedder.model, texts, False),
        "onnx_fp32": lambda texts: np.stack([onnx_fp32.encode(t) for t in texts]),
    }
    if fast is not None:
        out["onnx_int8"] = fast.embed_texts
    return out


def cosines(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    c = np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return {"min": round(float(c.min()), 4), "p1": round(float(np.percentile(c, 1)), 4),
            "mean": round(float(c.mean()), 5)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=3000)
    ap.add_argument("--max-chars", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--sample", type=int, default=600)
    ap.add_argument("--synthetic", action="store_true", help="generated word salad instead of real text")
    ap.add_argument("--docs", type=int, default=200, help="with --synthetic")
    args = ap.parse_args()
    embedder = factory.create(Settings(), CACHE / "models")
    assert isinstance(embedder, SentenceEmbedder)
    embedder.embed_texts(["warm up the model"])  # loading is not ingest
    embedder.bf16 = False  # fp32 is the reference (bf16 is only used where it matches fp32 anyway)
    if embedder.int8() is None:
        print("the 8-bit encoder is unavailable here; its rows are missing", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        if args.synthetic:
            root, files = write_corpus(Path(tmp) / "corpus", args.docs, 6), args.docs
        else:
            root, files = realtext.debian_docs(CACHE / f"debian-docs-{args.files}-{args.max_chars}", args.files,
                                               args.max_chars)
        pipeline: dict[str, list[float]] = {"full": [], "int8": []}
        recorded: dict[str, str] = {}
        texts: list[str] = []
        for _ in range(args.rounds):
            for precision in pipeline:
                seconds, texts, recorded[precision] = pipeline_round(root, embedder, Settings(text_precision=precision))
                pipeline[precision].append(len(texts) / seconds)
                print(precision, round(len(texts) / seconds, 1), file=sys.stderr, flush=True)
    sample = texts[:: max(1, len(texts) // args.sample)][: args.sample]
    runs = encoders(embedder)
    speeds: dict[str, list[float]] = {name: [] for name in runs}
    vectors: dict[str, np.ndarray] = {}
    for _ in range(args.rounds):
        for name, encode in runs.items():
            started = time.perf_counter()
            vectors[name] = encode(sample)
            speeds[name].append(len(sample) / (time.perf_counter() - started))
    median = {k: round(statistics.median(v), 1) for k, v in speeds.items()}
    piped = {k: round(statistics.median(v), 1) for k, v in pipeline.items()}
    print(json.dumps({
        "bench": "ingest_throughput",
        "corpus": "synthetic" if args.synthetic else f"debian docs, {files} files, first {args.max_chars} chars",
        "passages": len(texts),
        "encoders_chunks_per_s": {k: [round(x, 1) for x in v] for k, v in speeds.items()},
        "encoders_median": median,
        "encoder_ratio_vs_torch_fp32": {k: round(v / median["torch_fp32"], 2) for k, v in median.items()},
        "cosine_vs_torch_fp32": {k: cosines(v, vectors["torch_fp32"]) for k, v in vectors.items()},
        "pipeline_chunks_per_s": {k: [round(x, 1) for x in v] for k, v in pipeline.items()},
        "pipeline_median": piped,
        "pipeline_int8_vs_full": round(piped["int8"] / piped["full"], 2),
        "pipeline_vs_its_encoder": {"full": round(piped["full"] / median["torch_fp32"], 2),
                                    "int8": round(piped["int8"] / median.get("onnx_int8", float("nan")), 2)},
        "recorded_model": recorded,
    }, indent=1))


if __name__ == "__main__":
    main()
