"""Convert public NER corpora into the JSONL that ``bench/ner_eval.py`` scores.

    python bench/ner_convert.py --gum GUM_CHECKOUT --europeana NER_CORPORA_CHECKOUT

Writes ``bench/data/ner/en-gum-news.jsonl`` and ``bench/data/ner/fr-europeana-bnf.jsonl``:
one sentence a line, ``{"id", "text", "entities": [[start, end, type], ...]}`` with character
offsets into ``text`` and types PER, ORG, LOC. How each corpus is mapped is in
``bench/data/ner/README.md``; this script is the exact procedure.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path

OUT = Path(__file__).resolve().parent / "data" / "ner"
# GUM's official dev and test news documents (_build/utils/flair_dm_tagger.py, ud_dev and
# ud_test): only training documents are converted.
GUM_HELD_OUT = {"GUM_news_iodine", "GUM_news_homeopathic", "GUM_news_nasa", "GUM_news_sensitive"}
GUM_TYPES = {"person": "PER", "organization": "ORG", "place": "LOC"}
_NAME_DEPS = {"flat", "compound", "fixed"}
EUROPEANA_TARGET = 400  # sentences kept, spread evenly over the ones that pass the filter
_CLEAN = re.compile(
    r"^(?:[A-Za-zÀ-ÖØ-öø-ÿŒœ]+(?:['\u2019-][A-Za-zÀ-ÖØ-öø-ÿŒœ]*)*['\u2019]?|[.,;:!?()«»\"'-]|\d+)$"
)


def _entity_marks(misc: str) -> Iterator[tuple[str, str, list[str]]]:
    """("open"|"close"|"single", id, fields) for one token's ``Entity=`` value."""
    value = next((p[7:] for p in misc.split("|") if p.startswith("Entity=")), "")
    pos = 0
    while pos < len(value):
        if value[pos] == "(":
            stop = min(
                (i for i in (value.find("(", pos + 1), value.find(")", pos + 1)) if i > 0),
                default=len(value),
            )
            fields = value[pos + 1 : stop].split("-", 7)
            single = stop < len(value) and value[stop] == ")"
            yield ("single" if single else "open"), fields[0], fields
            pos = stop + 1 if single else stop
        else:
            stop = value.find(")", pos)
            yield "close", value[pos:stop], []
            pos = stop + 1


def _gum_sentences(path: Path) -> Iterator[tuple[str, str, list[dict[str, str]]]]:
    sent_id, text, rows = "", "", []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# sent_id = "):
            sent_id = line[12:]
        elif line.startswith("# text = "):
            text = line[9:]
        elif line and not line.startswith("#"):
            cols = line.split("\t")
            if cols[0].isdigit():
                rows.append(
                    dict(
                        zip(
                            (
                                "id",
                                "form",
                                "lemma",
                                "upos",
                                "xpos",
                                "feats",
                                "head",
                                "deprel",
                                "deps",
                                "misc",
                            ),
                            cols,
                            strict=True,
                        )
                    )
                )
        elif not line and rows:
            yield sent_id, text, rows
            rows = []
    if rows:
        yield sent_id, text, rows


def _proper(row: dict[str, str]) -> bool:
    # XPOS, not UPOS: GUM tags "United" in "United States" VERB/NNP.
    return row["xpos"] in ("NNP", "NNPS")


def _joins_name(rows: list[dict[str, str]], i: int, kind: str) -> bool:
    """A proper-noun word that is part of the name it depends on: flat, compound, fixed or
    amod, or the Y of an "X of Y" name (not a title, which GUM marks nmod:desc; not a
    possessor; not "X in Y"). A person's name is its flat words only ("US President Barack
    Obama" -> "Barack Obama", "Tanya Chan of the Civic Party" -> "Tanya Chan")."""
    row = rows[i]
    if not _proper(row):
        return False
    if kind == "PER":
        return row["deprel"].split(":")[0] in ("flat", "fixed")
    if row["deprel"] == "nmod":
        return any(
            r["deprel"] == "case" and r["lemma"] == "of" and int(r["head"]) - 1 == i for r in rows
        )
    return row["deprel"].split(":")[0] in _NAME_DEPS or row["deprel"] == "amod"


def _name_span(
    rows: list[dict[str, str]], first: int, last: int, kind: str
) -> tuple[int, int] | None:
    """The proper-name core of a mention (token indices, inclusive): its head when that is a
    proper noun, with the proper-noun words that belong to the name (and the "of the" of an
    "X of the Y" name), as one contiguous run. A plural person head ("Muslims", "Afghans")
    is a group, and "the President" a title: neither is a named person."""
    inside = range(first, last + 1)
    heads = [i for i in inside if not first <= int(rows[i]["head"]) - 1 <= last]
    if not heads or not _proper(rows[heads[0]]):
        return None
    head = heads[0]
    if kind == "PER" and (
        rows[head]["xpos"] == "NNPS" or (rows[head - 1]["upos"] == "DET" and head - 1 >= first)
    ):
        return None
    core = {head}
    grew = True
    while grew:
        grew = False
        for i in inside:
            row = rows[i]
            parent = int(row["head"]) - 1
            joins = _joins_name(rows, i, kind) or (
                row["deprel"] in ("case", "det")
                and parent in core
                and rows[parent]["deprel"] == "nmod"
            )
            if i not in core and parent in core and joins:
                core.add(i)
                grew = True
    lo = hi = head
    while lo - 1 in core:
        lo -= 1
    while hi + 1 in core:
        hi += 1
    if rows[lo]["upos"] == "DET":
        lo += 1
    return lo, hi


def gum(checkout: Path) -> list[dict[str, object]]:
    """Named PER/ORG/LOC mentions of GUM's training news documents (Wikinews)."""
    out = []
    for path in sorted((checkout / "dep").glob("GUM_news_*.conllu")):
        if path.stem in GUM_HELD_OUT:
            continue
        for sent_id, text, rows in _gum_sentences(path):
            offsets, cursor = [], 0
            for row in rows:
                start = text.index(row["form"], cursor)
                cursor = start + len(row["form"])
                offsets.append((start, cursor))
            spans, opened = set(), {}
            for i, row in enumerate(rows):
                for mark, ident, fields in _entity_marks(row["misc"]):
                    if mark == "open":
                        opened.setdefault(ident, []).append((i, fields))
                        continue
                    first, fields = (i, fields) if mark == "single" else opened[ident].pop()
                    kind = GUM_TYPES.get(fields[1]) if len(fields) > 1 else None
                    core = _name_span(rows, first, i, kind) if kind else None
                    if core:
                        spans.add((offsets[core[0]][0], offsets[core[1]][1], kind))
            out.append({"id": sent_id, "text": text, "entities": sorted(spans)})
    return out


def _join(tokens: list[str]) -> tuple[str, list[tuple[int, int]]]:
    text, offsets = "", []
    for token in tokens:
        glue = not text or text.endswith(("'", "\u2019", "(")) or token in {",", ".", ")", ";", ":"}
        text += "" if glue else " "
        offsets.append((len(text), len(text) + len(token)))
        text += token
    return text, offsets


def _europeana_sentences(path: Path) -> Iterator[list[tuple[str, str]]]:
    sentence: list[tuple[str, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split(" ")
        if len(parts) != 2:
            continue
        sentence.append((parts[0], parts[1]))
        if parts[0] in {".", "!", "?"}:
            yield sentence
            sentence = []


def _readable(tokens: list[str]) -> bool:
    """OCR text a reader could read: 8 to 60 tokens, every one a plain word, number or
    punctuation mark, few one-letter fragments, and not a headline in capitals."""
    words = [t for t in tokens if t[0].isalpha()]
    return (
        8 <= len(tokens) <= 60
        and all(_CLEAN.match(t) for t in tokens)
        and sum(len(t) == 1 and t not in "àay" for t in words) <= len(words) // 10
        and sum(t.isupper() and len(t) > 1 for t in words) <= len(words) // 10
        and any(t.islower() for t in words)
    )


def europeana(checkout: Path) -> list[dict[str, object]]:
    """Readable sentences of the BnF part of the Europeana Newspapers French corpus."""
    path = checkout / "enp_FR.bnf.bio" / "enp_FR.bnf.bio"
    passing = [s for s in _europeana_sentences(path) if _readable([t for t, _ in s])]
    step = max(1, len(passing) // EUROPEANA_TARGET)
    out = []
    for n, sentence in enumerate(passing[::step][:EUROPEANA_TARGET]):
        text, offsets = _join([t for t, _ in sentence])
        spans, run = [], None
        for (_, tag), (start, end) in zip(sentence, offsets, strict=True):
            kind = tag[2:] if tag[:2] in ("I-", "B-") else None
            if run and kind == run[2] and tag[:2] == "I-":
                run = (run[0], end, kind)
                continue
            if run:
                spans.append(run)
            run = (start, end, kind) if kind else None
        if run:
            spans.append(run)
        out.append({"id": f"enp_FR.bnf-{n}", "text": text, "entities": spans})
    return out


def write(rows: list[dict[str, object]], name: str) -> None:
    """One JSONL file under bench/data/ner/."""
    OUT.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(r, ensure_ascii=False) for r in rows]
    (OUT / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    count = sum(len(r["entities"]) for r in rows)  # type: ignore[arg-type]
    print(f"{name}: {len(rows)} sentences, {count} entities")


def main() -> int:
    """Convert both corpora from their checkouts."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gum", type=Path, required=True, help="a checkout of amir-zeldes/gum")
    parser.add_argument(
        "--europeana",
        type=Path,
        required=True,
        help="a checkout of EuropeanaNewspapers/ner-corpora",
    )
    args = parser.parse_args()
    write(gum(args.gum), "en-gum-news.jsonl")
    write(europeana(args.europeana), "fr-europeana-bnf.jsonl")
    return 0


if __name__ == "__main__":
    sys.exit(main())
