"""The time an indexing phase has left, from its own rate.

The rate is a phase's own (files indexed, then passages embedded, then photos read), measured from when
it was first seen, so an estimate never mixes the speed of one phase with the work of another; no
time left is said until the rate is known. bench/first_results.py measures how close it comes.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass

from localsearch.core.indexer import Progress

COUNTED = {"indexing": "files indexed", "embedding": "passages embedded", "reading text": "photos and scans read",
           "upgrading keywords": "passages re-indexed", "compacting": "passages rewritten"}
"""The phases with counts, and what they count."""
MIN_ELAPSED_S = 1.0
"""A rate is said only after this long in a phase (the first second holds start-up costs)."""


@dataclass
class Rate:
    """One collection's current phase: when it was first seen, and how much was done then."""

    phase: str
    since: float
    first_done: int

    def per_second(self, done: int, now: float) -> float:
        elapsed = now - self.since
        return (done - self.first_done) / elapsed if elapsed >= MIN_ELAPSED_S and done > self.first_done else 0.0


class Rates:
    """Per collection, the rate of the phase in progress and the seconds it has left (None until known)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._rates: dict[str, Rate] = {}

    def see(self, p: Progress) -> float | None:
        """Record p; the seconds left in its phase at the rate so far, or None when not known yet."""
        if not active(p):
            self._rates.pop(p.collection, None)
            return None
        now = self.clock()
        rate = self._rates.get(p.collection)
        if rate is None or rate.phase != p.phase or p.done < rate.first_done:
            rate = self._rates[p.collection] = Rate(p.phase, now, p.done)
        speed = rate.per_second(p.done, now)
        return (p.total - p.done) / speed if speed > 0 else None

    def speed(self, p: Progress) -> float:
        rate = self._rates.get(p.collection)
        return rate.per_second(p.done, self.clock()) if rate is not None and rate.phase == p.phase else 0.0


def active(p: Progress) -> bool:
    """Work under way: scanning (no count yet), or a counted phase not finished."""
    return p.phase == "scanning" or (p.phase in COUNTED and p.done < p.total)


def duration(seconds: float) -> str:
    if seconds < 100:
        return f"{max(1, round(seconds))} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


