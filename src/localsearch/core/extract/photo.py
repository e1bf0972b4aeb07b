"""Photos: decoded once, in the extraction worker, to the small RGB array the image model reads.

Pillow's draft mode and reduce shrink huge JPEGs while decoding; a pixel limit refuses images
that would need gigabytes; EXIF orientation is applied so a rotated phone photo matches its copy.
"""

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from localsearch.core.errors import FileTooLarge, UnsupportedFile
from localsearch.core.extract.limits import Limits
from localsearch.core.types import Extracted

if TYPE_CHECKING:
    from PIL import Image

SIDE = 224
MAX_PIXELS = 200_000_000  # ~ a 14k x 14k panorama; past this, decoding alone could take GBs


_plugins_registered = False


def register_plugins() -> None:
    """HEIC/HEIF (iPhone photos) through pillow-heif; AVIF, WebP and the rest are Pillow's own."""
    global _plugins_registered
    if not _plugins_registered:
        try:
            import pillow_heif

            pillow_heif.register_heif_opener()
        except ImportError:  # HEIC files then fail per file as unreadable, the rest works
            pass
        _plugins_registered = True


@contextlib.contextmanager
def _decoding() -> Iterator[None]:
    """Pillow's many ways of saying 'not an image' as one per-file error; a missing or forbidden
    file stays an OSError, for the caller to report as such."""
    from PIL import Image, UnidentifiedImageError

    register_plugins()
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        yield
    except Image.DecompressionBombError as e:
        raise FileTooLarge(f"image too large to decode safely ({e})") from e
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        if isinstance(e, (FileNotFoundError, PermissionError)):
            raise
        raise UnsupportedFile(f"unreadable or truncated image ({type(e).__name__}: {e})") from e


@contextlib.contextmanager
def _upright(path: str | Path, side: int) -> Iterator["Image.Image"]:
    """The first frame, RGB, EXIF orientation applied; JPEGs decoded at the smallest DCT scale still
    >= side (1/4 of a 12 MP photo for 224: 1.6x the photos/s of scale >= 448, for the same input)."""
    from PIL import Image, ImageOps

    with _decoding(), Image.open(path) as source:
        source.draft("RGB", (side, side))
        source.seek(0)  # GIF/TIFF: the first frame
        yield ImageOps.exif_transpose(source).convert("RGB")


def decode_fitting(path: str | Path, side: int) -> np.ndarray:
    """RGB uint8, upright, fitting in side x side: for OCR, and thumbnails of formats Qt cannot read."""
    from PIL import Image

    with _upright(path, side) as image:
        image.thumbnail((side, side), Image.Resampling.LANCZOS)
        return np.asarray(image, dtype=np.uint8).copy()


def thumbnail_jpeg(path: str | Path, side: int, quality: int = 85) -> bytes:
    """A JPEG fitting in side x side, upright (for programs that show results: the HTTP service)."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(decode_fitting(path, side)).save(out, format="JPEG", quality=quality)
    return out.getvalue()


def colours(path: str | Path) -> np.ndarray:
    """The photo's colours as a 64-bin histogram (4 levels per channel), summing to 1: resizing,
    re-encoding and moderate crops keep it; a different scene or a recoloured one does not."""
    pixels = decode_fitting(path, 64) // 64
    index = pixels[..., 0].astype(np.int64) * 16 + pixels[..., 1] * 4 + pixels[..., 2]
    counts = np.bincount(index.ravel(), minlength=64).astype(np.float64)
    share: np.ndarray = counts / max(1.0, float(counts.sum()))
    return share


def pixel_count(path: str | Path) -> int:
    """Width x height from the header alone (no decoding), to refuse huge images before reading them."""
    from PIL import Image

    with _decoding(), Image.open(path) as image:
        return int(image.width) * int(image.height)


def to_model_input(path: Path) -> np.ndarray:
    """(224, 224, 3) uint8: resized (short side 256) and centre-cropped, as ImageNet models expect."""
    from PIL import Image, ImageOps

    with _upright(path, SIDE) as upright:
        square = ImageOps.fit(upright, (SIDE, SIDE), Image.Resampling.BILINEAR, centering=(0.5, 0.5))
        return np.asarray(square, dtype=np.uint8).copy()


def extract(path: Path, limits: Limits) -> Extracted:
    return Extracted(text="", image=to_model_input(path))
