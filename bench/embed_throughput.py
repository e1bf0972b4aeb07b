"""Model throughput on one device: passages/s through the app's text embedder, photos/s through its
photo embedder. Run it with --device cpu and --device cuda to put the two side by side.

  bench/embed_throughput.py --device cuda --texts 20000 --photos 2000 [--text-model FOLDER]

Prints JSON. Photos are pre-decoded 224x224 arrays: this times the model, not JPEG decoding
(bench/photo_throughput.py times the whole photo pipeline).
"""

import argparse
import json
import random
import time
from pathlib import Path

import numpy as np

from localsearch.core.embed.image import EfficientNetLite0
from localsearch.core.embed.sentence import DEFAULT_MODEL_ID, SentenceEmbedder, packaged_model_dir


def passages(folder: Path, n: int, words_each: int = 120, seed: int = 7) -> list[str]:
    vocab = [w for w in (folder / "vocab.txt").read_text().split() if w.isalpha() and len(w) > 2]
    rng = random.Random(seed)
    return [" ".join(rng.choice(vocab) for _ in range(words_each)) for _ in range(n)]


def timed(fn, *args) -> float:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="auto")
    ap.add_argument("--texts", type=int, default=2000)
    ap.add_argument("--photos", type=int, default=256)
    ap.add_argument("--text-model", type=Path, default=None, help="a sentence-transformers folder (default: packaged)")
    args = ap.parse_args()
    folder = args.text_model or packaged_model_dir()
    out: dict[str, object] = {"bench": "embed_throughput", "device": args.device}
    if args.texts:
        text = SentenceEmbedder(folder, DEFAULT_MODEL_ID, args.device)
        texts = passages(folder, args.texts)
        text.embed_texts(texts[:300])  # load, pick precision, warm the kernels
        s = timed(text.embed_texts, texts)
        out["text"] = {"passages": len(texts), "words_each": 120, "s": round(s, 2),
                       "passages_per_s": round(len(texts) / s, 1), "on": text.device, "half_precision": text.bf16,
                       "batch": text.batch_size}
    if args.photos:
        photo = EfficientNetLite0(args.device, batch=128 if args.device == "cuda" else 32)
        rng = np.random.default_rng(0)
        images = [rng.integers(0, 255, (224, 224, 3), dtype=np.uint8) for _ in range(args.photos)]
        photo.embed_images(images[:64])
        s = timed(photo.embed_images, images)
        out["photo"] = {"photos": len(images), "s": round(s, 2), "photos_per_s": round(len(images) / s, 1),
                        "on": photo.device, "batch": photo.batch}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
