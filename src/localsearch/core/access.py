"""Which files a program may read through LocalSearch: only files indexed in a collection whose real
location is inside one of that collection's folders. A path that is not indexed is "not found" (its
existence is not revealed); an indexed path that resolves out of the folders (a symlink to /etc, to
another user's files) is refused."""

import os
from dataclasses import dataclass

from localsearch.core import scanner
from localsearch.core.errors import KnownError
from localsearch.core.store.catalog import Catalog


class NotIndexed(KnownError):
    """The path is not a file of any collection (or was not indexed successfully)."""


class OutsideFolders(KnownError):
    """The path is indexed but its real location is outside its collection's folders."""


@dataclass(frozen=True)
class IndexedFile:
    path: str
    collection: str
    kind: str  # "document" | "photo"


def inside(real: str, roots: list[str]) -> bool:
    """True when the resolved path `real` is one of `roots` or below one of them (roots resolved too)."""
    return scanner.under_any(real, [os.path.realpath(root) for root in roots])


def indexed_file(catalog: Catalog, path: str) -> IndexedFile:
    """The indexed file at `path` (absolute), or NotIndexed / OutsideFolders."""
    if not path or "\x00" in path or not os.path.isabs(path):
        raise NotIndexed("not an indexed file (give the absolute path that search returned)")
    norm = os.path.normpath(path)
    raw = os.fsencode(norm)
    for col in catalog.collections():
        kind = catalog.indexed_kind(col.id, raw)
        if kind is None:
            continue
        if not inside(os.path.realpath(norm), catalog.roots(col.id)):
            raise OutsideFolders("that file lies outside the collection's folders")
        return IndexedFile(norm, col.name, kind)
    raise NotIndexed("not an indexed file")
