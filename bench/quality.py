"""Quality figures: NewsMTSC target sentiment, the seed article's gold reading and entity
F1 on public NER data (bench/ner_eval.py).

    python bench/quality.py [--shared ../shared] [--split dev]

Runs the service's own enrichment path (Enricher, no HTTP) on the offline engines that are
installed, and prints each figure beside its baselines: "always neutral" and "sentence
lexicon" (every lexicon word of the mention's sentence, no syntax: ``options.scope =
sentence``). NewsMTSC is Hamborg and Donnay, EACL 2021 (MIT); use train for tuning, dev for
reporting.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from harness import ROOT, machine  # first: it puts this tree's service on the path
from ner_eval import public_ner

from service.analysis.knowledge import fold
from service.cache import MemoryCache
from service.config import Settings
from service.engines import EngineRegistry
from service.enrichment import Answer, Enricher, EnrichRequest
from service.language import LanguageDetector

LABELS = {"positive": 1, "negative": -1, "neutral": 0, "mixed": 0}


def enricher(languages: tuple[str, ...]) -> tuple[Enricher, EngineRegistry]:
    """The production enrichment path with a throwaway cache, and its engines."""
    settings = dataclasses.replace(Settings.from_env(), languages=languages)
    registry = EngineRegistry(settings)
    registry.start(background=False)
    return Enricher(settings, registry, MemoryCache(0, 1), LanguageDetector()), registry


def macro_f1(gold: list[int], pred: list[int]) -> float:
    """Mean F1 over the classes -1, 0, 1."""
    scores = []
    for cls in (-1, 0, 1):
        tp = sum(g == cls and p == cls for g, p in zip(gold, pred, strict=True))
        fp = sum(g != cls and p == cls for g, p in zip(gold, pred, strict=True))
        fn = sum(g == cls and p != cls for g, p in zip(gold, pred, strict=True))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return sum(scores) / 3


def newsmtsc(service: Enricher, path: Path) -> dict[str, dict[str, float]]:
    """Macro-F1 and accuracy of target sentiment on NewsMTSC rows."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    gold = [int(r["polarity"]) for r in rows]
    out = {"always neutral": _scores(gold, [0] * len(gold))}
    for scope in ("sentence", "syntax"):
        pred = []
        began = time.perf_counter()
        for i in range(0, len(rows), 32):
            batch = [
                EnrichRequest(
                    r["sentence"],
                    "en",
                    include=("sentiment",),
                    targets=({"start": r["from"], "end": r["to"]},),
                    scope=scope,
                )
                for r in rows[i : i + 32]
            ]
            for answer in service.enrich_many(batch):
                assert isinstance(answer, Answer), answer
                label = json.loads(answer.body)["targets"][0]["sentiment"]["label"]
                pred.append(LABELS[label])
        name = "sentence lexicon (no syntax)" if scope == "sentence" else "service (syntax)"
        out[name] = _scores(gold, pred) | {"seconds": round(time.perf_counter() - began, 1)}
    out["_rows"] = {"n": len(rows), **{str(k): v for k, v in Counter(gold).items()}}
    return out


def _scores(gold: list[int], pred: list[int]) -> dict[str, float]:
    accuracy = sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold)
    return {"macro_f1": round(macro_f1(gold, pred), 3), "accuracy": round(accuracy, 3)}


def _match(actor: dict[str, Any], forms: list[str]) -> bool:
    folded = {fold(f) for f in forms}
    names = {fold(actor["name"])} | {fold(a) for a in actor["aliases"]}
    return bool(names & folded)


def seed(service: Enricher, gold_path: Path) -> dict[str, dict[str, Any]]:
    """Actors, grouping, sentiment and stance against the seed article's gold reading."""
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    text = (gold_path.parent / gold["text"]).read_text(encoding="utf-8")
    out = {}
    for scope in ("sentence", "syntax"):
        answer = service.enrich(EnrichRequest(text, gold["language"], scope=scope))
        out[scope] = _seed_scores(gold, json.loads(answer.body))
    out["always neutral"] = _seed_scores(gold, None)
    return out


def _seed_scores(gold: dict[str, Any], body: dict[str, Any] | None) -> dict[str, Any]:
    actors = body["actors"] if body else []
    found = {
        g["name"]: [a for a in actors if _match(a, [g["name"], *g["aliases"]])]
        for g in gold["actors"]
    }
    matched = {n for n, a in found.items() if a}
    grouped = {n for n, a in found.items() if len(a) == 1}
    gold_forms = [f for g in gold["actors"] for f in [g["name"], *g["aliases"]]]
    noise = [a["name"] for a in actors if _match(a, gold["not_actors"])]
    sentiment_claims = [g for g in gold["actors"] if g.get("sentiment")]
    agree = 0
    for g in sentiment_claims:
        label = found[g["name"]][0]["sentiment"]["label"] if found.get(g["name"]) else "neutral"
        ok = (
            label == "negative"
            if g["sentiment"] == "negative"
            else label in ("neutral", "positive")
        )
        agree += ok
    stance_ok = 0
    by_id = {a["id"]: a for a in actors}
    for s in gold["stances"]:
        sources = [a for name in s["source"].split("|") for a in found.get(name, [])]
        targets = {a["id"] for a in found.get(s["target"], [])}
        stance_ok += any(
            st["target"] in targets and st["label"] == s["label"]
            for a in sources
            for st in by_id[a["id"]].get("stances", [])
        )
    if body is None:  # the "always neutral" baseline makes claims on sentiment only
        return {
            "sentiment_agreement": f"{agree}/{len(sentiment_claims)}",
            "stance_agreement": "0/" + str(len(gold["stances"])),
        }
    return {
        "actor_recall": round(len(matched) / len(gold["actors"]), 3),
        "actors_not_in_gold_list": [a["name"] for a in actors if not _match(a, gold_forms)],
        "actor_precision_vs_gold_list": round(
            sum(_match(a, gold_forms) for a in actors) / len(actors), 3
        )
        if actors
        else 0.0,
        "noise_actors": noise,
        "alias_grouping": round(len(grouped) / len(gold["actors"]), 3),
        "sentiment_agreement": f"{agree}/{len(sentiment_claims)}",
        "stance_agreement": f"{stance_ok}/{len(gold['stances'])}",
    }


def main() -> int:
    """Print every figure as JSON, with the machine it ran on."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--split", default="dev", choices=["dev", "train"])
    args = parser.parse_args()
    service, registry = enricher(("fr", "en"))
    report = {
        "machine": machine(),
        "engines": {s.language: s.models.get("ner") for s in registry.statuses()},
        "newsmtsc": newsmtsc(service, args.shared / "eval/newsmtsc" / f"rw-{args.split}.jsonl"),
        "seed": seed(service, args.shared / "eval/seed-gold.json"),
        "public_ner": public_ner(service),
    }
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
