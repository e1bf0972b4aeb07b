"""Disk footprint: what the data folder holds for a folder of real text, split by part.

    python bench/disk_footprint.py [--files 3200] [--max-chars 12000] [--home DIR] [--model hashing]
    python bench/disk_footprint.py --upgrade DIR [--copy-to DIR]

Indexes Debian's own documentation (see realtext.py; 3,200 files by default, each its first 12,000
characters: ~18 MB of text, like the issue's 3,200 files holding 19 MB) into a fresh home (or reads an
existing one with --home: the same split for an installed catalog, e.g. before and after a migration),
then prints one JSON object:
- text: bytes of the files' text (UTF-8) and of the passages' text as stored;
- data folder: bytes on disk in all, and its ratio to the text;
- split: the catalog's tables and indexes by SQLite's own page count (dbstat; free pages and the
  write-ahead log apart), the vector index files and the word index, each in bytes and bytes per passage.
The default text model is the shipped one; `--model hashing` (a 384-number bag of words, instant) gives
the same sizes in seconds, for trying a layout.

--upgrade: a home made by an earlier version (e.g. e2e_scale.py's 1M-passage catalog), copied first when
--copy-to is given, brought to today's layout as the writer does it: the schema migration (what blocks
searches), then the keyword index filled anew, the vectors rewritten, the file compacted and the vector
indexes rebuilt with float16 codes (bounded steps, or in the background: searches go on). Prints the
seconds of each and the split before and after.
"""

import argparse
import json
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import realtext  # noqa: E402

from localsearch.core import paths  # noqa: E402
from localsearch.core.embed.hashing import HashingEmbedder  # noqa: E402
from localsearch.core.service import Service  # noqa: E402
from localsearch.core.settings import Settings  # noqa: E402

CACHE = Path.home() / ".cache" / "localsearch-bench"


def folder_bytes(top: Path) -> int:
    """Bytes the files below `top` take on disk (allocated blocks, as `du` counts them)."""
    total = 0
    for root, _, files in os.walk(top):
        for name in files:
            total += os.lstat(os.path.join(root, name)).st_blocks * 512
    return total


def table_bytes(catalog: Path) -> tuple[dict[str, int], int, int]:
    """Bytes per table or index (FTS5's shadow tables grouped under their table), free pages, page size."""
    conn = sqlite3.connect(f"file:{catalog}?mode=ro", uri=True)
    try:
        page = int(conn.execute("PRAGMA page_size").fetchone()[0])
        free = int(conn.execute("PRAGMA freelist_count").fetchone()[0]) * page
        split: dict[str, int] = {}
        fts = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL TABLE%'")]
        for name, size in conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"):
            owner = next((f"{t} (keyword index)" for t in fts if name.startswith(t + "_")), name)
            split[owner] = split.get(owner, 0) + int(size)
        return split, free, page
    finally:
        conn.close()


def measure(home: Path, corpus_text: int | None) -> dict[str, object]:
    where = paths.resolve(home)
    conn = sqlite3.connect(f"file:{where.catalog}?mode=ro", uri=True)
    try:
        passages, passage_text = conn.execute("SELECT count(*), coalesce(sum(length(CAST(text AS BLOB))), 0)"
                                              " FROM chunks").fetchone()
    finally:
        conn.close()
    split, free, page = table_bytes(where.catalog)
    parts = {f"catalog: {k}": v for k, v in sorted(split.items(), key=lambda kv: -kv[1])}
    parts["catalog: free pages"] = free
    wal = where.catalog.with_name(where.catalog.name + "-wal")
    parts["catalog: write-ahead log"] = wal.stat().st_blocks * 512 if wal.exists() else 0
    parts["vector indexes"] = folder_bytes(where.vectors) if where.vectors.exists() else 0
    parts["word index"] = folder_bytes(where.words) if where.words.exists() else 0
    total = folder_bytes(where.data)
    parts["other"] = total - sum(parts.values())  # the catalog file is its tables' pages and its free ones
    text = corpus_text if corpus_text is not None else int(passage_text)
    return {
        "passages": int(passages),
        "text_bytes": {"files": corpus_text, "passages": int(passage_text)},
        "data_folder_bytes": total,
        "ratio_to_text": round(total / max(text, 1), 2),
        "page_size": page,
        "split_bytes": parts,
        "split_bytes_per_passage": {k: round(v / max(int(passages), 1)) for k, v in parts.items()},
    }


def upgrade(source: Path, copy_to: Path | None) -> dict[str, object]:
    import shutil

    from localsearch.core.store import compact, keywords
    from localsearch.core.store.catalog import Catalog
    from localsearch.core.store.vectors import VectorIndex

    home = source
    if copy_to is not None:
        shutil.rmtree(copy_to, ignore_errors=True)
        shutil.copytree(source, copy_to)
        home = copy_to
    before = measure(home, None)
    where = paths.resolve(home)
    started = time.perf_counter()
    cat = Catalog(where.catalog)
    seconds = {"migration": round(time.perf_counter() - started, 2)}
    try:
        started = time.perf_counter()
        keywords.fill(cat.conn)
        seconds["keyword index filled"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        while not compact.step(cat.conn):
            pass
        seconds["vectors rewritten"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        compact.compact(cat.conn, where.catalog)
        seconds["compacted"] = round(time.perf_counter() - started, 1)
        for col in cat.collections():  # the writer's background reshape of indexes saved with float32 codes
            vindex = VectorIndex(where.vectors, col.id, col.dim or 0)
            vindex.load_or_rebuild(cat, col, persist=False)
            if vindex.needs_reshape():
                started = time.perf_counter()
                vindex.rebuild(cat, col)
                seconds[f"vector index of {col.name} rebuilt"] = round(time.perf_counter() - started, 1)
    finally:
        cat.close()
    return {"home": str(home), "seconds": seconds, "before": before, "after": measure(home, None)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=3200)
    ap.add_argument("--max-chars", type=int, default=12000)
    ap.add_argument("--home", type=Path, help="measure this home as it is (index nothing)")
    ap.add_argument("--keep", type=Path, help="index into this home and keep it")
    ap.add_argument("--model", choices=["shipped", "hashing"], default="shipped")
    ap.add_argument("--upgrade", type=Path, help="bring this home (an earlier version's) to today's layout")
    ap.add_argument("--copy-to", type=Path, help="with --upgrade: work on a copy made here")
    args = ap.parse_args()
    if args.upgrade is not None:
        print(json.dumps({"bench": "disk_footprint", "upgrade": upgrade(args.upgrade, args.copy_to)}, indent=1))
        return
    if args.home is not None:
        print(json.dumps({"bench": "disk_footprint", "home": str(args.home), **measure(args.home, None)}, indent=1))
        return
    root, files = realtext.debian_docs(CACHE / f"debian-docs-{args.files}-{args.max_chars}", args.files,
                                       args.max_chars)
    if files == 0:
        print(json.dumps({"bench": "disk_footprint", "skipped": "no Debian documentation on this machine"}))
        return
    corpus_text = sum(len(p.read_text(encoding="utf-8").encode()) for p in root.rglob("*.txt"))
    with tempfile.TemporaryDirectory() as tmp:
        home = args.keep or Path(tmp) / "home"
        embedder = HashingEmbedder() if args.model == "hashing" else None
        service = Service(paths.resolve(home), Settings(), embedder)
        try:
            started = time.perf_counter()
            report = service.index("docs", [str(root)])
            seconds = time.perf_counter() - started
        finally:
            service.close()
        out = measure(home, corpus_text)
    print(json.dumps({"bench": "disk_footprint", "corpus": f"debian docs, {files} files, first {args.max_chars} chars",
                      "model": args.model, "index_seconds": round(seconds, 1), "failed": report.failed, **out}, indent=1))


if __name__ == "__main__":
    main()
