"""How a passage's vector is stored in the catalog: float16, half the bytes of float32.

The text models' vectors are unit length, so float16 holds each number to ~3 significant digits: the
cosine with the float32 vector stays above 0.99999, far inside the 8-bit encoder's own 0.995 (bench/
README.md, "Disk footprint"), and the vector index holds float16 codes too (store.vectors), so an index
rebuilt from the catalog is the one that was built while indexing. A vector that float16 cannot hold
(a number past ±60,000: no model this app ships makes one) is stored as float32. Catalogs made before
schema 11 hold float32 vectors; both are read, told apart by their length, and store.compact rewrites
the old ones in bounded steps. Photo vectors (one a photo, a small share) stay float32.
"""

import numpy as np

HALF_MAX = 60_000.0


def encode(vector: np.ndarray) -> bytes:
    v = np.asarray(vector, dtype=np.float32).ravel()
    if v.size and np.isfinite(v).all() and float(np.abs(v).max()) > HALF_MAX:
        return np.ascontiguousarray(v).tobytes()
    return v.astype(np.float16).tobytes()


def decode(blob: bytes, dim: int) -> np.ndarray:
    """One stored vector as float32, whichever width it was stored at."""
    return np.frombuffer(blob, dtype=np.float16 if len(blob) == 2 * dim else np.float32).astype(np.float32)


def decode_many(blobs: list[bytes], dim: int) -> np.ndarray:
    """Stored vectors as one (n, dim) float32 array; one conversion when all are float16 (the usual case)."""
    if not blobs:
        return np.zeros((0, dim), np.float32)
    if all(len(b) == 2 * dim for b in blobs):
        return np.frombuffer(b"".join(blobs), dtype=np.float16).reshape(len(blobs), dim).astype(np.float32)
    return np.stack([decode(b, dim) for b in blobs])


def half(blob: bytes, dim: int) -> bytes:
    """A stored vector at float16 (what store.compact writes for a float32 one)."""
    return blob if len(blob) == 2 * dim else encode(decode(blob, dim))
