"""The keyword index: FTS5 over passages and file names, matching word forms (Porter stems).

`chunks_words` holds each passage as words.indexed_text() writes it (compounds also joined), so its
rows are written here, in Python, rather than by a trigger. Since schema 12 it is contentless: FTS5 keeps
its index of the words, not a second copy of every passage (~1.2 KB a passage, a quarter of the
catalog). Such a table forgets a row only when told the words it was given, so a passage's row is
deleted (by trigger, in SQL) with words.indexed_text of its text again (the `ls_indexed_text` function
each connection registers, see register) and the name its file had in the index, which files.words_name
records: it changes only through renamed(), which writes the file's rows again. A change to what
indexed_text writes therefore needs the index filled anew (as schema 12 does), never rows deleted with
the new form. Only rows the index holds are deleted (a passage the fill has not reached is not in it).

A catalog made before schema 5 has the older `chunks_fts` (exact forms only), and one made before
schema 12 has `chunks_words` with its own copy of the text, renamed `chunks_fts`: it keeps serving while
the writer fills the new `chunks_words` in bounded steps (fill_step), and the switch is one transaction
that drops the old table. Searches read serving_table() each time.
"""

import sqlite3
from collections.abc import Callable

from localsearch.core import log, words

TABLE = "chunks_words"
OLD_TABLE = "chunks_fts"
CREATE = (f"CREATE VIRTUAL TABLE {TABLE} USING fts5(text, name, content = '',"
          " tokenize = 'porter unicode61 remove_diacritics 2')")
WORDS_FN = "ls_indexed_text"
"""SQL's name for words.indexed_text, which the delete trigger calls (see register)."""
FILL_BATCH = 5000
"""Passages copied into the new index per transaction: a crash loses at most one batch of work."""

_TRIGGERS = ("chunks_ai", "chunks_ad", "files_au_path")


def name_of(file_id: str) -> str:
    """SQL for the name the index holds for a file: its path inside its folder ("Invoices/2024/march.pdf"),
    not the folder's own path, whose words ("home", "alice", "Documents") would match every file."""
    root = ("(SELECT r.path FROM roots r WHERE r.collection_id = f.collection_id AND r.path != '/'"
            " AND substr(f.path, 1, length(r.path) + 1) = r.path || '/' ORDER BY length(r.path) DESC LIMIT 1)")
    return f"(SELECT coalesce(substr(f.path, length({root}) + 2), f.path) FROM files f WHERE f.id = {file_id})"


def register(conn: sqlite3.Connection) -> None:
    """Give this connection the function the keyword index's delete trigger calls; every connection that
    may delete passages needs it (one without it fails loudly: "no such function")."""
    conn.create_function(WORDS_FN, 1, words.indexed_text, deterministic=True)


def _triggers(tables: tuple[str, ...]) -> list[str]:
    deletes = " ".join(
        f"INSERT INTO {t}({t}, rowid, text, name) SELECT 'delete', old.id, {WORDS_FN}(old.text), words_name"
        f" FROM files WHERE id = old.file_id AND EXISTS (SELECT 1 FROM {t} WHERE rowid = old.id);" if t == TABLE
        else f"DELETE FROM {t} WHERE rowid = old.id;" for t in tables)
    out = [f"CREATE TRIGGER chunks_ad AFTER DELETE ON chunks BEGIN {deletes} END"]
    renames = " ".join(f"UPDATE {t} SET name = {name_of('new.id')} WHERE rowid IN (SELECT id FROM chunks"
                       " WHERE file_id = new.id);" for t in tables if t != TABLE)  # TABLE's: renamed()
    if renames:
        out.append(f"CREATE TRIGGER files_au_path AFTER UPDATE OF path ON files BEGIN {renames} END")
    return out


def _set_triggers(conn: sqlite3.Connection, tables: tuple[str, ...]) -> None:
    for name in _TRIGGERS:
        conn.execute(f"DROP TRIGGER IF EXISTS {name}")
    for statement in _triggers(tables):
        conn.execute(statement)


def _exists(conn: sqlite3.Connection, table: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (table,)).fetchone() is not None


CREATE_V5 = f"CREATE VIRTUAL TABLE {TABLE} USING fts5(text, name, tokenize = 'porter unicode61 remove_diacritics 2')"
"""Schemas 5-11: the stemmed index with its own copy of the text (schema 12 makes it contentless)."""


def migrate(conn: sqlite3.Connection) -> None:
    """Schema 5 (inside the migration's transaction): the stemmed index; filled at once when the catalog
    holds no passages, else left to fill_step while the old index serves."""
    conn.execute(CREATE_V5)
    conn.execute("CREATE TABLE keyword_fill(next_id INTEGER NOT NULL)")
    if conn.execute("SELECT 1 FROM chunks LIMIT 1").fetchone() is None:
        conn.execute(f"DROP TABLE IF EXISTS {OLD_TABLE}")
        _set_triggers(conn, (TABLE,))
        conn.execute("DROP TABLE keyword_fill")
    else:
        _set_triggers(conn, (TABLE, OLD_TABLE))
        conn.execute("INSERT INTO keyword_fill(next_id) VALUES (0)")


def filling(conn: sqlite3.Connection) -> bool:
    return _exists(conn, "keyword_fill")


def serving_table(conn: sqlite3.Connection) -> str:
    """The table searches read: the old one until the new one is complete."""
    return OLD_TABLE if filling(conn) else TABLE


def _write(conn: sqlite3.Connection, rows: list[tuple[int, str, int]]) -> None:
    """Passages (id, text, file id) into the index, as words.indexed_text writes them, with their file's
    name in the index (recorded in files.words_name the first time, for the deletes)."""
    conn.executemany(f"UPDATE files SET words_name = {name_of('?')} WHERE id = ? AND words_name IS NULL",
                     [(fid, fid) for fid in {r[2] for r in rows}])
    conn.executemany(f"INSERT INTO {TABLE}(rowid, text, name) VALUES (?, ?, (SELECT words_name FROM files WHERE id = ?))",
                     [(cid, words.indexed_text(text), fid) for cid, text, fid in rows])


def renamed(conn: sqlite3.Connection, file_ids: list[int]) -> None:
    """Files whose path changed (inside the caller's transaction): the rows the index holds for their
    passages are written again under the new name, when the name in the index changes."""
    for fid in file_ids:
        row = conn.execute(f"SELECT words_name, {name_of('?')} FROM files WHERE id = ?", (fid, fid)).fetchone()
        if row is None or row[0] is None or row[0] == row[1]:
            continue  # not in the index yet (the fill writes it with its new name), or the same name
        held = [(int(cid), words.indexed_text(str(text))) for cid, text in conn.execute(
            f"SELECT id, text FROM chunks WHERE file_id = ? AND EXISTS (SELECT 1 FROM {TABLE} WHERE rowid = chunks.id)",
            (fid,))]
        conn.executemany(f"INSERT INTO {TABLE}({TABLE}, rowid, text, name) VALUES ('delete', ?, ?, ?)",
                         [(cid, text, row[0]) for cid, text in held])  # the words and name it was given
        conn.execute("UPDATE files SET words_name = ? WHERE id = ?", (row[1], fid))
        conn.executemany(f"INSERT INTO {TABLE}(rowid, text, name) VALUES (?, ?, ?)",
                         [(cid, text, row[1]) for cid, text in held])


def _held(conn: sqlite3.Connection, rows: list[tuple[int, str, int]]) -> set[int]:
    """Which of these passages (in id order) the index holds."""
    return {r[0] for r in conn.execute(f"SELECT rowid FROM {TABLE} WHERE rowid BETWEEN ? AND ?",
                                       (rows[0][0], rows[-1][0]))} if rows else set()


def insert(conn: sqlite3.Connection, rows: list[tuple[int, str, int]]) -> None:
    """New passages (id, text, file id), inside the caller's transaction; during a fill the old
    index gets them too, so it stays complete while it serves."""
    _write(conn, rows)
    if filling(conn):
        conn.executemany(f"INSERT INTO {OLD_TABLE}(rowid, text, name) VALUES (?, ?, {name_of('?')})", rows)


def _copy(conn: sqlite3.Connection, after: int, limit: int) -> int:
    """Passages with ids above `after` not yet in the new index, up to `limit`; returns the last id read."""
    rows = conn.execute("SELECT id, text, file_id FROM chunks WHERE id > ? ORDER BY id LIMIT ?",
                        (after, limit)).fetchall()
    if not rows:
        return -1
    have = _held(conn, rows)
    _write(conn, [r for r in rows if r[0] not in have])
    return int(rows[-1][0])


def fill_step(conn: sqlite3.Connection, batch: int | None = None) -> bool:
    """One bounded step of the fill, in its own transaction; True when the new index is complete (and
    has taken over). The caller holds the writer lock."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        if not filling(conn):
            conn.execute("COMMIT")
            return True
        after = int(conn.execute("SELECT next_id FROM keyword_fill").fetchone()[0])
        last = _copy(conn, after, batch or FILL_BATCH)
        if last < 0:
            conn.execute(f"DROP TABLE {OLD_TABLE}")
            conn.execute("DROP TABLE keyword_fill")
            _set_triggers(conn, (TABLE,))
            log.store.info("the keyword index now matches word forms (the old index is dropped)")
        else:
            conn.execute("UPDATE keyword_fill SET next_id = ?", (last,))
        conn.execute("COMMIT")
        return last < 0
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def fill(conn: sqlite3.Connection, stop: Callable[[], bool] = lambda: False,
         progress: Callable[[int, int], None] | None = None) -> bool:
    """Steps until the new index is complete or `stop()`; True when complete. progress(done, total) is
    told in passage ids (a count would scan the table at every step)."""
    total = int(conn.execute("SELECT coalesce(max(id), 0) FROM chunks").fetchone()[0]) if filling(conn) else 0
    while not stop():
        if fill_step(conn):
            return True
        if progress is not None:
            progress(min(int(conn.execute("SELECT next_id FROM keyword_fill").fetchone()[0]), total), total)
    return False


RECHECK = "cjk_recheck"


def migrate_cjk(conn: sqlite3.Connection) -> None:
    """Schema 8 (inside the migration's transaction): passages holding Chinese, Japanese or Korean were to
    be indexed again, their runs of characters as pairs (words.indexed_text), by the writer in bounded
    steps. Schema 12 fills the whole index anew in today's form, which does that: it drops this note."""
    if conn.execute("SELECT 1 FROM chunks LIMIT 1").fetchone() is not None:
        conn.execute(f"CREATE TABLE {RECHECK}(next_id INTEGER NOT NULL)")
        conn.execute(f"INSERT INTO {RECHECK}(next_id) VALUES (0)")


def contentless(conn: sqlite3.Connection) -> None:
    """Schema 12 (inside the migration's transaction): the keyword index without its own copy of the text
    (see the top). A catalog with passages keeps its index serving, renamed OLD_TABLE, while the writer
    fills the new one (fill_step); one still filling from before schema 5 starts that fill again into the
    new table. The fill writes every passage as words.indexed_text writes it today: the re-indexing of
    Chinese, Japanese and Korean passages (schema 8) is part of it."""
    for name in _TRIGGERS:
        conn.execute(f"DROP TRIGGER IF EXISTS {name}")
    conn.execute("ALTER TABLE files ADD COLUMN words_name TEXT")
    conn.execute(f"DROP TABLE IF EXISTS {RECHECK}")
    if conn.execute("SELECT 1 FROM chunks LIMIT 1").fetchone() is None:
        rebuild(conn)  # nothing to fill: the new index, empty, at once
        return
    if filling(conn):
        conn.execute(f"DROP TABLE {TABLE}")
        conn.execute("UPDATE keyword_fill SET next_id = 0")
    else:
        conn.execute(f"ALTER TABLE {TABLE} RENAME TO {OLD_TABLE}")
        conn.execute("CREATE TABLE keyword_fill(next_id INTEGER NOT NULL)")
        conn.execute("INSERT INTO keyword_fill(next_id) VALUES (0)")
    conn.execute(CREATE)
    _set_triggers(conn, (TABLE, OLD_TABLE))


def rebuild(conn: sqlite3.Connection) -> None:
    """The keyword index again from the passages and file names, in the caller's transaction (repair)."""
    conn.execute(f"DROP TABLE IF EXISTS {OLD_TABLE}")
    conn.execute(f"DROP TABLE IF EXISTS {TABLE}")
    conn.execute("DROP TABLE IF EXISTS keyword_fill")
    conn.execute(f"DROP TABLE IF EXISTS {RECHECK}")  # rebuilt with words.indexed_text: nothing to recheck
    conn.execute("UPDATE files SET words_name = NULL")  # names as they are now
    conn.execute(CREATE)
    _set_triggers(conn, (TABLE,))
    last = 0
    while (last := _copy(conn, last, FILL_BATCH)) >= 0:
        pass


def files_holding(conn: sqlite3.Connection, phrase: str, file_ids: list[int]) -> set[int]:
    """Which of these files hold the phrase (one word or several in a row, in any word form the index
    matches) in a passage or in their name."""
    if not file_ids or not phrase.strip():
        return set()
    table = serving_table(conn)
    marks = ",".join("?" * len(file_ids))
    rows = conn.execute(f"SELECT DISTINCT c.file_id FROM {table} JOIN chunks c ON c.id = {table}.rowid "
                        f"WHERE {table} MATCH ? AND c.file_id IN ({marks})",
                        ['"' + words.spaced(phrase).replace('"', '""') + '"', *file_ids])
    return {int(r[0]) for r in rows}
