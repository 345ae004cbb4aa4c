"""Performance figures of the service, measured in one run on this machine (``make bench``).

    .venv/bin/python bench/performance.py                  # every figure, both engines
    .venv/bin/python bench/performance.py --quick          # a shorter development run
    .venv/bin/python bench/performance.py --engines spacy  # one engine

For each engine (spaCy, the offline default; Stanza with production-shaped, untrained
French models built by ``bench/stanza_prod.py``), through gunicorn with the project's
``gunicorn.conf.py`` and a private redis-server:

1. overhead: the service over HTTP on one uncached ~1,000-word article / the engine alone
   (``engine.annotate`` in this process) on the same text; medians;
2. cache: (a) one client's cached-answer latency, (b) 32 concurrent clients' cached answers
   per second / those of a floor app (``bench/perf_floor_app.py``: hash, Redis GET,
   decompress, return) under the same gunicorn settings, (c) cached / uncached latency;
3. batching: 32 uncached articles in one batch call / the same through single calls;
4. memory: RSS and PSS of the gunicorn master and each worker after warm-up, with 2 and 4
   workers, models loaded in the master before the fork (the default) and in each worker;
5. scaling: engine plus analysis time per 1,000 characters at 1k, 10k and 100k characters;
6. cold start: from process start to the first ``/readyz`` 200.

Prints the machine, a table with every figure, its target and PASS or MISS, then the same
as JSON (also written to ``--json-out``).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from harness import (
    ROOT,
    SERVICE_APP,
    ForeignCpu,
    Gunicorn,
    Servers,
    exit_on_sigterm,
    in_process,
    load_client,
    log_progress,
    machine,
    post,
    revision,
    scrape,
)
from perf_articles import SAMPLE, compose, sample
from perf_figures import (
    Plan,
    batching,
    cache_diagnostics,
    cache_figures,
    memory_snapshot,
    overhead,
    scaling,
    torch_threads,
    warm_up,
)
from perf_floor_app import store
from perf_model import model_figures
from perf_report import as_json, engine_rows, model_rows, table

# Figures 1-6 measure the service around its engine, as before the polarity model existed;
# the model's own cost (time, memory) is figure 7, measured with it on and off side by side.
NO_MODEL = {"POLARITY_MODEL": "off"}
FLOOR_APP = "perf_floor_app:create_app()"


@dataclass(frozen=True, slots=True)
class EnginePlan:
    """What to run for one engine."""

    name: str
    label: str
    env: dict[str, str]
    languages: tuple[str, ...]
    overhead_runs: int
    batch_docs: int
    batch_words: tuple[int, int]
    batch_languages: tuple[str, ...]
    scaling_sizes: tuple[int, ...]
    scaling_reps: tuple[int, ...]
    warm_up_words: int | None  # None: the French sample (what figure 1 then measures)

    def warm_up_text(self, tag: str) -> Callable[[str], str]:
        """Unique warm-up texts: the sample, or a composed French article."""
        if self.warm_up_words is None:
            return lambda i: sample(f"{tag}-{i}").text
        return lambda i: compose("fr", self.warm_up_words, tag=f"{tag}-{i}").text


def plans(args: argparse.Namespace, stanza_dir: Path | None) -> tuple[Plan, list[EnginePlan]]:
    """The run for ``--quick`` or a full run."""
    quick = args.quick
    shared = Plan(
        loop_count=500 if quick else 3000,
        loop_seconds=10 if quick else 30,
        clients=32,
        rounds=1 if quick else 3,
        throughput_seconds=4 if quick else 6,
        workers=(2, 4),
        preload_variants=not quick,
        threads_experiment=not quick,
    )
    engines = []
    if "spacy" in args.engines:
        engines.append(
            EnginePlan(
                "spacy",
                "spaCy (fr_core_news_sm, en_core_web_sm)",
                {
                    "SERVICE_ENGINE": "spacy",
                    "SERVICE_LANGUAGES": "fr,en",
                    "STANZA_RESOURCES_DIR": str(ROOT / ".cache" / "no-stanza"),
                    **NO_MODEL,
                },
                ("fr", "en"),
                overhead_runs=3 if quick else 7,
                batch_docs=32,
                batch_words=(200, 5000),
                batch_languages=("fr", "en"),
                scaling_sizes=(1_000, 10_000, 100_000),
                scaling_reps=(2, 1, 1) if quick else (5, 3, 2),
                warm_up_words=None,
            )
        )
    if "stanza" in args.engines and stanza_dir is not None:
        stanza_sizes = (
            (1_000, 10_000) if quick or not args.stanza_100k else (1_000, 10_000, 100_000)
        )
        engines.append(
            EnginePlan(
                "stanza",
                "Stanza fr, production-shaped, untrained weights",
                {
                    "SERVICE_ENGINE": "stanza",
                    "SERVICE_LANGUAGES": "fr",
                    "STANZA_RESOURCES_DIR": str(stanza_dir),
                    **NO_MODEL,
                },
                ("fr",),
                overhead_runs=2 if quick else 3,
                batch_docs=8 if quick else 32,
                batch_words=(200, 400),
                batch_languages=("fr",),
                scaling_sizes=stanza_sizes,
                scaling_reps=(1, 1, 1)[: len(stanza_sizes)] if quick else (3, 2, 1),
                # a sample takes Stanza 8 s: a 200-word article warms a worker in 1.5 s
                warm_up_words=200,
            )
        )
    return shared, engines


class Bench(Servers):
    """The servers of one benchmark run (:class:`harness.Servers`), with its clock.

    Every gunicorn runs torch on one thread, as the service's default, with a long budget
    (the default 60 s would answer 503 to a Stanza batch of 32 articles) and room for figure
    3's batch (32 articles of up to 5,000 words: about 320,000 characters, past the default
    MAX_BATCH_CHARS of 200,000, which would answer 413).
    """

    def __init__(self, workdir: Path, logs: Path, redis_url: str | None) -> None:
        defaults = {"TORCH_THREADS": "1", "REQUEST_TIMEOUT_SECONDS": "900"}
        defaults["MAX_BATCH_CHARS"] = "1000000"
        super().__init__(workdir, logs, redis_url, "perf", defaults)
        self.began = time.monotonic()
        self.log = log_progress(self.began)


def scrape_metrics(base: str) -> dict[str, float]:
    """Cache results and answers by status, from ``/metrics`` (summed over workers)."""
    return scrape(base, ("enrich_cache_total", "enrich_http_requests_total"))


# Variants of the service's gunicorn: the project's own settings (models loaded in the
# master, before the fork), each worker loading its own models after the fork (the memory
# and start-up figures it is chosen over), and workers never recycled (a diagnostic).
KINDS: dict[str, tuple[dict[str, str], tuple[str, ...]]] = {
    "configured": ({}, ()),
    "no-preload": ({"PRELOAD_MODELS": "false"}, ()),
    "no-recycling": ({"WORKER_MAX_DOCUMENTS": "0"}, ("--max-requests", "0")),
}


def serve_and_measure(
    bench: Bench, plan: EnginePlan, workers: int, kind: str = "configured"
) -> tuple[Gunicorn, dict[str, Any]]:
    """Start gunicorn, time the cold start, warm every worker up, measure memory."""
    from service.config import Settings

    name = f"{plan.name}-w{workers}-{kind}"
    overrides, extra = KINDS[kind]
    env = {**plan.env, "WEB_CONCURRENCY": str(workers), **overrides}
    server = bench.gunicorn(name, env, SERVICE_APP, extra)
    preload = Settings.from_env(env).preload_models
    out: dict[str, Any] = {"workers": workers, "kind": kind, "preload": preload}
    try:
        out["cold_start_s"] = round(server.wait_ready(600), 2)
        if not preload:  # else the master loaded them, once, before it forked the workers
            loaded = server.wait_all_loaded(len(plan.languages), 600)
            out["all_workers_loaded_s"] = round(loaded, 2)
        tag = f"warm-{bench.run_id}-{name}"
        out["warm_up"] = warm_up(server, plan.warm_up_text(tag), bench.log)
        if "en" in plan.languages:  # not checked per worker: English costs the same
            warm_english = compose("en", 1000, tag=f"{tag}-en").text
            post(f"{server.base}/v1/enrich", orjson.dumps({"text": warm_english}))
        out["memory"] = memory_snapshot(server)
    except BaseException:
        bench.stop(server)
        raise
    mem = out["memory"]
    bench.log(
        f"  {name}: ready in {out['cold_start_s']} s; PSS total {mem['total_pss_mib']} MiB, "
        f"RSS total {mem['total_rss_mib']} MiB"
    )
    return server, out


def _configured(
    bench: Bench, shared: Plan, plan: EnginePlan, engine: Any, floors: dict[str, Gunicorn]
) -> dict[str, Any]:
    """Figures 1, 2, 3 (and 4, 6 at the first worker count) on the project's settings."""
    from service.cache.base import encode

    server, first = serve_and_measure(bench, plan, shared.workers[0])
    out: dict[str, Any] = {"servers": [first]}
    try:
        bench.log(f"{plan.name}: overhead ({plan.overhead_runs} runs)")
        tag = f"ovh-{bench.run_id}-{plan.name}"
        out["overhead"] = overhead(server, engine, sample, plan.overhead_runs, tag).as_dict()
        if plan.name == "stanza" and shared.threads_experiment:
            bench.log(f"{plan.name}: engine alone with 1 and 2 torch threads")
            out["torch_threads"] = torch_threads(
                engine, lambda t: sample(t).text, 3, f"thr-{bench.run_id}"
            )

        bench.log(f"{plan.name}: cache (1 client, then {shared.clients} clients), floor app")

        def store_floor(body: bytes, value: bytes) -> None:
            store(bench.redis, f"{bench.prefix}-floor", body, value)

        text = sample().text
        out["cache"] = cache_figures(
            server, floors["configured"], store_floor, encode, text, shared, scrape_metrics
        )
        out["cache"]["uncached_ms"] = out["overhead"]["http_ms_median"]
        out["cache"]["settled_after_s"] = round(server.wait_settled(300), 1)

        bench.log(f"{plan.name}: batching ({plan.batch_docs} articles)")
        low, high = plan.batch_words
        tag = f"batch-{bench.run_id}-{plan.name}"
        out["batching"] = batching(server, plan.batch_docs, low, high, plan.batch_languages, tag)
        first["memory_after_run"] = memory_snapshot(server)
    finally:
        bench.stop(server)
    return out


def run_engine(
    bench: Bench, shared: Plan, plan: EnginePlan, floors: dict[str, Gunicorn]
) -> dict[str, Any]:
    """Every figure of one engine."""
    out: dict[str, Any] = {"label": plan.label}
    bench.log(f"{plan.name}: loading the engine in this process")
    began = time.monotonic()
    env = {**plan.env, "SERVICE_LANGUAGES": "fr", "MEMORY_CACHE_ITEMS": "0"}
    _, registry, enricher = in_process(env, request_timeout_seconds=3600)
    out["in_process_load_s"] = round(time.monotonic() - began, 1)
    out.update(_configured(bench, shared, plan, registry.get("fr"), floors))

    bench.log(f"{plan.name}: cached path without worker recycling (diagnostic)")
    server, diag = serve_and_measure(bench, plan, shared.workers[0], "no-recycling")
    try:
        floor = floors["no-recycling"]
        diag.update(cache_diagnostics(server, floor, sample().text, shared, scrape_metrics))
        out["cache_no_recycling"] = diag
    finally:
        bench.stop(server)

    bench.log(f"{plan.name}: scaling {plan.scaling_sizes} chars, in process")
    tag = f"scale-{bench.run_id}"
    out["scaling"] = scaling(enricher, plan.scaling_sizes, plan.scaling_reps, tag, bench.log)
    del enricher, registry
    gc.collect()

    variants = [(w, "configured") for w in shared.workers[1:]]
    if shared.preload_variants:
        variants += [(w, "no-preload") for w in shared.workers]
    for workers, kind in variants:
        bench.log(f"{plan.name}: gunicorn, {workers} workers, {kind}")
        try:
            server, measured = serve_and_measure(bench, plan, workers, kind)
        except (RuntimeError, OSError) as exc:
            bench.log(f"  failed: {exc}".splitlines()[0])
            out["servers"].append({"workers": workers, "kind": kind, "error": str(exc)})
            continue
        out["servers"].append(measured)
        bench.stop(server)
    return out


def model_stage(bench: Bench, args: argparse.Namespace) -> dict[str, Any]:
    """Figure 7 (the polarity model's cost) with the spaCy engine, or why it was skipped."""
    from service.engines.polarity import DEFAULT_WEIGHTS

    weights = args.weights or DEFAULT_WEIGHTS
    if not weights.is_file():
        bench.log(f"model: figure 7 skipped: no polarity weights at {weights}")
        return {"skipped": f"no polarity weights at {weights}"}
    runs = 3 if args.quick else 7
    bench.log(f"model: figure 7 with {weights}")
    tag = f"m-{bench.run_id}"
    return model_figures(bench.gunicorn, bench.stop, bench.log, weights, args.bf16, runs, tag)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add, on_off = parser.add_argument, argparse.BooleanOptionalAction
    add("--quick", action="store_true", help="shorter runs, for development")
    engines = lambda s: tuple(s.split(","))  # noqa: E731
    add("--engines", default="spacy,stanza", type=engines, help="spacy,stanza (default: both)")
    add("--stanza-100k", action=on_off, default=True, help="Stanza on 100,000 characters too")
    add(
        "--redis-url",
        help="this Redis (under a key prefix of the run's own, deleted at the end) instead "
        "of a private redis-server",
    )
    add("--model", action=on_off, default=True, help="figure 7 (skipped without weights)")
    add("--only-model", action="store_true", help="figure 7 alone: no engine figures")
    add("--weights", type=Path, help="polarity weights for figure 7 (default: the service's)")
    add("--bf16", action=on_off, default=True, help="bf16 matmuls, as POLARITY_BF16's default")
    default_out = ROOT / ".cache" / "bench" / "performance.json"
    add("--json-out", type=Path, default=default_out, help="the JSON report is also written here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the table and the JSON. Exit status 0 even when targets
    are missed (the figures are the output); 1 when a measurement could not be made."""
    args = parse_args(argv)
    # The workers run BLAS and OpenMP with one thread (gunicorn.conf.py); the engine timed in
    # this process must too. Read when numpy and torch load, which no import above does.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    exit_on_sigterm()
    info = machine()
    if info["cpu_busy_before_start"] > 0.25:
        print(
            f"warning: the CPU was {info['cpu_busy_before_start']:.0%} busy before the start: "
            "another process is using it, figures may be noisy (check with uptime)",
            file=sys.stderr,
        )
    if not SAMPLE.is_file():
        print(
            f"note: {SAMPLE} is missing; a composed French article of the same length "
            "stands in for it",
            file=sys.stderr,
        )
    stanza_dir = None
    build: dict[str, Any] | None = None
    foreign = ForeignCpu()
    foreign.start()
    with tempfile.TemporaryDirectory(prefix="perf-bench-", ignore_cleanup_errors=True) as tmp:
        workdir = Path(tmp)
        logs = args.json_out.parent / "logs"
        shutil.rmtree(logs, ignore_errors=True)
        logs.mkdir(parents=True)
        bench = Bench(workdir, logs, args.redis_url)
        try:
            if args.only_model:
                args.engines = ()
            if "stanza" in args.engines:
                from stanza_prod import build_info, build_prod_resources

                bench.log("stanza: production-shaped models (built once, then cached)")
                stanza_dir = build_prod_resources()
                build = build_info(stanza_dir)
            shared, engines = plans(args, stanza_dir)
            floor_env = {
                "FLOOR_REDIS_URL": bench.redis_url,
                "FLOOR_PREFIX": f"{bench.prefix}-floor",
            }
            floors = {}
            for kind in ("configured", "no-recycling") if engines else ():
                flags = ("--pythonpath", "bench", *KINDS[kind][1])
                floors[kind] = bench.gunicorn(f"floor-{kind}", floor_env, FLOOR_APP, flags)
            for floor in floors.values():
                floor.wait_ready(60)
            results = {plan.name: run_engine(bench, shared, plan, floors) for plan in engines}
            model = model_stage(bench, args) if args.model or args.only_model else None
        finally:
            bench.close()
    info["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    info["foreign_cpu_share"] = foreign.stop()
    if info["foreign_cpu_share"]["seconds_over_25pct"] > 30:
        print(
            f"warning: other processes used over 25% of the CPU for "
            f"{info['foreign_cpu_share']['seconds_over_25pct']} s of the run: figures may be "
            "noisy; rerun when the machine is quiet",
            file=sys.stderr,
        )
    info["duration_s"] = round(time.monotonic() - bench.began, 1)
    figures = [row for name, r in results.items() for row in engine_rows(name, r)]
    if model is not None and "skipped" not in model:
        figures += model_rows(model)
    report = {
        "machine": info,
        "command": "make bench" + ("  # --quick" if args.quick else ""),
        "revision": revision(),
        "client": load_client(),
        "sample": str(SAMPLE) if SAMPLE.is_file() else None,
        "stanza_models": build,
        "figures": as_json(figures),
        "details": results,
        "model": model,
        "server_logs": bench.server_logs,
    }
    print("\nMachine: " + ", ".join(f"{k}={v}" for k, v in info.items()))
    print(f"Revision: {report['revision']}; HTTP load client: {report['client']}")
    print(f"Engines: {'; '.join(r['label'] for r in results.values()) or 'none'}")
    shown = "not measured" if model is None else model.get("skipped") or model["weights"]
    print(f"Polarity model: {shown}\n")
    print(table(figures))
    print("\n" + json.dumps(report, indent=2))
    args.json_out.parent.mkdir(parents=True, exist_ok=True)
    args.json_out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
