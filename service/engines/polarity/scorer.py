"""The polarity scorer analysis calls: probabilities per target, one encoder pass per sentence."""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import torch

from service.config import DEFAULT_POLARITY_WEIGHTS
from service.engines.base import EngineLoadError, ScoringStoppedError
from service.engines.polarity.attribution import WordWeight, integrated_gradients, per_word
from service.engines.polarity.batching import Encoded, Item, batches, encode
from service.engines.polarity.loader import Base, build_classifier, load_base
from service.engines.polarity.weights import read_weights

# The committed weights' place, as the settings' default (POLARITY_WEIGHTS) names it.
DEFAULT_WEIGHTS = DEFAULT_POLARITY_WEIGHTS

Probabilities = tuple[float, float, float]
# A sentence, its targets' spans as scored, and which of them to explain.
Explained = tuple[str, Sequence[tuple[int, int]], int]


def _check(stop: Callable[[], bool] | None) -> None:
    if stop is not None and stop():
        raise ScoringStoppedError("stopped between batches")


class PolarityScorer:
    """A loaded classifier: ``score`` gives (negative, neutral, positive) per target.

    Thread-safe through a lock: torch's intra-op pool is per process, so concurrent calls
    would only fight over the same ``torch_threads`` cores.
    """

    def __init__(
        self,
        weights_path: Path = DEFAULT_WEIGHTS,
        torch_threads: int = 1,
        batch_size: int = 16,
        max_tokens: int = 256,
        base: Base | None = None,
        bf16: bool = False,
    ) -> None:
        weights = read_weights(weights_path)
        base = load_base() if base is None else base
        if weights.base_sha256 != base.encoder_sha256:
            raise EngineLoadError(
                f"{weights_path} was trained on base {weights.base_sha256[:12]}, "
                f"installed base is {base.encoder_sha256[:12]}"
            )
        variant = weights.meta.get("variant", "pooled")
        if variant not in ("pooled", "bracketed"):
            raise EngineLoadError(f"{weights_path}: {variant} weights are not served")
        self._bracketed = variant == "bracketed"
        # Several workers share the cores; one intra-op thread each avoids oversubscription.
        torch.set_num_threads(torch_threads)
        model = build_classifier(base, weights.layers)
        try:
            model.load_trained(weights.state)
        except ValueError as exc:
            raise EngineLoadError(f"{weights_path}: {exc}") from exc
        self._model = model.eval()
        # Only the tokenizer is kept: the encoder file's bytes can go once the model is built.
        self.tokenizer = base.tokenizer
        self._pad_id = base.pad_id
        _release_freed_memory()
        self._batch_size = batch_size
        self._max_tokens = max_tokens
        self._lock = threading.Lock()
        # bf16 matmuls: faster where the CPU has AVX512-BF16; see docs/model.md for its dev cost.
        self._bf16 = bf16
        self.layers = weights.layers
        self.base_sha256 = base.encoder_sha256
        self.weights_sha256 = weights.sha256
        self.identity = (
            f"multilingual-e5-small-q4@{self.base_sha256[:12]}"
            f"+polarity-L{self.layers}@{self.weights_sha256[:12]}"
            + ("+bf16" if bf16 else "")  # bf16 moves probabilities in the third decimal
        )

    @property
    def cache_key(self) -> str:
        """What the answer cache must vary with: the base file and the trained weights."""
        return f"{self.base_sha256}:{self.weights_sha256}" + (":bf16" if self._bf16 else "")

    def score(
        self, items: Sequence[Item], stop: Callable[[], bool] | None = None
    ) -> list[list[Probabilities]]:
        """For each (sentence, target character spans in it), the probabilities per target.

        Sentences are encoded once each, in length-sorted batches; every target of a
        sentence is read from that one pass. Order follows ``items`` and their spans.
        ``stop`` is asked before every batch: when it says so, :class:`ScoringStoppedError`
        (a long text's pass is many batches; its client may be gone long before the last).
        """
        out: list[list[Probabilities]] = [[] for _ in items]
        todo = [i for i, (_, spans) in enumerate(items) if spans]  # no target: no pass
        if not todo:
            return out
        encoded = encode(
            self.tokenizer, [items[i] for i in todo], self._max_tokens, self._bracketed
        )
        with (
            self._lock,
            torch.inference_mode(),
            torch.autocast("cpu", dtype=torch.bfloat16, enabled=self._bf16),
        ):
            for batch in batches(encoded, self._batch_size, self._pad_id):
                _check(stop)
                probs = self._model(batch).float().softmax(-1).tolist()
                for row, p in zip(batch.target_rows.tolist(), probs, strict=True):
                    out[todo[batch.items[row]]].append((p[0], p[1], p[2]))
        return out

    def attribute(
        self, items: Sequence[Explained], stop: Callable[[], bool] | None = None
    ) -> list[list[WordWeight]]:
        """For each (sentence, its targets' spans, the index of one of them), the words of
        the sentence with their push on that target's reading: (start, end, weight), in
        text order; weight > 0 pushed it toward positive, < 0 toward negative.

        The sentence is encoded exactly as :meth:`score` encodes it (all its targets
        marked), one batch row per item, in bf16 autocast as served; integrated gradients
        on the word vectors (:mod:`.attribution`). Several times the answer's own model
        pass (docs/analysis.md), so it runs only for answers that ask. Like ``score``, it
        runs in the workers only: nothing calls it at load, before the fork, and it asks
        ``stop`` before every batch.
        """
        out: list[list[WordWeight]] = [[] for _ in items]
        if not items:
            return out
        encoded = encode(
            self.tokenizer,
            [(text, spans) for text, spans, _ in items],
            self._max_tokens,
            self._bracketed,
        )
        rows = [
            Encoded(e.ids, [e.targets[k]], e.offsets)
            for e, (_, _, k) in zip(encoded, items, strict=True)
        ]
        with (
            self._lock,
            torch.enable_grad(),
            torch.autocast("cpu", dtype=torch.bfloat16, enabled=self._bf16),
        ):
            for batch in batches(rows, self._batch_size, self._pad_id):
                _check(stop)
                scores = integrated_gradients(self._model, batch, self._pad_id).tolist()
                for index, row_scores in zip(batch.items, scores, strict=True):
                    text, spans, _ = items[index]
                    out[index] = per_word(text, spans, rows[index], row_scores, self._bracketed)
        return out


def _release_freed_memory() -> None:
    """Hand the load's temporaries (file bytes, fp32 copies) back to the OS.

    glibc keeps freed heap for reuse, so without this a worker forked after the load would
    carry some hundreds of MB of dead pages. A no-op where the C library has no malloc_trim.
    """
    name = ctypes.util.find_library("c")
    trim = getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
    if trim is not None:
        trim(0)
