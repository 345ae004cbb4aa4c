"""What the polarity model costs on the French sample, beside today's lexicon-only answer.

    nice -n 10 python bench/model_cost.py --weights .cache/polarity/pooled-l12-e3.safetensors \
        --weights .cache/polarity/pooled-l6-e3.safetensors

One torch thread. Sentences come from the project's spaCy engine (fr); the targets are the
engine's entities, so "pairs" are (sentence, entity mention) pairs as analysis will send them.
Per weights file, in a fresh subprocess (so RSS is the model's own): the ms of one scoring pass
over (a) every sentence, each with its entities or its first word when it has none, and (b)
only the sentences that hold an entity; pairs/s; RSS before and after loading and scoring.
The lexicon-only figure is the uncached ``POST /v1/enrich`` through the Flask test client.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SAMPLE = ROOT.parent / "shared" / "samples" / "fr-russie-ukraine.txt"


def rss_mib() -> float:
    """This process's resident set, MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def sample_items() -> tuple[list, list]:
    """(every sentence, sentences with entities) as (text, spans) items, from spaCy fr."""
    from service.engines.catalog import installed_spacy_package
    from service.engines.spacy_engine import SpacyEngine

    engine = SpacyEngine("fr", installed_spacy_package("fr"))
    (doc,) = engine.annotate([SAMPLE.read_text(encoding="utf-8")], frozenset({"ner"}))
    every, with_entities = [], []
    for s in doc.sentences:
        text = doc.text[s.start : s.end]
        spans = [
            (e.start - s.start, e.end - s.start) for e in doc.entities if e.sentence == s.index
        ]
        if spans:
            with_entities.append((text, spans))
        first = doc.tokens[s.token_start]
        every.append((text, spans or [(first.start - s.start, first.end - s.start)]))
    return every, with_entities


def timed(fn: object, runs: int) -> dict[str, float]:
    """Median wall and CPU ms of ``runs`` calls after one warm-up call.

    CPU time is what one call costs on an idle core (one thread): on this shared machine the
    wall time mostly measures the other jobs.
    """
    fn()  # type: ignore[operator]
    wall, cpu = [], []
    for _ in range(runs):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()  # type: ignore[operator]
        wall.append((time.perf_counter() - w0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return {
        "wall_ms": round(statistics.median(wall), 1),
        "cpu_ms": round(statistics.median(cpu), 1),
    }


def measure_model(weights: Path, runs: int, bf16: bool) -> dict:
    """The model figures for one weights file (run inside a fresh subprocess)."""
    import torch

    from service.engines.polarity.batching import encode

    every, with_entities = sample_items()
    torch.set_num_threads(1)
    before = rss_mib()
    from service.engines.polarity import PolarityScorer

    imported = rss_mib()
    scorer = PolarityScorer(weights, torch_threads=1, bf16=bf16)
    loaded = rss_mib()
    figures: dict = {"weights": str(weights), "layers": scorer.layers, "bf16": bf16}
    figures["identity"] = scorer.identity
    for name, items in (("all_sentences", every), ("entity_sentences", with_entities)):
        pairs = sum(len(spans) for _, spans in items)
        ms = timed(lambda items=items: scorer.score(items), runs)
        tokens = sum(len(e.ids) for e in encode(scorer.tokenizer, items, 256))
        per_s = round(pairs / ms["cpu_ms"] * 1000, 1)
        figures[name] = {
            "sentences": len(items),
            "pairs": pairs,
            "tokens": tokens,
            **ms,
            "pairs_per_cpu_s": per_s,
        }
    figures["rss_mib"] = {
        "spacy_worker": round(before),
        "after_import": round(imported),
        "after_load": round(loaded),
        "after_scoring": round(rss_mib()),
    }
    return figures


def measure_lexicon(runs: int) -> dict:
    """Median ms of an uncached lexicon-only ``POST /v1/enrich`` of the sample (spaCy, fr)."""
    import torch

    torch.set_num_threads(1)
    from service import create_app
    from service.config import Settings

    settings = Settings.from_env({}).replace(
        engine="spacy",
        languages=("fr",),
        memory_cache_items=0,
        stanza_resources_dir=ROOT / ".cache" / "no-stanza",
    )
    client = create_app(settings).test_client()
    text = SAMPLE.read_text(encoding="utf-8")
    counter = iter(range(10**6))

    def call() -> None:
        # A last line of its own each time: a cache key of its own (uncached).
        body = {"text": f"{text}\n\nRéf. {next(counter)}.", "language": "fr"}
        assert client.post("/v1/enrich", json=body).status_code == 200

    return {"lexicon_uncached": timed(call, runs)}


def main() -> int:
    """Run each measurement in its own subprocess and print one JSON document."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--weights", type=Path, action="append", default=[])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--bf16", action="store_true", help="also measure each weights file in bf16")
    ap.add_argument("--one", help=argparse.SUPPRESS)  # internal: measure one thing here
    args = ap.parse_args()
    if args.one:
        what, _, mode = args.one.partition("@")
        if what == "lexicon":
            result = measure_lexicon(args.runs)
        else:
            result = measure_model(Path(what), args.runs, mode == "bf16")
        print(json.dumps(result))
        return 0
    jobs = ["lexicon"]
    for weights in args.weights:
        jobs += [f"{weights}@fp32"] + ([f"{weights}@bf16"] if args.bf16 else [])
    results = []
    for what in jobs:
        cmd = [sys.executable, __file__, "--one", what, "--runs", str(args.runs)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
