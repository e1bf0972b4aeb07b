"""Prometheus metrics of the service (prometheus-client): requests and latency by endpoint and status,
search stage timings, and the index's own figures, read when scraped."""

import time
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from localsearch.core.service import Service

if TYPE_CHECKING:
    from localsearch.core.watcher import Watcher

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
STAGE_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0)
WATCH_MODES = ("starting", "waiting", "catching up", "watching", "polling", "paused", "offline", "stopped")


class _IndexCollector(Collector):
    """Figures read from the catalog and the watcher at scrape time, so they are never stale."""

    def __init__(self, service: Service, watcher: Callable[[], "Watcher | None"]) -> None:
        self.service = service
        self.watcher = watcher

    def collect(self) -> Iterator[Metric]:
        files = GaugeMetricFamily("localsearch_collection_files", "Files in the collection", labels=["collection"])
        passages = GaugeMetricFamily("localsearch_collection_passages", "Passages (searchable pieces of text)",
                                     labels=["collection"])
        failed = GaugeMetricFamily("localsearch_collection_failed_files", "Files that could not be indexed",
                                   labels=["collection"])
        vbytes = GaugeMetricFamily("localsearch_vector_index_bytes", "Size of the collection's vector index file",
                                   labels=["collection"])
        commit = GaugeMetricFamily("localsearch_last_commit_timestamp_seconds",
                                   "When a file of the collection was last committed", labels=["collection"])
        for c in self.service.overview():
            files.add_metric([c.name], c.files)
            passages.add_metric([c.name], c.chunks)
            failed.add_metric([c.name], c.failed)
            vbytes.add_metric([c.name], c.vector_index_bytes)
            if c.last_commit is not None:
                commit.add_metric([c.name], c.last_commit)
        yield from (files, passages, failed, vbytes, commit)
        queue = GaugeMetricFamily("localsearch_watch_queue_depth", "Changed paths waiting for the indexer")
        state = GaugeMetricFamily("localsearch_watcher_state", "1 for each collection's current watch state",
                                  labels=["collection", "state"])
        watcher = self.watcher()
        if watcher is not None:
            queue.add_metric([], watcher.queue.pending())
            for name, s in sorted(watcher.states.items()):
                for mode in WATCH_MODES:
                    state.add_metric([name, mode], 1.0 if s.mode == mode else 0.0)
        yield queue
        yield state


class Metrics:
    """One registry per service (tests run several in one process)."""

    def __init__(self, service: Service, watcher: Callable[[], "Watcher | None"]) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("localsearch_http_requests", "HTTP requests answered",
                                ["endpoint", "method", "status"], registry=self.registry)
        self.latency = Histogram("localsearch_http_request_duration_seconds", "Time to answer an HTTP request",
                                 ["endpoint", "method", "status"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.stages = Histogram("localsearch_search_stage_seconds",
                                "Time of each search stage: embed, keyword, vector, fusion", ["stage"],
                                buckets=STAGE_BUCKETS, registry=self.registry)
        self.registry.register(_IndexCollector(service, watcher))

    def request(self, endpoint: str, method: str, status: int, started: float) -> None:
        labels = (endpoint, method, str(status))
        self.requests.labels(*labels).inc()
        self.latency.labels(*labels).observe(time.perf_counter() - started)

    def search(self, timings: Mapping[str, float]) -> None:
        for stage, seconds in timings.items():
            self.stages.labels(stage).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
