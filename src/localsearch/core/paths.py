"""Where every file the app writes lives. One base directory overrides them all (tests, portable use).

Everything there is private to the user: the catalog holds the full text of the indexed files, so
folders are 0700 and files 0600, and an install made before (or by a tool with a looser umask) is
tightened whenever the app starts.
"""

import os
import stat
from pathlib import Path
from typing import NamedTuple

import platformdirs

APP_NAME = "localsearch"
HOME_ENV = "LOCALSEARCH_HOME"


class Paths(NamedTuple):  # not a dataclass: the command line's first step reads it, and dataclasses costs ~16 ms
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
    def words(self) -> Path:
        """The derived word index (store.wordindex): beside the catalog it mirrors."""
        return Paths.words_beside(self.catalog)

    @staticmethod
    def words_beside(catalog: Path) -> Path:
        """The word index of the catalog at `catalog` (for code handed a catalog, not the Paths)."""
        return catalog.parent / "words"

    @property
    def settings(self) -> Path:
        return self.config / "settings.json"

    def ensure(self) -> "Paths":
        for d in (self.data, self.cache, self.config, self.vectors):
            d.mkdir(mode=0o700, parents=True, exist_ok=True)
        for d in (self.data, self.cache, self.config):
            make_private(d)
        return self


def make_private(top: Path) -> None:
    """Take group and other permissions off `top` and everything below it (never follows links out)."""
    for root, dirs, files in os.walk(top):
        for name in [*dirs, *files, ""]:
            path = os.path.join(root, name) if name else root
            try:
                st = os.lstat(path)
                if not stat.S_ISLNK(st.st_mode) and st.st_mode & 0o077:
                    os.chmod(path, stat.S_IMODE(st.st_mode) & 0o700)
            except OSError:  # vanished meanwhile, or not ours: nothing to tighten
                continue


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
