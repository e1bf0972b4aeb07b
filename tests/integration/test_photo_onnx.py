"""The photo model through ONNX Runtime: torch's vectors and labels, exported once, no torch to run it."""

import subprocess
import sys

import numpy as np
import pytest

from localsearch.core.embed import photo_onnx
from localsearch.core.embed.image import EfficientNetLite0

pytestmark = pytest.mark.slow
skdata = pytest.importorskip("skimage.data")


def photos() -> list[np.ndarray]:
    from PIL import Image

    out = []
    for name in ("astronaut", "coffee", "chelsea", "rocket", "hubble_deep_field"):
        im = Image.fromarray(getattr(skdata, name)()).convert("RGB").resize((224, 224))
        out.append(np.asarray(im))
    return out


def test_the_onnx_export_gives_torchs_vectors_and_labels_and_is_kept(tmp_path, image_model):
    exported = EfficientNetLite0("cpu", build_dir=tmp_path / "models")
    reference = EfficientNetLite0("cpu")  # torch: no place to keep an export
    vectors, labels = exported.embed_images(photos())
    want_vectors, want_labels = reference.embed_images(photos())
    assert isinstance(exported.model, photo_onnx.OnnxPhotoModel) and not isinstance(
        reference.model, photo_onnx.OnnxPhotoModel)
    assert float(np.min(np.sum(vectors * want_vectors, axis=1))) >= photo_onnx.MIN_COSINE
    assert labels == want_labels and any("cat" in " ".join(found) for found in labels)
    files = list((tmp_path / "models").glob("photo-*.onnx"))
    assert len(files) == 1 and oct(files[0].stat().st_mode & 0o777) == "0o600"
    # Once exported, a new process runs it without importing torch.
    code = ("import sys, numpy as np; from pathlib import Path; from localsearch.core.embed.image import "
            f"EfficientNetLite0; m = EfficientNetLite0('cpu', build_dir=Path({str(tmp_path / 'models')!r}));"
            "v, l = m.embed_images([np.full((224, 224, 3), 128, np.uint8)]); print(v.shape, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["(1,", "1280)", "False"]


def test_a_damaged_export_is_made_again_and_a_failing_export_leaves_torch(tmp_path, monkeypatch):
    first = EfficientNetLite0("cpu", build_dir=tmp_path / "models")
    first.embed_images(photos()[:1])
    path = next((tmp_path / "models").glob("photo-*.onnx"))
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    assert photo_onnx.OnnxPhotoModel.cached(path) is None
    again = EfficientNetLite0("cpu", build_dir=tmp_path / "models")
    again.embed_images(photos()[:1])
    assert isinstance(again.model, photo_onnx.OnnxPhotoModel) and photo_onnx.OnnxPhotoModel.cached(path)

    def broken(model):
        raise RuntimeError("exporter unavailable")

    monkeypatch.setattr(photo_onnx, "_export", broken)
    fallback = EfficientNetLite0("cpu", build_dir=tmp_path / "other")
    vectors, _ = fallback.embed_images(photos()[:2])
    assert not isinstance(fallback.model, photo_onnx.OnnxPhotoModel) and vectors.shape == (2, 1280)
    assert not list((tmp_path / "other").glob("*.onnx"))
