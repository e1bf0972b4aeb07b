"""One huge file cannot hold a run hostage: passages are capped per file, embedding one file has a time
budget, and the other files' work is committed on its own (issue 11, "bounded work, bounded loss")."""

import time
from pathlib import Path

import numpy as np

from localsearch.core import paths
from localsearch.core.embed.hashing import HashingEmbedder
from localsearch.core.search import Query
from localsearch.core.service import Service
from localsearch.core.settings import Settings


class SlowEmbedder(HashingEmbedder):
    """The hashing model at a fixed cost per call, like a big model on a slow CPU."""

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        time.sleep(0.1)
        return super().embed_texts(texts)


def make(tmp_path: Path, embedder: HashingEmbedder | None = None, **settings: object) -> Service:
    return Service(paths.resolve(tmp_path / "home"),
                   Settings(text_model="hashing", ocr=False, image_model="none", **settings),  # type: ignore[arg-type]
                   embedder or HashingEmbedder())


def hostile(docs: Path, sentences: int) -> Path:
    """A spreadsheet-sized text: one sentence per line, thousands of passages."""
    docs.mkdir(parents=True, exist_ok=True)
    big = docs / "huge.txt"
    big.write_text("\n".join(f"Row {i} holds cell value {i * 7} for account {i % 97}." for i in range(sentences)))
    for i in range(5):
        (docs / f"small{i}.txt").write_text(f"small note {i} about the harbour crane")
    return big


def test_passages_are_capped_per_file_and_status_says_so(tmp_path):
    docs = tmp_path / "docs"
    hostile(docs, 20_000)
    service = make(tmp_path, max_passages_per_file=50)
    try:
        service.index("docs", [str(docs)])
        col = service.status()["collections"][0]
        assert col["chunks"] == 50 + 5
        [partial] = col["partial"]
        assert partial["path"].endswith("huge.txt")
        assert partial["note"].startswith("truncated after 50 passages (of ") and int(
            partial["note"].split("of ")[1].rstrip(")")) > 50
        assert service.search(Query("Row 3 holds cell value 21")).hits[0].path.endswith("huge.txt")  # its start is searchable
        assert len(service.search(Query("harbour crane", k=10)).hits) == 5
    finally:
        service.close()


def test_embedding_one_file_stops_at_its_budget_and_the_others_are_committed(tmp_path):
    docs = tmp_path / "docs"
    hostile(docs, 20_000)
    service = make(tmp_path, SlowEmbedder(), embed_budget_s=1.0, embed_batch=16, commit_every_chunks=100)
    try:
        service.index("docs", [str(docs)])
        col = service.status()["collections"][0]
        [partial] = col["partial"]
        assert "embedding it took over 1 s" in partial["note"]
        kept = int(partial["note"].split("after ")[1].split(" ")[0])
        assert 64 <= kept < 5000  # stopped long before the cap; what was embedded is kept
        assert col["chunks"] == kept + 5 and col["files"] == 6 and col["failed"] == 0
        assert len(service.search(Query("harbour crane", k=10)).hits) == 5
        assert service.check(sample=False).healthy
    finally:
        service.close()
