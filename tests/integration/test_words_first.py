"""A big first run makes files findable by their words before their meaning (indexer.TEXT_FIRST_FILES,
backfill, store.pending): "you can search meanwhile" is true from the first files read."""

import dataclasses
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from localsearch.core import indexer, paths
from localsearch.core.embed.hashing import HashingEmbedder
from localsearch.core.search import Query
from localsearch.core.service import Service
from localsearch.core.settings import Settings
from localsearch.core.store import pending

TIMEOUT = 120 * float(os.environ.get("LOCALSEARCH_TEST_TIMEOUT_SCALE", "1"))


class Gated(HashingEmbedder):
    """Embeds only once let through; counts what it was asked to embed."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.asked = threading.Event()
        self.texts = 0

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        self.asked.set()
        assert self.gate.wait(TIMEOUT), "the test never let the model through"
        self.texts += len(texts)
        return super().embed_texts(texts)


def folder(tmp_path: Path, files: int) -> Path:
    root = tmp_path / "notes"
    root.mkdir()
    for i in range(files):
        (root / f"note{i:03}.txt").write_text(f"Meeting note {i}: the quarterly budget review, codeword zeta{i:03}.\n")
    return root


def service(tmp_path: Path, embedder: HashingEmbedder, batch: int = 512) -> Service:
    settings = Settings(text_model="hashing", ocr=False, commit_every_chunks=batch)
    return Service(paths.resolve(tmp_path / "home").ensure(), settings, embedder)


@contextmanager
def held_run(s: Service, model: Gated, root: Path, **kwargs: Any) -> Iterator[None]:
    """Index `root` on a thread until the model is asked for vectors; on leaving, let it through and wait
    for the run to end."""
    run = threading.Thread(target=lambda: s.index("notes", [str(root)], **kwargs))
    run.start()
    try:
        assert model.asked.wait(TIMEOUT), "the run never reached the model"
        yield
    finally:
        model.gate.set()
        run.join(TIMEOUT)
    assert not run.is_alive()


def test_every_file_is_found_by_its_words_before_any_is_embedded(tmp_path: Path) -> None:
    root = folder(tmp_path, indexer.TEXT_FIRST_FILES + 5)
    model = Gated()
    s = service(tmp_path, model)
    seen: list[indexer.Progress] = []
    try:
        with held_run(s, model, root, on_progress=lambda p: seen.append(dataclasses.replace(p))):
            # The model is held: nothing has a vector, yet every file is found by a word only it holds.
            for i in (0, 7, indexer.TEXT_FIRST_FILES + 4):
                hits = s.search(Query(f"zeta{i:03}", mode="keywords")).hits
                assert [Path(h.path).name for h in hits] == [f"note{i:03}.txt"]
            assert pending.left(s.catalog.conn, s.catalog.collection("notes").id) == indexer.TEXT_FIRST_FILES + 5
    finally:
        s.close()
    s = service(tmp_path, HashingEmbedder())
    try:
        col = s.catalog.collection("notes")
        assert pending.left(s.catalog.conn, col.id) == 0
        assert model.texts == indexer.TEXT_FIRST_FILES + 5
        embedding = [p for p in seen if p.phase == "embedding"]
        assert embedding and embedding[-1].done == embedding[-1].total == indexer.TEXT_FIRST_FILES + 5
        hits = s.search(Query("quarterly budget review zeta003", mode="meaning")).hits
        assert hits, "meaning search answers once the passages are embedded"
    finally:
        s.close()


def test_a_stopped_embedding_phase_is_finished_by_the_next_run(tmp_path: Path) -> None:
    root = folder(tmp_path, indexer.TEXT_FIRST_FILES + 5)
    model = Gated()
    stop = threading.Event()
    s = service(tmp_path, model, batch=5)
    try:
        with held_run(s, model, root, cancel=stop):
            stop.set()  # while the first batch is being embedded: it is stored, the rest is left
        left = pending.left(s.catalog.conn, s.catalog.collection("notes").id)
        assert left == indexer.TEXT_FIRST_FILES + 5 - 5, "the batch in hand is stored, the rest left"
        assert [c["unembedded"] for c in s.status()["collections"]] == [left]  # CLI, API and window say so
    finally:
        s.close()
    s = service(tmp_path, HashingEmbedder())
    try:
        report = s.index("notes", [str(root)])
        assert report.chunks == left and not report.cancelled
        assert pending.left(s.catalog.conn, s.catalog.collection("notes").id) == 0
        assert s.search(Query("quarterly budget review", mode="meaning")).hits
    finally:
        s.close()


def test_a_stop_waits_for_one_step_of_a_big_batch_not_the_whole_batch(tmp_path: Path) -> None:
    """Closing the window mid-embedding: the batch in hand (512 passages, ~8 s of the 8-bit model on 2
    cores) stops after the step being embedded; the steps done are stored, the rest left for later."""
    from localsearch.core import backfill

    files = indexer.TEXT_FIRST_FILES + 3 * backfill.STEP
    root = folder(tmp_path, files)
    model = Gated()
    stop = threading.Event()
    steps: list[int] = []
    real = model.embed_texts

    def counted(texts: list[str]) -> np.ndarray:
        steps.append(len(texts))
        if len(steps) == 2:
            stop.set()  # the window closes while the second step is embedded
        return real(texts)

    model.embed_texts = counted  # type: ignore[method-assign]
    s = service(tmp_path, model, batch=512)
    try:
        with held_run(s, model, root, cancel=stop):
            pass
        left = pending.left(s.catalog.conn, s.catalog.collection("notes").id)
        assert steps == [backfill.STEP, backfill.STEP], "two steps embedded, the third never started"
        assert left == files - 2 * backfill.STEP, "the steps embedded are stored, the rest left for the next run"
        assert s.search(Query("quarterly budget review", mode="meaning")).hits
    finally:
        s.close()


def test_invalid_numbers_fail_the_file_instead_of_entering_the_index(tmp_path: Path) -> None:
    class Broken(HashingEmbedder):
        def embed_texts(self, texts: list[str]) -> np.ndarray:
            out = super().embed_texts(texts)
            out[[i for i, t in enumerate(texts) if "zeta004" in t]] = np.nan
            return out

    root = folder(tmp_path, indexer.TEXT_FIRST_FILES + 5)
    s = service(tmp_path, Broken())
    try:
        report = s.index("notes", [str(root)])
        assert report.failed == 1 and "invalid numbers" in report.errors[0][1]
        assert report.errors[0][0].endswith("note004.txt")
        assert not s.search(Query("zeta004", mode="keywords")).hits
        assert [Path(h.path).name for h in s.search(Query("zeta005", mode="keywords")).hits] == ["note005.txt"]
        col = s.catalog.collection("notes")
        assert pending.left(s.catalog.conn, col.id) == 0
    finally:
        s.close()


def test_a_small_run_embeds_before_it_commits(tmp_path: Path) -> None:
    root = folder(tmp_path, 3)
    s = service(tmp_path, HashingEmbedder())
    try:
        s.index("notes", [str(root)])
        (root / "note001.txt").write_text("An edited note about the harbour ferry timetable.\n")
        seen: list[indexer.Progress] = []
        report = s.index("notes", on_progress=lambda p: seen.append(dataclasses.replace(p)))
        assert report.updated == 1 and report.chunks == 1
        assert not [p for p in seen if p.phase == "embedding"], "an edit is embedded with its commit"
        assert pending.left(s.catalog.conn, s.catalog.collection("notes").id) == 0
    finally:
        s.close()


def test_with_a_gpu_model_each_batch_commits_with_its_vectors(tmp_path: Path) -> None:
    """A GPU keeps up with reading: there the run embeds each batch before committing it (overlapped)."""
    root = folder(tmp_path, indexer.TEXT_FIRST_FILES + 5)
    settings = Settings(text_model="hashing", ocr=False, device="cuda")  # the hashing model ignores it
    s = Service(paths.resolve(tmp_path / "home").ensure(), settings, HashingEmbedder())
    try:
        seen: list[indexer.Progress] = []
        report = s.index("notes", [str(root)], on_progress=lambda p: seen.append(dataclasses.replace(p)))
        assert report.chunks == indexer.TEXT_FIRST_FILES + 5
        assert not [p for p in seen if p.phase == "embedding"]
    finally:
        s.close()


def test_the_first_vectors_are_saved_at_once_for_searches_from_other_processes(tmp_path: Path) -> None:
    """Another process (the CLI) reads the vector index file: it must exist from the first embedded batch,
    not only after a minute or at the end, or each search there rebuilds it from the catalog."""

    class SecondWaits(Gated):
        def embed_texts(self, texts: list[str]) -> np.ndarray:
            if self.texts:  # the first batch passes; the second waits for the gate
                return super().embed_texts(texts)
            self.texts += len(texts)
            return HashingEmbedder.embed_texts(self, texts)

    root = folder(tmp_path, indexer.TEXT_FIRST_FILES + 5)
    model = SecondWaits()
    s = service(tmp_path, model, batch=5)
    try:
        with held_run(s, model, root):  # held at the second batch
            col = s.catalog.collection("notes")
            vectors = s.paths.vectors / f"collection-{col.id}.faiss"
            deadline = time.monotonic() + TIMEOUT
            while not vectors.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert vectors.exists(), "the first batch's vectors are on disk while the run goes on"
    finally:
        s.close()
