"""Ranking quality on public IR collections in BEIR format, through the real product.

    python bench/ir_eval.py [COLLECTION ...] [--tag T] [--reuse] [--no-references] [--fts5] [--text-model M]
                            [--operators] [--no-cutoff]

COLLECTION: a name from bench/ir_data.py (cranfield, cisi; fetched and cached on first use) or the
path of any BEIR-format folder (corpus.jsonl, queries.jsonl, qrels/test.tsv). Absent data is
skipped with a line on stderr, not an error.

Each document becomes a text file (its title, a blank line, its text), indexed with the real CLI
(`localsearch index`) into its own home; queries go in-process through `Service.search` (k=100),
in three modes: hybrid (what users get), keywords only, meaning only. References on the same
documents: BM25 with Porter stemming and English stopwords (bm25s, Lucene's formula, k1 1.2, b 0.75)
and exact dense search with the same MiniLM weights over whole documents (sentence-transformers).
nDCG@10 and Recall@100 come from pytrec_eval (trec_eval's own code); a query with no result
counts as 0. Also: index seconds, query p50/p95 (hybrid, warm).

The questions are searched literally (`Query(literal=True)`), as BEIR defines them: text, not a search
box's syntax. CISI's questions quote terms (The term "decision support" has become...), which read as
operators would demand that phrase of every result; `--operators` measures that reading.

--tag names the index home (~/.cache/localsearch-bench/homes/NAME-TAG) so variants sit side by
side; --reuse queries an existing home without indexing again (changes on the query side only).
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import ir_data  # noqa: E402

from localsearch.core import paths, settings  # noqa: E402
from localsearch.core.search import Query  # noqa: E402
from localsearch.core.service import Service  # noqa: E402

K = 100


def load(folder: Path) -> tuple[dict[str, dict[str, str]], dict[str, str], dict[str, dict[str, int]]]:
    corpus = {}
    with open(folder / "corpus.jsonl", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            corpus[str(d["_id"])] = {"title": d.get("title") or "", "text": d.get("text") or ""}
    queries = {}
    with open(folder / "queries.jsonl", encoding="utf-8") as f:
        for line in f:
            q = json.loads(line)
            queries[str(q["_id"])] = q["text"]
    qrels: dict[str, dict[str, int]] = {}
    with open(folder / "qrels" / "test.tsv", encoding="utf-8") as f:
        next(f)
        for line in f:
            qid, did, score = line.rstrip("\n").split("\t")[:3]
            if int(score) > 0:
                qrels.setdefault(qid, {})[did] = int(score)
    return corpus, {q: t for q, t in queries.items() if q in qrels}, qrels


def file_name(doc_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", doc_id) + ".txt"


def write_files(corpus: dict[str, dict[str, str]], folder: Path) -> dict[str, str]:
    """One text file per document; returns file name -> document id."""
    names = {}
    if not folder.exists():
        tmp = folder.with_suffix(".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        for did, d in corpus.items():
            body = (d["title"] + "\n\n" + d["text"]) if d["title"] else d["text"]
            (tmp / file_name(did)).write_text(body + "\n", encoding="utf-8")
        tmp.rename(folder)
    for did in corpus:
        names[file_name(did)] = did
    return names


def evaluate(qrels: dict[str, dict[str, int]], run: dict[str, dict[str, float]]) -> dict[str, float]:
    import pytrec_eval

    ev = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut.10", "recall.100"})
    per = ev.evaluate({q: r for q, r in run.items() if r})
    n = len(qrels)
    return {"ndcg@10": round(sum(p["ndcg_cut_10"] for p in per.values()) / n, 4),
            "recall@100": round(sum(p["recall_100"] for p in per.values()) / n, 4)}


def ranked(doc_ids: list[str]) -> dict[str, float]:
    """Strictly decreasing scores, so trec_eval keeps our order (it breaks ties by document id)."""
    return {d: float(len(doc_ids) - i) for i, d in enumerate(doc_ids)}


def product_runs(home: Path, queries: dict[str, str], names: dict[str, str], literal: bool,
                 fts5: bool = False) -> tuple[dict[str, dict], list[float], str]:
    """The three modes through Service.search; fts5: keywords from FTS5 even where the fast word index
    (shipped) is current, for an A/B on one index. Also says which keyword engine answered."""
    service = Service(paths.resolve(home), settings.load(paths.resolve(home).settings))
    runs: dict[str, dict[str, dict[str, float]]] = {}
    latencies: list[float] = []
    if fts5:
        service.searcher.keywords.word_index = lambda: None  # type: ignore[method-assign]
    try:
        service.search(Query("warm up", k=10))
        engine = "words" if service.searcher.word_index() is not None else "fts5"
        for mode in ("hybrid", "keywords", "meaning"):
            run = {}
            for qid, text in queries.items():
                started = time.perf_counter()
                result = service.search(Query(text, k=K, mode=mode, literal=literal))
                if mode == "hybrid":
                    latencies.append(time.perf_counter() - started)
                run[qid] = ranked([names[os.path.basename(h.path)] for h in result.hits
                                   if os.path.basename(h.path) in names])
            runs[mode] = run
    finally:
        service.close()
    return runs, latencies, engine


def bm25_reference(corpus: dict[str, dict[str, str]], queries: dict[str, str]) -> dict[str, dict[str, float]]:
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("porter")
    ids = list(corpus)
    docs = [corpus[d]["title"] + "\n" + corpus[d]["text"] for d in ids]
    retriever = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
    retriever.index(bm25s.tokenize(docs, stopwords="en", stemmer=stemmer, show_progress=False), show_progress=False)
    qids = list(queries)
    tokens = bm25s.tokenize([queries[q] for q in qids], stopwords="en", stemmer=stemmer, show_progress=False)
    results, _ = retriever.retrieve(tokens, k=min(K, len(ids)), show_progress=False, n_threads=1)
    return {q: ranked([ids[i] for i in results[n]]) for n, q in enumerate(qids)}


def dense_reference(corpus: dict[str, dict[str, str]], queries: dict[str, str],
                    cache: Path) -> dict[str, dict[str, float]]:
    """Whole documents (title + text, truncated by the model at 256 tokens), exact cosine."""
    import numpy as np
    from sentence_transformers import SentenceTransformer

    from localsearch.core.embed.sentence import packaged_model_dir

    model = SentenceTransformer(str(packaged_model_dir()), device="cpu")
    ids = list(corpus)
    if cache.exists():
        doc_vectors = np.load(cache)
    else:
        doc_vectors = model.encode([corpus[d]["title"] + "\n" + corpus[d]["text"] for d in ids], batch_size=32,
                                   normalize_embeddings=True, convert_to_numpy=True)
        np.save(cache, doc_vectors)
    qids = list(queries)
    qv = model.encode([queries[q] for q in qids], normalize_embeddings=True, convert_to_numpy=True)
    top = np.argsort(-(qv @ doc_vectors.T), axis=1)[:, :K]
    return {q: ranked([ids[i] for i in top[n]]) for n, q in enumerate(qids)}


def run_collection(spec: str, tag: str, reuse: bool, references: bool, fts5: bool = False,
                   precision: str | None = None, text_model: str | None = None,
                   literal: bool = True) -> dict[str, object] | None:
    folder = Path(spec) if os.sep in spec or Path(spec).is_dir() else ir_data.ensure(spec)
    if folder is None or not (folder / "corpus.jsonl").exists():
        print(f"{spec}: no BEIR data; skipped", file=sys.stderr)
        return None
    name = folder.name
    corpus, queries, qrels = load(folder)
    work = ir_data.cache_root().parent
    names = write_files(corpus, work / "files" / name)
    home = work / "homes" / f"{name}-{tag}"
    out: dict[str, object] = {"collection": name, "documents": len(corpus), "queries": len(queries), "tag": tag}
    if not reuse or not home.exists():
        shutil.rmtree(home, ignore_errors=True)
        chosen = {k: v for k, v in (("text_precision", precision), ("text_model", text_model)) if v is not None}
        if chosen:
            home_paths = paths.resolve(home)
            home_paths.settings.parent.mkdir(parents=True, exist_ok=True)
            home_paths.settings.write_text(json.dumps(chosen))
            out.update(chosen)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "localsearch", "--home", str(home), "index", str(work / "files" / name),
                        "-c", name, "--no-progress"], check=True, stdout=subprocess.DEVNULL)
        out["index_s"] = round(time.perf_counter() - started, 1)
    runs, latencies, out["keyword_engine"] = product_runs(home, queries, names, literal, fts5)
    out["questions"] = "literal" if literal else "operators read"
    for mode, run in runs.items():
        out[mode] = evaluate(qrels, run)
    latencies.sort()
    out["query_ms_p50"] = round(1000 * statistics.median(latencies), 1)
    out["query_ms_p95"] = round(1000 * latencies[int(0.95 * (len(latencies) - 1))], 1)
    if references:
        out["bm25_stemmed_reference"] = evaluate(qrels, bm25_reference(corpus, queries))
        out["dense_reference"] = evaluate(qrels, dense_reference(corpus, queries, work / f"{name}-dense.npy"))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("collections", nargs="*", default=list(ir_data.SOURCES))
    ap.add_argument("--tag", default="current", help="names the index home, so variants sit side by side")
    ap.add_argument("--reuse", action="store_true", help="query an existing home without indexing again")
    ap.add_argument("--no-references", action="store_true", help="skip the BM25 and dense references")
    ap.add_argument("--fts5", action="store_true", help="keywords from FTS5, not the fast word index (A/B)")
    ap.add_argument("--precision", choices=["auto", "int8", "full"],
                    help="how passages are encoded (the text_precision setting) when indexing")
    ap.add_argument("--text-model", help="the text_model setting when indexing (e.g. multilingual)")
    ap.add_argument("--operators", action="store_true",
                    help="read the questions' quotes, leading dashes and word: as search operators")
    ap.add_argument("--no-cutoff", action="store_true",
                    help="every file the lists find, none left out by the cut-off (core.cutoff): its cost in recall")
    args = ap.parse_args()
    if args.no_cutoff:
        from localsearch.core import cutoff

        for model in cutoff.GATES:
            cutoff.GATES[model] = cutoff.Gate(words=0.0, meaning=-1.0, label=-1.0)
    results = [r for spec in args.collections
               if (r := run_collection(spec, args.tag, args.reuse, not args.no_references, args.fts5,
                                       args.precision, args.text_model, not args.operators)) is not None]
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
