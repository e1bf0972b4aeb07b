"""Text -> overlapping passages with character spans back into the text.

Passages are packed from whole sentences up to a word budget sized for the model's token window
(MiniLM reads 256 word pieces; ~160 English words is ~210 pieces), so nothing is silently truncated
by the encoder. A little overlap keeps a fact that straddles a boundary findable from either side.
"""

import re
from collections.abc import Sequence

from localsearch.core.types import Chunk, PageSpan

_SEGMENT = re.compile(r"[^\n.!?。！？]*(?:[.!?。！？]+[\"')\]]*|\n+|$)")
_WORD = re.compile(r"\S+")


def _segments(text: str, lo: int, hi: int) -> list[tuple[int, int]]:
    """Sentence-ish spans (ending at punctuation or a line break), blank ones dropped."""
    spans = []
    for m in _SEGMENT.finditer(text, lo, hi):
        s, e = m.span()
        if e > s and text[s:e].strip():
            spans.append((s, e))
    return spans


def _split_long(text: str, start: int, end: int, max_words: int) -> list[tuple[int, int]]:
    """A 'sentence' longer than the budget (tables, minified code) is cut at word boundaries."""
    words = [m.span() for m in _WORD.finditer(text, start, end)]
    return [(words[i][0], words[min(i + max_words, len(words)) - 1][1]) for i in range(0, len(words), max_words)]


def chunk_text(
    text: str, pages: Sequence[PageSpan] = (), max_words: int = 160, overlap_words: int = 32
) -> list[Chunk]:
    """Passages never cross a page boundary, so every hit names the page its words are on."""
    if not pages:
        return _chunk_range(text, 0, len(text), None, max_words, overlap_words)
    out: list[Chunk] = []
    for p in pages:
        out.extend(_chunk_range(text, p.start, p.end, p.page, max_words, overlap_words))
    return out


def _chunk_range(text: str, lo: int, hi: int, page: int | None, max_words: int, overlap_words: int) -> list[Chunk]:
    units: list[tuple[int, int, int]] = []  # start, end, word count
    for s, e in _segments(text, lo, hi):
        n = len(_WORD.findall(text, s, e))
        if n > max_words:
            units.extend((a, b, len(_WORD.findall(text, a, b))) for a, b in _split_long(text, s, e, max_words))
        elif n:
            units.append((s, e, n))

    chunks: list[Chunk] = []
    i = 0
    while i < len(units):
        j, words = i, 0
        while j < len(units) and (words + units[j][2] <= max_words or j == i):
            words += units[j][2]
            j += 1
        start, end = units[i][0], units[j - 1][1]
        body = text[start:end]
        lead = len(body) - len(body.lstrip())
        body = body.strip()
        chunks.append(Chunk(start + lead, start + lead + len(body), body, page))
        if j >= len(units):
            break
        # Step back over whole trailing units worth up to overlap_words, but always advance.
        back, k = 0, j
        while k - 1 > i and back + units[k - 1][2] <= overlap_words:
            k -= 1
            back += units[k][2]
        i = k
    return chunks
