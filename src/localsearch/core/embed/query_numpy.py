"""A query encoder for a process that answers one question: the same BERT forward pass as
`query_encoder`'s graph, in numpy over the memory-mapped weights.

ONNX Runtime is 3x faster a query once its session is open, but opening it (parsing the graph, packing
the weights) costs ~0.16-0.2 s, and importing it ~0.04 s: for the command line searching on its own,
one query, that is most of the wait. Long-lived processes (the window, `watch`, `serve`) keep using
ONNX Runtime. Vectors agree with it to cosine >= 0.99999 (tested).
"""

from pathlib import Path

import numpy as np

from localsearch.core.embed import query_encoder


def _norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    out: np.ndarray = (x - mean) / np.sqrt(var + eps) * w + b
    return out


def _erf(x: np.ndarray) -> np.ndarray:
    """Abramowitz & Stegun 7.1.26 (error < 1.5e-7): numpy has no erf, and BERT's GELU is the exact one."""
    t = 1.0 / (1.0 + 0.3275911 * np.abs(x))
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    out: np.ndarray = np.sign(x) * (1.0 - poly * np.exp(-x * x))
    return out


class NumpyQueryEncoder:
    def __init__(self, model_dir: Path) -> None:
        self._w = query_encoder.weights(model_dir)
        self._layers, self._heads, self._eps = query_encoder.architecture(model_dir)
        self.tokens = query_encoder.Tokens(model_dir)
        self.dim = int(self._w["embeddings.word_embeddings.weight"].shape[1])

    def encode(self, text: str) -> np.ndarray:
        return query_encoder.pooled(self.hidden(self.tokens.one(text)))

    def _linear(self, x: np.ndarray, name: str) -> np.ndarray:
        out: np.ndarray = x @ self._w[name + ".weight"].T + self._w[name + ".bias"]
        return out

    def hidden(self, ids: np.ndarray) -> np.ndarray:
        """One sequence of token ids -> hidden states (tokens, hidden), as `query_encoder.bert_graph`."""
        w, e, n = self._w, "embeddings.", len(ids)
        x = (w[e + "word_embeddings.weight"][ids] + w[e + "position_embeddings.weight"][:n]
             + w[e + "token_type_embeddings.weight"][0])
        x = _norm(x, w[e + "LayerNorm.weight"], w[e + "LayerNorm.bias"], self._eps)
        heads, hd = self._heads, self.dim // self._heads
        for i in range(self._layers):
            p = f"encoder.layer.{i}."
            q, k, v = (self._linear(x, p + "attention.self." + name).reshape(n, heads, hd).transpose(1, 0, 2)
                       for name in ("query", "key", "value"))
            scores = q @ k.transpose(0, 2, 1) / np.float32(np.sqrt(hd))
            probs = np.exp(scores - scores.max(-1, keepdims=True))
            probs /= probs.sum(-1, keepdims=True)
            att = (probs @ v).transpose(1, 0, 2).reshape(n, self.dim)
            x = _norm(self._linear(att, p + "attention.output.dense") + x, w[p + "attention.output.LayerNorm.weight"],
                      w[p + "attention.output.LayerNorm.bias"], self._eps)
            h = self._linear(x, p + "intermediate.dense")
            h = 0.5 * h * (1.0 + _erf(h / np.float32(np.sqrt(2.0))))
            x = _norm(self._linear(h, p + "output.dense") + x, w[p + "output.LayerNorm.weight"],
                      w[p + "output.LayerNorm.bias"], self._eps)
        return x.astype(np.float32, copy=False)
