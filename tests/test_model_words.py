"""``options.explain``: the words that pushed the learned model's readings.

The scorer's ``attribute`` (integrated gradients, merged to whole words), analysis'
``model_words`` (which reading is explained, the top words), and the answer's contract:
the option off gives the answer as it was. The model is real: the committed trained weights
(or POLARITY_TEST_WEIGHTS).
"""

from __future__ import annotations

import re

import pytest

from service import create_app
from service.engines import EngineRegistry
from service.engines.polarity.attribution import per_word
from service.engines.polarity.batching import encode
from tests.conftest import ARTICLES, REDIS_URL, base_settings
from tests.contract import check
from tests.test_polarity_model import TRAINED

WORD = re.compile(r"\w+(?:-\w+)*")


@pytest.fixture(scope="session")
def explain_registry() -> EngineRegistry:
    registry = EngineRegistry(base_settings(polarity_model="on", polarity_weights=TRAINED))
    registry.start(background=False)
    assert registry.polarity is not None
    return registry


def _post(registry: EngineRegistry, text: str, language: str, **options):
    client = create_app(base_settings(), registry=registry).test_client()
    body = {"text": text, "language": language, "options": options}
    return check(client.post("/v1/enrich", json=body), "/v1/enrich")


def _sentiments(answer: dict) -> list[dict]:
    return [a["sentiment"] for a in answer["actors"]] + [
        t["sentiment"] for t in answer.get("targets", [])
    ]


@pytest.mark.parametrize("bracketed", [False, True])
def test_pieces_are_summed_into_the_whole_words_of_the_text(explain_registry, bracketed):
    tokenizer = explain_registry.polarity.tokenizer
    text = "Le Royaume-Uni a condamné l'invasion, dit Mme Truss (ministre)."
    spans = [(3, 14), (43, 48)]
    (row,) = encode(tokenizer, [(text, spans)], 256, bracketed)
    pieces = per_word(text, spans, row, [1.0] * len(row.ids), bracketed)
    # Every word of the sentence, in order, none made of the markers or punctuation; each
    # with as many pieces as the tokenizer cut it into (at least one).
    assert [text[a:b] for a, b, _ in pieces] == WORD.findall(text)
    assert all(w >= 1 for _, _, w in pieces)
    assert sum(w for _, _, w in pieces) < len(row.ids)  # specials, prefix, marks: no word


def test_each_item_is_explained_for_its_own_target_in_its_own_order(explain_registry):
    scorer = explain_registry.polarity
    long = "The long report, read by many in the capital, said the minister resigned."
    items = [
        ("The minister praised the brave nurses.", [(4, 12), (31, 37)], 1),
        (long, [(55, 63)], 0),
        ("The minister praised the brave nurses.", [(4, 12), (31, 37)], 0),
    ]
    together = scorer.attribute(items)
    alone = [scorer.attribute([item])[0] for item in items]
    for both, one in zip(together, alone, strict=True):
        assert [(a, b) for a, b, _ in both] == [(a, b) for a, b, _ in one]
        # Padded beside longer rows, bf16 rounds a little differently: 2% here.
        assert [w for _, _, w in both] == pytest.approx([w for _, _, w in one], rel=0.05, abs=0.02)
    # The same sentence, two targets: two different gradients.
    assert [w for *_, w in together[0]] != pytest.approx([w for *_, w in together[2]], abs=1e-6)


def test_explain_gives_the_words_of_each_sentiments_first_shown_reading(explain_registry):
    text = ARTICLES["fr"].read_text("utf-8")
    answer = _post(explain_registry, text, "fr", targets=["pêche"], explain=True)
    assert answer["timings"]["explain_ms"] > 0
    explained = 0
    for sentiment in _sentiments(answer):
        readings = [
            [w for w in e["words"] if w["reason"] == "learned model"] for e in sentiment["evidence"]
        ]
        first = next((min(r, key=lambda w: w["start"]) for r in readings if r), None)
        with_words = [w for e in sentiment["evidence"] for w in e["words"] if "pushed_by" in w]
        assert with_words == ([first] if first is not None else [])
        if first is None:
            continue
        explained += 1
        pushed = first["pushed_by"]
        assert 1 <= len(pushed) <= 5
        weights = [abs(p["weight"]) for p in pushed]
        assert weights == sorted(weights, reverse=True) and sum(weights) <= 1.001
        for p in pushed:
            assert text[p["start"] : p["end"]] == p["text"] and WORD.fullmatch(p["text"])
            assert not (p["start"] < first["end"] and p["end"] > first["start"])
            assert p["toward"] == ("positive" if p["weight"] > 0 else "negative")
    assert explained >= 3


def test_without_the_option_the_answer_is_as_it_was(explain_registry):
    text = ARTICLES["en"].read_text("utf-8")
    plain = _post(explain_registry, text, "en", targets=["tariffs"])
    off = _post(explain_registry, text, "en", targets=["tariffs"], explain=False)
    for answer in (plain, off):
        assert "pushed_by" not in str(answer) and "explain_ms" not in answer["timings"]
    assert {k: v for k, v in plain.items() if k != "timings"} == {
        k: v for k, v in off.items() if k != "timings"
    }
    # The lexicon alone has no model reading to explain: its answer, option or not.
    lexicon = _post(explain_registry, text, "en", sentiment="lexicon", explain=True)
    assert "pushed_by" not in str(lexicon) and "explain_ms" not in lexicon["timings"]


def test_the_option_is_in_the_cache_key_only_where_it_changes_the_answer(
    explain_registry, redis_prefix
):
    settings = base_settings(redis_url=REDIS_URL, cache_prefix=redis_prefix)
    client = create_app(settings, registry=explain_registry).test_client()
    body = {"text": "Canada welcomed the decision of the court.", "language": "en"}

    def cache(**options: object) -> str:
        return client.post("/v1/enrich", json={**body, "options": options}).headers["X-Cache"]

    assert cache() == "MISS"
    assert cache(explain=False) == "HIT"
    assert cache(explain=True) == "MISS"
    assert cache(explain=True) == "HIT"
    assert cache(sentiment="lexicon") == "MISS"
    assert cache(sentiment="lexicon", explain=True) == "HIT"


@pytest.mark.parametrize("value", [1, "true", None])
def test_explain_is_a_json_boolean(explain_registry, value):
    client = create_app(base_settings(), registry=explain_registry).test_client()
    body = {"text": "Canada welcomed it.", "options": {"explain": value}}
    response = client.post("/v1/enrich", json=body)
    assert response.status_code == 422
    assert "explain" in response.get_data(as_text=True)


def test_the_trained_models_words_are_the_sentences_and_point_its_way(explain_registry):
    text = "The minister praised the brave nurses."
    answer = _post(explain_registry, text, "en", targets=["nurses"], explain=True)
    (target,) = answer["targets"]
    (evidence,) = target["sentiment"]["evidence"]
    (reading,) = [w for w in evidence["words"] if w["reason"] == "learned model"]
    assert reading["probabilities"]["positive"] > 0.5
    assert {p["text"] for p in reading["pushed_by"]} <= {
        "The",
        "minister",
        "praised",
        "the",
        "brave",
    }
    toward_positive = {p["text"] for p in reading["pushed_by"] if p["toward"] == "positive"}
    assert {"praised", "brave"} <= toward_positive


# Sentences of clear polarity toward a target, each with the word that carries it and the
# way it points, written for this test.
CUES = [
    (
        "Critics accused Vladimir Putin of lying about the invasion.",
        "Vladimir Putin",
        "accused",
        "negative",
    ),
    (
        "The committee praised Angela Merkel for her courage.",
        "Angela Merkel",
        "praised",
        "positive",
    ),
    ("The brutal regime of Assad crushed the protesters.", "Assad", "brutal", "negative"),
    ("Voters love the generous and honest mayor of the town.", "mayor", "love", "positive"),
    (
        "Les experts accusent Vladimir Poutine de mentir sans cesse.",
        "Vladimir Poutine",
        "accusent",
        "negative",
    ),
    (
        "Le comité a salué le courage exemplaire d'Angela Merkel.",
        "Angela Merkel",
        "salué",
        "positive",
    ),
    ("La population a dénoncé la corruption du maire.", "maire", "dénoncé", "negative"),
    (
        "Les infirmières ont été félicitées pour leur dévouement.",
        "infirmières",
        "félicitées",
        "positive",
    ),
]


def test_the_word_that_carries_a_clear_polarity_is_shown_pointing_its_way(explain_registry):
    # A local reading of the model, not a proof: most, not all (docs/analysis.md).
    scorer = explain_registry.polarity
    items = [(t, [(t.index(name), t.index(name) + len(name))], 0) for t, name, *_ in CUES]
    right = []
    for (text, spans, _), words, (*_, cue, way) in zip(
        items, scorer.attribute(items), CUES, strict=True
    ):
        (a0, b0) = spans[0]
        outside = sorted(
            (w for w in words if not (w[0] < b0 and w[1] > a0)), key=lambda w: -abs(w[2])
        )
        shown = {text[a:b]: w for a, b, w in outside[:5]}
        right.append(cue in shown and (shown[cue] > 0) == (way == "positive"))
    assert sum(right) >= 6, right
