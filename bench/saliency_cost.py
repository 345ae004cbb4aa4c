"""What ``options.explain`` costs on the French sample, and how far its words can be trusted.

    nice -n 10 python bench/saliency_cost.py --weights PATH [--runs 5]

One torch thread, bf16 autocast as served, the service's own code (``Enricher``, the
scorer's ``attribute``). Per run, the uncached answer for the French sample with and
without ``options.explain`` (fresh in-process caches): CPU ms of the whole answer, and its
``timings.model_ms`` and ``timings.explain_ms``; the first run warms up. Then a deletion
check of the words shown: for each explained reading, each of its (up to) three strongest
words is deleted from the sentence and the reading scored again; a word "agrees" when the
reading moves the way its sign says (a word pushing toward positive, deleted, lowers
P(positive) - P(negative)).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from harness import in_process  # first: it puts this tree's service on the path
from perf_articles import sample


def _answer(enricher: Any, text: str, explain: bool) -> tuple[float, dict]:
    from service.enrichment import EnrichRequest

    began = time.process_time()
    body = enricher.enrich(EnrichRequest(text, "fr", explain=explain)).body
    return (time.process_time() - began) * 1000, json.loads(body)


def _deletion_check(scorer: Any, items: list) -> tuple[int, int]:
    """(words that agree, words checked) over the strongest three words of each item."""
    agree = total = 0
    for (text, spans, k), words in zip(items, scorer.attribute(items), strict=True):
        a0, b0 = spans[k]
        outside = [w for w in words if not (w[0] < b0 and w[1] > a0)]
        before = scorer.score([(text, spans)])[0][k]
        for a, b, weight in sorted(outside, key=lambda w: -abs(w[2]))[:3]:
            cut = b - a
            moved = [(x - cut if x >= b else x, y - cut if y >= b else y) for x, y in spans]
            after = scorer.score([(text[:a] + text[b:], moved)])[0][k]
            change = (before[2] - before[0]) - (after[2] - after[0])
            agree += change * weight > 0
            total += 1
    return agree, total


def main() -> int:
    """Print the answer's CPU ms with and without the option, and the deletion check."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--weights", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    # The harness's cache stores nothing: every answer is computed afresh by one enricher.
    _, registry, enricher = in_process(
        languages=("fr",), polarity_model="on", polarity_weights=args.weights, torch_threads=1
    )
    scorer = registry.polarity
    asked: list = []
    attribute = scorer.attribute

    def recorded(items: list) -> list:  # the items the answer asks to explain, kept
        asked.append(list(items))
        return attribute(items)

    scorer.attribute = recorded
    text = sample().text
    figures: dict[str, list[float]] = {"plain": [], "explain": [], "model": [], "attribution": []}
    for run in range(args.runs + 1):  # the first run warms up
        for explain in (False, True):
            ms, answer = _answer(enricher, text, explain)
            if run:
                figures["explain" if explain else "plain"].append(ms)
                timings = answer["timings"]
                if explain:
                    figures["attribution"].append(timings["explain_ms"])
                else:
                    figures["model"].append(timings["model_ms"])
    agree, total = _deletion_check(scorer, asked[-1])
    median = {k: round(statistics.median(v), 1) for k, v in figures.items()}
    report = {
        "readings explained (one per sentiment shown)": len(asked[-1]),
        "answer, CPU ms, median, without options.explain": median["plain"],
        "answer, CPU ms, median, with options.explain": median["explain"],
        "timings.model_ms, median (wall)": median["model"],
        "timings.explain_ms, median (wall)": median["attribution"],
        "deletion check: strongest words that agree with their sign": f"{agree} of {total}",
        "runs": args.runs,
        "weights": str(args.weights),
    }
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
