"""What the learned polarity model costs: figure 7 of ``make bench``, and the scorer alone per
weights file (docs/model.md, "Cost").

    nice -n 10 python bench/perf_model.py --bf16 --weights A.safetensors [--weights B ...]

Figure 7 (``bench/performance.py``, issue 10's "Cost"):

- 7a: the uncached French sample over HTTP with the model (the default) and with
  ``options.sentiment: "lexicon"``, alternating on the same gunicorn; medians of the client's
  wall time and of the workers' CPU time per answer (on a shared machine the CPU time is the
  figure for an idle core), and the answers' own ``timings``;
- 7b: (sentence, target) pairs scored per CPU second on one core: the scorer in this process
  (one torch thread) over the sample's sentences, as analysis sends them;
- 7c: memory of that gunicorn (2 workers, models loaded before the fork) with
  ``POLARITY_MODEL=on`` and ``off``: PSS and USS of the master and each worker, and the
  differences (USS is what each process holds alone).

The command line gives 7b per weights file (fp32, and bf16 with ``--bf16``), each in a fresh
subprocess so that its RSS is the model's own, beside the lexicon-only uncached answer
(Flask's test client, spaCy fr).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import psutil
from harness import ROOT, Gunicorn, post
from perf_articles import sample
from perf_figures import memory_snapshot, warm_up

NO_STANZA = {"SERVICE_ENGINE": "spacy", "STANZA_RESOURCES_DIR": str(ROOT / ".cache" / "no-stanza")}


def answer_cost(server: Gunicorn, runs: int, tag: str) -> dict[str, Any]:
    """7a: ``runs`` rounds of one uncached sample with the model and one lexicon-only, the
    order alternating; one request at a time, so the workers' CPU delta is that answer's."""
    keys = ("wall_ms", "cpu_ms", "engine_ms", "analysis_ms", "model_ms")
    got = {mode: {k: [] for k in keys} for mode in ("model", "lexicon")}
    models: set[str] = set()
    for i in range(runs + 1):  # round 0 warms both paths up and is not counted
        for mode in ("model", "lexicon") if i % 2 == 0 else ("lexicon", "model"):
            body = {"text": sample(f"{tag}-{mode}-{i}").text, "options": {"sentiment": mode}}
            before = server.workers_cpu()
            reply = post(f"{server.base}/v1/enrich", orjson.dumps(body))
            cpu = server.workers_cpu() - before
            if reply.status != 200 or reply.header("X-Cache") != "MISS":
                raise RuntimeError(f"7a: {reply.status} {reply.header('X-Cache')}")
            answer = orjson.loads(reply.body)
            if i == 0:
                models.add(answer["engine"]["models"].get("polarity", "none"))
                continue
            row, timings = got[mode], answer["timings"]
            row["wall_ms"].append(reply.seconds * 1000)
            row["cpu_ms"].append(cpu * 1000)
            for key in keys[2:]:
                row[key].append(timings.get(key, 0.0))
    out: dict[str, Any] = {"runs": runs, "polarity_models_seen": sorted(models)}
    for mode, row in got.items():
        out[mode] = {f"{k}_median": round(statistics.median(v), 1) for k, v in row.items()}
        out[mode] |= {f"{k}_runs": [round(x, 1) for x in row[k]] for k in keys[:2]}
    for key in ("wall", "cpu"):
        lexicon = out["lexicon"][f"{key}_ms_median"]
        out[f"ratio_{key}"] = round(out["model"][f"{key}_ms_median"] / lexicon, 2)
    return out


def sample_items() -> tuple[list, list]:
    """(every sentence, sentences with entities) of the sample as (text, spans) items, from
    spaCy fr: an entity's sentence with its entities, or its first word when it has none."""
    from service.engines.catalog import installed_spacy_package
    from service.engines.spacy_engine import SpacyEngine

    engine = SpacyEngine("fr", installed_spacy_package("fr"))
    (doc,) = engine.annotate([sample().text], frozenset({"ner"}))
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


def timed(fn: Callable[[], object], runs: int) -> dict[str, float]:
    """Median wall and CPU ms of ``runs`` calls after one warm-up call (CPU time is what a
    call costs on an idle core: on a shared machine the wall time measures the other jobs)."""
    fn()
    wall, cpu = [], []
    for _ in range(runs):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - w0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return {
        "wall_ms": round(statistics.median(wall), 1),
        "cpu_ms": round(statistics.median(cpu), 1),
    }


def _rss_mib() -> int:
    return round(psutil.Process().memory_info().rss / 2**20)


def scorer_rate(weights: Path, bf16: bool, runs: int) -> dict[str, Any]:
    """7b: pairs per CPU second of the scorer alone, one torch thread, in this process, on
    the sentences holding an entity and on all of them; with the RSS as it loads."""
    import torch

    from service.engines.polarity.batching import encode

    every, with_entities = sample_items()
    torch.set_num_threads(1)
    rss = {"spacy_worker": _rss_mib()}
    from service.engines.polarity import PolarityScorer

    rss["after_import"] = _rss_mib()
    scorer = PolarityScorer(weights, torch_threads=1, bf16=bf16)
    rss["after_load"] = _rss_mib()
    out: dict[str, Any] = {"weights": str(weights), "layers": scorer.layers, "bf16": bf16}
    out["identity"] = scorer.identity
    for name, items in (("entity_sentences", with_entities), ("all_sentences", every)):
        pairs = sum(len(spans) for _, spans in items)
        ms = timed(lambda items=items: scorer.score(items), runs)
        tokens = sum(len(e.ids) for e in encode(scorer.tokenizer, items, 256))
        per_s = round(pairs / ms["cpu_ms"] * 1000, 1)
        out[name] = {"sentences": len(items), "pairs": pairs, "tokens": tokens, **ms}
        out[name]["pairs_per_cpu_s"] = per_s
    out["rss_mib"] = rss | {"after_scoring": _rss_mib()}
    return out


def memory_delta(on: dict[str, Any], off: dict[str, Any]) -> dict[str, Any]:
    """7c: the model's memory, PSS and USS, total and per worker (MiB)."""

    def extra(key: str) -> float:
        mean = lambda s: statistics.fmean(w[key] for w in s["workers"])  # noqa: E731
        return round(mean(on) - mean(off), 1)

    return {
        "total_pss_extra_mib": round(on["total_pss_mib"] - off["total_pss_mib"], 1),
        "master_pss_extra_mib": round(on["master"]["pss_mib"] - off["master"]["pss_mib"], 1),
        **{f"worker_{k}_extra_mib": extra(f"{k}_mib") for k in ("pss", "uss", "rss")},
        "on": on,
        "off": off,
    }


def model_figures(
    start: Callable[[str, dict[str, str]], Gunicorn],
    stop: Callable[[Gunicorn], None],
    log: Callable[[str], None],
    weights: Path,
    bf16: bool,
    runs: int,
    tag: str,
) -> dict[str, Any]:
    """Figures 7a-7c, spaCy French. ``start(name, env)`` starts a gunicorn of the benchmark:
    the model's own server, then a model-off twin."""
    polarity = {"POLARITY_WEIGHTS": str(weights), "POLARITY_BF16": "true" if bf16 else "false"}
    env = {**NO_STANZA, "SERVICE_LANGUAGES": "fr", **polarity}
    out: dict[str, Any] = {"weights": str(weights), "bf16": bf16}
    snapshots = {}
    for state in ("on", "off"):
        server = start(f"model-{state}", {**env, "POLARITY_MODEL": state})
        try:
            out[f"cold_start_{state}_s"] = round(server.wait_ready(600), 1)
            text = lambda i, s=state: sample(f"{tag}-warm-{s}-{i}").text  # noqa: E731
            out[f"warm_up_{state}"] = warm_up(server, text, log)
            if state == "on":
                log(f"model: uncached sample, model vs lexicon ({runs} rounds)")
                out["answer"] = answer_cost(server, runs, tag)
            snapshots[state] = memory_snapshot(server)
        finally:
            stop(server)
    out["memory"] = memory_delta(snapshots["on"], snapshots["off"])
    log("model: scorer alone, pairs per CPU second")
    out["scorer"] = scorer_rate(weights, bf16, max(3, runs))
    return out


def lexicon_answer(runs: int) -> dict[str, Any]:
    """Median ms of an uncached lexicon-only ``POST /v1/enrich`` of the sample (spaCy fr,
    Flask's test client), the baseline the scorer's cost is set against."""
    import torch

    torch.set_num_threads(1)
    from service import create_app
    from service.config import Settings

    settings = dataclasses.replace(
        Settings.from_env({**NO_STANZA, "POLARITY_MODEL": "off"}),
        languages=("fr",),
        memory_cache_items=0,
    )
    client = create_app(settings).test_client()
    counter = iter(range(10**6))

    def call() -> None:  # a text of its own every time: uncached
        body = {"text": sample(f"lexicon-{next(counter)}").text, "language": "fr"}
        assert client.post("/v1/enrich", json=body).status_code == 200

    return {"lexicon_uncached": timed(call, runs)}


def main() -> int:
    """Each measurement in a fresh subprocess; one JSON document."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--weights", type=Path, action="append", default=[])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--bf16", action="store_true", help="also each weights file in bf16")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: measure one thing here
    args = parser.parse_args()
    if args.one:
        what, _, mode = args.one.partition("@")
        if what == "lexicon":
            result = lexicon_answer(args.runs)
        else:
            result = scorer_rate(Path(what), mode == "bf16", args.runs)
        print(json.dumps(result))
        return 0
    jobs = ["lexicon"]
    for weights in args.weights:
        jobs += [f"{weights}@fp32"] + ([f"{weights}@bf16"] if args.bf16 else [])
    results = []
    for what in jobs:
        command = [sys.executable, __file__, "--one", what, "--runs", str(args.runs)]
        done = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
