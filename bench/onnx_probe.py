"""Would ONNX Runtime make the polarity model's pass cheaper? A lever of issue 10's cost target,
measured; the service does not use ONNX Runtime.

    pip install --target /tmp/ort onnxruntime onnx      # not a project dependency
    PYTHONPATH=/tmp/ort nice -n 10 .venv/bin/python bench/onnx_probe.py --weights FILE

One thread, the sample's sentences holding an entity as analysis sends them (perf_model's
figure 7b items, length-sorted batches of 16): CPU ms of the encoder passes in torch with bf16
autocast (as served), in torch fp32, and in ONNX Runtime fp32 (the encoder exported with
``torch.onnx.export``, all graph optimisations), medians of 5 after a warm-up; and the largest
difference between the torch fp32 and ONNX hidden states.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from tempfile import TemporaryDirectory

import perf_model
import torch


def cpu_ms(fn: Callable[[], object]) -> int:
    """Median CPU milliseconds of 5 calls after a warm-up (perf_model's timer)."""
    return round(perf_model.timed(fn, 5)["cpu_ms"])


class _Encoder(torch.nn.Module):
    """The encoder alone, word vectors in, hidden states out: what ONNX Runtime would run."""

    def __init__(self, encoder: torch.nn.Module) -> None:
        super().__init__()
        self.encoder = encoder

    def forward(self, embeds: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.encoder(inputs_embeds=embeds, attention_mask=mask).last_hidden_state


def main() -> int:
    """Print the three CPU times and the numeric difference."""
    import onnxruntime as ort

    from service.engines.polarity import PolarityScorer
    from service.engines.polarity.batching import batches, encode

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--weights", type=Path, required=True)
    args = ap.parse_args()
    torch.set_num_threads(1)
    scorer = PolarityScorer(args.weights, torch_threads=1, bf16=True)
    model = scorer._model
    _, items = perf_model.sample_items()
    encoded = encode(scorer.tokenizer, items, 160, True)
    todo = list(batches(encoded, 16, scorer._pad_id))
    with torch.inference_mode():
        feeds = [(model.words(b.input_ids).float(), b.attention_mask) for b in todo]
    print(f"{len(items)} sentences, {sum(len(e.ids) for e in encoded)} tokens, {len(todo)} batches")

    def in_torch(bf16: bool) -> None:
        with torch.inference_mode(), torch.autocast("cpu", torch.bfloat16, enabled=bf16):
            for embeds, mask in feeds:
                model.encoder(inputs_embeds=embeds, attention_mask=mask)

    with TemporaryDirectory() as tmp:
        path = f"{tmp}/encoder.onnx"
        axes = {0: "batch", 1: "tokens"}
        torch.onnx.export(
            _Encoder(model.encoder).eval(),
            feeds[0],
            path,
            input_names=["embeds", "mask"],
            output_names=["hidden"],
            dynamic_axes={"embeds": axes, "mask": axes, "hidden": axes},
            opset_version=17,
            dynamo=False,
        )
        options = ort.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    numpy_feeds = [{"embeds": e.numpy(), "mask": m.numpy()} for e, m in feeds]

    def in_onnx() -> None:
        for feed in numpy_feeds:
            session.run(None, feed)

    print(f"torch, bf16 autocast (served): {cpu_ms(lambda: in_torch(True))} CPU ms")
    print(f"torch, fp32: {cpu_ms(lambda: in_torch(False))} CPU ms")
    print(f"ONNX Runtime {ort.__version__}, fp32: {cpu_ms(in_onnx)} CPU ms")
    with torch.inference_mode():
        ref = _Encoder(model.encoder)(*feeds[0])
    got = torch.from_numpy(session.run(None, numpy_feeds[0])[0])
    print(f"largest |torch fp32 - ONNX| in the hidden states: {float((ref - got).abs().max()):.2e}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
