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

_engine: Any = None


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
    try:
        result = engine()(image)
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


def read_text(raw_path: bytes) -> list[tuple[int | None, str]]:
    """(page, text) for what OCR reads in the file: a photo's text (page None), or each scanned page
    of a PDF. Runs in a worker process."""
    if os.fsdecode(raw_path).lower().endswith(".pdf"):
        return [(n, text) for n, image in scanned_pages(raw_path) if (text := recognise(image))]
    text = recognise(load_upright(raw_path))
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
