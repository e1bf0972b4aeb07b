"""The HTTP service against a real uvicorn server on a loopback port: auth, the same hits as the CLI,
files outside the collections refused, limits as JSON errors, metrics, CORS, a fault as a logged 500."""

import io
import logging
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from PIL import Image

from localsearch.api import server as server_mod
from localsearch.api import tokens
from localsearch.api.app import MAX_UPLOAD_BYTES
from localsearch.core.search import Query
from tests.apiserver import WAIT_SCALE, Served, served


@pytest.fixture(scope="module")
def api(tmp_path_factory, image_model):
    with served(tmp_path_factory.mktemp("api"), image_model) as s:
        yield s


def names(body: dict) -> list[str]:
    return [Path(h["path"]).name for h in body["hits"]]


def assert_json_error(r: httpx.Response, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert body["error"] and "Traceback" not in r.text and 'File "' not in r.text
    assert body["request_id"] == r.headers["x-request-id"]
    return body


PROTECTED = [("GET", "/v1/search?q=rent", None), ("GET", "/v1/collections", None), ("GET", "/v1/status", None),
             ("GET", "/v1/thumbnail?path=/x.jpg", None), ("GET", "/metrics", None),
             ("POST", "/v1/similar", {"path": "/x.jpg"}), ("POST", "/v1/collections/docs/reindex", None)]


def test_healthz_needs_no_token_and_everything_else_does(api: Served):
    assert api.client(None).get("/healthz").json()["status"] == "ok"
    for token in (None, "wrong-token", api.token[:-1]):
        with api.client(token) as c:
            for method, url, body in PROTECTED:
                r = c.request(method, url, json=body)
                assert_json_error(r, 401)
                assert r.headers["www-authenticate"] == "Bearer"
                assert "rent" not in r.text


def test_token_file_is_private_and_stable(api: Served):
    path = tokens.token_path(api.service.paths.config)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert tokens.load_or_create(api.service.paths.config) == api.token
    assert len(api.token) >= 32


def test_search_gives_the_same_hits_as_the_cli(api: Served):
    with api.client() as c:
        body = c.get("/v1/search", params={"q": "monthly rent", "k": 5}).json()
    assert names(body)[0] == "lease.txt"
    assert body["total"] >= len(body["hits"]) >= 1 and body["took_ms"] > 0
    expected = [h.to_json() for h in api.service.search(Query("monthly rent", k=5)).hits]  # what search --json prints
    assert body["hits"] == expected
    first = body["hits"][0]
    assert "words: monthly, rent" in first["why"] and first["match_spans"]
    assert first["snippet"][first["match_spans"][0][0]:first["match_spans"][0][1]].lower() in ("monthly", "rent")


def test_search_filters(api: Served):
    with api.client() as c:
        photos = c.get("/v1/search", params={"q": "board stripes rings", "kind": "photo", "k": 50}).json()
        assert photos["hits"] and all(h["kind"] == "photo" for h in photos["hits"])
        text = names(c.get("/v1/search", params={"q": "train museum", "type": "text"}).json())
        assert text[0] == "trip.md" and all(n.endswith((".md", ".txt")) for n in text)
        assert c.get("/v1/search", params={"q": "train museum", "type": "pdf"}).json()["hits"] == []
        assert c.get("/v1/search", params={"q": "rent", "since": "2999-01-01"}).json()["hits"] == []
        assert names(c.get("/v1/search", params={"q": "rent", "until": "2999-01-01"}).json())[0] == "lease.txt"
        assert names(c.get("/v1/search", params={"q": "rent", "collection": "docs"}).json())[0] == "lease.txt"
        assert names(c.get("/v1/search", params={"q": "train museum type:md"}).json())[0] == "trip.md"  # operators
        assert c.get("/v1/search", params={"q": "train museum type:pdf"}).json()["hits"] == []
        literal = names(c.get("/v1/search", params={"q": "train museum type:pdf", "literal": "true"}).json())
        assert literal[0] == "trip.md"  # text a program passes on: "type:pdf" is words, not a filter
        by_name = names(c.get("/v1/search", params={"q": "the", "sort": "name"}).json())
        assert len(by_name) > 1 and by_name == sorted(by_name, key=str.casefold)
        assert c.get("/v1/search", params={"q": "rent", "folder": "no-such-folder"}).json()["hits"] == []
        assert_json_error(c.get("/v1/search", params={"q": "rent", "sort": "size"}), 422)
        assert "no collection" in assert_json_error(c.get("/v1/search", params={"q": "rent", "collection": "nope"}),
                                                    404)["error"]


def test_text_behind_links_out_of_the_folders_is_never_served(api: Served):
    with api.client() as c:
        assert c.get("/v1/search", params={"q": "topsecret payroll neighbours"}).json()["hits"] == []
        st = c.get("/v1/status").json()
    reasons = {Path(f["path"]).name: f["reason"] for f in st["collections"][0]["failures"]}
    assert "outside the collection" in reasons["secret-link.txt"]
    assert "outside the collection" in reasons["outside-folder"]


@pytest.mark.parametrize("path", ["/etc/passwd", "../../etc/passwd", "photos/board.jpg", "", "/dev/zero",
                                  "{docs}/../outside/private.jpg", "{docs}/photos/private-link.jpg",
                                  "{docs}/outside-folder/private.jpg", "{docs}/lease.txt", "{docs}/photos/x\x00.jpg"])
def test_files_outside_the_collections_are_refused(api: Served, path: str):
    path = path.format(docs=api.docs)
    with api.client() as c:
        r = c.get("/v1/thumbnail", params={"path": path})
        assert r.status_code in (403, 404, 422), r.text
        assert not r.headers["content-type"].startswith("image/") and "root:" not in r.text
        r = c.post("/v1/similar", json={"path": path})
        assert r.status_code in (403, 404, 422), r.text
        assert "private.jpg" not in r.text


def test_thumbnail_of_an_indexed_photo(api: Served):
    with api.client() as c:
        r = c.get("/v1/thumbnail", params={"path": str(api.photos["board"][0]), "size": 64})
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    image = Image.open(io.BytesIO(r.content))
    assert image.format == "JPEG" and max(image.size) == 64


def test_similar_by_upload_and_by_path(api: Served):
    original, small = api.photos["rings"][0], api.photos["rings"][1]
    with api.client() as c:
        r = c.post("/v1/similar", files={"image": ("mine.png", small.read_bytes(), "image/png")}, data={"k": "4"})
        body = r.json()
        assert r.status_code == 200 and len(body["hits"]) == 4
        assert {Path(h["path"]).name for h in body["hits"]} == {p.name for p in api.photos["rings"]}
        assert any(w.startswith("same photo") for w in body["hits"][0]["why"])
        by_path = c.post("/v1/similar", json={"path": str(original), "k": 3}).json()
        assert by_path["hits"][0]["path"] == str(original) and by_path["hits"][0]["score"] == pytest.approx(1.0, abs=1e-4)
        excluded = c.post("/v1/similar", json={"path": str(original), "k": 3, "exclude_self": True}).json()
        assert str(original) not in [h["path"] for h in excluded["hits"]]


def test_limits_are_clear_json_errors(api: Served, tmp_path: Path):
    with api.client() as c:
        assert "q" in assert_json_error(c.get("/v1/search", params={"q": "x" * 1001}), 422)["error"]
        for k in ("0", "-5", "1000", "ten"):
            assert "k" in assert_json_error(c.get("/v1/search", params={"q": "rent", "k": k}), 422)["error"]
        assert assert_json_error(c.get("/v1/search"), 422)
        assert "unknown parameter 'colour'" in assert_json_error(
            c.get("/v1/search", params={"q": "rent", "colour": "red"}), 422)["error"]
        assert assert_json_error(c.get("/v1/search", params={"q": "rent", "type": "exe"}), 422)
        assert assert_json_error(c.get("/v1/search", params={"q": "rent", "since": "yesterday"}), 422)
        assert assert_json_error(c.post("/v1/similar", json={"path": "/x.jpg", "extra": 1}), 422)
        assert assert_json_error(c.post("/v1/similar", content=b"{not json", headers={"content-type": "application/json"}), 422)
        assert assert_json_error(c.post("/v1/similar", content=b"path=/x", headers={"content-type": "text/plain"}), 415)
        assert assert_json_error(c.post("/v1/similar", content=b"--nope\r\ngarbage",
                                        headers={"content-type": "multipart/form-data; boundary=b"}), 400)
        assert assert_json_error(c.post("/v1/similar", content=b"x", headers={"content-type": "multipart/form-data"}), 400)
        assert "not a photo" in assert_json_error(c.post("/v1/similar", files={"image": ("a.jpg", b"not an image")}),
                                                  422)["error"]
        assert assert_json_error(c.post("/v1/similar", files={"image": ("a.jpg", b"x")}, data={"k": "0"}), 422)
        big = os.urandom(MAX_UPLOAD_BYTES + 1024)
        assert assert_json_error(c.post("/v1/similar", files={"image": ("big.jpg", big)}), 413)
        huge = tmp_path / "huge.png"
        Image.new("L", (8000, 8000)).save(huge)  # 64 MP in a few kB
        assert "million pixels" in assert_json_error(c.post("/v1/similar", files={"image": ("h.png", huge.read_bytes())}),
                                                     413)["error"]
    uploads = api.service.paths.cache / "uploads"
    assert list(uploads.iterdir()) == []  # nothing of an upload is left on disk
    assert stat.S_IMODE(uploads.stat().st_mode) == 0o700


def metric(text: str, name: str, **labels: str) -> float:
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        if line.startswith(f"{name}{{{want}}} ") or (not labels and line.startswith(name + " ")):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_are_exposed_and_follow_searches(api: Served):
    with api.client() as c:
        before = c.get("/metrics")
        assert before.headers["content-type"].startswith("text/plain")
        searches = metric(before.text, "localsearch_http_requests_total", endpoint="/v1/search", method="GET", status="200")
        embeds = metric(before.text, "localsearch_search_stage_seconds_count", stage="embed")
        c.get("/v1/search", params={"q": "invoice"}).raise_for_status()
        c.get("/v1/search", params={"q": "x", "k": "0"})
        after = c.get("/metrics").text
    assert metric(after, "localsearch_http_requests_total", endpoint="/v1/search", method="GET", status="200") == searches + 1
    assert metric(after, "localsearch_http_requests_total", endpoint="/v1/search", method="GET", status="422") >= 1
    for stage in ("embed", "keyword", "vector", "fusion"):
        assert metric(after, "localsearch_search_stage_seconds_count", stage=stage) >= embeds + 1
    assert metric(after, "localsearch_http_request_duration_seconds_count", endpoint="/v1/search", method="GET",
                  status="200") == searches + 1
    overview = api.service.overview()[0]
    assert metric(after, "localsearch_collection_passages", collection="docs") == overview.chunks > 0
    assert metric(after, "localsearch_collection_files", collection="docs") == overview.files
    assert metric(after, "localsearch_collection_failed_files", collection="docs") == overview.failed == 3
    assert metric(after, "localsearch_vector_index_bytes", collection="docs") > 0
    assert abs(metric(after, "localsearch_last_commit_timestamp_seconds", collection="docs") - time.time()) < 3600
    assert metric(after, "localsearch_watcher_state", collection="docs", state="watching") == 1.0
    assert "localsearch_watch_queue_depth 0.0" in after


def test_collections_status_and_reindex(api: Served, monkeypatch):
    with api.client() as c:
        cols = c.get("/v1/collections").json()["collections"]
        assert [(x["name"], x["folders"], x["state"]) for x in cols] == [("docs", [str(api.docs)], "watching")]
        st = c.get("/v1/status").json()
        assert st["model"] == api.service.model_id and st["collections"][0]["passages"] == cols[0]["passages"]
        assert st["data_bytes"] > st["catalog_bytes"] > 0
        asked = []
        monkeypatch.setattr(api.watcher, "reconcile", asked.append)
        r = c.post("/v1/collections/docs/reindex")
        assert r.status_code == 202 and r.json() == {"collection": "docs", "queued": True} and asked == ["docs"]
        assert_json_error(c.post("/v1/collections/nope/reindex"), 404)


def test_a_fault_is_a_logged_500_without_a_traceback(api: Served, monkeypatch, caplog):
    def broken(query):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(api.service, "search", broken)
    with caplog.at_level(logging.ERROR, logger="localsearch.api"), api.client() as c:
        r = c.get("/v1/search", params={"q": "rent"})
    body = assert_json_error(r, 500)
    assert "secret internals" not in r.text
    assert any(body["request_id"] in rec.getMessage() and rec.exc_info for rec in caplog.records)


def test_openapi_schema_documents_every_route(api: Served):
    from openapi_spec_validator import validate

    with api.client(None) as c:
        schema = c.get("/openapi.json").json()
        assert c.get("/docs").status_code == 200
    validate(schema)
    assert {"/v1/search", "/v1/similar", "/v1/thumbnail", "/v1/collections", "/v1/status",
            "/v1/collections/{name}/reindex", "/healthz", "/metrics"} <= set(schema["paths"])
    assert set(schema["paths"]["/v1/similar"]["post"]["requestBody"]["content"]) == {"application/json",
                                                                                     "multipart/form-data"}
    assert "409" in schema["paths"]["/v1/collections/{name}/reindex"]["post"]["responses"]


def test_no_cors_unless_asked(api: Served, tmp_path, image_model):
    origin = {"Origin": "https://evil.example"}
    with api.client() as c:
        assert "access-control-allow-origin" not in c.get("/v1/search", params={"q": "rent"}, headers=origin).headers
    with served(tmp_path, image_model, cors_origins=("moz-extension://abc",)) as other, other.client() as c:
        r = c.get("/v1/search", params={"q": "rent"}, headers={"Origin": "moz-extension://abc"})
        assert r.headers["access-control-allow-origin"] == "moz-extension://abc"
        assert "access-control-allow-origin" not in c.get("/healthz", headers=origin).headers


def test_listens_on_loopback_only(api: Served):
    assert api.url.startswith("http://127.0.0.1:")
    assert all(s.getsockname()[0] in server_mod.LOOPBACK for s in api.server.sockets)
    # asyncio turns Nagle off on accepted connections only for sockets that say TCP (else +40 ms a request)
    assert all(s.proto == socket.IPPROTO_TCP for s in api.server.sockets)
    assert server_mod.is_loopback("::1") and server_mod.is_loopback("localhost")
    assert not server_mod.is_loopback("0.0.0.0") and not server_mod.is_loopback("192.168.1.2")


def cli(home: Path, *args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "localsearch", "--home", str(home), *args], capture_output=True,
                          text=True, timeout=120 * WAIT_SCALE, **kw)


def test_serve_refuses_other_addresses_without_the_flag(tmp_path):
    r = cli(tmp_path / "home", "serve", "--host", "0.0.0.0")
    assert r.returncode == 1 and "--i-know-this-exposes-my-files" in r.stderr and "Traceback" not in r.stderr
    r = cli(tmp_path / "home", "serve", "--show-token")
    token_file = tokens.token_path(tmp_path / "home" / "config")
    assert r.returncode == 0 and r.stdout.strip() == token_file.read_text().strip()
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600


def test_serve_searches_watches_and_stops_cleanly_on_ctrl_c(tmp_path):
    home = tmp_path / "home"
    (home / "config").mkdir(parents=True)
    (home / "config" / "settings.json").write_text('{"text_model": "hashing", "ocr": false, "image_model": "none"}')
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("the lighthouse keeper's logbook")
    assert cli(home, "index", str(docs), "--collection", "docs").returncode == 0
    token = cli(home, "serve", "--show-token").stdout.strip()
    proc = subprocess.Popen([sys.executable, "-m", "localsearch", "--home", str(home), "serve", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()  # printed once the service listens
        url = re.search(r"http://127\.0\.0\.1:\d+", line).group(0)
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as c:
            assert [Path(h["path"]).name for h in c.get("/v1/search", params={"q": "lighthouse"}).json()["hits"]] == ["a.txt"]
            (docs / "b.txt").write_text("a note about tulips in spring")  # the service's watcher indexes it
            deadline = time.monotonic() + 60 * WAIT_SCALE
            while not c.get("/v1/search", params={"q": "tulips"}).json()["hits"]:
                assert time.monotonic() < deadline, "the new file was never indexed"
                time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60 * WAIT_SCALE)
    finally:
        proc.kill()
    assert proc.returncode == 0 and "Traceback" not in err, err


def test_reindex_needs_an_indexer_in_this_process(api: Served):
    from localsearch.api.app import Host, create_app

    reader_only = server_mod.ApiServer(create_app(Host(api.service, api.token)), port=0).start()  # no watcher
    try:
        r = httpx.post(f"{reader_only.urls[0]}/v1/collections/docs/reindex",
                       headers={"Authorization": f"Bearer {api.token}"}, timeout=30)
        assert "no indexer runs" in assert_json_error(r, 409)["error"]
    finally:
        reader_only.stop()
