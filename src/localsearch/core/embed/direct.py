"""Bulk text encoding through a sentence-transformers model's own modules, tokenised by the Rust tokenizer
directly.

On a GPU the model's arithmetic is the small part: transformers' Python-side batching (flattening the
tokenizer's output into lists, `torch.tensor` from them) took 4.5 of 5.4 s for 8,192 passages on an
H100, and held the GIL throughout, so indexing's writer thread and the encoder thread took turns
(bench/README.md, "The GPU"). Here `encode_batch` runs outside the GIL, ids go to numpy in one step and
the model's modules (transformer, pooling, normalisation) run as sentence-transformers would run them.
Used for plain Hugging Face text models with a fast tokenizer; anything else goes through
`SentenceTransformer.encode`.
"""

import copy
from typing import Any

import numpy as np


class DirectEncoder:
    def __init__(self, model: Any, device: str) -> None:
        first = model[0]
        tokenizer = first.tokenizer
        self.model = model
        self.device = device
        self.lower = bool(getattr(first, "do_lower_case", False))
        self.with_types = "token_type_ids" in tokenizer.model_input_names
        rust = copy.deepcopy(tokenizer.backend_tokenizer)  # the model's own stays as sentence-transformers set it
        rust.enable_truncation(max_length=int(model.max_seq_length))
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        rust.enable_padding(pad_id=pad, pad_token=tokenizer.pad_token or "[PAD]")
        self.tokenizer = rust

    @staticmethod
    def supported(model: Any) -> bool:
        """A plain text model: a Hugging Face transformer with a fast tokenizer, then pooling and the like."""
        try:
            first = model[0]
            tokenizer = first.tokenizer
        except (AttributeError, IndexError, KeyError, TypeError):
            return False
        return type(first).__name__ == "Transformer" and getattr(tokenizer, "is_fast", False) \
            and hasattr(tokenizer, "backend_tokenizer") and getattr(model, "max_seq_length", None) is not None

    def encode(self, texts: list[str], batch_size: int, dtype: Any = None) -> np.ndarray:
        """Unit vectors for `texts`, longest first in batches (as sentence-transformers orders them), in
        their given order. dtype: autocast to it on the model's device (fp16 on CUDA), or None."""
        import torch

        order = np.argsort([-len(t) for t in texts], kind="stable")
        out: list[np.ndarray] = [np.empty(0)] * len(texts)
        for start in range(0, len(texts), batch_size):
            picked = order[start : start + batch_size]
            batch = [texts[i].strip().lower() if self.lower else texts[i].strip() for i in picked]
            encodings = self.tokenizer.encode_batch(batch)
            features = {"input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
                        "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64)}
            if self.with_types:
                features["token_type_ids"] = np.array([e.type_ids for e in encodings], dtype=np.int64)
            tensors = {k: torch.from_numpy(v).to(self.device, non_blocking=True) for k, v in features.items()}
            with torch.inference_mode(), torch.autocast(self.device.split(":")[0], dtype=dtype or torch.float32,
                                                        enabled=dtype is not None):
                vectors = self.model(tensors)["sentence_embedding"].float().cpu().numpy()
            for i, row in zip(picked, vectors):
                out[i] = row
        return np.stack(out).astype(np.float32) if out else np.zeros((0, 0), dtype=np.float32)
