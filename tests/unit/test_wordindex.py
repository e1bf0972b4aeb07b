"""The fast keyword index (tantivy, derived from the catalog): same matches as FTS5, kept current from the
catalog's change log, used only when complete and current, rebuilt when damaged or made for another
catalog, and a build that stops resumes."""

import os
from pathlib import Path

import numpy as np
import pytest

from localsearch.core import search
from localsearch.core.embed.hashing import HashingEmbedder
from localsearch.core.search import Query
from localsearch.core.service import Service
from localsearch.core.store import changelog, schema, wordindex, wordsync
from localsearch.core.store.catalog import Catalog, FileResult
from localsearch.core.types import Chunk

pytestmark = pytest.mark.skipif(not wordindex.available(), reason="tantivy is not installed")


def doc(path: str, *texts: str) -> FileResult:
    chunks = [Chunk(0, len(t), t) for t in texts]
    return FileResult(path.encode(), 10, 1, "h" + path, "document", chunks, np.ones((len(texts), 4), np.float32) / 2)


def built(cat: Catalog, folder: Path) -> wordindex.WordIndex:
    sync = wordsync.WordSync(folder, cat.conn)
    assert sync.build()
    sync.close()
    assert cat.conn.execute("SELECT count(*) FROM keyword_changes").fetchone()[0] == 0, "what it holds is forgotten"
    index = wordindex.WordIndex(folder)
    assert index.refresh() is not None
    return index


def found(cat: Catalog, index: wordindex.WordIndex, query: str, cols: list[int] | None = None) -> list[str]:
    ids = [i for i, _ in index.search(search.term_alternatives(query), cols, 50)]
    rows = cat.chunk_rows(ids)
    return [rows[i].path for i in ids]


@pytest.fixture
def docs(cat: Catalog) -> Catalog:
    col = cat.ensure_collection("c")
    cat.add_root(col.id, "/home/alice/Documents")
    cat.commit_files(col.id, [
        doc("/home/alice/Documents/a.txt", "The lineage develops from progenitors of the mesodermal layer."),
        doc("/home/alice/Documents/b.txt", "Activation is required. Low birth-weight infants, TCR-CD3 signalling."),
        doc("/home/alice/Documents/Invoices/march.txt", "Birthweight registry, invoice 2024-0042, paid in full."),
        doc("/home/alice/Documents/c.txt", "Invoice 2024-0043 and 0042-2024 about gardens.")])
    return cat


def test_matches_word_forms_compounds_ids_and_names_as_fts5_does(docs: Catalog, tmp_path: Path) -> None:
    index = built(docs, tmp_path / "words")
    for query in ("lineages develop progenitor", "requires activate", "birthweight", "birth-weight", "TCR/CD3",
                  "2024-0042", "alice", "invoices", "garden"):
        fts = [docs.chunk_rows([i])[i].path for i, _ in
               docs.keyword_search(search.fts_query(query), [1], 50)]
        assert sorted(found(docs, index, query)) == sorted(fts), query
    assert found(docs, index, "2024-0042") == ["/home/alice/Documents/Invoices/march.txt"]
    assert found(docs, index, "alice") == [], "the folder's own path matches nothing"
    assert sorted(found(docs, index, "birthweight")) == ["/home/alice/Documents/Invoices/march.txt",
                                                         "/home/alice/Documents/b.txt"]


def test_collections_filter(docs: Catalog, tmp_path: Path) -> None:
    other = docs.ensure_collection("other")
    docs.commit_files(other.id, [doc("/elsewhere/x.txt", "gardens and more gardens")])
    index = built(docs, tmp_path / "words")
    assert found(docs, index, "garden", [other.id]) == ["/elsewhere/x.txt"]
    assert found(docs, index, "garden", [1]) == ["/home/alice/Documents/c.txt"]
    assert len(found(docs, index, "garden")) == 2


def test_changes_reach_it_through_the_log_and_it_is_current_only_after(docs: Catalog, tmp_path: Path) -> None:
    folder = tmp_path / "words"
    sync = wordsync.WordSync(folder, docs.conn)
    assert sync.build()
    index = wordindex.WordIndex(folder)
    state = index.refresh()
    assert state is not None and state.current(*changelog.position(docs.conn))
    docs.remove_files(1, [4])  # c.txt
    docs.move_file(1, b"/home/alice/Documents/renamed/zebra.txt", 10, 1)
    docs.commit_files(1, [doc("/home/alice/Documents/new.txt", "A fresh note about quinoa.")])
    assert not state.current(*changelog.position(docs.conn)), "behind the catalog: not to be used"
    sync.sync()
    state = index.refresh()
    assert state is not None and state.current(*changelog.position(docs.conn))
    assert found(docs, index, "garden") == []
    assert found(docs, index, "zebra") == ["/home/alice/Documents/renamed/zebra.txt"]
    assert found(docs, index, "quinoa") == ["/home/alice/Documents/new.txt"]
    assert index.passages() == docs.conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
    assert docs.conn.execute("SELECT count(*) FROM keyword_changes").fetchone()[0] == 0, "applied changes forgotten"
    sync.close()


def test_a_stopped_build_resumes_without_duplicates(docs: Catalog, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wordsync, "BUILD_BATCH", 1)
    folder = tmp_path / "words"
    steps: list[tuple[int, int]] = []
    sync = wordsync.WordSync(folder, docs.conn)
    assert not sync.build(stop=lambda: len(steps) >= 2, progress=lambda d, t: steps.append((d, t)))
    sync.close()
    index = wordindex.WordIndex(folder)
    state = index.refresh()
    assert state is not None and not state.complete and state.built_to == 2
    docs.commit_files(1, [doc("/home/alice/Documents/late.txt", "added during the build")])
    sync = wordsync.WordSync(folder, docs.conn)
    assert sync.build()
    sync.close()
    state = index.refresh()
    assert state is not None and state.current(*changelog.position(docs.conn)) and state.build == sync.state.build
    assert index.passages() == 5
    assert found(docs, index, "build") == ["/home/alice/Documents/late.txt"]
    assert docs.conn.execute("SELECT count(*) FROM keyword_changes").fetchone()[0] == 0, "the log is emptied"


def test_another_catalogs_index_is_rebuilt(docs: Catalog, tmp_path: Path) -> None:
    folder = tmp_path / "words"
    built(docs, folder)
    other = Catalog(tmp_path / "other.sqlite3")  # e.g. the catalog was set aside and made again
    col = other.ensure_collection("c")
    other.commit_files(col.id, [doc("/x/only.txt", "nothing about gardens")])
    index = wordindex.WordIndex(folder)
    state = index.refresh()
    assert state is not None and not state.current(*changelog.position(other.conn))
    index = built(other, folder)
    assert index.state is not None and index.state.current(*changelog.position(other.conn))
    assert found(other, index, "garden") == ["/x/only.txt"]
    other.close()


def test_search_uses_it_when_current_and_fts5_otherwise(service, tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "rent.txt").write_text("The monthly rent is paid to the landlord.")
    (folder / "garden.txt").write_text("Tomatoes grow in the garden.")
    service.index("notes", [str(folder)])
    assert service.searcher.word_index() is not None, "an index run leaves it complete and current"
    assert [h.path for h in service.search(Query("landlords", k=5, mode="keywords")).hits] == [str(folder / "rent.txt")]
    service.catalog.move_file(service.catalog.files(1)[str(folder / "rent.txt").encode()].id,
                              str(folder / "lease.txt").encode(), 1, 1)
    assert service.searcher.word_index() is None, "a change no writer has applied yet: FTS5 answers"
    assert [h.path for h in service.search(Query("lease", k=5, mode="keywords")).hits] == [str(folder / "lease.txt")]


def test_a_damaged_index_is_not_used_and_the_next_writer_rebuilds_it(service, tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    for i in range(30):
        (folder / f"n{i}.txt").write_text(f"Note {i} about the harbour and word{i}.")
    service.index("notes", [str(folder)])
    assert service.searcher.word_index() is not None
    for f in service.paths.words.iterdir():  # every segment's postings garbled on disk (replaced, not
        if f.suffix in (".idx", ".term", ".pos"):  # truncated: this process still maps the old files)
            garbled = f.with_suffix(".tmp")
            garbled.write_bytes(b"\0" * f.stat().st_size)
            os.replace(garbled, f)
    another = Service(service.paths, service.settings, HashingEmbedder())  # a process that opens it now
    try:
        assert another.searcher.word_index() is None, "it fails its check"
        assert len(another.search(Query("harbour", k=50, mode="keywords")).hits) == 30, "answered by FTS5"
        another.index("notes")  # the writer finds it damaged and builds it again
        assert another.searcher.word_index() is not None, "the rebuilt index is used"
        assert len(another.search(Query("harbour", k=50, mode="keywords")).hits) == 30
    finally:
        another.close()


def test_schema_6_logs_changes_and_an_upgraded_catalog_gets_its_index_built(service, tmp_path: Path) -> None:
    assert schema.SCHEMA_VERSION >= 6
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "a.txt").write_text("lighthouse keeper")
    service.index("notes", [str(folder)])
    wordindex.wipe(service.paths.words)  # as a catalog from before schema 6: no word index yet
    service.searcher.keywords.forget()
    assert service.searcher.word_index() is None
    (folder / "b.txt").write_text("another lighthouse")
    service.index("notes")
    assert service.searcher.word_index() is not None
    assert len(service.search(Query("lighthouse", k=5, mode="keywords")).hits) == 2


def test_an_index_behind_is_not_current_once_the_writer_has_emptied_the_log(docs: Catalog, tmp_path: Path) -> None:
    """A search holding an older state must not take an empty log for "nothing changed"."""
    folder = tmp_path / "words"
    sync = wordsync.WordSync(folder, docs.conn)
    assert sync.build()
    old = wordindex.WordIndex(folder).refresh()
    docs.commit_files(1, [doc("/home/alice/Documents/new.txt", "quinoa")])
    sync.sync()
    assert docs.conn.execute("SELECT count(*) FROM keyword_changes").fetchone()[0] == 0
    assert old is not None and not old.current(*changelog.position(docs.conn))
    sync.close()


def test_a_moved_folder_is_applied_at_once(service, tmp_path: Path) -> None:
    old, new = tmp_path / "notes", tmp_path / "moved"
    old.mkdir()
    (old / "pier.txt").write_text("The pier was rebuilt in spring.")
    service.index("notes", [str(old)])
    old.rename(new)
    service.move_root(str(old), str(new))
    assert service.searcher.word_index() is not None, "current without another index run"
    assert [h.path for h in service.search(Query("pier", k=5, mode="keywords")).hits] == [str(new / "pier.txt")]


def test_check_says_how_the_word_index_stands(service, tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "a.txt").write_text("A note about the lighthouse keeper.")
    service.index("notes", [str(folder)])
    result = service.check(sample=False)
    assert any(p.startswith("fast keyword index: current, 1 passages") for p in result.passed), result.passed
    wordindex.wipe(service.paths.words)
    result = service.check(sample=False)
    assert result.healthy, "derived, rebuilt by the writer: not a problem to repair"
    assert any(p.startswith("fast keyword index: missing") for p in result.skipped), result.skipped


def test_a_search_that_fails_in_the_word_index_is_answered_by_fts5(service, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "a.txt").write_text("The ferry leaves at noon.")
    service.index("notes", [str(folder)])
    assert service.searcher.word_index() is not None

    def broken(*args: object) -> list[tuple[int, float]]:
        raise ValueError("Failed to open file for read")  # what tantivy says of a segment damaged meanwhile

    monkeypatch.setattr(wordindex.WordIndex, "search", broken)
    assert [h.path for h in service.search(Query("ferry", k=5, mode="keywords")).hits] == [str(folder / "a.txt")]
    assert service.searcher.word_index() is None, "not used again until the writer has rebuilt it"
