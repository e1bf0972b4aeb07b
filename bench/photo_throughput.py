"""Photo indexing throughput: the whole pipeline (scan, decode in workers, photo model, labels, text
model, commit) against the raw photo model on the same photos, and against the sum of its stages
(decode + photo model + text model on the label passages) timed alone; then the slow OCR pass on a
sample.

  bench/photo_throughput.py --photos 1000 [--ocr-sample 100]

Photos are camera-sized JPEGs (1600x1200) cut from scikit-image's real sample photos with random
crops, flips and colour changes, so no two are alike. Prints JSON.
"""

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance, ImageOps

from localsearch.core import paths
from localsearch.core.embed import factory
from localsearch.core.embed.image import EfficientNetLite0
from localsearch.core.extract.photo import to_model_input
from localsearch.core.indexer import Indexer
from localsearch.core.service import Service
from localsearch.core.settings import Settings


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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--photos", type=int, default=1000)
    ap.add_argument("--ocr-sample", type=int, default=100)
    args = ap.parse_args()
    settings = Settings(ocr=False)
    text_model = factory.create(settings)
    text_model.embed_texts(["warm up"])
    photo_model = EfficientNetLite0("cpu")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "Pictures"
        t0 = time.perf_counter()
        write_photos(root, args.photos)
        gen_s = time.perf_counter() - t0
        mb = sum(p.stat().st_size for p in root.iterdir()) / 2**20
        warm = [to_model_input(p) for p in sorted(root.iterdir())[:32]]
        photo_model.embed_images(warm)  # load the model outside the timed region

        service = Service(paths.resolve(Path(tmp) / "home"), settings, text_model, photo_model)
        t0 = time.perf_counter()
        report = service.index("pictures", [str(root)], read_photo_text=False)
        pipeline_s = time.perf_counter() - t0

        files = sorted(root.iterdir())
        t0 = time.perf_counter()
        arrays = [to_model_input(p) for p in files]
        decode_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        photo_model.embed_images(arrays)
        raw_s = time.perf_counter() - t0

        labels = [r[0] for r in service.catalog.conn.execute("SELECT text FROM chunks ORDER BY id")]
        t0 = time.perf_counter()
        text_model.embed_texts(labels)
        text_s = time.perf_counter() - t0

        ocr: dict[str, object] = {}
        if args.ocr_sample:
            indexer = Indexer(service.catalog, service.paths.vectors, text_model, Settings(ocr=True),
                              image_embedder=photo_model)
            indexer.read_photo_text("pictures", max_photos=2)  # start the workers, load the OCR models
            t0 = time.perf_counter()
            read = indexer.read_photo_text("pictures", max_photos=args.ocr_sample)
            ocr_s = time.perf_counter() - t0
            indexer.close()
            ocr = {"photos": read.photos_read, "s": round(ocr_s, 1),
                   "photos_per_s": round(read.photos_read / ocr_s, 2), "passages": read.chunks,
                   "workers": indexer.workers}
        service.close()
        shutil.rmtree(root)
    print(json.dumps({
        "bench": "photo_throughput", "photos": args.photos, "size": "1600x1200 JPEG q90",
        "megabytes": round(mb, 1), "generate_s": round(gen_s, 1), "failed": report.failed,
        "pipeline_s": round(pipeline_s, 1), "pipeline_photos_per_s": round(args.photos / pipeline_s, 1),
        "raw_model_s": round(raw_s, 1), "raw_model_photos_per_s": round(args.photos / raw_s, 1),
        "pipeline_vs_raw_model": round(raw_s / pipeline_s, 3),
        "decode_one_process_photos_per_s": round(args.photos / decode_s, 1),
        "text_model_on_label_passages_s": round(text_s, 1),
        # Every stage is CPU work on the same cores: the most a pipeline can do is not add to their sum.
        "pipeline_vs_sum_of_stages": round((decode_s + raw_s + text_s) / pipeline_s, 3),
        "ocr_pass": ocr,
    }))


if __name__ == "__main__":
    main()
