"""Load on the HTTP service while its watcher ingests new files, side by side with in-process searches.

A `localsearch serve` process (loopback, ephemeral port) serves a ~10k-passage collection (the one
bench/query_latency.py builds, reused from --home). Each round runs, one after the other:
  - http:       N clients (threads, keep-alive) search over HTTP for --seconds;
  - in-process: N threads call Service.search on the same index in this process for --seconds;
  - and both again with one client, for the per-request overhead without queueing.
Meanwhile new files land in the collection's folder (--ingest-every seconds), which the server's
watcher indexes: the searches run against a live, changing index. Reports requests/s, p50/p95/p99,
errors, the server's RSS at the start and end, and p95(http) / p95(in-process) per round and median.

All traffic goes to 127.0.0.1 only; every loop is bounded in count and time.
"""

import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import paragraph, vocabulary, write_corpus  # noqa: E402

from localsearch.core import paths  # noqa: E402
from localsearch.core.search import Query  # noqa: E402
from localsearch.core.service import Service  # noqa: E402

QUERIES = ["how do I renew my passport", "invoice 2024-0042", "quarterly budget for the garden project",
           "letter to the landlord about the heating", "recipe with chocolate and butter",
           "meeting notes from the product review", "travel insurance claim form", "birds migrating south"]


def rss_bytes(pid: int) -> int:
    """Resident memory of another process (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def pct(values: list[float], p: int) -> float:
    return round(statistics.quantiles(values, n=100)[p - 1], 2) if len(values) > 1 else round(values[0], 2)


def summary(lat_ms: list[float], errors: int, seconds: float) -> dict[str, float]:
    if not lat_ms:
        return {"requests": 0, "errors": errors}
    return {"requests": len(lat_ms), "errors": errors, "rps": round(len(lat_ms) / seconds, 1),
            "p50_ms": pct(lat_ms, 50), "p95_ms": pct(lat_ms, 95), "p99_ms": pct(lat_ms, 99)}


def hammer(clients: int, seconds: float, one: Callable[[int, str], bool]) -> dict[str, float]:
    """`clients` threads call one(client, query) until `seconds` pass; latency per call, failures counted."""
    lat: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    stop_at = time.perf_counter() + seconds

    def loop(i: int) -> None:
        rng = random.Random(i)
        while time.perf_counter() < stop_at:
            q = rng.choice(QUERIES)
            t0 = time.perf_counter()
            ok = one(i, q)
            lat[i].append((time.perf_counter() - t0) * 1000)
            errors[i] += 0 if ok else 1

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return summary([x for per in lat for x in per], sum(errors), time.perf_counter() - started)


class Ingest(threading.Thread):
    """Writes a new document into the watched folder every `every` seconds until stopped."""

    def __init__(self, folder: Path, every: float) -> None:
        super().__init__(daemon=True)
        self.folder, self.every, self.written = folder, every, 0
        self.halt = threading.Event()
        self.words = vocabulary()

    def run(self) -> None:
        rng = random.Random(11)
        self.folder.mkdir(parents=True, exist_ok=True)
        while not self.halt.wait(self.every):
            text = "\n\n".join(paragraph(rng, self.words, 120) for _ in range(2))
            (self.folder / f"new{self.written:05}.txt").write_text(text)
            self.written += 1


def build_home(home: Path, docs: int) -> Path:
    """The ~10k-passage collection of bench/query_latency.py (same corpus, same folder), built once."""
    corpus = home.parent / (home.name + "-corpus")
    service = Service(paths.resolve(home))
    try:
        if not service.catalog.collections():
            write_corpus(corpus, docs, 6)
            t0 = time.perf_counter()
            service.index("bench", [str(corpus)], read_photo_text=False)
            print(f"built the collection in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        return Path(service.catalog.roots(service.catalog.collection("bench").id)[0])
    finally:
        service.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--home", default="bench/out/home", help="collection home, shared with query_latency.py")
    ap.add_argument("--docs", type=int, default=1700, help="~6 passages each when the home is built")
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=60.0, help="per phase")
    ap.add_argument("--single-seconds", type=float, default=10.0, help="per one-client phase")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--ingest-every", type=float, default=1.0, help="seconds between new files (0: no ingest)")
    ap.add_argument("--warm-up", type=float, default=20.0, help="seconds of load and ingest before RSS is first read")
    args = ap.parse_args()
    home = Path(args.home).resolve()
    corpus = build_home(home, args.docs)
    incoming = corpus / f"incoming-{os.getpid()}"
    env = {**os.environ, "LOCALSEARCH_HOME": str(home)}
    token = subprocess.run([sys.executable, "-m", "localsearch", "serve", "--show-token"], env=env, check=True,
                           capture_output=True, text=True).stdout.strip()
    server = subprocess.Popen([sys.executable, "-m", "localsearch", "serve", "--port", "0"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    service = Service(paths.resolve(home))
    ingest = Ingest(incoming, args.ingest_every)
    try:
        assert server.stdout is not None
        match = re.search(r"http://127\.0\.0\.1:\d+", server.stdout.readline())
        if not match:
            raise SystemExit("the server did not start")
        port = int(match.group(0).rsplit(":", 1)[1])
        auth = {"Authorization": f"Bearer {token}"}
        # The standard library's client, one keep-alive connection per client: a launcher's cost, and
        # light enough that the clients (on the same 2 cores) weigh little against the server
        conns = [http.client.HTTPConnection("127.0.0.1", port, timeout=60) for _ in range(args.clients)]

        def get(i: int, path: str) -> tuple[int, bytes]:
            """GET on client i's connection; a connection the server closed while idle (uvicorn: after
            5 s) is opened again and the request sent once more, as HTTP clients do for a GET."""
            for attempt in (1, 2):
                try:
                    conns[i].request("GET", path, headers=auth)
                    response = conns[i].getresponse()
                    return response.status, response.read()
                except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                    conns[i].close()
                    if attempt == 2:
                        raise
            raise AssertionError("unreachable")

        def over_http(i: int, q: str) -> bool:
            try:
                status, body = get(i, "/v1/search?" + urllib.parse.urlencode({"q": q, "k": 10}))
                json.loads(body)
                return status == 200
            except (OSError, http.client.HTTPException, ValueError):
                conns[i].close()
                return False

        def in_process(i: int, q: str) -> bool:
            service.search(Query(q, k=10))
            return True

        for q in QUERIES:  # warm both: index loaded, query encoder open, connections made
            over_http(0, q)
            in_process(0, q)
        passages = service.overview()[0].chunks
        if args.ingest_every > 0:
            ingest.start()
        # The server's first embeddings (torch's buffers) and its pool of request threads (each with its
        # own SQLite connection) take memory once; RSS is read after that, to see growth under load.
        hammer(args.clients, args.warm_up, over_http)
        deadline = time.monotonic() + 300  # the server's model is loaded once a new file is searchable
        while args.ingest_every > 0 and service.overview()[0].chunks == passages and time.monotonic() < deadline:
            time.sleep(0.5)
        rss_start = rss_bytes(server.pid)
        rss_rounds = []
        rounds = []
        for r in range(args.rounds):
            one = {"http": hammer(args.clients, args.seconds, over_http),
                   "in_process": hammer(args.clients, args.seconds, in_process),
                   "http_1_client": hammer(1, args.single_seconds, over_http),
                   "in_process_1_client": hammer(1, args.single_seconds, in_process)}
            one["p95_ratio"] = round(one["http"]["p95_ms"] / one["in_process"]["p95_ms"], 3)
            one["p95_ratio_1_client"] = round(one["http_1_client"]["p95_ms"] / one["in_process_1_client"]["p95_ms"], 3)
            rounds.append(one)
            rss_rounds.append(round(rss_bytes(server.pid) / 2**20, 1))
            print(json.dumps({"round": r + 1, **one}), file=sys.stderr)
        rss_end = rss_bytes(server.pid)
        ingest.halt.set()
        metrics = get(0, "/metrics")[1].decode()
        for c in conns:
            c.close()
        indexed = service.overview()[0].chunks - passages
    finally:
        ingest.halt.set()
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=120)
        except subprocess.TimeoutExpired:
            server.kill()
        service.close()
        shutil.rmtree(incoming, ignore_errors=True)  # the next run's watcher catch-up removes them from the index
    phases = ("http", "in_process", "http_1_client", "in_process_1_client")
    med = {k: round(statistics.median(r[k]["p95_ms"] for r in rounds), 2) for k in phases}
    print(json.dumps({
        "bench": "api_load",
        "passages_at_start": passages,
        "clients": args.clients,
        "seconds_per_phase": args.seconds,
        "files_written_during_load": ingest.written,
        "passages_indexed_during_load": indexed,
        "rounds": rounds,
        "median_p95_ms": med,
        "median_p95_ratio": statistics.median(r["p95_ratio"] for r in rounds),
        "median_p95_ratio_1_client": statistics.median(r["p95_ratio_1_client"] for r in rounds),
        "http_errors": sum(r["http"]["errors"] + r["http_1_client"]["errors"] for r in rounds),
        "server_rss_mb": {"start": round(rss_start / 2**20, 1), "after_each_round": rss_rounds,
                          "end": round(rss_end / 2**20, 1), "growth": round(rss_end / rss_start - 1, 3)},
        "server_search_stage_ms_mean": stage_means(metrics),
    }, indent=1))


def stage_means(metrics: str) -> dict[str, float]:
    """Mean time per search stage inside the server, from its own Prometheus histogram."""
    sums, counts = {}, {}
    for line in metrics.splitlines():
        m = re.match(r'localsearch_search_stage_seconds_(sum|count)\{stage="(\w+)"\} (\S+)', line)
        if m:
            (sums if m.group(1) == "sum" else counts)[m.group(2)] = float(m.group(3))
    return {k: round(sums[k] / counts[k] * 1000, 2) for k in sums if counts.get(k)}


if __name__ == "__main__":
    main()
