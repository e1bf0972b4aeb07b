"""Text in photos (OCR, the slow second pass) and the photo formats beyond Pillow's classics."""

import dataclasses
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from localsearch.core import paths
from localsearch.core.embed.hashing import HashingEmbedder
from localsearch.core.extract.photo import decode_fitting, register_plugins, to_model_input
from localsearch.core.search import Query
from localsearch.core.service import Service
from localsearch.core.settings import Settings
from localsearch.core.store.vectors import VectorIndex
from tests import photogen
from tests.integration.test_watcher import eventually
from tests.unit.test_indexer import assert_consistent

pytestmark = pytest.mark.slow


@pytest.fixture
def ocr_service(tmp_path, image_model):
    s = Service(paths.resolve(tmp_path / "home"), Settings(text_model="hashing", ocr=True), HashingEmbedder(),
                image_model)
    yield s
    s.close()


def found(service: Service, words: str) -> list[str]:
    return [Path(h.path).name for h in service.search(Query(words, k=5)).hits]


def test_read_text_follows_edits_and_survives_moves(ocr_service, tmp_path):
    root = tmp_path / "photos"
    root.mkdir()
    photogen.printed_text_photo(root / "IMG_1.jpg", ["ACME HARDWARE STORE", "Hammer 24.99"])
    photogen.write_set(root)  # photos without text, read too
    report = ocr_service.index("photos", [str(root)])
    assert report.photos_read == 17 and report.failed == 0
    assert found(ocr_service, "hardware")[:1] == ["IMG_1.jpg"]
    col = ocr_service.catalog.collection("photos")
    cid = col.id
    assert ocr_service.catalog.ocr_left(cid) == 0
    for space, dim in (("text", 384), ("image", 1280)):  # both files current: searches load, not rebuild
        assert VectorIndex(ocr_service.paths.vectors, cid, dim, space=space).load_or_rebuild(
            ocr_service.catalog, col, persist=False) == "loaded", space

    (root / "IMG_1.jpg").rename(root / "receipt.jpg")
    report = ocr_service.index("photos")
    assert report.moved == 1 and report.photos_read == 0, "a move keeps the text read, no second read"
    assert found(ocr_service, "hardware")[:1] == ["receipt.jpg"]

    photogen.printed_text_photo(root / "receipt.jpg", ["GREEN GARDEN CENTRE", "Tulips 3.50"], seed=5)
    report = ocr_service.index("photos")
    assert report.updated == 1 and report.photos_read == 1
    assert found(ocr_service, "garden")[:1] == ["receipt.jpg"]
    assert "receipt.jpg" not in found(ocr_service, "hardware"), "the old text is gone with the old photo"
    assert_consistent(ocr_service, "photos")


def test_photos_are_searchable_before_their_text_is_read(ocr_service, tmp_path):
    root = tmp_path / "p"
    root.mkdir()
    photogen.printed_text_photo(root / "note.jpg", ["PASSPORT RENEWAL FORM"])
    report = ocr_service.index("p", [str(root)], read_photo_text=False)
    assert report.photos_read == 0
    cid = ocr_service.catalog.collection("p").id
    assert ocr_service.catalog.ocr_left(cid) == 1
    assert found(ocr_service, "note")[:1] == ["note.jpg"], "found by name (and labels) at once"
    assert found(ocr_service, "passport") == []
    w = ocr_service.watcher(["p"]).start()
    try:
        eventually(lambda: found(ocr_service, "passport")[:1] == ["note.jpg"], timeout=60)
        assert w.wait_idle(30)
        assert w.states["p"].text_left == 0
        version = ocr_service.catalog.collection("p").vector_version
        assert [VectorIndex(ocr_service.paths.vectors, cid, 1, space=space).read_sidecar().version
                for space in ("text", "image")] == [version, version], "saved once quiet, both files current"
    finally:
        w.stop()


def test_steps_of_reading_text_save_the_index_on_the_cadence_not_each_time(ocr_service, tmp_path, monkeypatch):
    from localsearch.core.indexer import Indexer

    root = tmp_path / "p"
    root.mkdir()
    for i, words in enumerate((["PASSPORT RENEWAL FORM"], ["ACME HARDWARE RECEIPT"])):
        photogen.printed_text_photo(root / f"note{i}.jpg", words)
    ocr_service.index("p", [str(root)], read_photo_text=False)
    cid = ocr_service.catalog.collection("p").id
    saves: list[str] = []
    real_save = VectorIndex.save
    monkeypatch.setattr(VectorIndex, "save", lambda self, *a: (saves.append(self.space), real_save(self, *a))[1])
    indexer = Indexer(ocr_service.catalog, ocr_service.paths.vectors, ocr_service.embedder, ocr_service.settings,
                      image_embedder=ocr_service.image_embedder)
    try:
        for _ in range(2):  # as the watcher does: a step, then a save when one is due
            assert indexer.read_photo_text("p", max_photos=1).photos_read == 1
            indexer.save_dirty(due_only=True)
        assert saves == [], "a whole index file is not rewritten after every step"
    finally:
        indexer.close()  # ...but it is once the work stops
    assert saves == ["text"]
    version = ocr_service.catalog.collection("p").vector_version
    for space, dim in (("text", 384), ("image", 1280)):  # the photo index is not rewritten, only noted
        vi = VectorIndex(ocr_service.paths.vectors, cid, dim, space=space)
        assert vi.read_sidecar().version == version
        assert vi.load_or_rebuild(ocr_service.catalog, ocr_service.catalog.collection("p"), persist=False) == "loaded"


def test_no_ocr_setting_reads_nothing(tmp_path, image_model):
    s = Service(paths.resolve(tmp_path / "home"), Settings(text_model="hashing", ocr=False), HashingEmbedder(),
                image_model)
    root = tmp_path / "p"
    root.mkdir()
    photogen.printed_text_photo(root / "note.jpg", ["PASSPORT RENEWAL FORM"])
    assert s.index("p", [str(root)]).photos_read == 0
    assert found(s, "passport") == []
    s.apply_settings(dataclasses.replace(s.settings, ocr=True))
    assert s.index("p").photos_read == 1, "turning it on reads what was skipped"
    assert found(s, "passport") == ["note.jpg"]
    s.close()


@pytest.mark.parametrize("suffix", [".heic", ".avif"])
def test_heic_and_avif_photos_are_decoded_indexed_and_matched(tmp_path, image_model, suffix):
    register_plugins()  # to write HEIC here; the indexer's workers register it themselves
    root = tmp_path / "p"
    root.mkdir()
    originals = photogen.originals()
    for name, im in originals.items():
        im.save(root / f"{name}{suffix}", quality=80)
        im.resize((400, 300)).save(root / f"{name}-small.jpg", quality=90)
    sample = root / f"rings{suffix}"
    assert to_model_input(sample).shape == (224, 224, 3)
    assert decode_fitting(sample, 256).shape[1] == 256
    s = Service(paths.resolve(tmp_path / "home"), Settings(text_model="hashing", ocr=False), HashingEmbedder(),
                image_model)
    report = s.index("p", [str(root)])
    assert report.failed == 0, report.errors
    hits = s.similar(str(sample), k=2).hits
    assert [Path(h.path).name for h in hits] == [sample.name, "rings-small.jpg"]
    s.close()


def test_an_exif_rotated_photo_is_read_upright(tmp_path):
    """A phone stores pixels sideways plus an orientation tag; OCR must read them turned back."""
    from localsearch.core import ocr

    photo = photogen.printed_text_photo(tmp_path / "upright.jpg", ["INVOICE NUMBER 4711"])
    with Image.open(photo) as im:
        exif = im.getexif()
        exif[0x0112] = 6  # "rotate 90 CW to view"
        im.transpose(Image.Transpose.ROTATE_90).save(tmp_path / "sideways.jpg", exif=exif, quality=90)
    upright = ocr.load_upright(os.fsencode(tmp_path / "sideways.jpg"))
    assert upright.shape[1] > upright.shape[0], "landscape again, as taken"
    assert "INVOICE" in " ".join(t for _, t in ocr.read_text(os.fsencode(tmp_path / "sideways.jpg"))).upper()
    assert np.asarray(upright).dtype == np.uint8


def scanned_pdf(path: Path, tmp: Path) -> Path:
    """Page 1 has a text layer; page 2 is a scan (an image of printed text, no text layer)."""
    from fpdf import FPDF

    scan = tmp / "scan.png"
    page = Image.new("RGB", (1240, 1754), "white")  # A4 at 150 dpi
    from PIL import ImageDraw, ImageFont

    draw, font = ImageDraw.Draw(page), ImageFont.load_default(size=48)
    for i, line in enumerate(["PASSPORT RENEWAL FORM", "Applicant: Jane Doe", "Expiry date 2031-05-04"]):
        draw.text((120, 200 + 90 * i), line, fill="black", font=font)
    page.save(scan)
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=14)
    pdf.multi_cell(0, 8, "Travel checklist. Book the flights, pack the chargers, water the plants.")
    pdf.add_page()
    pdf.image(str(scan), x=0, y=0, w=210, h=297)
    pdf.output(str(path))
    return path


def test_scanned_pdf_pages_are_read_and_keep_their_page_number(ocr_service, tmp_path):
    root = tmp_path / "docs"
    root.mkdir()
    scanned_pdf(root / "scan.pdf", tmp_path)
    from fpdf import FPDF

    text_only = FPDF()
    text_only.add_page()
    text_only.set_font("Helvetica", size=14)
    text_only.multi_cell(0, 8, "A born-digital report about quarterly revenue and costs.")
    text_only.output(str(root / "report.pdf"))

    report = ocr_service.index("docs", [str(root)])
    assert report.photos_read == 1, "only the PDF with a scanned page is read; the born-digital one is not"
    hit = ocr_service.search(Query("passport renewal", k=1)).hits[0]
    assert Path(hit.path).name == "scan.pdf" and hit.page == 2 and hit.kind == "document"
    assert "PASSPORT" in hit.snippet
    first = ocr_service.search(Query("travel checklist flights", k=1)).hits[0]
    assert Path(first.path).name == "scan.pdf" and first.page == 1, "the text layer is indexed as before"
    assert ocr_service.index("docs").photos_read == 0, "read once"
    assert_consistent(ocr_service, "docs")


def test_a_quick_look_skips_photos_without_text_and_keeps_a_small_note_on_a_big_photo(tmp_path):
    """Most photos hold no text: the detector looks at a small copy first (ocr.PRESENCE_SIDE) and a photo
    where it finds none is not read at full size. A note far away on a big photo is still found."""
    from localsearch.core import ocr

    plain = np.zeros((1500, 2000, 3), dtype=np.uint8)
    plain[..., 0] = np.linspace(30, 220, 2000, dtype=np.uint8)[None, :]  # a sky: a smooth gradient
    plain[..., 2] = np.linspace(200, 60, 1500, dtype=np.uint8)[:, None]
    Image.fromarray(plain).save(tmp_path / "sky.jpg", quality=90)
    assert not ocr.may_hold_text(ocr.load_upright(os.fsencode(tmp_path / "sky.jpg")))
    assert ocr.read_text(os.fsencode(tmp_path / "sky.jpg")) == []
    note = photogen.printed_text_photo(tmp_path / "note.jpg", ["ACME HARDWARE STORE", "Hammer 24.99"])
    scene = Image.new("RGB", (3000, 2250), (96, 104, 92))
    scene.paste(Image.open(note), (900, 600))
    scene.save(tmp_path / "far.jpg", quality=88)
    assert ocr.may_hold_text(ocr.load_upright(os.fsencode(tmp_path / "far.jpg")))
    (_, text), = ocr.read_text(os.fsencode(tmp_path / "far.jpg"))
    assert "HARDWARE" in text
    assert ocr.may_hold_text(np.zeros((600, 700, 3), dtype=np.uint8)), "a small photo is simply read"
