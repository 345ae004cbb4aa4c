"""Loading the learned target-polarity model per the settings (``POLARITY_*``), once per
process with the engines.

Decision (README, Settings): ``POLARITY_MODEL=auto`` (the default) loads the model when the
weights file exists (the committed one, by default) and otherwise serves lexicon-only,
saying so in the log and in ``/v1/languages``; so an install whose weights file was left out
still starts. Once the model is to load (``on``, or ``auto`` with the weights there),
anything that stops it (a missing or corrupt base package, unusable weights, under ``on`` a
missing file) is a start-up error naming the file or package and the command that fixes
it: a service that silently lost its model would answer worse without anyone noticing.
``off`` never loads it (for operators short on memory). torch is imported only when the model loads.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from service.config import DEFAULT_POLARITY_WEIGHTS, Settings
from service.engines.base import EngineLoadError

if TYPE_CHECKING:
    from service.engines.polarity import PolarityScorer

logger = logging.getLogger(__name__)


class PolarityUnavailableError(EngineLoadError):
    """The model is to load and cannot: the process must not start."""


@dataclass(frozen=True, slots=True)
class PolarityStatus:
    """Whether the model serves: ``ready``, ``off`` (by the setting) or ``missing`` (no
    weights file under ``auto``); its identity, or why not."""

    state: str
    model: str | None = None
    detail: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        """Plain data for ``/v1/languages``."""
        return {"state": self.state, "model": self.model, "detail": self.detail}


def load_target_model(settings: Settings) -> tuple[PolarityScorer | None, PolarityStatus]:
    """The scorer and its status; raises :class:`PolarityUnavailableError` when the model
    is to load and cannot."""
    choice, path = settings.polarity_model, settings.polarity_weights
    if choice == "off":
        logger.info("POLARITY_MODEL=off: sentiment and stance come from the lexicon only")
        return None, PolarityStatus("off", detail="switched off by POLARITY_MODEL=off")
    if choice == "auto" and not path.is_file():
        detail = (
            f"no polarity weights at {path}: sentiment and stance come from the lexicon only "
            "(set POLARITY_WEIGHTS, or POLARITY_MODEL=off to silence this)"
        )
        logger.warning("%s", detail)
        return None, PolarityStatus("missing", detail=detail)
    if not path.is_file():  # under "on"
        raise PolarityUnavailableError(
            f"POLARITY_MODEL=on but there is no polarity weights file at {path} (the "
            f"committed weights are {DEFAULT_POLARITY_WEIGHTS}, restored by `git checkout`; "
            "`make train` makes new ones; POLARITY_MODEL=off serves lexicon-only)"
        )
    began = time.perf_counter()
    try:
        from service.engines.polarity import PolarityScorer

        scorer = PolarityScorer(path, settings.torch_threads, bf16=settings.polarity_bf16)
    except EngineLoadError as exc:
        raise PolarityUnavailableError(
            f"POLARITY_MODEL={choice}: the polarity model cannot load: {exc} "
            "(POLARITY_MODEL=off serves lexicon-only)"
        ) from exc
    logger.info("loaded polarity model %s in %.1fs", scorer.identity, time.perf_counter() - began)
    return scorer, PolarityStatus("ready", model=scorer.identity)
