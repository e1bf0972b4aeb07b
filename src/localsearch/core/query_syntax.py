"""The search bar's small query language. A plain question needs none of it; a few operators narrow it:

    "exact phrase"    every result holds these words together
    -word, -"a phrase"  no result holds it
    type:pdf          a file type (pdf, word, slides, spreadsheet, ebook, web, text, code, image) or an
                      extension (type:docx)
    kind:photo        photos only (kind:document: documents only)
    after:2024-01-01  modified on or after that day (also 2024-03, 2024); before: likewise, up to its end
    in:Invoices       inside a folder of that name (in:"Tax returns", in:Invoices/2024, or a full path)

Anything else that looks like an operator ("10:30", "http://example.org", "note:") stays words of the
question, and an operator with a value it cannot use is left out with a one-line reason.
"""

import datetime
import os
import re
from dataclasses import dataclass, field

from localsearch.core import filetypes

KINDS = {"photo": "photo", "photos": "photo", "image": "photo", "images": "photo", "picture": "photo",
         "pictures": "photo", "document": "document", "documents": "document", "doc": "document", "docs": "document"}
OPERATORS = ("type", "kind", "after", "before", "in")
SORTS = ("relevance", "modified", "name")
"""The orders a result list can come in: best match first, newest first, by file name."""
HELP = [
    ('"exact phrase"', "results hold these words together"),
    ("-word", "leave out results that hold the word"),
    ("type:pdf", "a file type (" + ", ".join(list(filetypes.FILE_TYPES)[:4]) + "…) or an extension (type:docx)"),
    ("kind:photo", "photos only (kind:document for documents)"),
    ("after:2024-01-01", "modified on or after a day (before: likewise)"),
    ("in:Invoices", "inside a folder of that name"),
]
"""(operator, what it does) for the help in the window and the command line."""

_VALUE = r'(?:"(?P<qv>[^"]*)"|(?P<v>[^\s"]+))'
_TOKEN = re.compile(
    r'(?:(?<=\s)|^)(?P<neg>-)?(?:"(?P<phrase>[^"]+)"'                # "phrase" or -"phrase"
    rf'|(?P<key>{"|".join(OPERATORS)}):{_VALUE}'                       # key:value or key:"value"
    r'|(?<=-)(?P<word>[^\W\d_][^\s"]*))',                            # -word (a word, not "-5")
    re.IGNORECASE | re.UNICODE,
)


@dataclass(frozen=True)
class Parsed:
    text: str  # the question as searched by words and meaning: operators out, phrases' words kept
    phrases: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    kind: str | None = None
    file_type: str | None = None
    after: float | None = None  # epoch seconds
    before: float | None = None
    folder: str | None = None
    problems: tuple[str, ...] = field(default=())


def _period(value: str, end: bool) -> float | None:
    """The first (or, with end, the last) moment of a day, month or year, in local time."""
    for fmt, step in (("%Y-%m-%d", "day"), ("%Y-%m", "month"), ("%Y", "year")):
        try:
            start = datetime.datetime.strptime(value, fmt)
        except ValueError:
            continue
        if not end:
            return start.timestamp()
        if step == "day":
            after = start + datetime.timedelta(days=1)
        elif step == "month":
            after = start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)
        else:
            after = start.replace(year=start.year + 1)
        return after.timestamp() - 1e-6
    return None


def file_type_of(value: str) -> str | None:
    """A FILE_TYPES key for a type name ("pdf", "word"), or an extension LocalSearch reads (".docx" for
    "docx" or ".docx": that extension alone, so type:md leaves out .txt files)."""
    name = value.lower()
    if name in filetypes.FILE_TYPES:
        return name
    ext = name if name.startswith(".") else "." + name
    return ext if any(ext in exts for exts in filetypes.FILE_TYPES.values()) and ext != "." else None


def parse(query: str) -> Parsed:
    words: list[str] = []
    phrases: list[str] = []
    excluded: list[str] = []
    found: dict[str, object] = {}
    problems: list[str] = []
    at = 0
    for m in _TOKEN.finditer(query):
        words.append(query[at : m.start()])
        at = m.end()
        if m["phrase"] is not None:
            (excluded if m["neg"] else phrases).append(m["phrase"].strip())
            if not m["neg"]:
                words.append(m["phrase"])
        elif m["word"] is not None:
            excluded.append(m["word"])
        else:
            key, value = m["key"].lower(), m["qv"] if m["qv"] is not None else m["v"]
            problem = _operator(key, value, found)
            if problem:
                problems.append(problem)
    words.append(query[at:])
    text = re.sub(r"\s+", " ", " ".join(words)).strip()
    return Parsed(text, tuple(p for p in phrases if p), tuple(excluded), problems=tuple(problems),
                  **found)  # type: ignore[arg-type]


def _operator(key: str, value: str, found: dict[str, object]) -> str | None:
    """Records key:value in `found` (Parsed's field names); returns why it cannot be used, if so."""
    if key == "kind":
        if value.lower() not in KINDS:
            return f"kind:{value} is not a kind (use kind:photo or kind:document)"
        found["kind"] = KINDS[value.lower()]
    elif key == "type":
        ftype = file_type_of(value)
        if ftype is None:
            return f"type:{value} is not a file type ({', '.join(filetypes.FILE_TYPES)}, or an extension)"
        found["file_type"] = ftype
    elif key in ("after", "before"):
        moment = _period(value, end=key == "before")
        if moment is None:
            return f"{key}:{value} is not a date (use 2024-01-31, 2024-01 or 2024)"
        found[key] = moment
    elif value.strip(" /"):
        found["folder"] = value
    else:
        return "in: needs a folder name"
    return None


def in_folder(path: str, roots: list[str], folder: str) -> bool:
    """Whether a file lies inside `folder`: a full path (or ~/...), or a name or relative path matched,
    case-insensitively, against the folders from its collection folder down (that folder's own name
    included), so in:Invoices finds ~/Documents/Invoices/2024/march.pdf."""
    if folder.startswith(("/", "~")):
        top = os.path.abspath(os.path.expanduser(folder)).rstrip("/") or "/"
        return path.startswith(top if top == "/" else top + "/")
    root = max((r for r in roots if path.startswith(r.rstrip("/") + "/")), key=len, default=None)
    below = os.path.dirname(path[len(root.rstrip("/")) + 1 :] if root else path)
    parts = ([os.path.basename(root.rstrip("/"))] if root and root != "/" else []) + [p for p in below.split("/") if p]
    wanted = [p.casefold() for p in folder.strip("/").split("/") if p]
    have = [p.casefold() for p in parts]
    return any(have[i : i + len(wanted)] == wanted for i in range(len(have) - len(wanted) + 1))
