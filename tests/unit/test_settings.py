"""Settings are checked by type and range in one place: a bad value costs that setting its default (with
a warning naming the key), never a traceback or a silently broken index."""

import dataclasses
import json
import logging
import subprocess
import sys

import pytest

from localsearch.core import settings
from localsearch.core.settings import RULES, Settings

BAD = {
    "text_model": [42, "", None, ["x"]],
    "image_model": [0, "  "],
    "device": ["gpu", 1],
    "text_precision": ["fast", 8, None],
    "max_file_mb": ["abc", -5, 0, True, None],
    "parse_timeout_s": [0, "60"],
    "excludes": ["*.log", [1, 2], None],
    "min_similarity": ["high", 2, -3],
    "vector_compression": ["pq", None],
    "ocr": ["yes", 1],
    "follow_symlinks_outside": ["no", 0],
    "serve_api": ["on", 1],
    "api_port": ["abc", 0, 70000, 8765.5, True],
    "embed_batch": [0, -1, 2.5, "64"],
    "commit_every_chunks": [0, "many"],
    "max_passages_per_file": [0, -5, 10.5, "5000"],
    "embed_budget_s": [0, -1, "fast", None],
    "reranker": [None, 3, ["x"]],
}
GOOD = {"text_model": "/models/e5", "image_model": "none", "device": "cpu", "text_precision": "full", "max_file_mb": 5, "parse_timeout_s": 2.5,
        "excludes": ["*.log"], "min_similarity": 0.3, "vector_compression": "sq8", "ocr": False,
        "follow_symlinks_outside": True, "serve_api": True, "api_port": 9000, "embed_batch": 8,
        "commit_every_chunks": 100, "max_passages_per_file": 200, "embed_budget_s": 30,
        "reranker": "/models/cross-encoder"}


def test_every_setting_has_a_rule_and_defaults_pass_it():
    assert set(RULES) == {f.name for f in dataclasses.fields(Settings)} == set(BAD) == set(GOOD)
    for key, (ok, _) in RULES.items():
        assert ok(getattr(Settings(), key)), key


@pytest.mark.parametrize("key", sorted(BAD))
def test_a_bad_value_gives_the_default_and_names_the_key(tmp_path, caplog, key):
    for value in BAD[key]:
        path = tmp_path / "settings.json"
        path.write_text(json.dumps({**GOOD, key: value}))
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="localsearch.store"):
            loaded = settings.load(path)
        assert getattr(loaded, key) == getattr(Settings(), key), (key, value)
        assert [repr(key) in r.getMessage() for r in caplog.records] == [True], (key, value)
        others = {k: v for k, v in GOOD.items() if k != key}
        assert {k: getattr(loaded, k) for k in others} == others  # the rest of the file still applies


def test_unknown_keys_and_broken_files(tmp_path, caplog):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"colour": "blue", "ocr": False}))
    with caplog.at_level(logging.WARNING, logger="localsearch.store"):
        loaded = settings.load(path)
    assert loaded.ocr is False and "'colour'" in caplog.text
    for text in ("[1, 2]", "{not json", ""):
        path.write_text(text)
        assert settings.load(path) == Settings()


def run(home, *args):
    return subprocess.run([sys.executable, "-m", "localsearch", "--home", str(home), *args], capture_output=True,
                          text=True, timeout=300)


def test_the_command_line_survives_a_bad_settings_file_and_bad_arguments(tmp_path):
    home = tmp_path / "home"
    (home / "config").mkdir(parents=True)
    (home / "config" / "settings.json").write_text('{"text_model": 42, "max_file_mb": "abc", "embed_batch": 0}')
    r = run(home, "status")
    assert r.returncode == 0 and "Traceback" not in r.stderr
    for key in ("text_model", "max_file_mb", "embed_batch"):
        assert repr(key) in r.stderr
    for k in ("0", "-5", "ten"):
        r = run(home, "search", "rent", "-k", k)
        assert r.returncode == 2 and "at least 1" in r.stderr and "Traceback" not in r.stderr
    r = run(home, "search", "--image", str(tmp_path / "missing.jpg"))
    assert r.returncode == 1 and "cannot read the photo" in r.stderr and "Traceback" not in r.stderr
