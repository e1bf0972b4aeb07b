"""The hostile folder (tests/hostile.py) through the command line, as a user would meet it: every
ordinary note is found, nothing outside the folder is read, each bad file is one plain line in
`status`, the huge ones are indexed in part and say so, and no command shows a traceback."""

import json
import os
import sqlite3

from tests import hostile
from tests.integration.test_cli import run_cli, use_fake_model


def test_a_hostile_folder_costs_nothing_but_its_own_bad_files(tmp_path):
    home = tmp_path / "home"
    use_fake_model(home, ocr=False, max_passages_per_file=100)
    folder = hostile.hostile_folder(tmp_path / "hostile", tmp_path / "outside", cells=20_000, text_mib=1)
    first = run_cli(home, "index", str(tmp_path / "hostile"), "-c", "h")
    assert "Traceback" not in first.stderr
    for path, word in folder.items():
        hits = json.loads(run_cli(home, "search", word, "--json", "-k", "3").stdout)
        shown = os.fsencode(path).decode("utf-8", "replace")  # a name that is not UTF-8 is shown with U+FFFD
        assert hits and hits[0]["path"] == shown, word
    status = json.loads(run_cli(home, "status", "--json").stdout)["collections"][0]
    reasons = {os.path.basename(f["path"]): f["reason"] for f in status["failures"]}
    assert reasons["to-secret.txt"] == reasons["to-outside"] == "link leads outside the collection's folders (not followed)"
    assert reasons["bomb.docx"].startswith("expands to") and reasons["loop"] == "symlink loop"
    assert "broken symlink" in reasons["broken-link"] and reasons["empty.txt"].startswith("empty file")
    assert "unreadable" in reasons["junk.pdf"] and "unreadable" in reasons["broken.docx"]
    partial = {os.path.basename(p["path"]): p["note"] for p in status["partial"]}
    assert set(partial) == {"ledger.xlsx", "dump.txt"}
    assert all(n.startswith("truncated after 100 passages") for n in partial.values())
    assert not any("ordinary-again" in f["path"] for f in status["failures"])  # a link inside: skipped, not a failure
    db = sqlite3.connect(home / "data" / "catalog.sqlite3")
    try:
        assert db.execute("SELECT count(*) FROM files WHERE path LIKE '%ordinary-again%'").fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM chunks WHERE text LIKE '%zanzibar%'").fetchone()[0] == 0
    finally:
        db.close()
    again = run_cli(home, "index", "-c", "h")
    assert "0 new, 0 changed" in again.stdout and "Traceback" not in again.stderr
    assert run_cli(home, "check").returncode == 0
