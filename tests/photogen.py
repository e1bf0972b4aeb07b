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


def printed_text_photo(path: Path, lines: list[str], seed: int = 3) -> Path:
    """A photographed note: paper on a textured table, slightly turned, with sensor noise, as JPEG."""
    from PIL import ImageFont

    rng = np.random.default_rng(seed)
    table = Image.fromarray((rng.normal(110, 25, (900, 1200, 3)).clip(0, 255)).astype(np.uint8)).filter(
        ImageFilter.GaussianBlur(3))
    paper = Image.new("RGB", (760, 120 + 90 * len(lines)), (245, 242, 232))
    d = ImageDraw.Draw(paper)
    font = ImageFont.load_default(size=52)
    for i, line in enumerate(lines):
        d.text((50, 60 + 90 * i), line, fill=(25, 25, 30), font=font)
    paper = paper.rotate(4, expand=True, fillcolor=(110, 110, 110))
    table.paste(paper, (200, 120))
    noisy = np.asarray(table, dtype=np.float32) + rng.normal(0, 6, (900, 1200, 3))
    Image.fromarray(noisy.clip(0, 255).astype(np.uint8)).save(path, quality=85)
    return path
