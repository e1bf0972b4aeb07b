"""EPUB (zipped XHTML) and RTF."""

import zipfile
from pathlib import Path, PurePosixPath

from lxml import etree

from localsearch.core.errors import UnsupportedFile
from localsearch.core.extract import guard, markup
from localsearch.core.extract import text as text_extractor
from localsearch.core.extract.limits import Limits
from localsearch.core.types import Extracted

_NS = {
    "c": "urn:oasis:names:tc:opendocument:xmlns:container",
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
}
_SAFE_XML = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def extract_epub(path: Path, limits: Limits) -> Extracted:
    """Chapters in reading (spine) order, read straight from the zip: the format is that simple."""
    guard.check_zip(path, limits)
    try:
        with zipfile.ZipFile(path) as zf:
            container = etree.fromstring(zf.read("META-INF/container.xml"), _SAFE_XML)
            opf_path = container.find(".//c:rootfile", _NS).get("full-path")
            opf = etree.fromstring(zf.read(opf_path), _SAFE_XML)
            base = PurePosixPath(opf_path).parent
            manifest = {i.get("id"): i.get("href") for i in opf.iterfind(".//opf:manifest/opf:item", _NS)}
            title_el = opf.find(".//dc:title", _NS)
            parts = []
            for ref in opf.iterfind(".//opf:spine/opf:itemref", _NS):
                href = manifest.get(ref.get("idref"))
                if not href:
                    continue
                html = text_extractor.decode(zf.read(str(base / href)))
                chapter, _ = markup.html_to_text(html)
                if chapter:
                    parts.append(chapter)
    except (KeyError, AttributeError, etree.XMLSyntaxError, zipfile.BadZipFile) as e:
        raise UnsupportedFile(f"unreadable EPUB ({type(e).__name__}: {e})") from e
    title = title_el.text if title_el is not None else None
    return Extracted(text=guard.cap_text("\n\n".join(parts), limits), title=title)


def extract_rtf(path: Path, limits: Limits) -> Extracted:
    from striprtf.striprtf import rtf_to_text

    raw = text_extractor.read_text(path, limits)
    if not raw.lstrip().startswith("{\\rtf"):
        raise UnsupportedFile("not an RTF document")
    return Extracted(text=rtf_to_text(raw, errors="replace"))  # type: ignore[no-untyped-call]
