"""What the engine sees of a text: pathological runs blanked, every offset kept."""

from __future__ import annotations

import time

from service.engines.view import MAX_RUN, MAX_SYMBOLS, engine_view, token_estimate
from tests.contract import check


def test_long_symbol_runs_keep_their_first_symbols_and_the_same_length():
    text = "Incroyable" + "!" * 40 + " dit-il 😀😀"
    view = engine_view(text)
    assert len(view) == len(text)
    assert view == "Incroyable" + "!" * MAX_SYMBOLS + " " * 30 + " dit-il 😀😀"


def test_long_runs_without_spaces_are_broken_at_fixed_intervals():
    url = "https://example.org/" + "a" * 250
    view = engine_view(url)
    assert len(view) == len(url)
    assert [len(part) for part in view.split(" ")] == [MAX_RUN - 1, MAX_RUN - 1, 70]
    assert engine_view("Une phrase normale, sans rien d'extrême.") == (
        "Une phrase normale, sans rien d'extrême."
    )


def test_token_estimate_counts_words_and_each_symbol():
    assert token_estimate("Joe Biden a dit : « non » !") == 9


def test_answers_quote_the_text_as_sent_around_blanked_runs(client):
    text = "Joe Biden" + "!" * 5000 + " a rencontré Emmanuel Macron à Paris " + "🎉" * 3000
    began = time.monotonic()
    response = client.post("/v1/enrich", json={"text": text, "language": "fr"})
    body = check(response, "/v1/enrich")
    assert response.status_code == 200 and time.monotonic() - began < 10
    assert {"Joe Biden", "Emmanuel Macron"} <= {e["text"] for e in body["entities"]}
    for entity in body["entities"]:
        assert text[entity["start"] : entity["end"]] == entity["text"]
