"""PerSenT (Bastan et al., COLING 2020): the author's sentiment toward an article's main entity.

Each article goes through the service's own answer with its entity as a name target
(``options.targets: ["Donald Trump"]``); the lexicon's label is the answer's
``targets[0].sentiment.label``. The same answer's target mentions, each in its sentence, are
what the model scores (:mod:`model_quality`); the document label aggregates them.

Two files read: ``../shared/eval/persent/fixed-test.jsonl`` (827 articles, used as the project's
development set, reported) and PerSenT's own dev split (``dev.csv`` of github.com/MHDBST/PerSenT,
578 articles, fetched into a cache directory outside the repository, used only to choose the
aggregation's offsets by ``bench/persent_tune.py``). PerSenT's random_test is never read.
"""

from __future__ import annotations

import csv
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

import model_quality as mq

from service.enrichment import Answer, Enricher, EnrichRequest

LABEL = {"Negative": -1, "Neutral": 0, "Positive": 1}
SERVICE_LABEL = {"positive": 1, "negative": -1, "neutral": 0, "mixed": 0}


def read_fixed(path: Path) -> list[dict[str, Any]]:
    """The shared fixed-test file: id, text, target, label (-1/0/1)."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [
        {"id": r["id"], "text": r["text"], "target": r["target"], "label": LABEL[r["label"]]}
        for r in rows
    ]


def read_dev_csv(path: Path) -> list[dict[str, Any]]:
    """PerSenT's dev.csv in the same shape."""
    csv.field_size_limit(sys.maxsize)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [
        {
            "id": f"persent-dev-{r['DOCUMENT_INDEX']}",
            "text": r["DOCUMENT"],
            "target": r["TARGET_ENTITY"],
            "label": LABEL[r["TRUE_SENTIMENT"]],
        }
        for r in rows
    ]


def sample(docs: list[dict[str, Any]], n: int | None) -> list[dict[str, Any]]:
    """A fixed sample of ``n`` documents (seed 0, in file order), or all of them."""
    if n is None or n >= len(docs):
        return docs
    keep = set(random.Random(0).sample(range(len(docs)), n))
    return [d for i, d in enumerate(docs) if i in keep]


def answers(service: Enricher, docs: list[dict[str, Any]], **options: Any) -> list[dict]:
    """The service's answer for each document, its entity as the one name target."""
    out = []
    for i in range(0, len(docs), 8):
        batch = [
            EnrichRequest(
                d["text"],
                "en",
                include=("sentiment", "tokens"),
                targets=(d["target"],),
                **options,
            )
            for d in docs[i : i + 8]
        ]
        for answer in service.enrich_many(batch):
            assert isinstance(answer, Answer), answer
            out.append(json.loads(answer.body))
    return out


def model_probabilities(
    scorer: Any, docs: list[dict[str, Any]], bodies: list[dict]
) -> list[list[mq.Probabilities]]:
    """Per document, the model's probabilities for each of the target's mentions."""
    per_doc = [mq.mention_items(d["text"], b) for d, b in zip(docs, bodies, strict=True)]
    flat = [item for items in per_doc for item in items]
    scored = iter(scorer.score(flat))
    return [[p for _ in items for p in next(scored)] for items in per_doc]


def choose_offsets(gold: list[int], probs: list[mq.Probabilities], scores: Any) -> tuple:
    """The (negative, 0, positive) log offsets with the best macro-F1 on ``gold``: a grid of
    0.1 over [-3, 3] for each polar class, neutral fixed at 0. Only ever given tuning data."""
    grid = [round(x * 0.1, 1) for x in range(-30, 31)]
    best = (-1.0, (0.0, 0.0, 0.0))
    for neg in grid:
        for pos in grid:
            offsets = (neg, 0.0, pos)
            f1 = scores(gold, [mq.label(p, offsets) for p in probs])["macro_f1"]
            # On a tie, the smaller shift: the least departure from the model's own reading.
            if f1 > best[0] or (f1 == best[0] and abs(neg) + abs(pos) < sum(map(abs, best[1]))):
                best = (f1, offsets)
    return best[1]


def run(
    service: Enricher,
    sources: list[tuple[str, dict[str, str]]],
    scorer: Any | None,
    docs: list[dict[str, Any]],
    scores: Any,
) -> tuple[dict[str, Any], list[mq.Probabilities]]:
    """Figures on ``docs`` for each sentiment source the service answers with (``sources``,
    the lexicon first) and, when ``scorer``, the model over the lexicon answer's mentions; and
    those document probabilities (mean over mentions) for tuning or applying offsets.

    ``scores(gold, pred)`` is quality.py's scoring function.
    """
    gold = [d["label"] for d in docs]
    out: dict[str, Any] = {
        "documents": len(docs),
        "gold": {str(k): gold.count(k) for k in (-1, 0, 1)},
        "always neutral": scores(gold, [0] * len(gold)),
        "always positive": scores(gold, [1] * len(gold)),
    }
    bodies: list[dict] = []
    for name, options in sources:
        began = time.perf_counter()
        answered = answers(service, docs, **options)
        labels = [SERVICE_LABEL[b["targets"][0]["sentiment"]["label"]] for b in answered]
        seconds = round(time.perf_counter() - began, 1)
        out[f"service, {name}"] = scores(gold, labels) | {"seconds": seconds}
        bodies = bodies or answered
    out["target_without_mentions"] = sum(not b["targets"][0]["mentions"] for b in bodies)
    out["mentions_per_document"] = round(
        sum(len(b["targets"][0]["mentions"]) for b in bodies) / len(bodies), 1
    )
    if scorer is None:
        return out, []
    began = time.perf_counter()
    probs = [mq.aggregate(p) for p in model_probabilities(scorer, docs, bodies)]
    out["model (scorer, mean of mentions), no offsets"] = scores(
        gold, [mq.label(p) for p in probs]
    ) | {"seconds": round(time.perf_counter() - began, 1)}
    return out, probs
