"""Models LocalSearch builds from packaged ones (the 8-bit text encoder, the photo model's ONNX export),
kept in the cache folder beside a note of their checksum and of the check they passed when built."""

import hashlib
import json
from pathlib import Path
from typing import Any

from localsearch.core import atomic


def session(model: Any, threads: int = 0) -> Any:
    """An ONNX Runtime session on the CPU for a model (bytes or an onnx ModelProto); threads 0: one per core."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    data = model if isinstance(model, bytes) else model.SerializeToString()
    return ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])


def keep(path: Path, data: bytes, **facts: Any) -> None:
    """Write the model, then its note (each atomically): a model without a note is never used."""
    atomic.write_bytes(path, data)
    atomic.write_text(path.with_suffix(".json"), json.dumps({"sha256": hashlib.sha256(data).hexdigest(), **facts}))


def load(path: Path, min_cosine: float) -> tuple[bytes, dict[str, Any]] | None:
    """The kept model and its note, if it is whole and passed a check at least this strict."""
    try:
        facts = json.loads(path.with_suffix(".json").read_text())
        data = path.read_bytes()
    except (OSError, ValueError):
        return None
    if not isinstance(facts, dict) or facts.get("sha256") != hashlib.sha256(data).hexdigest():
        return None
    if float(facts.get("min_cosine", 0)) < min_cosine:
        return None
    return data, facts
