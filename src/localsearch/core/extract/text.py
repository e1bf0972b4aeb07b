"""Plain text and source code: detect the encoding, refuse binary."""

from pathlib import Path

import charset_normalizer

from localsearch.core.errors import UnsupportedFile
from localsearch.core.extract.limits import Limits
from localsearch.core.types import Extracted

_COMMON = ("cp1252", "latin_1", "iso8859_15", "cp1251", "shift_jis", "gb18030", "big5", "euc_kr")
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_CONTROLS = bytes(b for b in range(32) if b < 9 or 13 < b)


def looks_binary(head: bytes) -> bool:
    """NUL bytes outside a UTF-16/32 BOM mean binary; so does a high share of control bytes."""
    if not head or head.startswith(_BOMS):
        return False
    if b"\x00" in head:
        return True
    controls = len(head) - len(head.translate(None, _CONTROLS))  # bytes below 32 but tab, newline, CR, FF
    return controls / len(head) > 0.10


def decode(data: bytes) -> str:
    if not data:
        return ""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    matches = list(charset_normalizer.from_bytes(data[: 1 << 20]))
    if not matches:
        raise UnsupportedFile("text encoding could not be detected")
    # Short texts often fit several code pages equally well; then the most widespread one is the best bet.
    best = matches[0]
    tied = [m.encoding for m in matches if (m.chaos, m.coherence) == (best.chaos, best.coherence)]
    encoding = next((e for e in _COMMON if e in tied), best.encoding)
    return data.decode(encoding, errors="replace")


def read_text(path: Path, limits: Limits) -> str:
    with open(path, "rb") as f:
        data = f.read(limits.max_file_bytes + 1)
    if looks_binary(data[:8192]):
        raise UnsupportedFile("binary content in a text file")
    return decode(data)


def extract(path: Path, limits: Limits) -> Extracted:
    return Extracted(text=read_text(path, limits))


def sniff_is_text(path: Path) -> bool:
    """For files without a known suffix (README, Makefile): index them if they are text."""
    with open(path, "rb") as f:
        head = f.read(8192)
    if not head or looks_binary(head):
        return False
    try:
        head.decode("utf-8")
        return True
    except UnicodeDecodeError as e:
        # A multi-byte character cut at the end of the sample is still text.
        return e.start >= len(head) - 4
