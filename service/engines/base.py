"""The engine interface and the errors engines raise."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Protocol

from service.document import AnnotatedDocument, EngineInfo


class Engine(Protocol):
    """One loaded NLP pipeline for one language."""

    language: str
    info: EngineInfo

    def annotate(self, texts: Sequence[str], processors: frozenset[str]) -> list[AnnotatedDocument]:
        """Annotate several texts in one pass, running at least ``processors``."""
        ...


class UnsupportedLanguageError(LookupError):
    """No model is installed or enabled for a language; ``hint`` says how to get one."""

    def __init__(self, language: str, hint: str) -> None:
        super().__init__(f"no model for language {language!r}: {hint}")
        self.language = language
        self.hint = hint


class EngineLoadError(RuntimeError):
    """A model that is on disk could not be loaded."""


class ScoringStoppedError(Exception):
    """A model asked to stop between batches (the answer's client has gone) did so."""


@cache
def entity_types() -> dict[str, str]:
    """Engine NER label -> neutral entity type, from ``entity_types.json``."""
    path = Path(__file__).with_name("entity_types.json")
    table = json.loads(path.read_text(encoding="utf-8"))
    return {k: v for k, v in table.items() if not k.startswith("_")}


def neutral_type(label: str) -> str:
    """Map an engine label (``PER``, ``B-PER`` stripped, ``GPE``...) to a neutral type."""
    return entity_types().get(label.upper(), "other")
