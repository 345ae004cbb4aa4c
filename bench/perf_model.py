"""Figure 7 of ``make bench``: what the learned polarity model costs (issue 10, "Cost").

- 7a: the uncached French sample over HTTP with the model (the default) and with
  ``options.sentiment: "lexicon"``, alternating in the same run on the same gunicorn; medians
  of the client's wall time and of the workers' CPU time per answer (on a shared machine the
  CPU time is the figure for an idle core), and the answers' own ``timings``;
- 7b: (sentence, target) pairs scored per CPU second on one core: the scorer in this process
  (one torch thread) over the sample's sentences holding an entity, as analysis sends them;
- 7c: memory: the same gunicorn (2 workers, models loaded in the master before the fork) with
  ``POLARITY_MODEL=on`` and ``off``, each after every worker answered uncached articles: PSS
  and USS of the master and of each worker, and the differences (pages shared copy-on-write
  count in PSS once split between the processes; USS is what each process holds alone).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from harness import Gunicorn, cpu_seconds, post
from perf_articles import sample
from perf_figures import memory_snapshot, warm_up
from perf_report import Figure

ANSWER_RATIO_MAX = 3.0


def _cpu(server: Gunicorn) -> float:
    return sum(cpu_seconds(pid) for pid in server.worker_pids())


def answer_cost(server: Gunicorn, runs: int, tag: str) -> dict[str, Any]:
    """7a: ``runs`` rounds of one uncached sample with the model and one lexicon-only, the
    order alternating; one request at a time, so the workers' CPU delta is that answer's."""
    got: dict[str, dict[str, list[float]]] = {
        mode: {"wall_ms": [], "cpu_ms": [], "engine_ms": [], "analysis_ms": [], "model_ms": []}
        for mode in ("model", "lexicon")
    }
    models: set[str] = set()
    for i in range(runs + 1):  # round 0 warms both paths up and is not counted
        for mode in ("model", "lexicon") if i % 2 == 0 else ("lexicon", "model"):
            options = {"sentiment": mode}
            body = {"text": sample(f"{tag}-{mode}-{i}").text, "options": options}
            before = _cpu(server)
            reply = post(f"{server.base}/v1/enrich", orjson.dumps(body))
            cpu = _cpu(server) - before
            if reply.status != 200 or reply.header("X-Cache") != "MISS":
                raise RuntimeError(f"7a: {reply.status} {reply.header('X-Cache')}")
            answer = orjson.loads(reply.body)
            if i == 0:
                models.add(answer["engine"]["models"].get("polarity", "none"))
                continue
            timings = answer["timings"]
            row = got[mode]
            row["wall_ms"].append(reply.seconds * 1000)
            row["cpu_ms"].append(cpu * 1000)
            for key in ("engine_ms", "analysis_ms", "model_ms"):
                row[key].append(timings.get(key, 0.0))
    out: dict[str, Any] = {"runs": runs, "polarity_models_seen": sorted(models)}
    for mode, row in got.items():
        out[mode] = {f"{k}_median": round(statistics.median(v), 1) for k, v in row.items()}
        out[mode]["wall_ms_runs"] = [round(x, 1) for x in row["wall_ms"]]
        out[mode]["cpu_ms_runs"] = [round(x, 1) for x in row["cpu_ms"]]
    for key in ("wall_ms", "cpu_ms"):
        lex = out["lexicon"][f"{key}_median"]
        out[f"ratio_{key.split('_')[0]}"] = round(out["model"][f"{key}_median"] / lex, 2)
    return out


def scorer_rate(weights: Path, bf16: bool, runs: int) -> dict[str, Any]:
    """7b: pairs per CPU second of the scorer alone, one torch thread, in this process."""
    import torch
    from model_cost import sample_items, timed

    from service.engines.polarity import PolarityScorer

    every, with_entities = sample_items()
    torch.set_num_threads(1)
    scorer = PolarityScorer(weights, torch_threads=1, bf16=bf16)
    out: dict[str, Any] = {"identity": scorer.identity}
    for name, items in (("entity_sentences", with_entities), ("all_sentences", every)):
        pairs = sum(len(spans) for _, spans in items)
        ms = timed(lambda items=items: scorer.score(items), runs)
        out[name] = {
            "sentences": len(items),
            "pairs": pairs,
            **ms,
            "pairs_per_cpu_s": round(pairs / ms["cpu_ms"] * 1000, 1),
        }
    return out


def memory_delta(on: dict[str, Any], off: dict[str, Any]) -> dict[str, Any]:
    """7c: the model's memory, PSS and USS, total and per worker (MiB)."""

    def mean(rows: list[dict[str, float]], key: str) -> float:
        return statistics.fmean(r[key] for r in rows)

    return {
        "total_pss_extra_mib": round(on["total_pss_mib"] - off["total_pss_mib"], 1),
        "master_pss_extra_mib": round(on["master"]["pss_mib"] - off["master"]["pss_mib"], 1),
        "worker_pss_extra_mib": round(
            mean(on["workers"], "pss_mib") - mean(off["workers"], "pss_mib"), 1
        ),
        "worker_uss_extra_mib": round(
            mean(on["workers"], "uss_mib") - mean(off["workers"], "uss_mib"), 1
        ),
        "worker_rss_extra_mib": round(
            mean(on["workers"], "rss_mib") - mean(off["workers"], "rss_mib"), 1
        ),
        "on": on,
        "off": off,
    }


def model_figures(
    start: Callable[[str, dict[str, str]], Gunicorn],
    stop: Callable[[Gunicorn], None],
    log: Callable[[str], None],
    env: dict[str, str],
    weights: Path,
    bf16: bool,
    runs: int,
    tag: str,
) -> dict[str, Any]:
    """Figures 7a-7c. ``start(name, env)`` starts a gunicorn of the benchmark, ``env`` is the
    engine's; the model's own server and a model-off twin, one after the other."""
    polarity = {"POLARITY_WEIGHTS": str(weights), "POLARITY_BF16": "true" if bf16 else "false"}
    out: dict[str, Any] = {"weights": str(weights), "bf16": bf16}
    snapshots = {}
    for state in ("on", "off"):
        server = start(f"model-{state}", {**env, **polarity, "POLARITY_MODEL": state})
        try:
            out[f"cold_start_{state}_s"] = round(server.wait_ready(600), 1)
            out[f"warm_up_{state}"] = warm_up(
                server, lambda i, s=state: sample(f"{tag}-warm-{s}-{i}").text, log
            )
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


def model_rows(r: dict[str, Any]) -> list[Figure]:
    """The table rows of figure 7."""
    answer, scorer, mem = r["answer"], r["scorer"], r["memory"]
    model, lexicon = answer["model"], answer["lexicon"]
    rate = scorer["entity_sentences"]
    return [
        Figure(
            "7a",
            "spacy",
            "uncached sample, model / lexicon-only, CPU",
            answer["ratio_cpu"],
            "ratio",
            f"<= {ANSWER_RATIO_MAX}",
            answer["ratio_cpu"] <= ANSWER_RATIO_MAX,
            f"workers' CPU ms per answer, medians of {answer['runs']}: model "
            f"{model['cpu_ms_median']}, lexicon {lexicon['cpu_ms_median']}; in the model's "
            f"answer engine {model['engine_ms_median']} + analysis "
            f"{model['analysis_ms_median']} + model {model['model_ms_median']} ms",
        ),
        Figure(
            "7a",
            "spacy",
            "uncached sample, model / lexicon-only, wall",
            answer["ratio_wall"],
            "ratio",
            f"<= {ANSWER_RATIO_MAX}",
            answer["ratio_wall"] <= ANSWER_RATIO_MAX,
            f"client ms, medians: model {model['wall_ms_median']}, lexicon "
            f"{lexicon['wall_ms_median']}",
        ),
        Figure(
            "7b",
            "spacy",
            "pairs scored per CPU second, one core",
            rate["pairs_per_cpu_s"],
            "/s",
            "",
            None,
            f"{rate['pairs']} pairs in {rate['sentences']} sentences: {rate['cpu_ms']} CPU ms "
            f"({rate['wall_ms']} wall); {scorer['identity']}",
        ),
        Figure(
            "7c",
            "spacy",
            "extra PSS per worker, preloaded",
            mem["worker_pss_extra_mib"],
            "MiB",
            "",
            None,
            f"USS +{mem['worker_uss_extra_mib']} MiB, RSS +{mem['worker_rss_extra_mib']} MiB "
            f"per worker; master PSS +{mem['master_pss_extra_mib']} MiB; whole server "
            f"(master + 2 workers) PSS +{mem['total_pss_extra_mib']} MiB",
        ),
    ]
