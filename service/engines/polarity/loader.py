"""Load the verified base (encoder file and tokenizer) and build a classifier on it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tokenizers import Tokenizer

from service.engines.polarity.base_files import BaseModelError, pinned, read_verified
from service.engines.polarity.classifier import PolarityClassifier
from service.engines.polarity.e5_format import E5File, FormatError
from service.engines.polarity.encoder import build_encoder


@dataclass(frozen=True, slots=True)
class Base:
    """The pinned base, read and checked: the 4-bit encoder image and the tokenizer."""

    e5: E5File
    tokenizer: Tokenizer
    encoder_sha256: str
    tokenizer_sha256: str

    @property
    def pad_id(self) -> int:
        """The tokenizer's padding id (masked out, so its value never matters)."""
        return self.tokenizer.token_to_id("<pad>")


def load_base(encoder_path: Path | None = None, tokenizer_path: Path | None = None) -> Base:
    """Read both pinned files (from their packages unless paths are given), checking hashes.

    Raises :class:`BaseModelError` (an ``EngineLoadError``) naming the package and the
    command that fixes it when a package is missing or a file is not the pinned one.
    """
    specs = pinned()
    encoder_spec, tokenizer_spec = specs["encoder"], specs["tokenizer"]
    raw = read_verified(encoder_spec, encoder_path)
    try:
        e5 = E5File(raw)
    except FormatError as exc:  # hash matched but unreadable: a bug in this reader
        raise BaseModelError(encoder_spec.package, str(exc), encoder_spec.install) from exc
    raw_tokenizer = read_verified(tokenizer_spec, tokenizer_path)
    try:
        tokenizer = Tokenizer.from_buffer(raw_tokenizer)
    except Exception as exc:  # the Rust parser raises a bare Exception on bad JSON
        problem = f"tokenizer.json not readable: {exc}"
        raise BaseModelError(tokenizer_spec.package, problem, tokenizer_spec.install) from exc
    return Base(e5, tokenizer, encoder_spec.sha256, tokenizer_spec.sha256)


def build_classifier(base: Base, layers: int) -> PolarityClassifier:
    """A classifier over the first ``layers`` encoder layers, with an untrained head."""
    encoder, words = build_encoder(base.e5, layers)
    return PolarityClassifier(encoder, words)
