"""The catalog's schema as a numbered migration ladder; step N takes version N-1 to N."""

import sqlite3
from collections.abc import Callable, Iterator

from localsearch.core import log
from localsearch.core.errors import CatalogUnusable
from localsearch.core.store import changelog, compact, keywords, pending

FTS_TABLE = "CREATE VIRTUAL TABLE chunks_fts USING fts5(text, name, tokenize = 'unicode61 remove_diacritics 2')"
"""The keyword index of schemas 1-4 (exact word forms); schema 5 replaces it (see keywords)."""

def _v5(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE files ADD COLUMN title TEXT")
    keywords.migrate(conn)


MIGRATIONS: list[str | Callable[[sqlite3.Connection], None]] = [
    # 1: collections, roots, files, chunks (with vectors) and a keyword index over chunks.
    f"""
    CREATE TABLE collections(
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        model_id TEXT,
        dim INTEGER,
        vector_version INTEGER NOT NULL DEFAULT 0,
        needs_reindex INTEGER NOT NULL DEFAULT 0,
        created REAL NOT NULL,
        last_indexed REAL
    );
    CREATE TABLE roots(
        id INTEGER PRIMARY KEY,
        collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        UNIQUE(collection_id, path)
    );
    CREATE TABLE files(
        id INTEGER PRIMARY KEY,
        collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
        raw_path BLOB NOT NULL,          -- os.fsencode(path): exact, also for non-UTF-8 names
        path TEXT NOT NULL,              -- for display and keyword search
        size INTEGER,
        mtime_ns INTEGER,
        hash TEXT,
        kind TEXT NOT NULL DEFAULT 'document',
        status TEXT NOT NULL,            -- 'ok' | 'failed'
        error TEXT,
        indexed_at REAL NOT NULL,
        UNIQUE(collection_id, raw_path)
    );
    CREATE INDEX files_by_hash ON files(collection_id, hash);
    CREATE TABLE chunks(
        id INTEGER PRIMARY KEY,
        file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
        ord INTEGER NOT NULL,
        start INTEGER NOT NULL,
        end INTEGER NOT NULL,
        page INTEGER,
        text TEXT NOT NULL,
        vector BLOB
    );
    CREATE INDEX chunks_by_file ON chunks(file_id);
    {FTS_TABLE};
    CREATE TRIGGER chunks_ai AFTER INSERT ON chunks BEGIN
        INSERT INTO chunks_fts(rowid, text, name)
        VALUES (new.id, new.text, (SELECT path FROM files WHERE id = new.file_id));
    END;
    CREATE TRIGGER chunks_ad AFTER DELETE ON chunks BEGIN
        DELETE FROM chunks_fts WHERE rowid = old.id;
    END;
    CREATE TRIGGER files_au_path AFTER UPDATE OF path ON files BEGIN
        UPDATE chunks_fts SET name = new.path WHERE rowid IN (SELECT id FROM chunks WHERE file_id = new.id);
    END;
    """,
    # 2: photos get an image vector (their own space and FAISS index); the model is recorded.
    """
    ALTER TABLE collections ADD COLUMN image_model_id TEXT;
    CREATE TABLE image_vectors(
        file_id INTEGER PRIMARY KEY REFERENCES files(id) ON DELETE CASCADE,
        vector BLOB NOT NULL
    );
    """,
    # 3: text read by OCR from photos and scanned PDF pages, a slow second pass. NULL = to read,
    # 'none' = nothing to read, 'done', or 'failed: why'. PDFs indexed before may hold scans: read them.
    """
    ALTER TABLE files ADD COLUMN ocr TEXT;
    UPDATE files SET ocr = 'none' WHERE kind != 'photo' AND lower(path) NOT LIKE '%.pdf';
    CREATE INDEX files_ocr_todo ON files(collection_id) WHERE ocr IS NULL AND status = 'ok';
    """,
    # 4: a note on a file indexed only in part (e.g. "truncated after 5000 passages"), shown in status;
    # files found by content alone, so a copy anywhere reuses the vectors already made for it.
    """
    ALTER TABLE files ADD COLUMN note TEXT;
    CREATE INDEX files_by_content ON files(hash) WHERE status = 'ok';
    """,
    # 5: a keyword index that matches word forms and joined compounds (see keywords); an existing
    # catalog's old index serves until the writer has filled the new one. Files record the title
    # their passages were embedded with (passages.embedding_text); NULL for those embedded without.
    _v5,
    # 6: a log of what keyword searches see changing, for the derived word index (see changelog); an
    # existing catalog's word index is built whole by the next writer, FTS5 serving meanwhile.
    changelog.CREATE,
    # 7: counting a collection's vectors (the check FAISS is loaded against, at every start) reads this
    # small index instead of every passage's row: 23 -> 2.3 ms at 13,747 passages, ~10 bytes a passage.
    "CREATE INDEX chunks_with_vector ON chunks(file_id) WHERE vector IS NOT NULL",
    # 8: Chinese, Japanese and Korean text is held by pairs of characters in the keyword index, so a word
    # inside a sentence written without spaces is found (see words); the writer re-indexes such passages
    # of an existing catalog in bounded steps; others are unchanged (since schema 12, part of its refill).
    keywords.migrate_cjk,
    # 9: a collection's next index, built beside it while the text or photo model changes (see successor);
    # removing the collection removes it too.
    "ALTER TABLE collections ADD COLUMN successor_of INTEGER REFERENCES collections(id) ON DELETE CASCADE",
    # 10: a big run commits files' text before their vectors, so they are found by their words at once
    # (see pending); what is left to embed is found through this index.
    pending.CREATE,
    # 11: passage vectors are stored at float16, half the bytes (see vecblob); an existing catalog's are
    # rewritten by the writer in bounded steps, then the file is compacted (see compact).
    compact.migrate,
    # 12: the keyword index keeps no copy of the passages' text (contentless; see keywords): an existing
    # catalog's index serves while the writer fills the new one in bounded steps.
    keywords.contentless,
]

SCHEMA_VERSION = len(MIGRATIONS)


def _statements(script: str) -> Iterator[str]:
    """A migration's statements one by one (triggers' BEGIN ... END included): executescript() would
    commit the transaction the migration runs in."""
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                yield pending
            pending = ""
    if pending.strip(" \n;"):
        yield pending


def migrate(conn: sqlite3.Connection, name: object = "the catalog") -> None:
    """Bring the catalog (`name` in messages) to SCHEMA_VERSION. One process migrates at a time: the
    version is read again inside a write transaction, so two processes opening a new catalog at once
    do not both create it."""
    if conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        current = conn.execute("PRAGMA user_version").fetchone()[0]
        if current > SCHEMA_VERSION:
            raise CatalogUnusable(f"{name} was made by a newer LocalSearch (catalog schema {current}; this one "
                                  f"reads up to {SCHEMA_VERSION}): update LocalSearch to use it")
        for version in range(current + 1, SCHEMA_VERSION + 1):
            log.store.info("migrating catalog to schema %d", version)
            step = MIGRATIONS[version - 1]
            if callable(step):
                step(conn)
            else:
                for statement in _statements(step):
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
