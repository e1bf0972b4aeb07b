"""Ingest throughput: the whole pipeline (scan, extract, chunk, embed, commit) vs the raw encoder.

Prints JSON. The target (issue: scale and speed) is pipeline >= 90 % of the raw encoder's chunks/s
on the same texts, i.e. extraction and storage must not be the bottleneck.
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import write_corpus  # noqa: E402

from localsearch.core import paths  # noqa: E402
from localsearch.core.embed import factory  # noqa: E402
from localsearch.core.service import Service  # noqa: E402
from localsearch.core.settings import Settings  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=200)
    ap.add_argument("--paragraphs", type=int, default=6)
    args = ap.parse_args()
    settings = Settings()
    embedder = factory.create(settings)
    embedder.embed_texts(["warm up the model"])  # load outside the timed region
    with tempfile.TemporaryDirectory() as tmp:
        root = write_corpus(Path(tmp) / "corpus", args.docs, args.paragraphs)
        service = Service(paths.resolve(Path(tmp) / "home"), settings, embedder)
        t0 = time.perf_counter()
        report = service.index("bench", [str(root)])
        pipeline_s = time.perf_counter() - t0
        texts = [r[0] for r in service.catalog.conn.execute("SELECT text FROM chunks ORDER BY id")]
        service.close()
    t0 = time.perf_counter()
    embedder.embed_texts(texts)
    raw_s = time.perf_counter() - t0
    out = {
        "bench": "ingest_throughput",
        "docs": args.docs,
        "chunks": len(texts),
        "pipeline_s": round(pipeline_s, 2),
        "pipeline_chunks_per_s": round(len(texts) / pipeline_s, 1),
        "raw_encoder_s": round(raw_s, 2),
        "raw_encoder_chunks_per_s": round(len(texts) / raw_s, 1),
        "pipeline_vs_raw": round(raw_s / pipeline_s, 3),
        "bf16": bool(getattr(embedder, "bf16", False)),
        "failed": report.failed,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
