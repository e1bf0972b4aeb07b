"""Markdown and HTML: the readable text, without scripts, styles or markup."""

import re
from pathlib import Path

from bs4 import BeautifulSoup

from localsearch.core.extract import text as text_extractor
from localsearch.core.extract.limits import Limits
from localsearch.core.types import Extracted

_MD_NOISE = re.compile(r"^\s{0,3}(#{1,6}\s+|>\s?|[-*+]\s+(\[[ xX]\]\s+)?)|!?\[([^\]]*)\]\([^)]*\)|[*_`]{1,3}", re.M)


def markdown_to_text(md: str) -> str:
    """Drop markup tokens but keep every word, so offsets stay close to what the user wrote."""

    def keep_label(m: re.Match[str]) -> str:
        return m.group(3) if m.group(3) is not None else ""

    return _MD_NOISE.sub(keep_label, md)


def extract_markdown(path: Path, limits: Limits) -> Extracted:
    raw = text_extractor.read_text(path, limits)
    title = next((ln.lstrip("#").strip() for ln in raw.splitlines() if ln.startswith("# ")), None)
    return Extracted(text=markdown_to_text(raw), title=title)


def html_to_text(html: str) -> tuple[str, str | None]:
    soup = BeautifulSoup(html, "lxml")
    for tag in soup(["script", "style", "noscript", "template", "svg"]):
        tag.decompose()
    title = soup.title.get_text(strip=True) if soup.title else None
    body = soup.body or soup
    text = body.get_text("\n", strip=True)
    return text, title


def extract_html(path: Path, limits: Limits) -> Extracted:
    text, title = html_to_text(text_extractor.read_text(path, limits))
    return Extracted(text=text, title=title)
