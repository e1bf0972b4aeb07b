"""The window hosts the HTTP service when Settings allow it: one process, one writer, one index."""

import dataclasses
import socket
from pathlib import Path

import httpx

from localsearch.api import tokens
from localsearch.core import paths
from localsearch.core.embed.hashing import HashingEmbedder
from localsearch.core.service import Service
from localsearch.core.settings import Settings
from localsearch.gui.main_window import MainWindow
from tests.apiserver import WAIT_SCALE
from tests.gui.test_window import up_to_date

WAIT_MS = int(30000 * WAIT_SCALE)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_settings_switch_the_service_on_and_off(qtbot, tmp_path: Path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "harbour.txt").write_text("Boats in the harbour at dawn, gulls over the pier.")
    settings = Settings(text_model="hashing", ocr=False, image_model="none", api_port=free_port())
    service = Service(paths.resolve(tmp_path / "home"), settings, HashingEmbedder())
    window = MainWindow(service)
    qtbot.addWidget(window)
    try:
        assert window.api.server is None  # off by default
        window.add_folder(str(docs))
        qtbot.waitUntil(lambda: up_to_date(window, "docs"), timeout=WAIT_MS)
        with qtbot.waitSignal(window.api.started, timeout=WAIT_MS) as started:
            window.api.sync(dataclasses.replace(settings, serve_api=True))
        url = started.args[0]
        assert url == f"http://127.0.0.1:{settings.api_port}"
        token = tokens.load_or_create(service.paths.config)
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as c:
            hits = c.get("/v1/search", params={"q": "harbour gulls"}).json()["hits"]
            assert [Path(h["path"]).name for h in hits] == ["harbour.txt"]
            cols = c.get("/v1/collections").json()["collections"]
            assert cols[0]["name"] == "docs" and cols[0]["state"] == "watching"  # the window's own watcher
        with qtbot.waitSignal(window.api.stopped, timeout=WAIT_MS):
            window.api.sync(dataclasses.replace(settings, serve_api=False))
        assert window.api.server is None
        try:
            httpx.get(f"{url}/healthz", timeout=5)
            raise AssertionError("the service still answers after being switched off")
        except httpx.ConnectError:
            pass
        with qtbot.waitSignal(window.api.started, timeout=WAIT_MS):  # on again, then the window closes
            window.api.sync(dataclasses.replace(settings, serve_api=True))
    finally:
        window.shutdown()
        service.close()
    assert window.api.server is None
    with socket.socket() as s:  # the port is free again: the service stopped with the window
        s.bind(("127.0.0.1", settings.api_port))
