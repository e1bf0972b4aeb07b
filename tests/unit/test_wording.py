"""What the window and `localsearch status` say: sizes, counts, and what LocalSearch takes on disk."""

from localsearch.core import disk, wording


def test_sizes_read_as_a_person_reads_them():
    assert [wording.size_text(n) for n in (0, 412, 1024, 12_595, 84_000_000, 2_684_354_560)] == \
        ["0 bytes", "412 bytes", "1.0 KB", "12.3 KB", "80.1 MB", "2.5 GB"]


def test_the_data_folder_is_counted_whole(tmp_path):
    (tmp_path / "vectors").mkdir()
    (tmp_path / "words" / "segments").mkdir(parents=True)
    (tmp_path / "catalog.sqlite3").write_bytes(b"c" * 4096)
    (tmp_path / "catalog.sqlite3-wal").write_bytes(b"w" * 100)
    (tmp_path / "vectors" / "collection-1.faiss").write_bytes(b"v" * 2000)
    (tmp_path / "words" / "segments" / "a.idx").write_bytes(b"i" * 7)
    assert disk.data_bytes(tmp_path) == 4096 + 100 + 2000 + 7
    assert disk.data_bytes(tmp_path / "absent") == 0


def test_counts_agree_with_their_noun():
    assert [wording.counted(n, "file") for n in (0, 1, 2, 12_345)] == ["0 files", "1 file", "2 files", "12,345 files"]
    assert wording.counted(1, "collection") == "1 collection" and wording.counted(3, "index", "indexes") == "3 indexes"
