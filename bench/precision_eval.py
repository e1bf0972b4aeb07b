"""Does a result list show only what is related? The cut-off (core.cutoff) measured on a labelled set.

Documents: the 24 personal documents of bench/fusion_eval.py among real documents (Debian's own
documentation, bench/realtext.py). Photos: scikit-image's sample photographs, each with two
transformed copies (half size; cropped and re-encoded). Queries, as a person types them:
  paraphrase  24 questions that share no key word with their document
  keywords    24 searches by a document's key words
  photo       10 words for what is in a photo, with the Photos filter (the photo and its copies are relevant)
  no_answer   30 everyday questions nothing here answers, and 4 with the Photos filter
For each method: MRR@10, shown precision (share of shown hits that are relevant, per query, queries
that show nothing counting 0), recall inside the shown list (relevant hits still shown / relevant hits
in the uncut top 10), and the share of no-answer queries answered "No results".
A sweep of each threshold (others as shipped) shows where the shipped values sit.

Needs scikit-image (bench only) and the packaged models; prints JSON. Usage:
    python bench/precision_eval.py [--distractors 300] [--text-model multilingual]
"""

import argparse
import json
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fusion_eval import TOPICS  # noqa: E402
from realtext import debian_docs  # noqa: E402

from localsearch.core import cutoff, paths  # noqa: E402
from localsearch.core.embed import factory  # noqa: E402
from localsearch.core.embed.image import EfficientNetLite0  # noqa: E402
from localsearch.core.search import Query  # noqa: E402
from localsearch.core.service import Service  # noqa: E402
from localsearch.core.settings import Settings  # noqa: E402

CACHE = Path.home() / ".cache" / "localsearch-bench"

KEYWORDS = ["passport application consulate", "boiler pressure radiators", "swallows Africa",
            "dark chocolate egg whites", "rent deposit landlord", "quarterly revenue", "tomato seedlings",
            "Lisbon flight voucher", "knee surgery physiotherapy", "laptop backup external drive",
            "school play rehearsal", "car insurance premium", "cat dry food", "electricity heat pump",
            "wedding reception mill", "tax return donations", "python csv plot", "dentist crown molar",
            "marathon training", "basement flooded carpet", "plum dumplings", "violin lessons",
            "mortgage interest rates", "telescope Saturn"]
NO_ANSWER = ["Okafor", "parking garage", "piano tuning appointment", "sourdough starter feeding",
             "hiking boots size", "birthday party for Mia", "divorce lawyer fees", "ski holiday in the Alps",
             "knitting pattern for a scarf", "vaccination record for the dog", "lottery ticket numbers",
             "fishing licence renewal", "wine tasting in Bordeaux", "guitar chords for a lullaby",
             "yoga class timetable", "bicycle tyre puncture", "chess tournament results", "baby shower gift list",
             "kitchen tiles quote", "moving boxes checklist", "volunteer shifts at the food bank",
             "halloween costume ideas", "roof gutter cleaning", "surfing lessons in Portugal",
             "graduation speech draft", "pottery class", "beekeeping equipment", "Kowalczyk",
             "Nakamura family reunion", "allotment waiting list"]
PHOTOS = {"cat": "chelsea", "coffee": "coffee", "rocket": "rocket", "astronaut": "astronaut", "horse": "horse",
          "coins": "coins", "moon": "moon", "motorcycle": "stereo_motorcycle", "clock": "clock",
          "photographer with a camera": "camera"}
DISTRACTOR_PHOTOS = ["brick", "grass", "gravel", "colorwheel", "hubble_deep_field", "immunohistochemistry", "page",
                     "text", "retina", "logo"]
NO_ANSWER_PHOTOS = ["dog", "beach at sunset", "birthday cake", "Okafor"]


def write_photos(root: Path) -> dict[str, list[str]]:
    """Each sample as JPEG plus a half-size copy and a cropped, re-encoded one; sample -> file names."""
    import numpy as np
    import skimage.data
    from PIL import Image

    root.mkdir(parents=True, exist_ok=True)
    out: dict[str, list[str]] = {}
    for name in [*PHOTOS.values(), *DISTRACTOR_PHOTOS]:
        data = getattr(skimage.data, name)()
        data = data[0] if isinstance(data, tuple) else data
        im = Image.fromarray((data * 255).astype(np.uint8) if data.dtype == bool else data).convert("RGB")
        w, h = im.size
        n = len(out)  # camera-style names, as photos have: a name that says "rocket" would give it away
        files = [f"IMG_{1000 + n}.jpg", f"DSC_{2000 + 2 * n}.jpg", f"DSC_{2001 + 2 * n}.jpg"]
        im.save(root / files[0], quality=92)
        im.resize((max(1, w // 2), max(1, h // 2))).save(root / files[1], quality=85)
        im.crop((w // 10, h // 10, w - w // 10, h - h // 10)).save(root / files[2], quality=60)
        out[name] = files
    return out


def queries(photos: dict[str, list[str]]) -> list[tuple[str, str, str | None, set[str]]]:
    """(kind, text, kind filter, relevant file names)."""
    out: list[tuple[str, str, str | None, set[str]]] = []
    for i, (_, para) in enumerate(TOPICS):
        out.append(("paraphrase", para, None, {f"topic{i:02}.txt"}))
        out.append(("keywords", KEYWORDS[i], None, {f"topic{i:02}.txt"}))
    for text, sample in PHOTOS.items():
        out.append(("photo", text, "photo", set(photos[sample])))
    out += [("no_answer", text, None, set()) for text in NO_ANSWER]
    out += [("no_answer", text, "photo", set()) for text in NO_ANSWER_PHOTOS]
    return out


def run(service: Service, qs: list[tuple[str, str, str | None, set[str]]]) -> list[list[str]]:
    return [[Path(h.path).name for h in service.search(Query(text, k=10, kind=kind)).hits] for _, text, kind, _ in qs]


def score(qs: list[tuple[str, str, str | None, set[str]]], shown: list[list[str]],
          uncut: list[list[str]]) -> dict[str, dict[str, float]]:
    per: dict[str, dict[str, list[float]]] = {}
    for (kind, _, _, relevant), got, full in zip(qs, shown, uncut):
        m = per.setdefault(kind, {"mrr": [], "precision": [], "kept": [], "had": [], "none": []})
        if not relevant:
            m["none"].append(float(not got))
            continue
        m["mrr"].append(next((1.0 / r for r, name in enumerate(got, 1) if name in relevant), 0.0))
        m["precision"].append(sum(name in relevant for name in got) / len(got) if got else 0.0)
        m["kept"].append(sum(name in relevant and name in full for name in got))
        m["had"].append(sum(name in relevant for name in full))
    out: dict[str, dict[str, float]] = {}
    for kind, m in per.items():
        if kind == "no_answer":
            out[kind] = {"no_results": round(statistics.mean(m["none"]), 3), "queries": len(m["none"])}
        else:
            out[kind] = {"mrr@10": round(statistics.mean(m["mrr"]), 3),
                         "shown_precision": round(statistics.mean(m["precision"]), 3),
                         "recall_in_shown": round(sum(m["kept"]) / max(1, sum(m["had"])), 3), "queries": len(m["mrr"])}
    answerable = [k for k in out if k != "no_answer"]
    n = sum(out[k]["queries"] for k in answerable)
    out["all_answerable"] = {key: round(sum(out[k][key] * out[k]["queries"] for k in answerable) / n, 3)
                             for key in ("mrr@10", "shown_precision")}
    kept = sum(sum(name in rel and name in full for name in got)
               for (_, _, _, rel), got, full in zip(qs, shown, uncut) if rel)
    had = sum(sum(name in rel for name in full) for (_, _, _, rel), full in zip(qs, uncut) if rel)
    out["all_answerable"]["recall_in_shown"] = round(kept / max(1, had), 3)
    return out


DUMP: list[dict[str, object]] = []


def cosines(service: Service, qs: list[tuple[str, str, str | None, set[str]]]) -> dict[str, dict[str, list[float]]]:
    """Per query kind, the best cosine of a relevant file and of any other file (documents and photos'
    label passages apart): where a meaning threshold can separate them."""
    out: dict[str, dict[str, list[float]]] = {}
    cols = service.catalog.collections()
    for kind, text, only, relevant in qs:
        vector = service.embedder.embed_query(text)
        found = [p for c in cols for p in service.searcher.vector_index(c).search(vector, 50)]
        rows = service.catalog.chunk_rows([cid for cid, _ in found])
        best: dict[tuple[str, bool], float] = {}
        per_file: dict[str, tuple[float, str, bool]] = {}
        for cid, cos in found:
            row = rows.get(cid)
            if row is not None and (not only or row.kind == only):
                name = Path(row.path).name
                if cos > per_file.get(name, (-2.0, "", False))[0]:
                    per_file[name] = (cos, row.kind, name in relevant)
        DUMP.append({"kind": kind, "text": text, "files": sorted(per_file.values(), reverse=True)})
        for cid, cos in found:
            row = rows.get(cid)
            if row is None or (only and row.kind != only):
                continue
            key = (row.kind, Path(row.path).name in relevant)
            best[key] = max(best.get(key, -1.0), cos)
        for (what, is_relevant), cos in best.items():
            out.setdefault(f"{kind}:{what}:{'relevant' if is_relevant else 'other'}", {}).setdefault(
                "best", []).append(round(cos, 3))
    return {k: {"n": len(v["best"]), "median": round(statistics.median(v["best"]), 3), "min": min(v["best"]),
                "max": max(v["best"])} for k, v in sorted(out.items())}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--distractors", type=int, default=300)
    ap.add_argument("--dump", type=Path, help="write each query's top cosines per file (JSON) here")
    ap.add_argument("--text-model", default="default", help="the text_model setting (e.g. multilingual)")
    args = ap.parse_args()
    model_id = factory.create(Settings(text_model=args.text_model), CACHE / "models").model_id
    shipped = cutoff.gate_for(model_id)
    # A calibrated model's cosines meet the reference model's gate (cutoff.CALIBRATION): that is the one swept.
    gate_key = cutoff.REFERENCE if model_id in cutoff.CALIBRATION else model_id
    source, count = debian_docs(CACHE / f"debian-docs-{args.distractors}-2000", args.distractors, 2000)
    with tempfile.TemporaryDirectory() as tmp:
        docs = Path(tmp) / "Documents"
        docs.mkdir()
        for p in sorted(source.rglob("*")):
            if p.is_file():
                target = docs / "debian" / p.relative_to(source)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(p.read_bytes())
        for i, (body, _) in enumerate(TOPICS):
            (docs / f"topic{i:02}.txt").write_text(body)
        photos = write_photos(Path(tmp) / "Pictures")
        settings = Settings(ocr=False, text_model=args.text_model)
        service = Service(paths.resolve(Path(tmp) / "home"), settings, factory.create(settings, CACHE / "models"),
                          image_embedder=EfficientNetLite0("cpu", build_dir=CACHE / "models"))
        t0 = time.perf_counter()
        service.index("docs", [str(docs)])
        service.index("photos", [str(Path(tmp) / "Pictures")])
        index_s = time.perf_counter() - t0
        qs = queries(photos)
        cutoff.GATES[gate_key] = cutoff.Gate(words=0.0, meaning=-1.0, label=-1.0)  # everything the lists find
        uncut = run(service, qs)
        cutoff.GATES[gate_key] = shipped
        t0 = time.perf_counter()
        shown = run(service, qs)
        per_query_ms = (time.perf_counter() - t0) / len(qs) * 1000
        sweep: dict[str, list[dict[str, object]]] = {"words": [], "meaning": [], "label": []}
        grid = {"words": [0.3, 0.4, 0.5, 0.6], "meaning": [0.28, 0.3, 0.32, 0.35, 0.38, 0.4],
                "label": [0.25, 0.3, 0.33, 0.36, 0.4, 0.45]}
        for field, values in grid.items():
            for value in values:
                cutoff.GATES[gate_key] = replace(shipped, **{field: value})
                result = score(qs, run(service, qs), uncut)
                sweep[field].append({field: value, **result["all_answerable"],
                                     "no_results": result["no_answer"]["no_results"]})
        cutoff.GATES[gate_key] = shipped
        spread = cosines(service, qs)
        service.close()
    if args.dump:
        args.dump.write_text(json.dumps(DUMP))
    print(json.dumps({
        "bench": "precision_eval", "model": model_id, "documents": count + len(TOPICS),
        "photos": sum(len(v) for v in photos.values()), "index_s": round(index_s, 1),
        "search_ms_per_query": round(per_query_ms, 1), "shipped_gate": vars(shipped),
        "best_cosines": spread, "no_cutoff": score(qs, uncut, uncut), "shipped": score(qs, shown, uncut), "sweep": sweep,
        "misses": [{"kind": k, "query": t, "shown": got[:5], "relevant": sorted(rel)[:3]}
                   for (k, t, _, rel), got in zip(qs, shown)
                   if (rel and not (set(got) & rel)) or (not rel and got)],
    }, indent=1))


if __name__ == "__main__":
    main()
