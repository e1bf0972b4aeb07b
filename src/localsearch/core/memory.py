"""Give freed memory back to the system in a long-running process (the window, `serve`, `watch`).

A search process reloads a collection's vector index after the indexer commits (a flat index of
10k passages is ~15 MB of arrays, made and freed each time, on whichever of many threads searched).
glibc keeps such freed blocks in per-thread arenas once its mmap threshold has risen, so the
process grows while nothing leaks. malloc_trim(0) returns the free pages of every arena.
"""

import ctypes
import ctypes.util
import sys
from collections.abc import Callable

_malloc_trim: Callable[[int], int] | None = None
_looked_up = False


def trim() -> bool:
    """malloc_trim(0) where the C library has it (glibc); True when memory was returned."""
    global _malloc_trim, _looked_up
    if not _looked_up:
        _looked_up = True
        if sys.platform.startswith("linux"):
            try:
                _malloc_trim = getattr(ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6"), "malloc_trim", None)
            except OSError:
                _malloc_trim = None
    return bool(_malloc_trim(0)) if _malloc_trim is not None else False
