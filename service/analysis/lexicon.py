"""Per-language knowledge files, loaded once per process."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

_DATA = Path(__file__).with_name("data")


@dataclass(frozen=True, slots=True)
class ActorLexicon:
    """Titles, articles and noise forms of one language (see ``data/<lang>.json``)."""

    titles: tuple[str, ...]
    articles: tuple[str, ...]
    noise: frozenset[str]


@cache
def actor_lexicon(language: str) -> ActorLexicon:
    """The actor lexicon for ``language``; an empty one where no file exists."""
    path = _DATA / f"{language}.json"
    if not path.is_file():
        return ActorLexicon((), (), frozenset())
    raw = json.loads(path.read_text(encoding="utf-8"))
    # Longest first, so that "le premier ministre" wins over "ministre".
    titles = tuple(sorted({t.casefold() for t in raw.get("titles", [])}, key=len, reverse=True))
    articles = tuple(sorted({a.casefold() for a in raw.get("articles", [])}, key=len, reverse=True))
    return ActorLexicon(titles, articles, frozenset(n.casefold() for n in raw.get("noise", [])))
