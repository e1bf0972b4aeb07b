"""The text-in-photos pass on a realistic mix, most photos holding no text: read as before (every photo
read whole at full size) and as shipped (the detector first looks at a small copy; only photos where it
finds text are read), rounds alternating, on the same files in one process (one engine, one thread, as
in each worker).

    python bench/ocr_mix.py [--photos 40] [--with-text 0.2] [--rounds 3]

Photos without text: camera-sized crops of scikit-image's sample photos (bench/photo_throughput.py).
Photos with text: photographed notes and receipts (tests/photogen.py) of several sizes, some small on a
large photo. Reports seconds per photo each way (median of rounds), the speed-up, and the lines read in
the text photos each way (what the quick look missed). Prints JSON.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from photo_throughput import write_photos  # noqa: E402

from localsearch.core import ocr  # noqa: E402
from tests import photogen  # noqa: E402

NOTES = [["ACME HARDWARE STORE", "2x Hammer 24.99", "Total 49.98"], ["Meeting moved to Friday", "Room 4B at 10:30"],
         ["INVOICE 2024-0042", "Amount due 1250 EUR"], ["Parking permit", "valid until March"],
         ["Menu of the day", "Tomato soup 4.50", "Grilled fish 12.00"]]


def text_photos(root: Path, n: int) -> list[Path]:
    """Notes photographed at 1200x900, some placed small on a 3000x2250 scene (a sign far away)."""
    out = []
    for i in range(n):
        path = root / f"TXT_{i:04}.jpg"
        photogen.printed_text_photo(path, NOTES[i % len(NOTES)], seed=i)
        if i % 2:
            note = Image.open(path)
            scene = Image.new("RGB", (3000, 2250), (96, 104, 92))
            scene.paste(note, (900, 600))
            scene.save(path, quality=88)
        out.append(path)
    return out


def run(paths: list[Path], check: bool) -> tuple[float, dict[str, int]]:
    started = time.perf_counter()
    lines = {}
    for p in paths:
        parts = ocr.read_text(os.fsencode(p), check_presence=check)
        lines[p.name] = sum(len(text.splitlines()) for _, text in parts)
    return time.perf_counter() - started, lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--photos", type=int, default=40)
    ap.add_argument("--with-text", type=float, default=0.2, help="share of the photos that hold text")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    if not ocr.available():
        print("rapidocr is not installed: nothing to measure", file=sys.stderr)
        return
    with tempfile.TemporaryDirectory() as tmp:
        n_text = round(args.photos * args.with_text)
        write_photos(Path(tmp) / "plain", args.photos - n_text)
        plain = sorted((Path(tmp) / "plain").iterdir())
        texts = text_photos(Path(tmp), n_text)
        photos = plain + texts
        ocr.read_text(os.fsencode(photos[0]))  # load the engine
        times: dict[str, list[float]] = {"before": [], "shipped": []}
        lines: dict[str, dict[str, int]] = {}
        for _ in range(args.rounds):
            for name, check in (("before", False), ("shipped", True)):
                seconds, lines[name] = run(photos, check)
                times[name].append(seconds)
        per = {name: statistics.median(t) / len(photos) for name, t in times.items()}
        text_names = {p.name for p in texts}
        print(json.dumps({
            "bench": "ocr_mix", "photos": len(photos), "with_text": n_text, "rounds": args.rounds,
            "s_per_photo": {k: round(v, 3) for k, v in per.items()},
            "speedup": round(per["before"] / per["shipped"], 2),
            "rounds_s": {k: [round(x, 1) for x in v] for k, v in times.items()},
            "text_photos_read": {k: sum(1 for n in text_names if lines[k][n]) for k in lines},
            "lines_in_text_photos": {k: sum(lines[k][n] for n in text_names) for k in lines},
            "plain_photos_with_lines": {k: sum(1 for n, c in lines[k].items() if c and n not in text_names)
                                        for k in lines},
            "missed": sorted(n for n in text_names if lines["before"][n] and not lines["shipped"][n]),
        }, indent=1))


if __name__ == "__main__":
    main()
