"""Grouping entity mentions into actors, on hand-built neutral documents (no model)."""

from __future__ import annotations

import re

import pytest

from service.analysis import analyse
from service.analysis.actors import group_actors
from service.analysis.knowledge import fold, knowledge
from service.analysis.syntax import Tree
from service.document import AnnotatedDocument, EngineInfo, Entity
from tests.trees import conllu_document

INFO = EngineInfo("test", "0")


def _doc(text: str, language: str, spans: list[tuple[str, ...]]) -> AnnotatedDocument:
    """A document whose entities are the given (surface, type) in order of appearance; a
    third item is the canonical name the engines' entity ruler gives a name it knows."""
    doc = AnnotatedDocument(text, language, INFO)
    cursor = 0
    for surface, kind, *canonical in spans:
        start = text.index(surface, cursor)
        entity = Entity(start, start + len(surface), kind, kind.upper(), 0, *canonical)
        doc.entities.append(entity)
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


def _actors(text: str, language: str, spans: list[tuple[str, ...]]) -> list[tuple[str, str, int]]:
    doc = _doc(text, language, spans)
    return [(a.name, a.type, len(a.mentions)) for a in group_actors(Tree(doc, knowledge(language)))]


@pytest.mark.parametrize(
    ("text", "language", "spans", "expected"),
    [
        (
            "Marine Le Pen répond. Le Pen insiste, selon Le Monde et Le Figaro.",
            "fr",
            [
                ("Marine Le Pen", "person"),
                ("Le Pen", "person"),
                ("Le Monde", "organisation"),
                ("Le Figaro", "organisation"),
            ],
            [
                ("Marine Le Pen", "person", 2),
                ("Le Monde", "organisation", 1),
                ("Le Figaro", "organisation", 1),
            ],
        ),
        (
            "Bruno Le Maire part. Le Maire revient; La Russie et la Russie aussi.",
            "fr",
            [
                ("Bruno Le Maire", "person"),
                ("Le Maire", "location"),
                ("La Russie", "location"),
                ("la Russie", "location"),
            ],
            [("Bruno Le Maire", "person", 2), ("Russie", "country", 2)],
        ),
        (
            "The Guardian said The Hague disagrees; The New York Times and the BBC agreed.",
            "en",
            [
                ("The Guardian", "organisation"),
                ("The Hague", "gpe"),
                ("The New York Times", "organisation"),
                ("the BBC", "organisation"),
            ],
            [
                ("The Guardian", "organisation", 1),
                ("The New York Times", "organisation", 1),
                ("BBC", "organisation", 1),
            ],
        ),
    ],
)
def test_a_capitalised_article_that_begins_a_name_stays(text, language, spans, expected):
    # "The Hague" only locates here: no actor.
    assert _actors(text, language, spans) == expected


@pytest.mark.parametrize(
    ("text", "language", "spans", "expected"),
    [
        (
            "La Commission européenne a tranché. La Commission a ajouté une amende.",
            "fr",
            [("Commission européenne", "organisation"), ("La Commission", "organisation")],
            [("Commission européenne", "organisation", 2)],
        ),
        (
            "The European Commission ruled. The Commission added a fine.",
            "en",
            [("The European Commission", "organisation"), ("The Commission", "organisation")],
            [("European Commission", "organisation", 2)],
        ),
    ],
)
def test_an_organisation_named_short_groups_without_its_determiner(text, language, spans, expected):
    assert _actors(text, language, spans) == expected


@pytest.mark.parametrize(
    ("text", "language", "spans", "full"),
    [
        (
            "Le général Charles de Gaulle parle. De Gaulle insiste; de Gaulle part.",
            "fr",
            [("Charles de Gaulle", "person"), ("De Gaulle", "person"), ("de Gaulle", "person")],
            "Charles de Gaulle",
        ),
        (
            "Andrés Manuel López Obrador a gagné. López Obrador a remercié Obrador.",
            "fr",
            [
                ("Andrés Manuel López Obrador", "person"),
                ("López Obrador", "person"),
                ("Obrador", "person"),
            ],
            "Andrés Manuel López Obrador",
        ),
        (
            "Richard von Weizsäcker spoke. Von Weizsäcker left; von Weizsäcker returned.",
            "en",
            [
                ("Richard von Weizsäcker", "person"),
                ("Von Weizsäcker", "person"),
                ("von Weizsäcker", "person"),
            ],
            "Richard von Weizsäcker",
        ),
        (
            "Luiz Inácio Lula da Silva won. Lula da Silva thanked voters.",
            "en",
            [("Luiz Inácio Lula da Silva", "person"), ("Lula da Silva", "person")],
            "Luiz Inácio Lula da Silva",
        ),
    ],
)
def test_surnames_and_particle_names_group_with_the_full_name(text, language, spans, full):
    assert _actors(text, language, spans) == [(full, "person", len(spans))]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_long_name_split_in_two_person_spans_is_one_name(language):
    text = "Andrés Manuel López Obrador met Olaf Scholz, Olaf Scholz left."
    doc = _doc(
        text,
        language,
        [
            ("Andrés Manuel", "person"),
            ("López Obrador", "person"),
            ("Olaf Scholz", "person"),
            ("Olaf Scholz", "person"),
        ],
    )
    body = analyse(doc, ["entities", "actors"])
    assert [a["name"] for a in body["actors"]] == ["Andrés Manuel López Obrador", "Olaf Scholz"]
    # the name's first span holds the mention (offsets stay inside the engine's span);
    # a comma keeps names apart
    assert [e["actor"] for e in body["entities"]] == ["a1", None, "a2", "a2"]


@pytest.mark.parametrize(
    ("text", "language", "spans", "expected"),
    [
        (
            "L'Union des démocrates et indépendants (UDI) hésite. L'UDI votera.",
            "fr",
            [("Union des démocrates et indépendants", "organisation"), ("UDI", "organisation")],
            [("Union des démocrates et indépendants", "organisation", 2)],
        ),
        (
            "The Democratic Unionist Party (DUP) objected. The DUP will vote.",
            "en",
            [("The Democratic Unionist Party", "organisation"), ("DUP", "organisation")],
            # a capitalised article before an unknown name is kept: the name may be "The
            # Guardian"; here it is only the sentence's first word, and it stays
            [("The Democratic Unionist Party", "organisation", 2)],
        ),
        (
            "La France insoumise dénonce. LFI votera contre, comme le RN et le Rassemblement "
            "national.",
            "fr",
            # parties are known from the gazetteer alone: its canonical names group them
            [
                ("La France insoumise", "organisation", "La France insoumise"),
                ("LFI", "organisation", "La France insoumise"),
                ("RN", "organisation", "Rassemblement national"),
                ("Rassemblement national", "organisation", "Rassemblement national"),
            ],
            [
                ("La France insoumise", "organisation", 2),
                ("Rassemblement national", "organisation", 2),
            ],
        ),
        (
            "The EU and the European Union agree; the UN, the United Nations and NATO too.",
            "en",
            [
                ("EU", "organisation"),
                ("the European Union", "organisation"),
                ("UN", "organisation"),
                ("the United Nations", "organisation"),
                ("NATO", "organisation"),
            ],
            [
                ("European Union", "organisation", 2),
                ("United Nations", "organisation", 2),
                ("NATO", "organisation", 1),
            ],
        ),
        (
            "L'ONU, les Nations unies, l'OTAN et la NATO se réunissent.",
            "fr",
            [
                ("L'ONU", "organisation"),
                ("les Nations unies", "organisation"),
                ("l'OTAN", "organisation"),
                ("NATO", "organisation"),
            ],
            [("ONU", "organisation", 2), ("OTAN", "organisation", 2)],
        ),
    ],
)
def test_acronyms_group_when_given_in_parentheses_or_known(text, language, spans, expected):
    assert _actors(text, language, spans) == expected


FAURY_EN = """
    1  The        the        DET    _  _  5  det       _  _
    2  Airbus     Airbus     PROPN  _  _  5  compound  _  ner=S-ORG
    3  chief      chief      ADJ    _  _  4  amod      _  _
    4  executive  executive  NOUN   _  _  5  compound  _  _
    5  Guillaume  Guillaume  PROPN  _  _  7  nsubj     _  ner=B-ORG
    6  Faury      Faury      PROPN  _  _  5  flat      _  ner=E-ORG
    7  flew       fly        VERB   _  _  0  root      _  _
    8  to         to         ADP    _  _  9  case      _  _
    9  Kyiv       Kyiv       PROPN  _  _  7  obl       _  SpaceAfter=No|ner=S-PERSON
    10 .          .          PUNCT  _  _  7  punct     _  _
"""

FAURY_FR = """
    1  Le         le         DET    _  _  2  det        _  _
    2  patron     patron     NOUN   _  _  6  nsubj      _  _
    3  Patrick    Patrick    PROPN  _  _  2  appos      _  ner=B-ORG
    4  Pouyanné   Pouyanné   PROPN  _  _  3  flat:name  _  ner=E-ORG
    5  est        être       AUX    _  _  6  aux:tense  _  _
    6  arrivé     arriver    VERB   _  _  0  root       _  _
    7  à          à          ADP    _  _  8  case       _  _
    8  Kiev       Kiev       PROPN  _  _  6  obl        _  SpaceAfter=No|ner=S-PER
    9  .          .          PUNCT  _  _  6  punct      _  _
"""


@pytest.mark.parametrize(
    ("conllu", "language", "person"),
    [(FAURY_EN, "en", "Guillaume Faury"), (FAURY_FR, "fr", "Patrick Pouyanné")],
)
def test_a_name_after_a_role_is_a_person_and_a_capital_is_never_one(conllu, language, person):
    doc = conllu_document(conllu, language)
    actors = [(a.name, a.type) for a in group_actors(Tree(doc, knowledge(language)))]
    # The engine typed the executive an organisation and the capital a person: the role
    # makes a person; the capital, which only locates, is no actor at all.
    assert (person, "person") in actors
    assert all(name not in ("Kyiv", "Kiev", "Ukraine") for name, _ in actors)


SCORES_EN = """
    1  Erling   Erling   PROPN  _  _  6  nsubj  _  ner=B-PERSON
    2  Haaland  Haaland  PROPN  _  _  1  flat   _  ner=I-PERSON
    3  (        (        PUNCT  _  _  4  punct  _  SpaceAfter=No|ner=I-PERSON
    4  2        2        NUM    _  _  1  appos  _  SpaceAfter=No|ner=I-PERSON
    5  )        )        PUNCT  _  _  4  punct  _  ner=E-PERSON
    6  sank     sink     VERB   _  _  0  root   _  _
    7  Arsenal  Arsenal  PROPN  _  _  6  obj    _  ner=B-ORG
    8  4-0      4-0      NUM    _  _  7  nummod _  SpaceAfter=No|ner=E-ORG
    9  .        .        PUNCT  _  _  6  punct  _  _
"""

SCORES_FR = """
    1  Kylian   Kylian   PROPN  _  _  6  nsubj      _  ner=B-PER
    2  Mbappé   Mbappé   PROPN  _  _  1  flat:name  _  ner=I-PER
    3  (        (        PUNCT  _  _  4  punct      _  SpaceAfter=No|ner=I-PER
    4  doublé   doublé   NOUN   _  _  1  appos      _  SpaceAfter=No|ner=I-PER
    5  )        )        PUNCT  _  _  4  punct      _  ner=E-PER
    6  a        avoir    AUX    _  _  7  aux:tense  _  _
    7  battu    battre   VERB   _  _  0  root       _  _
    8  Chelsea  Chelsea  PROPN  _  _  7  obj        _  ner=B-ORG
    9  2-1      2-1      NUM    _  _  8  nummod     _  SpaceAfter=No|ner=E-ORG
    10 .        .        PUNCT  _  _  7  punct      _  _
"""


@pytest.mark.parametrize(
    ("conllu", "language", "expected"),
    [
        (SCORES_EN, "en", [("Erling Haaland", "person"), ("Arsenal", "organisation")]),
        (SCORES_FR, "fr", [("Kylian Mbappé", "person"), ("Chelsea", "organisation")]),
    ],
)
def test_scores_and_parentheses_are_no_part_of_names(conllu, language, expected):
    doc = conllu_document(conllu, language)
    actors = group_actors(Tree(doc, knowledge(language)))
    assert [(a.name, a.type) for a in actors] == expected


PEOPLE_EN = """
    1  Tuchel    Tuchel    PROPN  _  _  2  nsubj  _  ner=S-ORG
    2  said      say       VERB   _  _  0  root   _  _
    3  that      that      SCONJ  _  _  6  mark   _  _
    4  Okafor    Okafor    PROPN  _  _  6  nsubj  _  _
    5  (         (         PUNCT  _  _  6  punct  _  SpaceAfter=No
    6  scored    score     VERB   _  _  2  ccomp  _  _
    7  )         )         PUNCT  _  _  6  punct  _  _
    8  impressed impress   VERB   _  _  2  conj   _  _
    9  Paris     Paris     PROPN  _  _  8  obj    _  SpaceAfter=No|ner=S-GPE
    10 .         .         PUNCT  _  _  2  punct  _  _
"""

PEOPLE_FR = """
    1  Tuchel    Tuchel    PROPN  _  _  3  nsubj      _  ner=S-LOC
    2  a         avoir     AUX    _  _  3  aux:tense  _  _
    3  entraîné  entraîner VERB   _  _  0  root       _  _
    4  Okafor    Okafor    PROPN  _  _  3  obj        _  _
    5  (         (         PUNCT  _  _  7  punct      _  SpaceAfter=No
    6  a         avoir     AUX    _  _  7  aux:tense  _  _
    7  marqué    marquer   VERB   _  _  4  acl        _  SpaceAfter=No
    8  )         )         PUNCT  _  _  7  punct      _  _
    9  et        et        CCONJ  _  _  11 cc         _  _
    10 Londres   Londres   PROPN  _  _  11 nsubj      _  ner=S-LOC
    11 déclare   déclarer  VERB   _  _  3  conj       _  SpaceAfter=No
    12 .         .         PUNCT  _  _  3  punct      _  _
"""


@pytest.mark.parametrize(("conllu", "language"), [(PEOPLE_EN, "en"), (PEOPLE_FR, "fr")])
def test_a_name_that_does_what_a_person_does_is_a_person(conllu, language):
    # human_verbs.json: the subject typed a place or organisation, the proper noun the
    # engine missed before "(scored)"; a capital ("Paris", "Londres") is known, so it stays
    # a place (here: the state, as it acts, or no actor).
    doc = conllu_document(conllu, language)
    actors = {a.name: a.type for a in group_actors(Tree(doc, knowledge(language)))}
    assert actors["Tuchel"] == "person"
    assert actors["Okafor"] == "person"
    assert all(t != "person" for n, t in actors.items() if n not in ("Tuchel", "Okafor"))
