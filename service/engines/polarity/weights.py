"""The trained part of the classifier on disk: fp16 safetensors with a small header."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from safetensors.torch import load, save

from service.engines.base import EngineLoadError
from service.engines.polarity.classifier import PolarityClassifier

FORMAT = "news-enrich-polarity/1"


@dataclass(frozen=True, slots=True)
class TrainedWeights:
    """What a weights file holds, and its sha256 (part of the model's identity)."""

    state: dict
    layers: int
    base_sha256: str
    sha256: str
    meta: dict[str, str]


def save_weights(model: PolarityClassifier, path: Path, meta: dict[str, str]) -> str:
    """Write the trained part of ``model`` to ``path``; return the file's sha256."""
    layers = model.encoder.config.num_hidden_layers
    return write_state(model.trained_state(), layers, path, meta)


def write_state(state: dict, layers: int, path: Path, meta: dict[str, str]) -> str:
    """Write a trained state (fp16 tensors) of a ``layers``-layer classifier; return its sha256."""
    header = {"format": FORMAT, "layers": str(layers), **meta}
    data = save(state, metadata=header)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def read_weights(path: Path) -> TrainedWeights:
    """Read a weights file written by :func:`save_weights`; EngineLoadError if unusable."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise EngineLoadError(f"polarity weights not readable at {path}: {exc}") from exc
    digest = hashlib.sha256(data).hexdigest()
    _check_pin(path, digest)
    meta = _metadata(data, path)
    if meta.get("format") != FORMAT:
        raise EngineLoadError(f"{path} is not a {FORMAT} weights file")
    return TrainedWeights(
        load(data), int(meta["layers"]), meta.get("base_sha256", ""), digest, meta
    )


def _check_pin(path: Path, digest: str) -> None:
    """Refuse a weights file that its pin (``<name>.sha256`` beside it) does not describe.

    The committed weights carry one, so a truncated checkout, a Git LFS pointer or an edit
    in place is a start-up error rather than a different model serving under the same name.
    A file without a pin (one that `make train` wrote) is the operator's to vouch for.
    """
    pin = path.with_name(path.name + ".sha256")
    if not pin.is_file():
        return
    # `sha256sum` format: the digest, then the file's name; an empty pin matches nothing.
    expected = (pin.read_text(encoding="ascii", errors="replace").split() or [""])[0]
    if digest != expected:
        raise EngineLoadError(
            f"{path} has sha256 {digest[:16]}, its pin {pin.name} says {expected[:16]}: the "
            f"file is damaged or replaced; restore it with `git checkout -- {path.name}` in "
            "its folder, or point POLARITY_WEIGHTS at your own weights"
        )


def _metadata(data: bytes, path: Path) -> dict[str, str]:
    try:
        size = int.from_bytes(data[:8], "little")
        header = json.loads(data[8 : 8 + size])
    except (ValueError, UnicodeDecodeError) as exc:
        raise EngineLoadError(f"{path} is not a safetensors file: {exc}") from exc
    return dict(header.get("__metadata__") or {})
