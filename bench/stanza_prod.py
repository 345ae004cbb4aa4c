"""Build (or reuse) a French Stanza model set of the production architecture and sizes.

    python bench/stanza_prod.py [--cache-dir .cache/stanza-prod]    # prints the resources dir

Stanza's model hub is unreachable here, so the benchmarks cannot time the real French
models. CPU time depends on the shapes of the networks, not on the values of their weights,
so this script trains, with Stanza's own training entry points and their default
dimensions, every model of the ``fr`` default package that costs inference time:

- forward and backward character language models (1,024 hidden units, 100-dim characters),
- a 100,000 x 100 word-vector pretrain (random vectors: Stanza caps its pretrains near there),
- the POS tagger, the dependency parser and the NER tagger, all with both charlms,

each for a step or two on the synthetic French corpus of ``tests/stanza_fixture``. The
tokenizer and the dictionary lemmatizer are the tiny, really-trained ones of that fixture
(their cost is small beside the charlm-based models; the real French package also has an
MWT expander, which this set lacks). The weights are untrained: every figure measured with
this set is labelled "production-shaped, untrained weights".

The result is a resources directory with its own ``resources.json`` (package ``prodshape``,
dependencies declared as Stanza's own file declares them), cached under ``.cache/`` keyed on
this file and the Stanza version; checkpoints and training data are deleted.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib.metadata
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CACHE = ROOT / ".cache" / "stanza-prod"
TINY_CACHE = ROOT / ".cache" / "stanza-tiny"  # shared with the test suite's build
LANGUAGE = "fr"
PACKAGE = "prodshape"
PRETRAIN_WORDS = 100_000
PRETRAIN_DIM = 100
SHORTHAND = "fr_prodshape"
_DONE = "BUILD.json"
# What each trained processor loads beside its own file, as in Stanza's French resources.
_CHARLM_DEPS = [
    {"model": "pretrain", "package": PACKAGE},
    {"model": "forward_charlm", "package": PACKAGE},
    {"model": "backward_charlm", "package": PACKAGE},
]


def cache_key() -> str:
    """Hash of this builder, the trainer runner and the Stanza version: editing any rebuilds."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update((ROOT / "tests" / "stanza_fixture" / "_train.py").read_bytes())
    digest.update(importlib.metadata.version("stanza").encode())
    return digest.hexdigest()[:20]


def _argv(options: dict[str, object]) -> list[str]:
    """``--key value`` pairs (a value of True: the flag alone)."""
    return [x for k, v in options.items() for x in ((k,) if v is True else (k, str(v)))]


def _jobs(data: Path, models: Path) -> list[dict[str, Any]]:
    """Every job, in dependency order, for ``tests/stanza_fixture/_train.py``: the pretrain,
    then the trainers. Only step counts, batch sizes and paths are set: every dimension is
    the trainer's default."""
    common = {"--shorthand": SHORTHAND, "--save_dir": models, "--device": "cpu"}
    pretrain = {"--wordvec_pretrain_file": models / "pretrain.pt"}
    charlm = {
        "--charlm": True,
        "--charlm_shorthand": SHORTHAND,
        "--charlm_forward_file": models / "forward_charlm.pt",
        "--charlm_backward_file": models / "backward_charlm.pt",
    }
    conllu = {
        **pretrain,
        "--train_file": data / "train.conllu",
        "--eval_file": data / "dev.conllu",
        "--lang": LANGUAGE,
        "--max_steps": 2,
        "--eval_interval": 1,
        **charlm,
    }
    trainers = {
        f"{direction}_charlm": (
            "stanza.models.charlm",
            {
                "--train_file": models / "charlm.txt",
                "--eval_file": models / "charlm.txt",
                "--direction": direction,
                "--save_name": f"{direction}_charlm.pt",
                **{"--epochs": 1, "--batch_size": 10, "--bptt_size": 100, "--cutoff": 0},
                **{"--eval_steps": -1, "--no_checkpoint": True},
            },
        )
        for direction in ("forward", "backward")
    }
    trainers["pos"] = (
        "stanza.models.tagger",
        {**conllu, "--save_name": "pos.pt", "--output_file": models / "pos.pred.conllu"},
    )
    trainers["depparse"] = (
        "stanza.models.parser",
        {**conllu, "--save_name": "depparse.pt", "--output_file": models / "dep.pred.conllu"},
    )
    trainers["ner"] = (
        "stanza.models.ner_tagger",
        {
            **pretrain,
            "--train_file": data / "train.ner.json",
            "--eval_file": data / "dev.ner.json",
            **{"--save_name": "ner.pt", "--max_steps": 4, "--eval_interval": 2},
            **charlm,
        },
    )
    vectors = {"vectors": str(data / "vectors.txt"), "output": str(models / "pretrain.pt")}
    shape = {"words": PRETRAIN_WORDS, "dim": PRETRAIN_DIM}
    jobs = [
        {"name": name, "module": module, "argv": _argv(common) + _argv(options)}
        for name, (module, options) in trainers.items()
    ]
    return [{"name": "pretrain", "random_pretrain": vectors | shape}, *jobs]


def _charlm_text(data: Path, out: Path) -> None:
    # Plain sentences, one paragraph per line, as the charlm reader expects; three passes of
    # the corpus give the trainer enough batches for one epoch.
    text = (data / "train.txt").read_text(encoding="utf-8").replace("\n\n", "\n")
    out.write_text(text * 3, encoding="utf-8")


def resources_json(tiny_package: str) -> dict[str, Any]:
    """``resources.json`` for the set: our package for the trained models, the tiny
    fixture's package name for the tokenizer and lemmatizer (their files are copied)."""
    packages = {
        "tokenize": tiny_package,
        "pos": PACKAGE,
        "lemma": tiny_package,
        "depparse": PACKAGE,
        "ner": PACKAGE,
    }
    entry: dict[str, Any] = {"lang_name": "French"}
    for proc, package in packages.items():
        deps = _CHARLM_DEPS if proc in ("pos", "depparse", "ner") else []
        entry[proc] = {package: {"dependencies": deps} if deps else {}}
    for extra in ("pretrain", "forward_charlm", "backward_charlm"):
        entry[extra] = {PACKAGE: {}}
    entry["default_processors"] = packages
    entry["packages"] = {"default": packages}
    return {LANGUAGE: entry}


def _build(work: Path, threads: int) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    from tests.stanza_fixture import PACKAGE as TINY
    from tests.stanza_fixture import build_tiny_resources
    from tests.stanza_fixture.build import start_training
    from tests.stanza_fixture.corpus import LANGUAGES, write_corpus

    began = time.perf_counter()
    tiny = build_tiny_resources(TINY_CACHE, ("fr", "en"))
    tiny_seconds = time.perf_counter() - began
    data, models = work / "data", work / "models"
    models.mkdir(parents=True)
    write_corpus(LANGUAGES[LANGUAGE], data)
    _charlm_text(data, models / "charlm.txt")
    log = work / "train.log"
    began = time.perf_counter()
    child = start_training(_jobs(data, models), threads, models, log)
    try:
        # bounded, but generously: on a shared 2-core machine the build took over 30 min
        code = child.wait(timeout=4 * 3600)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    if code != 0:
        tail = "\n".join(log.read_text(encoding="utf-8").splitlines()[-40:])
        raise RuntimeError(f"training the production-shaped models failed:\n{tail}")
    train_seconds = time.perf_counter() - began
    resources = work / "resources"
    for proc in ("pos", "depparse", "ner", "pretrain", "forward_charlm", "backward_charlm"):
        target = resources / LANGUAGE / proc / f"{PACKAGE}.pt"
        target.parent.mkdir(parents=True)
        shutil.move(models / f"{proc}.pt", target)
    for proc in ("tokenize", "lemma"):
        target = resources / LANGUAGE / proc / f"{TINY}.pt"
        target.parent.mkdir(parents=True)
        shutil.copyfile(tiny / LANGUAGE / proc / f"{TINY}.pt", target)
    (resources / "resources.json").write_text(
        json.dumps(resources_json(TINY), indent=2), encoding="utf-8"
    )
    # checkpoints, predictions, the corpus and the pretrain's source all go
    shutil.rmtree(models)
    shutil.rmtree(data)
    sizes = {
        str(path.relative_to(resources)): round(path.stat().st_size / 1e6, 1)
        for path in sorted(resources.rglob("*.pt"))
    }
    return {
        "language": LANGUAGE,
        "package": PACKAGE,
        "label": "production-shaped, untrained weights",
        "tiny_fixture_seconds": round(tiny_seconds, 1),
        "train_seconds": round(train_seconds, 1),
        "model_mb": sizes,
        "stanza": importlib.metadata.version("stanza"),
    }


@contextlib.contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    import fcntl

    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build_prod_resources(cache_root: Path = DEFAULT_CACHE, threads: int = 2) -> Path:
    """The resources directory of the production-shaped French set, built if not cached.
    Builds run in a temporary sibling under a lock and are renamed into place."""
    final = cache_root / cache_key()
    if (final / _DONE).is_file():
        return final / "resources"
    cache_root.mkdir(parents=True, exist_ok=True)
    with _exclusive(cache_root / ".lock"):
        if (final / _DONE).is_file():
            return final / "resources"
        shutil.rmtree(final, ignore_errors=True)
        for stale in cache_root.glob(".build-*"):
            shutil.rmtree(stale, ignore_errors=True)
        work = Path(tempfile.mkdtemp(prefix=".build-", dir=cache_root))
        try:
            began = time.perf_counter()
            done = _build(work, threads)
            done["build_seconds"] = round(time.perf_counter() - began, 1)
            (work / _DONE).write_text(json.dumps(done, indent=2), encoding="utf-8")
            work.rename(final)
            for old in cache_root.iterdir():
                # builds of an earlier version of this file: 270 MB each, never read again
                if old.is_dir() and old != final and not old.name.startswith("."):
                    shutil.rmtree(old, ignore_errors=True)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return final / "resources"


def build_info(resources: Path) -> dict[str, Any]:
    """What the build recorded (sizes, timings, label)."""
    return json.loads((resources.parent / _DONE).read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> None:
    """Build or reuse the set and print its resources directory."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--threads", type=int, default=2, help="torch threads for training")
    args = parser.parse_args(argv)
    resources = build_prod_resources(args.cache_dir, args.threads)
    print(resources)
    print(json.dumps(build_info(resources), indent=2))


if __name__ == "__main__":
    main()
