"""Errors the user or the environment caused, shown as plain messages (everything else is a bug)."""


class KnownError(Exception):
    """Base of errors that get a plain one-line message instead of a traceback."""


class ExtractionError(KnownError):
    """A single file could not be read; recorded against that file, never fatal to a run."""


def from_os_error(e: OSError) -> ExtractionError:
    """The one-line reason recorded for a file the system would not let us read."""
    if isinstance(e, FileNotFoundError):
        return ExtractionError("file vanished while being read")
    if isinstance(e, PermissionError):
        return ExtractionError("permission denied")
    return ExtractionError(f"read error: {e.strerror or e}")


class UnsupportedFile(ExtractionError):
    """The file's content cannot be parsed (binary junk, encrypted, unknown layout)."""


class FileTooLarge(ExtractionError):
    """The file exceeds the configured size limit, or would expand past it (zip bombs)."""


class CatalogUnusable(KnownError):
    """The catalog cannot be read: damaged, not a LocalSearch catalog, or made by a newer LocalSearch."""


class CatalogDamaged(CatalogUnusable):
    """SQLite says the catalog file is corrupt or not a database: `repair` sets it aside and starts over."""

    def __init__(self, summary: str) -> None:
        super().__init__(f"{summary}: run 'localsearch repair' (it keeps the damaged file aside and indexes your "
                         "folders again)")
        self.summary = summary  # without the command-line advice (the window offers its own Repair button)


def catalog_error(path: object, error: Exception) -> CatalogUnusable:
    """The one line a user reads when SQLite fails on the catalog (at open or mid-query), chosen by
    SQLite's error code, never by the text of its message."""
    code = getattr(error, "sqlite_errorcode", 0) & 0xFF
    if code in (11, 26):  # SQLITE_CORRUPT, SQLITE_NOTADB
        return CatalogDamaged(f"the catalog {path} is damaged ({error}). It holds only LocalSearch's index, not "
                              "your files")
    if code == 13:  # SQLITE_FULL
        return CatalogUnusable(f"the disk holding {path} is full: free some space; nothing committed was lost")
    if code in (5, 6):  # SQLITE_BUSY, SQLITE_LOCKED
        return CatalogUnusable(f"the catalog {path} stayed locked by another program for too long; try again")
    if code in (3, 8, 14, 23):  # SQLITE_PERM, SQLITE_READONLY, SQLITE_CANTOPEN, SQLITE_AUTH
        return CatalogUnusable(f"cannot open the catalog {path} ({error}): check the folder's permissions")
    return CatalogUnusable(f"cannot use the catalog {path} ({error})")


class CollectionNotFound(KnownError):
    pass


class ModelUnavailable(KnownError):
    """The configured embedding model cannot be loaded (missing package, bad path, no network)."""
