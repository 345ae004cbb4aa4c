"""NLP engines: adapters that fill the neutral :mod:`service.document` model.

Only modules in this package import stanza or spaCy, and only when an engine is loaded.
"""

from service.engines.base import Engine, EngineLoadError, UnsupportedLanguageError
from service.engines.registry import EngineRegistry

__all__ = ["Engine", "EngineLoadError", "EngineRegistry", "UnsupportedLanguageError"]
