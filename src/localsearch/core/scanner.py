"""Walk a collection's roots: every regular file with its size and mtime, plus what could not be walked.

Paths are bytes end to end (os.fsencode), so names that are not valid UTF-8 survive unchanged. A
symbolic link whose target lies outside the collection's folders is not followed (a link to
/etc/shadow or to another user's files must not put their text in the index); it is recorded with
its reason instead. A link that stays inside them is skipped too: its target is indexed where it
lies, once.
"""

import errno
import fnmatch
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import AnyStr


@dataclass(frozen=True)
class Entry:
    raw_path: bytes
    size: int
    mtime_ns: int


@dataclass
class ScanResult:
    files: list[Entry] = field(default_factory=list)
    problems: list[tuple[bytes, str]] = field(default_factory=list)
    """(path, reason): broken symlinks, loops, unreadable folders; recorded as per-file failures."""
    protected: list[bytes] = field(default_factory=list)
    """Folders that could not be listed: keep what the catalog has under them."""
    missing: list[bytes] = field(default_factory=list)
    """Paths asked for that do not exist (a gone root: offline; a gone file in a watched root: deleted)."""


def is_excluded(name: bytes, patterns: Iterable[str]) -> bool:
    text = os.fsdecode(name)
    return any(fnmatch.fnmatchcase(text, p) for p in patterns)


OUTSIDE = "link leads outside the collection's folders (not followed)"


def _problem_for(e: OSError) -> str:
    if e.errno == errno.ELOOP:
        return "symlink loop"
    if e.errno == errno.ENOENT:
        return "broken symlink (target missing)"
    if e.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return f"cannot read: {e.strerror or e}"


def scan(roots: Iterable[str | bytes], excludes: Iterable[str] = (),
         within: Iterable[str | bytes] | None = None) -> ScanResult:
    """Walk `roots`; with `within` (the collection's folders), links that resolve outside them are not followed."""
    patterns = list(excludes)
    result = ScanResult()
    bounds = [os.path.realpath(os.fsencode(r)) for r in within] if within is not None else None

    own = {os.path.abspath(os.fsencode(r)) for r in within} if within is not None else set()

    def outside(path: bytes) -> bool:
        return bounds is not None and not under_any(os.path.realpath(path), bounds)

    def duplicate_link(path: bytes) -> bool:
        """A link to somewhere inside the collection's own folders: what it leads to is indexed where it
        lies, so following it would list the same file twice."""
        return bounds is not None and os.path.abspath(path) not in own and os.path.islink(path)

    seen_dirs: set[tuple[int, int]] = set()
    seen_files: set[bytes] = set()
    seen_inodes: set[tuple[int, int]] = set()

    def add(path: bytes, st: os.stat_result) -> None:
        # a watcher batch may name a file and its folder; hard links (and, when links are followed
        # anywhere, links) reach one file by two names: it is indexed once
        if path not in seen_files and (st.st_dev, st.st_ino) not in seen_inodes:
            seen_files.add(path)
            seen_inodes.add((st.st_dev, st.st_ino))
            result.files.append(Entry(path, st.st_size, st.st_mtime_ns))

    later: list[tuple[bytes, os.stat_result]] = []

    def walk(stack: list[bytes]) -> None:
        while stack:
            folder = stack.pop()
            try:
                fst = os.stat(folder)
                key = (fst.st_dev, fst.st_ino)
                if key in seen_dirs:  # a symlink back into the tree; walking it would never end
                    continue
                seen_dirs.add(key)
                entries = list(os.scandir(folder))
            except OSError as e:
                result.problems.append((folder, _problem_for(e)))
                result.protected.append(folder)
                continue
            for entry in entries:
                if is_excluded(entry.name, patterns):
                    continue
                link = entry.is_symlink()
                if link and bounds is not None:
                    if outside(entry.path):
                        result.problems.append((entry.path, OUTSIDE))
                        continue
                    if os.path.exists(entry.path):
                        continue  # inside: its target is indexed where it lies (a broken one is recorded below)
                try:
                    est = entry.stat(follow_symlinks=True)
                except OSError as e:
                    result.problems.append((entry.path, _problem_for(e)))
                    continue
                if link and (stat.S_ISDIR(est.st_mode) or stat.S_ISREG(est.st_mode)):
                    later.append((entry.path, est))
                elif stat.S_ISDIR(est.st_mode):
                    stack.append(entry.path)
                elif stat.S_ISREG(est.st_mode):  # never FIFOs, sockets or devices: reading them can block
                    add(entry.path, est)

    for root in roots:
        raw_root = os.fsencode(root)
        try:
            st = os.stat(raw_root)
        except OSError:
            result.missing.append(raw_root)
            continue
        if outside(raw_root):  # a watcher's scoped path: itself a link, or below a linked folder
            result.problems.append((raw_root, OUTSIDE))
            continue
        if duplicate_link(raw_root):
            continue
        if stat.S_ISREG(st.st_mode):
            add(raw_root, st)
            continue
        if not stat.S_ISDIR(st.st_mode):
            continue
        walk([raw_root])
    while later:  # links last, so a file reached both directly and through a link keeps its own name
        path, est = later.pop(0)
        if stat.S_ISDIR(est.st_mode):
            walk([path])
        else:
            add(path, est)
    return result


def excluded_below(raw_path: bytes, root: bytes, patterns: Iterable[str]) -> bool:
    """Whether any component of raw_path below root matches an exclusion (the watcher's view of excludes)."""
    rel = os.path.relpath(raw_path, root)
    return any(is_excluded(part, patterns) for part in rel.split(os.sep.encode()) if part not in (b".", b".."))


def under_any(path: AnyStr, folders: Iterable[AnyStr]) -> bool:
    """Whether `path` is one of `folders` or lies below one (paths as bytes or as text alike)."""
    return any(path == f or path.startswith(os.path.join(f, path[:0])) for f in folders)
