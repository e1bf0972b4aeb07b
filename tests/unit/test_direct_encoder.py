"""The direct encoder (embed.direct) that the CUDA path uses must give sentence-transformers' own vectors.
Checked on the CPU with the packaged model: the arithmetic is the same module, only batching differs."""

import numpy as np
import pytest

from localsearch.core.embed.direct import DirectEncoder
from localsearch.core.embed.sentence import open_model, packaged_model_dir


@pytest.fixture(scope="module")
def model():
    loaded, _ = open_model(str(packaged_model_dir()), "cpu", True, None, "text")
    return loaded


def test_same_vectors_as_sentence_transformers_in_the_given_order(model):
    words = (packaged_model_dir() / "vocab.txt").read_text().split()[2000:2600]
    texts = ["  The invoice for March is overdue.  ", "", "ÉCOLE Straße 東京 café", "a",
             " ".join(words),  # past the 256-piece window: truncated the same way
             "Renew the passport before travelling abroad.", "x " * 40, "Quarterly revenue grew 12%."]
    assert DirectEncoder.supported(model)
    expected = model.encode(texts, batch_size=3, normalize_embeddings=True, convert_to_numpy=True)
    got = DirectEncoder(model, "cpu").encode(texts, batch_size=3)
    assert got.shape == expected.shape == (len(texts), 384)
    cosines = np.sum(got * expected, axis=1) / np.linalg.norm(got, axis=1) / np.linalg.norm(expected, axis=1)
    assert cosines.min() > 0.99999, cosines


def test_other_models_are_left_to_sentence_transformers():
    assert not DirectEncoder.supported(object())
    assert not DirectEncoder.supported([])
