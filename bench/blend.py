"""How much the learned model decides a target's label: ``WEIGHTS.model_sure`` swept on
target-sentiment rows (NewsMTSC, or the French set), one service run per file.

    POLARITY_WEIGHTS=<file> python bench/blend.py ../shared/eval/newsmtsc/rw-train.jsonl \\
        [--rows 1500] [--language en]

Each row is sent through the service's enrichment path (as bench/quality.py does: a span
target, ``include: [sentiment]``); the contributions summarised for its target are kept (by
text and span: a batch's documents are not analysed in the order sent), then summarised
again under each threshold. ``0`` is the model's mean reading alone, ``1.01``
never lets it decide alone (the push of ``WEIGHTS.model`` summed with the lexicon's words).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness import machine  # first: it puts this tree's service on the path
from quality import LABELS, _scores, setup, span_answers

import service.analysis as analysis
from service.analysis import evidence
from service.analysis.evidence import Contribution, linked
from service.analysis.mentions import Mention
from service.analysis.sentiment import backoff
from service.analysis.syntax import Tree
from service.analysis.targets import Target
from service.config import Settings

THRESHOLDS = (0.0, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01)


def captured(path: Path, rows: int, language: str) -> tuple[list[int], list[list[Contribution]]]:
    """Gold polarities and the contributions the service summarised for each row's target."""
    data = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    data = data[:rows] if rows else data
    seen: dict[tuple[str, int, int], list[Contribution]] = {}
    target_sentiment = analysis._target_sentiment

    def keep(tree: Tree, target: Target, score: Callable[..., Any]) -> evidence.Summary:
        kept: list[Contribution] = []

        def scored(mention: Mention) -> list[Contribution]:
            out = score(mention)
            kept.extend(out)
            return out

        summary = target_sentiment(tree, target, scored)
        if not linked(kept):
            kept += backoff(tree, target.mentions)  # as _target_sentiment adds it
        seen[(tree.doc.text, target.start or 0, target.end or 0)] = kept
        return summary

    analysis._target_sentiment = keep
    env = Settings.from_env()  # POLARITY_WEIGHTS and POLARITY_BF16, as the service reads them
    service = setup((language,), env.polarity_weights, env.polarity_bf16).service
    for _ in span_answers(service, data, language):  # the answers only fill ``seen``
        pass
    analysis._target_sentiment = target_sentiment
    kept = [seen[(r["sentence"], r["from"], r["to"])] for r in data]
    return [int(r["polarity"]) for r in data], kept


def main() -> int:
    """Print macro-F1 and accuracy per threshold as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", type=Path)
    parser.add_argument("--rows", type=int, default=0, help="the first N rows (0: all)")
    parser.add_argument("--language", default="en")
    args = parser.parse_args()
    gold, seen = captured(args.path, args.rows, args.language)
    weights = evidence.WEIGHTS
    report: dict[str, object] = {"machine": machine(), "rows": len(gold)}
    unread = sum(not any(c.kind is evidence.Kind.MODEL for c in s) for s in seen)
    report["rows without a model reading"] = unread
    for sure in THRESHOLDS:
        evidence.WEIGHTS = dataclasses.replace(weights, model_sure=sure)
        pred = [LABELS[evidence.summarise(s).label] for s in seen]
        report[f"model_sure={sure}"] = _scores(gold, pred)
    evidence.WEIGHTS = weights
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
