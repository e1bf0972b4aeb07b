"""PDF through PDFium (fast, permissive licence); page numbers are kept for every passage."""

from pathlib import Path

import pypdfium2 as pdfium

from localsearch.core.errors import UnsupportedFile
from localsearch.core.extract.limits import Limits
from localsearch.core.types import Extracted, PageSpan

SCANNED_BELOW_CHARS = 16
"""A page with less text than this (none, or a stray page number) is taken for a scan: OCR reads it."""


def page_text(page: pdfium.PdfPage) -> str:
    """The page's text layer, newlines normalised and stripped ('' for a scan)."""
    textpage = page.get_textpage()
    try:
        return str(textpage.get_text_range()).replace("\r\n", "\n").replace("\r", "\n").strip()
    finally:
        textpage.close()


def extract(path: Path, limits: Limits) -> Extracted:
    try:
        doc = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as e:
        msg = str(e)
        if "password" in msg.lower():
            raise UnsupportedFile("encrypted PDF (password required)") from e
        raise UnsupportedFile(f"unreadable PDF ({msg})") from e
    parts: list[str] = []
    pages: list[PageSpan] = []
    unread: list[int] = []
    pos = 0
    try:
        for i in range(len(doc)):
            page = doc[i]
            try:
                text = page_text(page)
            finally:
                page.close()
            if len(text) < SCANNED_BELOW_CHARS:
                unread.append(i + 1)
            if text:
                pages.append(PageSpan(pos, pos + len(text), i + 1))
                parts.append(text)
                pos += len(text) + 2
            if pos > limits.max_text_chars:
                break
        title = (doc.get_metadata_dict().get("Title") or None) if len(doc) else None
    finally:
        doc.close()
    return Extracted(text="\n\n".join(parts), pages=pages, title=title, unread_pages=unread)
