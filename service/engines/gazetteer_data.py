"""The entity ruler's gazetteers: ``gazetteer/<lang>.json``, checked against
``gazetteer/schemas/gazetteer.schema.json`` as they are read.

A gazetteer maps each surface form of a well-known name (countries, capitals, international
organisations, parties, companies, media, clubs, a few long-standing public figures) to its
type, kind and canonical name. Its digest names it in the engine's models, so that the
cache key changes when the data does.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

DATA = Path(__file__).with_name("gazetteer")
SCHEMA = DATA / "schemas" / "gazetteer.schema.json"
_SPACES = re.compile(r"\s+")


class GazetteerError(ValueError):
    """A gazetteer file is not valid JSON, does not match its schema, or names a surface
    form twice."""


@dataclass(frozen=True, slots=True)
class GazetteerEntry:
    """What the gazetteer knows of one name."""

    type: str  # PER, ORG, LOC or MISC
    kind: str
    canonical: str
    ambiguous: bool = False


@dataclass(frozen=True, slots=True)
class Gazetteer:
    """The names of one language, keyed by :func:`surface_key`."""

    language: str
    names: dict[str, GazetteerEntry]
    number_words: tuple[str, ...]
    digest: str
    # Words before a name that are no part of it, with the article they hold: "the" -> "",
    # "au" -> "Le" ("au Monde" names "Le Monde").
    articles: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """How the engine's models name this gazetteer: language and content digest."""
        return f"gazetteer-{self.language} {self.digest}"


def surface_key(text: str) -> str:
    """The lookup form of a surface: typographic apostrophes and runs of spaces unified
    (one character each, so offsets are unchanged); case and accents kept."""
    return _SPACES.sub(" ", text.replace("\u2019", "'"))


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))


def parse(raw: bytes, language: str, where: str) -> Gazetteer:
    """A gazetteer from the bytes of its file; ``where`` names the file in errors."""
    try:
        data: dict[str, Any] = json.loads(raw)
    except ValueError as exc:
        raise GazetteerError(f"{where}: not valid JSON: {exc}") from exc
    error = best_match(_validator().iter_errors(data))
    if error is not None:
        at = "/".join(str(p) for p in error.absolute_path) or "the top level"
        raise GazetteerError(f"{where}: at {at}: {error.message}")
    names: dict[str, GazetteerEntry] = {}
    for item in data["entries"]:
        surfaces = [*item["names"], *item.get("acronyms", [])]
        entry = GazetteerEntry(
            item["type"],
            item["kind"],
            item.get("canonical", item["names"][0]),
            item.get("ambiguous", False),
        )
        for surface in surfaces:
            key = surface_key(surface)
            if key in names:
                raise GazetteerError(f"{where}: {surface!r} is listed twice")
            names[key] = entry
    digest = hashlib.sha256(raw).hexdigest()[:12]
    articles = data.get("articles", {})
    return Gazetteer(language, names, tuple(data["number_words"]), digest, articles)


@cache
def gazetteer(language: str) -> Gazetteer | None:
    """The gazetteer of ``language``, read once; None when the language has none."""
    path = DATA / f"{language}.json"
    if not path.is_file():
        return None
    return parse(path.read_bytes(), language, str(path))


def languages() -> list[str]:
    """The languages that have a gazetteer file."""
    return sorted(p.stem for p in DATA.glob("*.json"))
