"""Turn (sentence, target spans) items into length-sorted padded batches, one row a sentence.

Each sentence is encoded once; each of its targets becomes a mask over the sentence's tokens,
so one encoder pass scores every target of the sentence. Training and serving share this
code, so the model sees at serving time exactly the inputs it was trained on.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from tokenizers import Tokenizer

# multilingual-e5 was trained with a "query: " or "passage: " prefix on every input.
PREFIX = "query: "

Item = tuple[str, Sequence[tuple[int, int]]]


@dataclass(slots=True)
class Encoded:
    """One sentence as token ids, per target the indices of its tokens, and each token's
    character span in the text the tokenizer read (bracketed or not; (0, 0) for the
    special and prefix tokens)."""

    ids: list[int]
    targets: list[list[int]]
    offsets: list[tuple[int, int]] = field(default_factory=list)


@dataclass(slots=True)
class Batch:
    """Padded token ids for B sentences and K target masks over them."""

    input_ids: torch.Tensor  # (B, T) int64
    attention_mask: torch.Tensor  # (B, T) int64
    target_rows: torch.Tensor  # (K,) which sentence each target is in
    target_mask: torch.Tensor  # (K, T) float, 1 on the target's tokens
    items: list[int]  # the original index of each of the B sentences


def bracket(text: str, spans: Sequence[tuple[int, int]]) -> tuple[str, list[tuple[int, int]]]:
    """``text`` with every target wrapped in ``[ ]`` (overlapping targets share one pair),
    and the targets' spans in the new text.

    All the targets of a sentence are marked at once, so they still share one pass; the
    marks tell every layer where the targets are, which pooling alone leaves to the head.
    """
    merged = _merged(spans)
    marks = bracket_marks(spans)
    pieces, last = [], 0
    for a, b in merged:
        pieces += [text[last:a], "[", text[a:b], "]"]
        last = b
    pieces.append(text[last:])

    def moved(i: int, inclusive: bool) -> int:
        return i + sum(m < i or (inclusive and m == i) for m in marks)

    return "".join(pieces), [(moved(a, True), moved(b, False)) for a, b in spans]


def _merged(spans: Sequence[tuple[int, int]]) -> list[list[int]]:
    merged: list[list[int]] = []
    for a, b in sorted((a, b) for a, b in spans if b > a):
        if merged and a < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return merged


def bracket_marks(spans: Sequence[tuple[int, int]]) -> list[int]:
    """Where :func:`bracket` inserts its one-character marks, as offsets of the original
    text, sorted: the character at original offset ``i`` moves to
    ``i + bisect_right(marks, i)``."""
    return sorted(i for pair in _merged(spans) for i in pair)


def encode(
    tokenizer: Tokenizer, items: Sequence[Item], max_tokens: int, bracketed: bool = False
) -> list[Encoded]:
    """Tokenize every sentence once and find each target's tokens.

    ``bracketed`` wraps the targets in ``[ ]`` first (see :func:`bracket`), as the weights
    of the ``bracketed`` variant were trained. A sentence longer than ``max_tokens`` keeps a
    window of tokens centred on its targets; a target with no token in the window (or an
    empty span) is pooled over the whole window.
    """
    if bracketed:
        items = [bracket(text, spans) for text, spans in items]
    shift = len(PREFIX)
    encodings = tokenizer.encode_batch([PREFIX + text for text, _ in items])
    out = []
    for (_, spans), enc in zip(items, encodings, strict=True):
        inner_ids, inner_offsets = enc.ids[1:-1], enc.offsets[1:-1]
        hits = _tokens_of(inner_offsets, [(a + shift, b + shift) for a, b in spans])
        start, stop = _window(len(inner_ids), [i for h in hits for i in h], max_tokens - 2)
        ids = [enc.ids[0], *inner_ids[start:stop], enc.ids[-1]]
        offsets = [(max(s - shift, 0), max(e - shift, 0)) for s, e in inner_offsets[start:stop]]
        targets = []
        for h in hits:
            kept = [i - start + 1 for i in h if start <= i < stop]
            targets.append(kept or list(range(1, len(ids) - 1)) or [0])
        out.append(Encoded(ids, targets, [(0, 0), *offsets, (0, 0)]))
    return out


def _tokens_of(
    offsets: Sequence[tuple[int, int]], spans: Sequence[tuple[int, int]]
) -> list[list[int]]:
    """For each character span, the tokens (non-empty) that overlap it.

    A binary search for the first token ending after the span's start: testing every token
    for every span made a sentence naming thousands of targets cost seconds."""
    ends = [e for _, e in offsets]
    ordered = all(p[0] <= q[0] and p[1] <= q[1] for p, q in itertools.pairwise(offsets))
    if not ordered:  # never seen from this tokenizer; the plain test of every token
        return [
            [i for i, (s, e) in enumerate(offsets) if e > a and s < b and e > s] for a, b in spans
        ]
    out = []
    for a, b in spans:
        i, found = bisect.bisect_right(ends, a), []
        while i < len(offsets) and offsets[i][0] < b:
            if offsets[i][1] > offsets[i][0]:
                found.append(i)
            i += 1
        out.append(found)
    return out


def _window(length: int, anchors: list[int], size: int) -> tuple[int, int]:
    if length <= size:
        return 0, length
    centre = (min(anchors) + max(anchors)) // 2 if anchors else 0
    start = max(0, min(centre - size // 2, length - size))
    return start, start + size


def batches(encoded: Sequence[Encoded], batch_size: int, pad_id: int) -> list[Batch]:
    """Length-sorted batches of at most ``batch_size`` sentences (less padding, same answers)."""
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i].ids))
    return [
        collate([encoded[i] for i in chunk], chunk, pad_id)
        for chunk in (order[k : k + batch_size] for k in range(0, len(order), batch_size))
    ]


def collate(rows: Sequence[Encoded], items: list[int], pad_id: int) -> Batch:
    """Pad ``rows`` into one batch; ``items`` are their original indices."""
    width = max(len(r.ids) for r in rows)
    input_ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    attention = torch.zeros((len(rows), width), dtype=torch.long)
    target_rows, masks = [], []
    for b, row in enumerate(rows):
        input_ids[b, : len(row.ids)] = torch.tensor(row.ids)
        attention[b, : len(row.ids)] = 1
        for tokens in row.targets:
            mask = torch.zeros(width)
            mask[tokens] = 1.0
            target_rows.append(b)
            masks.append(mask)
    target_mask = torch.stack(masks) if masks else torch.zeros((0, width))
    return Batch(
        input_ids, attention, torch.tensor(target_rows, dtype=torch.long), target_mask, items
    )
