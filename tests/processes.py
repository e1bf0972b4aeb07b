"""Helpers for tests that run the CLI in another process and stop it the hard way."""

import signal
import subprocess
import time
from collections.abc import Callable


def kill_when(proc: subprocess.Popen[bytes], count: Callable[[], int], at: int, timeout: float) -> int:
    """SIGKILL `proc` as soon as count() (the work it has committed, read from outside) reaches `at`, and
    wait for it; returns the count seen then (less than `at` when it finished or the time ran out first)."""
    deadline, seen = time.monotonic() + timeout, 0
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            seen = count()
            if seen >= at:
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.01)
    finally:
        proc.wait(timeout=60)
    return seen
