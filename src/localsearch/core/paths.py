"""Where every file the app writes lives. One base directory overrides them all (tests, portable use)."""

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "localsearch"
HOME_ENV = "LOCALSEARCH_HOME"


@dataclass(frozen=True)
class Paths:
    data: Path
    cache: Path
    config: Path

    @property
    def catalog(self) -> Path:
        return self.data / "catalog.sqlite3"

    @property
    def vectors(self) -> Path:
        return self.data / "vectors"

    @property
    def settings(self) -> Path:
        return self.config / "settings.json"

    def ensure(self) -> "Paths":
        for d in (self.data, self.cache, self.config, self.vectors):
            d.mkdir(parents=True, exist_ok=True)
        return self


def resolve(home: str | os.PathLike[str] | None = None) -> Paths:
    """`home` (a --home flag) wins, then $LOCALSEARCH_HOME, then platformdirs' per-user dirs."""
    base = home if home is not None else os.environ.get(HOME_ENV)
    if base:
        root = Path(base).expanduser().resolve()
        return Paths(data=root / "data", cache=root / "cache", config=root / "config")
    return Paths(
        data=Path(platformdirs.user_data_dir(APP_NAME)),
        cache=Path(platformdirs.user_cache_dir(APP_NAME)),
        config=Path(platformdirs.user_config_dir(APP_NAME)),
    )
