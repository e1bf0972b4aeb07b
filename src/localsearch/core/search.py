"""Query -> ranked hits: keyword (FTS5 BM25) and semantic (FAISS) lists fused, one hit per file.

Fusion is reciprocal rank fusion with each vote scaled by the strength of its match (keyword:
share of query terms in the passage; vector: cosine). Ranks need no calibration between BM25 and
cosine; the scaling stops stray one-word matches and weak neighbours from outvoting an exact id or
a close paraphrase. bench/fusion_eval.py measured MRR@10 0.836 for this vs 0.654 for plain RRF,
0.708 for a min-max score blend, 0.681 keyword-only and 0.425 vector-only.
"""

import math
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace


from localsearch.core import cutoff, filetypes, query_syntax, words
from localsearch.core.store.reads import ChunkRow
from localsearch.core.types import Hit

RRF_K = 60
_TERM = re.compile(r"\w+(?:[-./:]\w+)*", re.UNICODE)


STOPWORDS = frozenset(
    "a an and are as at be but by can do does did for from had has have how i if in into is it its me my no not "
    "of on or our so than that the their them then there these they this to was we were what when where which "
    "who why will with you your".split()
)


def query_terms(query: str) -> list[str]:
    """The query's words; a run of CJK characters as its overlapping pairs (words.spaced)."""
    return _TERM.findall(words.spaced(query))


def keyword_terms(query: str) -> list[str]:
    """Stopwords ORed into a BM25 query match nearly every passage and drown the real terms."""
    terms = query_terms(query)
    content = [t for t in terms if t.lower() not in STOPWORDS]
    return content or terms


def term_alternatives(query: str) -> list[list[str]]:
    """The query's keyword terms, each with its other spelling: a compound of words also written as one
    word ("birth-weight" -> "birthweight"); the word index stems and splits each as it indexes."""
    out = []
    for term in keyword_terms(query):
        one = words.joined(term)
        out.append([term, one] if one is not None else [term])
    return out


def fts_term(alternatives: list[str]) -> str:
    """One term's spellings, each quoted (so '2024-0042' is the phrase '2024 0042', and no FTS syntax leaks
    in) and ORed."""
    quoted = ['"' + a.replace('"', '""') + '"' for a in alternatives]
    return quoted[0] if len(quoted) == 1 else "(" + " OR ".join(quoted) + ")"


def fts_query(query: str) -> str:
    """The query's keyword terms ORed; the index's tokenizer stems each, so word forms match."""
    return " OR ".join(fts_term(a) for a in term_alternatives(query))


def rrf(lists: Sequence[Sequence[int]], k: int = RRF_K) -> dict[int, float]:
    fused: dict[int, float] = {}
    for ranked in lists:
        for rank, item in enumerate(ranked, start=1):
            fused[item] = fused.get(item, 0.0) + 1.0 / (k + rank)
    return fused


def coverage(text: str, terms: Sequence[str], pattern: "Matcher | None" = None) -> float:
    """Share of the query's keyword terms in a passage, by the index's word forms: 1.0 for an exact id,
    low for a stray word. A term found only in another form ("develops" for "develop") counts
    STEM_WEIGHT, so the exact form ranks first; one-letter terms count for nothing."""
    matcher = pattern if pattern is not None else Matcher(terms)
    return matcher.coverage(text)


def weighted_rrf(keyword: Sequence[tuple[int, float]], semantic: Sequence[tuple[int, float]],
                 texts: dict[int, str], terms: Sequence[str], k: int = RRF_K,
                 photos: Sequence[tuple[int, float]] = ()) -> dict[int, float]:
    """RRF where each list's vote is scaled by how strong the match is (term coverage; cosine).

    Plain RRF gives a stray one-word keyword match the same vote as an exact id, and a weak vector
    neighbour the same vote as a close paraphrase; bench/fusion_eval.py shows what that costs.
    """
    fused: dict[int, float] = {}
    for ranked, strength in _strengths(keyword, semantic, texts, term_pattern(terms), photos):
        for rank, (cid, value) in enumerate(ranked, start=1):
            fused[cid] = fused.get(cid, 0.0) + strength(cid, value) / (k + rank)
    return fused


Strength = Callable[[int, float], float]


def _strengths(keyword: Sequence[tuple[int, float]], semantic: Sequence[tuple[int, float]], texts: dict[int, str],
               matcher: "Matcher | None", photos: Sequence[tuple[int, float]],
               by_coverage: bool = True) -> list[tuple[Sequence[tuple[int, float]], Strength]]:
    """Each list with how strong one of its entries is: a keyword match by the query's words its passage
    holds (by_coverage=False: all alike, BM25's order alone), a passage by its cosine. Text-to-photo
    cosines of CLIP models sit in a narrow band (~0.15-0.35) unlike text-to-text ones, so a photo's
    strength is its cosine relative to the best photo of this query."""
    best_photo = max((cos for _, cos in photos), default=0.0)

    def words_held(cid: int, _: float) -> float:
        if not by_coverage:
            return 1.0
        return matcher.coverage(texts.get(cid, "")) if matcher is not None else 0.0

    return [(keyword, words_held),
            (semantic, lambda _, cos: max(cos, 0.0)),
            (photos, lambda _, cos: max(cos, 0.0) / best_photo if best_photo > 0 else 0.0)]


def file_key(row: ChunkRow) -> int | str:
    """What makes passages one hit: their file, and copies of one file (same content) are one file."""
    return row.hash or row.file_id


def group_by_file(fused: dict[int, float], rows: dict[int, ChunkRow]) -> list[tuple[float, ChunkRow]]:
    """One hit per file (its best passage), so a long document does not fill the page; copies of one
    file (same content in two folders, "report (1).pdf") are one hit too, the best-ranked copy's."""
    best: dict[int | str, tuple[float, ChunkRow]] = {}
    for cid, score in fused.items():
        row = rows.get(cid)
        if row is None:
            continue
        key = file_key(row)
        cur = best.get(key)
        if cur is None or (-score, row.path) < (-cur[0], cur[1].path):
            best[key] = (score, row)
    return sorted(best.values(), key=lambda t: (-t[0], t[1].path))


def _idf(stems: Sequence[str], frequencies: dict[str, int] | None, passages: int) -> float:
    """A term's weight in coverage: BM25's inverse document frequency of its rarest word, so a passage
    holding the rare words of a long question covers more of it than one holding its common words.
    Equal weights when the frequencies are unknown."""
    if not frequencies or not stems or passages <= 0:
        return 1.0
    df = min(frequencies.get(s, 0) for s in stems)
    return math.log(1.0 + (passages - df + 0.5) / (df + 0.5))


STEM_WEIGHT = 0.9
"""A term present only in another word form counts this much (its exact form: 1)."""


class Matcher:
    """A query's words, compiled once per query (not once per passage): where they occur in a text, in
    their exact form (longer words also as prefixes: month -> months, monthly) or in any form with the
    same Porter stem (develop -> developing, developed), and how much of the query a passage holds.

    One regex finds every word that could be a form of a query word (it starts like the word's stem);
    each is then judged by its exact form or its stem, so a passage is read once per query."""

    def __init__(self, terms: Sequence[str], frequencies: dict[str, int] | None = None, passages: int = 0) -> None:
        self.terms = [t for t in dict.fromkeys(t.lower() for t in terms) if words.significant(t)]
        self.stems = {t: words.term_stems(t) for t in self.terms}
        self.cjk = [t for t in self.terms if words.is_cjk(t)]  # pairs of CJK characters: found as they are
        spelled = [t for t in self.terms if t not in self.cjk]
        self.compound = {t for t in spelled if not t.isalnum()}  # "birth-weight", "tcr/cd3", "2024-0042"
        self.joined = {t: words.stem(one) for t in self.compound if (one := words.joined(t)) is not None}
        self.long = [t for t in spelled if len(t) >= 4 and t not in self.compound]
        self.wanted = {s for st in self.stems.values() for s in st} | set(self.joined.values())
        heads = {w: words.fold(w) for t in spelled for w in re.findall(r"\w+", t)}
        prefixes = {_common_prefix(heads[w], words.stem(w)) for w in heads} | \
            {s[: max(len(s) - 1, 2)] for s in self.joined.values()}
        alts = sorted((p for p in prefixes if p), key=len, reverse=True)
        forms = r"(?<!\w)(?:" + "|".join(map(re.escape, alts)) + r")\w*"
        self.candidates = re.compile(forms, re.IGNORECASE) if alts else None
        # The same over lowercased text, for coverage (which needs the words, not where they are): without
        # IGNORECASE, Python's matcher is ~1.8x faster, and coverage runs over every keyword candidate.
        self._lowered = re.compile(forms) if alts else None
        self.cjk_pattern = re.compile("|".join(map(re.escape, sorted(self.cjk, key=len, reverse=True)))) \
            if self.cjk else None
        self.weights = {t: _idf(self.stems[t], frequencies, passages) for t in self.terms}
        for t in self.cjk:  # a pair across two words of the question ("守丢") is in no text: it weighs nothing
            if frequencies and passages > 0 and not frequencies.get(t):
                self.weights[t] = 0.0
        self.total_weight = sum(self.weights.values())

    def _exactish(self, word: str) -> bool:
        """A query word itself, or (longer words) a word it begins: month -> months, monthly."""
        return word in self.stems or any(word.startswith(t) for t in self.long)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where the query's words occur (case-insensitive, any word form), in order."""
        found = [] if self.candidates is None else \
            [m.span() for m in self.candidates.finditer(text)
             if self._exactish(m.group().lower()) or words.stem(m.group()) in self.wanted]
        if self.cjk_pattern is None:
            return found
        merged: list[tuple[int, int]] = []  # overlapping pairs ("黑豹", "豹队") highlight as one run
        for a, b in sorted(found + _overlapping(self.cjk_pattern, text)):
            if merged and a <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
            else:
                merged.append((a, b))
        return merged

    def search(self, text: str) -> bool:
        return bool(self.spans(text))

    def coverage(self, text: str) -> float:
        if not self.terms or not self.total_weight:
            return 0.0
        total = sum(self.weights[t] for t in self.cjk if t in text)
        if self._lowered is None:
            return total / self.total_weight
        seen = set(self._lowered.findall(text.lower()))
        stems = {words.stem(w) for w in seen}
        lowered: str | None = None
        unhyphenated: str | None = None
        for t in self.terms:
            if t in self.cjk:
                continue
            if t in self.compound:
                lowered = text.lower() if lowered is None else lowered
                exact = t in lowered
            else:
                exact = t in seen or (t in self.long and any(w.startswith(t) for w in seen))
            if exact:
                total += self.weights[t]
            elif all(s in stems for s in self.stems[t]) or self.joined.get(t) in stems:
                total += STEM_WEIGHT * self.weights[t]
            elif t in self.long and ("-" in text or "/" in text):  # "birthweight" asked, "birth-weight" written
                if unhyphenated is None:
                    unhyphenated = text.lower().replace("-", "").replace("/", "")
                if t in unhyphenated and re.search(r"(?<!\w)" + re.escape(t), unhyphenated):
                    total += STEM_WEIGHT * self.weights[t]
        return total / self.total_weight


def _overlapping(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    """Every match, overlapping ones too ("黑豹" and "豹队" in "黑豹队")."""
    out, at = [], 0
    while (m := pattern.search(text, at)) is not None:
        out.append(m.span())
        at = m.start() + 1
    return out


def _common_prefix(a: str, b: str) -> str:
    """Where a word and its stem agree ("happy", "happi" -> "happ"): every form starts so."""
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[: max(n, min(2, len(a)))]


def relative_name(path: str, roots: Sequence[str]) -> str:
    """A file's path inside its folder, as the keyword index holds it (store.keywords.name_of)."""
    inside = [r for r in roots if r != "/" and path.startswith(r + "/")]
    return path[len(max(inside, key=len)) + 1:] if inside else path


def fuse_files(keyword: Sequence[tuple[int, float]], semantic: Sequence[tuple[int, float]],
               rows: dict[int, ChunkRow], texts: dict[int, str], matcher: "Matcher | None", k: int = RRF_K,
               photos: Sequence[tuple[int, float]] = (), by_coverage: bool = True,
               gate: cutoff.Gate | None = None,
               strengths: dict[int | str, float] | None = None) -> list[tuple[float, ChunkRow]]:
    """One hit per file: RRF over files, each list voting once per file at the rank of the file's best
    passage in it, scaled by that passage's strength (as weighted_rrf). A file's keyword evidence and
    its meaning evidence may come from different passages (the words in its first, the closest
    paraphrase in its second) and still add up. The passage shown is the one with the most evidence
    of its own. Only `rows` (the passages the filters accept) take part; copies of one file are one.
    by_coverage=False: keyword votes by rank alone (BM25's own order, for a keywords-only list).
    gate: only files with enough evidence are kept (see cutoff); photos found in a CLIP model's photo
    space are not gated (no threshold is measured for such models). strengths, if given, receives each
    kept file's match strength (cutoff.strength) by file_key."""
    score: dict[int | str, float] = {}
    own: dict[int, float] = {}  # each passage's evidence of its own (weighted_rrf), to pick the one shown
    evidence: dict[int | str, list[float]] = {}  # file -> [best coverage, best cosine, found in the photo space]
    for which, (ranked, strength) in enumerate(_strengths(keyword, semantic, texts, matcher, photos, by_coverage)):
        voted: set[int | str] = set()
        for rank, (cid, value) in enumerate(ranked, start=1):
            row = rows.get(cid)
            if row is None:
                continue
            key = file_key(row)
            vote = strength(cid, value)
            own[cid] = own.get(cid, 0.0) + vote / (k + rank)
            if key not in voted:
                voted.add(key)
                score[key] = score.get(key, 0.0) + vote / (k + len(voted))
            seen = evidence.setdefault(key, [0.0, -2.0, 0.0])
            seen[which] = max(seen[which], vote if which == 0 else value if which == 1 else 1.0)
    hits = [(score[file_key(row)], row) for _, row in group_by_file(own, rows)]
    if gate is not None and by_coverage:
        kept = []
        for s, row in hits:
            coverage, best_cosine, in_photo_space = evidence[file_key(row)]
            cosine = best_cosine if best_cosine > -2 else None
            if in_photo_space or cutoff.shown(gate, row.kind, coverage, cosine):
                kept.append((s, row))
                if strengths is not None:
                    strengths[file_key(row)] = max(in_photo_space, cutoff.strength(gate, row.kind, coverage, cosine))
        hits = kept
    return sorted(hits, key=lambda t: (-t[0], t[1].path))


def term_pattern(terms: Sequence[str], frequencies: dict[str, int] | None = None,
                 passages: int = 0) -> Matcher | None:
    """The query's words compiled once per query (None when it has none worth matching); with the index's
    document frequencies, coverage weighs each word by how rare it is."""
    matcher = Matcher(terms, frequencies, passages)
    return matcher if matcher.terms else None


def match_spans(text: str, terms: Sequence[str], pattern: Matcher | None = None) -> list[tuple[int, int]]:
    """Where the query's words occur in a passage (case-insensitive, any word form), for highlighting."""
    pattern = pattern if pattern is not None else term_pattern(terms)
    return pattern.spans(text) if pattern is not None else []


_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n+")
ELLIPSIS = "…"


def _best_sentence_start(text: str, spans: list[tuple[int, int]]) -> int:
    """Where the sentence holding the most different query words begins (the first such; 0 without spans)."""
    if not spans:
        return 0
    starts = [0] + [m.end() for m in _SENTENCE_END.finditer(text)]
    best, best_count = starts[0], -1
    for i, begin in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        held = {words.stem(text[a:b]) for a, b in spans if begin <= a and b <= end}
        if len(held) > best_count:
            best, best_count = begin, len(held)
    return best


def make_snippet(text: str, spans: list[tuple[int, int]],
                 width: int = 320) -> tuple[str, int, int, list[tuple[int, int]]]:
    """The part of a passage to show: from the sentence that holds the most different query words, cut at
    word boundaries, with an ellipsis where text is left out. Returns (snippet, start, end, spans):
    start and end place the shown text in the passage (the ellipses are not in it); spans are in the
    snippet."""
    if len(text) <= width:
        return text, 0, len(text), spans
    sentence = _best_sentence_start(text, spans)
    first = next((a for a, _ in spans if a >= sentence), sentence)
    start = sentence if first - sentence < width * 2 // 3 else first - width // 3  # the match stays in view
    start = max(0, min(start, len(text) - width))
    if start and not text[start - 1].isspace():  # never begin inside a word
        space = text.find(" ", start, start + 30)
        start = space + 1 if space >= 0 else start
    end = min(len(text), start + width)
    if end < len(text) and not text[end].isspace():  # nor end inside one
        space = text.rfind(" ", start + width // 2, end)
        end = space if space > 0 else end
    lead = ELLIPSIS if start > 0 else ""
    snippet = lead + text[start:end].strip() + (ELLIPSIS if end < len(text) else "")
    shift = len(lead) - start - (len(text[start:end]) - len(text[start:end].lstrip()))
    inside = [(a + shift, b + shift) for a, b in spans if a >= start and b <= end]
    return snippet, start, end, inside


def explain(row: ChunkRow, spans: Sequence[tuple[int, int]], pattern: Matcher | None,
            by_meaning: bool, by_look: bool = False) -> list[str]:
    """Why a hit is shown, in words a person reads: the query words its passage holds, its file name,
    closeness in meaning, the page. The score says how much; this says what."""
    why: list[str] = []
    forms: dict[str, str] = {}  # one form per word stem: "monthly" and "month" are one word of the query
    for a, b in spans:
        forms.setdefault(words.stem(row.text[a:b]), row.text[a:b].lower())
    held = list(forms.values())
    if held:
        why.append("words: " + ", ".join(held[:5]) + (" …" if len(held) > 5 else ""))
    if pattern is not None and pattern.search(os.path.basename(row.path)):
        why.append("file name")
    if by_meaning:
        why.append("meaning")
    if by_look:
        why.append("looks like the words")
    if row.page is not None:
        why.append(f"page {row.page}")
    return why


def to_hit(score: float, row: ChunkRow, terms: Sequence[str], pattern: Matcher | None = None,
           why: Sequence[str] | None = None, by_meaning: bool = False, by_look: bool = False) -> Hit:
    """One file's hit; `why` given (a photo look-alike) or explained from the words and lists that found it."""
    spans = match_spans(row.text, terms, pattern)
    snippet, begin, end, inside = make_snippet(row.text, spans)
    if why is None:
        why = explain(row, spans, pattern if pattern is not None else term_pattern(terms), by_meaning, by_look)
    return Hit(path=row.path, kind=row.kind, score=score, snippet=snippet, collection=row.collection,
               start=row.start + begin, end=row.start + end, page=row.page, chunk_id=row.id,
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
    file_type: str | None = None  # a key of FILE_TYPES, or one extension (".docx")
    modified_after: float | None = None  # epoch seconds
    modified_before: float | None = None
    mode: str = "hybrid"  # "hybrid" | "keywords" (BM25 alone) | "meaning" (vectors alone)
    folder: str | None = None  # inside this folder: a name, a relative path or a full path (query_syntax.in_folder)
    phrases: Sequence[str] = ()  # every result holds each of these phrases
    excluded: Sequence[str] = ()  # no result holds any of these words or phrases
    sort: str = "relevance"  # one of query_syntax.SORTS: "relevance" | "modified" (newest first) | "name"
    # The text as given, no operators in it: for text a person did not type as a search (a pasted paragraph,
    # a program's input, an IR collection's questions), whose quotes and dashes are prose, not a demand.
    literal: bool = False

    def with_syntax(self) -> "tuple[Query, list[str]]":
        """This query with its text's operators (query_syntax) applied: the text they leave, and the
        filters they set (an operator wins over the same filter set beside it); plus why any operator was
        left out. A literal query is itself."""
        if self.literal:
            return self, []
        parsed = query_syntax.parse(self.text)
        return replace(
            self, text=parsed.text, kind=parsed.kind or self.kind, file_type=parsed.file_type or self.file_type,
            modified_after=parsed.after if parsed.after is not None else self.modified_after,
            modified_before=parsed.before if parsed.before is not None else self.modified_before,
            folder=parsed.folder or self.folder, phrases=(*self.phrases, *parsed.phrases),
            excluded=(*self.excluded, *parsed.excluded)), list(parsed.problems)

    def accepts(self, row: ChunkRow) -> bool:
        """The filters that are not about words: kind, file type, modification time."""
        if self.kind and row.kind != self.kind:
            return False
        if self.file_type:
            ext = os.path.splitext(row.path)[1].lower()
            if ext not in filetypes.FILE_TYPES.get(self.file_type, {self.file_type}):  # a type, or one extension
                return False
        mtime = (row.mtime_ns or 0) / 1e9
        if self.modified_after is not None and mtime < self.modified_after:
            return False
        return self.modified_before is None or mtime <= self.modified_before


def candidates(k: int) -> int:
    """Per-list depth: deep enough that grouping by file still leaves k files."""
    return max(50, 5 * k)
