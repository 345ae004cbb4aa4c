"""The French target-sentiment evaluation set (``bench/data/fr_target_sentiment.jsonl``) stays
well formed: every row parses with the NewsMTSC fields, its offsets point at its mention, the
three classes stay balanced, no row or sentence is there twice, and its README's counts are true.
A broken offset or a silently skewed class mix would make the French zero-shot figure wrong."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter, defaultdict
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).resolve().parents[1] / "bench/data"
SET = DATA / "fr_target_sentiment.jsonl"
README = DATA / "README.md"
FIELDS = {"id": str, "sentence": str, "mention": str, "from": int, "to": int, "polarity": int}
OPTIONAL = {"domain": str, "tags": list, "note": str}
DOMAINS = {"international", "domestic", "business", "sports", "courts", "culture"}
TAGS = {"multi", "speech", "negation", "irony", "headline", "fact"}
CLASSES = {-1: "negative (-1)", 0: "neutral (0)", 1: "positive (1)"}


@pytest.fixture(scope="module")
def rows() -> list[dict[str, Any]]:
    """Every row of the set, parsed strictly (one JSON object a line, no blank lines)."""
    lines = SET.read_text(encoding="utf-8").splitlines()
    assert lines, f"{SET} is empty"
    parsed = []
    for number, line in enumerate(lines, 1):
        row = json.loads(line)
        assert isinstance(row, dict), f"line {number} is not an object"
        parsed.append(row)
    return parsed


def test_rows_have_the_newsmtsc_fields_and_known_values(rows):
    for row in rows:
        for key, kind in FIELDS.items():
            # bool is an int subclass: a `true` polarity must not pass.
            assert type(row.get(key)) is kind, (row.get("id"), key)
        assert set(row) <= set(FIELDS) | set(OPTIONAL), row["id"]
        assert row["polarity"] in CLASSES, row["id"]
        assert row["domain"] in DOMAINS, row["id"]
        assert set(row["tags"]) <= TAGS, row["id"]
        assert "note" not in row or row["note"].strip(), row["id"]
    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids)), "an id is used twice"


def test_every_offset_points_at_its_mention(rows):
    for row in rows:
        sentence, start, end = row["sentence"], row["from"], row["to"]
        assert 0 <= start < end <= len(sentence), row["id"]
        assert sentence[start:end] == row["mention"], row["id"]
        assert row["mention"] == row["mention"].strip(), row["id"]


def test_is_large_enough_and_each_class_is_a_quarter_or_more(rows):
    assert len(rows) >= 180
    counts = Counter(row["polarity"] for row in rows)
    for polarity in CLASSES:
        assert counts[polarity] / len(rows) >= 0.25, (polarity, counts)


def _normal(sentence: str) -> str:
    """Case-, accent- and spacing-insensitive form, to catch a sentence written twice."""
    folded = unicodedata.normalize("NFKD", sentence.casefold().replace("\u2019", "'"))
    return " ".join("".join(c for c in folded if not unicodedata.combining(c)).split())


def test_no_duplicate_sentences(rows):
    """A sentence repeats only as one row per distinct, non-overlapping target ("multi")."""
    spans: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for row in rows:
        spans[row["sentence"]].append((row["from"], row["to"]))
    for sentence, found in spans.items():
        ordered = sorted(found)
        for (_, end), (start, _) in pairwise(ordered):
            assert end <= start, f"two rows of one sentence share a target: {sentence}"
    normal = Counter(_normal(sentence) for sentence in spans)
    assert [text for text, n in normal.items() if n > 1] == []
    for row in rows:
        assert ("multi" in row["tags"]) == (len(spans[row["sentence"]]) > 1), row["id"]


def test_readme_counts_are_the_files(rows):
    text = README.read_text(encoding="utf-8")
    assert "never use it for training" in text.casefold()
    counts = Counter(row["polarity"] for row in rows)
    for polarity, label in CLASSES.items():
        assert re.search(rf"\| {re.escape(label)} +\| {counts[polarity]} +\|", text), label
    assert re.search(rf"\| total +\| {len(rows)} +\|", text)
    for domain in DOMAINS:
        mine = [row for row in rows if row["domain"] == domain]
        per_class = [sum(row["polarity"] == p for row in mine) for p in CLASSES]
        cells = [*per_class, len(mine), len({row["sentence"] for row in mine})]
        pattern = rf"\| {domain} +" + "".join(rf"\| {n} +" for n in cells) + r"\|"
        assert re.search(pattern, text), domain
