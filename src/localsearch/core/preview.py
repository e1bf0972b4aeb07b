"""What the preview pane shows for one result, read from the catalog (never by parsing the file again):
for a document, every passage that holds the query's words, with its page and the words' places; for
a photo, its labels, the text read in it, and its size, date and camera (EXIF, from the photo itself,
which the access rules allow: it is an indexed file inside its collection's folders)."""

import os
from dataclasses import dataclass, field

from localsearch.core import access, query_syntax, search
from localsearch.core.store.catalog import Catalog

MAX_PASSAGES = 500
"""Passages shown at most: a long book's matches, not a second copy of it."""


@dataclass(frozen=True)
class Passage:
    text: str
    page: int | None
    spans: list[tuple[int, int]]  # where the query's words are, in text


@dataclass
class Preview:
    path: str
    kind: str  # "document" | "photo"
    size: int
    modified: float  # epoch seconds
    passages: list[Passage] = field(default_factory=list)  # those holding the words; else the first ones
    matching: int = 0  # how many passages hold the query's words
    total: int = 0  # passages in the file
    labels: str = ""  # a photo: what the photo model sees in it
    read_text: str = ""  # a photo or a scan: the text read in it
    camera: dict[str, str] = field(default_factory=dict)  # a photo: EXIF make, model, date taken


def _camera(path: str) -> dict[str, str]:
    from PIL import Image, UnidentifiedImageError

    names = {0x010F: "make", 0x0110: "model", 0x0132: "taken"}
    try:
        with Image.open(path) as im:
            exif = im.getexif()
            info = {names[tag]: str(value).strip("\x00 ") for tag, value in exif.items() if tag in names}
            taken = exif.get_ifd(0x8769).get(0x9003)  # DateTimeOriginal, where the camera wrote it
            if taken:
                info["taken"] = str(taken).strip("\x00 ")
            info["pixels"] = f"{im.width} × {im.height}"
            return {k: v for k, v in info.items() if v}
    except (OSError, UnidentifiedImageError, ValueError):
        return {}


def build(catalog: Catalog, path: str, query: str) -> Preview:
    """The preview of the indexed file at `path` (NotIndexed / OutsideFolders as core.access says)."""
    found = access.indexed_file(catalog, path)
    rows = catalog.conn.execute(
        "SELECT f.size, f.mtime_ns, c.page, c.text FROM files f JOIN collections k ON k.id = f.collection_id "
        "JOIN chunks c ON c.file_id = f.id WHERE k.name = ? AND f.raw_path = ? ORDER BY c.ord",
        (found.collection, os.fsencode(found.path))).fetchall()
    size, mtime_ns = (int(rows[0][0] or 0), int(rows[0][1] or 0)) if rows else (0, 0)
    out = Preview(found.path, found.kind, size, mtime_ns / 1e9, total=len(rows))
    parsed = query_syntax.parse(query)  # the question's words, not its operators
    terms = search.keyword_terms(parsed.text) if parsed.text.strip() else []
    matcher = search.term_pattern(terms) if terms else None
    texts = [(str(text), page) for _, _, page, text in rows]
    if found.kind == "photo":
        first = texts[0][0] if texts else ""
        out.labels = first.split(" — ", 1)[1].removeprefix("photo of ") if " — " in first else ""
        out.read_text = "\n".join(t for t, _ in texts[1:])
        out.camera = _camera(found.path)
        texts = texts[1:]
    for text, page in texts:
        spans = matcher.spans(text) if matcher is not None else []
        if spans:
            out.matching += 1
            if len(out.passages) < MAX_PASSAGES:
                out.passages.append(Passage(text, page, spans))
    if not out.passages:  # found by meaning or by name: the start of the file
        out.passages = [Passage(text, page, []) for text, page in texts[:3]]
    return out
