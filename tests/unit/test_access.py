"""Links out of a collection's folders are not followed by default; a program can only read files
that are indexed and whose real location is inside their collection's folders."""

import os
from pathlib import Path

import pytest

from localsearch.core import access, scanner
from localsearch.core.embed.hashing import HashingEmbedder
from localsearch.core.service import Service
from localsearch.core.settings import Settings


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, Path]:
    docs, outside = tmp_path / "docs", tmp_path / "outside"
    (docs / "sub").mkdir(parents=True)
    outside.mkdir()
    (docs / "sub" / "inner.txt").write_text("inner words")
    (outside / "secret.txt").write_text("secret words")
    os.symlink(outside / "secret.txt", docs / "to-secret.txt")
    os.symlink(outside, docs / "to-outside")
    os.symlink(docs / "sub" / "inner.txt", docs / "to-inner.txt")
    return docs, outside


def test_scan_does_not_follow_links_out_of_the_folders(tree):
    docs, _ = tree
    result = scanner.scan([str(docs)], within=[str(docs)])
    found = {os.path.basename(e.raw_path) for e in result.files}
    assert found == {b"inner.txt"}  # a link that stays inside is not followed: its target is indexed once
    assert {os.path.basename(p): why for p, why in result.problems} == {
        b"to-secret.txt": scanner.OUTSIDE, b"to-outside": scanner.OUTSIDE}
    scoped = scanner.scan([str(docs / "to-secret.txt")], within=[str(docs)])  # the watcher's view of one path
    assert scoped.files == [] and scoped.problems[0][1] == scanner.OUTSIDE
    everything = scanner.scan([str(docs)])  # no bounds: for follow_symlinks_outside
    names = [os.path.basename(e.raw_path) for e in everything.files]
    assert b"to-secret.txt" in names or b"secret.txt" in names
    assert len(names) == len(set(names)) == 2  # inner.txt and its link are one file: listed once


def make_service(tmp_path: Path, **settings: object) -> Service:
    from localsearch.core import paths

    return Service(paths.resolve(tmp_path / "home"), Settings(text_model="hashing", ocr=False, image_model="none",
                                                               **settings), HashingEmbedder())  # type: ignore[arg-type]


def test_index_keeps_the_text_behind_outbound_links_out(tree, tmp_path):
    docs, _ = tree
    service = make_service(tmp_path)
    try:
        report = service.index("docs", [str(docs)])
        assert report.failed == 2
        from localsearch.core.search import Query

        assert service.search(Query("secret")).hits == []
        assert [os.path.basename(h.path) for h in service.search(Query("inner")).hits] == ["inner.txt"]
        assert report.scanned == 1  # the inner link is not a second copy in the index
    finally:
        service.close()


def test_only_indexed_files_inside_the_folders_can_be_read(tree, tmp_path):
    docs, outside = tree
    service = make_service(tmp_path, follow_symlinks_outside=True)  # the link's target gets indexed...
    try:
        service.index("docs", [str(docs)])
        assert service.indexed_file(str(docs / "sub" / "inner.txt")).collection == "docs"
        assert service.indexed_file(str(docs / "sub" / ".." / "sub" / "inner.txt")).path == str(docs / "sub" / "inner.txt")
        # the secret is one file behind two links (indexed once, under either name)...
        linked = [p for p in (docs / "to-secret.txt", docs / "to-outside" / "secret.txt")
                  if service.catalog.indexed_kind(1, os.fsencode(p))]
        assert len(linked) == 1
        with pytest.raises(access.OutsideFolders):  # ...but is never read through the front door
            service.indexed_file(str(linked[0]))
        for path in [str(outside / "secret.txt"), "sub/inner.txt", "", "/etc/passwd", str(docs / "missing.txt"),
                     str(docs / "sub" / "inner.txt\x00")]:
            with pytest.raises(access.NotIndexed):
                service.indexed_file(path)
    finally:
        service.close()

