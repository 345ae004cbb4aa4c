"""Average trained weights files of one recipe into one file (a uniform "model soup").

python training/soup_polarity.py out.safetensors seed0.safetensors seed1.safetensors

Runs of the same recipe that differ only in their seed start from the same pretrained encoder
and stay close to it (small learning rates, three epochs), so the mean of their weights is a
model too, served at the cost of one. Tried on `make train`'s two seeds (0.842 and 0.825 on
NewsMTSC dev): the soup scored 0.833, their mean, and was not kept (docs/model.md).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from service.engines.polarity.weights import TrainedWeights, read_weights, write_state  # noqa: E402

# What must agree for the mean to be one model: its shape, its base and how it reads input.
SAME = ("base_sha256", "tokenizer_sha256", "variant")


def soup(parts: list[TrainedWeights]) -> dict[str, torch.Tensor]:
    """The element-wise mean of ``parts``' states (computed in fp32, stored fp16)."""
    first = parts[0]
    for other in parts[1:]:
        if other.layers != first.layers or set(other.state) != set(first.state):
            raise SystemExit("the weights files are not of one shape")
        for key in SAME:
            if other.meta.get(key) != first.meta.get(key):
                raise SystemExit(f"the weights files differ in {key}")
    return {
        name: torch.stack([p.state[name].float() for p in parts]).mean(0).half().contiguous()
        for name in first.state
    }


def main() -> int:
    """Write the soup of the given files, its header naming the ingredients."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("parts", type=Path, nargs="+")
    args = ap.parse_args()
    if len(args.parts) < 2:
        ap.error("give at least two weights files")
    parts = [read_weights(path) for path in args.parts]
    meta = {k: v for k, v in parts[0].meta.items() if k not in ("format", "layers", "seed")}
    meta["seed"] = ",".join(p.meta.get("seed", "?") for p in parts)
    meta["soup"] = ",".join(p.sha256[:12] for p in parts)
    digest = write_state(soup(parts), parts[0].layers, args.out, meta)
    print(f"saved {args.out} (mean of {len(parts)}: {meta['soup']}), sha256 {digest[:16]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
