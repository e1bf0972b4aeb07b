"""Event storm: N file creations then N/2 deletions under a live watcher.

Prints JSON: events/s handled, time from the last write to quiet (catalog and FAISS exactly match
the disk), and peak memory of this process. The default fake model measures the watching and
indexing machinery; --model default adds the real text model's embedding cost.
"""

import argparse
import json
import os
import resource
import tempfile
import time
from pathlib import Path

import faiss

from localsearch.core import paths
from localsearch.core.embed.hashing import HashingEmbedder
from localsearch.core.service import Service
from localsearch.core.settings import Settings


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--model", choices=["hashing", "default"], default="hashing")
    ap.add_argument("--timeout", type=float, default=1800)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "root"
        root.mkdir()
        settings = Settings(text_model=args.model)
        service = Service(paths.resolve(Path(tmp) / "home"), settings,
                          HashingEmbedder() if args.model == "hashing" else None)
        service.index("storm", [str(root)])
        w = service.watcher(["storm"]).start()
        assert w.wait_idle(120)
        cid = service.catalog.collection("storm").id
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t0 = time.perf_counter()
        for i in range(args.files):
            (root / f"d{i % 50:02}").mkdir(exist_ok=True)
            (root / f"d{i % 50:02}" / f"f{i:06}.txt").write_text(f"storm file {i} about topic {i % 97}")
        for i in range(0, args.files, 2):
            (root / f"d{i % 50:02}" / f"f{i:06}.txt").unlink()
        writes_done = time.perf_counter()
        events = args.files + args.files // 2
        want = args.files - (args.files + 1) // 2
        deadline = time.monotonic() + args.timeout
        while time.monotonic() < deadline:
            files = service.catalog.stats(cid)["files"]
            if files == want and w.queue.pending() == 0 and w.wait_idle(0.1):
                break
            time.sleep(0.05)
        quiet = time.perf_counter()
        w.stop()
        on_disk = {os.fsencode(p) for p in root.rglob("*.txt")}
        in_catalog = set(service.catalog.files(cid))
        index = faiss.read_index(str(service.paths.vectors / f"collection-{cid}.faiss"))
        chunk_ids = {r[0] for r in service.catalog.conn.execute("SELECT id FROM chunks")}
        exact = on_disk == in_catalog and set(faiss.vector_to_array(index.id_map).tolist()) == chunk_ids
        service.close()
    print(json.dumps({
        "bench": "watch_storm",
        "model": args.model,
        "creations": args.files,
        "deletions": args.files // 2,
        "write_s": round(writes_done - t0, 2),
        "time_to_quiet_after_last_write_s": round(quiet - writes_done, 2),
        "events_per_s_handled": round(events / (quiet - t0), 1),
        "catalog_and_faiss_match_disk": exact,
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "peak_rss_growth_mib": round((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024, 1),
    }))


if __name__ == "__main__":
    main()
