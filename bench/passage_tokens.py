"""How much of each passage the text model actually reads: passages sized by words vs by its tokenizer.

    python bench/passage_tokens.py DIR [DIR ...] [--max-files N]

Reads the plain-text files (.txt .md .rst, and man pages or changelogs compressed with gzip) under
the folders, chunks each as the indexer would, once with the word budget (the old way) and once
with the model's own word pieces (what `index` does now), and counts with the packaged model's
tokenizer: passages longer than its window (256 pieces, 254 after [CLS]/[SEP]), and the share of
all word pieces that fall past the window and so never reach a vector. No model is run.
"""

import argparse
import gzip
import json
import sys
from pathlib import Path

from localsearch.core import chunking, passages
from localsearch.core.embed.sentence import packaged_model_dir
from localsearch.core.embed.tokens import TokenCounter
from localsearch.core.types import Extracted

SUFFIXES = {".txt", ".md", ".rst", ".gz"}


def texts(folders: list[Path], limit: int) -> list[str]:
    out = []
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if len(out) >= limit:
                return out
            if not path.is_file() or path.suffix not in SUFFIXES or path.stat().st_size > 2_000_000:
                continue
            try:
                data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
                text = data.decode("utf-8")
            except (OSError, UnicodeDecodeError, EOFError, gzip.BadGzipFile):
                continue
            if len(text.split()) > 20:
                out.append(text)
    return out


def measure(docs: list[str], counter: TokenCounter, by_tokens: bool) -> dict[str, float]:
    over = total_passages = pieces = lost = 0
    for text in docs:
        title = passages.title_of(Extracted(text=text))
        budget = passages.budget_for_counter(counter, title) if by_tokens else chunking.WORDS
        chunks = chunking.chunk_text(text, budget=budget)
        inputs = [passages.embedding_text(title if by_tokens else None, c.text) for c in chunks]
        for n in counter.count(inputs):
            total_passages += 1
            pieces += n
            if n > counter.max_tokens:
                over += 1
                lost += n - counter.max_tokens
    return {"passages": total_passages, "over_window_pct": round(100 * over / max(total_passages, 1), 1),
            "pieces_never_embedded_pct": round(100 * lost / max(pieces, 1), 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folders", nargs="+", type=Path)
    ap.add_argument("--max-files", type=int, default=3000)
    args = ap.parse_args()
    counter = TokenCounter.from_folder(packaged_model_dir())
    if counter is None:
        sys.exit("the packaged model has no tokenizer.json")
    docs = texts(args.folders, args.max_files)
    print(json.dumps({"files": len(docs), "by_words": measure(docs, counter, False),
                      "by_model_tokens": measure(docs, counter, True)}, indent=1))


if __name__ == "__main__":
    main()
