"""Text extraction: one module per family of formats, chosen by suffix.

`extract_file` is what the indexer runs, in a separate process with a time limit, so a parser
that hangs or crashes costs one file, not the run.
"""

import importlib
import os
from pathlib import Path
from typing import Callable

from localsearch.core.errors import ExtractionError, FileTooLarge, UnsupportedFile, from_os_error
from localsearch.core.extract.limits import Limits
from localsearch.core.types import Extracted

Extractor = Callable[[Path, Limits], Extracted]

TEXT_SUFFIXES = frozenset(
    ".txt .text .log .csv .tsv .json .jsonl .yaml .yml .toml .ini .cfg .conf .env .properties "
    ".py .pyi .js .mjs .ts .tsx .jsx .c .h .cc .cpp .hpp .cxx .java .kt .scala .go .rs .rb .php "
    ".pl .lua .r .jl .swift .m .cs .fs .sh .bash .zsh .fish .ps1 .bat .sql .xml .svg .tex .bib "
    ".rst .org .adoc .asciidoc .srt .vtt .css .scss .less .vue .dart .ex .exs .erl .hs .ml .clj "
    ".el .vim .dockerfile .gradle .cmake .mk .diff .patch .ipynb .eml .ics .vcf".split()
)

PHOTO_SUFFIXES = frozenset(".jpg .jpeg .png .webp .gif .bmp .tif .tiff .heic .heif .avif".split())

# suffix -> "module:function"; parsers are imported on first use, so a search (which never
# extracts) does not pay for bs4, lxml or pdfium.
REGISTRY: dict[str, str] = {
    **{s: "text:extract" for s in TEXT_SUFFIXES},
    ".md": "markup:extract_markdown",
    ".markdown": "markup:extract_markdown",
    ".html": "markup:extract_html",
    ".htm": "markup:extract_html",
    ".xhtml": "markup:extract_html",
    ".pdf": "pdf:extract",
    ".docx": "office:extract_docx",
    ".pptx": "office:extract_pptx",
    ".xlsx": "office:extract_xlsx",
    ".xlsm": "office:extract_xlsx",
    ".epub": "ebook:extract_epub",
    ".rtf": "ebook:extract_rtf",
}


def _resolve(target: str) -> Extractor:
    module, func = target.split(":")
    fn: Extractor = getattr(importlib.import_module(f"localsearch.core.extract.{module}"), func)
    return fn


def kind_of(path: Path) -> str:
    return "photo" if path.suffix.lower() in PHOTO_SUFFIXES else "document"


def extractor_for(path: Path) -> Extractor | None:
    """None means: index this file by its name only."""
    found = REGISTRY.get(path.suffix.lower())
    if found is not None:
        return _resolve(found)
    if path.suffix.lower() in PHOTO_SUFFIXES:
        return _resolve("photo:extract")
    from localsearch.core.extract import text

    try:
        return text.extract if text.sniff_is_text(path) else None
    except OSError:
        return None


def extract_file(path: str | os.PathLike[str], limits: Limits) -> Extracted:
    """Raise ExtractionError (a one-line reason) for anything the user's file is to blame for."""
    p = Path(path)
    try:
        too_large = limits.too_large(p.stat().st_size)
        if too_large:
            raise FileTooLarge(too_large)
        fn = extractor_for(p)
        if fn is None:
            return Extracted(text="")
        result = fn(p, limits)
    except ExtractionError:
        raise
    except OSError as e:
        raise from_os_error(e) from e
    except (MemoryError, RecursionError) as e:
        raise UnsupportedFile(f"file too complex to parse ({type(e).__name__})") from e
    except Exception as e:  # third-party parsers raise anything on hostile input
        raise UnsupportedFile(f"could not parse ({type(e).__name__}: {str(e)[:200]})") from e
    result.text = result.text.replace("\x00", "")
    return result
