"""The 8-bit text encoder that indexes on a CPU: built and checked once, faithful to fp32, never mixed."""

import logging
from pathlib import Path

import numpy as np
import pytest

from localsearch.core import paths
from localsearch.core.embed import int8, query_encoder, sentence, variants
from localsearch.core.search import Query
from localsearch.core.service import Service
from localsearch.core.settings import Settings
from tests import docgen

pytestmark = pytest.mark.slow

PASSAGES = [
    "The tenant pays a monthly rent of 1,250 euros on the first day of each month.",
    "Wind-tunnel tests showed the boundary layer separating at an angle of attack of 14 degrees.",
    "SELECT name, COUNT(*) FROM orders GROUP BY name HAVING COUNT(*) > 5;",
    "Ünïcödé, emoji 🎉 and a very long line " + "word " * 400,
    "Knead the dough for ten minutes, leave it to rise, then bake for 35 minutes.",
]


def test_the_8bit_model_is_built_once_checked_and_faithful_to_fp32(tmp_path, real_embedder):
    folder = sentence.packaged_model_dir()
    handlers = list(logging.getLogger().handlers)
    encoder = int8.Int8Encoder(folder, tmp_path / "models")
    assert logging.getLogger().handlers == handlers  # the quantizer's advice did not set up stderr logging
    built = list((tmp_path / "models").glob("*.onnx"))
    assert len(built) == 1 and oct(built[0].stat().st_mode & 0o777) == "0o600"
    fp32 = np.stack([query_encoder.QueryEncoder(folder).encode(t) for t in PASSAGES])
    assert sentence.min_cosine(encoder.encode(PASSAGES), fp32) >= int8.MIN_COSINE
    stamp = built[0].stat().st_mtime_ns
    int8.Int8Encoder(folder, tmp_path / "models")
    assert built[0].stat().st_mtime_ns == stamp  # reused, not rebuilt
    data = bytearray(built[0].read_bytes())  # a damaged cache is not trusted: built again
    data[len(data) // 2] ^= 0xFF
    built[0].write_bytes(bytes(data))
    again = int8.Int8Encoder(folder, tmp_path / "models")
    assert sentence.min_cosine(again.encode(PASSAGES), fp32) >= int8.MIN_COSINE
    assert int8._verified(built[0]) is not None


def test_a_model_that_does_not_hold_its_check_is_not_used(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(int8, "MIN_COSINE", 1.01)  # no 8-bit model can reach that
    model = sentence.SentenceEmbedder(sentence.packaged_model_dir(), sentence.DEFAULT_MODEL_ID, "cpu",
                                      build_dir=tmp_path / "models")
    with caplog.at_level(logging.WARNING, logger="localsearch"):
        assert model.int8() is None
    assert "indexing in full precision" in caplog.text
    assert not list((tmp_path / "models").glob("*.onnx"))
    assert variants.choose(model, None, "auto").model_id == sentence.DEFAULT_MODEL_ID
    built_again: list[Path] = []
    monkeypatch.setattr(int8, "build", lambda model_dir, out: built_again.append(out) or 0.5)
    again = sentence.SentenceEmbedder(sentence.packaged_model_dir(), sentence.DEFAULT_MODEL_ID, "cpu",
                                      build_dir=tmp_path / "models")  # a new process, say
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="localsearch"):
        assert again.int8() is None
    assert built_again == [], "the failed build is remembered, not tried again in every process"
    assert "did not hold its check" in caplog.text and ".failed" in caplog.text


def _service(tmp_path: Path, embedder, precision: str) -> Service:
    return Service(paths.resolve(tmp_path / "home"), Settings(text_precision=precision), embedder)


def test_a_new_collection_is_indexed_in_8bit_and_found_by_meaning(tmp_path, real_embedder):
    docs = docgen.mixed_folder(tmp_path / "docs")
    service = _service(tmp_path, real_embedder, "auto")
    try:
        report = service.index("docs", [str(docs)])
        assert report.failed == 0 and report.added == 9
        assert service.catalog.collection("docs").model_id == sentence.DEFAULT_MODEL_ID + variants.INT8
        for query, expected in {"how much do I pay the landlord every month": "contract.pdf",
                                "how long does it take to get a new travel document": "passport.md",
                                "invoice 2024-0042": "invoice.docx"}.items():
            hits = service.search(Query(query, k=3))
            assert not hits.warnings and Path(hits.hits[0].path).name == expected, (query, hits)
        checked = service.check()
        assert checked.healthy, checked.problems
        assert any("sampled passages embed the same" in line for line in checked.passed), checked.passed
    finally:
        service.close()


def _indexed_once(tmp_path: Path, embedder, precision: str) -> Path:
    """The mixed folder indexed with this text_precision, the service closed again; returns the folder."""
    docs = docgen.mixed_folder(tmp_path / "docs")
    service = _service(tmp_path, embedder, precision)
    try:
        service.index("docs", [str(docs)])
    finally:
        service.close()
    return docs


def test_a_full_precision_collection_is_kept_and_a_change_of_setting_re_embeds_it(tmp_path, real_embedder):
    docs = _indexed_once(tmp_path, real_embedder, "full")
    full = sentence.DEFAULT_MODEL_ID
    (docs / "new.txt").write_text("The heating is repaired before the end of the month.")
    service = _service(tmp_path, real_embedder, "auto")  # an upgrade: what the collection has, it keeps
    try:
        report = service.index("docs")
        assert report.reindexed_from is None and report.added == 1
        assert service.catalog.collection("docs").model_id == full
    finally:
        service.close()
    service = _service(tmp_path, real_embedder, "int8")
    try:
        report = service.index("docs")
        assert report.reindexed_from == full and report.added == 10
        assert service.catalog.collection("docs").model_id == full + variants.INT8
        assert service.check().healthy
        hits = service.search(Query("when is the heating fixed", k=1)).hits
        assert Path(hits[0].path).name == "new.txt"
    finally:
        service.close()


def test_a_pass_with_nothing_to_embed_loads_no_model(tmp_path, real_embedder, monkeypatch):
    docs = _indexed_once(tmp_path, real_embedder, "auto")
    made: list[Path] = []
    real = int8.Int8Encoder

    def counted(model_dir: Path, cache_dir: Path) -> int8.Int8Encoder:
        made.append(cache_dir)
        return real(model_dir, cache_dir)

    monkeypatch.setattr(int8, "Int8Encoder", counted)
    fresh = sentence.SentenceEmbedder(sentence.packaged_model_dir(), sentence.DEFAULT_MODEL_ID, "cpu",
                                      build_dir=real_embedder.build_dir)  # nothing loaded yet, as in a new process
    service = _service(tmp_path, fresh, "auto")
    try:
        report = service.index("docs")
        assert report.unchanged == 9 and report.chunks == 0
        assert made == []  # the collection stays 8-bit without its encoder being loaded
        assert service.catalog.collection("docs").model_id == sentence.DEFAULT_MODEL_ID + variants.INT8
        (docs / "new.txt").write_text("The boiler is serviced every autumn by the building manager.")
        report = service.index("docs")
        assert report.added == 1 and report.reindexed_from is None and len(made) == 1  # loaded when needed
        assert Path(service.search(Query("who maintains the heating system", k=1)).hits[0].path).name == "new.txt"
        assert service.check().healthy
    finally:
        service.close()


def test_indexing_text_and_photos_needs_no_torch_once_the_models_are_built(tmp_path):
    """torch costs ~3 s to import and ~1 GB: with the 8-bit text encoder and the exported photo model,
    an index run on a CPU does without it (the first run builds them; the photo export needs torch)."""
    import subprocess
    import sys

    from tests import photogen

    docs = docgen.mixed_folder(tmp_path / "docs")
    photogen.write_set(docs / "photos")
    code = ("import sys, resource; from pathlib import Path; from localsearch.core import paths; "
            "from localsearch.core.service import Service; from localsearch.core.settings import Settings; "
            f"s = Service(paths.resolve(Path({str(tmp_path / 'home')!r})), Settings(ocr=False, device='cpu')); "
            f"r = s.index('docs', [{str(docs)!r}]); "
            "print(r.added, r.failed, s.catalog.collection('docs').model_id, 'torch' in sys.modules); s.close()")
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr
    assert first.stdout.split()[:3] == ["25", "0", sentence.DEFAULT_MODEL_ID + variants.INT8], first.stdout
    (docs / "later.txt").write_text("The boiler service is booked for the fourteenth.")
    photogen.originals()["rings"].rotate(90).save(docs / "photos" / "turned.jpg", quality=90)
    again = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert again.stdout.split() == ["2", "0", sentence.DEFAULT_MODEL_ID + variants.INT8, "False"], again.stdout
