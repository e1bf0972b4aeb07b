"""Numbers as a person reads them in the window and on the command line (standard library only)."""


def size_text(n: int) -> str:
    """A size as a person reads it: 412 bytes, 12.3 KB, 80.1 MB, 2.5 GB (units of 1,024)."""
    value = float(n)
    for unit in ("bytes", "KB", "MB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """1 file, 2 files, 12,345 passages: the noun agrees with the count, large counts are grouped."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"
