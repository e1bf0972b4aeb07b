"""A second keyword index (tantivy) that answers in milliseconds at any size: the catalog's passages and
file names again, searched with top-k pruning (block-max WAND) where FTS5 reads and scores every posting
of every query word (bench/README.md: keyword stage at 1M passages, p95 ~2 ms against 15-29 ms).

It is a derived cache, like the vector indexes: SQLite stays the truth, the ids are chunk ids, and it
is only used when it is known to be complete and current. Every change to the passages a search can see
is logged in the catalog by triggers (keyword_changes, in the same transaction as the change); this index
records, in the same tantivy commit as its documents, the last change it holds and which catalog it
belongs to. A search uses it when those say it is current, after a spot check; else it answers from
FTS5 as before. Only the writer changes it (see wordsync); tantivy commits are atomic, so a crash leaves
the last commit, which the next writer brings up to date from the log.
"""

import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from localsearch.core import log, words
from localsearch.core.store import changelog
from localsearch.core.store.catalog import random_passages

try:
    import tantivy
except ImportError:  # pragma: no cover - a core dependency; without it every search uses FTS5
    tantivy = None  # type: ignore[assignment]

VERSION = 2
"""Bumped when the schema or the analyzer changes: an index of another version is rebuilt.
2: CJK runs held as their pairs of characters (words.indexed_text)."""
ANALYZER = "localsearch_words"
BOOST_NAME = 0.5
"""A word of the file name counts half a word of the text, as FTS5's bm25(.., 1.0, 0.5) weighs them."""
LONGEST_WORD = 255


def available() -> bool:
    return tantivy is not None


def analyzer() -> Any:
    """Words as the index holds them: split on anything not a letter or digit, lower case, accents folded,
    Snowball-English stems (words.stem uses the same stemmer, so coverage and highlighting agree)."""
    return (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
            .filter(tantivy.Filter.remove_long(LONGEST_WORD))
            .filter(tantivy.Filter.lowercase())
            .filter(tantivy.Filter.ascii_fold())
            .filter(tantivy.Filter.stemmer("english"))
            .build())


def schema() -> Any:
    b = tantivy.SchemaBuilder()
    b.add_unsigned_field("id", indexed=True, fast=True)
    b.add_unsigned_field("col", indexed=True)
    b.add_text_field("body", tokenizer_name=ANALYZER, index_option="position")
    b.add_text_field("name", tokenizer_name=ANALYZER, index_option="position")
    # The one state document: which catalog, the last change held, how far a build has come.
    b.add_unsigned_field("meta", indexed=True)
    b.add_unsigned_field("seq", stored=True)
    b.add_unsigned_field("built_to", stored=True)
    b.add_unsigned_field("complete", stored=True)
    b.add_unsigned_field("version", stored=True)
    b.add_text_field("catalog", stored=True, tokenizer_name="raw")
    b.add_text_field("build", stored=True, tokenizer_name="raw")
    return b.build()


@dataclass(frozen=True)
class State:
    catalog: str
    seq: int
    built_to: int
    complete: bool
    version: int
    build: str
    """A new one per build: a rebuilt index is told apart from the damaged one it replaces."""

    def current(self, catalog: str, last_change: int) -> bool:
        """Complete, of this schema, for this catalog, and holding its every change."""
        return self.complete and self.version == VERSION and self.catalog == catalog and self.seq >= last_change


def open_index(folder: Path, create: bool = False) -> Any:
    """The tantivy index in `folder` with our analyzer registered; raises ValueError when it is damaged
    or absent (create: make an empty one)."""
    if create:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        index = tantivy.Index(schema(), path=str(folder), reuse=True)
    else:
        if not (folder / "meta.json").is_file():
            raise ValueError("no keyword index here")
        index = tantivy.Index.open(str(folder))
    index.register_tokenizer(ANALYZER, analyzer())
    return index


def wipe(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def read_state(index: Any, searcher: Any) -> State | None:
    found = searcher.search(tantivy.Query.term_query(index.schema, "meta", 1), 1).hits
    if not found:
        return None
    doc = searcher.doc(found[0][1])
    return State(str(doc.get_first("catalog")), int(doc.get_first("seq")), int(doc.get_first("built_to")),
                 bool(doc.get_first("complete")), int(doc.get_first("version")), str(doc.get_first("build")))


def document(row: changelog.Row) -> Any:
    """A passage as this index holds it: its text as the keyword index writes it, its file's name."""
    cid, text, col, name = row
    doc = tantivy.Document()
    doc.add_unsigned("id", cid)
    doc.add_unsigned("col", col)
    doc.add_text("body", words.indexed_text(text))
    doc.add_text("name", words.spaced(name))
    return doc


def term_set(index: Any, field: str, values: list[int]) -> Any:
    """A query for these unsigned values (a plain term deletion would look for signed ones)."""
    return tantivy.Query.term_set_query(index.schema, field, values)


def state_document(state: State) -> Any:
    doc = tantivy.Document()
    doc.add_unsigned("meta", 1)
    doc.add_text("catalog", state.catalog)
    doc.add_text("build", state.build)
    for field in ("seq", "built_to", "version"):
        doc.add_unsigned(field, getattr(state, field))
    doc.add_unsigned("complete", int(state.complete))
    return doc


class WordIndex:
    """The read side: one per searching process; safe to use from several threads."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._index: Any = None
        self._searcher: Any = None
        self._analyzer: Any = analyzer() if available() else None
        self.state: State | None = None
        self.broken = False

    def refresh(self) -> State | None:
        """Open, or see the writer's latest commit; None when there is no usable index."""
        if not available():
            return None
        try:
            if self._index is not None:
                try:
                    self._index.reload()
                except ValueError:  # the writer built it again from scratch: open the new one
                    self._index = None
            if self._index is None:
                self._index = open_index(self.folder)
            self._searcher = self._index.searcher()
            self.state = read_state(self._index, self._searcher)
            self.broken = False
        except (ValueError, OSError) as e:
            if not self.broken:
                log.search.info("the fast keyword index is not usable (%s); searching the catalog's own", e)
            self._index = self._searcher = self.state = None
            self.broken = True
        return self.state

    def passages(self) -> int:
        searcher = self._searcher
        return max(int(searcher.num_docs) - 1, 0) if searcher is not None else 0  # less the state document

    def spot_check(self, conn: sqlite3.Connection, samples: int = 3) -> bool:
        """A few passages picked at random from the catalog are held here with their words: a damaged
        or stale index is caught before it answers. Cheap (a few point lookups)."""
        return all(self.holds(cid, text) for cid, text in random_passages(conn, samples))

    def tokens(self, text: str) -> list[str]:
        return [str(t) for t in self._analyzer.analyze(text)]

    def query(self, schema: Any, terms: list[list[str]], collection_ids: list[int] | None) -> Any:
        """Each term (a compound as a phrase, or written as one word) in the text or, half-weighted, the
        file name; any term may match (OR), BM25 ranks. A term is its alternatives: ["birth-weight",
        "birthweight"]."""
        q = tantivy.Query
        alternatives = []
        for term in terms:
            for field, boost in (("body", 1.0), ("name", BOOST_NAME)):
                for spelling in term:
                    toks = self.tokens(spelling)
                    if not toks:
                        continue
                    phrase: list[str | tuple[int, str]] = list(toks)
                    one = (q.term_query(schema, field, toks[0]) if len(toks) == 1
                           else q.phrase_query(schema, field, phrase))
                    alternatives.append((tantivy.Occur.Should, one if boost == 1.0 else q.boost_query(one, boost)))
        if not alternatives:
            return None
        found = q.boolean_query(alternatives)
        if collection_ids is None:
            return found
        within = q.term_set_query(schema, "col", list(collection_ids))
        return q.boolean_query([(tantivy.Occur.Must, found), (tantivy.Occur.Must, within)])

    def search(self, terms: list[list[str]], collection_ids: list[int] | None, limit: int) -> list[tuple[int, float]]:
        """Top `limit` passages as (chunk id, -BM25): lower is better, as FTS5's bm25() reports."""
        index, searcher = self._index, self._searcher  # one state throughout, whatever refresh() does meanwhile
        if index is None or searcher is None:
            raise ValueError("the fast keyword index was closed")
        query = self.query(index.schema, terms, collection_ids)
        if query is None:
            return []
        hits = searcher.search(query, limit, count=False).hits
        ids = searcher.fast_field_values("id", [address for _, address in hits])
        return [(int(cid), -float(score)) for (score, _), cid in zip(hits, ids) if cid is not None]

    def holds(self, chunk_id: int, text: str) -> bool:
        """Whether the passage `chunk_id` is held with the words of `text` (a spot check of the index)."""
        toks = [t for t in self.tokens(words.indexed_text(text)) if len(t) > 2 or words.is_cjk(t)][:3]
        if not toks or self._searcher is None:
            return True
        q = tantivy.Query
        schema = self._index.schema
        must = [(tantivy.Occur.Must, q.term_query(schema, "id", chunk_id))]
        must += [(tantivy.Occur.Must, q.term_query(schema, "body", t)) for t in toks]
        return int(self._searcher.search(q.boolean_query(must), 1).count) == 1

    def document_frequencies(self, stems: list[str]) -> dict[str, int]:
        searcher = self._searcher
        return {s: int(searcher.doc_freq("body", s)) for s in stems} if searcher is not None else {}
