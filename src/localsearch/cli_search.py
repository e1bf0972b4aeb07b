"""`localsearch search`: run in the command's own process, or answered for it by a LocalSearch that is
already running (`core.resident`). Both print through `write_result`, so the text is the same."""

import argparse
import io
import json
import os
import sqlite3
import sys
import textwrap
import threading
from datetime import datetime
from typing import IO, TYPE_CHECKING, NoReturn

from localsearch import __version__
from localsearch.core import resident
from localsearch.core.errors import KnownError, catalog_error

if TYPE_CHECKING:
    from pathlib import Path

    from _typeshed import SupportsWrite

    from localsearch.core.searcher import SearchResult
    from localsearch.core.service import Service


def cmd_search(args: argparse.Namespace) -> int:
    from localsearch.core import paths
    from localsearch.core.service import Service

    asked(args, os.getcwd())
    service = Service(paths.resolve(args.home), one_off=True)
    try:
        result = found(service, args)
    finally:
        service.close()
    return write_result(result, args, sys.stdout, sys.stderr)


def found(service: "Service", args: argparse.Namespace) -> "SearchResult":
    from localsearch.core.search import Query

    if args.image:
        return service.similar(args.image, k=args.k, collections=args.collection, exclude_self=args.exclude_self,
                               min_similarity=args.min_similarity)
    query = Query(args.query, k=args.k, collections=args.collection, kind=args.kind, file_type=args.file_type,
                  modified_after=date(args.since), modified_before=date(args.until, end_of_day=True),
                  mode=args.mode, folder=args.folder, sort=args.sort, literal=args.literal)
    return service.rerank(query, service.search(query))


def write_result(result: "SearchResult", args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    for w in result.warnings:
        print(f"warning: {w}", file=err)
    if args.json:
        print(json.dumps([h.to_json() for h in result.hits], ensure_ascii=False, indent=2), file=out)
        return 0
    if not result.hits:
        print("no results", file=out)
    for i, h in enumerate(result.hits, start=1):
        why = " · ".join(h.why) or (f"page {h.page}" if h.page else "")
        print(f"{i:2}. {h.path}  [{h.collection}{', ' + why if why else ''}]", file=out)
        print("    " + textwrap.shorten(h.snippet, width=240, placeholder=" …"), file=out)  # whole words only
    return 0


def asked(args: argparse.Namespace, cwd: str) -> None:
    """Check that a search asks for something, and make --image a full path (the caller's folder `cwd` is
    not the running process's)."""
    if not args.query and not args.image:
        raise KnownError("give words to search for, or --image PATH")
    if args.image:
        args.image = os.path.normpath(os.path.join(cwd, os.path.expanduser(args.image)))


def failure_line(e: KnownError | sqlite3.DatabaseError, catalog: "Path") -> str:
    """What the command prints for a failure it knows (a damaged catalog names its file), in one line."""
    return f"localsearch: {catalog_error(catalog, e) if isinstance(e, sqlite3.DatabaseError) else e}"


def date(text: str | None, end_of_day: bool = False) -> float | None:
    if not text:
        return None
    try:
        day = datetime.strptime(text, "%Y-%m-%d")
    except ValueError as e:
        raise KnownError(f"dates are written YYYY-MM-DD, not {text!r}") from e
    return day.timestamp() + (86399.999 if end_of_day else 0)


# ---------------------------------------------------------------- answered by the running process


class _Exit(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class _Streams(threading.local):
    out: IO[str] = sys.stdout
    err: IO[str] = sys.stderr


class _Capturing(argparse.ArgumentParser):
    """An ArgumentParser whose help, usage and errors go to the calling thread's `streams` instead of the
    process's (which belong to the window or the service) and which raises instead of ending the process.
    One is built per process and shared by the threads answering: building one takes ~7 ms."""

    streams = _Streams()

    def _print_message(self, message: str, file: "SupportsWrite[str] | None" = None) -> None:
        if message:
            (self.streams.err if file is sys.stderr else self.streams.out).write(message)

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            self.streams.err.write(message)
        raise _Exit(status)


def answer_for(service: "Service") -> resident.Answer:
    """What `core.resident` calls for a search the command line sent: its arguments parsed exactly as
    `localsearch` parses them, searched on this process's Service, printed as `cmd_search` prints."""
    from localsearch.cli import build_parser

    parser = build_parser(_Capturing)

    def answer(argv: list[str], cwd: str) -> tuple[str, str, int]:
        out, err = io.StringIO(), io.StringIO()
        _Capturing.streams.out, _Capturing.streams.err = out, err
        try:
            args = parser.parse_args(argv)
            if args.command != "search":
                raise resident.Refused("not a search")
            asked(args, cwd)
            rc = write_result(found(service, args), args, out, err)
        except _Exit as e:
            rc = e.status
        except (KnownError, sqlite3.DatabaseError) as e:
            print(failure_line(e, service.paths.catalog), file=err)
            rc = 1
        return out.getvalue(), err.getvalue(), rc

    return answer


def start_resident(service: "Service") -> resident.Resident:
    """Answer the command line's searches on this home until `stop()` (the window, `watch`, `serve`)."""
    return resident.Resident(service.paths.data, answer_for(service), __version__).start()
