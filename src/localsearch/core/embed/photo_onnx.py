"""The packaged photo model (EfficientNet-Lite0) through ONNX Runtime: the photo pass without torch.

Exported once per machine from the torch model (torch's TorchScript exporter) into the cache folder,
with the class names beside it, then checked against torch on fixed probe images: the features must
keep cosine >= MIN_COSINE and the top label must agree, or torch keeps doing the work. The same vectors
as torch's, so the model id does not change. ONNX Runtime runs it ~2x faster than torch on a CPU
(bench/photo_throughput.py), and indexing photos then needs neither torch's import (~3 s) nor its memory.
"""

import hashlib
import io
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from localsearch.core import log
from localsearch.core.embed import built
from localsearch.core.embed.base import normalise

RECIPE = "effnet-lite0-onnx-v1"
MIN_COSINE = 0.9999


def probe_images() -> np.ndarray:
    """Fixed inputs (n, 3, 224, 224), normalised as the model expects: noise, gradients, flat colour."""
    rng = np.random.default_rng(7)
    ramp = np.linspace(-2, 2, 224, dtype=np.float32)
    images = [rng.normal(0, 1, (3, 224, 224)).astype(np.float32),
              np.broadcast_to(ramp[None, None, :], (3, 224, 224)),
              np.broadcast_to(ramp[None, :, None] * np.array([1, -1, 0.5], np.float32)[:, None, None], (3, 224, 224)),
              np.full((3, 224, 224), 0.3, np.float32)]
    return np.ascontiguousarray(np.stack(images), dtype=np.float32)


def _export(model: Any) -> bytes:
    import torch

    class Head(torch.nn.Module):
        def __init__(self, net: Any) -> None:
            super().__init__()
            self.net = net

        def forward(self, x: Any) -> tuple[Any, Any]:
            pooled = self.net.extract_features(x).mean(dim=(2, 3))
            return pooled, self.net._fc(pooled).softmax(dim=1)

    buffer = io.BytesIO()
    with warnings.catch_warnings():  # the exporter's notes on constant folding are not the user's business
        warnings.simplefilter("ignore")
        _to_onnx(Head(model).eval(), buffer)
    return buffer.getvalue()


def _to_onnx(head: Any, buffer: io.BytesIO) -> None:
    import torch

    torch.onnx.export(head, (torch.from_numpy(probe_images()),), buffer,  # type: ignore[arg-type]
                      dynamo=False, input_names=["x"], output_names=["pooled", "probs"],
                      dynamic_axes={"x": {0: "n"}, "pooled": {0: "n"}, "probs": {0: "n"}}, opset_version=17)


def build(model: Any, labels: list[str], out: Path) -> float:
    """Export the torch `model`, compare it with torch on the probe images, and keep it (atomically) if it
    holds; returns the lowest cosine."""
    import torch

    data = _export(model)
    x = probe_images()
    with torch.inference_mode():
        features = model.extract_features(torch.from_numpy(x)).mean(dim=(2, 3))
        reference, top = features.numpy(), model._fc(features).argmax(dim=1).numpy()
    pooled, probs = built.session(data).run(None, {"x": x})
    lowest = float(np.min(np.sum(normalise(pooled) * normalise(reference), axis=1)))
    if lowest >= MIN_COSINE and np.array_equal(probs.argmax(axis=1), top):
        built.keep(out, data, labels=labels, min_cosine=lowest, recipe=RECIPE)
    return lowest


def cache_file(cache_dir: Path, weights: Path) -> Path:
    stat = weights.stat()
    key = hashlib.sha256(f"{RECIPE} {weights.name} {stat.st_size} {stat.st_mtime_ns}".encode()).hexdigest()[:24]
    return cache_dir / f"photo-{key}.onnx"


class OnnxPhotoModel:
    """A verified export from the cache: (n, 3, 224, 224) normalised images -> (features, class probabilities)."""

    def __init__(self, data: bytes, labels: list[str]) -> None:
        self._session = built.session(data)
        self.labels = labels

    @classmethod
    def cached(cls, path: Path) -> "OnnxPhotoModel | None":
        found = built.load(path, MIN_COSINE)
        if found is None:
            return None
        data, facts = found
        try:
            return cls(data, [str(label) for label in facts["labels"]])
        except Exception as e:  # noqa: BLE001 - an export this runtime cannot open: torch does the work
            log.embed.warning("cannot open the exported photo model %s: %s", path, e)
            return None

    def run(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pooled, probs = self._session.run(None, {"x": x})
        return pooled, probs
