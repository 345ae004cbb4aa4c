"""Which words pushed the model's reading of a target: integrated gradients, summed per word.

The objective is P(positive) - P(negative) in logits (``logit[positive] - logit[negative]``),
one batch row per (sentence, target), so a row's gradient comes from its own target alone.
A piece's attribution is (its word vector - the padding piece's vector) . (the mean gradient
at :data:`STEPS` points on the straight line between them), integrated gradients with the
padding piece as the "no word" baseline; a word's weight is the sum over its sub-word
pieces: positive pushed the reading toward positive, negative toward negative.

Plain gradient x input (one point, a zero baseline) was measured first and is not served:
the words it ranked strongest disagreed with deleting them more often than not
(docs/analysis.md, "The words that pushed the model").
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence

import torch

from service.engines.polarity.batching import Batch, Encoded, bracket_marks
from service.engines.polarity.classifier import LABELS, PolarityClassifier

# (start, end, weight): a whole word of the sentence, its character offsets in the
# sentence's text, and its summed attribution.
WordWeight = tuple[int, int, float]

# A word: letters and digits, joined by inner hyphens ("Royaume-Uni"); an apostrophe ends
# one (French elision: "l'", "qu'"), and punctuation is no word.
_WORD = re.compile(r"\w+(?:-\w+)*")
_NEGATIVE, _POSITIVE = LABELS.index("negative"), LABELS.index("positive")


# Points on the path from the baseline (midpoint rule), each one forward and one backward
# pass of the explained rows: 4 agreed best with deleting the words of 1, 4 and 8 (2 and 3,
# tried on the French sample alone, did no better than 1); docs/analysis.md.
STEPS = 4


def integrated_gradients(
    model: PolarityClassifier, batch: Batch, baseline_id: int, steps: int = STEPS
) -> torch.Tensor:
    """(B, T) attribution per token; the batch has exactly one target per row. Gradients
    go to the word vectors only (``autograd.grad``), never into the parameters' ``.grad``."""
    words = model.words(batch.input_ids).detach()
    baseline = model.words(torch.full_like(batch.input_ids, baseline_id)).detach()
    total = torch.zeros_like(words)
    for step in range(steps):
        point = (baseline + (step + 0.5) / steps * (words - baseline)).requires_grad_(True)
        logits = model.logits(point, batch).float()
        objective = (logits[:, _POSITIVE] - logits[:, _NEGATIVE]).sum()
        (grad,) = torch.autograd.grad(objective, point)
        total += grad
    return (total / steps * (words - baseline)).sum(-1).detach().float()


def per_word(
    text: str,
    spans: Sequence[tuple[int, int]],
    row: Encoded,
    scores: Sequence[float],
    bracketed: bool,
) -> list[WordWeight]:
    """Sum the pieces' ``scores`` into the words of ``text`` they fall in.

    ``row.offsets`` are offsets into the text the tokenizer read (with ``[ ]`` around the
    targets when ``bracketed``), so each word is moved to that text before matching; the
    marks and special tokens belong to no word. A word none of whose pieces survived the
    window (a very long sentence) is left out.
    """
    marks = bracket_marks(spans) if bracketed else []
    words = [(m.start(), m.end()) for m in _WORD.finditer(text)]
    moved = [(a + bisect_right(marks, a), b - 1 + bisect_right(marks, b - 1) + 1) for a, b in words]
    total = [0.0] * len(words)
    seen = [False] * len(words)
    w = 0
    for (s, e), score in zip(row.offsets, scores, strict=False):
        if e <= s:
            continue
        while w < len(moved) and moved[w][1] <= s:  # pieces come in text order
            w += 1
        if w < len(moved) and moved[w][0] < e:
            total[w] += score
            seen[w] = True
    return [(a, b, t) for (a, b), t, hit in zip(words, total, seen, strict=True) if hit]
