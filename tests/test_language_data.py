"""Every language data file matches the JSON Schema of its kind, for every language directory
found; a missing or malformed file stops the start with a message naming it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from service.analysis import language_data
from service.analysis.general_lexicon import general_lexicon
from service.analysis.knowledge import knowledge
from service.analysis.language_data import DATA, KINDS, LanguageDataError, load, read
from service.web.app import create_app
from tests.conftest import base_settings

LANGUAGES = language_data.languages()


def test_every_language_directory_is_found_and_every_kind_has_a_schema():
    assert {"fr", "en"} <= set(LANGUAGES)
    assert set(KINDS) == {
        "actors",
        "human_verbs",
        "modifiers",
        "places",
        "sources",
        "speech",
        "syntax",
        "valence",
        "verbs",
    }
    for kind in KINDS:
        Draft202012Validator.check_schema(language_data.validator(kind).schema)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_language_has_exactly_one_file_of_each_kind(language: str):
    assert sorted(p.stem for p in (DATA / language).glob("*.json")) == sorted(KINDS)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_each_file_matches_its_schema(language: str, kind: str):
    assert read(language, kind)["_note"]


@pytest.fixture
def copy_of_french(tmp_path: Path) -> Path:
    return Path(shutil.copytree(DATA / "fr", tmp_path / "fr"))


def test_a_missing_file_is_named(copy_of_french: Path):
    (copy_of_french / "verbs.json").unlink()
    with pytest.raises(LanguageDataError, match=r"fr/verbs\.json: the file is missing"):
        load(copy_of_french / "verbs.json", "verbs")


def test_a_file_that_is_not_json_is_named(copy_of_french: Path):
    path = copy_of_french / "speech.json"
    path.write_text('{"_note": "cut short', encoding="utf-8")
    with pytest.raises(LanguageDataError, match=r"fr/speech\.json: not valid JSON"):
        load(path, "speech")


def test_a_value_out_of_its_range_is_named_with_where_it_is(copy_of_french: Path):
    path = copy_of_french / "verbs.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["entries"]["envahir"]["stance"] = "against"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(LanguageDataError) as raised:
        load(path, "verbs")
    assert "fr/verbs.json: at entries/envahir/stance" in str(raised.value)


def test_a_language_without_data_is_refused_not_served_empty():
    with pytest.raises(LanguageDataError, match=r"data/xx/\w+\.json: the file is missing"):
        knowledge("xx")


def test_a_general_lexicon_that_is_not_installed_is_named():
    source = {"package": "no_such_lexicon", "file": "words.txt", "format": "vader", "upos": []}
    with pytest.raises(LanguageDataError, match=r"xx/sources\.json: the lexicon no_such_lexicon"):
        general_lexicon(source, "xx/sources.json")


def test_knowledge_loads_with_the_app_not_on_the_first_request(spacy_registry):
    # create_app is what a preloading gunicorn master runs before it forks the workers.
    knowledge.cache_clear()
    create_app(base_settings(), registry=spacy_registry)
    assert knowledge.cache_info().currsize == len(spacy_registry.served()) == 2
