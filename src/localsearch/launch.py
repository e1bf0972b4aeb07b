"""The `localsearch` command's entry point. A search is first offered to a LocalSearch that is already
running (the window, `watch` or `serve`: `core.resident`), which answers in milliseconds what a new
process needs half a second or more to load for; everything else, and a search nobody answers, runs in
this process (`cli.main`). Only the standard library is loaded before that choice."""

import os
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        code = _ask_running(args)
    except KeyboardInterrupt:  # Ctrl-C while the running LocalSearch answers: as cli.main says it
        print("\ninterrupted", file=sys.stderr)
        return 130
    if code is not None:
        return code
    from localsearch.cli import main as run_here

    return run_here(args)


def _ask_running(argv: list[str]) -> int | None:
    from localsearch.core import resident

    split = resident.split_search(argv)
    if split is None or os.environ.get(resident.STANDALONE_ENV):
        return None
    from localsearch import __version__
    from localsearch.core import paths

    where = resident.socket_path(paths.resolve(split[0]).data)
    if where is None or not where.exists():
        return None
    answer = resident.ask(where, split[1], __version__)
    if answer is None:
        return None
    try:
        sys.stdout.write(str(answer.get("out", "")))
        sys.stdout.flush()
    except BrokenPipeError:  # `localsearch search x | head -3`, as cli.main ends it
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    sys.stderr.write(str(answer.get("err", "")))
    return int(answer["rc"])
