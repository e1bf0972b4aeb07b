"""Words as the keyword index sees them: case and accents folded, stemmed, compounds joined.

The keyword indexes match word forms: "lineages" finds "lineage", "requires" finds "required".
Coverage, highlighting and "why it matched" must see the same words, or a passage the index found
for "develop" would show no highlighted word and get no coverage for "develops". The stemmer is
Snowball English (Porter2), as in the fast word index (store.wordindex) that answers searches; the
FTS5 table that answers while that index is built uses FTS5's own `porter` (the original Porter
algorithm), which differs on a few words ("skies": "ski" there, "sky" here).
"""

import re
import unicodedata
from functools import lru_cache

import Stemmer

_STEMMER = Stemmer.Stemmer("english")
_WORD = re.compile(r"\w+", re.UNICODE)
COMPOUND = re.compile(r"\w+(?:[-/]\w+){1,3}", re.UNICODE)
"""Hyphen and slash compounds ("birth-weight", "TCR/CD3"): indexed split, as FTS5 does, and joined."""


def fold(word: str) -> str:
    """Lower case without accents, as unicode61 with remove_diacritics 2 folds a token."""
    lowered = word.lower()
    if lowered.isascii():
        return lowered
    return "".join(c for c in unicodedata.normalize("NFKD", lowered) if not unicodedata.combining(c))


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The index's form of one word: folded, then stemmed."""
    return str(_STEMMER.stemWord(fold(word)))


def joinable(parts: list[str]) -> bool:
    """Only compounds of words: an identifier such as 2024-0042 stays a phrase of numbers, as today."""
    return all(any(c.isalpha() for c in p) for p in parts)


def joined(compound: str) -> str | None:
    """A compound of words written as one word ("birth-weight" -> "birthweight"); None for anything else
    (one word, or an identifier such as 2024-0042). The index holds these beside the split form."""
    parts = re.split(r"[-/]", compound)
    return "".join(parts) if len(parts) > 1 and COMPOUND.fullmatch(compound) and joinable(parts) else None


def joined_compounds(text: str) -> list[str]:
    """Each compound of the text written as one word ("birth-weight" -> "birthweight"), once."""
    out: dict[str, None] = {}
    for m in COMPOUND.finditer(text):
        one = joined(m.group())
        if one is not None:
            out.setdefault(one, None)
    return list(out)


def indexed_text(text: str) -> str:
    """What the keyword index holds for a passage: its text, then its compounds joined."""
    extra = joined_compounds(text)
    return text + ("\n" + " ".join(extra) if extra else "")


def term_stems(term: str) -> tuple[str, ...]:
    """A query term as the index matches it: its words' stems (a compound is a phrase of them)."""
    return tuple(stem(w) for w in _WORD.findall(term))


def significant(term: str) -> bool:
    """One-letter terms ("T cells") count for nothing: they can never be told apart from noise."""
    return sum(len(w) for w in _WORD.findall(term)) > 1
