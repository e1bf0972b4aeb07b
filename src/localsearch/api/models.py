"""The service's request and response bodies (pydantic): what /docs shows and what clients get."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Hit(BaseModel):
    """One file found; the same fields as `localsearch search --json`."""

    path: str
    kind: Literal["document", "photo"]
    score: float = Field(description="fused rank score: higher is better, comparable within one response only")
    why: list[str] = Field(description='why it matched, in words: "words: rent, monthly", "meaning", "page 2"')
    snippet: str
    collection: str
    start: int | None = Field(None, description="character offset of the snippet in the file's extracted text")
    end: int | None = None
    page: int | None = Field(None, description="page (PDF) or slide (PPTX) of the snippet")
    match_spans: list[tuple[int, int]] = Field(description="offsets of the query's words inside the snippet")
    rerank_score: float | None = Field(None, description="the configured cross-encoder's relevance, when one "
                                                         "reordered the top hits (higher is better)")
    match_strength: float | None = Field(None, ge=0, le=1, description="how strongly it matched, 0-1: the share of "
                                         "the question's words it holds, or its closeness in meaning on the "
                                         "model's measured scale; for a look-alike, its likeness")


class SearchResponse(BaseModel):
    query: str
    took_ms: float
    total: int = Field(description="files that matched among the candidates looked at (at least this many)")
    hits: list[Hit]
    warnings: list[str] = []


class SimilarByPath(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str = Field(min_length=1, max_length=4096, description="absolute path of an indexed photo")
    k: int = Field(20, ge=1, le=200)
    exclude_self: bool = False
    min_similarity: float | None = Field(None, ge=0.0, le=1.0, description="least likeness (cosine) of the photos "
                                         "returned; by default the photo model's own look-alike threshold")


class Error(BaseModel):
    error: str = Field(description="what went wrong, in one line")
    detail: Any = None
    request_id: str | None = None


class Health(BaseModel):
    status: Literal["ok"]
    version: str


class CollectionInfo(BaseModel):
    name: str
    folders: list[str]
    files: int
    passages: int
    failed: int
    model: str | None
    state: str | None = Field(None, description="watching, catching up, polling, paused, offline, … (when watched)")


class Collections(BaseModel):
    collections: list[CollectionInfo]


class Failure(BaseModel):
    path: str
    reason: str


class Switching(BaseModel):
    """A model change in progress: the next index, built beside the one that answers meanwhile."""
    model: str | None
    files: int
    of: int


class CollectionStatus(CollectionInfo):
    needs_reindex: bool
    switching: Switching | None = None
    vector_index_bytes: int
    last_indexed: float | None
    pending: int = 0
    unembedded: int = 0
    """Passages found by their words but not yet by meaning (a big run embeds after it has read every file)."""
    failures: list[Failure]


class Status(BaseModel):
    version: str
    data_dir: str
    model: str
    catalog_bytes: int
    data_bytes: int = Field(description="the whole data folder: catalog, vector indexes, word index")
    collections: list[CollectionStatus]


class Reindex(BaseModel):
    collection: str
    queued: bool
