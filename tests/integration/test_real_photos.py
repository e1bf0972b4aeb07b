"""Real photos (scikit-image's sample set) under camera-style names, with the packaged models.

What issue 5 asks of the default, offline photo path: copies find their original, words find photos
through the photo model's labels, and text in a photo is found through OCR.
"""

import shutil
from pathlib import Path

import pytest
from PIL import Image

from localsearch.core import paths
from localsearch.core.search import Query
from localsearch.core.service import Service
from localsearch.core.settings import Settings
from tests import photogen

pytestmark = pytest.mark.slow
skdata = pytest.importorskip("skimage.data")

SAMPLES = ["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "motorcycle_left.png", "horse.png",
           "hubble_deep_field.jpg", "ihc.png", "retina.jpg", "brick.png", "camera.png", "coins.png", "grass.png",
           "gravel.png", "moon.png", "page.png", "text.png", "clock_motion.png", "color.png", "logo.png"]
COPIED = ["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "motorcycle_left.png", "retina.jpg"]


@pytest.fixture(scope="module")
def indexed(tmp_path_factory, real_embedder, image_model):
    """One collection: the samples as IMG_1000.. (names that give nothing away), three altered copies
    of six of them, and a photographed receipt. Returns (service, sample name -> path, copies)."""
    root = tmp_path_factory.mktemp("real") / "Pictures"
    root.mkdir()
    src = Path(skdata.__file__).parent
    where: dict[str, Path] = {}
    for i, name in enumerate(SAMPLES):
        where[name] = shutil.copy(src / name, root / f"IMG_{1000 + i}{Path(name).suffix}")
    copies: dict[str, list[Path]] = {}
    for i, name in enumerate(COPIED):
        with Image.open(where[name]) as im:
            im = im.convert("RGB")
            w, h = im.size
            small, lowq, crop = (root / f"DSC_{2000 + 3 * i + k}.{ext}" for k, ext in enumerate(("png", "jpg", "jpg")))
            im.resize((w // 2, h // 2)).save(small)
            im.save(lowq, quality=20)
            im.crop((w // 12, h // 12, w - w // 12, h - h // 12)).save(crop, quality=90)
            copies[name] = [small, lowq, crop]
    where["receipt"] = photogen.printed_text_photo(root / "IMG_3000.jpg",
                                                   ["ACME HARDWARE STORE", "2x Hammer   24.99", "Total  49.98"])
    home = paths.resolve(tmp_path_factory.mktemp("home"))
    service = Service(home, Settings(ocr=True), real_embedder, image_model)
    report = service.index("pictures", [str(root)])
    assert report.failed == 0, report.errors
    assert report.photos_read == len(SAMPLES) + 3 * len(COPIED) + 1
    yield service, where, copies
    service.close()


def test_each_altered_copy_finds_its_original_first(indexed):
    service, where, copies = indexed
    for name, files in copies.items():
        for copy in files:
            hits = service.similar(str(copy), k=5).hits
            assert Path(hits[0].path) == copy, "the query photo itself"
            assert Path(hits[1].path) in {where[name], *files}, (name, copy.name, [Path(h.path).name for h in hits])
            top = {Path(h.path) for h in hits[:4]}
            assert top == {where[name], *files}, (name, copy.name, [Path(h.path).name for h in hits])


def test_find_similar_shows_look_alikes_only_down_to_the_chosen_likeness(indexed):
    service, where, copies = indexed
    family = {where["chelsea.png"], *copies["chelsea.png"]}
    hits = service.similar(str(where["chelsea.png"]), k=50).hits  # the photo model's own threshold
    assert {Path(h.path) for h in hits} == family, [Path(h.path).name for h in hits]
    assert hits[0].why == ["the photo itself"]
    assert all(h.why == ["same photo (resized, cropped or re-encoded)"] for h in hits[1:])
    assert hits[0].match_strength == 1.0 and all(0.7 <= (h.match_strength or 0) <= 1 for h in hits)
    loose = service.similar(str(where["chelsea.png"]), k=50, min_similarity=0.0).hits  # every photo, nearest first
    assert len(loose) > len(family) and {Path(h.path) for h in loose[: len(family)]} == family
    assert "looks alike" in loose[-1].why
    strict = service.similar(str(where["chelsea.png"]), k=50, min_similarity=0.99).hits
    assert [Path(h.path) for h in strict] == [where["chelsea.png"]]


@pytest.mark.parametrize("words, sample", [
    ("cat", "chelsea.png"),
    ("my cat", "chelsea.png"),
    ("coffee", "coffee.png"),
    ("a cup of coffee", "coffee.png"),
    ("rocket", "rocket.jpg"),
    ("motorcycle", "motorcycle_left.png"),
    ("motorbike", "motorcycle_left.png"),
    pytest.param("astronaut", "astronaut.png", marks=pytest.mark.xfail(
        strict=True, reason="ImageNet has no astronaut class: EfficientNet-Lite0 sees 'barbell, dumbbell, "
                            "jersey'. Needs a CLIP model (settings: image_model).")),
])
def test_words_find_photos_through_labels(indexed, words, sample):
    service, where, copies = indexed
    family = {where[sample], *copies.get(sample, [])}
    hits = service.search(Query(words, kind="photo", k=3 + len(family))).hits
    assert where[sample] in {Path(h.path) for h in hits[:len(family) + 2]}, [Path(h.path).name for h in hits]
    assert Path(hits[0].path) in family, [Path(h.path).name for h in hits]


def test_the_list_ends_where_the_photos_stop_being_related(indexed):
    """The cut-off (core.cutoff): only the cat's photos for "cat", nothing for what no photo shows."""
    service, where, copies = indexed
    family = {where["chelsea.png"], *copies["chelsea.png"]}
    assert {Path(h.path) for h in service.search(Query("cat", kind="photo", k=20)).hits} == family
    for words in ("Okafor", "parking garage", "birthday cake", "divorce lawyer fees"):
        result = service.search(Query(words, kind="photo", k=20))
        assert result.hits == [], (words, [Path(h.path).name for h in result.hits])


def test_text_in_a_photo_is_found_through_ocr(indexed):
    service, where, _ = indexed
    for words in ("hardware", "hammer", "acme hardware receipt"):
        hits = service.search(Query(words, k=3)).hits
        assert hits and Path(hits[0].path) == where["receipt"], (words, [Path(h.path).name for h in hits])
        assert hits[0].kind == "photo"
    top = service.search(Query("hardware", k=1)).hits[0]
    assert "HARDWARE" in top.snippet and top.match_spans, "the snippet shows the read text, highlighted"
    assert Path(service.search(Query("region-based segmentation markers", k=1)).hits[0].path) == where["page.png"]


def test_a_photo_preview_shows_what_is_seen_and_read_in_it(indexed):
    service, where, _ = indexed
    receipt = service.preview(str(where["receipt"]), "hardware")
    assert receipt.kind == "photo" and receipt.labels and "HARDWARE" in receipt.read_text
    assert receipt.camera["pixels"] == "1200 × 900"
    cat = service.preview(str(where["chelsea.png"]), "cat")
    assert "cat" in cat.labels and cat.read_text == ""


def test_noise_read_from_texture_is_not_indexed(indexed):
    service, where, _ = indexed
    texts = [r[0] for r in service.catalog.conn.execute(
        "SELECT ch.text FROM chunks ch JOIN files f ON f.id = ch.file_id WHERE ch.ord > 0")]
    assert texts, "some photos hold text"
    assert all(any(len(w) >= 3 and w.isalpha() for w in t.split()) for t in texts), texts


def test_a_recoloured_likeness_is_not_called_the_same_photo(tmp_path, real_embedder, image_model):
    """Two sunsets drawn alike in other colours: the photo model's features call them nearly the same,
    the colours do not; a resized copy stays "same photo"."""
    from PIL import ImageDraw

    root = tmp_path / "Pictures"
    root.mkdir()
    for name, top, bottom in (("hills.jpg", (250, 204, 21), (185, 28, 28)), ("lake.jpg", (253, 186, 116), (15, 118, 110))):
        im = Image.new("RGB", (800, 600))
        draw = ImageDraw.Draw(im)
        for y in range(600):
            t = y / 599
            draw.line((0, y, 800, y), fill=tuple(round(a + (b - a) * t) for a, b in zip(top, bottom)))
        draw.ellipse((320, 330, 480, 490), fill=(255, 247, 237))
        im.save(root / name, quality=92)
    with Image.open(root / "hills.jpg") as im:
        im.resize((400, 300)).save(root / "IMG_0042.jpg", quality=40)
    service = Service(paths.resolve(tmp_path / "home"), Settings(ocr=False), real_embedder, image_model)
    try:
        service.index("pictures", [str(root)])
        why = {Path(h.path).name: h.why for h in service.similar(str(root / "hills.jpg"), min_similarity=0.0).hits}
        assert why["hills.jpg"] == ["the photo itself"]
        assert why["IMG_0042.jpg"] == ["same photo (resized, cropped or re-encoded)"]
        assert why["lake.jpg"] == ["looks alike"], why
    finally:
        service.close()
