"""Words as the keyword index sees them: case and accents folded, stemmed, compounds joined.

The keyword indexes match word forms: "lineages" finds "lineage", "requires" finds "required".
Coverage, highlighting and "why it matched" must see the same words, or a passage the index found
for "develop" would show no highlighted word and get no coverage for "develops". The stemmer is
Snowball English (Porter2), as in the fast word index (store.wordindex) that answers searches; the
FTS5 table that answers while that index is built uses FTS5's own `porter` (the original Porter
algorithm), which differs on a few words ("skies": "ski" there, "sky" here).

Chinese, Japanese and Korean are written without spaces between words, so both indexes would hold a
whole sentence as one "word" and a word inside it could never be found. As Lucene's CJK analyzer does,
a run of such characters is held as its overlapping pairs ("黑豹队的" -> "黑豹 豹队 队的"), plus each
character alone (a one-character query: "猫"); a query's run is searched as its pairs.
"""

import re
import unicodedata
from functools import lru_cache

import Stemmer

_STEMMER = Stemmer.Stemmer("english")
_WORD = re.compile(r"\w+", re.UNICODE)
COMPOUND = re.compile(r"\b\w+(?:[-/]\w+){1,3}", re.UNICODE)
"""Hyphen and slash compounds ("birth-weight", "TCR/CD3"): indexed split, as FTS5 does, and joined. The
leading \\b: without it a word followed by neither is tried again from each of its letters (3x slower)."""


CJK = ("\u2e80-\u2fdf\u3040-\u30ff\u3100-\u312f\u3190-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
       "\uac00-\ud7af\uf900-\ufaff\U00020000-\U0002fa1f")
"""Han (CJK ideographs and their extensions), Hiragana, Katakana, Bopomofo and Hangul syllables."""
_CJK_RUN = re.compile(f"[{CJK}]+")


def cjk_pairs(run: str) -> list[str]:
    """A run of CJK characters as the index matches it: its overlapping pairs (one character: itself)."""
    return [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]


_SCRIPTS = [("cjk", _CJK_RUN), ("cyrillic", re.compile("[\u0400-\u04ff]+")),
            ("arabic", re.compile("[\u0600-\u06ff\u0750-\u077f]+")), ("greek", re.compile("[\u0370-\u03ff]+")),
            ("hebrew", re.compile("[\u0590-\u05ff]+")), ("devanagari", re.compile("[\u0900-\u097f]+")),
            ("thai", re.compile("[\u0e00-\u0e7f]+")), ("latin", re.compile("[A-Za-z\u00c0-\u024f]+"))]


def script(text: str, sample: int = 400) -> str:
    """The writing system most of the text's letters are in ("latin", "cjk", "cyrillic", ...; "" for none),
    judged by its first `sample` characters."""
    head = text[:sample]
    counts = {name: sum(len(m) for m in pattern.findall(head)) for name, pattern in _SCRIPTS}
    best = max(counts, key=lambda name: counts[name])
    return best if counts[best] else ""


def has_cjk(text: str) -> bool:
    return _CJK_RUN.search(text) is not None


def is_cjk(term: str) -> bool:
    return _CJK_RUN.fullmatch(term) is not None


def spaced(text: str) -> str:
    """The text with each CJK run written as its pairs, space separated (the query side's form)."""
    if not has_cjk(text):
        return text
    return _CJK_RUN.sub(lambda m: " " + " ".join(cjk_pairs(m.group())) + " ", text)


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
    if "-" not in text and "/" not in text:
        return []
    for m in COMPOUND.finditer(text):
        one = joined(m.group())
        if one is not None:
            out.setdefault(one, None)
    return list(out)


def indexed_text(text: str) -> str:
    """What the keyword index holds for a passage: its text (CJK runs as their pairs, in order, so a
    phrase of pairs matches), then its compounds joined, then each CJK character of a longer run alone."""
    extra = joined_compounds(text)
    runs = [r for r in _CJK_RUN.findall(text) if len(r) > 1]
    if runs:
        text = spaced(text)
        extra += [" ".join(r) for r in runs]
    return text + ("\n" + " ".join(extra) if extra else "")


def term_stems(term: str) -> tuple[str, ...]:
    """A query term as the index matches it: its words' stems (a compound is a phrase of them)."""
    return tuple(stem(w) for w in _WORD.findall(term))


def significant(term: str) -> bool:
    """One-letter terms ("T cells") count for nothing: they can never be told apart from noise. One CJK
    character is a word ("猫", cat)."""
    return sum(len(w) for w in _WORD.findall(term)) > 1 or is_cjk(term)
