"""The keyword index that matches word forms and joined compounds, and the upgrade of an older catalog's
index while the old one keeps serving."""

import sqlite3

import numpy as np

from localsearch.core import search, words
from localsearch.core.store import keywords, schema
from localsearch.core.store.catalog import Catalog, FileResult
from localsearch.core.types import Chunk


def doc(path: str, *texts: str) -> FileResult:
    chunks = [Chunk(0, len(t), t) for t in texts]
    vectors = np.ones((len(texts), 4), dtype=np.float32) / 2
    return FileResult(path.encode(), 10, 1, "h" + path, "document", chunks, vectors)


def found(cat: Catalog, cid: int, query: str) -> list[str]:
    ids = [i for i, _ in cat.keyword_search(search.fts_query(query), [cid], 50)]
    rows = cat.chunk_rows(ids)
    return [rows[i].path for i in ids if i in rows]


def test_word_forms_match_both_ways(cat):
    col = cat.ensure_collection("c")
    cat.add_root(col.id, "/docs")
    cat.commit_files(col.id, [doc("/docs/a.txt", "The lineage develops from progenitors of the mesodermal layer."),
                              doc("/docs/b.txt", "Activation is required for the response."),
                              doc("/docs/c.txt", "Unrelated words about gardens.")])
    assert found(cat, col.id, "lineages develop progenitor") == ["/docs/a.txt"]
    assert found(cat, col.id, "requires activate") == ["/docs/b.txt"]


def test_compounds_match_joined_and_split_and_ids_stay_exact(cat):
    col = cat.ensure_collection("c")
    cat.commit_files(col.id, [doc("/d/a.txt", "Low birth-weight infants and TCR-CD3 signalling."),
                              doc("/d/b.txt", "Birthweight registry, invoice 2024-0042."),
                              doc("/d/c.txt", "Invoice 2024-0043 and 0042-2024.")])
    assert sorted(found(cat, col.id, "birthweight")) == ["/d/a.txt", "/d/b.txt"]
    assert sorted(found(cat, col.id, "birth-weight")) == ["/d/a.txt", "/d/b.txt"]
    assert found(cat, col.id, "TCR/CD3") == ["/d/a.txt"]
    assert found(cat, col.id, "2024-0042") == ["/d/b.txt"], "an identifier is a phrase, as before"


def test_names_are_indexed_inside_their_folder(cat):
    """The folder's own path ("home", "alice") must not match every file; the file's path inside it does."""
    col = cat.ensure_collection("c")
    cat.add_root(col.id, "/home/alice/Documents")
    cat.commit_files(col.id, [doc("/home/alice/Documents/Invoices/march.txt", "paid in full")])
    assert found(cat, col.id, "alice") == []
    assert found(cat, col.id, "invoices") == ["/home/alice/Documents/Invoices/march.txt"]
    assert search.relative_name("/home/alice/Documents/Invoices/march.txt", ["/home/alice/Documents"]) == \
        "Invoices/march.txt"


def legacy_catalog(path, files: dict[str, str]) -> None:
    """A catalog as schema 4 left it: the exact-form index filled by triggers."""
    conn = sqlite3.connect(path)
    for step in schema.MIGRATIONS[:4]:
        assert isinstance(step, str)
        conn.executescript(step)
    conn.execute("PRAGMA user_version = 4")
    conn.execute("INSERT INTO collections(id, name, created) VALUES (1, 'c', 0)")
    for i, (name, text) in enumerate(files.items(), start=1):
        conn.execute("INSERT INTO files(id, collection_id, raw_path, path, kind, status, indexed_at, hash)"
                     " VALUES (?, 1, ?, ?, 'document', 'ok', 0, ?)", (i, name.encode(), name, f"h{i}"))
        conn.execute("INSERT INTO chunks(file_id, ord, start, end, text) VALUES (?, 0, 0, ?, ?)", (i, len(text), text))
    conn.commit()
    conn.close()


def test_an_older_index_serves_while_the_new_one_fills_then_hands_over(tmp_path):
    db = tmp_path / "catalog.sqlite3"
    legacy_catalog(db, {f"/d/{i}.txt": f"note {i}: the heating developed a fault" for i in range(25)})
    cat = Catalog(db)
    assert keywords.filling(cat.conn) and keywords.serving_table(cat.conn) == keywords.OLD_TABLE
    assert len(found(cat, 1, "developed")) == 25, "the old index answers meanwhile"
    assert found(cat, 1, "develops") == [], "(it knows exact forms only)"

    assert not keywords.fill_step(cat.conn, batch=10)  # a bounded step per transaction
    cat.commit_files(1, [doc("/d/new.txt", "a boiler developing faults")])  # a writer adds meanwhile
    assert "/d/new.txt" in found(cat, 1, "developing"), "new passages reach the serving index too"
    cat.close()

    cat = Catalog(db)  # a restart (or a kill) between steps: the fill goes on where it was
    assert keywords.filling(cat.conn)
    assert keywords.fill(cat.conn)
    assert not keywords.filling(cat.conn) and keywords.serving_table(cat.conn) == keywords.TABLE
    assert cat.conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (keywords.OLD_TABLE,)).fetchone() is None
    assert len(found(cat, 1, "develops")) == 26, "every passage, once, by any form of the word"
    assert cat.conn.execute(f"SELECT count(*) FROM {keywords.TABLE}").fetchone()[0] == 26
    cat.remove_files(1, [1])
    assert len(found(cat, 1, "develops")) == 25, "deleting a passage deletes its keyword row (trigger)"
    cat.close()


def test_a_new_catalog_starts_with_the_word_form_index(cat):
    assert not keywords.filling(cat.conn)
    assert cat.conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'chunks_fts'").fetchone() is None


def test_words_fold_stem_and_join_like_the_index():
    assert words.stem("Lineages") == words.stem("lineage") == "lineag"
    assert words.stem("café") == words.stem("cafe")
    assert words.joined_compounds("birth-weight and 2024-0042, TCR/CD3") == ["birthweight", "TCRCD3"]
    assert not words.significant("T") and words.significant("cells")


def test_the_writer_upgrades_an_older_index_with_progress(tmp_path, fast_settings, monkeypatch):
    from localsearch.core import paths
    from localsearch.core.embed.hashing import HashingEmbedder
    from localsearch.core.service import Service

    home = paths.resolve(tmp_path / "home").ensure()
    legacy_catalog(home.catalog, {f"/gone/{i}.txt": f"the boiler developed fault {i}" for i in range(12)})
    with sqlite3.connect(home.catalog) as conn:  # its folder is unplugged: its files are kept, not re-read
        conn.execute("INSERT INTO roots(collection_id, path) VALUES (1, '/gone')")
    monkeypatch.setattr(keywords, "FILL_BATCH", 5)
    service = Service(home, fast_settings, HashingEmbedder())
    try:
        seen = []
        service.index("c", on_progress=lambda p: seen.append((p.phase, p.done, p.total)))
        steps = [s for s in seen if s[0] == "upgrading keywords"]
        assert len(steps) >= 2 and steps[-1][1] == steps[-1][2] == 12, steps
        assert not keywords.filling(service.catalog.conn)
        assert service.catalog.document_frequencies(["develop"]) == {"develop": 12}
    finally:
        service.close()
