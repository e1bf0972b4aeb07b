"""The index holds the text of private files: every folder LocalSearch makes is 0700 and every file
0600, also files made later by the watcher, the indexer or SQLite, and an older install is tightened
on the next start. No command opens a network connection."""

import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from localsearch.core import paths as paths_mod
from localsearch.core.embed.hashing import HashingEmbedder
from localsearch.core.service import Service
from localsearch.core.settings import Settings


def loose(top: Path) -> list[str]:
    """Everything below top that group or others may read, write or enter."""
    out = []
    for root, dirs, files in os.walk(top):
        for name in [*dirs, *files, ""]:
            p = os.path.join(root, name) if name else root
            if not os.path.islink(p) and os.lstat(p).st_mode & 0o077:
                out.append(f"{oct(stat.S_IMODE(os.lstat(p).st_mode))} {os.path.relpath(p, top)}")
    return out


def ours(home: paths_mod.Paths) -> list[str]:
    """What is loose among the folders LocalSearch makes (the --home folder itself is the user's)."""
    return [f"{top.name}: {x}" for top in (home.data, home.cache, home.config) for x in loose(top)]


def index_something(home: paths_mod.Paths, docs: Path) -> set[str]:
    """Index and watch once; returns the names of the files in the data folder while it was open (SQLite
    removes its -wal file when the last connection closes)."""
    service = Service(home, Settings(text_model="hashing", ocr=False, image_model="none"), HashingEmbedder())
    try:
        service.index("docs", [str(docs)])
        w = service.watcher().start()  # the watcher writes its own state file
        try:
            assert w.wait_idle(60)
        finally:
            w.stop()
        assert ours(home) == []
        return {p.name for p in home.data.rglob("*")}
    finally:
        service.close()


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    d = tmp_path / "docs"
    d.mkdir()
    (d / "payslip.txt").write_text("salary 4100, tax code 1257L")
    return d


def test_everything_written_is_private_even_under_a_loose_umask(tmp_path, docs):
    old = os.umask(0o022)  # what most desktops use
    try:
        home = paths_mod.resolve(tmp_path / "home").ensure()
        made = index_something(home, docs)
    finally:
        os.umask(old)
    assert {"catalog.sqlite3", "catalog.sqlite3-wal", "catalog.sqlite3-shm", "watch-state.json"} <= made
    assert any(n.endswith(".faiss") for n in made) and any(n.endswith(".json") and "collection" in n for n in made)
    assert ours(home) == []


def test_an_older_install_is_tightened_on_the_next_start(tmp_path, docs):
    home = paths_mod.resolve(tmp_path / "home").ensure()
    index_something(home, docs)
    for root, dirs, files in os.walk(tmp_path / "home"):  # as a release before this one left it
        os.chmod(root, 0o755)
        for f in files:
            os.chmod(os.path.join(root, f), 0o644)
    assert ours(home)
    Service(home, Settings(text_model="hashing"), HashingEmbedder()).close()
    assert ours(home) == []
    assert stat.S_IMODE((home.data / "catalog.sqlite3").stat().st_mode) == 0o600


def test_the_command_line_keeps_its_files_private(tmp_path, docs):
    home = tmp_path / "home"
    (home / "config").mkdir(parents=True)
    (home / "config" / "settings.json").write_text('{"text_model": "hashing", "image_model": "none", "ocr": false}')
    r = subprocess.run([sys.executable, "-m", "localsearch", "--home", str(home), "index", str(docs), "-c", "docs"],
                       capture_output=True, text=True, timeout=300, preexec_fn=lambda: os.umask(0o022))
    assert r.returncode == 0, r.stderr
    assert ours(paths_mod.resolve(home)) == []


@pytest.mark.slow
def test_index_and_search_open_no_network_connection(tmp_path, docs, monkeypatch, capsys):
    """With the real packaged models: nothing but local (AF_UNIX) sockets is ever connected."""
    from localsearch import cli

    tried: list[object] = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def guard(real):  # type: ignore[no-untyped-def]
        def connect(self, address):  # type: ignore[no-untyped-def]
            if self.family != socket.AF_UNIX:
                tried.append(address)
                raise OSError("network access attempted in a test that forbids it")
            return real(self, address)
        return connect

    monkeypatch.setattr(socket.socket, "connect", guard(real_connect))
    monkeypatch.setattr(socket.socket, "connect_ex", guard(real_connect_ex))
    with pytest.raises(OSError):  # the guard is live: even a connection to this machine is caught
        socket.create_connection(("127.0.0.1", 9), timeout=1)
    assert tried == [("127.0.0.1", 9)]
    tried.clear()
    home = str(tmp_path / "home")
    assert cli.main(["--home", home, "index", str(docs), "-c", "docs", "--no-progress"]) == 0
    assert cli.main(["--home", home, "search", "what is my salary", "--json"]) == 0
    assert "payslip.txt" in capsys.readouterr().out
    assert tried == []
