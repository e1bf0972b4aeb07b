"""The command line as a user runs it: separate processes, a real home folder, the fake model for speed."""

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import faiss
import pytest

from localsearch.core import search
from localsearch.core.store import changelog, wordindex
from tests import docgen
from tests.processes import kill_when


def run_cli(home: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LOCALSEARCH_HOME": str(home)}
    proc = subprocess.run([sys.executable, "-m", "localsearch", *args], env=env, capture_output=True, text=True,
                          timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc


def use_fake_model(home: Path, **extra: object) -> None:
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "settings.json").write_text(json.dumps({"text_model": "hashing", **extra}))


def catalog_counts(home: Path) -> tuple[int, int]:
    db = sqlite3.connect(home / "data" / "catalog.sqlite3", timeout=30)
    try:
        files = db.execute("SELECT count(*) FROM files").fetchone()[0]
        chunks = db.execute("SELECT count(*) FROM chunks").fetchone()[0]
        return files, chunks
    finally:
        db.close()


def test_help_and_no_arguments():
    out = subprocess.run([sys.executable, "-m", "localsearch", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "index" in out.stdout and "search" in out.stdout


def test_index_search_status_remove(tmp_path):
    home = tmp_path / "home"
    use_fake_model(home)
    docs = docgen.mixed_folder(tmp_path / "docs")
    first = run_cli(home, "index", str(docs), "--collection", "docs")
    assert "9 new" in first.stdout and "0 failed" in first.stdout
    second = run_cli(home, "index", str(docs), "--collection", "docs")
    assert "0 new, 0 changed" in second.stdout and "9 unchanged" in second.stdout

    hits = json.loads(run_cli(home, "search", "invoice 2024-0042", "--json").stdout)
    assert hits[0]["path"].endswith("invoice.docx")
    assert {"path", "kind", "score", "snippet", "collection", "start", "end"} <= set(hits[0])
    assert hits[0]["kind"] == "document" and hits[0]["collection"] == "docs"
    assert "2024-0042" in hits[0]["snippet"]
    scores = [h["score"] for h in hits]
    assert scores == sorted(scores, reverse=True)

    pdf_hit = json.loads(run_cli(home, "search", "deposit rent apartment", "--json", "-k", "1").stdout)[0]
    assert pdf_hit["path"].endswith("contract.pdf") and pdf_hit["page"] == 2
    listed = run_cli(home, "search", "deposit rent apartment type:pdf").stdout  # operators; why, not a raw score
    assert "contract.pdf" in listed.splitlines()[0] and "words: rent, deposit" in listed and "page 2" in listed
    assert "score" not in listed
    by_name = [Path(h["path"]).name for h in json.loads(run_cli(home, "search", "the", "--sort", "name", "--json",
                                                                "--mode", "keywords").stdout)]
    assert len(by_name) > 1 and by_name == sorted(by_name, key=str.casefold)
    assert json.loads(run_cli(home, "search", "rent", "--folder", "elsewhere", "--json").stdout) == []
    assert "-word" in run_cli(home, "search", "--help").stdout  # the operators are listed

    status = json.loads(run_cli(home, "status", "--json").stdout)
    (col,) = status["collections"]
    assert (col["name"], col["files"], col["failed"]) == ("docs", 9, 0)
    assert col["model"] == "localsearch/hashing-v1-384" and col["vector_index_bytes"] > 0
    assert "docs: 9 files" in run_cli(home, "status").stdout
    # what LocalSearch takes on disk is the whole data folder, not the catalog or one index alone
    words = sum(p.stat().st_size for p in (home / "data" / "words").rglob("*") if p.is_file())
    assert words > 0 and status["data_bytes"] >= status["catalog_bytes"] + col["vector_index_bytes"] + words
    said = re.search(r"\(([\d.]+) KB on disk, of which the catalog ([\d.]+) KB\)", run_cli(home, "status").stdout)
    assert said and float(said.group(1)) * 1024 == pytest.approx(status["data_bytes"], rel=0.2)

    run_cli(home, "collections", "remove", "docs")
    assert json.loads(run_cli(home, "status", "--json").stdout)["collections"] == []
    assert json.loads(run_cli(home, "search", "invoice", "--json").stdout) == []
    assert docs.joinpath("invoice.docx").exists(), "removing a collection never touches the user's files"


def test_output_cut_short_by_its_reader_is_no_error(tmp_path):
    """`localsearch search x | head -1`: the reader closes the pipe early; no traceback, the shell's 141."""
    home = tmp_path / "home"
    use_fake_model(home)
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(300):  # more output than a pipe holds (64 KiB), so the writer meets the closed end
        (docs / f"invoice-{i:03}.txt").write_text(f"Invoice {i} for the garden project. " * 12)
    run_cli(home, "index", str(docs), "--collection", "docs")
    env = {**os.environ, "LOCALSEARCH_HOME": str(home)}
    for _ in range(3):  # the cut lands at a different write each time
        proc = subprocess.Popen([sys.executable, "-m", "localsearch", "search", "invoice garden project", "-k", "300"],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stdout.readline()
        proc.stdout.close()
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=600) in (0, 141) and "Traceback" not in err, err


def test_unknown_collection_and_missing_folder_are_plain_errors(tmp_path):
    home = tmp_path / "home"
    use_fake_model(home)
    bad = run_cli(home, "index", str(tmp_path / "nope"), "-c", "x", check=False)
    assert bad.returncode == 1 and "folder not found" in bad.stderr and "Traceback" not in bad.stderr
    missing = run_cli(home, "search", "q", "-c", "ghost", check=False)
    assert missing.returncode == 1 and "no collection named 'ghost'" in missing.stderr


def test_sigkill_mid_run_then_rerun_leaves_catalog_and_index_in_agreement(tmp_path):
    home = tmp_path / "home"
    use_fake_model(home, commit_every_chunks=25)
    root = tmp_path / "big"
    root.mkdir()
    n = 3000
    for i in range(n):
        (root / f"doc{i:05}.txt").write_text(f"Document {i}. It is about subject {i % 37} and item {i}.")
    env = {**os.environ, "LOCALSEARCH_HOME": str(home)}
    proc = subprocess.Popen([sys.executable, "-m", "localsearch", "index", str(root), "-c", "big", "--no-progress"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    def files_committed() -> int:
        try:
            return catalog_counts(home)[0] if (home / "data" / "catalog.sqlite3").exists() else 0
        except sqlite3.OperationalError:
            return 0  # schema not created yet

    killed_at = kill_when(proc, files_committed, 300, timeout=300)
    assert proc.returncode == -signal.SIGKILL, "the run was killed mid-way, not finished"
    assert 300 <= killed_at < n

    run_cli(home, "index", "-c", "big")
    files, chunks = catalog_counts(home)
    assert files == n and chunks == n
    db = sqlite3.connect(home / "data" / "catalog.sqlite3")
    try:
        assert db.execute("SELECT count(DISTINCT raw_path) FROM files WHERE status = 'ok'").fetchone()[0] == n
        ids = {r[0] for r in db.execute("SELECT id FROM chunks")}
        fts = db.execute("SELECT count(*) FROM chunks_words").fetchone()[0]
    finally:
        db.close()
    assert fts == n
    index = faiss.read_index(str(home / "data" / "vectors" / "collection-1.faiss"))  # the text index
    assert index.ntotal == n
    assert set(faiss.vector_to_array(index.id_map).tolist()) == ids
    hits = json.loads(run_cli(home, "search", "item 2999", "--json", "-k", "1").stdout)
    assert hits[0]["path"].endswith("doc02999.txt")
    words = wordindex.WordIndex(home / "data" / "words")  # the fast keyword index, killed mid-sync too
    state = words.refresh()
    db = sqlite3.connect(home / "data" / "catalog.sqlite3")
    try:
        assert state is not None and state.current(*changelog.position(db))
        assert words.passages() == n and words.spot_check(db, samples=20)
        found = words.search(search.term_alternatives("17"), None, n)  # every passage holding the word "17"
        assert sorted(cid for cid, _ in found) == sorted(
            cid for cid, text in db.execute("SELECT id, text FROM chunks") if "17" in re.findall(r"\w+", text))
    finally:
        db.close()


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads everything")
def test_unreadable_file_is_reported_by_status(tmp_path):
    home = tmp_path / "home"
    use_fake_model(home)
    root = tmp_path / "d"
    root.mkdir()
    (root / "ok.txt").write_text("fine")
    secret = root / "secret.txt"
    secret.write_text("no")
    secret.chmod(0)
    run_cli(home, "index", str(root), "-c", "d")
    st = json.loads(run_cli(home, "status", "--json").stdout)
    assert st["collections"][0]["failures"] == [{"path": str(secret), "reason": "permission denied"}]


@pytest.mark.slow
def test_photo_query_from_the_command_line(tmp_path):
    from tests import photogen

    home = tmp_path / "home"
    use_fake_model(home, ocr=False)
    groups = photogen.write_set(tmp_path / "photos")
    run_cli(home, "index", str(tmp_path / "photos"), "--collection", "photos")
    query = groups["rings"][1]
    hits = json.loads(run_cli(home, "search", "--image", str(query), "--json", "-k", "4").stdout)
    assert hits[0]["path"] == str(query) and hits[0]["score"] > 0.999 and hits[0]["kind"] == "photo"
    assert {h["path"] for h in hits} == {str(p) for p in groups["rings"]}
    others = json.loads(run_cli(home, "search", "--image", str(query), "--json", "-k", "3", "--exclude-self").stdout)
    assert {h["path"] for h in others} == {str(p) for p in groups["rings"]} - {str(query)}
    photos_only = json.loads(run_cli(home, "search", "rings", "--kind", "photo", "--json").stdout)
    assert photos_only and all(h["kind"] == "photo" for h in photos_only)


def test_check_and_repair_a_damaged_catalog(tmp_path):
    """check: 0 healthy, 1 needs repair, 2 cannot check; repair: 1 repaired. A damaged catalog is set aside
    (kept for a report) and the folders it named are indexed again from the files."""
    home = tmp_path / "home"
    use_fake_model(home, ocr=False)
    docs = docgen.mixed_folder(tmp_path / "docs")
    run_cli(home, "index", str(docs), "--collection", "docs")
    assert run_cli(home, "check").returncode == 0
    catalog = home / "data" / "catalog.sqlite3"
    with open(catalog, "r+b") as f:  # a bad sector over the collections, roots and files tables
        f.seek(4096)
        f.write(os.urandom(8 * 4096))
    checked = run_cli(home, "check", check=False)
    assert checked.returncode == 1 and "PROBLEM  catalog" in checked.stdout and "Traceback" not in checked.stderr
    repaired = run_cli(home, "repair", check=False)
    assert repaired.returncode == 1, repaired.stdout + repaired.stderr
    assert "indexing docs again" in repaired.stdout and "healthy now" in repaired.stdout
    assert len(list((home / "data").glob("catalog.sqlite3.damaged-*"))) >= 1
    assert run_cli(home, "check").returncode == 0
    hits = json.loads(run_cli(home, "search", "invoice 2024-0042", "--json").stdout)
    assert hits[0]["path"].endswith("invoice.docx")
    assert run_cli(home, "repair").stdout.strip() == "healthy: nothing to repair"

    db = sqlite3.connect(catalog)
    db.execute("PRAGMA user_version = 99")  # made by a newer LocalSearch: not ours to judge or repair
    db.commit()
    db.close()
    newer = run_cli(home, "check", check=False)
    assert newer.returncode == 2 and "newer LocalSearch" in newer.stderr
    untouched = run_cli(home, "repair", check=False)
    assert untouched.returncode == 2 and "cannot repair" in untouched.stderr and catalog.exists()


def test_folders_move_add_and_remove_from_the_command_line(tmp_path):
    home = tmp_path / "home"
    use_fake_model(home, ocr=False)
    docs = docgen.mixed_folder(tmp_path / "docs")
    run_cli(home, "index", str(docs), "--collection", "docs")
    docs.rename(tmp_path / "moved")
    status = run_cli(home, "status").stdout
    assert "OFFLINE" in status
    missing = run_cli(home, "index", "--collection", "docs")
    assert "missing: " + str(docs) in missing.stdout and "0 removed" in missing.stdout
    moved = run_cli(home, "collections", "move-root", str(docs), str(tmp_path / "moved"))
    assert "9 files kept, nothing indexed again" in moved.stdout
    assert json.loads(run_cli(home, "search", "invoice 2024-0042", "--json").stdout)[0]["path"].startswith(
        str(tmp_path / "moved"))
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "memo.txt").write_text("the lighthouse keeper's memo")
    added = run_cli(home, "collections", "add-folder", "docs", str(extra))
    assert "1 new" in added.stdout
    assert json.loads(run_cli(home, "search", "lighthouse keeper", "--json").stdout)[0]["path"].endswith("memo.txt")
    dropped = run_cli(home, "collections", "remove-folder", "docs", str(extra))
    assert "1 files left the index" in dropped.stdout and (extra / "memo.txt").exists()
    wrong = run_cli(home, "collections", "remove-folder", "docs", str(extra), check=False)
    assert wrong.returncode == 1 and "is not a folder of collection 'docs'" in wrong.stderr


def _desktop_cli(tmp_path: Path) -> tuple[Path, Callable[..., subprocess.CompletedProcess[str]]]:
    data = tmp_path / "xdg-data"
    env = {**os.environ, "XDG_DATA_HOME": str(data), "LOCALSEARCH_HOME": str(tmp_path / "home")}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "localsearch", *args], env=env, capture_output=True, text=True,
                              timeout=120)

    return data, cli


def test_install_desktop_puts_the_entry_icon_and_metadata_in_the_users_data_folder(tmp_path):
    from PIL import Image

    data, cli = _desktop_cli(tmp_path)
    out = cli("install-desktop")
    assert out.returncode == 0 and "desktop menu" in out.stdout, out.stderr
    entry = data / "applications" / "io.github.localsearch.LocalSearch.desktop"
    fields = dict(line.split("=", 1) for line in entry.read_text().splitlines() if "=" in line)
    launcher = fields["Exec"].removesuffix(" gui")
    assert fields["Exec"].endswith(" gui") and (os.path.isabs(launcher) or launcher.startswith(sys.executable))
    assert fields["Icon"] == "io.github.localsearch.LocalSearch" and fields["Type"] == "Application"
    icon = data / "icons" / "hicolor" / "scalable" / "apps" / "io.github.localsearch.LocalSearch.svg"
    assert icon.read_text().lstrip().startswith("<")
    assert (data / "metainfo" / "io.github.localsearch.LocalSearch.metainfo.xml").is_file()
    for size in (16, 24, 32, 48, 64, 128, 256):  # rendered from the SVG, not drawn by hand
        image = Image.open(data / "icons" / "hicolor" / f"{size}x{size}" / "apps" /
                           "io.github.localsearch.LocalSearch.png").convert("RGBA")
        assert image.size == (size, size)
        assert image.getpixel((0, 0))[3] == 0 and image.getpixel((size - 1, size - 1))[3] == 0, \
            "transparent corners: no black outline"
        if size == 256:  # the blue background: every row of a band the same colour (no stripes)
            rows = {image.getpixel((40, y))[:3] for y in range(200, 206)}
            assert len({tuple(round(c / 8) for c in row) for row in rows}) == 1, rows
            assert image.getpixel((40, 200))[2] > 150 and image.getpixel((40, 200))[3] == 255
    again = cli("uninstall-desktop")
    assert again.returncode == 0 and "removed 10 files" in again.stdout
    assert not entry.exists() and not icon.exists()
    assert cli("uninstall-desktop").stdout.strip() == "nothing to remove"


def test_the_installed_entry_passes_desktop_file_validate(tmp_path):
    validate = shutil.which("desktop-file-validate")
    if validate is None:
        pytest.skip("desktop-file-validate is not installed (Debian: apt install desktop-file-utils)")
    data, cli = _desktop_cli(tmp_path)
    assert cli("install-desktop").returncode == 0
    checked = subprocess.run([validate, str(data / "applications" / "io.github.localsearch.LocalSearch.desktop")],
                             capture_output=True, text=True)
    assert checked.returncode == 0 and checked.stdout == "", checked.stdout


def test_the_metainfo_passes_appstream_validation_with_its_screenshots(tmp_path):
    import xml.etree.ElementTree as ET

    root = Path(__file__).resolve().parents[2]
    metainfo = root / "packaging" / "linux" / "io.github.localsearch.LocalSearch.metainfo.xml"
    shots = ET.parse(metainfo).getroot().findall("./screenshots/screenshot/image")
    assert len(shots) >= 3 and all(s.text and s.text.startswith("https://") for s in shots)
    for shot in shots:  # each URL is a file of this repository (the screenshots script refreshes them)
        assert (root / shot.text.split("/main/", 1)[1]).is_file(), shot.text
    appstream = shutil.which("appstreamcli")
    if appstream is None:
        pytest.skip("appstreamcli is not installed (Debian: apt install appstream)")
    data, cli = _desktop_cli(tmp_path)
    assert cli("install-desktop").returncode == 0
    checked = subprocess.run([appstream, "validate", "--no-net", "--explain",
                              str(data / "metainfo" / "io.github.localsearch.LocalSearch.metainfo.xml")],
                             capture_output=True, text=True)
    assert checked.returncode == 0 and "W:" not in checked.stdout and "E:" not in checked.stdout, checked.stdout
