"""Indexing's embedding stage (core.embed_stage): one batch embedded while the one before it commits."""

import threading

import numpy as np
import pytest

from localsearch.core.embed.hashing import HashingEmbedder
from localsearch.core.embed_stage import EmbedStage
from localsearch.core.extract.text import looks_binary
from localsearch.core.store.catalog import FileResult
from localsearch.core.types import Chunk


def batch(name: str, passages: int) -> list[FileResult]:
    chunks = [Chunk(0, 5, f"{name} passage {i}", None) for i in range(passages)]
    return [FileResult(name.encode(), 1, 1, name, "document", chunks=chunks)]


class Gated(HashingEmbedder):
    """Embeds only when let through, and remembers which thread did it."""

    def __init__(self) -> None:
        super().__init__(16)
        self.gate = threading.Event()
        self.threads: set[str] = set()

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        assert self.gate.wait(timeout=60)
        self.threads.add(threading.current_thread().name)
        return super().embed_texts(texts)


def test_each_push_returns_the_batch_before_it_embedded_off_the_callers_thread():
    model = Gated()
    stage = EmbedStage(model, None, large=512, budget_s=60, step=64)
    try:
        assert stage.push(batch("a", 3)) is None
        assert stage.ready() is None, "still embedding: nothing to commit yet"
        model.gate.set()
        first = stage.push(batch("b", 2))
        assert first is not None and first[0].raw_path == b"a" and first[0].vectors.shape == (3, 16)
        last = stage.drain()
        assert last is not None and last[0].raw_path == b"b" and last[0].vectors.shape == (2, 16)
        assert stage.drain() is None
        assert model.threads and threading.current_thread().name not in model.threads
    finally:
        stage.close()


def test_a_model_error_reaches_the_writer():
    class Broken(HashingEmbedder):
        def embed_texts(self, texts: list[str]) -> np.ndarray:
            raise RuntimeError("the model broke")

    stage = EmbedStage(Broken(16), None, large=512, budget_s=60, step=64)
    try:
        stage.push(batch("a", 1))
        with pytest.raises(RuntimeError, match="the model broke"):
            stage.drain()
    finally:
        stage.close()


def test_binary_check_counts_control_bytes():
    assert looks_binary(b"text\x00more")
    assert looks_binary(b"\x1b\x01\x02" * 10 + b"a" * 20)
    assert not looks_binary(b"plain\ttext\r\nwith\x0cform feed and \x0bvertical tab" * 3)
    assert not looks_binary(b"\x1b" * 5 + b"a" * 45), "exactly a tenth is still text"
