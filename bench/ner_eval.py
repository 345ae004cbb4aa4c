"""Entity-level figures on public NER data: the engine's raw NER, the same after the
entity ruler, and the actor layer's name mentions.

    python bench/ner_eval.py        (also run by bench/quality.py, so by ``make eval``)

Data: ``bench/data/ner/*.jsonl`` (see its README: GUM news training documents, English;
Europeana Newspapers BnF, French). Exact span and type, micro-averaged over PER, ORG and
LOC, the types both corpora annotate; a prediction of another type (MISC, NORP, DATE...)
is neither right nor wrong.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from collections.abc import Iterable
from typing import Any

from harness import ROOT, in_process  # first: it puts this tree's service on the path

from service.document import NER, TOKENIZE
from service.engines.catalog import installed_spacy_package
from service.engines.entity_ruler import COARSE, ruler_for
from service.engines.spacy_engine import SpacyEngine
from service.enrichment import Answer, Enricher, EnrichRequest

DATA = ROOT / "bench" / "data" / "ner"
SETS = {"en": "en-gum-news.jsonl", "fr": "fr-europeana-bnf.jsonl"}
TYPES = ("PER", "ORG", "LOC")
# Actor types of the answer -> the corpora's types.
ACTOR_TYPES = {"person": "PER", "organisation": "ORG", "country": "LOC", "location": "LOC"}
Span = tuple[int, int, int, str]  # sentence row, start, end, type


def scores(gold: Iterable[Span], predicted: Iterable[Span]) -> dict[str, Any]:
    """Micro precision, recall and F1 over TYPES, and F1 per type."""
    gold_set = {s for s in gold if s[3] in TYPES}
    pred_set = {s for s in predicted if s[3] in TYPES}

    def prf(g: set[Span], p: set[Span]) -> dict[str, float]:
        tp = len(g & p)
        precision = tp / len(p) if p else 0.0
        recall = tp / len(g) if g else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3)}

    out: dict[str, Any] = prf(gold_set, pred_set)
    for kind in TYPES:
        by = prf({s for s in gold_set if s[3] == kind}, {s for s in pred_set if s[3] == kind})
        out[kind] = by["f1"]
    return out


def _rows(language: str) -> list[dict[str, Any]]:
    path = DATA / SETS[language]
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def engine_figures(language: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Raw spaCy NER and the same documents after the entity ruler."""
    candidate = installed_spacy_package(language)
    assert candidate is not None, f"no spaCy pipeline for {language}"
    engine = SpacyEngine(language, candidate, entity_ruler=False)
    ruler = ruler_for(language, engine.ner_labels)
    assert ruler is not None
    began = time.perf_counter()
    docs = engine.annotate([r["text"] for r in rows], frozenset({TOKENIZE, NER}))
    raw: list[Span] = []
    ruled: list[Span] = []
    for n, doc in enumerate(docs):
        raw += [(n, e.start, e.end, COARSE.get(e.label, "")) for e in doc.entities]
        ruled += [(n, e.start, e.end, COARSE.get(e.label, "")) for e in ruler.entities(doc)]
    gold = _gold(rows)
    return {
        "raw NER": scores(gold, raw),
        "NER + entity ruler": scores(gold, ruled),
        "seconds": round(time.perf_counter() - began, 1),
        "gazetteer": ruler.gazetteer.label,
    }


def actor_figures(service: Enricher, language: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The name mentions of the answer's actors, typed by their actor's type."""
    predicted: list[Span] = []
    requests = [EnrichRequest(r["text"], language, include=("actors",)) for r in rows]
    for n, answer in enumerate(service.enrich_many(requests)):
        assert isinstance(answer, Answer), answer
        for actor in json.loads(answer.body)["actors"]:
            kind = ACTOR_TYPES.get(actor["type"], "")
            predicted += [
                (n, m["start"], m["end"], kind) for m in actor["mentions"] if m["kind"] == "name"
            ]
    return scores(_gold(rows), predicted)


def _gold(rows: list[dict[str, Any]]) -> list[Span]:
    return [(n, s, e, t) for n, r in enumerate(rows) for s, e, t in r["entities"]]


def public_ner(service: Enricher | None = None) -> dict[str, Any]:
    """Every figure, per language; ``service`` is the enrichment path for the actor layer."""
    out: dict[str, Any] = {}
    for language in SETS:
        rows = _rows(language)
        counts = dict(sorted(Counter(t for r in rows for _, _, t in r["entities"]).items()))
        out[language] = {
            "data": {"file": SETS[language], "sentences": len(rows), **counts},
            **engine_figures(language, rows),
        }
        if service is not None:
            out[language]["actor layer (name mentions)"] = actor_figures(service, language, rows)
    return out


def main() -> int:
    """Print the figures as JSON."""
    service = in_process(languages=tuple(SETS))[2]
    print(json.dumps(public_ner(service), ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
