"""The CLIP path (settings: image_model = a CLIP model) with a tiny random CLIP, offline.

Plumbing only: shapes, normalisation, one space for words and photos, persistence, and a model
switch that re-embeds instead of mixing vectors. Quality needs real weights, which nothing here
may download.
"""

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from localsearch.core import paths
from localsearch.core.embed.clip import ClipEmbedder
from localsearch.core.embed.hashing import HashingEmbedder
from localsearch.core.extract.photo import to_model_input
from localsearch.core.search import Query
from localsearch.core.service import Service
from localsearch.core.settings import Settings
from localsearch.core.store.vectors import VectorIndex
from tests import clipgen, photogen

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def clip_dirs(tmp_path_factory):
    base = tmp_path_factory.mktemp("clip")
    return clipgen.tiny_clip(base / "a", seed=0), clipgen.tiny_clip(base / "b", seed=1, dim=24)


@pytest.fixture
def photos(tmp_path):
    groups = photogen.write_set(tmp_path / "photos")
    return tmp_path / "photos", groups


def clip_service(home: Path, model: Path) -> Service:
    settings = Settings(text_model="hashing", image_model=str(model), ocr=False)
    return Service(paths.resolve(home), settings, HashingEmbedder())


def test_vectors_are_normalised_and_share_one_space(clip_dirs, photos):
    model = ClipEmbedder(str(clip_dirs[0]), "cpu")
    root, groups = photos
    images = [to_model_input(groups["rings"][0]), to_model_input(groups["board"][0])]
    vectors, labels = model.embed_images(images)
    assert vectors.shape == (2, 16) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert labels == [[], []], "CLIP gives no labels"
    text = model.embed_text_query("a red ring")
    assert text.shape == (16,) and abs(float(np.linalg.norm(text)) - 1.0) < 1e-5
    assert model.dim == 16 and model.model_id == f"clip:local:{clip_dirs[0].resolve()}"
    np.testing.assert_allclose(model.embed_images(images[:1])[0][0], vectors[0], atol=1e-5)
    assert not np.allclose(model.embed_text_query("a chessboard"), text), "different words, different vectors"


def test_index_search_persist_and_words_reach_photos_through_clip(clip_dirs, photos, tmp_path):
    root, groups = photos
    service = clip_service(tmp_path / "home", clip_dirs[0])
    report = service.index("photos", [str(root)])
    assert report.failed == 0
    col = service.catalog.collection("photos")
    model = service.image_embedder
    assert col.image_model_id == model.model_id
    assert service.catalog.vector_count(col.id, "image") == 16
    hits = service.similar(str(groups["rings"][0]), k=3).hits
    assert Path(hits[0].path) == groups["rings"][0] and hits[0].score > 0.999

    # No name or label holds these words: any photo found came through the CLIP text vector,
    # and the first must be the photo whose image vector is closest to it. (A random model can
    # put every photo at a negative cosine to some words, which search ignores: take words it does not.)
    vindex = VectorIndex(service.paths.vectors, col.id, model.dim, space="image")
    vindex.load_or_rebuild(service.catalog, col, persist=False)
    words = next(w for w in ("zqxj vwkp", "qqq zzz", "xkcd vvv", "jjj www", "kkk yyy", "vvv qqq")
                 if vindex.search(model.embed_text_query(w), 1)[0][1] > 0.05)
    hits = service.search(Query(words, kind="photo", k=5)).hits
    assert hits and all(h.kind == "photo" for h in hits)
    best_file = vindex.search(model.embed_text_query(words), 1)[0][0]
    best_path = service.catalog.photo_rows([best_file])[best_file].path
    assert hits[0].path == best_path
    service.close()

    reopened = clip_service(tmp_path / "home", clip_dirs[0])
    assert reopened.index("photos").added == 0, "nothing re-embedded on reopen"
    again = reopened.similar(str(groups["rings"][0]), k=1).hits
    assert Path(again[0].path) == groups["rings"][0]
    reopened.close()


def test_switching_the_image_model_reindexes_and_never_mixes(clip_dirs, photos, tmp_path):
    root, groups = photos
    service = clip_service(tmp_path / "home", clip_dirs[0])
    service.index("photos", [str(root)])
    old_id = service.catalog.collection("photos").image_model_id

    service.apply_settings(dataclasses.replace(service.settings, image_model=str(clip_dirs[1])))
    new_model = service.image_embedder
    assert new_model.model_id != old_id and new_model.dim == 24
    stale = service.similar(str(groups["board"][0]), k=3)
    assert stale.hits == [] and "re-index" in stale.warnings[0], "old vectors are never searched with the new model"

    report = service.index("photos")
    assert report.reindexed_from == old_id
    col = service.catalog.collection("photos")
    assert col.image_model_id == new_model.model_id
    assert service.catalog.vector_count(col.id, "image") == 16
    dims = {len(r[0]) // 4 for r in service.catalog.conn.execute("SELECT vector FROM image_vectors")}
    assert dims == {24}, "every stored photo vector is the new model's"
    hits = service.similar(str(groups["board"][0]), k=1).hits
    assert Path(hits[0].path) == groups["board"][0] and hits[0].score > 0.999
    service.close()


def test_a_missing_clip_model_is_a_plain_error(tmp_path, photos):
    from localsearch.core.errors import ModelUnavailable

    root, _ = photos
    service = Service(paths.resolve(tmp_path / "home"),
                      Settings(text_model="hashing", image_model=str(tmp_path / "no-such-model"), ocr=False),
                      HashingEmbedder())
    with pytest.raises(ModelUnavailable, match="cannot load image model"):
        service.index("photos", [str(root)])
    service.close()
