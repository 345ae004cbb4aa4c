"""The engines' entity ruler: gazetteer names the statistical NER misses or mistypes are
added or retyped, amounts and scores leave names, longer NER names stay whole; the same
ruler serves spaCy (through the real pipelines) and Stanza (on the neutral model and
through the tiny fixture), and the gazetteer's digest is part of the engine's identity."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from service.analysis.language_data import read as read_language_data
from service.document import ALL_PROCESSORS, AnnotatedDocument, EngineInfo, Entity, Sentence, Token
from service.engines.base import EngineLoadError
from service.engines.entity_ruler import EntityRuler
from service.engines.gazetteer_data import (
    DATA,
    SCHEMA,
    GazetteerError,
    gazetteer,
    languages,
    parse,
)
from service.engines.lemma_fixes import DATA as LEMMAS
from service.engines.lemma_fixes import SCHEMA as LEMMA_SCHEMA
from service.engines.lemma_fixes import lemma_fixes
from service.engines.lemma_fixes import parse as parse_lemmas

WIKINER = {"PER", "ORG", "LOC", "MISC"}  # Stanza's and spaCy's French labels


def _entities(registry, language: str, text: str) -> list[tuple[str, str]]:
    (doc,) = registry.get(language).annotate([text], ALL_PROCESSORS)
    return [(doc.span(e.start, e.end), e.type) for e in doc.entities]


# Through the real spaCy pipelines ------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "text", "names"),
    [
        ("en", "Tesla 2.5 billion dollars in losses were reported.", ["Tesla"]),
        ("en", "Le Parisien said Mediapart published the story.", ["Le Parisien", "Mediapart"]),
        ("en", "Shares of Nvidia rose on Monday.", ["Nvidia"]),
        ("fr", "Les actions de Nvidia ont progressé après les résultats d'Alibaba.", ["Alibaba"]),
        ("fr", "Selon Mediapart et Le Parisien, l'enquête avance.", ["Mediapart", "Le Parisien"]),
        ("fr", "Les journalistes de Bloomberg News ont confirmé.", ["Bloomberg News"]),
    ],
)
def test_an_organisation_the_model_misses_or_mistypes_is_an_organisation(
    spacy_registry, language, text, names
):
    found = dict(_entities(spacy_registry, language, text))
    assert {n: found.get(n) for n in names} == dict.fromkeys(names, "organisation")


@pytest.mark.parametrize(
    ("language", "text", "capital"),
    [
        ("en", "Canberra rejected the proposal on Tuesday.", "Canberra"),
        ("en", "Nairobi welcomed the decision.", "Nairobi"),
        ("fr", "Des responsables à Canberra, Ottawa et Brasília ont réagi.", "Brasília"),
    ],
)
def test_a_capital_is_a_place_not_a_person_or_an_organisation(
    spacy_registry, language, text, capital
):
    found = dict(_entities(spacy_registry, language, text))
    assert found.get(capital) in {"gpe", "location"}


@pytest.mark.parametrize(
    ("language", "text", "name", "glued"),
    [
        ("en", "Juventus beat Benfica 2-1 in Turin.", "Benfica", "Benfica 2-1"),
        ("fr", "La Juventus a battu Benfica 2-1 à Turin.", "Benfica", "Benfica 2-1"),
        (
            "fr",
            "Le PSG a battu l'Olympique de Marseille 3-0.",
            "Olympique de Marseille",
            "Olympique de Marseille 3-0",
        ),
    ],
)
def test_a_score_glued_to_a_name_is_cut_off(spacy_registry, language, text, name, glued):
    texts = [t for t, _ in _entities(spacy_registry, language, text)]
    assert name in texts
    assert glued not in texts
    assert not any(any(c.isdigit() for c in t) for t in texts if t != name)


@pytest.mark.parametrize(
    ("language", "text", "company"),
    [
        # spaCy's English reads these as one LAW / MONEY entity; the French NER stops the
        # name's span inside the amount ("Sanofi 2" of "Sanofi 2 milliards").
        ("en", "Apple 1.8 billion fine upheld", "Apple"),
        ("en", "Regulators fined Google 4.3 billion dollars.", "Google"),
        ("fr", "Sanofi 2 milliards d'euros de bénéfice", "Sanofi"),
        ("fr", "Manchester City a battu Arsenal 4-0.", "Arsenal"),
    ],
)
def test_an_amount_never_ends_a_name_whatever_the_ner_labelled_it(
    spacy_registry, language, text, company
):
    found = _entities(spacy_registry, language, text)
    assert (company, "organisation") in found
    names = [t for t, kind in found if kind not in {"money", "cardinal", "percent"}]
    assert not any(any(c.isdigit() for c in t) for t in names)


@pytest.mark.parametrize(
    ("language", "text", "name"),
    [
        ("en", "Santiago Abascal spoke in Madrid.", "Santiago Abascal"),
        ("en", "Washington Irving wrote the story.", "Washington Irving"),
        ("en", "Marine Le Pen said the vote was close.", "Marine Le Pen"),
        ("fr", "Santiago Abascal a parlé à Madrid.", "Santiago Abascal"),
        ("fr", "Marine Le Pen et Bruno Le Maire ont débattu.", "Marine Le Pen"),
    ],
)
def test_a_longer_name_is_never_cut_to_the_gazetteer_name_inside_it(
    spacy_registry, language, text, name
):
    texts = [t for t, _ in _entities(spacy_registry, language, text)]
    assert name in texts
    assert not [t for t in texts if t != name and t in name]


def test_the_french_model_s_split_names_are_made_whole(spacy_registry):
    found = _entities(spacy_registry, "fr", "Marine Le Pen et Bruno Le Maire ont débattu.")
    assert ("Bruno Le Maire", "person") in found
    assert ("Marine Le Pen", "person") in found


def test_the_engines_name_their_gazetteer_so_the_cache_key_follows_the_data(spacy_registry):
    fingerprint = spacy_registry.fingerprint()
    for language in ("fr", "en"):
        label = fingerprint[language]["models"]["gazetteer"]
        assert label == gazetteer(language).label
        assert label.startswith(f"gazetteer-{language} ")
    raw = (DATA / "en.json").read_bytes()
    changed = raw.replace(b'"Spotify"', b'"Deezer"')
    assert parse(changed, "en", "x").label != parse(raw, "en", "x").label


# On the neutral model (what the Stanza engine produces) ---------------------------------


def _doc(language: str, words: str, entities: list[tuple[int, int, str]]) -> AnnotatedDocument:
    """A one-sentence neutral document of space-separated words ("\\n" a line break);
    entities by token index (first, last inclusive) and label."""
    text, tokens = "", []
    for word in words.split(" "):
        text += " " if text and word != "\n" else ""
        if word == "\n":
            text += "\n"
            continue
        tokens.append(Token(len(tokens), word, len(text), len(text) + len(word), 0))
        text += word
    doc = AnnotatedDocument(text, language, EngineInfo("stanza", "test"), processors=ALL_PROCESSORS)
    doc.tokens = tokens
    doc.sentences = [Sentence(0, 0, len(text), 0, len(tokens))]
    for first, last, label in entities:
        doc.entities.append(Entity(tokens[first].start, tokens[last].end, "x", label, 0))
    return doc


def _ruled(ruler: EntityRuler, doc: AnnotatedDocument) -> list[tuple[str, str]]:
    return [(doc.span(e.start, e.end), e.label) for e in ruler.entities(doc)]


@pytest.fixture(scope="module")
def french() -> EntityRuler:
    return EntityRuler(gazetteer("fr"), WIKINER)


@pytest.fixture(scope="module")
def english() -> EntityRuler:
    return EntityRuler(gazetteer("en"), {"PERSON", "ORG", "GPE", "LOC", "NORP", "MONEY"})


def test_neutral_a_gazetteer_name_replaces_the_pieces_the_ner_found_inside_it(french):
    doc = _doc("fr", "Selon Le Monde , Le Pen a parlé .", [(2, 2, "ORG"), (5, 5, "PER")])
    assert _ruled(french, doc) == [("Le Monde", "ORG"), ("Le Pen", "PER")]


def test_neutral_amounts_and_scores_leave_names(english, french):
    doc = _doc("en", "Apple 1.8 billion euros and Arsenal 4-0 Chelsea", [(0, 3, "ORG")])
    doc.entities.append(Entity(doc.text.index("Arsenal"), len(doc.text), "x", "ORG", 0))
    assert _ruled(english, doc) == [("Apple", "ORG"), ("Arsenal", "ORG"), ("Chelsea", "ORG")]
    doc = _doc("fr", "Arsenal 4-0 : Apple 3 milliards", [(1, 1, "LOC"), (3, 5, "ORG")])
    assert _ruled(french, doc) == [("Arsenal", "ORG"), ("Apple", "ORG")]


def test_neutral_a_number_that_is_not_an_amount_stays_in_the_name(english):
    doc = _doc("en", "He watched France 24 and Formula 1 .", [(5, 6, "ORG")])
    assert ("Formula 1", "ORG") in _ruled(english, doc)
    assert ("France 24", "ORG") in _ruled(english, doc)


def test_neutral_crossing_spans_keep_the_ner_reading(english):
    doc = _doc("en", "the Le Monde Diplomatique editor", [(2, 3, "ORG")])
    assert _ruled(english, doc) == [("Monde Diplomatique", "ORG")]


def test_neutral_an_ambiguous_name_is_added_but_never_retypes_the_ner(english):
    doc = _doc("en", "Jordan scored and Georgia voted .", [(0, 0, "PERSON")])
    assert _ruled(english, doc) == [("Jordan", "PERSON"), ("Georgia", "GPE")]


def test_neutral_a_capital_typed_person_becomes_a_place_with_its_canonical_name(english):
    doc = _doc("en", "Kiev answered at once .", [(0, 0, "PERSON")])
    (entity,) = english.entities(doc)
    assert (entity.label, entity.type, entity.canonical) == ("GPE", "gpe", "Kyiv")


def test_neutral_no_name_inside_a_hyphenated_word_or_across_a_line(french):
    doc = _doc("fr", "les pro-Paris et Le \n Monde", [])
    assert _ruled(french, doc) == []


def test_neutral_a_name_may_cross_a_sentence_boundary_the_parser_put_inside_it(french):
    doc = _doc("fr", "Marine Le Pen parle .", [(1, 2, "PER")])
    doc.sentences = [Sentence(0, 0, 6, 0, 1), Sentence(1, 7, len(doc.text), 1, 5)]
    for token in doc.tokens[1:]:
        token.sentence = 1
    (entity,) = french.entities(doc)
    assert (doc.span(entity.start, entity.end), entity.sentence) == ("Marine Le Pen", 0)


def test_neutral_a_name_whose_article_the_text_merged_is_found_without_it(french, english):
    # "au"/"du"/"aux" hold the article a name begins with; the span is what the text
    # shows, the canonical the whole name.
    doc = _doc("fr", "Il a parlé aux Échos puis du Figaro , selon le Parisien .", [])
    found = [(doc.span(e.start, e.end), e.canonical) for e in french.entities(doc)]
    assert found == [("Échos", "Les Echos"), ("Figaro", "Le Figaro"), ("Parisien", "Le Parisien")]
    doc = _doc("en", "She told the Economist and the Daily Telegraph .", [(3, 3, "ORG")])
    found = [(doc.span(e.start, e.end), e.canonical) for e in english.entities(doc)]
    assert found == [("Economist", "The Economist"), ("Daily Telegraph", "The Daily Telegraph")]


def test_neutral_no_article_is_taken_from_inside_a_name(french):
    doc = _doc("fr", "Il a gagné la Coupe du Monde .", [])
    assert _ruled(french, doc) == []


def test_neutral_an_ner_span_of_an_article_and_a_known_name_is_the_name(french, english):
    doc = _doc("en", "The Scottish National Party won .", [(0, 3, "ORG")])
    assert _ruled(english, doc) == [("Scottish National Party", "ORG")]
    doc = _doc("fr", "Il vit au Caire et aime la Suède .", [(2, 3, "LOC"), (6, 7, "LOC")])
    assert _ruled(french, doc) == [("Caire", "LOC"), ("Suède", "LOC")]


# The data files ------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["fr", "en"])
def test_each_gazetteer_matches_the_schema_and_covers_the_world(language):
    Draft202012Validator.check_schema(json.loads(SCHEMA.read_text(encoding="utf-8")))
    data = gazetteer(language)
    kinds = {}
    for entry in data.names.values():
        kinds.setdefault(entry.kind, set()).add(entry.canonical)
    assert len(kinds["country"]) >= 190
    assert len(kinds["capital"]) >= 150
    assert {"party", "company", "media", "international organisation"} <= set(kinds)
    assert language in languages()


@pytest.mark.parametrize("language", ["fr", "en"])
def test_parties_have_one_source_the_gazetteer(language):
    # The analysis's places.json holds no party: the gazetteer's canonical names group them.
    parties = {key for key, entry in gazetteer(language).names.items() if entry.kind == "party"}
    places = read_language_data(language, "places")
    forms = {
        f for item in places["organisations"] for f in [item["name"], *item.get("aliases", [])]
    }
    assert parties and not parties & forms


def test_a_name_listed_twice_or_a_bad_type_is_refused_naming_the_file(tmp_path: Path):
    data = json.loads((DATA / "fr.json").read_text(encoding="utf-8"))
    data["entries"].append({"names": ["France"], "type": "LOC", "kind": "country"})
    with pytest.raises(GazetteerError, match=r"fr\.json: 'France' is listed twice"):
        parse(json.dumps(data).encode(), "fr", "fr.json")
    data["entries"][-1] = {"names": ["Zorglub"], "type": "PLACE", "kind": "country"}
    with pytest.raises(GazetteerError, match=r"fr\.json: at entries/\d+/type"):
        parse(json.dumps(data).encode(), "fr", "fr.json")
    with pytest.raises(GazetteerError, match="not valid JSON"):
        parse(b"{", "fr", "fr.json")


@pytest.mark.parametrize("name", ["en-gum-news.jsonl", "fr-europeana-bnf.jsonl"])
def test_the_public_ner_data_of_make_eval_is_well_formed(name):
    path = Path(__file__).resolve().parents[1] / "bench" / "data" / "ner" / name
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 400
    assert len({r["id"] for r in rows}) == len(rows)
    for row in rows:
        for start, end, kind in row["entities"]:
            assert kind in {"PER", "ORG", "LOC"}
            span = row["text"][start:end]
            assert span and span == span.strip() and 0 <= start < end <= len(row["text"])


# Lemma corrections (service/engines/lemmas/) -------------------------------------------


@pytest.mark.parametrize(
    ("language", "text", "form", "lemma"),
    [
        ("en", "Brussels fined the bank and is fining two more.", "fined", "fine"),
        ("en", "Brussels fined the bank and is fining two more.", "fining", "fine"),
        ("fr", "Bruxelles épingle Apple pour ses pratiques.", "épingle", "épingler"),
        ("fr", "Madrid accuse Rabat d'espionnage.", "accuse", "accuser"),
    ],
)
def test_a_form_the_lemmatizer_gets_wrong_gets_its_lemma(
    spacy_registry, language, text, form, lemma
):
    (doc,) = spacy_registry.get(language).annotate([text], ALL_PROCESSORS)
    assert [t.lemma for t in doc.tokens if t.text == form] == [lemma]
    assert spacy_registry.get(language).info.models["lemmas"] == lemma_fixes(language).label


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_lemma_files_match_their_schema(language):
    data = json.loads((LEMMAS / f"{language}.json").read_text(encoding="utf-8"))
    schema = json.loads(LEMMA_SCHEMA.read_text(encoding="utf-8"))
    assert list(Draft202012Validator(schema).iter_errors(data)) == []


def test_a_malformed_lemma_file_names_itself():
    with pytest.raises(EngineLoadError, match=r"xx\.json: at lemmas"):
        parse_lemmas(
            b'{"_note": "' + b"x" * 80 + b'", "lemmas": {"Fined": "fine"}}', "xx", "xx.json"
        )
