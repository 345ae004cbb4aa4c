"""The figures of ``bench/performance.py`` as table rows (each with its target and verdict),
as a fixed-width table and as JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from perf_figures import cpu_ratio, ratio

# Targets the issues set, and two the deployment implies (k8s/deployment.yaml: a 4Gi memory
# limit for two workers, a startup probe of 30 x 10 s).
OVERHEAD_MAX = 1.10
CACHED_P50_MS, CACHED_P99_MS = 2.0, 5.0
FLOOR_RATIO_MIN = 0.7
CACHED_RATIO_MAX = 1 / 200
BATCH_RATIO_MAX = 0.6
SLOPE_MAX = 1.10
POD_MEMORY_MIB = 4096
STARTUP_BUDGET_S = 300
MODEL_ANSWER_RATIO_MAX = 3.0


@dataclass(slots=True)
class Figure:
    """One measured figure with its target and whether it holds."""

    figure: str
    engine: str
    name: str
    value: float | None
    unit: str
    target: str
    passed: bool | None  # None: no target, or not measured
    note: str = ""

    @property
    def verdict(self) -> str:
        """PASS, MISS, or what stands instead."""
        if self.value is None:
            return "SKIP"
        return "-" if self.passed is None else ("PASS" if self.passed else "MISS")


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit == "ratio":
        return f"{value:.3f}" if value >= 0.01 else f"{value:.5f}"
    return f"{value:,.1f} {unit}" if abs(value) >= 10 else f"{value:.2f} {unit}"


def table(figures: list[Figure]) -> str:
    """The figures as a fixed-width text table, then each figure's note."""
    head = ("fig", "engine", "figure", "measured", "target", "result")
    rows = [
        (f.figure, f.engine, f.name, _fmt(f.value, f.unit), f.target, f.verdict) for f in figures
    ]
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [line.format(*head), line.format(*("-" * w for w in widths))]
    out += [line.format(*row) for row in rows]
    notes = [f"  [{f.figure} {f.engine}] {f.note}" for f in figures if f.note]
    return "\n".join(out + (["", *notes] if notes else []))


def as_json(figures: list[Figure]) -> list[dict[str, Any]]:
    """The figures as plain data, with their verdicts."""
    return [{**asdict(f), "result": f.verdict} for f in figures]


def _cache_rows(
    engine: str, variant: dict[str, Any], floor: dict[str, Any], uncached_ms: float, how: str
) -> list[Figure]:
    """Figure 2 rows for one way of calling the service (perf_figures.cache_figures)."""
    one, many = variant["one_client"], variant["concurrent"]
    fone, fmany = floor["one_client"], floor["concurrent"]
    to_floor, efficiency = ratio(variant, floor), cpu_ratio(variant, floor)
    cached = one["p50_ms"] / uncached_ms
    log = many["server_log_delta"]
    clean = one["errors"] == 0
    return [
        Figure(
            "2a",
            engine,
            f"cached p50, 1 client{how}",
            one["p50_ms"],
            "ms",
            f"< {CACHED_P50_MS} ms, 0 errors",
            one["p50_ms"] < CACHED_P50_MS and clean,
            f"{one['requests']} answers, {one['errors']} errors; floor app p50 "
            f"{fone['p50_ms']} ms, p99 {fone['p99_ms']} ms",
        ),
        Figure(
            "2a",
            engine,
            f"cached p99, 1 client{how}",
            one["p99_ms"],
            "ms",
            f"< {CACHED_P99_MS} ms, 0 errors",
            one["p99_ms"] < CACHED_P99_MS and clean,
        ),
        Figure(
            "2b",
            engine,
            f"cached, {many['clients']} clients / floor{how}",
            round(to_floor, 3),
            "ratio",
            f">= {FLOOR_RATIO_MIN}, 0 errors",
            to_floor >= FLOOR_RATIO_MIN and many["errors"] == 0,
            f"service {many['answers_per_s_rounds']}/s (p50 {many['p50_ms']} ms, "
            f"{many['errors']} errors; its log: {log['recycled_after_max_requests']} recycled, "
            f"{log['killed_by_signal']} killed by a signal), floor "
            f"{fmany['answers_per_s_rounds']}/s ({fmany['errors']} errors), client "
            f"{many['client']}, median of {many['rounds']} rounds of {many['seconds_per_round']}"
            f" s; CPU of each worker per round {many['worker_cpu_share_rounds']}",
        ),
        Figure(
            "2b",
            engine,
            f"CPU per cached answer, floor/service{how}",
            round(efficiency, 3),
            "ratio",
            f">= {FLOOR_RATIO_MIN}",
            efficiency >= FLOOR_RATIO_MIN,
            f"server CPU ms per answer, by round: service "
            f"{many['server_cpu_ms_per_answer_rounds']}, floor "
            f"{fmany['server_cpu_ms_per_answer_rounds']}",
        ),
        Figure(
            "2c",
            engine,
            f"cached/uncached latency{how}",
            round(cached, 5),
            "ratio",
            f"< 1/{round(1 / CACHED_RATIO_MAX)}",
            cached < CACHED_RATIO_MAX,
            f"{one['p50_ms']} ms / {uncached_ms} ms",
        ),
    ]


def _server_rows(engine: str, servers: list[dict[str, Any]]) -> list[Figure]:
    """Figure 4 and 6 rows, one per gunicorn started."""
    memory_rows, start_rows = [], []
    for server in servers:
        what = f"{server['workers']} workers, {'preload' if server['preload'] else 'no preload'}"
        if "memory" not in server:
            error = str(server.get("error", ""))[:200]
            limit = f"<= {POD_MEMORY_MIB} MiB"
            memory_rows.append(
                Figure("4", engine, f"PSS total, {what}", None, "MiB", limit, None, error)
            )
            continue
        mem, start, loaded = (
            server["memory"],
            server["cold_start_s"],
            server.get("all_workers_loaded_s"),
        )
        pss = ", ".join(f"{w['pss_mib']:.0f}" for w in mem["workers"])
        rss = ", ".join(f"{w['rss_mib']:.0f}" for w in mem["workers"])
        memory_rows.append(
            Figure(
                "4",
                engine,
                f"PSS total, {what}",
                mem["total_pss_mib"],
                "MiB",
                f"<= {POD_MEMORY_MIB} MiB (pod limit)",
                mem["total_pss_mib"] <= POD_MEMORY_MIB,
                f"{what}: master RSS {mem['master']['rss_mib']:.0f} / PSS "
                f"{mem['master']['pss_mib']:.0f} MiB; workers RSS [{rss}] / PSS [{pss}] MiB",
            )
        )
        start_rows.append(
            Figure(
                "6",
                engine,
                f"cold start to /readyz, {what}",
                start,
                "s",
                f"<= {STARTUP_BUDGET_S} s (startup probe)",
                start <= STARTUP_BUDGET_S,
                f"{what}: every worker loaded at {loaded} s" if loaded else "",
            )
        )
    return memory_rows + start_rows


def engine_rows(engine: str, r: dict[str, Any]) -> list[Figure]:
    """The rows of figures 1 to 6 of one engine's results."""
    over, batch, scale = r["overhead"], r["batching"], r["scaling"]
    slopes = scale["slopes"]
    worst = max(s["exponent"] for s in slopes) if slopes else None
    per_k = ", ".join(
        f"{s['chars'] / 1000:.0f}k: {s['ms_per_1k_chars']:.1f}" for s in scale["sizes"]
    )
    steps = ", ".join(
        f"{s['from_chars'] / 1000:.0f}k->{s['to_chars'] / 1000:.0f}k {s['exponent']} "
        f"(analysis {s['analysis_exponent']})"
        for s in slopes
    )
    cache, diag = r["cache"], r["cache_no_recycling"]
    floor, uncached = cache["floor"], cache["uncached_ms"]
    diag_how = " [diag: no recycling]"
    rows = [
        Figure(
            "1",
            engine,
            "overhead HTTP/engine",
            over["ratio"],
            "ratio",
            f"<= {OVERHEAD_MAX}",
            over["ratio"] <= OVERHEAD_MAX,
            f"medians of {over['runs']}: HTTP {over['http_ms_median']} ms, engine alone "
            f"{over['engine_alone_ms_median']} ms (in the worker: engine "
            f"{over['in_worker_engine_ms_median']} ms + analysis "
            f"{over['in_worker_analysis_ms_median']} ms)",
        ),
        *_cache_rows(engine, cache["service"], floor, uncached, ""),
        *_cache_rows(engine, diag["service"], diag["floor"], uncached, diag_how)[:4],
        *_cache_rows(
            engine,
            diag["service_language_given"],
            diag["floor"],
            uncached,
            " [diag: no recycling, language given]",
        ),
        Figure(
            "3",
            engine,
            f"batch/singles ({batch['documents']} docs)",
            batch["ratio"],
            "ratio",
            f"<= {BATCH_RATIO_MAX}",
            batch["ratio"] <= BATCH_RATIO_MAX,
            f"batch {batch['batch_s']} s, singles {batch['singles_s']} s, {batch['words']} words",
        ),
        Figure(
            "5",
            engine,
            "scaling exponent (1 = linear)",
            worst,
            "",
            f"<= {SLOPE_MAX}",
            None if worst is None else worst <= SLOPE_MAX,
            f"ms per 1k chars: {per_k}; exponents {steps}",
        ),
    ]
    return rows + _server_rows(engine, r["servers"])


def model_rows(r: dict[str, Any]) -> list[Figure]:
    """The rows of figure 7, the polarity model's cost (perf_model.model_figures)."""
    answer, scorer, mem = r["answer"], r["scorer"], r["memory"]
    model, lexicon = answer["model"], answer["lexicon"]
    rate = scorer["entity_sentences"]
    limit = f"<= {MODEL_ANSWER_RATIO_MAX}"
    return [
        Figure(
            "7a",
            "spacy",
            "uncached sample, model / lexicon-only, CPU",
            answer["ratio_cpu"],
            "ratio",
            limit,
            answer["ratio_cpu"] <= MODEL_ANSWER_RATIO_MAX,
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
            limit,
            answer["ratio_wall"] <= MODEL_ANSWER_RATIO_MAX,
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
