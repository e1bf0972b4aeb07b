"""A BERT query encoder run by ONNX Runtime, built straight from the model's safetensors.

Queries are a dozen tokens, one at a time: the cost is reading ~42 MB of layer weights per query.
ONNX Runtime packs the weights once when the session opens; numpy (OpenBLAS) re-packs them on
every product. Measured on the 2-core build machine, one thread: 6.0 ms a query here vs 19.1 ms for
a numpy forward pass, with identical vectors (cosine 1.0). It also needs no torch: importing torch
costs ~3 s and sentence-transformers ~10 s there, and a one-off `localsearch search` must answer
in well under a second. Bulk indexing still uses torch.

The graph is written here rather than exported from torch because the export needs torch (and its
exporter changes between versions); a BERT forward pass is a few dozen standard ONNX operators.
"""

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from localsearch.core.embed.base import normalise

OPSET = 17  # LayerNormalization


def supported(model_dir: Path) -> bool:
    """True for a sentence-transformers folder holding a BERT with mean pooling and normalisation."""
    try:
        config = json.loads((model_dir / "config.json").read_text())
        modules = json.loads((model_dir / "modules.json").read_text())
        pooling = json.loads((model_dir / "1_Pooling" / "config.json").read_text())
    except (OSError, ValueError):
        return False
    types = [m.get("type", "") for m in modules]
    return (
        config.get("model_type") == "bert"
        and config.get("hidden_act") == "gelu"
        and config.get("position_embedding_type", "absolute") == "absolute"
        and types == ["sentence_transformers.models.Transformer", "sentence_transformers.models.Pooling",
                      "sentence_transformers.models.Normalize"]
        and pooling.get("pooling_mode_mean_tokens") is True
        and not any(pooling.get(k) for k in ("pooling_mode_cls_token", "pooling_mode_max_tokens",
                                              "pooling_mode_mean_sqrt_len_tokens"))
        and (model_dir / "model.safetensors").exists()
        and (model_dir / "tokenizer.json").exists()
    )


def _wanted(name: str) -> bool:
    return not name.removeprefix("bert.").startswith("pooler.") and not name.endswith("position_ids")


def weights(model_dir: Path) -> dict[str, np.ndarray]:
    """The encoder's weights by BERT name, as stored (linear ones (out, in): Gemm reads them so).
    Mapped from the file, read-only, where all are float32 (nothing is copied until used: ~1 ms
    instead of ~65 ms to read 90 MB); else read by safetensors."""
    path = model_dir / "model.safetensors"
    header = _safetensors_header(path)
    if header is not None and all(v["dtype"] == "F32" for k, v in header[1].items() if _wanted(k)):
        start, tensors = header
        data = np.memmap(path, dtype=np.uint8, mode="r")
        return {k.removeprefix("bert."): data[start + v["data_offsets"][0] : start + v["data_offsets"][1]]
                .view(np.float32).reshape(v["shape"]) for k, v in tensors.items() if _wanted(k)}
    from safetensors.numpy import load_file

    return {k.removeprefix("bert."): v for k, v in load_file(str(path)).items() if _wanted(k)}


def _safetensors_header(path: Path) -> tuple[int, dict[str, Any]] | None:
    """(where the data starts, tensor name -> {dtype, shape, data_offsets}) of a safetensors file."""
    try:
        with open(path, "rb") as f:
            size = int.from_bytes(f.read(8), "little")
            header = json.loads(f.read(size)) if 0 < size < 100 * 2**20 else None
    except (OSError, ValueError):
        return None
    if not isinstance(header, dict):
        return None
    header.pop("__metadata__", None)
    return 8 + size, header


def is_linear(name: str, shape: tuple[int, ...]) -> bool:
    """A linear layer's weight matrix (out, in), as opposed to an embedding table or a norm."""
    return name.endswith(".weight") and len(shape) == 2 and "embeddings." not in name


def external(name: str, shape: tuple[int, ...]) -> Any:
    """A float initializer whose data is supplied when the session opens (add_external_initializers)."""
    from onnx import TensorProto

    tensor = TensorProto(name=name, data_type=TensorProto.FLOAT, dims=shape,
                         data_location=TensorProto.EXTERNAL)
    entry = tensor.external_data.add()
    entry.key, entry.value = "location", "supplied-in-memory"
    return tensor


def bert_graph(shapes: dict[str, tuple[int, ...]], layers: int, heads: int, eps: float,
               matmul: bool = False) -> Any:
    """One sequence of token ids (and their positions) -> hidden states (tokens, hidden).

    The weights are left out ("external data"): the session is handed them in place, with no copy
    into the graph and back out of it. matmul: each linear layer as MatMul by its weight transposed
    (in, out), then Add of its bias, which is the form ONNX Runtime's quantizer turns into integer
    products; node names are their outputs' names ("l0_ffn_mm" is layer 0's feed-forward output)."""
    from onnx import TensorProto, helper, numpy_helper

    dim = shapes["embeddings.word_embeddings.weight"][1]
    hd = dim // heads
    if matmul:
        shapes = {k: (v[::-1] if is_linear(k, v) else v) for k, v in shapes.items()}
    inits = [external(name, shape) for name, shape in shapes.items()]
    inits += [numpy_helper.from_array(np.array(v, dtype=np.int64), k) for k, v in
             {"split_heads": [-1, heads, hd], "join_heads": [-1, dim], "token_type": [0]}.items()]
    inits += [numpy_helper.from_array(np.array(v, dtype=np.float32), k) for k, v in
              {"scale": 1.0 / np.sqrt(hd), "half": 0.5, "one": 1.0, "inv_sqrt2": 1.0 / np.sqrt(2.0)}.items()]
    nodes = []

    def op(kind: str, inputs: list[str], out: str, **attrs: Any) -> str:
        nodes.append(helper.make_node(kind, inputs, [out], name=out, **attrs))
        return out

    def linear(x: str, name: str, out: str) -> str:  # x is (tokens, in): one sequence, no batch axis
        if matmul:
            return op("Add", [op("MatMul", [x, name + ".weight"], out + "_mm"), name + ".bias"], out)
        return op("Gemm", [x, name + ".weight", name + ".bias"], out, transB=1)

    def norm(x: str, name: str, out: str) -> str:
        return op("LayerNormalization", [x, name + ".weight", name + ".bias"], out, axis=-1, epsilon=eps)

    e = "embeddings."
    x = op("Add", [op("Gather", [e + "word_embeddings.weight", "ids"], "word"),
                   op("Gather", [e + "position_embeddings.weight", "positions"], "pos")], "word_pos")
    x = op("Add", [x, op("Gather", [e + "token_type_embeddings.weight", "token_type"], "tt")], "emb")
    x = norm(x, e + "LayerNorm", "h0")
    for i in range(layers):
        p, s = f"encoder.layer.{i}.", f"l{i}_"

        def split(name: str, perm: list[int], s: str = s, p: str = p, x: str = x) -> str:
            lin = linear(x, p + "attention.self." + name, s + name)
            return op("Transpose", [op("Reshape", [lin, "split_heads"], s + name + "_r")], s + name + "_t",
                      perm=perm)

        q, k, v = split("query", [1, 0, 2]), split("key", [1, 2, 0]), split("value", [1, 0, 2])
        scores = op("Mul", [op("MatMul", [q, k], s + "qk"), "scale"], s + "scores")
        att = op("MatMul", [op("Softmax", [scores], s + "probs", axis=-1), v], s + "att")
        att = op("Reshape", [op("Transpose", [att], s + "att_t", perm=[1, 0, 2]), "join_heads"], s + "att_r")
        att = op("Add", [linear(att, p + "attention.output.dense", s + "att_o"), x], s + "att_res")
        x = norm(att, p + "attention.output.LayerNorm", s + "x1")
        h = linear(x, p + "intermediate.dense", s + "inter")
        erf = op("Erf", [op("Mul", [h, "inv_sqrt2"], s + "hs")], s + "erf")  # exact GELU, as BERT's "gelu"
        h = op("Mul", [op("Mul", [h, "half"], s + "hh"), op("Add", [erf, "one"], s + "erf1")], s + "gelu")
        out = op("Add", [linear(h, p + "output.dense", s + "ffn"), x], s + "ffn_res")
        x = norm(out, p + "output.LayerNorm", s + "x2")
    graph = helper.make_graph(
        nodes, "bert_query",
        [helper.make_tensor_value_info("ids", TensorProto.INT64, ["n"]),
         helper.make_tensor_value_info("positions", TensorProto.INT64, ["n"])],
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, ["n", dim])], initializer=inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])


def window(model_dir: Path) -> int:
    """How many word pieces the model reads."""
    return int(json.loads((model_dir / "sentence_bert_config.json").read_text()).get("max_seq_length", 256))


def architecture(model_dir: Path) -> tuple[int, int, float]:
    """The BERT's layers, attention heads and layer-norm epsilon, from its config.json."""
    config = json.loads((model_dir / "config.json").read_text())
    return (int(config["num_hidden_layers"]), int(config["num_attention_heads"]),
            float(config.get("layer_norm_eps", 1e-12)))


def graph_for(model_dir: Path, matmul: bool = False) -> tuple[Any, dict[str, np.ndarray]]:
    """The model's graph (weights left out) and its weights by name, as stored."""
    found = weights(model_dir)
    model = bert_graph({k: v.shape for k, v in found.items()}, *architecture(model_dir), matmul=matmul)
    return model, found


class Tokens:
    """Texts -> token ids as the model reads them: no padding, cut at its window."""

    def __init__(self, model_dir: Path) -> None:
        from tokenizers import Tokenizer

        self._tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tok.no_padding()
        self._tok.enable_truncation(window(model_dir))

    def ids(self, texts: list[str]) -> list[np.ndarray]:
        return [np.array(e.ids, dtype=np.int64) for e in self._tok.encode_batch(texts)]

    def one(self, text: str) -> np.ndarray:
        return np.array(self._tok.encode(text).ids, dtype=np.int64)


def run(session: Any, ids: np.ndarray, outputs: list[str] | None = None) -> list[np.ndarray]:
    result: list[np.ndarray] = session.run(outputs, {"ids": ids, "positions": np.arange(len(ids), dtype=np.int64)})
    return result


def pooled(hidden: np.ndarray) -> np.ndarray:
    """Mean over the tokens, normalised: the sentence-transformers pooling this graph supports."""
    out: np.ndarray = normalise(hidden.mean(0, keepdims=True))[0]
    return out


def _graph_key(model_dir: Path) -> str:
    """What the saved query graph depends on: the model's configuration and this module's own code."""
    digest = hashlib.sha256((model_dir / "config.json").read_bytes())
    digest.update(Path(__file__).read_bytes())
    digest.update(f"opset {OPSET}".encode())
    return digest.hexdigest()[:24]


def _graph_bytes(model_dir: Path, cache_dir: Path | None) -> tuple[bytes, dict[str, np.ndarray]]:
    """The serialised query graph (no weights in it) and the weights. Built once per model and kept in
    cache_dir: building it needs the onnx package (~80 ms to import) and the weights' shapes; a
    one-off `localsearch search` then opens the saved one."""
    from localsearch.core.embed import built

    path = cache_dir / f"query-graph-{_graph_key(model_dir)}.onnx" if cache_dir is not None else None
    kept = built.load(path, EXACT) if path is not None else None
    if kept is not None:
        return kept[0], weights(model_dir)
    model, found = graph_for(model_dir)
    data = model.SerializeToString()
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            built.keep(path, data, min_cosine=EXACT)
        except OSError:  # a read-only cache: built again next time, no harm
            pass
    return data, found


EXACT = 1.0  # the saved graph is this graph: what built.load asks of it


class QueryEncoder:
    def __init__(self, model_dir: Path, threads: int = 1, cache_dir: Path | None = None) -> None:
        import onnxruntime as ort

        graph, self._weights = _graph_bytes(model_dir, cache_dir)  # weights kept: the session reads them in place
        options = ort.SessionOptions()
        # One query is small: on few cores a second thread only fights the keyword search beside it.
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._values = [ort.OrtValue.ortvalue_from_numpy(v) for v in self._weights.values()]  # views, kept too
        options.add_external_initializers(list(self._weights), self._values)
        self._session = ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
        self.tokens = Tokens(model_dir)
        self.dim = int(self._weights["embeddings.word_embeddings.weight"].shape[1])

    def encode(self, text: str) -> np.ndarray:
        return pooled(run(self._session, self.tokens.one(text))[0])
