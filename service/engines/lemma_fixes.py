"""Lemma corrections: ``lemmas/<lang>.json``, checked against ``lemmas/schemas/lemmas.schema.json``.

Verb frames, valence words and speech verbs are looked up by lemma, so a form the engine's
lemmatizer gets wrong ("fined" -> "fin" in spaCy's English) silently loses its frame. The
corrections apply to the neutral document of every engine, after it is built, so a fix is
a data change and serves spaCy and Stanza alike.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from service.document import AnnotatedDocument
from service.engines.base import EngineLoadError

DATA = Path(__file__).with_name("lemmas")
SCHEMA = DATA / "schemas" / "lemmas.schema.json"


@dataclass(frozen=True, slots=True)
class LemmaFixes:
    """One language's corrections: lower-case form -> lemma."""

    language: str
    lemmas: dict[str, str]
    digest: str

    @property
    def label(self) -> str:
        """How the engine's models name these corrections: language and content digest."""
        return f"lemmas-{self.language} {self.digest}"

    def apply(self, doc: AnnotatedDocument) -> None:
        """Set the corrected lemma on every token whose form is listed."""
        for token in doc.tokens:
            lemma = self.lemmas.get(token.text.lower())
            if lemma is not None:
                token.lemma = lemma


def parse(raw: bytes, language: str, where: str) -> LemmaFixes:
    """The corrections in the bytes of a file; ``where`` names it in errors."""
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise EngineLoadError(f"{where}: not valid JSON: {exc}") from exc
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    error = best_match(Draft202012Validator(schema).iter_errors(data))
    if error is not None:
        at = "/".join(str(p) for p in error.absolute_path) or "the top level"
        raise EngineLoadError(f"{where}: at {at}: {error.message}")
    return LemmaFixes(language, dict(data["lemmas"]), hashlib.sha256(raw).hexdigest()[:12])


@cache
def lemma_fixes(language: str) -> LemmaFixes | None:
    """The corrections of ``language``, read once; None when it has none."""
    path = DATA / f"{language}.json"
    if not path.is_file():
        return None
    return parse(path.read_bytes(), language, str(path))


def load_fixes(language: str, models: dict[str, str]) -> LemmaFixes | None:
    """An engine's corrections, named in its ``models`` so the cache key follows the data;
    a malformed file stops the engine's load."""
    fixes = lemma_fixes(language)
    if fixes is not None:
        models["lemmas"] = fixes.label
    return fixes
