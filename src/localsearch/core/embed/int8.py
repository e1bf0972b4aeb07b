"""The text model in 8-bit integers, for indexing on a CPU: ~2.6x the passages per second of fp32.

Built once per machine from the model's own weights and kept in the cache folder:
1. the BERT graph of `query_encoder`, its linear layers as MatMul (the form the quantizer handles);
2. SmoothQuant (Xiao et al., 2023): BERT's activations have a few channels far larger than the rest,
   which ruin an 8-bit scale shared by a whole row. Per input channel, the activations are divided by
   s = max|x|^a / max|w|^(1-a) and the weight's row multiplied by it, which moves the outliers into
   the weights, quantized per output channel. max|x| comes from fixed text (`calibration`), so the same
   weights give the same model everywhere;
3. ONNX Runtime's dynamic quantization: int8 weights, activations scaled per product. Attention's
   products (activation by activation) and the feed-forward outputs of layers 0 and 1, the most
   sensitive products, stay in float.

Each built model is compared with fp32 on the calibration text before it is used: every passage must
keep cosine >= MIN_COSINE with its fp32 vector, or the full-precision model indexes instead. Figures
(bench/README.md): on 600 passages of real documentation, Korean and Chinese ones among them, lowest
cosine 0.993, mean 0.998.
"""

import hashlib
import logging
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from localsearch.core import log
from localsearch.core.embed import built, query_encoder
from localsearch.core.embed.calibration import TEXTS

RECIPE = "sq0.7-l01ffn-v2"  # part of the cache key: a new recipe builds a new model
ALPHA = 0.7
KEEP_FLOAT = ("l0_ffn_mm", "l1_ffn_mm")
MIN_COSINE = 0.99


def _graph(model_dir: Path) -> Any:
    """The fp32 graph in MatMul form, its weights inline."""
    from onnx import numpy_helper

    model, weights = query_encoder.graph_for(model_dir, matmul=True)
    inits = []
    for init in model.graph.initializer:
        w = weights.get(init.name)
        if w is None:
            inits.append(init)
        else:
            inits.append(numpy_helper.from_array(np.ascontiguousarray(w.T if query_encoder.is_linear(init.name, w.shape)
                                                                      else w), init.name))
    del model.graph.initializer[:]
    model.graph.initializer.extend(inits)
    return model


def _smooth(model: Any, sequences: list[np.ndarray]) -> np.ndarray:
    """Scale each linear layer's input channels (in place, on `model`) from the largest activations of the
    float model on `sequences`; returns that model's vectors of them, the reference for the check."""
    from onnx import ModelProto, TensorProto, helper, numpy_helper

    users: dict[str, list[Any]] = {}
    for node in model.graph.node:
        if node.op_type == "MatMul" and node.name.endswith("_mm"):
            users.setdefault(node.input[0], []).append(node)
    sources = sorted(users)
    probe = ModelProto()
    probe.CopyFrom(model)
    probe.graph.output.extend(helper.make_tensor_value_info(s, TensorProto.FLOAT, None) for s in sources)
    session = built.session(probe)
    amax: dict[str, np.ndarray] = {}
    reference = []
    for ids in sequences:
        hidden, *outs = query_encoder.run(session, ids, [model.graph.output[0].name, *sources])
        reference.append(query_encoder.pooled(hidden))
        for name, out in zip(sources, outs):
            m = np.abs(out).max(0)
            amax[name] = np.maximum(amax[name], m) if name in amax else m
    inits = {i.name: i for i in model.graph.initializer}
    scale_nodes = {}
    for src, nodes in users.items():
        w_max = np.max([np.abs(numpy_helper.to_array(inits[n.input[1]])).max(1) for n in nodes], axis=0)
        s = (np.maximum(amax[src], 1e-5) ** ALPHA / np.maximum(w_max, 1e-5) ** (1 - ALPHA)).astype(np.float32)
        model.graph.initializer.append(numpy_helper.from_array((1.0 / s).astype(np.float32), src + "_inv_s"))
        scale_nodes[src] = helper.make_node("Mul", [src, src + "_inv_s"], [src + "_s"], name=src + "_s")
        for n in nodes:
            w = numpy_helper.to_array(inits[n.input[1]]) * s[:, None]
            inits[n.input[1]].CopyFrom(numpy_helper.from_array(w.astype(np.float32), n.input[1]))
            n.input[0] = src + "_s"
    ordered = []
    for node in model.graph.node:
        ordered.append(node)
        ordered += [scale_nodes[o] for o in node.output if o in scale_nodes]
    ordered = [scale_nodes[i.name] for i in model.graph.input if i.name in scale_nodes] + ordered
    del model.graph.node[:]
    model.graph.node.extend(ordered)
    return np.stack(reference)


def build(model_dir: Path, out: Path) -> float:
    """Write the 8-bit model to `out` (atomically); returns its lowest cosine with fp32 on the calibration
    text. Nothing is written when that is below MIN_COSINE. Weights of 8 bits are tried first, then of 7
    (what a CPU without VNNI needs, ~0.9912 against 0.9745 on a 2-core AVX2 EPYC)."""
    model = _graph(model_dir)
    sequences = query_encoder.Tokens(model_dir).ids(list(TEXTS))
    reference = _smooth(model, sequences)
    attention = [n.name for n in model.graph.node if n.op_type == "MatMul" and not n.name.endswith("_mm")]
    lowest = -1.0
    for reduce_range in (False, True):
        data = _quantized(model, out.parent, attention, reduce_range)
        session = built.session(data)
        got = np.stack([query_encoder.pooled(query_encoder.run(session, ids)[0]) for ids in sequences])
        lowest = float(np.min(np.sum(got * reference, axis=1)))
        if lowest >= MIN_COSINE:
            built.keep(out, data, min_cosine=lowest, recipe=RECIPE + ("-r7" if reduce_range else ""))
            break
        log.embed.info("8-bit text model with %s-bit weights: lowest cosine %.4f with fp32 (< %.2f)",
                       7 if reduce_range else 8, lowest, MIN_COSINE)
    return lowest


def _quantized(model: Any, folder: Path, attention: list[str], reduce_range: bool) -> bytes:
    """The smoothed graph with 8-bit weights (7-bit with reduce_range: a CPU without VNNI multiplies
    unsigned by signed 8-bit numbers in pairs whose sums can saturate; 7-bit weights cannot)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        quantized = Path(tmp) / "int8.onnx"
        quiet = logging.NullHandler()  # its advice goes to the root logger, which would set up stderr output
        logging.getLogger().addHandler(quiet)
        try:
            quantize_dynamic(model, quantized, weight_type=QuantType.QInt8, per_channel=True,
                             reduce_range=reduce_range, nodes_to_exclude=attention + list(KEEP_FLOAT))
        finally:
            logging.getLogger().removeHandler(quiet)
        return quantized.read_bytes()


def cache_key(model_dir: Path) -> str:
    import onnxruntime

    digest = hashlib.sha256()
    with open(model_dir / "model.safetensors", "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    digest.update(f"{RECIPE} onnxruntime {onnxruntime.__version__}".encode())
    return digest.hexdigest()[:24]


def _verified(path: Path) -> bytes | None:
    """The cached model, if it is whole and passed its check when built."""
    found = built.load(path, MIN_COSINE)
    return found[0] if found else None


class Int8Encoder:
    """Passages -> normalised vectors through the 8-bit model, one sequence per run (no padding), as many
    runs at once as there are cores, each on one thread: passages are small products, which split
    across cores less well than whole passages do (measured: ~78 passages/s on 2 cores against 40-70,
    varying, for one run at a time on two threads)."""

    def __init__(self, model_dir: Path, cache_dir: Path) -> None:
        path = cache_dir / f"text-int8-{cache_key(model_dir)}.onnx"
        failed = path.with_suffix(".failed")  # a build that did not hold, remembered: not tried in every process
        data = _verified(path)
        if data is None:
            if failed.is_file():
                raise ValueError(f"the 8-bit model built on this machine did not hold its check "
                                 f"({failed.read_text().strip()}); delete {failed} to try again")
            cache_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            log.embed.info("building the 8-bit text model in %s", path)
            lowest = build(model_dir, path)
            data = _verified(path)
            if data is None:
                why = f"it reproduces fp32 only to cosine {lowest:.4f} (< {MIN_COSINE})"
                failed.write_text(why + "\n")
                raise ValueError(f"the 8-bit model {why}")
        self._session = built.session(data, threads=1)
        self._tokens = query_encoder.Tokens(model_dir)
        self._pool = ThreadPoolExecutor(max(1, min(8, os.cpu_count() or 1)), thread_name_prefix="int8")

    def _one(self, ids: np.ndarray) -> np.ndarray:
        return query_encoder.pooled(query_encoder.run(self._session, ids)[0])

    def encode(self, texts: list[str]) -> np.ndarray:
        return np.stack(list(self._pool.map(self._one, self._tokens.ids(texts))))
