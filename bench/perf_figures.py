"""The measurements behind each figure of ``bench/performance.py``, one function per figure.

Every function takes what it measures (a running gunicorn, an in-process engine) and
returns plain data; none starts or stops a server. Uncached runs use texts made unique by
a tag, so that nothing is served from the cache by accident.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from perf_articles import Article, compose, compose_chars, mixed_set, sample
from perf_http import Reply, median, post
from perf_procs import Gunicorn, cpu_seconds, memory

from service.analysis import DEFAULT_SECTIONS, processors_for

if TYPE_CHECKING:
    # Imported when used: it loads numpy, whose thread pools must be sized first.
    from service.enrichment import Enricher

Log = Callable[[str], None]


def _body(text: str, language: str | None = None) -> bytes:
    return orjson.dumps({"text": text, **({"language": language} if language else {})})


def _check(reply: Reply, cache: str | None = None) -> dict[str, Any]:
    if reply.status != 200:
        raise RuntimeError(f"HTTP {reply.status}: {reply.body[:300]!r}")
    if cache and reply.headers.get("X-Cache") != cache:
        raise RuntimeError(f"expected X-Cache {cache}, got {reply.headers.get('X-Cache')}")
    return orjson.loads(reply.body)


def warm_up(
    server: Gunicorn, languages: Sequence[str], tag: str, log: Log, timeout: float = 180.0
) -> dict[str, Any]:
    """Uncached requests, several at once, until every worker has run its engine (its CPU
    time grew by the cost of an inference); bounded to 12 rounds of ``timeout`` each.

    Each round sends the French sample once per worker (a worker's first article of a kind
    costs about twice the next: vocabulary and buffers grow) and a 1,000-word article in
    every other language."""
    pids = server.worker_pids()
    before = {pid: cpu_seconds(pid) for pid in pids}
    began = time.monotonic()
    for round_ in range(12):
        texts = [sample(f"{tag}-{round_}-{i}").text for i in range(len(pids))]
        texts += [
            compose(lang, 1000, seed=round_, tag=f"{tag}-{round_}").text
            for lang in languages
            if lang != "fr"
        ]
        with ThreadPoolExecutor(len(texts)) as pool:
            replies = list(
                pool.map(lambda t: post(f"{server.base}/v1/enrich", _body(t), timeout), texts)
            )
        for reply in replies:
            _check(reply)
        cold = [pid for pid in pids if cpu_seconds(pid) - before[pid] < 0.03]
        if not cold:
            return {"rounds": round_ + 1, "seconds": round(time.monotonic() - began, 1)}
    log(f"warning: workers {cold} did not take a warm-up request in 12 rounds")
    return {"rounds": 12, "cold_workers": cold}


def memory_snapshot(server: Gunicorn) -> dict[str, Any]:
    """RSS, PSS and USS (MiB) of the master and of each worker, and the totals."""
    master = memory(server.pid)
    workers = [memory(pid) for pid in server.worker_pids()]

    def row(m: Any) -> dict[str, float]:
        return {"rss_mib": round(m.rss, 1), "pss_mib": round(m.pss, 1), "uss_mib": round(m.uss, 1)}

    return {
        "master": row(master),
        "workers": [row(w) for w in workers],
        "total_rss_mib": round(master.rss + sum(w.rss for w in workers), 1),
        "total_pss_mib": round(master.pss + sum(w.pss for w in workers), 1),
    }


@dataclass(slots=True)
class Overhead:
    """Figure 1: service over HTTP / engine alone, on the same uncached texts."""

    http_s: list[float]
    engine_s: list[float]
    worker_engine_ms: list[float]
    analysis_ms: list[float]

    def as_dict(self) -> dict[str, Any]:
        """Medians, the ratio and where the difference goes."""
        http, engine = median(self.http_s), median(self.engine_s)
        return {
            "ratio": round(http / engine, 3),
            "runs": len(self.http_s),
            "http_ms_median": round(http * 1000, 1),
            "engine_alone_ms_median": round(engine * 1000, 1),
            "in_worker_engine_ms_median": round(median(self.worker_engine_ms), 1),
            "in_worker_analysis_ms_median": round(median(self.analysis_ms), 1),
            "http_ms_runs": [round(x * 1000, 1) for x in self.http_s],
            "engine_alone_ms_runs": [round(x * 1000, 1) for x in self.engine_s],
        }


def overhead(
    server: Gunicorn, engine: Any, article: Callable[[str], Article], runs: int, tag: str
) -> Overhead:
    """``runs`` rounds of one uncached HTTP call and one ``engine.annotate`` on the same
    text (the order alternates, so that a drift of the machine hits both alike)."""
    processors = processors_for(DEFAULT_SECTIONS, False)
    engine.annotate([article(f"{tag}-warm").text], processors)
    result = Overhead([], [], [], [])
    for i in range(runs):
        text = article(f"{tag}-{i}").text

        def over_http(text: str = text) -> None:
            reply = post(f"{server.base}/v1/enrich", _body(text))
            timings = _check(reply, "MISS")["timings"]
            result.http_s.append(reply.seconds)
            result.worker_engine_ms.append(timings["engine_ms"])
            result.analysis_ms.append(timings["analysis_ms"])

        def alone(text: str = text) -> None:
            began = time.perf_counter()
            engine.annotate([text], processors)
            result.engine_s.append(time.perf_counter() - began)

        for step in (over_http, alone) if i % 2 == 0 else (alone, over_http):
            step()
    return result


def torch_threads(engine: Any, text: Callable[[str], str], runs: int, tag: str) -> dict[str, Any]:
    """Engine-alone time with 1 and with 2 torch intra-op threads, in this process."""
    import torch

    processors = processors_for(DEFAULT_SECTIONS, False)
    before = torch.get_num_threads()
    out: dict[str, Any] = {}
    try:
        for threads in (1, 2):
            torch.set_num_threads(threads)
            times = []
            for i in range(runs):
                began = time.perf_counter()
                engine.annotate([text(f"{tag}-{threads}-{i}")], processors)
                times.append(time.perf_counter() - began)
            out[f"threads_{threads}_ms_median"] = round(median(times) * 1000, 1)
    finally:
        torch.set_num_threads(before)
    return out


def batching(
    server: Gunicorn, count: int, low: int, high: int, languages: tuple[str, ...], tag: str
) -> dict[str, Any]:
    """Figure 3: one batch call of ``count`` uncached articles, then the same articles (with
    another tag) through single calls one after the other."""
    batch = mixed_set(count, low, high, languages, f"{tag}-b")
    singles = mixed_set(count, low, high, languages, f"{tag}-s")
    payload = orjson.dumps({"documents": [{"text": a.text} for a in batch]})
    reply = post(f"{server.base}/v1/enrich/batch", payload)
    results = _check(reply)["results"]
    missed = [r.get("cache") for r in results if r.get("cache") != "MISS"]
    if len(results) != count or missed:
        raise RuntimeError(f"batch: {len(results)} results, not all MISS: {missed[:5]}")
    single_s = 0.0
    for article in singles:
        one = post(f"{server.base}/v1/enrich", _body(article.text))
        _check(one, "MISS")
        single_s += one.seconds
    return {
        "ratio": round(reply.seconds / single_s, 3),
        "documents": count,
        "words": sum(a.words for a in batch),
        "batch_s": round(reply.seconds, 2),
        "singles_s": round(single_s, 2),
    }


def scaling(
    enricher: Enricher, sizes: Sequence[int], reps: Sequence[int], tag: str, log: Log
) -> dict[str, Any]:
    """Figure 5: engine plus analysis per 1,000 characters, in process, uncached."""
    from service.enrichment import EnrichRequest

    warm = compose_chars("fr", 1000, tag=f"{tag}-w").text
    enricher.enrich(EnrichRequest(text=warm, language="fr"))
    rows = []
    for size, rep in zip(sizes, reps, strict=True):
        runs = []
        for r in range(rep):
            text = compose_chars("fr", size, seed=r, tag=f"{tag}-{size}-{r}").text
            began = time.perf_counter()
            answer = enricher.enrich(EnrichRequest(text=text, language="fr"))
            seconds = time.perf_counter() - began
            timings = orjson.loads(answer.body)["timings"]
            runs.append((seconds, timings["engine_ms"], timings["analysis_ms"], len(text)))
        chars = median([float(r[3]) for r in runs])
        per_k = {
            "total": median([r[0] * 1e6 / r[3] for r in runs]),
            "engine": median([r[1] * 1e3 / r[3] for r in runs]),
            "analysis": median([r[2] * 1e3 / r[3] for r in runs]),
        }
        log(f"    {int(chars):>7} chars: {per_k['total']:.1f} ms per 1k chars ({rep} runs)")
        rows.append(
            {
                "chars": int(chars),
                "runs": rep,
                "ms_per_1k_chars": round(per_k["total"], 2),
                "engine_ms_per_1k_chars": round(per_k["engine"], 2),
                "analysis_ms_per_1k_chars": round(per_k["analysis"], 2),
                "total_ms_median": round(median([r[0] * 1000 for r in runs]), 1),
            }
        )
    slopes = [
        {
            "from_chars": a["chars"],
            "to_chars": b["chars"],
            # time ~ size^k: k = 1 is linear, 2 quadratic
            "exponent": round(_exponent(a, b, "ms_per_1k_chars"), 3),
            "analysis_exponent": round(_exponent(a, b, "analysis_ms_per_1k_chars"), 3),
        }
        for a, b in itertools.pairwise(rows)
    ]
    return {"sizes": rows, "slopes": slopes}


def _exponent(a: dict[str, Any], b: dict[str, Any], key: str) -> float:
    per_a, per_b = a[key] * a["chars"], b[key] * b["chars"]
    if per_a <= 0 or per_b <= 0:
        return float("nan")
    return math.log(per_b / per_a) / math.log(b["chars"] / a["chars"])
