"""Each evidence kind and stance rule on a hand-written dependency tree (CoNLL-U), through
:func:`service.analysis.analyse`: no model, no parser. Values are checked against the
lexicons and the named weights, so a rule's test says which weight it uses.
``tests/test_analysis_rules.py`` checks the same rules end to end through spaCy."""

from __future__ import annotations

from service.analysis import DEFAULT_SECTIONS, analyse
from service.analysis.actors import group_actors
from service.analysis.evidence import WEIGHTS as W
from service.analysis.evidence import Kind
from service.analysis.knowledge import knowledge
from service.analysis.scorer import Scorer
from service.analysis.syntax import Tree
from tests.trees import conllu_document

KB = knowledge("en")

INVADED = """
    1  Russia   Russia  PROPN  _  _  2  nsubj  _  ner=S-GPE
    2  invaded  invade  VERB   _  _  0  root   _  _
    3  Ukraine  Ukraine PROPN  _  _  2  obj    _  SpaceAfter=No|ner=S-GPE
    4  .        .       PUNCT  _  _  2  punct  _  _
"""


def run(conllu: str, **options) -> dict:
    return analyse(conllu_document(conllu), DEFAULT_SECTIONS, **options)


def actor(body: dict, name: str) -> dict:
    found = [a for a in body["actors"] if a["name"] == name]
    assert found, f"no actor {name!r}: {[a['name'] for a in body['actors']]}"
    return found[0]


def words(portrayal: dict) -> list[tuple[str, float, str]]:
    """(word, signed value, reason) of a sentiment's or a stance's evidence."""
    return [(w["text"], w["value"], w["reason"]) for e in portrayal["evidence"] for w in e["words"]]


def stance(body: dict, source: str, target: str) -> dict:
    target_id = actor(body, target)["id"]
    (entry,) = [s for s in actor(body, source)["stances"] if s["target"] == target_id]
    return entry


def test_described_as():
    body = run("""
        1  Corrupt  corrupt ADJ    _  _  2  amod   _  _
        2  Putin    Putin   PROPN  _  _  3  nsubj  _  ner=S-PERSON
        3  spoke    speak   VERB   _  _  0  root   _  SpaceAfter=No
        4  .        .       PUNCT  _  _  3  punct  _  _
    """)
    expected = round(KB.valence["corrupt"] * W.described_as, 3)
    assert words(actor(body, "Putin")["sentiment"]) == [("Corrupt", expected, "described as")]


def test_said_to_be():
    body = run("""
        1  Putin     Putin     PROPN  _  _  5  nsubj  _  ner=S-PERSON
        2  is        be        AUX    _  _  5  cop    _  _
        3  a         a         DET    _  _  5  det    _  _
        4  dangerous dangerous ADJ    _  _  5  amod   _  _
        5  leader    leader    NOUN   _  _  0  root   _  SpaceAfter=No
        6  .         .         PUNCT  _  _  5  punct  _  _
    """)
    expected = round(KB.general["dangerous"] * W.said_to_be_modifier, 3)
    assert words(actor(body, "Putin")["sentiment"]) == [("dangerous", expected, "said to be")]


def test_what_it_does_and_what_is_done_to_it():
    body = run(INVADED)
    frame = KB.verbs["invade"]
    assert words(actor(body, "Russia")["sentiment"]) == [
        ("invaded", round(frame.agent * W.what_it_does, 3), "what it does")
    ]
    assert words(actor(body, "Ukraine")["sentiment"]) == [
        ("invaded", round(frame.patient * W.what_is_done_to_it, 3), "what is done to it")
    ]
    assert actor(body, "Russia")["sentiment"]["label"] == "negative"


def test_negation_turns_the_frame_around_and_weakens_it():
    body = run("""
        1  Russia   Russia  PROPN  _  _  4  nsubj  _  ner=S-GPE
        2  did      do      AUX    _  _  4  aux    _  _
        3  not      not     PART   _  _  4  advmod _  _
        4  invade   invade  VERB   _  _  0  root   _  _
        5  Ukraine  Ukraine PROPN  _  _  4  obj    _  SpaceAfter=No|ner=S-GPE
        6  .        .       PUNCT  _  _  4  punct  _  _
    """)
    expected = round(KB.verbs["invade"].agent * W.negation, 3)
    assert words(actor(body, "Russia")["sentiment"]) == [("invade", expected, "what it does")]
    (word,) = words(stance(body, "Russia", "Ukraine"))
    frame = KB.verbs["invade"]
    assert word == ("invade", round(-frame.strength * W.negation, 3), "opposes (patient)")


def test_in_what_it_does():
    body = run("""
        1  Russia         Russia         PROPN  _  _  2  nsubj  _  ner=S-GPE
        2  spreads        spread         VERB   _  _  0  root   _  _
        3  disinformation disinformation NOUN   _  _  2  obj    _  SpaceAfter=No
        4  .              .              PUNCT  _  _  2  punct  _  _
    """)
    expected = round(KB.valence["disinformation"] * W.in_what_it_does, 3)
    assert words(actor(body, "Russia")["sentiment"]) == [
        ("disinformation", expected, "in what it does")
    ]


def test_its_predicate_a_verb_without_frame_portrays_its_agent():
    body = run("""
        1  Russia  Russia PROPN  _  _  2  nsubj  _  ner=S-GPE
        2  failed  fail   VERB   _  _  0  root   _  SpaceAfter=No
        3  .       .      PUNCT  _  _  2  punct  _  _
    """)
    assert "fail" not in KB.verbs
    expected = round(KB.valence["fail"] * W.its_predicate, 3)
    assert words(actor(body, "Russia")["sentiment"]) == [("failed", expected, "its predicate")]


def test_around_what_is_done_to_it():
    body = run("""
        1  Russia   Russia  PROPN  _  _  2  nsubj  _  ner=S-GPE
        2  attacked attack  VERB   _  _  0  root   _  _
        3  Ukraine  Ukraine PROPN  _  _  2  obj    _  ner=S-GPE
        4  in       in      ADP    _  _  7  case   _  _
        5  a        a       DET    _  _  7  det    _  _
        6  brutal   brutal  ADJ    _  _  7  amod   _  _
        7  assault  assault NOUN   _  _  2  obl    _  SpaceAfter=No
        8  .        .       PUNCT  _  _  2  punct  _  _
    """)
    found = words(actor(body, "Ukraine")["sentiment"])
    expected = round(KB.valence["assault"] * W.around_what_is_done, 3)
    assert ("assault", expected, "around what is done to it") in found
    assert found[0][2] == "what is done to it"


TOLD = """
    1  Biden      Biden      PROPN  _  _  2  nsubj  _  ner=S-PERSON
    2  told       tell       VERB   _  _  0  root   _  _
    3  Putin      Putin      PROPN  _  _  2  obj    _  ner=S-PERSON
    4  to         to         PART   _  _  5  mark   _  _
    5  stop       stop       VERB   _  _  2  xcomp  _  _
    6  the        the        DET    _  _  7  det    _  _
    7  aggression aggression NOUN   _  _  5  obj    _  SpaceAfter=No
    8  .          .          PUNCT  _  _  2  punct  _  _
"""


def test_what_it_is_told_to_stop_is_its_own_doing():
    body = run(TOLD)
    expected = round(KB.valence["aggression"] * W.told_to_stop_what, 3)
    assert words(actor(body, "Putin")["sentiment"]) == [
        ("aggression", expected, "what it is told to stop")
    ]
    assert actor(body, "Biden")["sentiment"]["label"] == "neutral", "telling is no portrayal"


def test_stance_telling_someone_to_stop_something_bad_opposes_them():
    body = run(TOLD)
    entry = stance(body, "Biden", "Putin")
    value = round(KB.valence["aggression"] * W.stance_told_to_stop, 3)
    assert entry["label"] == "oppose"
    assert words(entry) == [("told", value, "told to stop")]


def test_its_action_and_the_stance_of_an_event_noun_it_owns():
    body = run("""
        1  Russia     Russia     PROPN  _  _  3  nmod:poss _  SpaceAfter=No|ner=S-GPE
        2  's         's         PART   _  _  1  case      _  _
        3  aggression aggression NOUN   _  _  6  nsubj     _  _
        4  against    against    ADP    _  _  5  case      _  _
        5  Ukraine    Ukraine    PROPN  _  _  3  nmod      _  ner=S-GPE
        6  continues  continue   VERB   _  _  0  root      _  SpaceAfter=No
        7  .          .          PUNCT  _  _  6  punct     _  _
    """)
    prior = KB.valence["aggression"]
    assert words(actor(body, "Russia")["sentiment"]) == [
        ("aggression", round(prior * W.its_action, 3), "its action or attribute")
    ]
    entry = stance(body, "Russia", "Ukraine")
    assert entry["label"] == "oppose"
    assert words(entry) == [
        ("aggression", round(prior * W.stance_event_noun, 3), "its action toward")
    ]


def test_stance_from_a_verb_frame_toward_its_recipient():
    body = run("""
        1  The      the      DET    _  _  3  det      _  _
        2  United   United   PROPN  _  _  3  compound _  ner=B-GPE
        3  States   States   PROPN  _  _  4  nsubj    _  ner=E-GPE
        4  supplies supply   VERB   _  _  0  root     _  _
        5  weapons  weapon   NOUN   _  _  4  obj      _  _
        6  to       to       ADP    _  _  7  case     _  _
        7  Ukraine  Ukraine  PROPN  _  _  4  obl      _  SpaceAfter=No|ner=S-GPE
        8  .        .        PUNCT  _  _  4  punct    _  _
    """)
    entry = stance(body, "United States", "Ukraine")
    frame = KB.verbs["supply"]
    assert entry["label"] == "support"
    assert words(entry) == [
        ("supplies", round(frame.strength * W.stance_frame, 3), "supports (recipient)")
    ]


CONDEMNED_EN = """
    1  Britain    Britain    PROPN  _  _  2  nsubj     _  ner=S-GPE
    2  condemned  condemn    VERB   _  _  0  root      _  _
    3  Iran       Iran       PROPN  _  _  5  nmod:poss _  SpaceAfter=No|ner=S-GPE
    4  's         's         PART   _  _  3  case      _  _
    5  attack     attack     NOUN   _  _  2  obj       _  _
    6  on         on         ADP    _  _  7  case      _  _
    7  Israel     Israel     PROPN  _  _  5  nmod      _  SpaceAfter=No|ner=S-GPE
    8  .          .          PUNCT  _  _  2  punct     _  _
"""

CONDEMNED_FR = """
    1  La         le         DET    _  _  2  det       _  _
    2  France     France     PROPN  _  _  3  nsubj     _  ner=S-LOC
    3  condamne   condamner  VERB   _  _  0  root      _  _
    4  l'         le         DET    _  _  5  det       _  SpaceAfter=No
    5  attaque    attaque    NOUN   _  _  3  obj       _  _
    6  de         de         ADP    _  _  8  case      _  _
    7  l'         le         DET    _  _  8  det       _  SpaceAfter=No
    8  Iran       Iran       PROPN  _  _  5  nmod      _  ner=S-LOC
    9  contre     contre     ADP    _  _  10 case      _  _
    10 Israël     Israël     PROPN  _  _  5  nmod      _  SpaceAfter=No|ner=S-LOC
    11 .          .          PUNCT  _  _  3  punct     _  _
"""


def test_stance_condemning_an_act_opposes_its_author_not_its_target():
    for conllu, language, source, author, victim, verb in (
        (CONDEMNED_EN, "en", "United Kingdom", "Iran", "Israel", "condemn"),
        (CONDEMNED_FR, "fr", "France", "Iran", "Israël", "condamner"),
    ):
        body = analyse(conllu_document(conllu, language), DEFAULT_SECTIONS)
        entry = stance(body, source, author)
        frame = knowledge(language).verbs[verb]
        assert entry["label"] == "oppose"
        assert [(w, v, r) for w, v, r in words(entry)] == [
            (words(entry)[0][0], round(-frame.strength * W.stance_its_act, 3), "judges its act")
        ]
        victim_id = actor(body, victim)["id"]
        assert all(s["target"] != victim_id for s in actor(body, source)["stances"])


def test_a_reason_clause_is_the_objects_act_and_suing_opposes():
    body = run("""
        1  The        the        DET    _  _  2  det       _  _
        2  Commission Commission PROPN  _  _  3  nsubj     _  ner=S-ORG
        3  fined      fine       VERB   _  _  0  root      _  _
        4  Apple      Apple      PROPN  _  _  3  obj       _  ner=S-ORG
        5  for        for        ADP    _  _  6  mark      _  _
        6  abusing    abuse      VERB   _  _  3  advcl     _  VerbForm=Ger
        7  its        its        PRON   _  _  8  nmod:poss _  _
        8  position   position   NOUN   _  _  6  obj       _  SpaceAfter=No
        9  ,          ,          PUNCT  _  _  12 punct     _  _
        10 and        and        CCONJ  _  _  12 cc        _  _
        11 Google     Google     PROPN  _  _  12 nsubj     _  ner=S-ORG
        12 sued       sue        VERB   _  _  3  conj      _  _
        13 Microsoft  Microsoft  PROPN  _  _  12 obj       _  SpaceAfter=No|ner=S-ORG
        14 .          .          PUNCT  _  _  3  punct     _  _
    """)
    # "abusing" is what Apple did, as the agent of a verb without a frame; the Commission
    # only fined.
    expected = round(KB.valence["abuse"] * W.its_predicate, 3)
    assert ("abusing", expected, "its predicate") in words(actor(body, "Apple")["sentiment"])
    assert "abusing" not in [w for w, _, _ in words(actor(body, "Commission")["sentiment"])]
    assert stance(body, "Commission", "Apple")["label"] == "oppose"
    entry = stance(body, "Google", "Microsoft")
    assert words(entry) == [
        ("sued", round(-KB.verbs["sue"].strength * W.stance_frame, 3), "opposes (patient)")
    ]


SAID = """
    1  Biden    Biden   PROPN  _  _  2  nsubj  _  ner=S-PERSON
    2  said     say     VERB   _  _  0  root   _  _
    3  that     that    SCONJ  _  _  5  mark   _  _
    4  Russia   Russia  PROPN  _  _  5  nsubj  _  ner=S-GPE
    5  invaded  invade  VERB   _  _  2  ccomp  _  _
    6  Ukraine  Ukraine PROPN  _  _  5  obj    _  SpaceAfter=No|ner=S-GPE
    7  .        .       PUNCT  _  _  2  punct  _  _
"""


def test_reported_speech_weighs_less_and_says_so():
    body = run(SAID)
    (quote,) = body["quotes"]
    assert (quote["kind"], quote["text"], quote["verb"]) == (
        "reported",
        "Russia invaded Ukraine",
        "said",
    )
    assert quote["speaker"] == actor(body, "Biden")["id"]
    agent = KB.verbs["invade"].agent
    assert words(actor(body, "Russia")["sentiment"]) == [
        ("invaded", round(agent * W.what_it_does * W.reported, 3), "what it does (reported)")
    ]


def test_stance_in_what_a_speaker_said_counts_the_portrayal_in_full():
    body = run(SAID)
    entry = stance(body, "Biden", "Russia")
    agent = KB.verbs["invade"].agent
    assert entry["label"] == "oppose"
    assert words(entry) == [
        ("said", round(agent * W.what_it_does * W.stance_quote, 3), "in what it said")
    ]


def test_sentence_sentiment_counts_weakly_and_does_not_stop_the_back_off():
    doc = conllu_document("""
        1  In       in      ADP    _  _  2  case   _  _
        2  Ukraine  Ukraine PROPN  _  _  4  obl    _  ner=S-GPE
        3  war      war     NOUN   _  _  4  nsubj  _  _
        4  rages    rage    VERB   _  _  0  root   _  SpaceAfter=No
        5  .        .       PUNCT  _  _  4  punct  _  _
    """)
    doc.sentences[0].sentiment = -1.0
    body = analyse(doc, ["sentiment"], targets=[{"start": 3, "end": 10}])
    found = words(body["targets"][0]["sentiment"])
    assert ("Ukraine", -1.0 * W.sentence_sentiment, "sentence sentiment") in found
    backoff = round(KB.valence["war"] * W.backoff, 3)
    assert ("war", backoff, "in its sentence (no syntactic link)") in found


def test_the_sentence_baseline_and_the_document_tone():
    body = run(INVADED, scope="sentence")
    agent = KB.valence["invade"]
    assert words(actor(body, "Ukraine")["sentiment"]) == [
        ("invaded", round(agent * W.in_the_sentence, 3), "in the sentence")
    ]
    assert words(body["sentiment"]) == [("invaded", round(agent * W.in_the_text, 3), "in the text")]


def test_the_scorer_returns_typed_kinds_and_keeps_no_state_between_mentions():
    tree = Tree(conllu_document(INVADED), KB)
    actors = group_actors(tree)
    heads = frozenset(m.head for a in actors for m in a.mentions if m.head is not None)
    scorer = Scorer(tree, heads, [])
    russia, ukraine = (a.mentions[0] for a in actors)
    first = [c.kind for c in scorer.mention(russia)]
    assert [c.kind for c in scorer.mention(ukraine)] == [Kind.WHAT_IS_DONE_TO_IT]
    assert [c.kind for c in scorer.mention(russia)] == first == [Kind.WHAT_IT_DOES]


def test_no_two_kinds_share_a_reason():
    # An Enum silently makes a second member with the same value an alias of the first.
    assert len(Kind.__members__) == len(list(Kind))
