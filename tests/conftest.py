import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from localsearch.core import paths as paths_mod  # noqa: E402
from localsearch.core.embed.hashing import HashingEmbedder  # noqa: E402
from localsearch.core.service import Service  # noqa: E402
from localsearch.core.settings import Settings  # noqa: E402
from localsearch.core.store.catalog import Catalog  # noqa: E402


@pytest.fixture
def home(tmp_path: Path) -> paths_mod.Paths:
    return paths_mod.resolve(tmp_path / "home").ensure()


@pytest.fixture
def cat(tmp_path: Path):
    """An empty catalog of its own."""
    c = Catalog(tmp_path / "catalog.sqlite3")
    yield c
    c.close()


@pytest.fixture
def fast_settings() -> Settings:
    return Settings(text_model="hashing", parse_timeout_s=30, ocr=False)


@pytest.fixture
def service(home: paths_mod.Paths, fast_settings: Settings):
    """The engine with a fake (hashing) embedder: for logic, not for meaning."""
    s = Service(home, fast_settings, HashingEmbedder())
    yield s
    s.close()


@pytest.fixture(scope="session")
def real_embedder(tmp_path_factory):
    """The packaged all-MiniLM-L6-v2, loaded once for the whole session (offline); its 8-bit encoder,
    where a test asks for it, is built once too."""
    from localsearch.core.embed import factory

    return factory.create(Settings(), tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="session")
def image_model(tmp_path_factory):
    """The packaged EfficientNet-Lite0 on the CPU, loaded once for the whole session (offline), through
    ONNX Runtime as the app runs it (exported once for the session)."""
    from localsearch.core.embed.image import EfficientNetLite0

    return EfficientNetLite0("cpu", build_dir=tmp_path_factory.mktemp("photo-models"))
