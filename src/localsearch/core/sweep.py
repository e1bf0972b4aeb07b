"""Mark and sweep for one index pass: which files changed since the catalog saw them, which only had
their time touched, which were renamed (their passages and vectors kept) and which are gone."""

from typing import TYPE_CHECKING

from localsearch.core import extract_worker, scanner
from localsearch.core.errors import ExtractionError
from localsearch.core.store.catalog import Catalog, Collection, FileRow
from localsearch.core.store.vectors import VectorIndex

if TYPE_CHECKING:
    from localsearch.core.indexer import Report


def diff(scan: scanner.ScanResult, known: dict[bytes, FileRow],
         report: "Report") -> tuple[list[scanner.Entry], dict[bytes, FileRow]]:
    """(files to read: new or changed by size or time, files the catalog holds that the walk did not find).
    A folder the walk could not read protects what the catalog holds under it."""
    todo: list[scanner.Entry] = []
    seen: set[bytes] = set()
    for e in scan.files:
        seen.add(e.raw_path)
        row = known.get(e.raw_path)
        if row and row.status == "ok" and row.size == e.size and row.mtime_ns == e.mtime_ns:
            report.unchanged += 1
        else:
            todo.append(e)
    problem_paths = {p for p, _ in scan.problems}
    missing = {
        raw: row for raw, row in known.items()
        if raw not in seen and raw not in problem_paths and not scanner.under_any(raw, scan.protected)
    }
    return todo, missing


def same_content(catalog: Catalog, todo: list[scanner.Entry], known: dict[bytes, FileRow],
                 report: "Report") -> list[scanner.Entry]:
    """A file whose mtime moved but whose size and content hash did not (touched, copied over with
    the same bytes, a checkout that rewrote it) keeps its passages and vectors: only its mtime is
    recorded. Hashing reads the file once and needs neither a parser nor a model. Returns the rest."""
    left: list[scanner.Entry] = []
    stamps: list[tuple[int, int]] = []
    for e in todo:
        row = known.get(e.raw_path)
        if row is None or row.status != "ok" or not row.hash or row.size != e.size:
            left.append(e)
            continue
        try:
            same = extract_worker.file_hash(e.raw_path) == row.hash
        except ExtractionError:
            same = False
        if same:
            stamps.append((row.id, e.mtime_ns))
        else:
            left.append(e)
    if stamps:
        catalog.touch_files(stamps)
        report.unchanged += len(stamps)
        report.touched += len(stamps)
    return left


def moved_or_gone(catalog: Catalog, col: Collection, vindex: VectorIndex, ivindex: VectorIndex | None,
                  known: dict[bytes, FileRow], todo: list[scanner.Entry], missing: dict[bytes, FileRow],
                  report: "Report", max_file_bytes: int) -> None:
    """Renames keep their vectors (a new path with a missing file's content hash: taken off `todo`);
    what is still missing is deleted from the catalog and the vector indexes."""
    by_hash: dict[str, list[FileRow]] = {}
    for row in missing.values():
        if row.status == "ok" and row.hash:
            by_hash.setdefault(row.hash, []).append(row)
    if by_hash:
        for e in list(todo):
            if e.raw_path in known or e.size > max_file_bytes:
                continue
            try:
                digest = extract_worker.file_hash(e.raw_path)
            except ExtractionError:
                continue
            rows = by_hash.get(digest)
            if rows:
                row = rows.pop()
                catalog.move_file(row.id, e.raw_path, e.size, e.mtime_ns)
                del missing[row.raw_path]
                todo.remove(e)
                report.moved += 1
    gone = [row.id for row in missing.values()]
    removed = catalog.remove_files(col.id, gone)
    vindex.remove(removed)
    if ivindex is not None:
        ivindex.remove(gone)  # image ids are file ids; ids it does not hold are ignored
    report.removed = len(missing)


def count_changes(known: dict[bytes, FileRow], todo: list[scanner.Entry], report: "Report") -> None:
    """What the files left to read are: retried failures, updates or new files."""
    for e in todo:
        prior = known.get(e.raw_path)
        if prior is not None and prior.status == "failed" and prior.size == e.size and prior.mtime_ns == e.mtime_ns:
            report.retried += 1
        elif prior is not None:
            report.updated += 1
        else:
            report.added += 1
