"""A real-text corpus for the ingest benchmarks: Debian's own documentation, as plain text files.

READMEs, changelogs, FAQs and guides under /usr/share/doc (gzip ones decompressed), then manual pages
rendered to text by `man`, each cut to its first `max_chars` characters and kept once per distinct
text (licence files repeat verbatim, and the indexer rightly never embeds the same content twice),
written to a cache folder outside the repository.
"""

import gzip
import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

SOURCE = Path("/usr/share/doc")
MANUALS = Path("/usr/share/man")
SUFFIXES = {"", ".txt", ".md", ".rst", ".gz"}


def _text(path: Path) -> str | None:
    try:
        data = path.read_bytes()
        if path.suffix == ".gz":
            data = gzip.decompress(data)
        return data.decode("utf-8")
    except (OSError, UnicodeDecodeError, EOFError, gzip.BadGzipFile):
        return None


def _manual(path: Path) -> str | None:
    env = {**os.environ, "MANWIDTH": "80", "MANPAGER": "cat", "MAN_KEEP_FORMATTING": "0"}
    try:
        page = subprocess.run(["man", "-l", str(path)], capture_output=True, env=env, timeout=30, check=False)
        plain = subprocess.run(["col", "-b"], input=page.stdout, capture_output=True, timeout=30, check=False)
        return plain.stdout.decode("utf-8", "replace") if page.returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired):
        return None


def _documents() -> Iterator[tuple[Path, str | None]]:
    """(name in the corpus, text) for each candidate: the documentation first, then the manuals."""
    for path in sorted(SOURCE.rglob("*")) if SOURCE.is_dir() else []:
        if path.is_file() and not path.is_symlink() and path.suffix in SUFFIXES and path.stat().st_size <= 2_000_000:
            yield Path("doc") / path.relative_to(SOURCE).parent / (path.name.removesuffix(".gz") + ".txt"), _text(path)
    if shutil.which("man") and shutil.which("col"):
        for path in sorted(MANUALS.glob("man[1-8]/*.gz")):
            if path.is_file() and not path.is_symlink():
                yield Path("man") / path.parent.name / (path.name.removesuffix(".gz") + ".txt"), _manual(path)


def debian_docs(root: Path, files: int, max_chars: int = 4000) -> tuple[Path, int]:
    """`root` holding up to `files` distinct documents (built once); returns it and how many it holds."""
    done = root / ".complete"
    if not done.exists():
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        seen: set[str] = set()
        for name, text in _documents():
            if len(seen) >= files:
                break
            if text is None or len(text.split()) < 40:
                continue
            text = text[:max_chars]
            digest = hashlib.sha256(text.encode()).hexdigest()
            if digest in seen:
                continue
            seen.add(digest)
            out = root / name
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text, encoding="utf-8")
        done.write_text(str(len(seen)))
    return root, int(done.read_text())
