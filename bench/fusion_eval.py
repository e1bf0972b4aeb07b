"""Which fusion of keyword (BM25) and semantic (cosine) rankings finds the right file best?

A labelled set: 24 short documents, each with a reference code, among 300 distractor documents;
three kinds of query per document: a paraphrase that shares no key word with it, its exact code,
and code plus a vague description. Prints MRR@10 and hit@1 per method and query kind, as JSON.
"""

import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import write_corpus  # noqa: E402

from localsearch.core import paths, search  # noqa: E402
from localsearch.core.search import Query  # noqa: E402
from localsearch.core.service import Service  # noqa: E402
from localsearch.core.settings import Settings  # noqa: E402

# (document body, paraphrased query)
TOPICS = [
    ("To renew a passport, send the application form with two photographs to the consulate.",
     "getting a new travel document abroad"),
    ("The boiler pressure dropped overnight and the radiators stayed cold.", "heating system not warming the flat"),
    ("Swallows leave Europe in autumn and spend the winter in southern Africa.", "birds flying to warm places"),
    ("Preheat the oven, melt dark chocolate with butter and fold in whipped egg whites.", "how to bake a dessert"),
    ("The landlord keeps two months of rent as a deposit against damage.", "money held back by the property owner"),
    ("Our quarterly revenue grew twelve percent while operating costs fell.", "company earnings went up"),
    ("Tomato seedlings need full sun, stakes and weekly pruning of side shoots.", "growing vegetables at home"),
    ("The flight to Lisbon was cancelled and the airline offered a voucher.", "trip called off by the carrier"),
    ("Knee surgery recovery takes six weeks of physiotherapy exercises.", "rehab after an operation on the leg"),
    ("Back up the laptop to an external drive before upgrading the operating system.", "saving copies of files"),
    ("The school play rehearsal moved to Thursday evening in the gym.", "children's theatre practice rescheduled"),
    ("Car insurance renewal: the premium rose because of the accident claim.", "vehicle cover got more expensive"),
    ("The cat refuses dry food and only eats fish from a can.", "picky pet eating habits"),
    ("Electricity usage peaked in January due to the heat pump.", "power bill highest in winter"),
    ("The wedding reception will be held in the garden of the old mill.", "venue for the marriage party"),
    ("Tax return deadline is the end of July; receipts for donations are deductible.", "filing forms for the revenue office"),
    ("Python scripts parse the CSV export and plot the monthly totals.", "code that makes charts from spreadsheet data"),
    ("The dentist recommended a crown for the cracked molar.", "tooth repair advice"),
    ("Marathon training plan: long runs on Sundays, intervals on Wednesdays.", "preparing for a long race"),
    ("The basement flooded after the storm and the carpet must be replaced.", "water damage downstairs"),
    ("Grandmother's recipe for plum dumplings uses potato dough.", "old family cooking instructions for fruit"),
    ("The violin lessons cost forty euros per hour at the music school.", "price of learning a string instrument"),
    ("Mortgage interest rates rose, so the monthly repayment went up.", "home loan became more costly"),
    ("The telescope shows Saturn's rings clearly on a dark night.", "looking at planets in the sky"),
]


def code(i: int) -> str:
    return f"REF-{4100 + i * 37}"


def ranked_lists(service: Service, text: str, depth: int) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
    cols = service.catalog.collections()
    kw = service.catalog.keyword_search(search.fts_query(text), [c.id for c in cols], depth)
    q = service.embedder.embed_query(text)
    sem = [p for c in cols for p in service.searcher.vector_index(c).search(q, depth)]
    return kw, sorted(sem, key=lambda p: -p[1])


def floored(sem: list[tuple[int, float]]) -> list[tuple[int, float]]:
    return [p for p in sem if p[1] >= Settings().min_similarity]


def blend_raw(kw: list[tuple[int, float]], sem: list[tuple[int, float]], alpha: float = 0.5) -> dict[int, float]:
    """BM25 scaled by the best BM25 of this query; cosine used as is (already on a fixed scale)."""
    best = max((-s for _, s in kw), default=1.0) or 1.0
    k = {i: -s / best for i, s in kw}
    c = dict(sem)
    return {i: alpha * k.get(i, 0.0) + (1 - alpha) * c.get(i, 0.0) for i in set(k) | set(c)}


def minmax(scores: dict[int, float]) -> dict[int, float]:
    if not scores:
        return {}
    lo, hi = min(scores.values()), max(scores.values())
    return {k: (v - lo) / (hi - lo) if hi > lo else 1.0 for k, v in scores.items()}


def weighted(kw: list[tuple[int, float]], sem: list[tuple[int, float]], alpha: float = 0.5) -> dict[int, float]:
    k = minmax({i: -s for i, s in kw})  # bm25(): lower is better
    s = minmax(dict(sem))
    return {i: alpha * k.get(i, 0.0) + (1 - alpha) * s.get(i, 0.0) for i in set(k) | set(s)}


CONTEXT: dict[str, object] = {}


def strength_rrf(kw: list[tuple[int, float]], sem: list[tuple[int, float]]) -> dict[int, float]:
    service: Service = CONTEXT["service"]  # type: ignore[assignment]
    rows = service.catalog.chunk_rows([i for i, _ in kw])
    texts = {i: r.text + " " + r.path for i, r in rows.items()}
    return search.weighted_rrf(kw, floored(sem), texts, search.keyword_terms(CONTEXT["query"]))  # type: ignore[arg-type]


METHODS: dict[str, Callable[[list[tuple[int, float]], list[tuple[int, float]]], dict[int, float]]] = {
    "keyword_only": lambda kw, sem: {i: -r for r, (i, _) in enumerate(kw)},
    "semantic_only": lambda kw, sem: {i: -r for r, (i, _) in enumerate(sem)},
    "weighted_minmax_0.5": weighted,
    "rrf_k60_no_floor": lambda kw, sem: search.rrf([[i for i, _ in kw], [i for i, _ in sem]]),
    "rrf_k60_floor": lambda kw, sem: search.rrf([[i for i, _ in kw], [i for i, _ in floored(sem)]]),
    "weighted_minmax_floor": lambda kw, sem: weighted(kw, floored(sem)),
    "blend_raw_cosine_floor": lambda kw, sem: blend_raw(kw, floored(sem)),
    "strength_weighted_rrf_floor": strength_rrf,
}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = write_corpus(Path(tmp) / "docs", 300, 3)
        for i, (body, _) in enumerate(TOPICS):
            (root / f"topic{i:02}.txt").write_text(f"Reference {code(i)}. {body}")
        service = Service(paths.resolve(Path(tmp) / "home"), Settings())
        service.index("eval", [str(root)])
        queries = []
        for i, (_, para) in enumerate(TOPICS):
            queries += [("paraphrase", para, i), ("exact_code", code(i), i), ("code_plus_words", f"{code(i)} notes", i)]
        results: dict[str, dict[str, dict[str, float]]] = {m: {} for m in [*METHODS, "shipped_service_search"]}
        t0 = time.perf_counter()
        per: dict[tuple[str, str], list[float]] = {}
        CONTEXT["service"] = service
        for kind, text, target in queries:
            CONTEXT["query"] = text
            kw, sem = ranked_lists(service, text, 50)
            for name, fuse in METHODS.items():
                fused = fuse(kw, sem)
                rows = service.catalog.chunk_rows(fused)
                files = [Path(r.path).name for _, r in search.group_by_file(fused, rows)][:10]
                want = f"topic{target:02}.txt"
                rr = 1.0 / (files.index(want) + 1) if want in files else 0.0
                per.setdefault((name, kind), []).append(rr)
            # What users get: Service.search (file-level fusion, word forms, rare words weigh more)
            files = [Path(h.path).name for h in service.search(Query(text, k=10)).hits]
            want = f"topic{target:02}.txt"
            per.setdefault(("shipped_service_search", kind), []).append(
                1.0 / (files.index(want) + 1) if want in files else 0.0)
        service.close()
    for (name, kind), rrs in per.items():
        results[name][kind] = {"mrr@10": round(sum(rrs) / len(rrs), 3),
                                "hit@1": round(sum(r == 1.0 for r in rrs) / len(rrs), 3)}
    for name in [*METHODS, "shipped_service_search"]:
        all_rr = [r for (n, _), rrs in per.items() if n == name for r in rrs]
        results[name]["all"] = {"mrr@10": round(sum(all_rr) / len(all_rr), 3)}
    print(json.dumps({"bench": "fusion_eval", "queries": len(queries), "seconds": round(time.perf_counter() - t0, 1),
                      "results": results}))


if __name__ == "__main__":
    main()
