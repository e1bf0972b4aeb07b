"""Runs the service with uvicorn on a thread of its own, so the CLI and the window host it alike: the
process that serves is the one that watches and writes (one writer).

Loopback only by default: 127.0.0.1 and, where the system has IPv6, ::1 on the same port. Any other
address must be asked for explicitly (the CLI adds a flag that says what it means).
"""

import errno
import ipaddress
import socket
import threading
import time

import uvicorn
from fastapi import FastAPI

from localsearch.core import log
from localsearch.core.errors import KnownError

DEFAULT_PORT = 8765
LOOPBACK = ("127.0.0.1", "::1")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must say TCP: asyncio sets TCP_NODELAY on accepted connections only then, and without it
    # Nagle holds a response's second write for the client's delayed ACK (/healthz took 44 ms, now ~1)
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind((host, port))
        sock.listen(128)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


def bind_sockets(host: str | None, port: int) -> list[socket.socket]:
    """Listening sockets: the loopback pair by default (::1 only where IPv6 works), else `host`."""
    hosts = [host] if host and host != "localhost" else list(LOOPBACK)
    sockets: list[socket.socket] = []
    for i, h in enumerate(hosts):
        try:
            sockets.append(_bind(h, port))
        except OSError as e:
            if i > 0:  # ::1 missing or taken: IPv4 loopback alone still serves local programs
                log.api.info("not listening on [%s]:%d: %s", h, port, e.strerror or e)
                continue
            for s in sockets:
                s.close()
            if e.errno == errno.EADDRINUSE:
                raise KnownError(f"port {port} on {h} is in use (another 'localsearch serve'?): "
                                 "choose another with --port") from e
            raise KnownError(f"cannot listen on {h} port {port}: {e.strerror or e}") from e
        port = sockets[0].getsockname()[1]  # port 0: the one the system chose, for ::1 too
    return sockets


class ApiServer:
    """uvicorn on a daemon thread; stop() lets requests in flight finish (at most `grace` seconds)."""

    def __init__(self, app: FastAPI, host: str | None = None, port: int = DEFAULT_PORT, grace: float = 2.0) -> None:
        self.sockets = bind_sockets(host, port)
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", log_config=None,
                                timeout_graceful_shutdown=int(grace) or 1, server_header=False)
        self.server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name="localsearch-http", daemon=True)
        self.error: BaseException | None = None

    @property
    def port(self) -> int:
        return int(self.sockets[0].getsockname()[1])

    @property
    def urls(self) -> list[str]:
        out = []
        for s in self.sockets:
            h = s.getsockname()[0]
            out.append(f"http://[{h}]:{self.port}" if ":" in h else f"http://{h}:{self.port}")
        return out

    def _run(self) -> None:
        try:
            self.server.run(sockets=self.sockets)
        except BaseException as e:  # reported through .error; the thread must not die silently
            log.api.exception("the HTTP service stopped on an error")
            self.error = e

    def start(self, timeout: float = 30.0) -> "ApiServer":
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if self.error is not None or not self._thread.is_alive():
                raise KnownError(f"the HTTP service did not start: {self.error}")
            if time.monotonic() > deadline:
                raise KnownError("the HTTP service did not start in time")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self.server.should_exit = True
        self._thread.join(timeout)
        for s in self.sockets:
            s.close()
