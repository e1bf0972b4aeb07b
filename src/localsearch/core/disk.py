"""What LocalSearch takes on disk (standard library only: the command line's first imports use it)."""

import os
from pathlib import Path


def data_bytes(data: Path) -> int:
    """What LocalSearch takes on disk: every file in its data folder (the catalog and its log, the vector
    indexes, the word index), not only one part of it."""
    total = 0
    for root, _, files in os.walk(data):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:  # gone meanwhile (a save's temporary file)
                continue
    return total
