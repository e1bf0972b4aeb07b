"""Plain data passed between the stages of the pipeline."""

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class PageSpan:
    """Characters [start, end) of the extracted text come from page `page` (1-based)."""

    start: int
    end: int
    page: int


@dataclass
class Extracted:
    text: str
    pages: list[PageSpan] = field(default_factory=list)
    title: str | None = None
    image: Any = None
    """For photos: the (224, 224, 3) uint8 array the image model reads (numpy; Any keeps this module light)."""
    unread_pages: list[int] = field(default_factory=list)
    """PDF pages (1-based) with no text layer (scans): the OCR pass reads them."""


@dataclass(frozen=True)
class Chunk:
    """A passage of a file's extracted text; [start, end) are character offsets into that text."""

    start: int
    end: int
    text: str
    page: int | None = None


@dataclass
class Hit:
    path: str
    kind: str  # "document" | "photo"
    score: float
    snippet: str
    collection: str
    start: int | None = None
    end: int | None = None
    page: int | None = None
    chunk_id: int | None = None
    match_spans: list[tuple[int, int]] = field(default_factory=list)
    """Offsets of query words inside `snippet`, for highlighting."""
    why: list[str] = field(default_factory=list)
    """Why it matched, in plain words: "words: rent, monthly", "meaning", "file name", "page 2"."""
    rerank_score: float | None = None
    """The cross-encoder's relevance, when a reranker is configured and reordered this hit."""
    match_strength: float | None = None
    """How strongly it matched, 0-1 (cutoff.strength; for a look-alike, its likeness); None in a
    keywords-only list, where BM25's order is all there is."""

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "path": self.path,
            "kind": self.kind,
            "score": round(self.score, 6),
            "why": list(self.why),
            "snippet": self.snippet,
            "collection": self.collection,
        }
        if self.start is not None:
            out["start"] = self.start
            out["end"] = self.end
        if self.page is not None:
            out["page"] = self.page
        out["match_spans"] = [list(s) for s in self.match_spans]
        if self.match_strength is not None:
            out["match_strength"] = self.match_strength
        if self.rerank_score is not None:
            out["rerank_score"] = round(self.rerank_score, 6)
        return out
