"""What "the words that pushed the model" would cost: gradient x input over the word vectors.

    nice -n 10 python bench/saliency_cost.py --weights PATH [--runs 5]

One torch thread, bf16 autocast as served. The French sample's answer with the model gives
its model pass (``timings.model_ms``) and, per actor, the first evidence sentence holding a
model reading: the sentence the answer would explain. The attribution is one forward and
one backward pass over those (sentence, mention) pairs, one pair a row (a row's gradient
must come from its own target alone); the figure is the CPU ms of that, beside the CPU ms
of the answer's own model pass. Not used by the service (docs/analysis.md says why).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from service.engines.polarity import PolarityScorer
    from service.engines.polarity.batching import Item

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SAMPLE = ROOT.parent / "shared" / "samples" / "fr-russie-ukraine.txt"


def _pairs(answer: dict) -> list[Item]:
    """Per actor, its first evidence sentence with a model reading, and that mention."""
    out = []
    for actor in answer["actors"]:
        for evidence in actor["sentiment"]["evidence"]:
            words = [w for w in evidence["words"] if w["reason"].startswith("learned model")]
            if words:
                start = evidence["start"]
                span = (words[0]["start"] - start, words[0]["end"] - start)
                out.append((evidence["text"], [span]))
                break
    return out


def _attribute(scorer: PolarityScorer, pairs: list[Item]) -> list[torch.Tensor]:
    """Gradient x input per token, for each pair's own target (one forward, one backward)."""
    from service.engines.polarity.batching import collate, encode

    encoded = encode(scorer.tokenizer, pairs, 256, scorer._bracketed)
    batch = collate(encoded, list(range(len(encoded))), scorer._pad_id)
    model = scorer._model
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=scorer._bf16):
        embeds = model.words(batch.input_ids).requires_grad_(True)
        hidden = model.encoder(
            inputs_embeds=embeds, attention_mask=batch.attention_mask
        ).last_hidden_state
        mask = batch.target_mask.unsqueeze(-1)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        logits = model.head(torch.cat([hidden[:, 0], pooled], dim=-1)).float()
        (logits[:, 2] - logits[:, 0]).sum().backward()
    return list((embeds.grad * embeds).sum(-1).detach())


def main() -> int:
    """Print the answer's model pass and the attribution's cost, CPU ms, as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--weights", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    from service.cache import MemoryCache
    from service.config import Settings
    from service.engines import EngineRegistry
    from service.enrichment import Enricher, EnrichRequest
    from service.language import LanguageDetector

    settings = dataclasses.replace(
        Settings.from_env(), languages=("fr",), polarity_model="on", polarity_weights=args.weights
    )
    registry = EngineRegistry(settings)
    registry.start(background=False)
    scorer = registry.polarity
    text = SAMPLE.read_text(encoding="utf-8")
    model_ms, attribution_ms = [], []
    pairs: list[Item] = []
    score = scorer.score
    passes: list[float] = []

    def timed(items: Sequence[Item]) -> list:  # the answer's own model pass, in CPU time
        began = time.process_time()
        try:
            return score(items)
        finally:
            passes.append((time.process_time() - began) * 1000)

    scorer.score = timed
    for run in range(args.runs + 1):  # the first run warms up
        enricher = Enricher(settings, registry, MemoryCache(0, 1), LanguageDetector())
        answer = json.loads(enricher.enrich(EnrichRequest(text, "fr")).body)
        pairs = _pairs(answer)
        began = time.process_time()
        scorer._model.zero_grad(set_to_none=True)
        _attribute(scorer, pairs)
        if run:
            attribution_ms.append((time.process_time() - began) * 1000)
            model_ms.append(passes[-1])
    report = {
        "pairs explained (one sentence per actor)": len(pairs),
        "answer's model pass, CPU ms, median": round(statistics.median(model_ms), 1),
        "gradient x input, CPU ms, median": round(statistics.median(attribution_ms), 1),
        "runs": args.runs,
        "weights": str(args.weights),
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
