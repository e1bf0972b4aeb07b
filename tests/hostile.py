"""A hostile folder, as an adversarial user (or an unlucky disk) makes one: a spreadsheet of a million
cells, megabytes of text in one file, a zip bomb, junk under a PDF name, links out and in circles, a
name that is not UTF-8, a FIFO, empty files, a deep tree; and among them ordinary notes that must all
be found. Used by tests and by bench/faults.py."""

import os
import random
import zipfile
from pathlib import Path

from tests import docgen

SECRET = "the outside secret zanzibar-7731 must never be indexed"


def huge_xlsx(path: Path, cells: int) -> Path:
    """`cells` numbers and words in 10 columns, written streaming (openpyxl write-only)."""
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Ledger")
    words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]
    for r in range(cells // 10):
        sheet.append([r, words[r % 8], r * 3.5, f"acct-{r % 977}", r % 13, words[(r * 7) % 8], r * 2, "x", r % 5, "y"])
    book.save(str(path))
    return path


FILLER = ("The committee reviewed the budget, the hiring plan and the schedule for the spring release. "
          "Several members asked for clearer reports on travel costs and on the vendor contracts. ")


def notes(root: Path, n: int, filler: int = 0) -> dict[Path, str]:
    """Ordinary notes, each with one word of its own: what must be found whatever else is in the folder.
    filler: sentences of ordinary minutes around it (a full-length passage at about 6)."""
    root.mkdir(parents=True, exist_ok=True)
    out = {}
    for i in range(n):
        word = f"ordinaryword{i:04d}"
        path = root / f"note-{i:04d}.txt"
        path.write_text(f"Note {i}. Meeting minutes mention {word} and the quarterly plan. {FILLER * filler}\n")
        out[path] = word
    return out


def hostile_folder(root: Path, outside: Path, cells: int = 1_000_000, text_mib: int = 9,
                   ordinary: int = 20) -> dict[Path, str]:
    """Build it under `root` (links lead into `outside`); returns the ordinary notes and their words."""
    root.mkdir(parents=True, exist_ok=True)
    outside.mkdir(parents=True, exist_ok=True)
    (outside / "secret.txt").write_text(SECRET)
    found = notes(root / "ordinary", ordinary)
    huge_xlsx(root / "ledger.xlsx", cells)
    rng = random.Random(7)
    vocabulary = [f"tok{i}" for i in range(5000)]
    with open(root / "dump.txt", "w") as f:  # megabytes of text in one file
        written = 0
        while written < text_mib << 20:
            line = " ".join(rng.choice(vocabulary) for _ in range(14)) + ".\n"
            written += f.write(line)
    docgen.zip_bomb_docx(root / "bomb.docx", expanded_mib=600)
    (root / "junk.pdf").write_bytes(rng.randbytes(200_000))
    with zipfile.ZipFile(root / "broken.docx", "w") as z:
        z.writestr("word/document.xml", "<w:document><unclosed")
    (root / "empty.txt").write_bytes(b"")
    os.symlink(outside / "secret.txt", root / "to-secret.txt")
    os.symlink(outside, root / "to-outside")
    os.symlink(root / "loop", root / "loop")
    os.symlink(root / "nowhere", root / "broken-link")
    os.symlink(root / "ordinary", root / "ordinary-again")  # a link inside: indexed once
    (root / os.fsdecode(b"caf\xe9-latin1.txt")).write_text("a name that is not UTF-8 ordinarylatin")
    found[root / os.fsdecode(b"caf\xe9-latin1.txt")] = "ordinarylatin"
    os.mkfifo(root / "pipe.txt")
    deep = root
    for i in range(60):
        deep = deep / f"d{i}"
    deep.mkdir(parents=True)
    (deep / "deep.txt").write_text("found at the bottom: ordinarydeep")
    found[deep / "deep.txt"] = "ordinarydeep"
    return found
