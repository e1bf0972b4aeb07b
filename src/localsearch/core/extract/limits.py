"""Bounds that keep one hostile file from eating the machine."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int = 100 * 1024 * 1024
    max_unzipped_bytes: int = 512 * 1024 * 1024
    """Office/EPUB files are zips; more than this uncompressed is treated as a zip bomb."""
    max_zip_ratio: float = 200.0
    max_text_chars: int = 20_000_000
    """Extracted text past this is cut (and logged): 20M chars is ~50k chunks, plenty for search."""

    def too_large(self, size: int) -> str | None:
        """The reason a file of `size` bytes is not read, or None."""
        if size <= self.max_file_bytes:
            return None
        return f"{size / 2**20:.1f} MiB is over the {self.max_file_bytes / 2**20:.0f} MiB limit"
