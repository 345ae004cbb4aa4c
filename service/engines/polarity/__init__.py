"""Target polarity from a fine-tuned multilingual-e5-small: the only layer that imports
torch and transformers for it. Analysis calls :meth:`PolarityScorer.score`."""

from service.engines.polarity.base_files import BaseModelError
from service.engines.polarity.classifier import LABELS
from service.engines.polarity.scorer import DEFAULT_WEIGHTS, PolarityScorer

__all__ = ["DEFAULT_WEIGHTS", "LABELS", "BaseModelError", "PolarityScorer"]
