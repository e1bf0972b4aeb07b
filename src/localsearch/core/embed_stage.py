"""Indexing's embedding stage: a batch of extracted files becomes vectors on a thread of its own, while the
writer commits the batch before it and the extraction workers read the next one.

Run in line, the model waits for every commit and every commit waits for the model; with a GPU, whose
encoder reads thousands of passages a second, the writer's share is then a large part of the whole.
At most two batches are held (the one being embedded and the one being committed), and batches are
committed in the order they were read, so memory stays bounded and an interrupted run loses no more
than before: the batches not yet committed.
"""

import os
from concurrent.futures import Future, ThreadPoolExecutor

from localsearch.core import passages
from localsearch.core.embed.base import Embedder
from localsearch.core.embed.image import ImageEmbedder, label_text
from localsearch.core.store.catalog import FileResult, display_path
from localsearch.core.types import Chunk

OVERLAP = True
"""Embed on the stage's thread while the writer commits; False embeds in line (bench/pipeline_feed.py
measures both)."""


class EmbedStage:
    def __init__(self, embedder: Embedder, image_embedder: ImageEmbedder | None, large: int, budget_s: float,
                 step: int, text: bool = True) -> None:
        self.embedder = embedder
        self.image_embedder = image_embedder
        self.large = large  # a file of more passages is embedded on its own, within budget_s
        self.budget_s = budget_s
        self.step = step
        self.text = text  # False: photos only; the passages are committed without vectors (see backfill)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="localsearch-embed")
        self._ahead: Future[list[FileResult]] | None = None

    def push(self, batch: list[FileResult]) -> list[FileResult] | None:
        """Start embedding `batch`; returns the batch pushed before it, embedded (None for the first).
        An error the model raised for that batch is raised here."""
        if not OVERLAP:
            return self.embed(batch)
        earlier, self._ahead = self._ahead, self._thread.submit(self.embed, batch)
        return earlier.result() if earlier is not None else None

    def ready(self) -> list[FileResult] | None:
        """The last batch pushed if its embedding has finished (so it can be committed now), else None."""
        if self._ahead is None or not self._ahead.done():
            return None
        return self.drain()

    def drain(self) -> list[FileResult] | None:
        """The last batch pushed, embedded (None if none is left)."""
        earlier, self._ahead = self._ahead, None
        return earlier.result() if earlier is not None else None

    def close(self) -> None:
        """Stop: a batch still queued is dropped, one being embedded is finished and dropped."""
        if self._ahead is not None:
            self._ahead.cancel()
            self._ahead = None
        self._thread.shutdown(wait=True)

    def embed(self, batch: list[FileResult]) -> list[FileResult]:
        """Vectors for every file in the batch that has none yet (reused ones keep theirs)."""
        self._embed_photos(batch)
        if not self.text:
            return batch
        together = [r for r in batch if r.chunks and len(r.chunks) <= self.large and r.vectors is None]
        texts = [passages.embedding_text(r.title, c.text) for r in together for c in r.chunks]
        vectors = self.embedder.embed_texts(texts) if texts else None
        at = 0
        for r in together:
            if vectors is not None:
                r.vectors = vectors[at : at + len(r.chunks)]
                at += len(r.chunks)
        for r in batch:
            if len(r.chunks) > self.large and r.vectors is None:
                passages.embed_within_budget(self.embedder, r, self.budget_s, self.step)
        return batch

    def _embed_photos(self, batch: list[FileResult]) -> None:
        """Photo -> image vector, and its labels into its passage so words find it too."""
        photos = [r for r in batch if r.image is not None and not r.error]
        if not photos or self.image_embedder is None:
            return
        vectors, labels = self.image_embedder.embed_images([r.image for r in photos if r.image is not None])
        for r, vec, words in zip(photos, vectors, labels):
            r.image_vector, r.image = vec, None
            name = display_path(os.path.basename(r.raw_path))
            text = f"{name} — {label_text(words)}" if words else name
            r.chunks = [Chunk(0, len(text), text, None)]
