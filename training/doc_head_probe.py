"""Can a learned document-level head over the polarity model's mention readings reach
PerSenT's target? A probe for issue 10; the service does not use it.

    nice -n 10 .venv/bin/python training/doc_head_probe.py --weights FILE \\
        [--tune ../persent-cache/dev.csv] [--cache .cache/doc-head]

Each PerSenT article goes through the service's lexicon answer with its main entity as a name
target (bench/persent.py); every mention the answer resolved is scored in its sentence by the
weights' scorer, and two kinds of document features are kept: the readings (mean
probabilities, the strongest negative and positive reading, the first mention's reading, the
share of mentions read negative / positive, the number of mentions, beside the lexicon's
score) and the classifier's own features (the head's 768-wide input, mean and max over the
mentions). A multinomial logistic regression (L2, standardised features, class-balanced or
not) is fitted on PerSenT's own dev split (dev.csv of github.com/MHDBST/PerSenT, 578 articles)
and scored on the shared fixed-test file (827 articles, the project's PerSenT dev set); a
5-fold cross-validation on fixed-test itself shows what tuning on the reported file could give
at best. PerSenT's random_test is never read. The answers and features are cached by weights
digest, so a second run only refits.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import sys
from pathlib import Path
from typing import Any

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import model_quality as mq  # noqa: E402 - bench/ on the path first
import persent  # noqa: E402
from harness import in_process  # noqa: E402

FIXED = ROOT.parent / "shared" / "eval" / "persent" / "fixed-test.jsonl"
CLASS = {-1: 0, 0: 1, 1: 2}
LEXICON_LABEL = {"positive": 1.0, "negative": -1.0}


def documents(
    weights: Path, tune: Path, cache: Path, docs: int | None
) -> dict[str, list[dict[str, Any]]]:
    """Per split, per article: gold class, the readings of its target's mentions, the
    head-input features (mean, max) and the lexicon's score; cached by the weights' digest."""
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()[:12]
    path = cache / f"{digest}-{docs or 'all'}.json"
    if path.is_file():
        return json.loads(path.read_text(encoding="utf-8"))
    _, registry, service = in_process(
        languages=("en",), polarity_model="on", polarity_weights=weights
    )
    scorer = registry.polarity
    inputs: list[torch.Tensor] = []
    # The head's input is the classifier's feature vector of one target; hooking it reads
    # the features of exactly the pass the service runs, with no second copy of the model.
    scorer._model.head.register_forward_hook(lambda _m, args, _o: inputs.append(args[0].float()))
    out: dict[str, list[dict[str, Any]]] = {}
    splits = {
        "tune": persent.sample(persent.read_dev_csv(tune), docs),
        "fixed": persent.sample(persent.read_fixed(FIXED), docs),
    }
    for split, articles in splits.items():
        rows = []
        bodies = persent.answers(service, articles, sentiment="lexicon")
        for doc, body in zip(articles, bodies, strict=True):
            inputs.clear()
            items = mq.mention_items(doc["text"], body)
            readings = [list(p) for ps in scorer.score(items) for p in ps] if items else []
            features = torch.cat(inputs) if inputs else torch.zeros(1, 768)
            sentiment = body["targets"][0]["sentiment"]
            rows.append(
                {
                    "label": CLASS[doc["label"]],
                    "readings": readings,
                    "lexicon": [sentiment["score"], LEXICON_LABEL.get(sentiment["label"], 0.0)],
                    "mean": features.mean(0).tolist(),
                    "max": features.max(0).values.tolist(),
                }
            )
        out[split] = rows
        print(f"{split}: {len(rows)} articles scored", flush=True)
    cache.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out), encoding="utf-8")
    return out


def reading_features(row: dict[str, Any]) -> list[float]:
    """Summary of the mention readings, with the lexicon's score."""
    p = row["readings"]
    if not p:
        return [0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, *row["lexicon"]]
    n = len(p)
    mean = [sum(r[k] for r in p) / n for k in range(3)]
    return [
        *mean,
        max(r[0] for r in p),
        max(r[2] for r in p),
        p[0][0],
        p[0][2],
        sum(r[0] > max(r[1], r[2]) for r in p) / n,
        sum(r[2] > max(r[0], r[1]) for r in p) / n,
        math.log1p(n),
        *row["lexicon"],
    ]


FEATURES = {
    "readings": reading_features,
    "encoder features, mean": lambda r: r["mean"],
    "encoder features, mean and max": lambda r: r["mean"] + r["max"],
}


def fit(x: torch.Tensor, y: torch.Tensor, l2: float, balanced: bool) -> Any:
    """A multinomial logistic regression on standardised ``x``; returns a predict function."""
    mu, sd = x.mean(0), x.std(0) + 1e-6
    w = torch.zeros(x.shape[1], 3, dtype=torch.float64, requires_grad=True)
    b = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    counts = torch.bincount(y, minlength=3).double()
    weight = counts.sum() / (3 * counts.clamp(min=1)) if balanced else None
    optimiser = torch.optim.LBFGS([w, b], max_iter=300)

    def closure() -> torch.Tensor:
        optimiser.zero_grad()
        logits = ((x - mu) / sd) @ w + b
        loss = torch.nn.functional.cross_entropy(logits, y, weight=weight) + l2 * (w**2).sum()
        loss.backward()
        return loss

    optimiser.step(closure)
    return lambda z: (((z - mu) / sd) @ w + b).argmax(1)


def macro_f1(gold: torch.Tensor, pred: torch.Tensor) -> float:
    """Mean F1 over the three classes."""
    scores = []
    for c in range(3):
        tp = int(((gold == c) & (pred == c)).sum())
        wrong = int(((gold != c) & (pred == c)).sum()) + int(((gold == c) & (pred != c)).sum())
        scores.append(2 * tp / (2 * tp + wrong) if tp else 0.0)
    return sum(scores) / 3


def cross_validated(x: torch.Tensor, y: torch.Tensor, l2: float, folds: int = 5) -> float:
    """Out-of-fold macro-F1 of class-balanced fits (seed 0 folds)."""
    order = list(range(len(y)))
    random.Random(0).shuffle(order)
    pred = torch.zeros_like(y)
    for k in range(folds):
        test = torch.tensor(sorted(order[k::folds]))
        train = torch.tensor(sorted(set(order) - set(test.tolist())))
        pred[test] = fit(x[train], y[train], l2, True)(x[test])
    return macro_f1(y, pred)


def main() -> int:
    """Print the probe's figures per feature set, L2 strength and class weighting."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--weights", type=Path, required=True)
    ap.add_argument("--tune", type=Path, default=ROOT.parent / "persent-cache" / "dev.csv")
    ap.add_argument("--cache", type=Path, default=ROOT / ".cache" / "doc-head")
    ap.add_argument("--docs", type=int, help="a fixed sample of each split (a smoke run)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    data = documents(args.weights, args.tune, args.cache, args.docs)

    def tensors(split: str, features: Any) -> tuple[torch.Tensor, torch.Tensor]:
        rows = data[split]
        x = torch.tensor([features(r) for r in rows], dtype=torch.float64)
        return x, torch.tensor([r["label"] for r in rows])

    print("features | L2 | weighting | dev.csv (fitted on) | fixed-test | fixed-test 5-fold")
    for name, features in FEATURES.items():
        (xt, yt), (xf, yf) = tensors("tune", features), tensors("fixed", features)
        for l2 in (0.01, 0.1, 1.0):
            cv = cross_validated(xf, yf, l2)
            for balanced in (True, False):
                predict = fit(xt, yt, l2, balanced)
                print(
                    f"{name} | {l2} | {'balanced' if balanced else 'plain'} | "
                    f"{macro_f1(yt, predict(xt)):.3f} | {macro_f1(yf, predict(xf)):.3f} | "
                    f"{cv:.3f}",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
