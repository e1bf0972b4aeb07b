"""Settings -> the text Embedder they name."""

from pathlib import Path

from localsearch.core.embed import hashing, multilingual, variants
from localsearch.core.embed.base import Embedder
from localsearch.core.embed.sentence import DEFAULT_MODEL_ID, SentenceEmbedder, packaged_model_dir
from localsearch.core.settings import DEFAULT_TEXT_MODEL, Settings

HASHING = "hashing"
MULTILINGUAL = "multilingual"
"""The built-in multilingual model (embed.multilingual): a name, like "default", not a folder or hub name."""


def _hashing_dim(name: str) -> int | None:
    """"hashing" (384 dimensions) or "hashing-DIM": the model-free embedder, for tests and bare machines."""
    if name == HASHING:
        return 384
    head, _, dim = name.partition("-")
    return int(dim) if head == HASHING and dim.isdigit() and 0 < int(dim) <= 4096 else None


def model_id_for(name: str) -> str:
    """The id a collection records, known without loading anything."""
    if name in ("", DEFAULT_TEXT_MODEL):
        return DEFAULT_MODEL_ID
    if (dim := _hashing_dim(name)) is not None:
        return hashing.HashingEmbedder(dim).model_id
    if name == MULTILINGUAL:
        return multilingual.MODEL_ID
    p = Path(name).expanduser()
    return f"local:{p.resolve()}" if p.is_dir() else name


def create(settings: Settings, cache_dir: Path | None = None) -> Embedder:
    name = settings.text_model
    if (dim := _hashing_dim(name)) is not None:
        return hashing.HashingEmbedder(dim)
    if name == MULTILINGUAL:
        return multilingual.MultilingualEmbedder(batch_size=settings.embed_batch)
    if name in ("", DEFAULT_TEXT_MODEL):
        return SentenceEmbedder(packaged_model_dir(), DEFAULT_MODEL_ID, settings.device, offline=True,
                                batch_size=settings.embed_batch, build_dir=cache_dir)
    folder = Path(name).expanduser()
    if folder.is_dir():
        return SentenceEmbedder(folder.resolve(), model_id_for(name), settings.device, offline=True,
                                batch_size=settings.embed_batch, build_dir=cache_dir)
    # A hub name: the only path that may download, and only because the user asked for it.
    return SentenceEmbedder(name, name, settings.device, offline=False, batch_size=settings.embed_batch,
                            cache_dir=cache_dir)


def name_for(model_id: str) -> str:
    """The text_model setting that makes the model a collection recorded (model_id_for, reversed): what
    encodes queries for a collection made by an earlier model while its next index is built."""
    if model_id == DEFAULT_MODEL_ID:
        return DEFAULT_TEXT_MODEL
    if model_id == multilingual.MODEL_ID:
        return MULTILINGUAL
    if model_id.startswith(hashing.MODEL_ID + "-"):
        return f"{HASHING}-{model_id.rsplit('-', 1)[1]}"
    return model_id.removeprefix("local:")


def describe(model_id: str) -> str:
    """A model as a person reads it ("the multilingual model"), for progress and messages."""
    base = variants.base(model_id)
    if base == DEFAULT_MODEL_ID:
        return "the built-in English model"
    if base == multilingual.MODEL_ID:
        return "the multilingual model"
    return base.removeprefix("local:")
