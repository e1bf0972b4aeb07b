"""Query -> ranked hits: keyword (FTS5 BM25) and semantic (FAISS) lists fused, one hit per file.

Fusion is reciprocal rank fusion with each vote scaled by the strength of its match (keyword:
share of query terms in the passage; vector: cosine). Ranks need no calibration between BM25 and
cosine; the scaling stops stray one-word matches and weak neighbours from outvoting an exact id or
a close paraphrase. bench/fusion_eval.py measured MRR@10 0.836 for this vs 0.654 for plain RRF,
0.708 for a min-max score blend, 0.681 keyword-only and 0.425 vector-only.
"""

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass


from localsearch.core import filetypes
from localsearch.core.store.catalog import ChunkRow
from localsearch.core.types import Hit

RRF_K = 60
_TERM = re.compile(r"\w+(?:[-./:]\w+)*", re.UNICODE)


STOPWORDS = frozenset(
    "a an and are as at be but by can do does did for from had has have how i if in into is it its me my no not "
    "of on or our so than that the their them then there these they this to was we were what when where which "
    "who why will with you your".split()
)


def query_terms(query: str) -> list[str]:
    return _TERM.findall(query)


def keyword_terms(query: str) -> list[str]:
    """Stopwords ORed into a BM25 query match nearly every passage and drown the real terms."""
    terms = query_terms(query)
    content = [t for t in terms if t.lower() not in STOPWORDS]
    return content or terms


def fts_query(query: str) -> str:
    """Each term quoted (so '2024-0042' is the phrase '2024 0042', and no FTS syntax leaks in), ORed."""
    terms = keyword_terms(query)
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)


def rrf(lists: Sequence[Sequence[int]], k: int = RRF_K) -> dict[int, float]:
    fused: dict[int, float] = {}
    for ranked in lists:
        for rank, item in enumerate(ranked, start=1):
            fused[item] = fused.get(item, 0.0) + 1.0 / (k + rank)
    return fused


def coverage(text: str, terms: Sequence[str], pattern: re.Pattern[str] | None = None) -> float:
    """Share of the query's keyword terms present in a passage: 1.0 for an exact id, low for a stray word."""
    wanted = {t.lower() for t in terms}
    if not wanted:
        return 0.0
    found = {text[a:b].lower() for a, b in match_spans(text, terms, pattern)}
    present = sum(1 for t in wanted if any(f == t or (len(t) >= 4 and f.startswith(t)) for f in found))
    return present / len(wanted)


def weighted_rrf(keyword: Sequence[tuple[int, float]], semantic: Sequence[tuple[int, float]],
                 texts: dict[int, str], terms: Sequence[str], k: int = RRF_K,
                 photos: Sequence[tuple[int, float]] = ()) -> dict[int, float]:
    """RRF where each list's vote is scaled by how strong the match is (term coverage; cosine).

    Plain RRF gives a stray one-word keyword match the same vote as an exact id, and a weak vector
    neighbour the same vote as a close paraphrase; bench/fusion_eval.py shows what that costs.
    """
    fused: dict[int, float] = {}
    pattern = term_pattern(terms)
    for rank, (cid, _) in enumerate(keyword, start=1):
        fused[cid] = fused.get(cid, 0.0) + coverage(texts.get(cid, ""), terms, pattern) / (k + rank)
    for rank, (cid, cos) in enumerate(semantic, start=1):
        fused[cid] = fused.get(cid, 0.0) + max(cos, 0.0) / (k + rank)
    # Text-to-photo cosines of CLIP models sit in a narrow band (~0.15-0.35) unlike text-to-text
    # ones, so a photo's vote is its cosine relative to the best photo of this query.
    best = max((cos for _, cos in photos), default=0.0)
    for rank, (cid, cos) in enumerate(photos, start=1):
        fused[cid] = fused.get(cid, 0.0) + (max(cos, 0.0) / best if best > 0 else 0.0) / (k + rank)
    return fused


def group_by_file(fused: dict[int, float], rows: dict[int, ChunkRow]) -> list[tuple[float, ChunkRow]]:
    """One hit per file (its best passage), so a long document does not fill the page; copies of one
    file (same content in two folders, "report (1).pdf") are one hit too, the best-ranked copy's."""
    best: dict[int | str, tuple[float, ChunkRow]] = {}
    for cid, score in fused.items():
        row = rows.get(cid)
        if row is None:
            continue
        key = row.hash or row.file_id
        cur = best.get(key)
        if cur is None or (-score, row.path) < (-cur[0], cur[1].path):
            best[key] = (score, row)
    return sorted(best.values(), key=lambda t: (-t[0], t[1].path))


def term_pattern(terms: Sequence[str]) -> re.Pattern[str] | None:
    """One regex for all of a query's words, compiled once per query, not once per passage.

    Longer words also match as prefixes (month -> months, monthly); short ones only whole.
    """
    words = sorted({t.lower() for t in terms if len(t) > 1}, key=len, reverse=True)
    if not words:
        return None
    alts = [re.escape(w) + (r"\w*" if len(w) >= 4 else r"(?!\w)") for w in words]
    return re.compile(r"(?<!\w)(?:" + "|".join(alts) + r")", re.IGNORECASE)


def match_spans(text: str, terms: Sequence[str], pattern: re.Pattern[str] | None = None) -> list[tuple[int, int]]:
    """Where the query's words occur in a passage (case-insensitive), for highlighting."""
    pattern = pattern if pattern is not None else term_pattern(terms)
    return [m.span() for m in pattern.finditer(text)] if pattern is not None else []


def make_snippet(text: str, spans: list[tuple[int, int]], width: int = 320) -> tuple[str, int, list[tuple[int, int]]]:
    """A window of the passage around its first match; returns (snippet, offset in passage, spans in snippet)."""
    if len(text) <= width:
        return text, 0, spans
    centre = spans[0][0] if spans else 0
    start = max(0, min(centre - width // 3, len(text) - width))
    space = text.rfind(" ", 0, start + 1)
    start = space + 1 if start and space > start - 30 else start
    snippet = text[start : start + width]
    inside = [(a - start, b - start) for a, b in spans if a >= start and b <= start + len(snippet)]
    return snippet, start, inside


def explain(row: ChunkRow, spans: Sequence[tuple[int, int]], pattern: re.Pattern[str] | None,
            by_meaning: bool, by_look: bool = False) -> list[str]:
    """Why a hit is shown, in words a person reads: the query words its passage holds, its file name,
    closeness in meaning, the page. The score says how much; this says what."""
    why: list[str] = []
    words = list(dict.fromkeys(row.text[a:b].lower() for a, b in spans))
    if words:
        why.append("words: " + ", ".join(words[:5]) + (" …" if len(words) > 5 else ""))
    if pattern is not None and pattern.search(os.path.basename(row.path)):
        why.append("file name")
    if by_meaning:
        why.append("meaning")
    if by_look:
        why.append("looks like the words")
    if row.page is not None:
        why.append(f"page {row.page}")
    return why


def to_hit(score: float, row: ChunkRow, terms: Sequence[str], pattern: re.Pattern[str] | None = None,
           why: Sequence[str] | None = None, by_meaning: bool = False, by_look: bool = False) -> Hit:
    """One file's hit; `why` given (a photo look-alike) or explained from the words and lists that found it."""
    spans = match_spans(row.text, terms, pattern)
    snippet, offset, inside = make_snippet(row.text, spans)
    if why is None:
        why = explain(row, spans, pattern if pattern is not None else term_pattern(terms), by_meaning, by_look)
    return Hit(path=row.path, kind=row.kind, score=score, snippet=snippet, collection=row.collection,
               start=row.start + offset, end=row.start + offset + len(snippet), page=row.page, chunk_id=row.id,
               match_spans=inside, why=list(why))


def id_ranges(top: int, parts: int) -> list[tuple[int, int]]:
    """[1, top] cut into `parts` contiguous ranges of (nearly) equal width."""
    step = top // parts + 1
    return [(1 + i * step, min(top, (i + 1) * step)) for i in range(parts)]


def keyword_merged(results: Sequence[Sequence[tuple[int, float]]], limit: int) -> list[tuple[int, float]]:
    """Merge BM25 lists of disjoint id ranges (lower is better; one scale, the whole table's)."""
    return sorted((pair for r in results for pair in r), key=lambda p: p[1])[:limit]


def semantic_ranked(results: Sequence[Sequence[tuple[int, float]]], limit: int,
                    floor: float = 0.0) -> list[tuple[int, float]]:
    """Merge per-collection FAISS results (cosine scores share one scale) into one ranked list."""
    merged = sorted((pair for r in results for pair in r if pair[1] >= floor), key=lambda p: -p[1])
    return merged[:limit]


@dataclass
class Query:
    text: str
    k: int = 10
    collections: Sequence[str] | None = None
    kind: str | None = None  # "document" | "photo"
    file_type: str | None = None  # a key of FILE_TYPES
    modified_after: float | None = None  # epoch seconds
    modified_before: float | None = None

    def accepts(self, row: ChunkRow) -> bool:
        """The filters that are not about words: kind, file type, modification time."""
        if self.kind and row.kind != self.kind:
            return False
        if self.file_type and os.path.splitext(row.path)[1].lower() not in filetypes.FILE_TYPES[self.file_type]:
            return False
        mtime = (row.mtime_ns or 0) / 1e9
        if self.modified_after is not None and mtime < self.modified_after:
            return False
        return self.modified_before is None or mtime <= self.modified_before


def candidates(k: int) -> int:
    """Per-list depth: deep enough that grouping by file still leaves k files."""
    return max(50, 5 * k)
