"""Fuzzed command lines end in a plain line and an exit code, never a traceback (issue 11: "plain errors,
never tracebacks"). Run in-process against a small indexed home with the fake model, so Hypothesis can
try many argument lists quickly; argparse's own usage errors (exit 2) count as plain too."""

import contextlib
import io
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from localsearch import cli
from tests import docgen

WORDS = ["search", "status", "collections", "check", "repair", "list", "remove", "remove-folder", "move-root", "-k", "0", "-5", "3", "--json", "--image", "--kind", "photo", "--type", "pdf",
         "--since", "2024-13-45", "--until", "yesterday", "-c", "docs", "nope", "--quick", "/nonexistent/x",
         "", "\x00", "é", "--collection", "--no-progress", "--exclude-self", "invoice 2024-0042", "-1"]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("fuzz")
    home = base / "home"
    (home / "config").mkdir(parents=True)
    (home / "config" / "settings.json").write_text(json.dumps({"text_model": "hashing", "ocr": False,
                                                               "image_model": "none"}))
    docs = docgen.mixed_folder(base / "docs")
    assert run(home, ["index", str(docs), "-c", "docs", "--no-progress"])[0] == 0
    return home


def run(home: Path, argv: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli.main(["--home", str(home), *argv])
        except SystemExit as e:  # argparse: usage errors and --help
            code = e.code if isinstance(e.code, int) else 2
    return code, err.getvalue()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(command=st.sampled_from(["search", "status", "collections", "check"]),
       rest=st.lists(st.sampled_from(WORDS) | st.text(max_size=12), max_size=6))
def test_any_command_line_ends_plainly(home, command, rest):
    # commands that change the shared home, read other folders or run until stopped are tested on their own
    rest = [a for a in rest if a not in {"repair", "remove", "remove-folder", "move-root", "index", "add-folder",
                                         "watch", "serve", "gui"}]
    argv = [command, *rest]
    code, err = run(home, argv)
    assert "Traceback" not in err, (argv, err)
    assert code in (0, 1, 2, 130), (argv, code, err)
    if code == 1:
        assert err.strip().startswith("localsearch: ") or "PROBLEM" in err, (argv, err)
