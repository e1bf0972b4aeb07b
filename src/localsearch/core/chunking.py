"""Text -> overlapping passages with character spans back into the text.

Passages are packed from whole sentences up to what the model reads. With the model's tokenizer
(a Budget with a count), the limit is its window in word pieces, so nothing is silently truncated
by the encoder (sized by words, 60 % of passages of technical text overflowed MiniLM's 256 pieces
and a fifth of all text never reached a vector). Without one, ~160 English words (~210 pieces).
A little overlap keeps a fact that straddles a boundary findable from either side.
"""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from localsearch.core.types import Chunk, PageSpan

_SEGMENT = re.compile(r"[^\n.!?。！？]*(?:[.!?。！？]+[\"')\]]*|\n+|$)")
_WORD = re.compile(r"\S+")


def word_count(texts: list[str]) -> list[int]:
    return [len(_WORD.findall(t)) for t in texts]


@dataclass(frozen=True)
class Budget:
    """How big a passage may be, in the unit `count` measures (word pieces, or words)."""

    size: int = 160
    overlap: int = 32
    count: Callable[[list[str]], list[int]] = word_count


WORDS = Budget()


def _segments(text: str, lo: int, hi: int) -> list[tuple[int, int]]:
    """Sentence-ish spans (ending at punctuation or a line break), blank ones dropped."""
    spans = []
    for m in _SEGMENT.finditer(text, lo, hi):
        s, e = m.span()
        if e > s and text[s:e].strip():
            spans.append((s, e))
    return spans


def _split_long(text: str, start: int, end: int, size: int, budget: Budget) -> list[tuple[int, int, int]]:
    """A 'sentence' over the budget (tables, minified code) is cut at word boundaries into pieces that
    fit: first in proportion to its size, then halved again wherever a piece still overflows."""
    words = [m.span() for m in _WORD.finditer(text, start, end)]
    step = max(1, len(words) * budget.size // max(size, 1))
    pieces = [(words[i][0], words[min(i + step, len(words)) - 1][1]) for i in range(0, len(words), step)]
    out: list[tuple[int, int, int]] = []
    for (a, b), n in zip(pieces, budget.count([text[a:b] for a, b in pieces])):
        inner = len(_WORD.findall(text, a, b))
        if n > budget.size and inner > 1:
            out.extend(_split_long(text, a, b, n, budget))
        elif n > budget.size:  # one "word" longer than the window (a hash, base64, a URL): cut it
            width = max(1, (b - a) * budget.size // n * 9 // 10)
            cuts = [(x, min(x + width, b)) for x in range(a, b, width)]
            out.extend((x, y, c) for (x, y), c in zip(cuts, budget.count([text[x:y] for x, y in cuts])))
        else:
            out.append((a, b, n))
    return out


def chunk_text(text: str, pages: Sequence[PageSpan] = (), budget: Budget = WORDS) -> list[Chunk]:
    """Passages never cross a page boundary, so every hit names the page its words are on."""
    if not pages:
        return _chunk_range(text, 0, len(text), None, budget)
    out: list[Chunk] = []
    for p in pages:
        out.extend(_chunk_range(text, p.start, p.end, p.page, budget))
    return out


def _chunk_range(text: str, lo: int, hi: int, page: int | None, budget: Budget) -> list[Chunk]:
    spans = _segments(text, lo, hi)
    units: list[tuple[int, int, int]] = []  # start, end, size
    for (s, e), n in zip(spans, budget.count([text[s:e] for s, e in spans])):
        if n > budget.size:
            units.extend(_split_long(text, s, e, n, budget))
        elif n:
            units.append((s, e, n))

    chunks: list[Chunk] = []
    i = 0
    while i < len(units):
        j, size = i, 0
        while j < len(units) and (size + units[j][2] <= budget.size or j == i):
            size += units[j][2]
            j += 1
        start, end = units[i][0], units[j - 1][1]
        body = text[start:end]
        lead = len(body) - len(body.lstrip())
        body = body.strip()
        chunks.append(Chunk(start + lead, start + lead + len(body), body, page))
        if j >= len(units):
            break
        # Step back over whole trailing units worth up to the overlap, but always advance.
        back, k = 0, j
        while k - 1 > i and back + units[k - 1][2] <= budget.overlap:
            k -= 1
            back += units[k][2]
        i = k
    return chunks
