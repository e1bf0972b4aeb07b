"""The first minutes after Add folder: when is a file found by its words, when are all of them, and when by
meaning; against what reading alone and the model alone take on the same files, in one run.

    python bench/first_results.py [--docs 1000] [--paragraphs 6] [--rounds 3] [--precision auto|full|int8]

A synthetic corpus (bench/corpus.py: real words, ~120-word paragraphs), each file holding one word no
other file holds. Each round, on a fresh home, with the app's default text model:
- first_hit_s: `Service.index` starts; another thread searches (keywords) for the first-sorted file's
  word every 50 ms until it is found;
- words_all_s: when every file is in the catalog (the run's second phase, embedding, begins);
- meaning_all_s: when the run returns (every passage has its vector);
- read_only_s: the same run with a model that costs nothing (reading, chunking by the model's tokenizer,
  committing alone);
- model_only_s: the model alone over the same passages (embed_texts in the app's batches);
- eta_<phase>_<N>pct_error: the time left that the window says (core.eta) once N % of a phase (reading
  files, then embedding) is done, against the time the phase then took: (said - true) / true.
Medians; ratios words_all/read_only (target ≤ 1.2) and meaning_all/model_only (target ≤ 1.1); ETA
errors within ±0.3 once 20 % is done.
"""

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

# Only the standard library at the top: the extraction workers import this script as their __main__.

ETA_CHECKS = (0.2, 0.5)
"""Shares of a phase done at which the estimate of the time left is checked against the time it took."""


def one_run(root: Path, first_word: str, embedder: Any, settings: Any) -> dict[str, float]:
    from localsearch.core import paths
    from localsearch.core.eta import Rates
    from localsearch.core.search import Query
    from localsearch.core.service import Service

    marks: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        service = Service(paths.resolve(Path(tmp) / "home"), settings, embedder)
        done = threading.Event()

        def watch() -> None:
            while not done.is_set():
                try:
                    if service.search(Query(first_word, mode="keywords")).hits:
                        marks["first_hit_s"] = time.perf_counter() - started
                        return
                except Exception:  # the collection may not exist yet
                    pass
                time.sleep(0.05)

        rates = Rates(time.perf_counter)
        guesses: list[tuple[str, float, float, float]] = []  # (phase, share done, said at, seconds left said)
        ends: dict[str, float] = {}

        def progress(p: Any) -> None:
            now = time.perf_counter()
            if p.phase == "embedding" and "words_all_s" not in marks:
                marks["words_all_s"] = now - started
                ends["indexing"] = now
            left = rates.see(p)  # what the window would say
            if left is not None and p.total:
                share = p.done / p.total
                for at in ETA_CHECKS:  # the first estimate said once this share is done
                    if share >= at and not any(g[0] == p.phase and g[1] == at for g in guesses):
                        guesses.append((p.phase, at, now, left))

        try:
            started = time.perf_counter()
            watcher = threading.Thread(target=watch)
            watcher.start()
            report = service.index("bench", [str(root)], on_progress=progress)
            marks["meaning_all_s"] = time.perf_counter() - started
            ends.setdefault("indexing", started + marks["meaning_all_s"])
            ends["embedding"] = started + marks["meaning_all_s"]
            for phase, at, said, left in guesses:  # signed error of the time left, relative to the truth
                truth = ends[phase] - said
                if truth > 0:
                    marks[f"eta_{phase}_{round(at * 100)}pct_error"] = (left - truth) / truth
            done.set()
            watcher.join()
            marks.setdefault("words_all_s", marks["meaning_all_s"])
            marks["passages"] = report.chunks
        finally:
            service.close()
    return marks


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=1000)
    ap.add_argument("--paragraphs", type=int, default=6)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--precision", default="auto")
    args = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import numpy as np
    from corpus import write_corpus

    from localsearch.core import passages, paths
    from localsearch.core.embed import factory
    from localsearch.core.embed.hashing import HashingEmbedder
    from localsearch.core.service import Service
    from localsearch.core.settings import Settings

    class Free(HashingEmbedder):
        """Vectors for nothing; passages sized by the real model's tokenizer, as indexing sizes them."""

        def token_counter(self) -> Any:
            return model.token_counter() if hasattr(model, "token_counter") else None

        def embed_texts(self, texts: list[str]) -> Any:
            v = np.random.default_rng(len(texts)).normal(size=(len(texts), self.dim)).astype(np.float32)
            return v / np.linalg.norm(v, axis=1, keepdims=True)

    settings = Settings(text_precision=args.precision, ocr=False, image_model="none")
    cache = Path.home() / ".cache" / "localsearch-bench" / "models"
    model = factory.create(settings, cache)
    figures: dict[str, list[float]] = {k: [] for k in
                                       ("first_hit_s", "words_all_s", "meaning_all_s", "read_only_s", "model_only_s")}
    with tempfile.TemporaryDirectory() as tmp:
        root = write_corpus(Path(tmp) / "corpus", args.docs, args.paragraphs)
        files = sorted(root.rglob("*.txt"))
        for i, f in enumerate(files):
            with f.open("a") as out:
                out.write(f"\n\nReference qvx{i:05}z.")
        first_word = f"qvx{files.index(sorted(files, key=lambda p: str(p))[0]):05}z"
        # the model as indexing uses it (the 8-bit variant on a CPU, see embed.variants), loaded first
        fast = model.int8() if args.precision != "full" and hasattr(model, "int8") else None
        indexing_model = fast or model
        indexing_model.embed_texts(["warm up the model"])
        model.embed_texts(["warm up the model"])
        texts: list[str] = []
        for r in range(args.rounds):
            marks = one_run(root, first_word, model, settings)
            for k in ("first_hit_s", "words_all_s", "meaning_all_s"):
                figures[k].append(marks.get(k, float("nan")))
            for k, v in marks.items():
                if k.startswith("eta_"):
                    figures.setdefault(k, []).append(v)
            free = one_run(root, first_word, Free(model.dim), settings)
            figures["read_only_s"].append(free["meaning_all_s"])
            if not texts:
                with tempfile.TemporaryDirectory() as t2:
                    s = Service(paths.resolve(Path(t2) / "home"), settings, Free(model.dim))
                    s.index("texts", [str(root)])
                    rows = s.catalog.conn.execute(
                        "SELECT ch.text, f.title FROM chunks ch JOIN files f ON f.id = ch.file_id").fetchall()
                    s.close()
                texts = [passages.embedding_text(title, text) for text, title in rows]
            started = time.perf_counter()
            for at in range(0, len(texts), settings.commit_every_chunks):
                indexing_model.embed_texts(texts[at : at + settings.commit_every_chunks])
            figures["model_only_s"].append(time.perf_counter() - started)
            print({k: round(v[-1], 2) for k, v in figures.items() if v}, file=sys.stderr, flush=True)
    median = {k: round(statistics.median(v), 2) for k, v in figures.items()}
    print(json.dumps({
        "bench": "first_results", "docs": args.docs, "passages": len(texts), "model": model.model_id,
        "rounds": {k: [round(x, 2) for x in v] for k, v in figures.items()}, "median": median,
        "words_all_vs_read_only": round(median["words_all_s"] / median["read_only_s"], 2),
        "meaning_all_vs_model_only": round(median["meaning_all_s"] / median["model_only_s"], 2),
    }, indent=1))


if __name__ == "__main__":
    main()
