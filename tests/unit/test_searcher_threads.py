"""Searches run on many threads (the window's runner, the HTTP service's pool, which retires idle
threads and starts new ones): each thread reads through its own connection, closed when it ends."""

import gc
import sqlite3
import threading

import pytest

from localsearch.core.search import Query


def test_a_finished_threads_connection_is_closed(service, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("the harbour master's log")
    service.index("docs", [str(docs)])
    used: list[sqlite3.Connection] = []

    def search_once() -> None:
        assert service.search(Query("harbour")).hits
        used.append(service.searcher.reader().conn)

    for _ in range(3):  # three generations of pool threads
        t = threading.Thread(target=search_once)
        t.start()
        t.join()
    gc.collect()
    assert len(used) == 3 and len({id(c) for c in used}) == 3
    for conn in used:
        with pytest.raises(sqlite3.ProgrammingError):  # closed
            conn.execute("SELECT 1")
    live = {id(r.catalog.conn) for r in service.searcher._readers}
    assert not live & {id(c) for c in used}


def test_searches_from_many_threads_at_once_agree(service, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(30):
        (docs / f"n{i}.txt").write_text(f"note {i} about {'tides' if i % 3 else 'lanterns'} and the pier")
    service.index("docs", [str(docs)])
    expected = [h.path for h in service.search(Query("lanterns pier", k=5)).hits]
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def many() -> None:
        try:
            for _ in range(20):
                results.append([h.path for h in service.search(Query("lanterns pier", k=5)).hits])
        except BaseException as e:  # surfaced below
            errors.append(e)

    threads = [threading.Thread(target=many) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(results) == 160 and all(r == expected for r in results)
