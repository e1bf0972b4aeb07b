"""Text inside photos (signs, receipts, screenshots) and scanned PDF pages through RapidOCR.

Runs in the extraction worker processes, one file at a time, after the fast pass: photos are
searchable by look-alike and labels first, then by their text; a scanned PDF by name first.
RapidOCR's models (PP-OCR detection, direction and recognition, Chinese + English) ship inside
its wheel; nothing is downloaded.
"""

import os
from collections.abc import Iterator
from typing import Any

import numpy as np

from localsearch.core.errors import ExtractionError, UnsupportedFile, from_os_error
from localsearch.core.types import PageSpan

MAX_SIDE = 2000  # RapidOCR's own working size; decoding larger only costs memory
MIN_SCORE = 0.6  # recognition confidence below which a line is more likely noise than text
MAX_PDF_PAGES = 300  # a longer scan is read this far (~1-2 s a page, inside the OCR time limit)
PRESENCE_SIDE = 640
"""Most photos hold no text, and finding that out at full size (the detector over 2000 px) is most of
what reading them costs. The detector first looks at the photo at this size; only a photo where it finds
some text is read at full size (bench/ocr_mix.py measures the speed and what is missed)."""

_engine: Any = None
_looker: Any = None


def available() -> bool:
    try:
        import rapidocr  # noqa: F401
    except ImportError:
        return False
    return True


def engine() -> Any:
    """One engine per worker process; single-threaded, as the workers already run side by side."""
    global _engine
    if _engine is None:
        from rapidocr import RapidOCR

        _engine = RapidOCR(params={
            "Global.log_level": "error",
            "EngineConfig.onnxruntime.intra_op_num_threads": 1,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        })
    return _engine


def looker() -> Any:
    """A second engine for the quick look: its detector takes the photo at PRESENCE_SIDE as it is (the
    reading engine's enlarges the shorter side to 736 px, 1.7x the pixels of a 640 x 480 copy)."""
    global _looker
    if _looker is None:
        from rapidocr import RapidOCR

        _looker = RapidOCR(params={
            "Global.log_level": "error",
            "Det.limit_type": "max",
            "Det.limit_side_len": PRESENCE_SIDE,
            "EngineConfig.onnxruntime.intra_op_num_threads": 1,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        })
    return _looker


def load_upright(raw_path: bytes) -> np.ndarray:
    """RGB, EXIF orientation applied (OCR reads rotated text poorly), at most MAX_SIDE on a side."""
    from localsearch.core.extract.photo import decode_fitting

    try:
        return decode_fitting(os.fsdecode(raw_path), MAX_SIDE)
    except (FileNotFoundError, PermissionError) as e:
        raise from_os_error(e) from e


def _is_cjk(ch: str) -> bool:
    return "\u3040" <= ch <= "\u30ff" or "\u3400" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af"


def lines_of(result: Any) -> list[str]:
    """Confident lines, and only if some line holds a word: texture read as '0', 'O' or '0000' is
    noise, and as a passage it would match unrelated queries."""
    texts = getattr(result, "txts", None) or ()
    scores = getattr(result, "scores", None) or ()
    lines = [t.strip() for t, s in zip(texts, scores) if s >= MIN_SCORE and sum(c.isalnum() for c in t) >= 2]
    wordy = any(len(w) >= 3 and w.isalpha() or any(_is_cjk(c) for c in w) for t in lines for w in t.split())
    return lines if wordy else []


def recognise(image: np.ndarray) -> str:
    """An image's text, one detected line per line, top to bottom; '' when it holds none."""
    try:  # every stage named: the engine keeps the last call's choice (may_hold_text asks for detection only)
        result = engine()(image, use_det=True, use_cls=True, use_rec=True)
    except Exception as e:  # the engine's own failures (odd shapes, onnxruntime errors) stay per-file
        raise ExtractionError(f"text recognition failed ({type(e).__name__}: {e})") from e
    return "\n".join(lines_of(result))


def scanned_pages(raw_path: bytes) -> Iterator[tuple[int, np.ndarray]]:
    """(page number, RGB image) of each PDF page without a text layer, rendered at ~200 dpi, one at
    a time: a long scan never holds more than one page image in memory."""
    import pypdfium2 as pdfium

    from localsearch.core.extract.pdf import SCANNED_BELOW_CHARS, page_text

    try:
        doc = pdfium.PdfDocument(os.fsdecode(raw_path))
    except pdfium.PdfiumError as e:
        raise UnsupportedFile(f"unreadable PDF ({e})") from e
    try:
        for i in range(min(len(doc), MAX_PDF_PAGES)):
            page = doc[i]
            try:
                has_text = len(page_text(page)) >= SCANNED_BELOW_CHARS
                if not has_text:
                    width, height = page.get_size()  # points, 1/72 inch
                    scale = min(200 / 72, MAX_SIDE / max(width, height, 1))
                    image = np.asarray(page.render(scale=scale).to_pil().convert("RGB"), dtype=np.uint8)
            finally:
                page.close()
            if not has_text:
                yield i + 1, image
    finally:
        doc.close()


def may_hold_text(image: np.ndarray) -> bool:
    """Whether the detector, run on the photo shrunk to PRESENCE_SIDE, finds any text region (a photo at
    most a little bigger than that is simply read)."""
    height, width = image.shape[:2]
    if max(height, width) <= PRESENCE_SIDE * 1.25:
        return True
    from PIL import Image

    scale = PRESENCE_SIDE / max(height, width)
    small = np.asarray(Image.fromarray(image).resize((max(1, round(width * scale)), max(1, round(height * scale))),
                                                     Image.Resampling.BILINEAR))
    try:
        found = looker()(small, use_det=True, use_cls=False, use_rec=False)
    except Exception as e:  # as in recognise: the engine's own failures stay per-file
        raise ExtractionError(f"text detection failed ({type(e).__name__}: {e})") from e
    boxes = getattr(found, "boxes", None)
    side = min(small.shape[:2])
    return boxes is not None and any(_line_like(np.asarray(b, dtype=np.float64), side) for b in boxes)


LINE_ASPECT = 1.5
LINE_HEIGHT = 0.15
"""A region the detector finds is taken for a line of text when it is at least LINE_ASPECT times as long as
it is high and at most LINE_HEIGHT of the photo's shorter side high. On natural photos the detector also
marks blobs (a cat's face, a coin, the whole of a smooth sky) that are neither."""


def _line_like(quad: np.ndarray, side: int) -> bool:
    """Whether a detected quadrilateral is shaped like a line of text (either way up)."""
    a, b = float(np.linalg.norm(quad[1] - quad[0])), float(np.linalg.norm(quad[2] - quad[1]))
    long, short = max(a, b), min(a, b)
    return short > 0 and long >= LINE_ASPECT * short and short <= LINE_HEIGHT * side


def read_text(raw_path: bytes, check_presence: bool = True) -> list[tuple[int | None, str]]:
    """(page, text) for what OCR reads in the file: a photo's text (page None), or each scanned page
    of a PDF (always read: a scan is text). Runs in a worker process."""
    if os.fsdecode(raw_path).lower().endswith(".pdf"):
        return [(n, text) for n, image in scanned_pages(raw_path) if (text := recognise(image))]
    image = load_upright(raw_path)
    if check_presence and not may_hold_text(image):
        return []
    text = recognise(image)
    return [(None, text)] if text else []


def joined(parts: list[tuple[int | None, str]]) -> tuple[str, list[PageSpan]]:
    """One text with page spans, as chunking wants it (passages never cross a page)."""
    text, spans, pos = [], [], 0
    for page, part in parts:
        if page is not None:
            spans.append(PageSpan(pos, pos + len(part), page))
        text.append(part)
        pos += len(part) + 2
    return "\n\n".join(text), spans
