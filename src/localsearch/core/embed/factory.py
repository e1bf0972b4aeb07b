"""Settings -> the text Embedder they name."""

from pathlib import Path

from localsearch.core.embed import hashing
from localsearch.core.embed.base import Embedder
from localsearch.core.embed.sentence import DEFAULT_MODEL_ID, SentenceEmbedder, packaged_model_dir
from localsearch.core.settings import DEFAULT_TEXT_MODEL, Settings

HASHING = "hashing"


def model_id_for(name: str) -> str:
    """The id a collection records, known without loading anything."""
    if name in ("", DEFAULT_TEXT_MODEL):
        return DEFAULT_MODEL_ID
    if name == HASHING:
        return hashing.HashingEmbedder().model_id
    p = Path(name).expanduser()
    return f"local:{p.resolve()}" if p.is_dir() else name


def create(settings: Settings, cache_dir: Path | None = None) -> Embedder:
    name = settings.text_model
    if name == HASHING:
        return hashing.HashingEmbedder()
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
