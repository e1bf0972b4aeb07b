"""Distinct synthetic photos and their near-duplicates (resized, re-encoded, cropped), made offline."""

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter


def originals(seed: int = 0) -> dict[str, Image.Image]:
    rng = np.random.default_rng(seed)
    w, h = 800, 600
    board = Image.fromarray(((np.indices((h, w)) // 50).sum(0) % 2 * 255).astype(np.uint8)).convert("RGB")
    rings = Image.new("RGB", (w, h), "navy")
    d = ImageDraw.Draw(rings)
    for r in range(300, 0, -30):
        d.ellipse((400 - r, 300 - r, 400 + r, 300 + r), fill=("gold" if r // 30 % 2 else "crimson"))
    blobs = Image.fromarray((rng.random((h // 20, w // 20, 3)) * 255).astype(np.uint8)).resize((w, h), Image.BICUBIC)
    blobs = blobs.filter(ImageFilter.GaussianBlur(8))
    stripes = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(stripes)
    for x in range(-h, w, 40):
        d.line((x, 0, x + h, h), fill="darkgreen", width=14)
    return {"board": board, "rings": rings, "blobs": blobs, "stripes": stripes}


def write_set(root: Path) -> dict[str, list[Path]]:
    """Each original as JPEG plus three copies; returns group -> files."""
    root.mkdir(parents=True, exist_ok=True)
    groups: dict[str, list[Path]] = {}
    for name, im in originals().items():
        files = [root / f"{name}.jpg", root / f"{name}-small.png", root / f"{name}-lowq.jpg", root / f"{name}-crop.jpg"]
        im.save(files[0], quality=92)
        im.resize((400, 300)).save(files[1])
        im.save(files[2], quality=25)
        im.crop((40, 30, 760, 570)).save(files[3], quality=90)
        groups[name] = files
    return groups
