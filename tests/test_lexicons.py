"""The hand-written language knowledge files (``service/analysis/data/<lang>/*.json``) keep
their schema: required keys, scores in range, lowercase lemmas, no key twice, stance and
target values from the allowed sets, and valence and verb frames that agree in sign."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).resolve().parents[1] / "service/analysis/data"
# Every language directory found: a new language is checked as soon as it has data.
LANGUAGES = tuple(sorted(p.name for p in DATA.iterdir() if p.is_dir()))
FILES = ("valence", "verbs", "modifiers", "speech", "places", "actors")
STANCES = {"support", "oppose", "neutral"}
TARGETS = {"patient", "recipient"}
FRAME_KEYS = {"agent", "patient", "stance", "strength", "target"}
PLACE_KEYS = {"name", "aliases", "demonyms", "capital", "capital_aliases", "metonyms"}
PRONOUN_KEYS = {"singular_masculine", "singular_feminine", "plural"}


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object hook that refuses a key listed twice in the same object."""
    keys = [key for key, _ in pairs]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise ValueError(f"keys listed twice: {repeated}")
    return dict(pairs)


def load(language: str, name: str) -> dict[str, Any]:
    """One knowledge file, parsed strictly."""
    text = (DATA / language / f"{name}.json").read_text(encoding="utf-8")
    return json.loads(text, object_pairs_hook=_no_duplicate_keys)


def fold(text: str) -> str:
    """Case- and accent-insensitive form, as the analysis matches words ("Élysée" = "elysee")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("\u2019", "'"))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def assert_distinct_when_folded(words: list[str] | dict[str, Any], what: str) -> None:
    """No two entries that the analysis would read as one ("menace" and "menacé")."""
    seen: dict[str, str] = {}
    for word in words:
        other = seen.setdefault(fold(word), word)
        assert other == word, f"{what}: {other!r} and {word!r} fold alike"


def is_score(value: object, low: float = -1.0, high: float = 1.0) -> bool:
    """True for a real number (not a bool) within [low, high]."""
    return isinstance(value, int | float) and not isinstance(value, bool) and low <= value <= high


def assert_word_list(
    words: object, what: str, lowercase: bool = True, stripped: bool = True, folded: bool = True
) -> None:
    """A non-empty list of distinct, non-empty strings (lowercase, stripped and distinct even
    when folded, unless told)."""
    assert isinstance(words, list) and words, f"{what}: not a non-empty list"
    for word in words:
        assert isinstance(word, str) and word.strip(), f"{what}: {word!r}"
        if stripped:
            assert word == word.strip(), f"{what}: {word!r} has surrounding spaces"
        if lowercase:
            assert word == word.lower(), f"{what}: {word!r} is not lowercase"
    repeated = sorted({w for w in words if words.count(w) > 1})
    assert not repeated, f"{what}: listed twice: {repeated}"
    if folded:
        assert_distinct_when_folded(words, what)


def assert_lowercase_keys(table: dict[str, Any], what: str) -> None:
    """Every key is a stripped, non-empty lowercase string."""
    for key in table:
        assert key and key == key.strip() and key == key.lower(), f"{what}: key {key!r}"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", FILES)
def test_every_file_parses_and_says_what_it_is(language: str, name: str):
    data = load(language, name)
    note = data.get("_note")
    assert isinstance(note, str) and len(note) > 80
    assert "by hand" in note and "MIT" in note


@pytest.mark.parametrize("language", LANGUAGES)
def test_valence_entries(language: str):
    entries = load(language, "valence")["entries"]
    assert 350 <= len(entries) <= 600
    assert_lowercase_keys(entries, "valence")
    assert_distinct_when_folded(entries, "valence")
    for lemma, score in entries.items():
        assert is_score(score), f"{lemma}: {score!r} is outside [-1, 1]"
        assert score != 0, f"{lemma}: neutral words do not belong in the valence lexicon"


@pytest.mark.parametrize("language", LANGUAGES)
def test_verb_frames(language: str):
    entries = load(language, "verbs")["entries"]
    assert 120 <= len(entries) <= 220
    assert_lowercase_keys(entries, "verbs")
    assert_distinct_when_folded(entries, "verbs")
    for lemma, frame in entries.items():
        assert set(frame) - {"owner"} == FRAME_KEYS, f"{lemma}: keys {sorted(frame)}"
        assert frame.get("owner", "agent") in ("agent", "patient"), f"{lemma}: owner"
        assert is_score(frame["agent"]) and is_score(frame["patient"]), lemma
        assert frame["stance"] in STANCES, f"{lemma}: stance {frame['stance']!r}"
        assert frame["target"] in TARGETS, f"{lemma}: target {frame['target']!r}"
        assert is_score(frame["strength"], 0.0, 1.0) and frame["strength"] > 0, lemma


@pytest.mark.parametrize("language", LANGUAGES)
def test_valence_and_verb_frames_agree_in_sign(language: str):
    valence = load(language, "valence")["entries"]
    verbs = load(language, "verbs")["entries"]
    shared = sorted(set(valence) & set(verbs))
    assert shared, "the two files are expected to share some verbs"
    disagree = [lemma for lemma in shared if valence[lemma] * verbs[lemma]["agent"] < 0]
    assert not disagree, f"valence and agent portrayal differ in sign: {disagree}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_modifiers(language: str):
    data = load(language, "modifiers")
    for key in ("negators", "contrast", "shifters"):
        assert_word_list(data[key], key)
    for key, low, high in (
        ("intensifiers", 1.0, 3.0),
        ("diminishers", 0.0, 1.0),
        ("hedges", 0.0, 1.0),
    ):
        table = data[key]
        assert isinstance(table, dict) and table, key
        assert_lowercase_keys(table, key)
        assert_distinct_when_folded(table, key)
        for word, factor in table.items():
            assert is_score(factor, low, high) and low < factor < high, f"{key}: {word}={factor}"
    assert_distinct_when_folded([*data["intensifiers"], *data["diminishers"]], "scalers")
    both = set(data["intensifiers"]) & set(data["diminishers"])
    assert not both, f"both intensifier and diminisher: {sorted(both)}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_speech(language: str):
    data = load(language, "speech")
    for key in ("verbs", "directives", "markers"):
        assert_word_list(data[key], key)
    assert set(data["directives"]) <= set(data["verbs"]), "a directive is also a speech verb"


def _place_forms(item: dict[str, Any]) -> set[str]:
    """The folded surface forms that name one place (demonyms aside)."""
    forms = [item["name"], *item.get("aliases", []), *item.get("metonyms", [])]
    if item.get("capital"):
        forms += [item["capital"], *item.get("capital_aliases", [])]
    return {fold(form) for form in forms}


@pytest.mark.parametrize("language", LANGUAGES)
def test_places(language: str):
    data = load(language, "places")
    countries, organisations = data["countries"], data["organisations"]
    assert len(countries) >= 70 and len(organisations) >= 25
    owner: dict[str, str] = {}
    demonym_owner: dict[str, str] = {}
    for item in countries + organisations:
        name = item["name"]
        assert isinstance(name, str) and name == name.strip() and name, name
        assert set(item) <= PLACE_KEYS, f"{name}: keys {sorted(item)}"
        for key in ("aliases", "demonyms", "capital_aliases", "metonyms"):
            if item.get(key):
                # Spelling variants ("Élysée", "Elysée") are welcome here.
                assert_word_list(item[key], f"{name} {key}", lowercase=False, folded=False)
        assert "capital_aliases" not in item or item.get("capital"), f"{name}: aliases of what?"
        for form in _place_forms(item):
            assert owner.setdefault(form, name) == name, f"{form!r}: {owner[form]} and {name}"
        for demonym in item.get("demonyms", []):
            key = fold(demonym)
            assert demonym_owner.setdefault(key, name) == name, f"{demonym!r} twice"
    for item in countries:
        assert {"aliases", "demonyms", "metonyms"} <= set(item), item["name"]
    for item in organisations:
        assert set(item) == {"name", "aliases"}, item["name"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_actors(language: str):
    data = load(language, "actors")
    for key in ("titles", "noise", "roles"):
        assert_word_list(data[key], key)
    # Kept as written in the older file: both apostrophes, and the space that ends a prefix.
    assert_word_list(data["articles"], "articles", stripped=False, folded=False)
    for article in data["articles"]:
        assert article.endswith((" ", "'", "\u2019")), f"article {article!r} must end the prefix"
    pronouns = data["pronouns"]
    assert set(pronouns) == PRONOUN_KEYS
    for key, words in pronouns.items():
        assert_word_list(words, f"pronouns {key}")


def test_the_sample_article_vocabulary_is_covered():
    """Key words of ../shared/samples/fr-russie-ukraine.txt, by the file that must know them."""
    valence = load("fr", "valence")["entries"]
    for lemma in (
        "envahir",
        "invasion",
        "guerre",
        "agression",
        "conflit",
        "crise",
        "tension",
        "crainte",
        "sanction",
        "punitif",
        "pessimiste",
        "désinformation",
        "occupation",
    ):
        assert valence[lemma] < 0, lemma
    for lemma in ("démocratie", "allié", "soutien", "aide", "défensif"):
        assert valence[lemma] > 0, lemma
    verbs = load("fr", "verbs")["entries"]
    assert verbs["envahir"]["stance"] == "oppose" and verbs["envahir"]["agent"] < 0
    assert verbs["fournir"] == verbs["fournir"] | {"stance": "support", "target": "recipient"}
    for lemma in ("aider", "soutenir", "former", "protéger"):
        assert verbs[lemma]["stance"] == "support", lemma
    for lemma in ("avertir", "menacer", "résister", "repousser"):
        assert verbs[lemma]["stance"] == "oppose", lemma
    modifiers = load("fr", "modifiers")
    assert {"pouvoir", "devoir", "probablement", "éventuel", "potentiel"} <= set(
        modifiers["hedges"]
    )
    assert {"arrêter", "désamorcer", "réduire", "repousser", "résister"} <= set(
        modifiers["shifters"]
    )
    speech = load("fr", "speech")
    assert {"déclarer", "dire", "avertir", "promettre", "réitérer", "ajouter"} <= set(
        speech["verbs"]
    )
    places = load("fr", "places")
    by_name = {item["name"]: item for item in places["countries"] + places["organisations"]}
    assert {"Russie", "Ukraine", "États-Unis", "Royaume-Uni", "OTAN", "CIA", "Pentagone"} <= set(
        by_name
    )
    assert "Kremlin" in by_name["Russie"]["metonyms"]
    assert by_name["Ukraine"]["capital"] == "Kiev"
    assert {"russes", "ukrainiens", "américain", "britanniques"} <= set(
        d for item in places["countries"] for d in item["demonyms"]
    )
    actors = load("fr", "actors")
    assert {"image", "getty", "image: getty", "hier", "comparer", "comparaison"} <= set(
        actors["noise"]
    )
    assert {"homologue", "diplomate", "porte-parole"} <= set(actors["roles"])
