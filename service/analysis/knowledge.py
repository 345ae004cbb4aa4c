"""Language knowledge, loaded once per process from data files.

Everything language-specific the analysis knows lives in ``data/<lang>/*.json`` (written for
this project; each kind of file has its JSON Schema in ``schemas/``) plus a general-purpose
lexicon from a PyPI package (vaderSentiment for English, textblob-fr for French), read as a
data file. Code never branches on the language.
"""

from __future__ import annotations

import importlib.util
import logging
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, cached_property, lru_cache
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from service.analysis.language_data import read

logger = logging.getLogger(__name__)


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Case- and accent-insensitive form: "Sergueï" and "serguei" fold alike."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("\u2019", "'"))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


@dataclass(frozen=True, slots=True)
class VerbFrame:
    """How a verb portrays its agent and patient, and how the agent stands toward its target."""

    agent: float
    patient: float
    stance: str
    strength: float
    target: str  # "patient" (direct object) or "recipient" (indirect object)


@dataclass(frozen=True, slots=True)
class Place:
    """A country or organisation and the surface forms that stand for it."""

    name: str
    kind: str  # "country" or "organisation"
    forms: frozenset[str]  # folded names, aliases, capitals and metonyms
    demonyms: frozenset[str]  # folded nationality adjectives and nouns
    names: frozenset[str] = frozenset()  # folded name and aliases only
    capitals: frozenset[str] = frozenset()  # folded capital names


@dataclass(frozen=True)
class Knowledge:
    """What the analysis knows of one language."""

    language: str
    titles: tuple[str, ...] = ()
    articles: tuple[str, ...] = ()
    noise: frozenset[str] = frozenset()
    roles: tuple[str, ...] = ()
    pronouns: dict[str, frozenset[str]] = field(default_factory=dict)
    valence: dict[str, float] = field(default_factory=dict)
    general: dict[str, float] = field(default_factory=dict)
    verbs: dict[str, VerbFrame] = field(default_factory=dict)
    negators: frozenset[str] = frozenset()
    intensifiers: dict[str, float] = field(default_factory=dict)
    hedges: dict[str, float] = field(default_factory=dict)
    contrast: frozenset[str] = frozenset()
    shifters: frozenset[str] = frozenset()
    speech_verbs: frozenset[str] = frozenset()
    directives: frozenset[str] = frozenset()
    places: tuple[Place, ...] = ()
    preps: dict[str, frozenset[str]] = field(default_factory=dict)  # role -> prepositions
    possessives: frozenset[str] = frozenset()
    time_nouns: frozenset[str] = frozenset()
    general_upos: frozenset[str] = frozenset()  # parts of speech the general lexicon covers

    @cached_property
    def role_openings(self) -> tuple[str, ...]:
        """Roles and titles, for one ``str.startswith`` over all of them."""
        return self.roles + self.titles

    @cached_property
    def role_heads(self) -> tuple[str, ...]:
        """The last word of every role and title ("ministre", "président")."""
        return tuple(dict.fromkeys(r.split()[-1] for r in self.role_openings if r.split()))

    @cached_property
    def _by_form(self) -> dict[str, Place]:
        return {f: p for p in reversed(self.places) for f in p.forms}

    @cached_property
    def _by_demonym(self) -> dict[str, Place]:
        return {d: p for p in reversed(self.places) for d in p.demonyms}

    def place_of(self, surface: str) -> Place | None:
        """The country or organisation a surface form names, if any."""
        return self._by_form.get(fold(surface))

    def demonym_of(self, word: str) -> Place | None:
        """The country a nationality word ("russe", "Americans") refers to, if any."""
        return self._by_demonym.get(fold(word))


def _longest_first(items: list[str]) -> tuple[str, ...]:
    return tuple(sorted({fold(i) for i in items}, key=len, reverse=True))


def _package_file(package: str, name: str) -> Path | None:
    spec = importlib.util.find_spec(package)  # locates without importing the package
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / name
    return path if path.is_file() else None


def _general_lexicon(source: dict[str, Any]) -> dict[str, float]:
    """Word form -> polarity in [-1, 1] from an installed lexicon package."""
    path = _package_file(source.get("package", ""), source.get("file", ""))
    if path is None:
        if source:
            logger.warning("lexicon package %s is not installed", source.get("package"))
        return {}
    if source.get("format") == "vader":
        table = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            parts = line.split("\t")
            if len(parts) >= 2 and " " not in parts[0]:
                table[parts[0].casefold()] = max(-1.0, min(1.0, float(parts[1]) / 4))
        return table
    # textblob's XML format: <word form=... polarity=...>; trusted package data.
    root = ElementTree.parse(path).getroot()
    table = {}
    for word in root.iter("word"):
        polarity = float(word.get("polarity", "0"))
        if polarity:
            table[word.get("form", "").casefold()] = polarity
    return table


def _places(raw: dict[str, Any]) -> tuple[Place, ...]:
    out = []
    for kind, key in (("country", "countries"), ("organisation", "organisations")):
        for item in raw.get(key, []):
            names = [item["name"], *item.get("aliases", [])]
            capitals = (
                [item["capital"], *item.get("capital_aliases", [])] if item.get("capital") else []
            )
            forms = names + item.get("metonyms", []) + capitals
            out.append(
                Place(
                    item["name"],
                    kind,
                    frozenset(fold(f) for f in forms),
                    frozenset(fold(d) for d in item.get("demonyms", [])),
                    frozenset(fold(n) for n in names),
                    frozenset(fold(c) for c in capitals),
                )
            )
    return tuple(out)


@cache
def knowledge(language: str) -> Knowledge:
    """Everything known of ``language``, read once per process; raises
    :class:`~service.analysis.language_data.LanguageDataError` naming a missing or
    malformed file."""
    actors = read(language, "actors")
    modifiers = read(language, "modifiers")
    speech = read(language, "speech")
    verbs = {
        lemma: VerbFrame(
            float(f["agent"]),
            float(f["patient"]),
            f["stance"],
            float(f["strength"]),
            f["target"],
        )
        for lemma, f in read(language, "verbs")["entries"].items()
    }
    sources = read(language, "sources")
    neutral_in_news = {fold(w) for w in sources["neutral_in_news"]}
    syntax = read(language, "syntax")
    return Knowledge(
        language=language,
        titles=_longest_first(actors["titles"]),
        articles=_longest_first(actors["articles"]),
        noise=frozenset(fold(n) for n in actors["noise"]),
        roles=_longest_first(actors["roles"]),
        pronouns={k: frozenset(fold(p) for p in v) for k, v in actors["pronouns"].items()},
        valence={fold(k): float(v) for k, v in read(language, "valence")["entries"].items()},
        general={
            word: score
            for word, score in _general_lexicon(sources["general"]).items()
            if word not in neutral_in_news
        },
        verbs=verbs,
        negators=frozenset(fold(n) for n in modifiers["negators"]),
        intensifiers={
            fold(k): float(v)
            for k, v in {**modifiers["intensifiers"], **modifiers["diminishers"]}.items()
        },
        hedges={fold(k): float(v) for k, v in modifiers["hedges"].items()},
        contrast=frozenset(fold(c) for c in modifiers["contrast"]),
        shifters=frozenset(fold(s) for s in modifiers["shifters"]),
        speech_verbs=frozenset(fold(v) for v in speech["verbs"]),
        directives=frozenset(fold(v) for v in speech["directives"]),
        places=_places(read(language, "places")),
        preps={
            role: frozenset(fold(w) for w in words)
            for role, words in syntax.items()
            if role in ("recipient", "patient", "agent", "owner")
        },
        possessives=frozenset(fold(w) for w in syntax["possessives"]),
        time_nouns=frozenset(fold(w) for w in syntax["time_nouns"]),
        general_upos=frozenset(sources["general"]["upos"]),
    )


def load_knowledge(languages: Iterable[str]) -> None:
    """Read and check the knowledge of ``languages`` now (at start-up, with the models: in
    a gunicorn master that preloads, before the fork), not on a worker's first request."""
    for language in languages:
        knowledge(language)
