"""Language knowledge, loaded once per process from data files.

Everything language-specific the analysis knows lives in ``data/<lang>/*.json`` (written for
this project; each kind of file has its JSON Schema in ``schemas/``) plus a general-purpose
lexicon from a PyPI package (vaderSentiment for English, textblob-fr for French), read as a
data file. Code never branches on the language.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, cached_property, lru_cache
from typing import Any

from service.analysis.general_lexicon import general_lexicon
from service.analysis.language_data import read


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
    owner: str = "agent"  # for a noun of an act, whom its possessor names ("Apple's fine")


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
    reasons: frozenset[str] = frozenset()  # "for"/"pour": a clause of why the object was acted on
    time_nouns: frozenset[str] = frozenset()
    general_upos: frozenset[str] = frozenset()  # parts of speech the general lexicon covers
    human_verbs: frozenset[str] = frozenset()  # verbs whose subject is a person

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
    return Knowledge(
        language=language,
        **_actor_words(read(language, "actors")),
        **_modifiers(read(language, "modifiers")),
        **_speech(read(language, "speech")),
        **_syntax_words(read(language, "syntax")),
        **_general(read(language, "sources"), f"{language}/sources.json"),
        valence={fold(k): float(v) for k, v in read(language, "valence")["entries"].items()},
        verbs=_verbs(read(language, "verbs")),
        places=_places(read(language, "places")),
        human_verbs=_folded(read(language, "human_verbs")["verbs"]),
    )


def _verbs(raw: dict[str, Any]) -> dict[str, VerbFrame]:
    # Keyed by the folded lemma, as the tree looks lemmas up: "dénoncer" is "denoncer".
    return {
        fold(lemma): VerbFrame(
            agent=float(f["agent"]),
            patient=float(f["patient"]),
            stance=f["stance"],
            strength=float(f["strength"]),
            target=f["target"],
            owner=f.get("owner", "agent"),
        )
        for lemma, f in raw["entries"].items()
    }


def _folded(words: list[str]) -> frozenset[str]:
    return frozenset(fold(w) for w in words)


def _actor_words(raw: dict[str, Any]) -> dict[str, Any]:
    return {
        "titles": _longest_first(raw["titles"]),
        "articles": _longest_first(raw["articles"]),
        "noise": _folded(raw["noise"]),
        "roles": _longest_first(raw["roles"]),
        "pronouns": {k: _folded(v) for k, v in raw["pronouns"].items()},
    }


def _modifiers(raw: dict[str, Any]) -> dict[str, Any]:
    scalers = {**raw["intensifiers"], **raw["diminishers"]}
    return {
        "negators": _folded(raw["negators"]),
        "intensifiers": {fold(k): float(v) for k, v in scalers.items()},
        "hedges": {fold(k): float(v) for k, v in raw["hedges"].items()},
        "contrast": _folded(raw["contrast"]),
        "shifters": _folded(raw["shifters"]),
    }


def _speech(raw: dict[str, Any]) -> dict[str, Any]:
    return {"speech_verbs": _folded(raw["verbs"]), "directives": _folded(raw["directives"])}


def _syntax_words(raw: dict[str, Any]) -> dict[str, Any]:
    roles = ("recipient", "patient", "agent", "owner")
    return {
        "preps": {role: _folded(words) for role, words in raw.items() if role in roles},
        "possessives": _folded(raw["possessives"]),
        "reasons": _folded(raw["reasons"]),
        "time_nouns": _folded(raw["time_nouns"]),
    }


def _general(raw: dict[str, Any], where: str) -> dict[str, Any]:
    """The general lexicon, without the words that carry no judgement in news."""
    neutral_in_news = _folded(raw["neutral_in_news"])
    table = general_lexicon(raw["general"], where)
    return {
        "general": {w: score for w, score in table.items() if w not in neutral_in_news},
        "general_upos": frozenset(raw["general"]["upos"]),
    }


def load_knowledge(languages: Iterable[str]) -> None:
    """Read and check the knowledge of ``languages`` now (at start-up, with the models: in
    a gunicorn master that preloads, before the fork), not on a worker's first request."""
    for language in languages:
        knowledge(language)
