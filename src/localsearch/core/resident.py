"""A search asked of the LocalSearch that is already running.

A one-off `localsearch search` spends half a second or more before its first result: the interpreter,
numpy, FAISS and ONNX Runtime load, the query encoder's session opens, the vector index is read. The
window, `watch` and `serve` have all of that loaded. Each of them answers the command line's searches on
a Unix socket beside the catalog (`search.sock` in the data folder, itself private to the user), so a
search typed in a terminal while one of them runs costs one round trip. Nothing here listens on a
network; a connection from another user is refused even if the socket's permissions were loosened.

Only the standard library is imported: the command line's client side runs before anything heavy.
The server side is handed its answer (the command line's own search, writing to strings), so the text
printed is the same either way.
"""

import json
import os
import socket
import struct
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import logging

PROTOCOL = 1
SOCKET_NAME = "search.sock"
MAX_REQUEST = 1 << 20  # a search's arguments; anything larger is not ours
MAX_PATH = 100  # sockaddr_un holds 104-108 bytes, with the terminating NUL
REQUEST_TIMEOUT_S = 5.0  # for the request to arrive once connected
ANSWER_TIMEOUT_S = 120.0  # a search at 1M passages takes milliseconds; a first one loads the index (seconds)
STANDALONE_ENV = "LOCALSEARCH_STANDALONE"  # set: the command line always searches in its own process

# (argv after "search", the caller's working folder) -> (stdout text, stderr text, exit status)
Answer = Callable[[list[str], str], tuple[str, str, int]]


def _log() -> "logging.Logger":
    import logging  # only the running process logs here; the command line's side stays light

    return logging.getLogger("localsearch.resident")


class Refused(Exception):
    """The running LocalSearch will not answer this request; the caller searches in its own process."""


def socket_path(data_dir: Path) -> Path | None:
    """Where the LocalSearch using `data_dir` listens, or None if that path is too long for a socket."""
    path = data_dir / SOCKET_NAME
    return path if len(os.fsencode(path)) <= MAX_PATH else None


# ---------------------------------------------------------------- the command line's side


def split_search(argv: Sequence[str]) -> tuple[str | None, list[str]] | None:
    """(--home value, the arguments from "search" on) when argv is a search with nothing else before it
    but --home; None for every other command line (those run in-process as before)."""
    home: str | None = None
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--home" and i + 1 < len(argv):
            home, i = argv[i + 1], i + 2
        elif arg.startswith("--home="):
            home, i = arg.split("=", 1)[1], i + 1
        elif arg == "search":
            rest = list(argv[i:])  # help is laid out for the caller's terminal: it is printed here
            return None if "-h" in rest or "--help" in rest else (home, rest)
        else:
            return None
    return None


def ask(path: Path, search_argv: list[str], version: str) -> dict[str, Any] | None:
    """The running LocalSearch's answer ({"out", "err", "rc"}), or None when none answers (no socket,
    nobody listening, another version, refused): the caller then searches itself."""
    if not hasattr(socket, "AF_UNIX"):
        return None
    try:
        request = json.dumps({"protocol": PROTOCOL, "version": version, "argv": search_argv, "cwd": os.getcwd()})
    except OSError:  # the caller's folder was deleted: the command reports that as it always has
        return None
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        try:
            s.settimeout(1.0)
            s.connect(os.fspath(path))
        except OSError:  # no socket, nobody listening (a stale file), too busy to take the call
            return None
        try:
            s.settimeout(ANSWER_TIMEOUT_S)
            s.sendall(request.encode() + b"\n")
            s.shutdown(socket.SHUT_WR)
            data = _read_all(s, limit=None)
        except TimeoutError:
            sys.stderr.write(f"localsearch: the running LocalSearch did not answer in {ANSWER_TIMEOUT_S:.0f} s; "
                             "searching here instead\n")
            return None
        except OSError:  # the process went away mid-answer
            return None
    try:
        answer = json.loads(data)
    except ValueError:
        return None
    if not isinstance(answer, dict) or "rc" not in answer:
        return None  # refused (another version), or not an answer at all
    return answer


def _read_all(s: socket.socket, limit: int | None) -> bytes:
    parts: list[bytes] = []
    size = 0
    while True:
        part = s.recv(65536)
        if not part:
            return b"".join(parts)
        parts.append(part)
        size += len(part)
        if limit is not None and size > limit:
            raise Refused("request too large")


# ---------------------------------------------------------------- the running process's side


class Resident:
    """Answers the command line's searches for one data folder until stopped. `start()` returns at once:
    binding and serving happen on a thread of their own. If another process already answers there, this
    one stays quiet (`serving` stays False) and never touches its socket."""

    def __init__(self, data_dir: Path, answer: Answer, version: str) -> None:
        self.path = socket_path(data_dir)
        self.answer = answer
        self.version = version
        self.served = 0
        self.serving = threading.Event()
        self._stop = threading.Event()
        self._listener: socket.socket | None = None
        self._inode: int | None = None
        self._thread: threading.Thread | None = None
        self._answering: set[threading.Thread] = set()
        self._lock = threading.Lock()

    def start(self) -> "Resident":
        if self.path is not None and hasattr(socket, "AF_UNIX") and not os.environ.get(STANDALONE_ENV):
            self._thread = threading.Thread(target=self._run, name="resident-search", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and take the socket away (only ours: a later process's stays)."""
        self._stop.set()
        with self._lock:
            listener, self._listener = self._listener, None
        if listener is not None:
            try:
                listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            listener.close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._unlink_ours()
        with self._lock:
            answering = list(self._answering)
        for t in answering:  # searches in flight finish before the caller closes the Service they use
            t.join(timeout=10)

    def wait_serving(self, timeout: float) -> bool:
        return self.serving.wait(timeout)

    def _run(self) -> None:
        try:
            listener = self._bind()
        except OSError as e:
            _log().info("not answering command-line searches: %s", e)
            return
        if listener is None:
            return
        self.serving.set()
        while not self._stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:  # closed by stop(), or a transient failure
                if self._stop.is_set():
                    return
                continue
            answering = threading.Thread(target=self._handle, args=(conn,), name="resident-answer", daemon=True)
            with self._lock:
                self._answering = {t for t in self._answering if t.is_alive()} | {answering}
            answering.start()

    def _bind(self) -> socket.socket | None:
        assert self.path is not None
        where = os.fspath(self.path)
        if os.path.exists(where):
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
                    probe.settimeout(1.0)
                    probe.connect(where)
                _log().info("another LocalSearch answers command-line searches here already")
                return None
            except OSError:  # a stale socket left by a process that ended without removing it
                os.unlink(where)
        # Bound under a name of its own and linked into place once it listens: a client that sees the socket
        # can connect, and of two processes starting at once only one gets the name (link never replaces).
        # Made under the process's umask (077), in the data folder (0700), then for the user only; changing
        # the umask here would race with other threads making folders.
        import secrets  # here: the command line's side never needs it

        fresh = os.path.join(os.path.dirname(where), f".s{secrets.token_hex(3)}")  # no longer than `where`
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            listener.bind(fresh)
            try:
                os.chmod(fresh, 0o600)
                listener.listen(16)
                os.link(fresh, where)
            finally:
                os.unlink(fresh)
        except OSError:
            listener.close()
            raise
        self._inode = os.stat(where).st_ino
        with self._lock:
            if self._stop.is_set():
                listener.close()
                self._unlink_ours()
                return None
            self._listener = listener
        return listener

    def _unlink_ours(self) -> None:
        if self.path is None or self._inode is None:
            return
        try:
            if os.stat(self.path).st_ino == self._inode:
                os.unlink(self.path)
        except OSError:
            pass
        self._inode = None

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.settimeout(REQUEST_TIMEOUT_S)
                if not same_user(conn):
                    return
                request = json.loads(_read_all(conn, limit=MAX_REQUEST))
                reply = self._reply(request)
                conn.settimeout(ANSWER_TIMEOUT_S)
                conn.sendall(json.dumps(reply, ensure_ascii=False).encode())
            except (OSError, ValueError, Refused) as e:  # the client went away, or sent something else
                _log().info("a command-line search was not answered: %s", e)

    def _reply(self, request: Any) -> dict[str, Any]:
        if not isinstance(request, dict) or request.get("protocol") != PROTOCOL:
            return {"refused": "another protocol"}
        if request.get("version") != self.version:
            return {"refused": f"this is LocalSearch {self.version}"}
        argv, cwd = request.get("argv"), request.get("cwd")
        if not isinstance(argv, list) or not all(isinstance(a, str) for a in argv) or not isinstance(cwd, str):
            return {"refused": "not a search"}
        try:
            out, err, rc = self.answer(argv, cwd)
        except Refused as e:
            return {"refused": str(e)}
        except Exception:  # a fault here must not reach the user as a failed search: they search themselves
            _log().exception("a command-line search failed in the running LocalSearch")
            return {"refused": "failed"}
        with self._lock:  # answers run on threads of their own
            self.served += 1
        return {"out": out, "err": err, "rc": rc}


def same_user(conn: socket.socket) -> bool:
    """Whether the peer runs as this user (Linux reports it; elsewhere the 0600 socket file decides)."""
    peercred = getattr(socket, "SO_PEERCRED", None)
    if peercred is None:
        return True
    _pid, uid, _gid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, peercred, struct.calcsize("3i")))
    return bool(uid == os.getuid())
