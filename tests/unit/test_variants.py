"""Which encoder indexes a collection: the 8-bit one for new collections, never two variants in one."""

import numpy as np

from localsearch.core.embed import variants
from localsearch.core.embed.hashing import HashingEmbedder


class Halves:
    def encode(self, texts: list[str]) -> np.ndarray:
        return np.full((len(texts), 384), 0.5, dtype=np.float32)


class WithInt8(HashingEmbedder):
    def __init__(self, available: bool = True) -> None:
        super().__init__()
        self.available = available
        self.lazy: list[bool] = []

    def int8(self, lazy: bool = False):
        self.lazy.append(lazy)
        return variants.Int8Text(self, Halves()) if self.available else None


def test_a_new_collection_gets_the_8bit_encoder_and_a_made_one_keeps_its_variant():
    model = WithInt8()
    full, fast = model.model_id, model.model_id + variants.INT8
    assert variants.choose(model, None, "auto").model_id == fast
    assert variants.choose(model, fast, "auto").model_id == fast
    assert variants.choose(model, full, "auto").model_id == full  # no forced re-embedding on upgrade
    assert variants.choose(model, "another/model", "auto").model_id == fast  # re-embedded anyway
    assert variants.choose(model, full, "int8").model_id == fast  # asked for: re-embedded
    assert variants.choose(model, fast, "full").model_id == full
    assert variants.choose(model, None, "full").model_id == full
    # only a collection the 8-bit encoder already made may defer loading it: nothing else can be decided later
    assert model.lazy == [False, True, False, False]


def test_a_deferred_encoder_is_made_at_first_use_and_falls_back_to_full_precision():
    made: list[int] = []

    def make() -> Halves:
        made.append(1)
        return Halves()

    deferred = variants.Deferred(make, lambda texts: np.zeros((len(texts), 384), dtype=np.float32))
    assert made == []
    assert np.allclose(deferred.encode(["a"]), 0.5) and made == [1]
    unavailable = variants.Deferred(lambda: None, lambda texts: np.ones((len(texts), 384), dtype=np.float32))
    assert np.allclose(unavailable.encode(["a", "b"]), 1.0)


def test_without_an_8bit_encoder_full_precision_indexes():
    assert variants.choose(WithInt8(available=False), None, "int8").model_id == HashingEmbedder().model_id
    assert variants.choose(HashingEmbedder(), None, "auto").model_id == HashingEmbedder().model_id


def test_the_8bit_view_encodes_passages_itself_and_queries_through_its_model():
    model = WithInt8()
    view = variants.choose(model, None, "auto")
    assert view.dim == model.dim and view.embed_texts([]).shape == (0, model.dim)
    assert np.allclose(view.embed_texts(["a", "b"]), 0.5)
    assert np.array_equal(view.embed_query("rent"), model.embed_query("rent"))
    assert variants.base(view.model_id) == model.model_id and variants.is_int8(view.model_id)
    assert not variants.is_int8(model.model_id) and not variants.is_int8(None)
