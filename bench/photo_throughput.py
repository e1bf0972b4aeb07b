"""Photo indexing throughput: the fast photo pass (scan, decode in workers, photo model, labels, text
model on the label passages, commit) as before and as shipped, the raw photo model both ways, then
optionally the slow OCR pass on a sample.

  bench/photo_throughput.py --photos 1000 [--rounds 3] [--ocr-sample 100]

Side by side, rounds alternating: the pipeline as before (torch photo model, full-precision text) and as
shipped (the photo model through ONNX Runtime, the 8-bit text encoder); the raw photo model both ways,
with the cosine between their vectors and how many photos get the same labels.

Photos are camera-sized JPEGs (1600x1200) cut from scikit-image's real sample photos with random
crops, flips and colour changes, so no two are alike. Prints JSON.
"""

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageEnhance, ImageOps

from localsearch.core import paths
from localsearch.core.embed import factory
from localsearch.core.embed.image import EfficientNetLite0
from localsearch.core.extract.photo import to_model_input
from localsearch.core.indexer import Indexer
from localsearch.core.service import Service
from localsearch.core.settings import Settings

CACHE = Path.home() / ".cache" / "localsearch-bench"


def sources() -> list[Image.Image]:
    import skimage.data as data

    folder = Path(data.__file__).parent
    names = ["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "motorcycle_left.png", "retina.jpg",
             "hubble_deep_field.jpg", "ihc.png", "color.png", "immunohistochemistry.png"]
    return [Image.open(folder / n).convert("RGB") for n in names if (folder / n).exists()]


def write_photos(root: Path, n: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    originals = sources()
    root.mkdir(parents=True)
    for i in range(n):
        im = originals[i % len(originals)]
        w, h = im.size
        cw, ch = int(w * rng.uniform(0.6, 1.0)), int(h * rng.uniform(0.6, 1.0))
        x, y = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
        out = im.crop((x, y, x + cw, y + ch)).resize((1600, 1200), Image.Resampling.BILINEAR)
        if rng.random() < 0.5:
            out = ImageOps.mirror(out)
        out = ImageEnhance.Color(out).enhance(rng.uniform(0.6, 1.4))
        out.save(root / f"IMG_{i:05}.jpg", quality=90)


def index_round(root: Path, text_model: Any, photo_model: EfficientNetLite0, precision: str) -> float:
    """Seconds for the fast photo pass over `root` on a fresh home."""
    with tempfile.TemporaryDirectory() as tmp:
        service = Service(paths.resolve(Path(tmp) / "home"), Settings(ocr=False, text_precision=precision),
                          text_model, photo_model)
        try:
            t0 = time.perf_counter()
            report = service.index("pictures", [str(root)], read_photo_text=False)
            seconds = time.perf_counter() - t0
            assert report.failed == 0, report
        finally:
            service.close()
    return seconds


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--photos", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--ocr-sample", type=int, default=0)
    args = ap.parse_args()
    text_model = factory.create(Settings(), CACHE / "models")
    text_model.embed_texts(["warm up"])
    photo_models = {"torch": EfficientNetLite0("cpu"), "onnx": EfficientNetLite0("cpu", build_dir=CACHE / "models")}
    # before: torch for photos and full precision for their label passages; now: what ships by default.
    configs = {"before": ("torch", "full"), "now": ("onnx", "auto")}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "Pictures"
        t0 = time.perf_counter()
        write_photos(root, args.photos)
        gen_s = time.perf_counter() - t0
        mb = sum(p.stat().st_size for p in root.iterdir()) / 2**20
        files = sorted(root.iterdir())
        warm = [to_model_input(p) for p in files[:32]]
        for model in photo_models.values():
            model.embed_images(warm)  # load (and export) outside the timed region
        pipeline: dict[str, list[float]] = {name: [] for name in configs}
        for _ in range(args.rounds):
            for name, (photo, precision) in configs.items():
                pipeline[name].append(args.photos / index_round(root, text_model, photo_models[photo], precision))
        t0 = time.perf_counter()
        arrays = [to_model_input(p) for p in files]
        decode_s = time.perf_counter() - t0
        raw: dict[str, list[float]] = {name: [] for name in photo_models}
        vectors: dict[str, np.ndarray] = {}
        labels: dict[str, list[list[str]]] = {}
        for _ in range(args.rounds):
            for name, model in photo_models.items():
                t0 = time.perf_counter()
                vectors[name], labels[name] = model.embed_images(arrays)
                raw[name].append(args.photos / (time.perf_counter() - t0))
        ocr: dict[str, object] = {}
        if args.ocr_sample:
            ocr = ocr_pass(root, Path(tmp), text_model, photo_models["onnx"], args.ocr_sample)
        shutil.rmtree(root)
    median = {k: round(statistics.median(v), 1) for k, v in pipeline.items()}
    raw_median = {k: round(statistics.median(v), 1) for k, v in raw.items()}
    cos = np.sum(vectors["onnx"] * vectors["torch"], axis=1)
    print(json.dumps({
        "bench": "photo_throughput", "photos": args.photos, "size": "1600x1200 JPEG q90",
        "megabytes": round(mb, 1), "generate_s": round(gen_s, 1),
        "pipeline_photos_per_s": {k: [round(x, 1) for x in v] for k, v in pipeline.items()},
        "pipeline_median": median, "pipeline_now_vs_before": round(median["now"] / median["before"], 2),
        "configs": {k: {"photo_model": v[0], "text_precision": v[1]} for k, v in configs.items()},
        "raw_photo_model_photos_per_s": {k: [round(x, 1) for x in v] for k, v in raw.items()},
        "raw_median": raw_median,
        "onnx_vs_torch_vectors": {"min_cosine": round(float(cos.min()), 6),
                                  "same_labels": sum(a == b for a, b in zip(labels["onnx"], labels["torch"]))},
        "decode_one_process_photos_per_s": round(args.photos / decode_s, 1),
        "ocr_pass": ocr,
    }, indent=1))


def ocr_pass(root: Path, tmp: Path, text_model: Any, photo_model: EfficientNetLite0, sample: int) -> dict[str, object]:
    """The slow second pass (text in photos) on `sample` photos."""
    service = Service(paths.resolve(tmp / "ocr-home"), Settings(ocr=False), text_model, photo_model)
    try:
        service.index("pictures", [str(root)], read_photo_text=False)
        indexer = Indexer(service.catalog, service.paths.vectors, text_model, Settings(ocr=True),
                          image_embedder=photo_model)
        indexer.read_photo_text("pictures", max_photos=2)  # start the workers, load the OCR models
        t0 = time.perf_counter()
        read = indexer.read_photo_text("pictures", max_photos=sample)
        ocr_s = time.perf_counter() - t0
        indexer.close()
    finally:
        service.close()
    return {"photos": read.photos_read, "s": round(ocr_s, 1), "photos_per_s": round(read.photos_read / ocr_s, 2),
            "passages": read.chunks, "workers": indexer.workers}


if __name__ == "__main__":
    main()
