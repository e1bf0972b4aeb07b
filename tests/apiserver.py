"""A real LocalSearch HTTP service on an ephemeral loopback port, over a small collection of documents
and photos (with links that lead out of it), for the API tests."""

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from localsearch.api import tokens
from localsearch.api.app import Host, create_app
from localsearch.api.server import ApiServer
from localsearch.core import paths
from localsearch.core.embed.hashing import HashingEmbedder
from localsearch.core.service import Service
from localsearch.core.settings import Settings
from localsearch.core.watcher import Watcher
from tests import photogen

WAIT_SCALE = float(os.environ.get("LOCALSEARCH_TEST_WAIT_SCALE", "1"))
"""One factor for every wait ceiling in these tests (busy CI machines: raise it, never shorten waits)."""


@dataclass
class Served:
    url: str
    token: str
    service: Service
    watcher: Watcher
    server: ApiServer
    docs: Path
    outside: Path
    photos: dict[str, list[Path]]

    def client(self, token: str | None = "") -> httpx.Client:
        """A client with the right token (default), another token, or none (None)."""
        token = self.token if token == "" else token
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60 * WAIT_SCALE)


def make_corpus(base: Path) -> tuple[Path, Path, dict[str, list[Path]]]:
    docs, outside = base / "docs", base / "outside"
    docs.mkdir(parents=True)
    outside.mkdir()
    (docs / "lease.txt").write_text("The monthly rent is 950 euros, due on the first day of each month.")
    (docs / "invoice.txt").write_text("Invoice 2024-0042 for garden work: hedges trimmed, lawn mowed.")
    (docs / "notes").mkdir()
    (docs / "notes" / "trip.md").write_text("# Trip\nTrain to Lyon on Friday, then the museum of lights.")
    (outside / "secret.txt").write_text("topsecret payroll of the neighbours")
    photos = photogen.write_set(docs / "photos")
    photogen.originals()["rings"].save(outside / "private.jpg")
    os.symlink(outside / "secret.txt", docs / "secret-link.txt")
    os.symlink(outside / "private.jpg", docs / "photos" / "private-link.jpg")
    os.symlink(outside, docs / "outside-folder")
    return docs, outside, photos


@contextlib.contextmanager
def served(base: Path, image_model: object, cors_origins: tuple[str, ...] = ()) -> Iterator[Served]:
    docs, outside, photos = make_corpus(base)
    home = paths.resolve(base / "home")
    service = Service(home, Settings(text_model="hashing", ocr=False), HashingEmbedder(),
                      image_embedder=image_model)  # type: ignore[arg-type]
    service.index("docs", [str(docs)])
    watcher = service.watcher().start()
    server = None
    try:
        assert watcher.wait_idle(60 * WAIT_SCALE)
        token = tokens.load_or_create(home.config)
        server = ApiServer(create_app(Host(service, token, lambda: watcher), cors_origins), port=0).start()
        yield Served(server.urls[0], token, service, watcher, server, docs, outside, photos)
    finally:
        if server is not None:
            server.stop()
        watcher.stop()
        service.close()
