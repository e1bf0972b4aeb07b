"""DOCX, PPTX and XLSX. Each is a zip, checked by the guard before any parser opens it."""

from pathlib import Path

from localsearch.core.errors import UnsupportedFile
from localsearch.core.extract import guard
from localsearch.core.extract.limits import Limits
from localsearch.core.types import Extracted, PageSpan


def extract_docx(path: Path, limits: Limits) -> Extracted:
    import docx  # heavy-ish; imported where used so other formats don't pay for it

    guard.check_zip(path, limits)
    try:
        document = docx.Document(str(path))
    except Exception as e:  # python-docx raises a zoo of types for broken packages
        raise UnsupportedFile(f"unreadable DOCX ({type(e).__name__}: {e})") from e
    parts = [p.text for p in document.paragraphs if p.text.strip()]
    for table in document.tables:
        for row in table.rows:
            cells = [c.text.strip() for c in row.cells if c.text.strip()]
            if cells:
                parts.append(" | ".join(cells))
    title = document.core_properties.title or None
    return Extracted(text=guard.cap_text("\n".join(parts), limits), title=title)


def extract_pptx(path: Path, limits: Limits) -> Extracted:
    import pptx

    guard.check_zip(path, limits)
    try:
        deck = pptx.Presentation(str(path))
    except Exception as e:
        raise UnsupportedFile(f"unreadable PPTX ({type(e).__name__}: {e})") from e
    parts: list[str] = []
    pages: list[PageSpan] = []
    pos = 0
    for number, slide in enumerate(deck.slides, start=1):
        lines = [
            para.text
            for shape in slide.shapes
            if shape.has_text_frame
            for para in shape.text_frame.paragraphs
            if para.text.strip()
        ]
        if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
            notes = slide.notes_slide.notes_text_frame.text.strip()
            if notes:
                lines.append(notes)
        text = "\n".join(lines)
        if text:
            pages.append(PageSpan(pos, pos + len(text), number))
            parts.append(text)
            pos += len(text) + 2
    return Extracted(text=guard.cap_text("\n\n".join(parts), limits), pages=pages)


def extract_xlsx(path: Path, limits: Limits) -> Extracted:
    import openpyxl

    guard.check_zip(path, limits)
    try:
        book = openpyxl.load_workbook(str(path), read_only=True, data_only=True)
    except Exception as e:
        raise UnsupportedFile(f"unreadable XLSX ({type(e).__name__}: {e})") from e
    parts: list[str] = []
    size = 0
    try:
        for sheet in book.worksheets:
            parts.append(f"# {sheet.title}")
            for row in sheet.iter_rows(values_only=True):
                cells = [str(v) for v in row if v is not None and str(v).strip()]
                if cells:
                    line = " | ".join(cells)
                    parts.append(line)
                    size += len(line) + 1
                    if size > limits.max_text_chars:
                        break
    finally:
        book.close()
    return Extracted(text="\n".join(parts))
