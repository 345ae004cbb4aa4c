"""Grouping entity mentions into actors, on hand-built neutral documents (no model)."""

from __future__ import annotations

import re

from service.analysis import analyse
from service.analysis.actors import group_actors
from service.analysis.knowledge import fold, knowledge
from service.analysis.syntax import Tree
from service.document import AnnotatedDocument, EngineInfo, Entity

INFO = EngineInfo("test", "0")


def _doc(text: str, language: str, spans: list[tuple[str, str]]) -> AnnotatedDocument:
    """A document whose entities are the given (surface, type) in order of appearance."""
    doc = AnnotatedDocument(text, language, INFO)
    cursor = 0
    for surface, kind in spans:
        start = text.index(surface, cursor)
        doc.entities.append(Entity(start, start + len(surface), kind, kind.upper(), 0))
        cursor = start + len(surface)
    return doc


def test_titles_and_surnames_group_under_the_fullest_name():
    text = "Anthony Blinken est arrivé. M. Blinken a parlé. Blinken repart. Mme Blinken aussi?"
    doc = _doc(
        text, "fr", [("Anthony Blinken", "person"), ("M. Blinken", "person"), ("Blinken", "person")]
    )
    (actor,) = group_actors(Tree(doc, knowledge(doc.language)))
    assert actor.name == "Anthony Blinken" and actor.type == "person"
    assert len(actor.mentions) == 3


def test_english_titles():
    text = "President Joe Biden spoke. Mr. Biden left."
    doc = _doc(text, "en", [("President Joe Biden", "person"), ("Mr. Biden", "person")])
    (actor,) = group_actors(Tree(doc, knowledge(doc.language)))
    assert actor.name == "Joe Biden"


def test_an_ambiguous_surname_stays_apart():
    text = "Boris Johnson and Lyndon Johnson differ; Johnson said no."
    doc = _doc(
        text,
        "en",
        [("Boris Johnson", "person"), ("Lyndon Johnson", "person"), ("Johnson", "person")],
    )
    assert [a.name for a in group_actors(Tree(doc, knowledge(doc.language)))] == [
        "Boris Johnson",
        "Lyndon Johnson",
        "Johnson",
    ]


def test_elided_articles_and_accents_fold():
    text = "L'OTAN et l'OTAN; Sergueï Lavrov et Serguei Lavrov."
    doc = _doc(
        text,
        "fr",
        [
            ("L'OTAN", "organisation"),
            ("l'OTAN", "organisation"),
            ("Sergueï Lavrov", "person"),
            ("Serguei Lavrov", "person"),
        ],
    )
    actors = group_actors(Tree(doc, knowledge(doc.language)))
    assert [(a.name, len(a.mentions)) for a in actors] == [("OTAN", 2), ("Sergueï Lavrov", 2)]
    assert fold("Sergueï  LAVROV") == "serguei lavrov"


def test_noise_is_not_an_actor():
    text = "Soldats (Image: Getty), chars (Image: Getty), Comparer\n\nComparaison, Getty, 2022."
    doc = _doc(
        text,
        "fr",
        [
            ("Image: Getty", "misc"),
            ("Image: Getty", "person"),
            ("Comparer\n\nComparaison", "person"),
            ("Getty", "organisation"),
            ("2022", "date"),
        ],
    )
    assert group_actors(Tree(doc, knowledge(doc.language))) == []
    body = analyse(doc, ["entities", "actors"])
    assert body["actors"] == [] and all(e["actor"] is None for e in body["entities"])


def test_answer_ids_and_links():
    text = "Joe Biden a appelé Vladimir Poutine. Biden insiste."
    doc = _doc(
        text, "fr", [("Joe Biden", "person"), ("Vladimir Poutine", "person"), ("Biden", "person")]
    )
    body = analyse(doc, ["entities", "actors"])
    assert [a["id"] for a in body["actors"]] == ["a1", "a2"]
    assert [e["actor"] for e in body["entities"]] == ["a1", "a2", "a1"]
    assert body["actors"][0]["aliases"] == ["Joe Biden", "Biden"]
    assert all(re.fullmatch(r"a\d+", a["id"]) for a in body["actors"])
