"""Public IR test collections for bench/ir_eval.py, fetched once and cached outside the repo in BEIR format.

    python bench/ir_data.py [NAME ...]        fetch and convert (default: all), print where they are
    python bench/ir_data.py NAME --from DIR   convert raw files already on disk (no network)

Each collection is stored as BEIR lays one out (corpus.jsonl, queries.jsonl, qrels/test.tsv) under
$LOCALSEARCH_BENCH_DATA (default ~/.cache/localsearch-bench/beir). Any other BEIR-format folder
(NFCorpus, FiQA, ArguAna ... from the BEIR distribution) can be passed to ir_eval.py as a path.

- cranfield: 1,400 aeronautics abstracts, 225 queries, graded judgements (Cleverdon, 1960s).
  cranqrel grades 1 (complete answer) .. 4 (minimum interest), -1 (not relevant); gain = 5 - grade.
  Its queries are numbered 1..225 in order in cranqrel, not by their `.I` field (a known quirk).
- cisi: 1,460 library-science abstracts, 112 queries of which 76 judged, binary judgements.

SciFact is not here on purpose: it is kept aside for independent checks.
"""

import argparse
import json
import os
import re
import sys
import urllib.request
from pathlib import Path

SOURCES: dict[str, dict[str, str]] = {
    "cranfield": {
        "base": "https://raw.githubusercontent.com/stevinjs/CS7IS3-CA1/43ab37069572a9e9719efe79ac8ae4d2c78c4588/resources/",
        "docs": "cran.all.1400", "queries": "cran.qry", "qrels": "cranqrel",
    },
    "cisi": {
        "base": "https://raw.githubusercontent.com/Shakiba-Alipour/Information-Retrieval-on-CISI/"
                "7a23c34602e8949d795bb1835004546e00d1d1ba/",
        "docs": "CISI.ALL", "queries": "CISI.QRY", "qrels": "CISI.REL",
    },
}


def cache_root() -> Path:
    return Path(os.environ.get("LOCALSEARCH_BENCH_DATA", Path.home() / ".cache" / "localsearch-bench")) / "beir"


def smart_records(text: str) -> list[dict[str, str]]:
    """SMART-format records: `.I id` then fields `.T` title, `.A` authors, `.B` source, `.W` text, `.X` refs."""
    records: list[dict[str, str]] = []
    field = None
    for line in text.splitlines():
        m = re.match(r"^\.([A-Z])(?:\s+(.*))?$", line)
        if m and m.group(1) == "I":
            records.append({"id": (m.group(2) or "").strip()})
            field = None
        elif m:
            field = m.group(1)
            records[-1].setdefault(field, "")
        elif records and field:
            records[-1][field] += line.strip() + " "
    return [{k: v.strip() for k, v in r.items()} for r in records]


def convert(name: str, raw: dict[str, str], out: Path) -> None:
    docs = smart_records(raw["docs"])
    queries = smart_records(raw["queries"])
    (out / "qrels").mkdir(parents=True, exist_ok=True)
    with open(out / "corpus.jsonl", "w", encoding="utf-8") as f:
        for d in docs:
            text = d.get("W", "")
            title = d.get("T", "")
            if name == "cranfield" and text.startswith(title):  # Cranfield repeats the title as the text's start
                text = text[len(title):].strip()
            f.write(json.dumps({"_id": d["id"], "title": title, "text": text}) + "\n")
    qids = [str(i + 1) for i in range(len(queries))] if name == "cranfield" else [q["id"] for q in queries]
    with open(out / "queries.jsonl", "w", encoding="utf-8") as f:
        for qid, q in zip(qids, queries):
            f.write(json.dumps({"_id": qid, "text": q.get("W", "")}) + "\n")
    seen = set()
    with open(out / "qrels" / "test.tsv", "w", encoding="utf-8") as f:
        f.write("query-id\tcorpus-id\tscore\n")
        for line in raw["qrels"].splitlines():
            parts = line.split()
            if len(parts) < 3:
                continue
            qid, did = parts[0], parts[1]
            if name == "cranfield":
                grade = int(parts[2])
                gain = 5 - grade if 1 <= grade <= 4 else 0
            else:
                gain = 1
            if gain > 0 and (qid, did) not in seen:
                seen.add((qid, did))
                f.write(f"{int(qid)}\t{int(did)}\t{gain}\n")


def ensure(name: str, raw_dir: Path | None = None) -> Path | None:
    """The collection's BEIR folder, fetched and converted on first use; None (with a reason on stderr)
    when it is not cached and cannot be fetched (no network)."""
    out = cache_root() / name
    if (out / "qrels" / "test.tsv").exists():
        return out
    src = SOURCES[name]
    raw: dict[str, str] = {}
    try:
        for part in ("docs", "queries", "qrels"):
            if raw_dir is not None:
                raw[part] = (raw_dir / src[part]).read_text(encoding="latin-1")
            else:
                with urllib.request.urlopen(src["base"] + src[part], timeout=30) as r:
                    raw[part] = r.read().decode("latin-1")
    except OSError as e:
        print(f"{name}: not cached and not fetched ({e}); skipped", file=sys.stderr)
        return None
    convert(name, raw, out)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*", default=list(SOURCES), choices=list(SOURCES))
    ap.add_argument("--from", dest="raw_dir", type=Path, help="folder holding the raw files (no download)")
    args = ap.parse_args()
    for name in args.names or list(SOURCES):
        where = ensure(name, args.raw_dir)
        if where:
            print(f"{name}: {where}")


if __name__ == "__main__":
    main()
