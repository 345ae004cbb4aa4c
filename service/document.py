"""The neutral annotated-document model.

Every engine fills these plain dataclasses; all analysis code reads only them, so analysis
works the same whichever engine or language produced the annotation. Offsets are Python
string indices into the text exactly as the client submitted it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Processor names, engine-neutral. Analysis declares which it needs; engines map them to
# their own components.
TOKENIZE = "tokenize"
POS = "pos"
LEMMA = "lemma"
DEPPARSE = "depparse"
NER = "ner"
SENTIMENT = "sentiment"
ALL_PROCESSORS = frozenset({TOKENIZE, POS, LEMMA, DEPPARSE, NER, SENTIMENT})


@dataclass(slots=True)
class Token:
    """One syntactic word; ``head`` is a document-level token index, -1 for the root."""

    index: int
    text: str
    start: int
    end: int
    sentence: int
    lemma: str | None = None
    upos: str | None = None
    feats: str | None = None
    head: int = -1
    deprel: str | None = None


@dataclass(slots=True)
class Sentence:
    """A sentence span; tokens ``token_start`` (inclusive) to ``token_end`` (exclusive)."""

    index: int
    start: int
    end: int
    token_start: int
    token_end: int
    sentiment: float | None = None  # in [-1, 1] where the engine gives sentence sentiment


@dataclass(slots=True)
class Entity:
    """A named-entity span with a neutral ``type`` and the engine's own ``label``;
    ``canonical`` is the gazetteer's name for it, where the entity ruler knows it."""

    start: int
    end: int
    type: str
    label: str
    sentence: int
    canonical: str | None = None


@dataclass(frozen=True, slots=True)
class EngineInfo:
    """Which engine and which model package served each processor."""

    name: str
    version: str
    models: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        """Plain-data form for the JSON answer."""
        return {"name": self.name, "version": self.version, "models": dict(self.models)}


@dataclass(slots=True)
class AnnotatedDocument:
    """One annotated text: what every engine returns and all analysis reads."""

    text: str
    language: str
    engine: EngineInfo
    sentences: list[Sentence] = field(default_factory=list)
    tokens: list[Token] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    processors: frozenset[str] = frozenset()

    def span(self, start: int, end: int) -> str:
        """The submitted text between two offsets."""
        return self.text[start:end]
