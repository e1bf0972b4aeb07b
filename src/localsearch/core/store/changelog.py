"""The catalog's log of changes to what keyword searches see, for the derived word index (wordindex).

Triggers write a passage's id whenever it is added, deleted, or its file renamed (its name is indexed
too), in the same transaction as the change, so the log can never miss one. The writer applies the
log to the word index and then forgets what that index holds; ids repeat harmlessly, since applying
one means "make this passage as the catalog has it now". AUTOINCREMENT: a sequence number is never
reused, so "holds everything up to N" stays true even after the log is emptied.
"""

import sqlite3

from localsearch.core.store import keywords

CREATE = """
CREATE TABLE catalog_info(key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO catalog_info(key, value) VALUES ('id', lower(hex(randomblob(16))));
CREATE TABLE keyword_changes(seq INTEGER PRIMARY KEY AUTOINCREMENT, chunk_id INTEGER NOT NULL);
CREATE TRIGGER changes_ai AFTER INSERT ON chunks BEGIN
    INSERT INTO keyword_changes(chunk_id) VALUES (new.id);
END;
CREATE TRIGGER changes_ad AFTER DELETE ON chunks BEGIN
    INSERT INTO keyword_changes(chunk_id) VALUES (old.id);
END;
CREATE TRIGGER changes_au AFTER UPDATE OF path ON files BEGIN
    INSERT INTO keyword_changes(chunk_id) SELECT id FROM chunks WHERE file_id = new.id;
END;
"""

_LAST = "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'keyword_changes'), 0)"
"""AUTOINCREMENT's own counter: the last number given, which emptying the log does not take back (the
log's max(seq) would fall to 0, and an index some changes behind would look current)."""

Row = tuple[int, str, int, str]
"""(chunk id, passage text, collection id, file name inside its folder)"""

_ROWS = (f"SELECT ch.id, ch.text, f.collection_id, {keywords.name_of('ch.file_id')} FROM chunks ch"
         " JOIN files f ON f.id = ch.file_id")


def catalog_id(conn: sqlite3.Connection) -> str:
    """This catalog's identity: a word index made for another one (set aside, restored) is rebuilt."""
    return str(conn.execute("SELECT value FROM catalog_info WHERE key = 'id'").fetchone()[0])


def position(conn: sqlite3.Connection) -> tuple[str, int]:
    """(catalog_id, last_change) in one statement: what a search compares the word index with."""
    row = conn.execute(f"SELECT (SELECT value FROM catalog_info WHERE key = 'id'), ({_LAST})").fetchone()
    return str(row[0]), int(row[1])


def last_change(conn: sqlite3.Connection) -> int:
    """The newest change's number, also once the log is emptied (0 before the first change)."""
    return int(conn.execute(_LAST).fetchone()[0])


def changes(conn: sqlite3.Connection, after: int, limit: int) -> list[tuple[int, int]]:
    return [(int(s), int(c)) for s, c in conn.execute(
        "SELECT seq, chunk_id FROM keyword_changes WHERE seq > ? ORDER BY seq LIMIT ?", (after, limit))]


def rows(conn: sqlite3.Connection, ids: list[int]) -> list[Row]:
    out: list[Row] = []
    for at in range(0, len(ids), 500):
        part = ids[at : at + 500]
        out += [(int(r[0]), str(r[1]), int(r[2]), str(r[3])) for r in conn.execute(
            f"{_ROWS} WHERE ch.id IN ({','.join('?' * len(part))})", part)]
    return out


def rows_after(conn: sqlite3.Connection, after: int, limit: int) -> list[Row]:
    """Passages in id order from after `after`: a build's next batch."""
    return [(int(r[0]), str(r[1]), int(r[2]), str(r[3])) for r in conn.execute(
        f"{_ROWS} WHERE ch.id > ? ORDER BY ch.id LIMIT ?", (after, limit))]


def forget(conn: sqlite3.Connection, upto: int) -> None:
    """Drop the changes the word index holds (the writer's, in its own transaction)."""
    conn.execute("DELETE FROM keyword_changes WHERE seq <= ?", (upto,))
