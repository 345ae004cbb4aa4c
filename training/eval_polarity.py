"""Score NewsMTSC-rw dev through the service's own scorer: the figures a weights file gives.

python training/eval_polarity.py .cache/polarity/polarity.safetensors [--bf16] [--with-context]

``--with-context`` also brackets each dev sentence's other entities and pronouns, unlabelled,
as the service brackets every mention of a sentence in one pass; only the rows' targets count.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from service.engines.polarity import PolarityScorer  # noqa: E402
from training.train_polarity import (  # noqa: E402
    DATA,
    NO_LABEL,
    examples,
    macro_f1,
    read_rows,
    with_context_spans,
)


def main() -> int:
    """Print dev macro-F1 and accuracy of one weights file as JSON."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("weights", type=Path)
    ap.add_argument("--bf16", action="store_true")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--with-context", action="store_true")
    args = ap.parse_args()
    scorer = PolarityScorer(args.weights, torch_threads=args.threads, bf16=args.bf16)
    rows = read_rows(DATA / "rw-dev.jsonl")
    items, labels = examples(rows, "pooled")
    if args.with_context:
        items, labels = with_context_spans(items, labels, 1.0, 0)
    began = time.process_time()
    scores = scorer.score(items)
    cpu = time.process_time() - began
    pairs = [
        (x, p) for ls, s in zip(labels, scores, strict=True) for x, p in zip(ls, s, strict=True)
    ]
    gold = [x for x, _ in pairs if x != NO_LABEL]
    pred = [max(range(3), key=p.__getitem__) for x, p in pairs if x != NO_LABEL]
    f1, acc = macro_f1(gold, pred)
    print(
        json.dumps(
            {
                "weights": str(args.weights),
                "identity": scorer.identity,
                "bf16": args.bf16,
                "with_context": args.with_context,
                "dev_rows": len(gold),
                "dev_macro_f1": round(f1, 4),
                "dev_accuracy": round(acc, 4),
                "cpu_s": round(cpu, 1),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
