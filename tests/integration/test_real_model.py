"""The packaged all-MiniLM-L6-v2 on real generated files: meaning, not just words, and offline."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from localsearch.core.embed import query_encoder, sentence
from localsearch.core.search import Query
from localsearch.core.service import Service
from localsearch.core.settings import Settings
from tests import docgen

pytestmark = pytest.mark.slow


def test_default_model_is_packaged_and_offline(real_embedder):
    assert real_embedder.model_id == sentence.DEFAULT_MODEL_ID and real_embedder.dim == 384
    folder = sentence.packaged_model_dir()
    assert "site-packages" in str(folder) and query_encoder.supported(folder)


def test_onnx_query_encoder_matches_sentence_transformers(real_embedder):
    queries = ["how do I renew my passport", "invoice 2024-0042",
               "Ünïcödé and emoji 🎉 survive tokenisation", "a " * 400]  # longer than the token window
    fast = query_encoder.QueryEncoder(sentence.packaged_model_dir())
    ours = np.stack([fast.encode(q) for q in queries])
    reference = real_embedder._encode(real_embedder.model, queries, False)  # fp32, whatever the fast path
    assert sentence.min_cosine(ours, reference) >= 0.9999
    # The app's path takes the encoder even with the torch model loaded (it is faster for one query).
    app = np.stack([real_embedder.embed_query(q) for q in queries])
    assert real_embedder._fast_query is not None and sentence.min_cosine(app, reference) >= 0.9999


def test_numpy_query_encoder_matches_the_onnx_one():
    """The one-off process's encoder (query_numpy) gives the long-lived processes' vectors."""
    from localsearch.core.embed.query_numpy import NumpyQueryEncoder

    queries = ["how do I renew my passport", "invoice 2024-0042", "", "Ünïcödé and emoji 🎉 survive tokenisation",
               "Le passeport doit être renouvelé", "a " * 400]
    folder = sentence.packaged_model_dir()
    ours = np.stack([NumpyQueryEncoder(folder).encode(q) for q in queries])
    onnx = np.stack([query_encoder.QueryEncoder(folder).encode(q) for q in queries])
    assert ours.dtype == np.float32 and sentence.min_cosine(ours, onnx) >= 0.99999


def test_a_one_off_search_opens_no_onnx_runtime(tmp_path):
    """The command line searching on its own answers one query: no ONNX Runtime import or session (~0.2 s)."""
    code = ("import sys; from pathlib import Path; from localsearch.core import paths;"
            "from localsearch.core.service import Service;"
            f"s = Service(paths.resolve(Path({str(tmp_path)!r})), one_off=True); v = s.embedder.embed_query('rent');"
            "print(type(s.embedder._fast_query).__name__, round(float((v * v).sum()), 4), 'onnxruntime' in sys.modules,"
            "'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["NumpyQueryEncoder", "1.0", "False", "False"]


def test_a_query_falls_back_to_the_full_model_when_the_fast_encoder_cannot_open(monkeypatch, real_embedder):
    def unsupported(folder, **_):
        raise RuntimeError("a BERT variant the graph does not cover")

    monkeypatch.setattr(query_encoder, "QueryEncoder", unsupported)
    fresh = sentence.SentenceEmbedder(sentence.packaged_model_dir(), sentence.DEFAULT_MODEL_ID, allow_bf16=False)
    vector = fresh.embed_query("renew my passport")
    reference = real_embedder._encode(real_embedder.model, ["renew my passport"], False)
    assert fresh._fast_ok is False and fresh._fast_query is None
    assert sentence.min_cosine(vector[None], reference) >= 0.9999


def test_a_query_needs_no_torch():
    """A one-off `localsearch search` must not pay torch's import (~3 s) or sentence-transformers' (~10 s)."""
    code = ("import sys; from localsearch.core.embed import factory; from localsearch.core.settings import Settings;"
            "e = factory.create(Settings()); v = e.embed_query('renew my passport');"
            "print(v.shape, round(float((v * v).sum()), 4), 'torch' in sys.modules, 'sentence_transformers' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["(384,)", "1.0", "False", "False"]


def test_the_query_graph_is_saved_once_and_a_damaged_one_is_built_again(tmp_path):
    folder, q = sentence.packaged_model_dir(), "how do I renew my passport"
    first = query_encoder.QueryEncoder(folder, cache_dir=tmp_path)
    (saved,) = tmp_path.glob("query-graph-*.onnx")
    assert oct(saved.stat().st_mode & 0o777) == "0o600"
    # A new process opens the saved graph: no onnx package to import, the same vector.
    code = ("import sys; from pathlib import Path; from localsearch.core.embed import query_encoder, sentence;"
            f"e = query_encoder.QueryEncoder(sentence.packaged_model_dir(), cache_dir=Path({str(tmp_path)!r}));"
            f"print(' '.join(repr(float(x)) for x in e.encode({q!r})[:4]), 'onnx' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    *head, onnx_loaded = out.stdout.split()
    assert onnx_loaded == "False" and [float(x) for x in head] == [float(x) for x in first.encode(q)[:4]]
    data = bytearray(saved.read_bytes())  # damaged: not trusted, built again
    data[len(data) // 2] ^= 0xFF
    saved.write_bytes(bytes(data))
    rebuilt = query_encoder.QueryEncoder(folder, cache_dir=tmp_path)
    assert np.array_equal(rebuilt.encode(q), first.encode(q)) and saved.read_bytes() != bytes(data)


def test_bf16_autocast_agrees_with_fp32(real_embedder):
    """bf16 is used only where it holds; check that it does hold for this model (emulated if need be)."""
    texts = ["The quarterly report shows growth in all regions.", "Bake the bread at 220 degrees.",
             "def main(): return 0", "Le passeport doit être renouvelé tous les dix ans."]
    fp32 = real_embedder._encode(real_embedder.model, texts, False)
    bf16 = real_embedder._encode(real_embedder.model, texts, True)
    assert sentence.min_cosine(fp32, bf16) >= sentence.BF16_MIN_COSINE


def test_paraphrased_queries_find_the_right_file(tmp_path, real_embedder):
    docs = docgen.mixed_folder(tmp_path / "docs")
    home = tmp_path / "home"
    from localsearch.core import paths

    service = Service(paths.resolve(home), Settings(), real_embedder)
    try:
        report = service.index("docs", [str(docs)])
        assert report.failed == 0 and report.added == 9
        expectations = {
            "how long does it take to get a new travel document": "passport.md",
            "which birds travel to warmer countries in winter": "talk.pptx",
            "how much do I pay the landlord every month": "contract.pdf",
            "dessert baking instructions": "recipe.html",
            "vegetable growing tips": "garden.txt",
            "complaint about loud people living above me": "letter.rtf",
            "household spending on energy": "budget.xlsx",  # "what did we spend on power" reads 0.29: cut (core.cutoff)
            "invoice 2024-0042": "invoice.docx",
        }
        for query, expected in expectations.items():
            hits = service.search(Query(query, k=3)).hits
            assert hits and Path(hits[0].path).name == expected, (query, [h.path for h in hits])
            assert 0 < (hits[0].match_strength or 0) <= 1, (query, hits[0].match_strength)
        page = service.search(Query("security deposit for damage", k=1)).hits[0]
        assert Path(page.path).name == "contract.pdf" and page.page == 2
        # The list ends where files stop being related (core.cutoff): no stray word, no distant meaning.
        rent = [Path(h.path).name for h in service.search(Query("how much do I pay the landlord every month")).hits]
        assert rent[0] == "contract.pdf" and "garden.txt" not in rent and "talk.pptx" not in rent, rent
        for nothing in ("Okafor", "parking garage", "sourdough starter feeding", "ski holiday in the Alps"):
            assert service.search(Query(nothing)).hits == [], nothing
    finally:
        service.close()
