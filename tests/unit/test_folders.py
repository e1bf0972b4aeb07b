"""Folders that move, go offline, are added or dropped; copies found once; content never embedded twice."""

import logging
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from localsearch.core import paths
from localsearch.core.embed.hashing import HashingEmbedder
from localsearch.core.errors import KnownError
from localsearch.core.search import Query
from localsearch.core.service import Service
from localsearch.core.settings import Settings


class CountingEmbedder(HashingEmbedder):
    """The hashing model, counting the passages it is asked to embed."""

    def __init__(self) -> None:
        super().__init__()
        self.passages = 0

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        self.passages += len(texts)
        return super().embed_texts(texts)

    def embed_query(self, text: str) -> np.ndarray:  # queries are not passages
        self.passages -= 1
        return super().embed_query(text)


def make(tmp_path: Path, embedder: HashingEmbedder | None = None, **settings: object) -> Service:
    return Service(paths.resolve(tmp_path / "home"),
                   Settings(text_model="hashing", ocr=False, image_model="none", **settings),  # type: ignore[arg-type]
                   embedder or CountingEmbedder())


def folder(path: Path, n: int = 12, word: str = "quartz", name: str = "note") -> Path:
    path.mkdir(parents=True)
    for i in range(n):
        (path / f"{name}{i:02}.txt").write_text(f"note {i} about {word}{i} and the lighthouse keeper's logbook {i}")
    return path


def test_a_moved_folder_is_offline_then_re_pointed_without_embedding_again(tmp_path):
    docs = folder(tmp_path / "docs")
    service = make(tmp_path)
    try:
        service.index("docs", [str(docs)])
        embedded = service.embedder.passages  # type: ignore[attr-defined]
        os.rename(docs, tmp_path / "docs2")
        result = service.search(Query("quartz3"))
        assert result.hits == [] and "not searched while missing" in result.warnings[0]  # never a dead path
        assert service.status()["collections"][0]["offline"] == [str(docs)]
        report = service.index("docs")
        assert report.offline == [str(docs)] and report.removed == 0  # kept, and said so

        with pytest.raises(KnownError, match="none of the files"):  # a wrong folder is refused
            service.move_root(str(docs), str(folder(tmp_path / "other", word="basalt", name="memo")))
        assert service.move_root(str(docs), str(tmp_path / "docs2")) == [("docs", 12)]
        hits = service.search(Query("quartz3")).hits
        assert [Path(h.path) for h in hits[:1]] == [tmp_path / "docs2" / "note03.txt"]
        again = service.index("docs")
        assert (again.added, again.removed, again.unchanged) == (0, 0, 12)
        assert service.embedder.passages == embedded  # type: ignore[attr-defined]
        assert service.check(sample=False).healthy
    finally:
        service.close()


def test_touched_files_with_the_same_content_are_not_read_or_embedded_again(tmp_path):
    docs = folder(tmp_path / "docs")
    service = make(tmp_path)
    try:
        service.index("docs", [str(docs)])
        cid = service.catalog.collection("docs").id
        before = service.catalog.files(cid)
        chunk_ids = {raw: service.catalog.chunk_ids_of([row.id]) for raw, row in before.items()}
        embedded = service.embedder.passages  # type: ignore[attr-defined]
        touched = [docs / f"note{i:02}.txt" for i in (1, 4, 7)]
        for p in touched:  # mtime only, as `touch` or a checkout that rewrites the same bytes does
            st = p.stat()
            os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
        edited = docs / "note09.txt"  # same size, other content: read and embedded again
        edited.write_text(edited.read_text().replace("quartz9", "zircon9"))
        assert edited.stat().st_size == before[os.fsencode(edited)].size

        report = service.index("docs")
        assert (report.touched, report.unchanged, report.updated, report.added) == (3, 11, 1, 0)
        assert service.embedder.passages - embedded == len(chunk_ids[os.fsencode(edited)])  # type: ignore[attr-defined]
        after = service.catalog.files(cid)
        for p in touched:
            raw = os.fsencode(p)
            assert after[raw].mtime_ns == p.stat().st_mtime_ns != before[raw].mtime_ns
            assert service.catalog.chunk_ids_of([after[raw].id]) == chunk_ids[raw]  # kept as they were
        assert [Path(h.path).name for h in service.search(Query("zircon9")).hits[:1]] == ["note09.txt"]
        again = service.index("docs")  # the new mtimes were recorded: nothing is hashed twice
        assert (again.touched, again.unchanged, again.updated) == (0, 12, 0)
        assert service.check(sample=False).healthy
    finally:
        service.close()


def test_add_and_remove_one_folder_of_a_collection(tmp_path):
    a, b = folder(tmp_path / "a", word="quartz"), folder(tmp_path / "b", 5, word="basalt")
    service = make(tmp_path)
    try:
        service.index("rocks", [str(a)])
        assert service.add_folder("rocks", str(b)) == str(b)
        with pytest.raises(KnownError, match="already searched"):
            service.add_folder("rocks", str(b / ".."  / "b"))
        with pytest.raises(KnownError, match="not a folder"):
            service.add_folder("rocks", str(tmp_path / "nowhere"))
        service.index("rocks")
        assert service.search(Query("basalt2")).hits
        assert service.remove_folder("rocks", str(b)) == 5
        assert service.search(Query("basalt2")).hits == []
        assert service.search(Query("quartz2")).hits
        assert service.status()["collections"][0]["roots"] == [str(a)]
        assert b.is_dir() and len(list(b.iterdir())) == 5  # the user's files are never touched
        assert service.check(sample=False).healthy  # no orphan vectors left behind
        with pytest.raises(KnownError, match="is not a folder of collection"):
            service.remove_folder("rocks", str(b))
    finally:
        service.close()


@pytest.fixture
def indexed(tmp_path: Path) -> Iterator[tuple[Service, Path, CountingEmbedder]]:
    docs = folder(tmp_path / "docs")
    embedder = CountingEmbedder()
    service = make(tmp_path, embedder)
    service.index("docs", [str(docs)])
    yield service, docs, embedder
    service.close()


def test_copies_are_one_result_and_reuse_their_vectors(indexed, tmp_path):
    service, docs, embedder = indexed
    before = embedder.passages
    backup = tmp_path / "backup"
    shutil.copytree(docs, backup)
    shutil.copy(docs / "note03.txt", docs / "note03 (copy).txt")
    report = service.index("docs", [str(backup)])
    assert report.added == 13 and report.reused == 13
    assert embedder.passages == before  # nothing embedded again
    hits = service.search(Query("quartz3 lighthouse", k=20)).hits
    assert sum("note03" in h.path for h in hits) == 1  # three copies, one result
    assert service.check(sample=True).healthy  # the reused vectors are the model's


def test_a_clean_close_needs_no_rebuild_on_the_next_start(tmp_path, caplog):
    docs = folder(tmp_path / "docs", 30)
    service = make(tmp_path)
    service.index("docs", [str(docs)])
    service.close()
    with caplog.at_level(logging.INFO, logger="localsearch.store"):
        again = make(tmp_path)
        try:
            assert again.search(Query("quartz7")).hits
            watcher = again.watcher(force_polling=True, poll_interval=0.2).start()
            try:
                assert watcher.wait_idle(60 * float(os.environ.get("WAIT_SCALE", "1")))
            finally:
                watcher.stop()
        finally:
            again.close()
    third = make(tmp_path)  # after the watcher's clean stop too
    with caplog.at_level(logging.INFO, logger="localsearch.store"):
        try:
            assert third.search(Query("quartz7")).hits
        finally:
            third.close()
    assert not [r.getMessage() for r in caplog.records if "rebuilding" in r.getMessage()
                or "reading the vector index" in r.getMessage()]
