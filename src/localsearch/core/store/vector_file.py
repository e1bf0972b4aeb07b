"""A vector index on disk: the FAISS file and its sidecar, written atomically and checked on load.

The sidecar (JSON, one record) says which model and catalog vector_version the file was saved at, how
the index is built, and the file's xxh3-128 digest. The file is written first, then the sidecar: a
crash between the two leaves a version mismatch (rebuilt from the catalog), and damage later is caught
by the digest. Why a file cannot serve is a `Stale` reason, never a message to be parsed.
"""

import enum
import json
import shutil
import time
import typing
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, BinaryIO

import faiss
import xxhash

from localsearch.core import atomic
from localsearch.core.errors import KnownError


@dataclass
class Sidecar:
    model_id: str
    dim: int
    version: int
    count: int
    kind: str = "flat"
    nprobe: int = 0
    trained_on: int = 0
    train_error: float = 0.0
    added: int = 0  # vectors added since training
    drift_n: int = 0  # of which this many had their distance to a list centre measured...
    drift_sum: float = 0.0  # ...summing to this
    checksum: str = ""  # xxh3-128 of the index file; "" in sidecars written before checksums
    codes: str = "float32"  # how the vectors are held (vectors.CODES); sidecars written before say nothing

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> "Sidecar":
        """Each field as its declared type; absent optional fields take their defaults. Sidecars written
        before `codes` existed held float32, or 8-bit codes for an ivf-sq8 index."""
        types = typing.get_type_hints(cls)
        known = {f.name: types[f.name](raw[f.name]) for f in fields(cls) if f.name in raw}
        if "codes" not in raw:
            known["codes"] = "sq8" if raw.get("kind") == "ivf-sq8" else "float32"
        return cls(**known)


class Stale(enum.Enum):
    """Why a saved index cannot serve as it is."""

    MISSING = "index file missing"
    NO_SIDECAR = "sidecar missing or unreadable"
    OTHER_MODEL = "made by another model"
    BEHIND = "behind the catalog"
    """Merely behind: the indexer has committed and not saved yet (a reader may serve it meanwhile)."""
    UNREADABLE = "unreadable index file"
    COUNT = "vector count differs from the catalog"


@dataclass(frozen=True)
class Why:
    stale: Stale
    detail: str = ""  # what the reason alone does not say (versions, models, the error)

    def __str__(self) -> str:
        return self.detail or self.stale.value


def file_digest(f: BinaryIO) -> str:
    """xxh3-128 of an open file, read in 4 MiB pieces (a 1.5 GB index: well under a second)."""
    h = xxhash.xxh3_128()
    for piece in iter(lambda: f.read(4 << 20), b""):
        h.update(piece)
    return h.hexdigest()


class VectorFile:
    def __init__(self, directory: Path, stem: str) -> None:
        self.file = directory / f"{stem}.faiss"
        self.meta_file = directory / f"{stem}.json"

    def read_sidecar(self) -> Sidecar | None:
        try:
            return Sidecar.from_json(json.loads(self.meta_file.read_text()))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def why_stale(self, model_id: str, dim: int, version: int) -> Why | None:
        """None when the saved index is the one for this model, width and catalog version."""
        if not self.file.exists():
            return Why(Stale.MISSING)
        meta = self.read_sidecar()
        if meta is None:
            return Why(Stale.NO_SIDECAR)
        if meta.model_id != model_id or meta.dim != dim:
            return Why(Stale.OTHER_MODEL, f"index made by {meta.model_id}, collection uses {model_id}")
        if meta.version != version:
            return Why(Stale.BEHIND, f"index at version {meta.version}, catalog at {version}")
        return None

    def read_verified(self) -> tuple[faiss.Index, Sidecar, str]:
        """The index whose digest is the one in its sidecar, with the sidecar and the digest. The open file
        is hashed and then read, so a file the indexer replaces meanwhile is never half-checked; a
        mismatch is looked at once more (the indexer writes the file, then its sidecar), then called
        damage (RuntimeError)."""
        for attempt in (1, 2):
            meta = self.read_sidecar()  # before the file: the indexer writes the file first
            if meta is None:
                raise RuntimeError("the sidecar is missing or unreadable")
            with open(self.file, "rb") as f:
                digest = file_digest(f)
                if meta.checksum and digest != meta.checksum:
                    if attempt == 1:
                        time.sleep(0.1)
                        continue
                    raise RuntimeError("checksum mismatch: the file is damaged")
                f.seek(0)
                return faiss.read_index(f"/dev/fd/{f.fileno()}"), meta, digest
        raise AssertionError("unreachable")

    def save(self, index: faiss.Index, side: Sidecar, dim: int) -> Sidecar:
        """Index first, then the sidecar with the file's digest (returned in the sidecar written)."""
        digest = ""

        def write(tmp: Path) -> None:
            nonlocal digest
            faiss.write_index(index, str(tmp))
            with open(tmp, "rb") as f:
                digest = file_digest(f)

        try:
            atomic.write_with(self.file, write)
            side.checksum = digest
            self.write_sidecar(side)
        except (RuntimeError, OSError) as e:  # faiss says "write error 4014 != 1572864"; the disk says why
            raise self._save_failed(e, int(index.ntotal) * dim * 4) from e
        return side

    def write_sidecar(self, side: Sidecar) -> None:
        atomic.write_text(self.meta_file, json.dumps(asdict(side)))

    def _save_failed(self, error: Exception, needed: int) -> KnownError:
        """One line for a failed save. The catalog holds every commit and the index is rebuilt from it,
        so nothing committed is lost; a full disk (less free than the index needs) is named as such."""
        free = shutil.disk_usage(self.file.parent).free
        if free < needed + (64 << 20):  # less than the index and a margin
            return KnownError(f"disk full: {free / 2**20:.0f} MB free on {self.file.parent}; nothing committed was "
                              "lost (free some space, then run LocalSearch again)")
        return KnownError(f"cannot save the search index {self.file}: {str(error).splitlines()[0][:200]}; nothing "
                          "committed was lost")

    def delete(self) -> None:
        self.file.unlink(missing_ok=True)
        self.meta_file.unlink(missing_ok=True)
