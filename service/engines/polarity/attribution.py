"""Which words pushed the model's reading of a target: gradient x input, summed per word.

The objective is P(positive) - P(negative) in logits (``logit[positive] - logit[negative]``),
one batch row per (sentence, target), so a row's gradient comes from its own target alone.
A word's weight is the sum over its sub-word pieces of (gradient . word vector): positive
pushed the reading toward positive, negative toward negative.
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


def gradient_x_input(model: PolarityClassifier, batch: Batch) -> torch.Tensor:
    """(B, T) attribution per token; the batch has exactly one target per row. Gradients
    go to the word vectors only (``autograd.grad``), never into the parameters' ``.grad``."""
    embeds = model.words(batch.input_ids).detach().requires_grad_(True)
    logits = model.logits(embeds, batch).float()
    objective = (logits[:, _POSITIVE] - logits[:, _NEGATIVE]).sum()
    (grad,) = torch.autograd.grad(objective, embeds)
    return (grad * embeds).sum(-1).detach().float()


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
