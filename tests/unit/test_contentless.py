"""The keyword index keeps no copy of the passages (contentless FTS5): a row is forgotten only when told the
words it was given. After every kind of change (a file edited, deleted, renamed, its folder re-pointed,
removed, a collection removed, a rename while an older index is being replaced) the index must hold exactly
what indexing the catalog afresh gives: no word of a passage that is gone, none missing."""

import sqlite3
from pathlib import Path

import pytest

from localsearch.core import folders, paths, search
from localsearch.core.embed.hashing import HashingEmbedder
from localsearch.core.service import Service
from localsearch.core.settings import Settings
from localsearch.core.store import keywords, schema
from localsearch.core.store.catalog import Catalog


def vocabulary(conn: sqlite3.Connection, table: str, db: str = "main") -> dict[str, tuple[int, int]]:
    conn.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.v_{table} USING fts5vocab({db}, {table}, 'row')")
    return {str(t): (int(d), int(c)) for t, d, c in conn.execute(f"SELECT term, doc, cnt FROM temp.v_{table}")}


def matches_a_fresh_index(cat: Catalog) -> None:
    """The index's words (term -> passages, occurrences) equal those of an index filled from the catalog now."""
    conn = cat.conn
    conn.execute("DROP TABLE IF EXISTS temp.fresh")
    conn.execute("DROP TABLE IF EXISTS temp.v_fresh")
    conn.execute("CREATE VIRTUAL TABLE temp.fresh USING fts5(text, name, tokenize = 'porter unicode61 remove_diacritics 2')")
    conn.execute(f"INSERT INTO temp.fresh(rowid, text, name) SELECT ch.id, {keywords.WORDS_FN}(ch.text),"
                 f" {keywords.name_of('ch.file_id')} FROM chunks ch")
    assert vocabulary(conn, keywords.TABLE) == vocabulary(conn, "fresh", "temp")
    held = {r[0] for r in conn.execute(f"SELECT rowid FROM {keywords.TABLE}")}
    assert held == {r[0] for r in conn.execute("SELECT id FROM chunks")}


def words(service: Service, query: str) -> list[str]:
    ids = [i for i, _ in service.catalog.keyword_search(search.fts_query(query), [c.id for c in service.catalog.collections()], 50)]
    rows = service.catalog.chunk_rows(ids)
    return sorted({Path(rows[i].path).name for i in ids})


@pytest.fixture
def service(tmp_path: Path):
    s = Service(paths.resolve(tmp_path / "home"), Settings(text_model="hashing", ocr=False), HashingEmbedder())
    yield s
    s.close()


def test_every_change_leaves_the_index_as_a_fresh_one(service: Service, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "alpha.txt").write_text("granite quarry near the harbour " * 30)
    (docs / "beta.txt").write_text("ferry timetable for the winter months " * 30)
    (docs / "sub" / "gamma.txt").write_text("invoice for the plumbing repair, quarry road " * 30)
    service.index("docs", [str(docs)])
    cat = service.catalog
    matches_a_fresh_index(cat)
    assert cat.conn.execute(f"SELECT text, name FROM {keywords.TABLE} LIMIT 1").fetchone() == (None, None), \
        "no copy of the text"

    (docs / "alpha.txt").write_text("basalt columns by the sea " * 30)  # edited: old passages out, new in
    service.index("docs")
    matches_a_fresh_index(cat)
    assert words(service, "granite") == [] and words(service, "basalt") == ["alpha.txt"]

    (docs / "beta.txt").rename(docs / "sub" / "ferries.txt")  # moved: same passages, a new name
    service.index("docs")
    matches_a_fresh_index(cat)
    assert words(service, "ferries") == ["ferries.txt"] and words(service, "beta") == []

    (docs / "sub" / "gamma.txt").unlink()
    service.index("docs")
    matches_a_fresh_index(cat)
    assert words(service, "plumbing") == []

    moved = tmp_path / "elsewhere"
    docs.rename(moved)  # the whole folder moved, then re-pointed: names inside it are the same
    folders.move(cat, "docs", str(docs), str(moved))
    matches_a_fresh_index(cat)
    assert words(service, "ferries") == ["ferries.txt"]

    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "delta.txt").write_text("lighthouse keeper's logbook " * 30)
    service.index("docs", [str(extra)])
    matches_a_fresh_index(cat)
    assert words(service, "lighthouse") == ["delta.txt"]
    folders.remove(cat, service.paths.vectors, "docs", str(extra))  # its folder's row goes before its files
    matches_a_fresh_index(cat)
    assert words(service, "lighthouse") == []

    service.remove_collection("docs")
    matches_a_fresh_index(cat)
    assert vocabulary(cat.conn, keywords.TABLE) == {}, "nothing left behind"


def test_renames_and_deletes_while_an_older_index_is_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "catalog.sqlite3"
    with monkeypatch.context() as m:  # a catalog of schema 11: its keyword index holds a copy of the text
        m.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:11])
        m.setattr(schema, "SCHEMA_VERSION", 11)
        Catalog(path).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO collections(id, name, created) VALUES (1, 'c', 0)")
    conn.execute("INSERT INTO roots(collection_id, path) VALUES (1, '/d')")
    for fid in range(1, 5):
        conn.execute("INSERT INTO files(id, collection_id, raw_path, path, status, indexed_at) VALUES (?, 1, ?, ?,"
                     " 'ok', 0)", (fid, f"/d/file{fid}.txt".encode(), f"/d/file{fid}.txt"))
        for part in range(2):
            text = f"passage {part} of file {fid} about topic{fid} and subject{part}"
            cur = conn.execute("INSERT INTO chunks(file_id, ord, start, end, text) VALUES (?, ?, 0, ?, ?)",
                               (fid, part, len(text), text))
            conn.execute(f"INSERT INTO {keywords.TABLE}(rowid, text, name) VALUES (?, ?, ?)",
                         (cur.lastrowid, text, f"file{fid}.txt"))
    conn.commit()
    conn.close()
    cat = Catalog(path)
    try:
        assert keywords.filling(cat.conn)
        assert not keywords.fill_step(cat.conn, batch=3)  # passages 1-3 copied; 4-8 not yet
        cat.move_file(1, b"/d/renamed-one.txt", 1, 1)  # copied: its rows are written again
        cat.move_file(3, b"/d/renamed-three.txt", 1, 1)  # not copied: the fill writes it, named anew
        cat.remove_files(1, [2])  # rows 3 (copied) and 4 (not): only what the index holds is forgotten
        with cat.transaction() as c:
            c.execute("DELETE FROM chunks WHERE id = 8")
        assert keywords.fill(cat.conn)
        matches_a_fresh_index(cat)
        hits = cat.keyword_search(search.fts_query("renamed"), [1], 10)
        assert sorted(cat.chunk_rows([i for i, _ in hits])[i].path for i, _ in hits) == \
            ["/d/renamed-one.txt"] * 2 + ["/d/renamed-three.txt"] * 2
    finally:
        cat.close()


def test_a_connection_without_the_function_cannot_delete_passages_silently(service: Service, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("granite quarry " * 20)
    service.index("docs", [str(docs)])
    other = sqlite3.connect(service.paths.catalog)
    try:
        with pytest.raises(sqlite3.OperationalError, match=keywords.WORDS_FN):
            other.execute("DELETE FROM chunks")
    finally:
        other.close()
    matches_a_fresh_index(service.catalog)
    assert words(service, "granite") == ["a.txt"]
