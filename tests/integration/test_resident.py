"""`localsearch search` answered by the LocalSearch already running (core.resident): the same text, the
same exit status, and a plain search of its own whenever nobody (or somebody else) answers."""

import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from localsearch import __version__
from localsearch.cli_search import answer_for, start_resident
from localsearch.core import paths, resident
from localsearch.core.service import Service
from tests import docgen
from tests.apiserver import WAIT_SCALE
from tests.integration.test_cli import run_cli, use_fake_model

CEILING = 120 * WAIT_SCALE

SEARCHES = [
    ("invoice 2024-0042",),
    ("invoice 2024-0042", "--json"),
    ("deposit rent apartment", "-k", "1", "--mode", "keywords"),
    ("garden", "--since", "1999-01-01", "--sort", "name"),
    ("nothing like this anywhere qqzx",),
    ("rent", "-c", "no-such-collection"),  # a one-line error, exit 1
    ("rent", "--since", "last tuesday"),  # a one-line error, exit 1
    ("rent", "--bogus"),  # argparse's usage and error, exit 2
    ('"rent deposit" -garage', "--literal"),  # quotes and dashes as text
    ("--image", "docs/missing.jpg"),  # relative to the caller's folder
    (),  # neither words nor a photo
]


def cli(home: Path, *args: str, cwd: Path | None = None, alone: bool = False) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LOCALSEARCH_HOME": str(home)}
    env.pop(resident.STANDALONE_ENV, None)
    if alone:
        env[resident.STANDALONE_ENV] = "1"
    return subprocess.run([sys.executable, "-m", "localsearch", "search", *args], env=env, capture_output=True,
                          text=True, timeout=CEILING, cwd=cwd)


@pytest.fixture
def indexed(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    use_fake_model(home, ocr=False)
    run_cli(home, "index", str(docgen.mixed_folder(tmp_path / "docs")), "--collection", "docs")
    return home


def wait_for(condition, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + CEILING
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_the_running_process_answers_exactly_as_the_command_would(indexed, tmp_path):
    service = Service(paths.resolve(indexed))
    answering = start_resident(service)
    try:
        assert answering.wait_serving(CEILING)
        sock = resident.socket_path(service.paths.data)
        assert sock is not None and stat.S_ISSOCK(os.stat(sock).st_mode)
        assert stat.S_IMODE(os.stat(sock).st_mode) == 0o600  # the user's alone, like the catalog beside it
        for args in SEARCHES:
            there = cli(indexed, *args, cwd=tmp_path)
            here = cli(indexed, *args, cwd=tmp_path, alone=True)
            assert (there.returncode, there.stdout, there.stderr) == (here.returncode, here.stdout, here.stderr), args
            assert "Traceback" not in there.stderr
        assert answering.served == len(SEARCHES)  # every one of them was answered by the running process
        first = cli(indexed, *SEARCHES[0])
        assert first.returncode == 0 and "invoice.docx" in first.stdout.splitlines()[0]
        missing = cli(indexed, "--image", "docs/missing.jpg", cwd=tmp_path)
        assert str(tmp_path / "docs" / "missing.jpg") in missing.stderr and missing.returncode == 1
    finally:
        answering.stop()
        service.close()
    assert not sock.exists()  # taken away at the end
    alone = cli(indexed, *SEARCHES[0])  # and the command searches on its own again
    assert alone.returncode == 0 and "invoice.docx" in alone.stdout.splitlines()[0]


def test_nobody_listening_another_version_or_a_fault_means_searching_alone(indexed):
    service = Service(paths.resolve(indexed))
    sock = resident.socket_path(service.paths.data)
    assert sock is not None
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(os.fspath(sock))  # left behind by a process that was killed: a file, nobody listening
    stale.close()
    try:
        assert sock.exists()
        out = cli(indexed, "invoice 2024-0042")
        assert out.returncode == 0 and "invoice.docx" in out.stdout.splitlines()[0] and out.stderr == ""

        older = resident.Resident(service.paths.data, answer_for(service), "0.0.0-another").start()
        assert older.wait_serving(CEILING)  # it replaced the stale socket
        out = cli(indexed, "invoice 2024-0042")
        assert out.returncode == 0 and "invoice.docx" in out.stdout.splitlines()[0]
        assert older.served == 0  # another version's answer is not taken
        older.stop()

        def broken(argv: list[str], cwd: str) -> tuple[str, str, int]:
            raise RuntimeError("a fault in the running process")

        faulty = resident.Resident(service.paths.data, broken, __version__).start()
        assert faulty.wait_serving(CEILING)
        out = cli(indexed, "invoice 2024-0042")
        assert out.returncode == 0 and "invoice.docx" in out.stdout.splitlines()[0]
        assert "Traceback" not in out.stderr and faulty.served == 0
        faulty.stop()
    finally:
        service.close()


def test_a_second_process_leaves_the_first_one_answering(indexed):
    service = Service(paths.resolve(indexed))
    first = start_resident(service)
    second = None
    try:
        assert first.wait_serving(CEILING)
        second = start_resident(service)
        assert second._thread is not None
        second._thread.join(CEILING)
        assert not second.serving.is_set()
        second.stop()  # must not take the first one's socket away
        assert cli(indexed, "rent").returncode == 0
        assert first.served == 1
    finally:
        first.stop()
        service.close()


def test_standalone_setting_keeps_a_process_from_answering(indexed, monkeypatch):
    monkeypatch.setenv(resident.STANDALONE_ENV, "1")
    service = Service(paths.resolve(indexed))
    try:
        quiet = start_resident(service)
        assert not quiet.wait_serving(0.5) and not resident.socket_path(service.paths.data).exists()  # type: ignore[union-attr]
        quiet.stop()
    finally:
        service.close()


def test_only_plain_searches_are_sent():
    assert resident.split_search(["search", "rent"]) == (None, ["search", "rent"])
    assert resident.split_search(["--home", "/h", "search", "-k", "3", "x"]) == ("/h", ["search", "-k", "3", "x"])
    assert resident.split_search(["--home=/h", "search", "x"]) == ("/h", ["search", "x"])
    for argv in (["index", "x"], ["-v", "search", "x"], ["search", "--help"], ["search", "x", "-h"], [],
                 ["status"], ["--home"]):
        assert resident.split_search(argv) is None, argv


def start_answering(home: Path, log: Path, command: str) -> tuple[subprocess.Popen[bytes], Path]:
    """`localsearch COMMAND` (watch, gui) on `home`, once it listens for the command line's searches."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env.pop(resident.STANDALONE_ENV, None)
    proc = subprocess.Popen([sys.executable, "-m", "localsearch", "--home", str(home), command], env=env,
                            stdout=open(log, "wb"), stderr=subprocess.STDOUT)
    sock = resident.socket_path(paths.resolve(home).data)
    assert sock is not None
    wait_for(lambda: sock.exists() or proc.poll() is not None, f"{command} to listen")
    assert proc.poll() is None, log.read_text()
    return proc, sock


def test_watch_answers_while_it_runs(indexed, tmp_path):
    log = tmp_path / "watch.log"
    watch, sock = start_answering(indexed, log, "watch")
    try:
        assert resident.ask(sock, ["search", "rent"], __version__) is not None  # it is the watcher answering
        there, here = cli(indexed, "invoice 2024-0042", "--json"), cli(indexed, "invoice 2024-0042", "--json",
                                                                          alone=True)
        assert there.returncode == 0 and there.stdout == here.stdout
        watch.send_signal(signal.SIGINT)
        assert watch.wait(timeout=CEILING) == 0
    finally:
        watch.kill()
    assert not sock.exists()
    assert "Traceback" not in log.read_text()


def test_the_window_answers_and_closes_cleanly_on_sigterm(indexed, tmp_path):
    log = tmp_path / "window.log"
    window, sock = start_answering(indexed, log, "gui")
    try:
        answer = resident.ask(sock, ["search", "invoice 2024-0042", "--json"], __version__)
        assert answer is not None and answer["rc"] == 0
        assert answer["out"] == cli(indexed, "invoice 2024-0042", "--json", alone=True).stdout
        window.send_signal(signal.SIGTERM)  # a session logging out: closed as by its close button
        assert window.wait(timeout=CEILING) == 0, log.read_text()
    finally:
        window.kill()
    assert not sock.exists() and "Traceback" not in log.read_text()
    after = cli(indexed, "invoice 2024-0042")
    assert after.returncode == 0 and "invoice.docx" in after.stdout.splitlines()[0] and after.stderr == ""


def test_stopping_waits_for_a_search_in_flight(tmp_path):
    import threading

    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    entered, release = threading.Event(), threading.Event()

    def slow(argv: list[str], cwd: str) -> tuple[str, str, int]:
        entered.set()
        assert release.wait(CEILING)
        return "found\n", "", 0

    answering = resident.Resident(data, slow, __version__).start()
    assert answering.wait_serving(CEILING)
    got: list[object] = []
    asking = threading.Thread(target=lambda: got.append(resident.ask(answering.path, ["search", "x"], __version__)))
    asking.start()
    assert entered.wait(CEILING)
    stopping = threading.Thread(target=answering.stop)
    stopping.start()
    stopping.join(0.3)
    assert stopping.is_alive()  # the window closes its Service only after this search has its answer
    release.set()
    stopping.join(CEILING)
    asking.join(CEILING)
    assert got == [{"out": "found\n", "err": "", "rc": 0}]
    assert not (data / resident.SOCKET_NAME).exists()


def test_answers_at_once_keep_their_own_output(indexed, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    service = Service(paths.resolve(indexed))
    try:
        answer = answer_for(service)
        asked = [["search", *args] for args in SEARCHES] * 4
        alone = [answer(a, str(tmp_path)) for a in asked]
        with ThreadPoolExecutor(8) as pool:
            together = list(pool.map(lambda a: answer(a, str(tmp_path)), asked))
        assert together == alone
        assert {rc for _, _, rc in alone} == {0, 1, 2}  # hits, one-line errors and argparse's own
    finally:
        service.close()


def test_a_caller_of_another_user_gets_no_answer(indexed, monkeypatch):
    a, b = socket.socketpair(socket.AF_UNIX)
    with a, b:
        assert resident.same_user(a)  # the peer of a pair made here is this user (Linux reports its uid)
    service = Service(paths.resolve(indexed))
    monkeypatch.setattr(resident, "same_user", lambda conn: False)  # as SO_PEERCRED would report another uid
    answering = start_resident(service)
    try:
        assert answering.wait_serving(CEILING)
        assert resident.ask(answering.path, ["search", "rent"], __version__) is None  # closed without a word
        out = cli(indexed, "invoice 2024-0042")  # the command then searches on its own
        assert out.returncode == 0 and "invoice.docx" in out.stdout.splitlines()[0]
        assert answering.served == 0
    finally:
        answering.stop()
        service.close()
