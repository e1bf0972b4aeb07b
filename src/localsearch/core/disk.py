"""What LocalSearch takes on disk, and sizes as a person reads them (standard library only: the command
line's first imports use it)."""

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


def size_text(n: int) -> str:
    """A size as a person reads it: 412 bytes, 12.3 KB, 80.1 MB, 2.5 GB (units of 1,024)."""
    value = float(n)
    for unit in ("bytes", "KB", "MB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"
