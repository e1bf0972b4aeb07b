"""The HTTP service's routes: search, look-alike photos, thumbnails, collections, status, metrics.

Every route but /healthz (and the schema at /docs and /openapi.json, which holds no data) needs the
bearer token. Files are only ever read when they are indexed in a collection and lie inside its
folders (core.access). How failures are answered (JSON bodies, request ids, a fault as a logged
500) is api.errors.
"""

import os
import secrets
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from localsearch import __version__
from localsearch.api import errors, models
from localsearch.api.metrics import CONTENT_TYPE, Metrics
from localsearch.core import access
from localsearch.core.errors import ExtractionError, FileTooLarge
from localsearch.core.extract import photo
from localsearch.core.filetypes import FILE_TYPES
from localsearch.core.search import Query as SearchQuery
from localsearch.core.searcher import SearchResult
from localsearch.core.service import Service

if TYPE_CHECKING:
    from localsearch.core.watcher import Watcher

MAX_QUERY_CHARS = 1000
MAX_K = 200
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_UPLOAD_PIXELS = 50_000_000  # a 50 MP photo; larger uploads are refused before decoding
_FILE_TYPE = "^(" + "|".join(sorted(FILE_TYPES)) + ")$"


@dataclass
class Host:
    """What the routes serve from: the process's one Service and, where it runs one, its watcher."""

    service: Service
    token: str
    watcher: Callable[[], "Watcher | None"] = field(default=lambda: None)


class SearchParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q: str = Field(min_length=1, max_length=MAX_QUERY_CHARS,
                   description='words or a question; may hold operators: "exact phrase", -word, type:pdf, '
                               "kind:photo, after:2024-01-01, before:2024-12-31, in:folder")
    k: int = Field(10, ge=1, le=MAX_K, description="number of files to return")
    kind: Literal["document", "photo"] | None = None
    type: str | None = Field(None, pattern=_FILE_TYPE, description="file type: " + ", ".join(sorted(FILE_TYPES)))
    since: date | None = Field(None, description="modified on or after (YYYY-MM-DD)")
    until: date | None = Field(None, description="modified on or before (YYYY-MM-DD)")
    collection: list[str] = Field([], description="search only these collections (repeatable)")
    folder: str | None = Field(None, max_length=4096, description="only files inside this folder (a name or a path)")
    sort: Literal["relevance", "modified", "name"] = Field("relevance", description="order of the results")
    literal: bool = Field(False, description="q as given: its quotes, a leading - and word: are text, not "
                                            "operators (for text a person did not type as a search)")


class ThumbnailParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str = Field(min_length=1, max_length=4096, description="absolute path of an indexed photo")
    size: int = Field(256, ge=16, le=1024, description="the longer side, in pixels")


def _epoch(day: date | None, end_of_day: bool = False) -> float | None:
    """Local midnight of `day` (or its last moment), as the CLI's --since/--until read it."""
    if day is None:
        return None
    try:
        start = datetime(day.year, day.month, day.day).timestamp()
    except (OverflowError, ValueError, OSError):  # out of the platform's time range: UTC is near enough
        start = (day.toordinal() - date(1970, 1, 1).toordinal()) * 86400.0
    return start + (86399.999 if end_of_day else 0.0)


def _search_response(query: str, result: SearchResult, started: float) -> JSONResponse:
    """The hits exactly as `search --json` prints them (models.SearchResponse documents the shape;
    the body is built once, not validated again on the way out)."""
    return JSONResponse({"query": query, "took_ms": round((time.perf_counter() - started) * 1000, 3),
                         "total": result.total, "hits": [h.to_json() for h in result.hits],
                         "warnings": result.warnings})


SIMILAR_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "application/json": {"schema": models.SimilarByPath.model_json_schema()},
        "multipart/form-data": {"schema": {
            "type": "object", "required": ["image"], "additionalProperties": False,
            "properties": {"image": {"type": "string", "format": "binary",
                                     "description": f"a photo, at most {MAX_UPLOAD_BYTES // 2**20} MiB"},
                           "k": {"type": "integer", "minimum": 1, "maximum": MAX_K, "default": 20}}}},
    },
}


def create_app(host: Host, cors_origins: Sequence[str] = ()) -> FastAPI:
    service = host.service
    metrics = Metrics(service, host.watcher)
    documented: dict[int | str, dict[str, Any]] = {
        code: {"model": models.Error, "description": text} for code, text in [
            (400, "bad request"), (401, "missing or wrong token"), (403, "outside the collections' folders"),
            (404, "not found"), (409, "no indexer runs in this process"), (413, "too large"), (415, "unsupported content type"), (422, "invalid request"),
            (500, "a fault in LocalSearch (logged with the request id)"), (503, "model unavailable")]}
    app = FastAPI(title="LocalSearch", version=__version__, responses=documented, max_body_size=MAX_UPLOAD_BYTES + 2**20,
                  telemetry={"auto_configure": False, "tracing": False, "metrics": False, "logs": False,
                             "operation_spans": False},
                  description="Search this computer's LocalSearch index. Every route but /healthz needs "
                              "`Authorization: Bearer <token>` (`localsearch serve --show-token`).")
    app.add_middleware(errors.Guard, metrics=metrics)
    errors.install(app)
    if cors_origins:  # none by default: a web page on another origin cannot read results
        app.add_middleware(CORSMiddleware, allow_origins=list(cors_origins), allow_methods=["GET", "POST"],
                           allow_headers=["Authorization", "Content-Type"])

    bearer = HTTPBearer(auto_error=False, description="the token from `localsearch serve --show-token`")

    def authorized(creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> None:
        if creds is None or not secrets.compare_digest(creds.credentials.encode(), host.token.encode()):
            raise HTTPException(401, "missing or wrong token: send 'Authorization: Bearer <token>' "
                                     "(localsearch serve --show-token)", headers={"WWW-Authenticate": "Bearer"})

    @app.get("/healthz", tags=["service"])
    def healthz() -> models.Health:
        """Is the service up? (no token needed)"""
        return models.Health(status="ok", version=__version__)

    v1 = APIRouter(prefix="/v1", dependencies=[Depends(authorized)])

    @v1.get("/search", response_model=models.SearchResponse, tags=["search"])
    def search(params: Annotated[SearchParams, Query()]) -> Response:
        """Documents and photos for words or a question: the same hits as `localsearch search --json`."""
        started = time.perf_counter()
        query = SearchQuery(
            params.q, k=params.k, collections=params.collection or None, kind=params.kind, file_type=params.type,
            modified_after=_epoch(params.since), modified_before=_epoch(params.until, end_of_day=True),
            folder=params.folder, sort=params.sort, literal=params.literal)
        result = service.rerank(query, service.search(query))
        metrics.search(result.timings)
        return _search_response(params.q, result, started)

    @v1.post("/similar", response_model=models.SearchResponse, tags=["search"],
             openapi_extra={"requestBody": SIMILAR_BODY})
    async def similar(request: Request) -> Response:
        """Photos that look like an uploaded one (multipart field `image`) or an indexed one (JSON `path`)."""
        started = time.perf_counter()
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype == "application/json":
            try:
                by_path = models.SimilarByPath.model_validate_json(await request.body())
            except ValidationError as e:
                raise RequestValidationError([{**err, "loc": ("body", *err["loc"])} for err in e.errors()]) from e
            found = await run_in_threadpool(_indexed_photo, service, by_path.path)
            result = await run_in_threadpool(service.similar, found.path, by_path.k, None, by_path.exclude_self,
                                             by_path.min_similarity)
            return _search_response(found.path, result, started)
        if ctype == "multipart/form-data":
            async with request.form(max_files=1, max_fields=2, max_part_size=1024) as form:
                image, k = form.get("image"), _form_k(form.get("k"))
                if not isinstance(image, UploadFile):
                    raise HTTPException(422, "send the photo as the multipart file field 'image'")
                name = image.filename or "upload"
                data = await image.read(MAX_UPLOAD_BYTES + 1)
            if len(data) > MAX_UPLOAD_BYTES:
                raise HTTPException(413, f"the photo is larger than {MAX_UPLOAD_BYTES // 2**20} MiB")
            result = await run_in_threadpool(_similar_upload, service, data, k)
            return _search_response(name, result, started)
        raise HTTPException(415, "send JSON {\"path\": …} or multipart/form-data with the photo as 'image'")

    @v1.get("/thumbnail", tags=["files"], response_class=Response,
            responses={200: {"content": {"image/jpeg": {}}, "description": "a JPEG of the photo"}})
    def thumbnail(params: Annotated[ThumbnailParams, Query()]) -> Response:
        """A JPEG thumbnail of an indexed photo (upright, fitting in size x size)."""
        found = _indexed_photo(service, params.path)
        try:
            jpeg = photo.thumbnail_jpeg(found.path, params.size)
        except FileNotFoundError as e:
            raise HTTPException(404, "the photo is gone since it was indexed") from e
        except OSError as e:
            raise HTTPException(403, f"cannot read the photo: {e.strerror or e}") from e
        return Response(jpeg, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=300"})

    @v1.get("/collections", tags=["collections"])
    def collections() -> models.Collections:
        """The collections, their folders and sizes."""
        states = _states(host)
        return models.Collections(collections=[
            models.CollectionInfo(name=c.name, folders=c.roots, files=c.files, passages=c.chunks, failed=c.failed,
                                  model=c.model, state=states.get(c.name, (None, 0))[0])
            for c in service.overview()])

    @v1.get("/status", tags=["collections"])
    def status() -> models.Status:
        """Files, passages, failures, watch state per collection, and the model."""
        st = service.status()
        states = _states(host)
        return models.Status(version=__version__, data_dir=st["data_dir"], model=st["model"],
                             catalog_bytes=st["catalog_bytes"], data_bytes=st["data_bytes"], collections=[
            models.CollectionStatus(
                name=c["name"], folders=c["roots"], files=c["files"], passages=c["chunks"], failed=c["failed"],
                model=c["model"], needs_reindex=c["needs_reindex"], vector_index_bytes=c["vector_index_bytes"],
                switching=models.Switching(**c["switching"]) if c["switching"] else None,
                unembedded=c["unembedded"], last_indexed=c["last_indexed"], failures=[models.Failure(**f) for f in c["failures"]],
                state=states.get(c["name"], (None, 0))[0], pending=states.get(c["name"], (None, 0))[1])
            for c in st["collections"]])

    @v1.post("/collections/{name}/reindex", status_code=202, tags=["collections"])
    def reindex(name: str) -> models.Reindex:
        """Ask the running indexer for a full pass over the collection's folders (retries failures too)."""
        service.collection(name)  # 404 for an unknown name
        watcher = host.watcher()
        if watcher is None or name not in watcher.states:
            raise HTTPException(409, "no indexer runs in this process for that collection (start "
                                     "'localsearch serve', or the window with watching on)")
        watcher.reconcile(name)
        return models.Reindex(collection=name, queued=True)

    @app.get("/metrics", tags=["service"], dependencies=[Depends(authorized)], response_class=Response,
             responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                              "description": "Prometheus text format"}})
    async def prometheus() -> Response:
        """Prometheus metrics: requests, latency, search stages, index sizes, queue depth, watcher state."""
        body = await run_in_threadpool(metrics.render)
        return Response(body, media_type=CONTENT_TYPE)

    app.include_router(v1)
    return app


def _indexed_photo(service: Service, path: str) -> access.IndexedFile:
    found = service.indexed_file(path)
    if found.kind != "photo":
        raise access.NotIndexed("not an indexed photo")
    return found


def _form_k(value: object) -> int:
    if value is None:
        return 20
    try:
        k = int(str(value))
    except ValueError:
        k = 0
    if not 1 <= k <= MAX_K:
        raise HTTPException(422, f"k must be a whole number from 1 to {MAX_K}")
    return k


def _similar_upload(service: Service, data: bytes, k: int) -> SearchResult:
    """Look-alikes of uploaded bytes: written to a private temporary file, checked, then read."""
    uploads = service.paths.cache / "uploads"
    uploads.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=uploads, suffix=".img")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        try:
            if photo.pixel_count(name) > MAX_UPLOAD_PIXELS:
                raise FileTooLarge(f"the photo has more than {MAX_UPLOAD_PIXELS // 1_000_000} million pixels")
            return service.similar(name, k)
        except FileTooLarge:
            raise
        except ExtractionError as e:  # its message names our temporary file: say it in the client's terms
            raise ExtractionError("the upload is not a photo LocalSearch can read (JPEG, PNG, WebP, HEIC, …)") from e
    finally:
        Path(name).unlink(missing_ok=True)


def _states(host: Host) -> dict[str, tuple[str, int]]:
    """(watch mode, pending changes) per collection, from this process's watcher if it runs one."""
    watcher = host.watcher()
    if watcher is None:
        return {}
    return {name: (s.mode, s.pending) for name, s in watcher.states.items()}

