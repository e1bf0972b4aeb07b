"""Chinese, Japanese and Korean are written without spaces between words: a word inside a sentence is
found by keyword (both keyword engines, and through the Service), highlighted where it is, and counts
as the words it matched; an exact phrase and a single character too. An older catalog is re-indexed."""

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from localsearch.core import search, words
from localsearch.core.search import Query
from localsearch.core.store import keywords, schema, wordindex, wordsync
from localsearch.core.store.catalog import Catalog, FileResult
from localsearch.core.types import Chunk

PANTHERS = "黑豹队的防守只丢了308分，在联赛中排名第六。"
WEATHER = "今天的天气很好，我们去公园散步。"
CATS = "我家的猫喜欢睡觉。"
JAPANESE = "東京の会議は来週の月曜日に延期されました。"


def doc(path: str, *texts: str) -> FileResult:
    chunks = [Chunk(0, len(t), t) for t in texts]
    return FileResult(path.encode(), 10, 1, "h" + path, "document", chunks, np.ones((len(texts), 4), np.float32) / 2)


@pytest.fixture
def docs(cat: Catalog) -> Catalog:
    col = cat.ensure_collection("c")
    cat.add_root(col.id, "/d")
    cat.commit_files(col.id, [doc("/d/panthers.txt", PANTHERS), doc("/d/weather.txt", WEATHER),
                              doc("/d/cats.txt", CATS), doc("/d/tokyo.txt", JAPANESE),
                              doc("/d/english.txt", "The defence conceded 308 points.")])
    return cat


def fts5(cat: Catalog, query: str) -> list[str]:
    ids = [i for i, _ in cat.keyword_search(search.fts_query(query), [1], 50)]
    rows = cat.chunk_rows(ids)
    return sorted(rows[i].path for i in ids)


def tantivy(cat: Catalog, folder: Path, query: str) -> list[str]:
    sync = wordsync.WordSync(folder, cat.conn)
    assert sync.build()
    sync.close()
    index = wordindex.WordIndex(folder)
    assert index.refresh() is not None
    assert index.spot_check(cat.conn, samples=5), "passages in Chinese pass the index's own spot check"
    ids = [i for i, _ in index.search(search.term_alternatives(query), [1], 50)]
    rows = cat.chunk_rows(ids)
    return sorted(rows[i].path for i in ids)


def test_pairs_of_characters_are_what_the_index_and_the_query_hold() -> None:
    assert words.spaced("黑豹队 NFL") == " 黑豹 豹队  NFL"
    assert search.keyword_terms("防守丢了多少分") == ["防守", "守丢", "丢了", "了多", "多少", "少分"]
    assert search.keyword_terms("猫") == ["猫"]
    held = words.indexed_text("我家的猫")
    assert "我家 家的 的猫" in held and "我 家 的 猫" in held, "pairs in order (phrases), then each character"
    assert words.indexed_text("plain English text") == "plain English text"


@pytest.mark.parametrize("query, expected", [
    ("防守", ["/d/panthers.txt"]),  # a word inside a sentence
    ("天气", ["/d/weather.txt"]),
    ("猫", ["/d/cats.txt"]),  # one character
    ("会議", ["/d/tokyo.txt"]),  # Japanese kanji
    ("月曜日", ["/d/tokyo.txt"]),
    ("308", ["/d/english.txt", "/d/panthers.txt"]),  # digits next to Chinese stay a word of their own
])
def test_a_word_inside_a_sentence_is_found_by_both_engines(docs: Catalog, tmp_path: Path, query: str,
                                                           expected: list[str]) -> None:
    assert fts5(docs, query) == expected
    if wordindex.available():
        assert tantivy(docs, tmp_path / "words", query) == expected


def test_a_word_is_highlighted_and_counts_as_covered() -> None:
    pattern = search.Matcher(search.keyword_terms("黑豹队的防守"))
    spans = pattern.spans(PANTHERS)
    assert [PANTHERS[a:b] for a, b in spans] == ["黑豹队的防守"], "overlapping pairs highlight as one run"
    assert pattern.coverage(PANTHERS) == 1.0
    assert pattern.coverage(WEATHER) == 0.0


def test_pairs_no_text_holds_weigh_nothing() -> None:
    """"防守丢了多少分" holds the pairs "守丢", "了多", "少分" that straddle its words and occur nowhere: a
    passage holding its words covers the question anyway."""
    terms = search.keyword_terms("防守丢了多少分")
    frequencies = {"防守": 3, "丢了": 5, "多少": 40, "守丢": 0, "了多": 0, "少分": 0}
    pattern = search.Matcher(terms, frequencies, passages=1000)
    assert pattern.coverage("他们的防守丢了很多分，多少不清楚") == 1.0
    assert pattern.coverage(WEATHER) == 0.0


def test_through_the_service_an_exact_phrase_and_a_word_find_the_file(service, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "panthers.txt").write_text(PANTHERS, encoding="utf-8")
    (folder / "weather.txt").write_text(WEATHER, encoding="utf-8")
    (folder / "english.txt").write_text("Defence statistics of the season.", encoding="utf-8")
    service.index("docs", [str(folder)])
    for query in ("防守", "黑豹队的防守", '"排名第六"', "黑豹 -天气"):
        hits = service.search(Query(query, k=5)).hits
        assert [h.path for h in hits] == [str(folder / "panthers.txt")], query
    assert service.search(Query('"防守排名"', k=5)).hits == [], "a phrase is its characters in that order"
    hit = service.search(Query("防守", k=5)).hits[0]
    assert "防守" in hit.snippet


def test_an_older_catalog_indexes_its_cjk_passages_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "catalog.sqlite3"
    with monkeypatch.context() as m:  # a catalog of schema 7, the Chinese sentence held as one token
        m.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:7])
        m.setattr(schema, "SCHEMA_VERSION", 7)
        Catalog(path).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO collections(id, name, created) VALUES (1, 'c', 0)")
    for fid, (name, text) in enumerate([("panthers.txt", PANTHERS), ("english.txt", "Defence statistics.")], 1):
        conn.execute("INSERT INTO files(id, collection_id, raw_path, path, status, indexed_at) VALUES (?, 1, ?, ?,"
                     " 'ok', 0)", (fid, f"/d/{name}".encode(), f"/d/{name}"))
        conn.execute("INSERT INTO chunks(id, file_id, ord, start, end, text) VALUES (?, ?, 0, 0, ?, ?)",
                     (fid, fid, len(text), text))
        conn.execute(f"INSERT INTO {keywords.TABLE}(rowid, text, name) VALUES (?, ?, ?)", (fid, text, name))
    conn.commit()
    assert conn.execute(f"SELECT count(*) FROM {keywords.TABLE} WHERE {keywords.TABLE} MATCH '防守'").fetchone()[0] == 0
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 7
    conn.close()
    cat = Catalog(path)  # the migration itself reads no passages: it must not hold searches up
    try:
        assert cat.conn.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
        # schema 12 fills a new keyword index (contentless) with every passage in today's form, which
        # re-indexes these too; the old index serves meanwhile
        assert keywords.filling(cat.conn)
        assert cat.conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (keywords.RECHECK,)).fetchone() is None
        assert keywords.serving_table(cat.conn) == keywords.OLD_TABLE
        assert fts5(cat, "防守") == [] and fts5(cat, "statistics") == ["/d/english.txt"], "the writer's work, later"
        assert not keywords.fill_step(cat.conn, batch=1), "bounded steps, one transaction each"
        assert keywords.fill(cat.conn)
        assert keywords.serving_table(cat.conn) == keywords.TABLE
        assert fts5(cat, "防守") == ["/d/panthers.txt"]
        assert fts5(cat, "statistics") == ["/d/english.txt"]
        tables = {r[0] for r in cat.conn.execute("SELECT name FROM sqlite_master")}
        assert keywords.OLD_TABLE not in tables and f"{keywords.TABLE}_content" not in tables
    finally:
        cat.close()


def test_a_collection_mostly_in_chinese_suggests_the_multilingual_model(cat: Catalog) -> None:
    from localsearch.core import status
    from localsearch.core.embed import multilingual
    from localsearch.core.embed.sentence import DEFAULT_MODEL_ID

    chinese, english = cat.ensure_collection("zh"), cat.ensure_collection("en")
    for col in (chinese, english):
        cat.set_model(col.id, DEFAULT_MODEL_ID, 4)
    cat.commit_files(chinese.id, [doc("/zh/a.txt", PANTHERS), doc("/zh/b.txt", WEATHER), doc("/zh/c.txt", "Notes.")])
    cat.commit_files(english.id, [doc(f"/en/{i}.txt", f"English note number {i}.") for i in range(4)]
                     + [doc("/en/cat.txt", CATS)])
    hint = status.language_hint(cat, cat.collection("zh"), DEFAULT_MODEL_ID)
    assert hint is not None and "Chinese, Japanese or Korean" in hint and "multilingual" in hint
    assert status.language_hint(cat, cat.collection("en"), DEFAULT_MODEL_ID) is None, "one Chinese note in five"
    assert status.language_hint(cat, cat.collection("zh"), multilingual.MODEL_ID) is None, "already chosen"
    cat.set_model(chinese.id, multilingual.MODEL_ID, 384)
    assert status.language_hint(cat, cat.collection("zh"), multilingual.MODEL_ID) is None, "already multilingual"
