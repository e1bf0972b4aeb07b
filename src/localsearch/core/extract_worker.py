"""What one extraction worker process does for one file: hash it, then extract its text.

Runs in a separate process (see indexer) so a parser that hangs is killed at its time limit and
one that crashes takes only its own process down.
"""

import hashlib
import os

from localsearch.core import extract
from localsearch.core.errors import from_os_error
from localsearch.core.extract.limits import Limits
from localsearch.core.types import Extracted


def file_hash(path: str | bytes | os.PathLike[str]) -> str:
    h = hashlib.blake2b(digest_size=20)
    try:
        with open(path, "rb") as f:
            while block := f.read(1 << 20):
                h.update(block)
    except OSError as e:
        raise from_os_error(e) from e
    return h.hexdigest()


def run(raw_path: bytes, limits: Limits) -> tuple[str, Extracted]:
    digest = file_hash(raw_path)
    return digest, extract.extract_file(os.fsdecode(raw_path), limits)
