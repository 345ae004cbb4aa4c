"""Quality figures of the target-polarity model (issue 10), at the scorer's level.

``bench/quality.py`` (``make eval``) calls these beside the lexicon's figures:

- span targets (NewsMTSC dev, the French set ``bench/data/fr_target_sentiment.jsonl``): every
  row's sentence with its target span, the rows of one sentence sharing one encoder pass, as
  analysis sends them; the label is the most probable class;
- PerSenT documents: the target's mentions *as the service resolved them* (the lexicon answer's
  ``targets[0].mentions``), each scored in its sentence, then aggregated into one document
  label by :func:`aggregate` (mean probabilities, plus class offsets chosen on PerSenT's own
  dev split, never on the file reported: :mod:`persent`).

Nothing here trains or tunes on the data it scores.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import harness  # noqa: F401 - first: it puts this tree's service on the path

Probabilities = tuple[float, float, float]
Item = tuple[str, list[tuple[int, int]]]
CLASS_OF = (-1, 0, 1)  # the scorer's (negative, neutral, positive) order


def label(p: Sequence[float], offsets: Sequence[float] = (0.0, 0.0, 0.0)) -> int:
    """-1, 0 or 1: the most probable class after adding ``offsets`` to the log probabilities."""
    logs = [math.log(max(x, 1e-9)) + o for x, o in zip(p, offsets, strict=True)]
    return CLASS_OF[max(range(3), key=logs.__getitem__)]


def score_rows(scorer: Any, rows: list[dict[str, Any]]) -> list[Probabilities]:
    """Probabilities per NewsMTSC-shaped row (sentence, from, to); one item per sentence."""
    by_sentence: dict[str, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        by_sentence[row["sentence"]].append(i)
    sentences = list(by_sentence)
    items = [(s, [(rows[i]["from"], rows[i]["to"]) for i in by_sentence[s]]) for s in sentences]
    out: list[Probabilities] = [(0.0, 1.0, 0.0)] * len(rows)
    for sentence, probs in zip(sentences, scorer.score(items), strict=True):
        for i, p in zip(by_sentence[sentence], probs, strict=True):
            out[i] = p
    return out


def sentence_extents(tokens: list[dict[str, Any]]) -> dict[int, tuple[int, int]]:
    """Character extent of each sentence, from the answer's tokens."""
    extents: dict[int, tuple[int, int]] = {}
    for t in tokens:
        s = t["sentence"]
        start, end = extents.get(s, (t["start"], t["end"]))
        extents[s] = (min(start, t["start"]), max(end, t["end"]))
    return extents


def mention_items(text: str, body: dict[str, Any]) -> list[Item]:
    """(sentence, spans in it) for every mention of the answer's first target."""
    target = body["targets"][0]
    extents = sentence_extents(body.get("tokens", []))
    spans: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for m in target["mentions"]:
        if m["sentence"] in extents:
            spans[m["sentence"]].append((m["start"], m["end"]))
    items = []
    for s, found in sorted(spans.items()):
        start, end = extents[s]
        items.append((text[start:end], [(a - start, b - start) for a, b in found]))
    return items


def aggregate(per_mention: list[Probabilities]) -> Probabilities:
    """A document's probabilities toward its target: the mean over its mentions (neutral when
    the target has none). Mentions weigh alike: first mentions or headline mentions weighing
    more was not tried (no data here says how much)."""
    if not per_mention:
        return (0.0, 1.0, 0.0)
    n = len(per_mention)
    return (
        sum(p[0] for p in per_mention) / n,
        sum(p[1] for p in per_mention) / n,
        sum(p[2] for p in per_mention) / n,
    )
