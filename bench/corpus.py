"""Deterministic synthetic corpora for the benchmarks (real words, realistic passage lengths)."""

import random
from pathlib import Path

from localsearch.core.embed.sentence import packaged_model_dir


def vocabulary(folder: Path | None = None) -> list[str]:
    """Words from a model folder's vocabulary (the packaged model's unless named)."""
    words = ((folder or packaged_model_dir()) / "vocab.txt").read_text().split()
    return [w for w in words if w.isalpha() and len(w) > 2][:20000]


def paragraph(rng: random.Random, words: list[str], n_words: int) -> str:
    sentences, left = [], n_words
    while left > 0:
        k = min(left, rng.randint(8, 20))
        sentences.append(" ".join(rng.choice(words) for _ in range(k)).capitalize() + ".")
        left -= k
    return " ".join(sentences)


def write_corpus(root: Path, docs: int, paragraphs: int, seed: int = 7, vocab_from: Path | None = None) -> Path:
    """`docs` text files of `paragraphs` paragraphs (~120 words each) in 10 subfolders."""
    rng = random.Random(seed)
    words = vocabulary(vocab_from)
    for i in range(docs):
        p = root / f"folder{i % 10}" / f"doc{i:05}.txt"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("\n\n".join(paragraph(rng, words, 120) for _ in range(paragraphs)))
    return root
