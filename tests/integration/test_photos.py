"""Photo search with the packaged EfficientNet-Lite0 (offline): near-duplicates find their original."""

from pathlib import Path

import pytest

from localsearch.core import paths
from localsearch.core.embed.hashing import HashingEmbedder
from localsearch.core.search import Query
from localsearch.core.service import Service
from localsearch.core.settings import Settings
from tests import photogen
from tests.unit.test_indexer import assert_consistent

pytestmark = pytest.mark.slow


@pytest.fixture
def photo_service(tmp_path, image_model):
    s = Service(paths.resolve(tmp_path / "home"), Settings(text_model="hashing", ocr=False), HashingEmbedder(), image_model)
    yield s
    s.close()


def test_every_copy_finds_its_original_first(photo_service, tmp_path):
    groups = photogen.write_set(tmp_path / "photos")
    (tmp_path / "photos" / "broken.jpg").write_bytes(b"\xff\xd8\xff garbage")
    report = photo_service.index("photos", [str(tmp_path / "photos")])
    assert [Path(p).name for p, _ in report.errors] == ["broken.jpg"]
    for name, files in groups.items():
        for copy in files:
            hits = photo_service.similar(str(copy), k=5).hits
            assert Path(hits[0].path) == copy and hits[0].score > 0.999, "the query photo itself, first"
            others = [Path(h.path) for h in hits[1:len(files)]]
            assert set(others) == set(files) - {copy}, (copy.name, [p.name for p in others])
            assert all(h.kind == "photo" for h in hits)
    assert_consistent(photo_service, "photos")


def test_photo_labels_are_searchable_text_and_moves_keep_image_vectors(photo_service, tmp_path):
    groups = photogen.write_set(tmp_path / "p")
    photo_service.index("p", [str(tmp_path / "p")])
    hit = photo_service.search(Query("board", kind="photo", k=1)).hits[0]
    assert "photo of " in hit.snippet, "ImageNet labels are part of a photo's passage"
    moved = tmp_path / "p" / "renamed-rings.jpg"
    groups["rings"][0].rename(moved)
    report = photo_service.index("p")
    assert report.moved == 1
    assert Path(photo_service.similar(str(moved), k=1).hits[0].path) == moved
    groups["blobs"][1].unlink()
    photo_service.index("p")
    paths_left = {Path(h.path).name for h in photo_service.similar(str(groups["blobs"][0]), k=16).hits}
    assert "blobs-small.png" not in paths_left
