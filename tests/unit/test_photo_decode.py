import numpy as np
import pytest
from PIL import Image

from localsearch.core.errors import UnsupportedFile
from localsearch.core.extract import photo


def test_exif_orientation_is_applied(tmp_path):
    im = Image.new("RGB", (400, 200), "white")
    im.paste(Image.new("RGB", (200, 200), "red"), (0, 0))  # left half red
    upright = photo.to_model_input(_save(tmp_path / "upright.jpg", im))
    exif = Image.Exif()
    exif[0x0112] = 3  # rotate 180 on display
    rotated = im.rotate(180)
    path = tmp_path / "rotated.jpg"
    rotated.save(path, exif=exif, quality=95)
    assert np.abs(photo.to_model_input(path).astype(int) - upright.astype(int)).mean() < 8


def _save(path, im):
    im.save(path, quality=95)
    return path


def test_huge_and_animated_images_decode_to_model_size(tmp_path):
    big = tmp_path / "big.jpg"
    Image.new("RGB", (6000, 4000), "teal").save(big)
    assert photo.to_model_input(big).shape == (224, 224, 3)
    gif = tmp_path / "anim.gif"
    frames = [Image.new("RGB", (100, 80), c) for c in ("red", "blue")]
    frames[0].save(gif, save_all=True, append_images=frames[1:])
    first = photo.to_model_input(gif)
    assert first[..., 0].mean() > 200 and first[..., 2].mean() < 50, "the first frame"


def test_corrupt_and_truncated_images_fail_with_a_reason(tmp_path):
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    with pytest.raises(UnsupportedFile, match="unreadable or truncated image"):
        photo.to_model_input(junk)
    good = tmp_path / "good.jpg"
    Image.new("RGB", (640, 480), "orange").save(good)
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(good.read_bytes()[:300])
    with pytest.raises(UnsupportedFile):
        photo.to_model_input(cut)
