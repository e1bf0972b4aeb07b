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


class ExtractionTimeout(ExtractionError):
    """Parsing took longer than the configured limit and was abandoned."""


class CollectionNotFound(KnownError):
    pass


class ModelUnavailable(KnownError):
    """The configured embedding model cannot be loaded (missing package, bad path, no network)."""


class ModelMismatch(KnownError):
    """A collection's vectors come from another model; it must be reindexed before use."""
