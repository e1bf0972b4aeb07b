"""Photos that look like a given one: the photo model's nearest photos, down to a likeness, with copies told apart."""

import functools
import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from localsearch.core import cutoff, folders, scanner, search
from localsearch.core.errors import KnownError

if TYPE_CHECKING:
    from localsearch.core.searcher import Searcher, SearchResult

SAME_PHOTO = 0.7
"""EfficientNet-Lite0 cosine from which a look-alike is called the same photo: on 8 scikit-image
photos, their half-size, JPEG q20 and 80 % crop copies measured 0.77-1.0 (median 0.94) against the
original, and distinct photos at most 0.30."""


SAME_COLOURS = 1.0
"""Most L1 distance between two photos' colour histograms (extract.photo.colours) for "same photo":
resized, JPEG q20 and cropped copies of 8 scikit-image photos measured at most 0.80 (a 60 % crop),
while images the photo model scores alike but coloured otherwise (the screenshot script's sunsets,
one gradient in different hues) are far apart. The model's features alone cannot tell those."""

SAME = "same photo (resized, cropped or re-encoded)"


def _look_alike(cosine: float) -> str:
    return SAME if cosine >= SAME_PHOTO else "looks alike"


def _colours(path: str) -> np.ndarray | None:
    """A photo's colour histogram (extract.photo.colours), None where it cannot be read."""
    from localsearch.core.extract.photo import colours

    try:
        return colours(path)
    except (OSError, ValueError):
        return None


def _same_colours(asked: Callable[[], np.ndarray | None], path: str) -> bool:
    """Whether a look-alike has the colours of the photo asked about (a copy, not a recoloured likeness).
    Where either cannot be read, the features decide alone."""
    mine, theirs = asked(), _colours(path)
    return mine is None or theirs is None or float(np.abs(theirs - mine).sum()) <= SAME_COLOURS


def look_alikes(searcher: "Searcher", image_path: str, k: int = 20, collections: Sequence[str] | None = None,
                exclude_self: bool = False, min_similarity: float | None = None) -> "SearchResult":
    """Photos that look like the one at image_path (itself first, score 1.0, if it is indexed,
    unless exclude_self), down to min_similarity (None: the photo model's own threshold, see
    cutoff.looks_alike; 0: every photo, nearest first)."""
    from localsearch.core.extract.photo import to_model_input
    from localsearch.core.searcher import SearchResult

    out = SearchResult(hits=[])
    model = searcher.engine.image_embedder
    if model is None:
        out.warnings.append("photo similarity is off in settings (image_model: none)")
        return out
    try:
        pixels = to_model_input(Path(image_path))
    except OSError as e:  # missing, unreadable: the user's to fix, in one line
        raise KnownError(f"cannot read the photo {image_path}: {e.strerror or e}") from e
    vector = model.embed_images([pixels])[0][0]
    per_collection: list[list[tuple[int, float]]] = []
    cols = searcher.selected(collections)
    for col in cols:
        if col.image_model_id is None:
            continue
        if col.image_model_id != model.model_id:
            out.warnings.append(f"collection {col.name!r} has photo vectors of {col.image_model_id}; "
                                "re-index it to search its photos by similarity")
            continue
        per_collection.append(searcher.vector_index(col, "image", model.dim).search(vector, k + 1))
    floor = cutoff.looks_alike(model.model_id) if min_similarity is None else min_similarity
    asked = functools.cache(lambda: _colours(image_path))  # read once, and only if a copy is to be told
    found = search.semantic_ranked(per_collection, k + 1, floor)
    rows = searcher.reader().photo_rows(fid for fid, _ in found)
    itself = os.path.realpath(image_path)
    gone = folders.offline(searcher.reader(), [c.id for c in cols])
    seen: set[str | int] = set()
    hits = []
    for fid, score in found:
        row = rows.get(fid)
        if row is None or scanner.under_any(row.path, gone):
            continue
        is_self = os.path.realpath(row.path) == itself
        if is_self and exclude_self:
            continue
        if is_self or search.file_key(row) not in seen:  # copies listed once, but always beside the photo asked about
            seen.add(fid if is_self else search.file_key(row))
            why = "the photo itself" if is_self else _look_alike(score)
            if why == SAME and not _same_colours(asked, row.path):
                why = "looks alike"
            hits.append(replace(search.to_hit(score, row, [], why=[why]),
                                match_strength=round(min(1.0, max(0.0, score)), 3)))
    out.total, out.hits = len(hits), hits[:k]
    return out
