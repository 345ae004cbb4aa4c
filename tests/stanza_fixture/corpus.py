"""Synthetic news-like corpora used to train the tiny Stanza models.

Sentences are realised from small dependency-annotated templates about Russia/Ukraine diplomacy,
whose slots are filled with people, organisations and places.  One realisation yields every
annotation the trainers need at once: UPOS, lemma, head and deprel for the tagger, lemmatizer and
parser; a BIOES entity tag for the NER model; the exact surface text for the tokenizer; and, for
English, a sentence sentiment label for the classifier.

Template syntax, one token per whitespace-separated item::

    key=form/UPOS[/lemma]>head:deprel      a literal word (lemma defaults to the lowercased form)
    key=@CLASS>head:deprel                 a name drawn from the language's CLASS pool
    key=@CLASS+det>head:deprel             the same, preceded by the name's article, if it has one

``head`` is the key of another item (a slot counts as its first word) or ``0`` for the root.
Further words of a multi-word name attach to its first word (``flat:name`` in French as in
UD French-GSD, ``flat`` in English as in UD English-EWT).
"""

from __future__ import annotations

import itertools
import json
import random
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

NEGATIVE, NEUTRAL, POSITIVE = "0", "1", "2"
"""Sentiment labels, as Stanza's three-class sentiment models number them."""

VECTOR_DIM = 16
"""Dimension of the word vectors written for the pretrain file."""

_NO_SPACE_BEFORE = frozenset({",", ".", ")"})
_SPEC = re.compile(r"^(?P<key>\w+)=(?P<body>[^>]+)>(?P<head>\w+):(?P<deprel>[a-z:]+)$")


@dataclass(frozen=True)
class Name:
    """A named entity (or a nationality adjective) that can fill a template slot."""

    text: str
    label: str
    article: str = ""
    upos: str = "PROPN"
    lemma: str | None = None

    @property
    def words(self) -> tuple[str, ...]:
        """The whitespace-separated words of the name."""
        return tuple(self.text.split())

    def upos_of(self, index: int) -> str:
        """UPOS of word ``index``: ``upos`` holds one tag for all words or one tag per word."""
        tags = self.upos.split()
        return tags[index] if len(tags) > 1 else tags[0]


@dataclass
class Token:
    """One token (always a single syntactic word: these corpora have no multi-word tokens)."""

    form: str
    lemma: str
    upos: str
    head: int
    deprel: str
    ner: str
    space_after: bool = True


@dataclass
class Sentence:
    """A realised sentence with its sentiment label."""

    tokens: list[Token]
    sentiment: str

    @property
    def text(self) -> str:
        """The surface text, spaced as the tokens say."""
        return "".join(t.form + (" " if t.space_after else "") for t in self.tokens).rstrip()


@dataclass(frozen=True)
class Template:
    """A sentence template and the sentiment it expresses."""

    sentiment: str
    spec: str


@dataclass(frozen=True)
class LanguageSpec:
    """Everything needed to generate one language's corpus."""

    code: str
    name: str
    article_lemma: str
    name_deprel: str
    pools: Mapping[str, Sequence[Name]]
    templates: Sequence[Template]
    sentiment: bool

    @property
    def labels(self) -> frozenset[str]:
        """The entity types the corpus annotates."""
        return frozenset(n.label for pool in self.pools.values() for n in pool)


def _names(label: str, texts: str, article: str = "", upos: str = "PROPN") -> tuple[Name, ...]:
    """Names of one ``label`` from a comma-separated list."""
    return tuple(Name(t.strip(), label, article=article, upos=upos) for t in texts.split(","))


FRENCH = LanguageSpec(
    code="fr",
    name="French",
    article_lemma="le",
    name_deprel="flat:name",
    pools={
        "PER": _names(
            "PER",
            "Vladimir Poutine, Volodymyr Zelensky, Joe Biden, Antony Blinken, Sergueï Lavrov,"
            "Olaf Scholz, Emmanuel Macron, Dmitri Peskov, Jens Stoltenberg, António Guterres,"
            "Ursula von der Leyen",
        ),
        "ORG": (
            Name("OTAN", "ORG", article="l'"),
            Name("ONU", "ORG", article="l'"),
            Name("CIA", "ORG", article="la"),
            Name("Kremlin", "ORG", article="le"),
            Name("Gazprom", "ORG"),
            Name("Union européenne", "ORG", article="l'", upos="PROPN ADJ"),
            Name("Commission européenne", "ORG", article="la", upos="PROPN ADJ"),
        ),
        # feminine countries only, so that "de"/"à" + article never contracts (du, au)
        "COUNTRY": (
            *_names("LOC", "Russie, France, Pologne, Moldavie, Biélorussie", article="la"),
            *_names("LOC", "Ukraine, Allemagne, Europe, Italie", article="l'"),
        ),
        "CITY": _names(
            "LOC",
            "Kiev, Moscou, Paris, Genève, Bruxelles, Kharkiv, Marioupol, Berlin, Washington,Odessa",
        ),
        "ADJ": _names("MISC", "russe, ukrainien, américain, français, allemand", upos="ADJ"),
    },
    templates=(
        Template(
            NEUTRAL,
            "s=@PER>v:nsubj a=a/AUX/avoir>v:aux v=rencontré/VERB/rencontrer>0:root "
            "o=@PER>v:obj c=à/ADP>l:case l=@CITY>v:obl p=./PUNCT>v:punct",
        ),
        Template(
            NEGATIVE,
            "c=Selon/ADP/selon>o:case o=@ORG+det>v:obl p1=,/PUNCT>o:punct "
            "d=la/DET/le>n:det n=situation/NOUN>v:nsubj c2=en/ADP>l:case l=@COUNTRY>n:nmod "
            "v=reste/VERB/rester>0:root x=tendue/ADJ/tendu>v:xcomp p=./PUNCT>v:punct",
        ),
        Template(
            NEGATIVE,
            "s=@PER>v:nsubj v=critique/VERB/critiquer>0:root o=@ORG+det>v:obj "
            "t=lundi/NOUN>v:obl p=./PUNCT>v:punct",
        ),
        Template(
            NEGATIVE,
            "d=Les/DET/le>n:det n=forces/NOUN/force>v:nsubj c=de/ADP>l:case "
            "l=@COUNTRY+det>n:nmod a=ont/AUX/avoir>v:aux v=bombardé/VERB/bombarder>0:root "
            "o=@CITY>v:obj p=./PUNCT>v:punct",
        ),
        Template(
            NEGATIVE,
            "d=Le/DET/le>n:det n=président/NOUN>v:nsubj e=@PER>n:appos "
            "a=a/AUX/avoir>v:aux v=annoncé/VERB/annoncer>0:root d2=des/DET/un>o:det "
            "o=sanctions/NOUN/sanction>v:obj c=contre/ADP>l:case l=@COUNTRY+det>o:nmod "
            "p=./PUNCT>v:punct",
        ),
        Template(
            POSITIVE,
            "s=@ORG+det>v:nsubj v=soutient/VERB/soutenir>0:root o=@COUNTRY+det>v:obj "
            "c=contre/ADP>l:case l=@COUNTRY+det>v:obl p=./PUNCT>v:punct",
        ),
        Template(
            NEUTRAL,
            "d=Le/DET/le>n:det n=gouvernement/NOUN>v:nsubj m=@ADJ>n:amod "
            "a=a/AUX/avoir>v:aux v=réagi/VERB/réagir>0:root c=à/ADP>l:case l=@CITY>v:obl "
            "p=./PUNCT>v:punct",
        ),
        Template(
            NEUTRAL,
            "s=@PER>v:nsubj p1=,/PUNCT>h:punct d0=le/DET>h:det h=ministre/NOUN>s:appos "
            "m=@ADJ>h:amod p2=,/PUNCT>h:punct "
            "a=a/AUX/avoir>v:aux v=déclaré/VERB/déclarer>0:root k=que/SCONJ>v2:mark "
            "d2=la/DET/le>w:det w=guerre/NOUN>v2:nsubj v2=continue/VERB/continuer>v:ccomp "
            "p=./PUNCT>v:punct",
        ),
        Template(
            NEUTRAL,
            "s=@PER>v:nsubj c=et/CCONJ>s2:cc s2=@PER>s:conj r=se/PRON/se>v:expl "
            "a=sont/AUX/être>v:aux v=entretenus/VERB/entretenir>0:root c2=à/ADP>l:case "
            "l=@CITY>v:obl t=mardi/NOUN>v:obl p=./PUNCT>v:punct",
        ),
        Template(
            NEGATIVE,
            "s=@ORG+det>v:nsubj v=accuse/VERB/accuser>0:root o=@COUNTRY+det>v:obj "
            "c=de/ADP>x:mark x=violer/VERB>v:xcomp d=le/DET>f:det "
            "f=cessez-le-feu/NOUN>x:obj p=./PUNCT>v:punct",
        ),
        Template(
            POSITIVE,
            "d=Des/DET/un>n:det n=négociations/NOUN/négociation>v:nsubj "
            "c=entre/ADP>l:case l=@COUNTRY+det>n:nmod k=et/CCONJ>l2:cc l2=@COUNTRY+det>l:conj "
            "a=ont/AUX/avoir>v:aux v=progressé/VERB/progresser>0:root c2=à/ADP>g:case "
            "g=@CITY>v:obl p=./PUNCT>v:punct",
        ),
        Template(
            POSITIVE,
            "s=@PER>v:nsubj v=salue/VERB/saluer>0:root d=l'/DET/le>o:det "
            "o=accord/NOUN>v:obj c=de/ADP>x:case x=paix/NOUN>o:nmod g=signé/VERB/signer>o:acl "
            "c2=à/ADP>l:case l=@CITY>g:obl p=./PUNCT>v:punct",
        ),
        Template(
            NEUTRAL,
            "s=@ORG+det>v:nsubj a=a/AUX/avoir>v:aux v=livré/VERB/livrer>0:root "
            "d=des/DET/un>o:det o=armes/NOUN/arme>v:obj c=à/ADP>l:case l=@COUNTRY+det>v:obl "
            "p=./PUNCT>v:punct",
        ),
        Template(
            NEGATIVE,
            "s=@PER>v:nsubj v=condamne/VERB/condamner>0:root d=l'/DET/le>o:det "
            "o=attaque/NOUN>v:obj c=contre/ADP>l:case l=@CITY>o:nmod p=./PUNCT>v:punct",
        ),
    ),
    sentiment=False,
)

ENGLISH = LanguageSpec(
    code="en",
    name="English",
    article_lemma="the",
    name_deprel="flat",
    pools={
        "PER": _names(
            "PERSON",
            "Vladimir Putin, Volodymyr Zelensky, Joe Biden, Antony Blinken, Sergei Lavrov,"
            "Olaf Scholz, Emmanuel Macron, Dmitry Peskov, Jens Stoltenberg, Antonio Guterres,"
            "Ursula von der Leyen",
        ),
        "ORG": (
            Name("NATO", "ORG"),
            Name("UN", "ORG", article="the"),
            Name("CIA", "ORG", article="the"),
            Name("Kremlin", "ORG", article="the"),
            Name("Gazprom", "ORG"),
            Name("European Union", "ORG", article="the", upos="ADJ PROPN"),
            Name("European Commission", "ORG", article="the", upos="ADJ PROPN"),
        ),
        "COUNTRY": (
            *_names("GPE", "Russia, Ukraine, France, Germany, Poland, Moldova, Belarus"),
            Name("United States", "GPE", article="the", upos="PROPN PROPN"),
        ),
        "CITY": _names(
            "GPE",
            "Kyiv, Kiev, Moscow, Paris, Geneva, Brussels, Kharkiv, Mariupol, Berlin, Washington,"
            "Odesa",
        ),
        "NORP": _names("NORP", "Russian, Ukrainian, American, French, German", upos="ADJ"),
    },
    templates=(
        Template(
            NEUTRAL,
            "s=@PER>v:nsubj v=met/VERB/meet>0:root o=@PER>v:obj c=in/ADP>l:case "
            "l=@CITY>v:obl p=./PUNCT>v:punct",
        ),
        Template(
            NEGATIVE,
            "c=According/VERB/accord>o:case c2=to/ADP>c:fixed o=@ORG+det>v:obl "
            "p1=,/PUNCT>o:punct d=the/DET>n:det n=situation/NOUN>v:nsubj c3=in/ADP>l:case "
            "l=@COUNTRY+det>n:nmod v=remains/VERB/remain>0:root x=tense/ADJ>v:xcomp "
            "p=./PUNCT>v:punct",
        ),
        Template(
            NEGATIVE,
            "s=@PER>v:nsubj v=criticized/VERB/criticize>0:root o=@ORG+det>v:obj "
            "c=on/ADP>t:case t=Monday/PROPN/Monday>v:obl p=./PUNCT>v:punct",
        ),
        Template(
            NEGATIVE,
            "m=@NORP>n:amod n=forces/NOUN/force>v:nsubj v=bombed/VERB/bomb>0:root "
            "o=@CITY>v:obj p=./PUNCT>v:punct",
        ),
        Template(
            NEGATIVE,
            "t=President/PROPN/President>e:compound e=@PER>v:nsubj "
            "v=announced/VERB/announce>0:root o=sanctions/NOUN/sanction>v:obj "
            "c=against/ADP>l:case l=@COUNTRY+det>o:nmod p=./PUNCT>v:punct",
        ),
        Template(
            POSITIVE,
            "s=@ORG+det>v:nsubj v=supports/VERB/support>0:root o=@COUNTRY+det>v:obj "
            "c=against/ADP>l:case l=@COUNTRY+det>v:obl p=./PUNCT>v:punct",
        ),
        Template(
            NEUTRAL,
            "d=The/DET/the>n:det m=@NORP>n:amod n=government/NOUN>v:nsubj "
            "v=responded/VERB/respond>0:root c=in/ADP>l:case l=@CITY>v:obl p=./PUNCT>v:punct",
        ),
        Template(
            NEUTRAL,
            "s=@PER>v:nsubj p1=,/PUNCT>h:punct d=the/DET>h:det m=@NORP>h:amod "
            "f=foreign/ADJ>h:amod h=minister/NOUN>s:appos p2=,/PUNCT>h:punct "
            "v=said/VERB/say>0:root k=that/SCONJ>v2:mark d2=the/DET>w:det "
            "w=war/NOUN>v2:nsubj v2=continues/VERB/continue>v:ccomp p=./PUNCT>v:punct",
        ),
        Template(
            NEUTRAL,
            "s=@PER>v:nsubj c=and/CCONJ>s2:cc s2=@PER>s:conj v=spoke/VERB/speak>0:root "
            "c2=in/ADP>l:case l=@CITY>v:obl c3=on/ADP>t:case t=Tuesday/PROPN/Tuesday>v:obl "
            "p=./PUNCT>v:punct",
        ),
        Template(
            NEGATIVE,
            "s=@ORG+det>v:nsubj v=accused/VERB/accuse>0:root o=@COUNTRY+det>v:obj "
            "c=of/SCONJ>x:mark x=violating/VERB/violate>v:advcl d=the/DET>f:det "
            "f=ceasefire/NOUN>x:obj p=./PUNCT>v:punct",
        ),
        Template(
            POSITIVE,
            "n=Talks/NOUN/talk>v:nsubj c=between/ADP>l:case l=@COUNTRY+det>n:nmod "
            "k=and/CCONJ>l2:cc l2=@COUNTRY+det>l:conj v=made/VERB/make>0:root "
            "a=good/ADJ>o:amod o=progress/NOUN>v:obj c2=in/ADP>g:case g=@CITY>v:obl "
            "p=./PUNCT>v:punct",
        ),
        Template(
            POSITIVE,
            "s=@PER>v:nsubj v=welcomed/VERB/welcome>0:root d=the/DET>o:det "
            "x=peace/NOUN>o:compound o=agreement/NOUN>v:obj g=signed/VERB/sign>o:acl "
            "c=in/ADP>l:case l=@CITY>g:obl p=./PUNCT>v:punct",
        ),
        Template(
            POSITIVE,
            "s=@ORG+det>v:nsubj v=praised/VERB/praise>0:root o=@PER>v:obj "
            "c=for/ADP>x:case h=his/PRON/his>x:nmod:poss x=courage/NOUN>v:obl p=./PUNCT>v:punct",
        ),
        Template(
            NEGATIVE,
            "s=@PER>v:nsubj v=condemned/VERB/condemn>0:root d=the/DET>o:det "
            "a=deadly/ADJ>o:amod o=attack/NOUN>v:obj c=on/ADP>l:case l=@CITY>o:nmod "
            "p=./PUNCT>v:punct",
        ),
        Template(
            NEUTRAL,
            "s=@ORG+det>v:nsubj v=delivered/VERB/deliver>0:root o=weapons/NOUN/weapon>v:obj "
            "c=to/ADP>l:case l=@COUNTRY+det>v:obl p=./PUNCT>v:punct",
        ),
    ),
    sentiment=True,
)

LANGUAGES: Mapping[str, LanguageSpec] = {spec.code: spec for spec in (FRENCH, ENGLISH)}
"""The languages the fixture can build, by Stanza language code."""


@dataclass(frozen=True)
class _Item:
    key: str
    head: str
    deprel: str
    form: str = ""
    upos: str = ""
    lemma: str = ""
    pool: str = ""
    with_article: bool = False


def _parse(spec: str) -> list[_Item]:
    """Parse a template string into items, checking that every head refers to an item."""
    items = []
    for part in spec.split():
        match = _SPEC.match(part)
        if match is None:
            raise ValueError(f"bad template item {part!r} in {spec!r}")
        key, body, head, deprel = match.group("key", "body", "head", "deprel")
        if body.startswith("@"):
            pool, _, option = body[1:].partition("+")
            items.append(_Item(key, head, deprel, pool=pool, with_article=option == "det"))
        else:
            form, upos, *lemma = body.split("/")
            items.append(
                _Item(
                    key,
                    head,
                    deprel,
                    form=form,
                    upos=upos,
                    lemma=lemma[0] if lemma else form.lower(),
                )
            )
    keys = [item.key for item in items]
    if len(set(keys)) != len(keys) or sum(item.head == "0" for item in items) != 1:
        raise ValueError(f"template needs unique keys and exactly one root: {spec!r}")
    if any(item.head not in keys and item.head != "0" for item in items):
        raise ValueError(f"template refers to an unknown head: {spec!r}")
    return items


def _entity_tags(n_words: int, label: str) -> list[str]:
    if n_words == 1:
        return [f"S-{label}"]
    return [f"B-{label}"] + [f"I-{label}"] * (n_words - 2) + [f"E-{label}"]


def realize(spec: LanguageSpec, template: Template, rng: random.Random) -> Sentence:
    """Fill a template's slots at random and resolve its heads, spaces and capitalisation."""
    tokens: list[Token] = []
    head_keys: list[str] = []
    anchor: dict[str, int] = {}
    used: set[Name] = set()
    for item in _parse(template.spec):
        if not item.pool:
            anchor[item.key] = len(tokens) + 1
            tokens.append(Token(item.form, item.lemma, item.upos, 0, item.deprel, "O"))
            head_keys.append(item.head)
            continue
        unused = [n for n in spec.pools[item.pool] if n not in used]
        name = rng.choice(unused)
        used.add(name)
        if item.with_article and name.article:
            tokens.append(Token(name.article, spec.article_lemma, "DET", 0, "det", "O"))
            head_keys.append(item.key)
        anchor[item.key] = len(tokens) + 1
        for i, (word, tag) in enumerate(
            zip(name.words, _entity_tags(len(name.words), name.label), strict=True)
        ):
            lemma = (name.lemma or word) if i == 0 else word
            deprel = item.deprel if i == 0 else spec.name_deprel
            tokens.append(Token(word, lemma, name.upos_of(i), 0, deprel, tag))
            head_keys.append(item.head if i == 0 else item.key)
    for token, key in zip(tokens, head_keys, strict=True):
        token.head = 0 if key == "0" else anchor[key]
    first = tokens[0]
    first.form = first.form[:1].upper() + first.form[1:]
    for token, following in itertools.pairwise(tokens):
        token.space_after = not (token.form.endswith("'") or following.form in _NO_SPACE_BEFORE)
    tokens[-1].space_after = True
    return Sentence(tokens, template.sentiment)


def generate(spec: LanguageSpec, n_train: int, seed: int) -> tuple[list[Sentence], list[Sentence]]:
    """Return (train, dev) sentences; dev realises every template three times."""
    rng = random.Random(f"{spec.code}-{seed}")
    train = [realize(spec, rng.choice(spec.templates), rng) for _ in range(n_train)]
    dev = [
        realize(spec, spec.templates[i % len(spec.templates)], rng)
        for i in range(3 * len(spec.templates))
    ]
    return train, dev


def _bio(tag: str) -> str:
    if tag.startswith("S-"):
        return "B-" + tag[2:]
    if tag.startswith("E-"):
        return "I-" + tag[2:]
    return tag


def write_conllu(path: Path, sentences: Sequence[Sentence], prefix: str) -> None:
    """Write CoNLL-U with the entity tag as ``ner=`` in MISC, as Stanza itself does."""
    lines = []
    for index, sentence in enumerate(sentences):
        lines += [f"# sent_id = {prefix}-{index}", f"# text = {sentence.text}"]
        for i, t in enumerate(sentence.tokens, 1):
            misc = f"ner={t.ner}" + ("" if t.space_after else "|SpaceAfter=No")
            lines.append(
                "\t".join(
                    [str(i), t.form, t.lemma, t.upos, "_", "_", str(t.head), t.deprel, "_", misc]
                )
            )
        lines.append("")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_ner_json(path: Path, sentences: Sequence[Sentence]) -> None:
    """Write the NER trainer's JSON: a list of sentences, each a list of ``{text, ner}`` (BIO)."""
    data = [[{"text": t.form, "ner": _bio(t.ner)} for t in s.tokens] for s in sentences]
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def write_tokenizer_files(
    txt: Path, labels: Path, sentences: Sequence[Sentence], per_paragraph: int = 3
) -> None:
    """Write raw text and per-character labels (1 token end, 2 sentence end, 0 otherwise).

    Paragraphs of ``per_paragraph`` sentences are separated by blank lines, as the tokenizer
    trainer expects.
    """
    text_paragraphs, label_paragraphs = [], []
    for start in range(0, len(sentences), per_paragraph):
        text, marks = [], []
        for sentence in sentences[start : start + per_paragraph]:
            if text:
                text.append(" ")
                marks.append("0")
            last = len(sentence.tokens) - 1
            for i, token in enumerate(sentence.tokens):
                text.append(token.form)
                marks.append("0" * (len(token.form) - 1) + ("2" if i == last else "1"))
                if token.space_after and i != last:
                    text.append(" ")
                    marks.append("0")
        text_paragraphs.append("".join(text))
        label_paragraphs.append("".join(marks))
        assert len(text_paragraphs[-1]) == len(label_paragraphs[-1])
    txt.write_text("\n\n".join(text_paragraphs) + "\n\n", encoding="utf-8")
    labels.write_text("\n\n".join(label_paragraphs) + "\n\n", encoding="utf-8")


def write_sentiment_json(path: Path, sentences: Sequence[Sentence]) -> None:
    """Write the classifier's JSON: a list of ``{"sentiment": "0|1|2", "text": [tokens]}``."""
    data = [{"sentiment": s.sentiment, "text": [t.form for t in s.tokens]} for s in sentences]
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def write_vectors(path: Path, spec: LanguageSpec, sentences: Iterable[Sentence], seed: int) -> None:
    """Write word2vec-text vectors for the lowercased vocabulary.

    Each word gets its category's centre (entity label, else UPOS) plus noise, so that names of
    one type sit together, which helps models this small generalise to unseen combinations.
    """
    rng = random.Random(f"vectors-{spec.code}-{seed}")
    category: dict[str, str] = {}
    for pool in spec.pools.values():
        for name in pool:
            for word in name.words:
                category.setdefault(word.lower(), name.label)
    for sentence in sentences:
        for token in sentence.tokens:
            category.setdefault(token.form.lower(), token.upos)
    centres: dict[str, list[float]] = {}
    lines = [f"{len(category)} {VECTOR_DIM}"]
    for word in sorted(category):
        centre = centres.setdefault(
            category[word], [rng.uniform(-1.0, 1.0) for _ in range(VECTOR_DIM)]
        )
        vector = (c + rng.gauss(0.0, 0.2) for c in centre)
        lines.append(word + " " + " ".join(f"{v:.4f}" for v in vector))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_corpus(spec: LanguageSpec, out: Path, n_train: int = 240, seed: int = 7) -> None:
    """Write every training file for one language into ``out``.

    Files: ``{train,dev}.conllu``, ``{train,dev}.ner.json``, ``{train,dev}.txt`` with
    ``{train,dev}.toklabels``, ``mwt.json`` (empty, but the tokenizer trainer requires one),
    ``vectors.txt`` and, for languages with sentiment, ``{train,dev}.sentiment.json``.
    """
    out.mkdir(parents=True, exist_ok=True)
    train, dev = generate(spec, n_train, seed)
    for split, sentences in (("train", train), ("dev", dev)):
        write_conllu(out / f"{split}.conllu", sentences, f"{spec.code}-{split}")
        write_ner_json(out / f"{split}.ner.json", sentences)
        write_tokenizer_files(out / f"{split}.txt", out / f"{split}.toklabels", sentences)
        if spec.sentiment:
            write_sentiment_json(out / f"{split}.sentiment.json", sentences)
    (out / "mwt.json").write_text("[]", encoding="utf-8")
    write_vectors(out / "vectors.txt", spec, train + dev, seed)
