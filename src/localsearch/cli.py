"""The `localsearch` command line: the same core services as the window, for scripts and tests."""

import argparse
import contextlib
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from localsearch import __version__, cli_check, cli_search
from localsearch.core import log, paths, query_syntax, wording
from localsearch.core.errors import KnownError
from localsearch.core.filetypes import FILE_TYPES

if TYPE_CHECKING:
    from localsearch.core.indexer import Progress


def _count(text: str) -> int:
    """-k: a whole number of at least 1 (0 or -5 used to return nothing, silently)."""
    try:
        k = int(text)
    except ValueError:
        k = 0
    if k < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text!r}")
    return k


def build_parser(cls: type[argparse.ArgumentParser] = argparse.ArgumentParser) -> argparse.ArgumentParser:
    p = cls(prog="localsearch", description="Search your documents by meaning, offline.")
    p.add_argument("--home", metavar="DIR", help="keep all data, cache and config under DIR "
                   "(default: $LOCALSEARCH_HOME, else the per-user folders)")
    p.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    p.add_argument("--version", action="version", version=f"localsearch {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("gui", help="open the window (the default with no command)")

    ix = sub.add_parser("index", help="index folders into a collection (only what changed since last time)")
    ix.add_argument("folders", nargs="*", help="folders to add to the collection (none: re-index its folders)")
    ix.add_argument("-c", "--collection", help="collection name (default: the folder's name)")
    ix.add_argument("--no-progress", action="store_true", help="no progress bar")
    ix.add_argument("--no-photo-text", action="store_true",
                    help="skip reading text in photos and scanned PDFs this time (the window's watcher reads it later)")

    se = sub.add_parser("search", help="search by meaning and by words, or by a photo",
                        formatter_class=argparse.RawDescriptionHelpFormatter,
                        epilog="a question needs no syntax; these narrow it:\n" + "\n".join(
                            f"  {op:<18}{what}" for op, what in query_syntax.HELP))
    se.add_argument("query", nargs="?", help="words to search for (operators below)")
    se.add_argument("--image", metavar="PATH", help="find photos that look like this one")
    se.add_argument("--exclude-self", action="store_true", help="with --image: leave the photo itself out")
    se.add_argument("--min-similarity", type=float, metavar="X",
                    help="with --image: least likeness, 0-1 (default: the photo model's look-alike threshold; "
                         "0: every photo, nearest first)")
    se.add_argument("-k", type=_count, default=10, help="number of files to return (default 10)")
    se.add_argument("-c", "--collection", action="append", help="search only this collection (repeatable)")
    se.add_argument("--kind", choices=["document", "photo"], help="only documents or only photos")
    se.add_argument("--mode", choices=["hybrid", "keywords", "meaning"], default="hybrid",
                    help="hybrid (default): words and meaning together; keywords: the words alone (BM25); "
                         "meaning: the meaning alone")
    se.add_argument("--type", dest="file_type", choices=sorted(FILE_TYPES), help="only this type of file")
    se.add_argument("--since", metavar="DATE", help="only files modified on or after DATE (YYYY-MM-DD)")
    se.add_argument("--until", metavar="DATE", help="only files modified on or before DATE (YYYY-MM-DD)")
    se.add_argument("--folder", metavar="FOLDER", help="only files inside FOLDER (a name such as Invoices, or a path)")
    se.add_argument("--sort", choices=query_syntax.SORTS, default="relevance",
                    help="relevance (default), modified (newest first) or name")
    se.add_argument("--json", action="store_true", help="print a JSON array of hits")
    se.add_argument("--literal", action="store_true", help="the words as given: quotes, a leading - and word: "
                    "are part of the text, not operators (for pasted or generated text)")

    wa = sub.add_parser("watch", help="keep collections current as files change (foreground; Ctrl-C stops)")
    wa.add_argument("-c", "--collection", action="append", help="watch only this collection (repeatable)")
    wa.add_argument("--poll", action="store_true", help="poll instead of OS file events (network shares)")

    sv = sub.add_parser("serve", help="let other programs on this computer search over HTTP (keeps collections "
                        "current too; Ctrl-C stops)")
    sv.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 and ::1 (default 8765; 0: any free)")
    sv.add_argument("--host", metavar="ADDR", help="listen on ADDR instead of loopback: other computers can then "
                    "reach your files' text (needs --i-know-this-exposes-my-files; the token is still required)")
    sv.add_argument("--i-know-this-exposes-my-files", dest="expose", action="store_true", help=argparse.SUPPRESS)
    sv.add_argument("--cors-origin", action="append", metavar="ORIGIN",
                    help="let web pages of ORIGIN (e.g. a browser extension) read results (repeatable; none by default)")
    sv.add_argument("--show-token", action="store_true", help="print the access token (made on first use) and exit")
    sv.add_argument("--poll", action="store_true", help="poll instead of OS file events (network shares)")

    sub.add_parser("install-desktop", help="list LocalSearch in the desktop's menu and search (your own data "
                   "folder, no root)")
    sub.add_parser("uninstall-desktop", help="take LocalSearch out of the desktop's menu again")
    st = sub.add_parser("status", help="collections, files, chunks, failures, model, index sizes")
    st.add_argument("--json", action="store_true")

    co = sub.add_parser("collections", help="list or remove collections; add, remove or re-point their folders")
    co_sub = co.add_subparsers(dest="action", metavar="ACTION")
    co_sub.add_parser("list", help="list collections")
    rm = co_sub.add_parser("remove", help="remove a collection and its indexes (your files are not touched)")
    rm.add_argument("name")
    af = co_sub.add_parser("add-folder", help="add a folder to a collection (made if new) and index it")
    af.add_argument("name")
    af.add_argument("folder")
    rf = co_sub.add_parser("remove-folder", help="stop searching one folder of a collection (your files are not "
                           "touched)")
    rf.add_argument("name")
    rf.add_argument("folder")
    mr = co_sub.add_parser("move-root", help="a folder moved or was renamed: point its collection at the new place "
                           "(nothing is indexed again)")
    mr.add_argument("old")
    mr.add_argument("new")
    mr.add_argument("-c", "--collection", help="only this collection (default: every one that searches OLD)")
    cli_check.add_parsers(sub)
    return p


class ProgressBar:
    """A one-line progress bar on stderr; silent when stderr is not a terminal unless forced."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.started = time.monotonic()
        self.last = 0.0

    def __call__(self, p: "Progress") -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if p.phase in ("reading text", "embedding") and p.done == 0:
            self.started = now  # a later phase: its own rate and ETA
        counted = ("indexing", "embedding", "reading text", "upgrading keywords", "compacting")
        if p.phase in counted and now - self.last < 0.1 and p.done < p.total:
            return
        self.last = now
        if p.phase == "scanning":
            line = f"{p.collection}: scanning…"
        elif p.phase == "compacting file":
            line = f"{p.collection}: compacting the catalog (giving its free space back)…" if p.done < p.total else \
                f"{p.collection}: catalog compacted"
        else:
            frac = p.done / p.total if p.total else 1.0
            bar = "█" * int(frac * 30) + "·" * (30 - int(frac * 30))
            rate = p.done / max(now - self.started, 1e-6)
            eta = (p.total - p.done) / rate if rate > 0 and p.done < p.total else 0
            if p.phase == "reading text":
                line = f"{p.collection} {bar} reading text in photos and scans {p.done}/{p.total}, ETA {eta:.0f}s"
            elif p.phase == "embedding":
                line = (f"{p.collection} {bar} meaning: {p.done}/{p.total} passages (all searchable by words), "
                        f"ETA {eta:.0f}s")
            elif p.phase == "upgrading keywords":
                line = f"{p.collection} {bar} upgrading the keyword index {p.done}/{p.total} passages"
            elif p.phase == "compacting":
                line = f"{p.collection} {bar} compacting the catalog {p.done}/{p.total} passages"
            else:
                line = (f"{p.collection} {bar} {p.done}/{p.total} files, {p.chunks} chunks, "
                        f"{p.failures} failed, ETA {eta:.0f}s")
        sys.stderr.write("\r" + line[:150].ljust(100))
        if p.phase in ("done", "cancelled"):
            sys.stderr.write("\n")
        sys.stderr.flush()


def _service(args: argparse.Namespace) -> Any:
    from localsearch.core.service import Service  # after logging is set up; keeps --help instant

    return Service(paths.resolve(args.home))


def cmd_index(args: argparse.Namespace) -> int:
    folders = [str(Path(f).expanduser().resolve()) for f in args.folders]
    for f in folders:
        if not Path(f).exists():
            raise KnownError(f"folder not found: {f}")
    name = args.collection or (Path(folders[0]).name if len(folders) == 1 else None)
    if not name:
        raise KnownError("name the collection with --collection NAME")
    service = _service(args)
    if not folders:
        service.catalog.collection(name)  # re-indexing needs an existing collection
    cancel = threading.Event()

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        if cancel.is_set():
            raise KeyboardInterrupt
        sys.stderr.write("\nstopping after the current batch (Ctrl-C again to abort)…\n")
        cancel.set()

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        bar = ProgressBar(enabled=not args.no_progress and sys.stderr.isatty())
        report = service.index(name, folders, on_progress=bar, cancel=cancel,
                               read_photo_text=not args.no_photo_text, on_wait=_say_waiting)
    finally:
        signal.signal(signal.SIGINT, previous)
        service.close()
    if report.reindexed_from:
        print(f"model changed from {report.reindexed_from}: collection '{name}' was re-indexed and switched")
    elif report.switching_to and report.cancelled:
        print(f"{name}: switching to {report.switching_to} stopped part way; the current index serves until "
              f"'localsearch index -c {name}' finishes it")
    print(f"{name}: {report.scanned} files seen; {report.added} new, {report.updated} changed, "
          f"{report.moved} moved, {report.removed} removed, {report.unchanged} unchanged, "
          f"{report.retried} earlier failures retried, "
          f"{report.failed} failed; {report.chunks - report.reused_chunks} chunks embedded in {report.seconds:.1f} s")
    if report.reused:
        print(f"{report.reused} files had the same content as files already indexed: their vectors were reused "
              f"({report.reused_chunks} passages)")
    for folder in report.offline:
        print(f"  missing: {folder}: its files are kept but not shown until it is back (if it moved: "
              "localsearch collections move-root OLD NEW)")
    if report.photos_read:
        print(f"text read in {report.photos_read} photos and scans")
    for path, reason in report.errors[:20]:
        print(f"  failed: {path}: {reason}")
    if len(report.errors) > 20:
        print(f"  … and {len(report.errors) - 20} more (see 'localsearch status')")
    if report.cancelled:
        print("stopped early; run the same command again to finish")
        return 130
    return 0


def _say_waiting(holder: str) -> None:
    sys.stderr.write(f"waiting for the running indexer ({holder}) to finish; a window, 'watch' or 'serve' keeps "
                     "its collections current itself and holds on until it stops. Ctrl-C stops waiting.\n")
    sys.stderr.flush()


@contextlib.contextmanager
def _stop_signals() -> Iterator[threading.Event]:
    """Ctrl-C and SIGTERM set the event, so a foreground command stops cleanly; both handlers are
    restored afterwards."""
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda signum, frame: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _run_until(stop: threading.Event, failed: Callable[[], bool]) -> None:
    """Wait for Ctrl-C / SIGTERM, or for a background part to fail."""
    while not stop.wait(0.5) and not failed():
        pass


def cmd_watch(args: argparse.Namespace) -> int:
    if not args.verbose:
        log.setup(logging.INFO)
    service = _service(args)
    if not service.catalog.collections():
        raise KnownError("no collections yet: localsearch index FOLDER --collection NAME")
    for name in args.collection or []:
        service.catalog.collection(name)
    with _stop_signals() as stop:
        w = service.watcher(args.collection, force_polling=args.poll).start()
        answering = cli_search.start_resident(service)  # `localsearch search` in a terminal asks this process
        log.watch.info("watching %s; Ctrl-C stops", ", ".join(w.roots))
        try:
            _run_until(stop, lambda: w.error is not None)
        finally:
            log.watch.info("stopping: committing what is done")
            answering.stop()
            w.stop()
            service.close()
    if w.error is not None:
        raise w.error
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from localsearch.api import server, tokens

    if args.host and not server.is_loopback(args.host) and not args.expose:
        raise KnownError(f"listening on {args.host} lets other computers search the text of your files; if you mean "
                         "it, add --i-know-this-exposes-my-files (requests still need the token)")
    if not 0 <= args.port <= 65535:
        raise KnownError(f"--port must be from 0 to 65535, not {args.port}")
    home = paths.resolve(args.home)
    token = tokens.load_or_create(home.config)
    if args.show_token:
        print(token)
        return 0
    if not args.verbose:
        log.setup(logging.INFO)
    from localsearch.api.app import Host, create_app

    service = _service(args)
    with _stop_signals() as stop:
        # The watcher takes the writer lock in its own thread: while the window or 'watch' holds it, searches
        # are served and the watcher waits; it keeps the collections current once the other one stops.
        w = service.watcher(force_polling=args.poll).start() if service.catalog.collections() else None
        answering = cli_search.start_resident(service)
        api = None
        try:
            api = server.ApiServer(create_app(Host(service, token, lambda: w), args.cors_origin or ()),
                                   host=args.host, port=args.port).start()
            print(f"LocalSearch service on {' and '.join(api.urls)} (docs: {api.urls[0]}/docs); "
                  "token: localsearch serve --show-token; Ctrl-C stops", flush=True)
            running = api
            _run_until(stop, lambda: (w is not None and w.error is not None) or running.error is not None)
        finally:
            answering.stop()
            if api is not None:
                api.stop()
            if w is not None:
                log.watch.info("stopping: committing what is done")
                w.stop()
            service.close()
    if w is not None and w.error is not None:
        raise w.error
    if api is not None and api.error is not None:
        raise KnownError(f"the HTTP service stopped: {api.error}")
    return 0


def _when(ts: float | None) -> str:
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M") if ts else "never"


def cmd_install_desktop(args: argparse.Namespace) -> int:
    from localsearch import desktop

    try:
        out = desktop.install()
    except (OSError, ValueError, RuntimeError) as e:  # a missing file, an unwritable folder, an unreadable icon
        raise KnownError(f"cannot add LocalSearch to the desktop menu: {e}") from e
    print(f"LocalSearch is in the desktop menu: {out.desktop} (icon {out.icon}); "
          "'localsearch uninstall-desktop' takes it out")
    return 0


def cmd_uninstall_desktop(args: argparse.Namespace) -> int:
    from localsearch import desktop

    removed = desktop.uninstall()
    print(f"removed {wording.counted(len(removed), 'file')} from {desktop.data_home()}" if removed else "nothing to remove")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    service = _service(args)
    try:
        st = service.status()
    finally:
        service.close()
    if args.json:
        print(json.dumps(st, indent=2, ensure_ascii=False))
        return 0
    print(f"data: {st['data_dir']}  ({wording.size_text(st['data_bytes'])} on disk, of which the catalog "
          f"{wording.size_text(st['catalog_bytes'])})")
    print(f"text model: {st['model']}")
    if not st["collections"]:
        print("no collections yet: localsearch index FOLDER --collection NAME")
    for c in st["collections"]:
        print(f"\n{c['name']}: {wording.counted(c['files'], 'file')}, {wording.counted(c['chunks'], 'passage')}, "
              f"{c['failed']:,} failed, "
              f"vector index {wording.size_text(c['vector_index_bytes'])}, last indexed {_when(c['last_indexed'])}")
        switching = c["switching"]
        print(f"  model: {c['model'] or '(none yet)'}"
              + (f"  — switching to {switching['model']}: {switching['files']} of {switching['of']} files so far "
                 "(searches use the current index meanwhile; localsearch index -c " + c["name"] + " goes on)"
                 if switching else "")
              + ("  — NEEDS REINDEX (model changed): run localsearch index -c " + c["name"]
                 if c["needs_reindex"] and not switching else ""))
        if c["unembedded"]:
            print(f"  {c['unembedded']} passages are found by their words, not yet by meaning: they are embedded once "
                  f"every file is read (a stopped run's by the next 'localsearch index -c {c['name']}' or the window)")
        if c["hint"]:
            print(f"  hint: {c['hint']} (\"text_model\": \"multilingual\")")
        if not c["roots"]:
            print(f"  no folders: localsearch collections add-folder {c['name']} DIR")
        for r in c["roots"]:
            print(f"  folder: {r}" + ("  — OFFLINE (missing: its files are kept, not shown; if it moved: "
                                      "localsearch collections move-root OLD NEW)" if r in c["offline"] else ""))
        if c["watch"]:
            w = c["watch"]
            print(f"  live: {w['mode']}{' (' + w['detail'] + ')' if w['detail'] else ''}, {w['pending']} pending,"
                  f" last change seen {_when(w['last_change']) if w['last_change'] else 'none yet'}")
        for f in c["failures"][:50]:
            print(f"  failed: {f['path']}: {f['reason']}")
        if len(c["failures"]) > 50:
            print(f"  … and {len(c['failures']) - 50} more (--json lists all)")
        for f in c["partial"][:50]:
            print(f"  partly indexed: {f['path']}: {f['note']}")
    return 0


def cmd_collections(args: argparse.Namespace) -> int:
    if args.action == "add-folder":
        folder = _service_call(args, lambda s: s.add_folder(args.name, args.folder))
        print(f"added {folder} to collection '{args.name}'")
        args.folders, args.collection, args.no_progress, args.no_photo_text = [], args.name, False, False
        return cmd_index(args)
    service = _service(args)
    try:
        if args.action == "remove":
            service.remove_collection(args.name)
            print(f"removed collection '{args.name}' (your files were not touched)")
        elif args.action == "remove-folder":
            dropped = service.remove_folder(args.name, args.folder, on_wait=_say_waiting)
            print(f"collection '{args.name}' no longer searches {args.folder} ({dropped} files left the index; "
                  "your files were not touched)")
        elif args.action == "move-root":
            for name, kept in service.move_root(args.old, args.new, args.collection, on_wait=_say_waiting):
                print(f"collection '{name}': {args.old} is now {Path(args.new).expanduser().resolve()} "
                      f"({kept} files kept, nothing indexed again)")
        else:
            for col in service.catalog.collections():
                print(col.name)
    finally:
        service.close()
    return 0


def _service_call(args: argparse.Namespace, call: Callable[[Any], Any]) -> Any:
    service = _service(args)
    try:
        return call(service)
    finally:
        service.close()


COMMANDS = {"index": cmd_index, "search": cli_search.cmd_search, "watch": cmd_watch, "serve": cmd_serve, "status": cmd_status,
            "install-desktop": cmd_install_desktop, "uninstall-desktop": cmd_uninstall_desktop,
            "collections": cmd_collections, "check": cli_check.cmd_check, "repair": cli_check.cmd_repair}


def main(argv: Sequence[str] | None = None) -> int:
    os.umask(0o077)  # whatever this process writes (index, caches, Qt's window state) is the user's alone
    parser = build_parser()
    args = parser.parse_args(argv)
    log.setup(logging.INFO if args.verbose else logging.WARNING)
    if args.command in (None, "gui"):
        from localsearch.gui import app

        if not app.has_display():
            parser.print_help()
            print("\nno display found: the window needs a desktop session; the commands above work anywhere.")
            return 0 if args.command is None else 1
        return app.main(args.home, args.verbose)
    import sqlite3

    try:
        return COMMANDS[args.command](args)
    except (KnownError, sqlite3.DatabaseError) as e:  # a database error: damage past the check at open, a full disk
        print(cli_search.failure_line(e, paths.resolve(args.home).catalog), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`localsearch search x | head -3`): nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # Python's flush at exit would fail too
        return 141  # 128 + SIGPIPE, as a shell reports a pipe's writer cut off
