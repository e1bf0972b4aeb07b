"""What a file's passages get before they are committed: the vectors already stored for the same
content (a copy in another folder, a file only touched), or new ones, embedded within a time budget."""

import os
import time

import numpy as np

from localsearch.core import chunking, log
from localsearch.core.embed.base import Embedder
from localsearch.core.embed.tokens import TokenCounter
from localsearch.core.store.catalog import Catalog, FileResult, display_path
from localsearch.core.types import Chunk, Extracted


TITLE_MAX_WORDS = 16


def title_of(extracted: Extracted) -> str | None:
    """A document's title, from its content only (so copies under other names share their vectors): the
    title its format records (PDF, DOCX, HTML, EPUB, Markdown), else a short first line followed by more."""
    title = (extracted.title or "").strip()
    if not title:
        head, _, rest = extracted.text.lstrip().partition("\n")
        if rest.strip() and 0 < len(head.split()) <= TITLE_MAX_WORDS:
            title = head.strip()
    title = " ".join(title.split()[:TITLE_MAX_WORDS])
    return title or None


def embedding_text(title: str | None, text: str) -> str:
    """What the model reads for a passage: the document's title, then the passage (unless the passage
    starts with it), so passage 5 of a report is embedded as part of that report."""
    if not title or text.startswith(title):
        return text
    return f"{title}\n{text}"


def budget_for(embedder: Embedder, title: str | None) -> chunking.Budget:
    """Passages sized to the model's window in its own word pieces, less the title put before them; in
    words where the model's tokenizer is unknown."""
    counter: TokenCounter | None = getattr(embedder, "token_counter", lambda: None)()
    return chunking.WORDS if counter is None else budget_for_counter(counter, title)


def budget_for_counter(counter: TokenCounter, title: str | None) -> chunking.Budget:
    title_tokens = counter.count([title])[0] + 1 if title else 0
    size = counter.max_tokens - title_tokens
    return chunking.Budget(size=size, overlap=size // 6, count=counter.count)


def reuse_stored(catalog: Catalog, pending: list[FileResult], model_id: str,
                 image_model_id: str | None) -> tuple[int, int]:
    """Files whose content is already in the catalog, made by these models, take its vectors instead of
    being embedded again (a photo: its image vector and labels; its name passage is embedded anew).
    Text passages are reused only when they are exactly the stored ones. Returns (files, text passages) reused."""
    count = reused_passages = 0
    for r in pending:
        if r.error or not r.hash or not r.chunks:
            continue
        donor = catalog.reusable(r.hash, model_id, image_model_id)
        if donor is None:
            continue
        if r.image is not None:
            if donor.image_vector is None:
                continue
            labels = donor.texts[0].split(" — ", 1)[1] if donor.texts and " — " in donor.texts[0] else ""
            r.image_vector, r.image = donor.image_vector, None
            name = display_path(os.path.basename(r.raw_path))
            text = f"{name} — {labels}" if labels else name
            r.chunks = [Chunk(0, len(text), text, None)]
            count += 1
        elif [c.text for c in r.chunks] == donor.texts[: len(r.chunks)] and r.title == donor.title:
            r.vectors = np.stack(donor.vectors[: len(r.chunks)])
            count += 1
            reused_passages += len(r.chunks)
    return count, reused_passages


def embed_within_budget(embedder: Embedder, r: FileResult, budget_s: float, step: int) -> None:
    """A long file is embedded `step` passages at a time; past `budget_s` the rest of it is left out
    (noted), so one file cannot hold the run hostage. Its first passages are searchable either way."""
    started, done = time.monotonic(), 0
    parts: list[np.ndarray] = []
    while done < len(r.chunks):
        if done and time.monotonic() - started > budget_s:
            r.note = f"truncated after {done} passages (embedding it took over {budget_s:.0f} s)"
            log.index.warning("%s: %s", display_path(r.raw_path), r.note)
            r.chunks = r.chunks[:done]
            break
        parts.append(embedder.embed_texts([embedding_text(r.title, c.text) for c in r.chunks[done : done + step]]))
        done += len(parts[-1])
    r.vectors = np.concatenate(parts) if parts else None
