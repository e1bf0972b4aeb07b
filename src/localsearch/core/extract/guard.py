"""Checks run before a parser sees a file, so parsers never face a zip bomb."""

import zipfile
from pathlib import Path

from localsearch.core.errors import FileTooLarge, UnsupportedFile
from localsearch.core.extract.limits import Limits


def check_zip(path: Path, limits: Limits) -> None:
    """Reject archives whose declared expansion is absurd, before anything decompresses them."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except zipfile.BadZipFile as e:
        raise UnsupportedFile(f"not a valid Office/EPUB file (bad zip: {e})") from e
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if total > limits.max_unzipped_bytes:
        raise FileTooLarge(f"expands to {total / 2**20:.0f} MiB (limit {limits.max_unzipped_bytes / 2**20:.0f} MiB)")
    if total > 10 * 2**20 and total / packed > limits.max_zip_ratio:
        raise FileTooLarge(f"suspicious compression ratio {total / packed:.0f}:1 (zip bomb?)")


def cap_text(text: str, limits: Limits) -> str:
    return text if len(text) <= limits.max_text_chars else text[: limits.max_text_chars]
