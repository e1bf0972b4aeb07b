"""Counting a text model's own word pieces, to size passages to what it reads (no torch needed).

MiniLM reads at most 256 word pieces and drops the rest without a word. Passages sized by words
(~1.3 pieces per English word) overflow on code, man pages and technical text; sized by the model's
tokenizer, every piece of every passage reaches a vector.
"""

import json
from pathlib import Path

SPECIAL_TOKENS = 2
"""[CLS] and [SEP] take two places of the window."""


class TokenCounter:
    def __init__(self, tokenizer_file: Path, window: int) -> None:
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()
        self.max_tokens = window - SPECIAL_TOKENS

    def count(self, texts: list[str]) -> list[int]:
        """Word pieces of each text, special tokens left out."""
        if not texts:
            return []
        return [len(e.ids) for e in self.tokenizer.encode_batch(texts, add_special_tokens=False)]

    @classmethod
    def from_folder(cls, folder: Path | None) -> "TokenCounter | None":
        """The counter of a sentence-transformers model folder; None when it has no fast tokenizer."""
        if folder is None or not (folder / "tokenizer.json").exists():
            return None
        try:
            config = json.loads((folder / "sentence_bert_config.json").read_text())
            window = int(config.get("max_seq_length") or 256)
        except (OSError, ValueError):
            window = 256
        try:
            return cls(folder / "tokenizer.json", window)
        except Exception:  # a tokenizer file this version of `tokenizers` cannot read: size by words
            return None
