"""Quality figures: target sentiment (NewsMTSC, the French set, PerSenT), the seed article's
gold reading and entity F1 on public NER data (bench/ner_eval.py).

    python bench/quality.py [--shared ../shared] [--split dev] [--weights FILE] [--only ...]

Runs the service's own enrichment path (Enricher, no HTTP) on the offline engines that are
installed, and prints each figure beside its baselines: "always neutral" and "sentence
lexicon" (every lexicon word of the mention's sentence, no syntax: ``options.scope =
sentence``). NewsMTSC is Hamborg and Donnay, EACL 2021 (MIT); use train for tuning, dev for
reporting.

The learned polarity model (issue 10): with ``--weights`` (default: the committed file) the
service loads it as it does in production (``POLARITY_MODEL=on``) and every figure is given
twice, ``options.sentiment: "lexicon"`` and ``"model"``, with the scorer alone beside it
(``model_quality.py``). Without a weights file the model figures are skipped and the reason
printed. PerSenT (``persent.py``) reads the 827 articles of ``../shared``'s fixed-test unless
``--persent-docs`` takes a fixed sample.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import model_quality as mq  # first (through harness): this tree's service on the path
import persent
from harness import ROOT, in_process, machine
from ner_eval import public_ner

from service.analysis.knowledge import fold
from service.engines import EngineRegistry
from service.engines.polarity import DEFAULT_WEIGHTS
from service.enrichment import Answer, Enricher, EnrichRequest

LABELS = {"positive": 1, "negative": -1, "neutral": 0, "mixed": 0}
FRENCH_SET = ROOT / "bench" / "data" / "fr_target_sentiment.jsonl"
PERSENT = Path("eval/persent/fixed-test.jsonl")


@dataclasses.dataclass(slots=True)
class Setup:
    """The service under evaluation (its polarity model loaded when a weights file is there)."""

    service: Enricher
    registry: EngineRegistry
    why_not: str | None  # why the model figures are skipped

    @property
    def scorer(self) -> Any | None:
        """The service's own polarity scorer, if it loaded one."""
        return self.registry.polarity

    def sources(self) -> list[tuple[str, dict[str, str]]]:
        """(name, request options) of each sentiment source the service can answer with."""
        runs = [("lexicon", {"sentiment": "lexicon"})]
        return runs + ([("model", {"sentiment": "model"})] if self.scorer is not None else [])


def setup(languages: tuple[str, ...], weights: Path, bf16: bool) -> Setup:
    """The production enrichment path with a throwaway cache, its engines, and the model of
    ``weights`` loaded the way the service loads it (``POLARITY_MODEL=on``)."""
    on = "on" if weights.is_file() else "off"
    _, registry, service = in_process(
        languages=languages, polarity_model=on, polarity_weights=weights, polarity_bf16=bf16
    )
    why_not = None if registry.polarity is not None else f"no weights file at {weights}"
    return Setup(service, registry, why_not)


def span_answers(
    service: Enricher, rows: list[dict[str, Any]], language: str, **options: Any
) -> Iterator[Answer]:
    """The service's answer for each NewsMTSC-shaped row (sentence, from, to), its span the
    one target, sentiment only; batches of 32 through ``enrich_many``, in row order."""
    for i in range(0, len(rows), 32):
        batch = [
            EnrichRequest(
                r["sentence"],
                language,
                include=("sentiment",),
                targets=({"start": r["from"], "end": r["to"]},),
                **options,
            )
            for r in rows[i : i + 32]
        ]
        for answer in service.enrich_many(batch):
            assert isinstance(answer, Answer), answer
            yield answer


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


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """One JSON object a line."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def span_targets(
    run: Setup, rows: list[dict[str, Any]], language: str = "en"
) -> dict[str, dict[str, float]]:
    """Macro-F1 and accuracy of target sentiment on NewsMTSC-shaped rows (sentence, from,
    to, polarity), each sent as a span target, per scope and sentiment source."""
    gold = [int(r["polarity"]) for r in rows]
    out = {"always neutral": _scores(gold, [0] * len(gold))}
    lexicon = dict(run.sources()[0][1])
    variants = [("sentence lexicon (no syntax)", "sentence", lexicon)] + [
        (f"service (syntax), {name}", "syntax", options) for name, options in run.sources()
    ]
    for name, scope, options in variants:
        pred = []
        began = time.perf_counter()
        for answer in span_answers(run.service, rows, language, scope=scope, **options):
            label = json.loads(answer.body)["targets"][0]["sentiment"]["label"]
            pred.append(LABELS[label])
        out[name] = _scores(gold, pred) | {"seconds": round(time.perf_counter() - began, 1)}
    if run.scorer is not None:
        out["model (scorer alone)"], pred = model_spans(run.scorer, rows)
        if any("tags" in r for r in rows):  # the French set: where the model goes wrong
            out["model (scorer alone): accuracy by tag"] = by_tag(rows, pred)
    out["_rows"] = {"n": len(rows), **{str(k): v for k, v in Counter(gold).items()}}
    return out


def _scores(gold: list[int], pred: list[int]) -> dict[str, float]:
    accuracy = sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold)
    return {"macro_f1": round(macro_f1(gold, pred), 3), "accuracy": round(accuracy, 3)}


def _match(actor: dict[str, Any], forms: list[str]) -> bool:
    folded = {fold(f) for f in forms}
    names = {fold(actor["name"])} | {fold(a) for a in actor["aliases"]}
    return bool(names & folded)


def seed(run: Setup, gold_path: Path) -> dict[str, dict[str, Any]]:
    """Actors, grouping, sentiment and stance against the seed article's gold reading."""
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    text = (gold_path.parent / gold["text"]).read_text(encoding="utf-8")
    out = {}
    variants = [("sentence", "sentence", run.sources()[0][1])] + [
        ("syntax" if name == "lexicon" else f"syntax, {name}", "syntax", options)
        for name, options in run.sources()
    ]
    for name, scope, options in variants:
        request = EnrichRequest(text, gold["language"], scope=scope, **options)
        out[name] = _seed_scores(gold, json.loads(run.service.enrich(request).body))
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


def by_tag(rows: list[dict[str, Any]], pred: list[int]) -> dict[str, dict[str, Any]]:
    """Accuracy per tag of the French set (irony, headline, speech...), with the row count."""
    out = {}
    for tag in sorted({t for r in rows for t in r.get("tags", [])}):
        mine = [(r["polarity"], p) for r, p in zip(rows, pred, strict=True) if tag in r["tags"]]
        right = sum(g == p for g, p in mine)
        out[tag] = {"rows": len(mine), "accuracy": round(right / len(mine), 3)}
    return out


def model_spans(scorer: Any, rows: list[dict[str, Any]]) -> tuple[dict[str, Any], list[int]]:
    """The model's figures on span rows through the scorer, and its labels."""
    gold = [int(r["polarity"]) for r in rows]
    began = time.process_time()
    pred = [mq.label(p) for p in mq.score_rows(scorer, rows)]
    cpu = round(time.process_time() - began, 1)
    return _scores(gold, pred) | {"cpu_s": cpu}, pred


def persent_figures(run: Setup, args: argparse.Namespace) -> dict:
    """PerSenT fixed-test (the project's dev set), with offsets chosen on PerSenT's dev split
    when its file is there."""
    docs = persent.sample(persent.read_fixed(args.shared / PERSENT), args.persent_docs)
    out, probs = persent.run(run.service, run.sources(), run.scorer, docs, _scores)
    out["file"] = str(args.shared / PERSENT)
    if run.scorer is None:
        return out
    if not args.persent_tune.is_file():
        out["offsets"] = f"not chosen: no PerSenT dev split at {args.persent_tune}"
        return out
    tune = persent.sample(persent.read_dev_csv(args.persent_tune), args.persent_tune_docs)
    tuned, tune_probs = persent.run(run.service, run.sources()[:1], run.scorer, tune, _scores)
    offsets = persent.choose_offsets([d["label"] for d in tune], tune_probs, _scores)
    gold = [d["label"] for d in docs]
    out["model (scorer, mean of mentions), offsets chosen on PerSenT dev"] = _scores(
        gold, [mq.label(p, offsets) for p in probs]
    ) | {"offsets": offsets}
    out["tuning_split"] = {
        "file": str(args.persent_tune),
        **tuned,
        "model with the chosen offsets (on the tuning split itself)": _scores(
            [d["label"] for d in tune], [mq.label(p, offsets) for p in tune_probs]
        ),
    }
    return out


def parse_args() -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--split", default="dev", choices=["dev", "train"])
    parser.add_argument(
        "--weights",
        type=Path,
        default=DEFAULT_WEIGHTS,
        help="polarity weights (default: the committed file); the model figures are skipped, "
        "saying why, when it is missing",
    )
    parser.add_argument(
        "--bf16",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="bf16 matmuls in the model (default on, as the service's POLARITY_BF16)",
    )
    parser.add_argument(
        "--persent-docs",
        type=int,
        default=None,
        help="a fixed sample (seed 0) of PerSenT fixed-test documents (default: all 827)",
    )
    parser.add_argument(
        "--persent-tune",
        type=Path,
        default=ROOT.parent / "persent-cache" / "dev.csv",
        help="PerSenT's own dev split (dev.csv of github.com/MHDBST/PerSenT), to choose the "
        "document aggregation's offsets on; never the file reported",
    )
    parser.add_argument("--persent-tune-docs", type=int, default=None)
    parser.add_argument(
        "--only",
        default="newsmtsc,french,persent,seed,ner",
        type=lambda s: tuple(s.split(",")),
        help="comma-separated subset of: newsmtsc, french, persent, seed, ner",
    )
    return parser.parse_args()


def main() -> int:
    """Print every figure as JSON, with the machine it ran on."""
    args = parse_args()
    run = setup(("fr", "en"), args.weights, args.bf16)
    if run.scorer is None:
        print(f"note: model figures skipped: {run.why_not}", file=sys.stderr)
    report: dict[str, Any] = {
        "machine": machine(),
        "engines": {s.language: s.models.get("ner") for s in run.registry.statuses()},
        "model": {
            "identity": run.scorer.identity,
            "weights": str(args.weights),
            "through_the_service": True,
        }
        if run.scorer is not None
        else {"skipped": run.why_not},
    }
    if "newsmtsc" in args.only:
        rows = read_jsonl(args.shared / "eval/newsmtsc" / f"rw-{args.split}.jsonl")
        report["newsmtsc"] = span_targets(run, rows)
    if "french" in args.only:
        report["french_set"] = span_targets(run, read_jsonl(FRENCH_SET), "fr")
    if "persent" in args.only:
        report["persent"] = persent_figures(run, args)
    if "seed" in args.only:
        report["seed"] = seed(run, args.shared / "eval/seed-gold.json")
    if "ner" in args.only:
        report["public_ner"] = public_ner(run.service)
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
