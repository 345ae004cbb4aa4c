"""Build (or reuse) a cached Stanza resources directory of tiny, really-trained models.

Layout of one build, ``cache_root/<key>/``::

    resources/              the Stanza resources directory (pass it as ``dir=``)
        resources.json      one file covering every built language, package "tiny"
        <lang>/<processor>/tiny.pt
    data/<lang>/            the synthetic training corpora
    logs/<lang>.log         the trainers' output
    BUILD.json              written last: what was built, with timings

``key`` hashes the builder's own ``*.py`` files, the installed Stanza version and the languages,
so editing the builder rebuilds.  A build happens in a temporary sibling directory under an
exclusive lock and is renamed into place, so concurrent pytest processes never see half a build.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from .corpus import LANGUAGES, LanguageSpec, write_corpus

PACKAGE = "tiny"
"""The package name of every tiny model in ``resources.json``."""

THREADS = 2
"""Torch threads for training, split between the languages, which train side by side."""

SEED = 1234

_HERE = Path(__file__).resolve().parent
_RESOURCES = "resources"
_DONE = "BUILD.json"
_WITH_PRETRAIN = frozenset({"pos", "depparse", "ner", "sentiment"})
_PIPELINE_ORDER = ("tokenize", "pos", "lemma", "depparse", "ner", "sentiment")

# Tiny sizes shared by the tagger and the parser.
_TAGGER_DIMS: dict[str, object] = {
    "hidden_dim": 32,
    "char_hidden_dim": 16,
    "char_emb_dim": 16,
    "word_emb_dim": 16,
    "tag_emb_dim": 8,
    "transformed_dim": 16,
    "deep_biaff_hidden_dim": 16,
    "num_layers": 1,
}


def processors(lang: str) -> list[str]:
    """Return the processors built for ``lang``, in pipeline order."""
    spec = LANGUAGES[lang]
    return [p for p in _PIPELINE_ORDER if p != "sentiment" or spec.sentiment]


def pipeline_processors(lang: str) -> dict[str, str]:
    """Return the ``processors=`` mapping that loads every tiny model of ``lang``."""
    return dict.fromkeys(processors(lang), PACKAGE)


def _normalise_langs(langs: Sequence[str]) -> tuple[str, ...]:
    if isinstance(langs, str):
        langs = (langs,)
    unknown = sorted(set(langs) - set(LANGUAGES))
    if unknown or not langs:
        message = f"unsupported languages {unknown or list(langs)}; choose from {sorted(LANGUAGES)}"
        raise ValueError(message)
    return tuple(sorted(set(langs)))


def cache_key(langs: Sequence[str]) -> str:
    """Hash the builder's source files, the Stanza version and the languages."""
    digest = hashlib.sha256()
    for path in sorted(_HERE.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(f"stanza={importlib.metadata.version('stanza')}\0".encode())
    digest.update(",".join(_normalise_langs(langs)).encode())
    return digest.hexdigest()[:24]


def _argv(options: dict[str, object], *flags: str) -> list[str]:
    """Turn ``{"max_steps": 300}`` and ``"--dict_only"`` into a trainer command line."""
    argv = [part for name, value in options.items() for part in (f"--{name}", str(value))]
    return [*argv, *flags]


def _training_jobs(spec: LanguageSpec, data: Path, models: Path) -> list[dict[str, Any]]:
    """List the trainer invocations for one language: tiny sizes, a few hundred steps."""
    pretrain = str(models / "pretrain.pt")
    common = {
        "shorthand": f"{spec.code}_{PACKAGE}",
        "save_dir": models,
        "device": "cpu",
        "seed": SEED,
    }
    conllu = {
        **common,
        "lang": spec.code,
        "wordvec_pretrain_file": pretrain,
        "train_file": data / "train.conllu",
        "eval_file": data / "dev.conllu",
        "eval_interval": 100,
        **_TAGGER_DIMS,
    }
    tokenize = {
        **common,
        "lang": spec.code,
        "save_name": "tokenize.pt",
        "txt_file": data / "train.txt",
        "label_file": data / "train.toklabels",
        "dev_txt_file": data / "dev.txt",
        "dev_label_file": data / "dev.toklabels",
        "mwt_json_file": data / "mwt.json",
        "steps": 300,
        "eval_steps": 100,
        "report_steps": 100,
        "hidden_dim": 32,
        "emb_dim": 16,
    }
    ner = {
        **common,
        "save_name": "ner.pt",
        "wordvec_pretrain_file": pretrain,
        "train_file": data / "train.ner.json",
        "eval_file": data / "dev.ner.json",
        "scheme": "bioes",
        "max_steps": 300,
        "eval_interval": 100,
        "log_step": 100,
        "batch_size": 16,
        "optim": "adam",
        "lr": 0.01,
        "hidden_dim": 32,
        "char_hidden_dim": 16,
        "char_emb_dim": 16,
        "word_emb_dim": 16,
    }
    pos = {
        **conllu,
        "save_name": "pos.pt",
        "output_file": models / "pos_dev_pred.conllu",
        "max_steps": 200,
        "batch_size": 200,
    }
    lemma = {
        **common,
        "save_name": "lemma.pt",
        "train_file": data / "train.conllu",
        "eval_file": data / "dev.conllu",
        "output_file": models / "lemma_dev_pred.conllu",
    }
    depparse = {
        **conllu,
        "save_name": "depparse.pt",
        "output_file": models / "depparse_dev_pred.conllu",
        "max_steps": 300,
        "batch_size": 500,
    }
    jobs: list[dict[str, Any]] = [
        {
            "name": "pretrain",
            "pretrain": {"vectors": str(data / "vectors.txt"), "output": pretrain},
        },
        {
            "name": "tokenize",
            "module": "stanza.models.tokenizer",
            "argv": _argv(tokenize, "--no_use_mwt"),
        },
        {"name": "ner", "module": "stanza.models.ner_tagger", "argv": _argv(ner)},
        {"name": "pos", "module": "stanza.models.tagger", "argv": _argv(pos)},
        {
            "name": "lemma",
            "module": "stanza.models.lemmatizer",
            "argv": _argv(lemma, "--dict_only"),
        },
        {"name": "depparse", "module": "stanza.models.parser", "argv": _argv(depparse)},
    ]
    if spec.sentiment:
        sentiment = {
            **common,
            "save_name": "sentiment.pt",
            "wordvec_pretrain_file": pretrain,
            "train_file": data / "train.sentiment.json",
            "dev_file": data / "dev.sentiment.json",
            "test_file": data / "dev.sentiment.json",
            "filter_sizes": "(3,)",
            "filter_channels": 8,
            "fc_shapes": 16,
            "bilstm_hidden_dim": 16,
            "max_epochs": 40,
            "batch_size": 16,
            "dev_eval_batches": 0,
            "tick": 1000,
        }
        jobs.append(
            {
                "name": "sentiment",
                "module": "stanza.models.classifier",
                "argv": _argv(sentiment, "--no_checkpoint"),
            }
        )
    return jobs


def start_training(
    jobs: list[dict[str, Any]], threads: int, workdir: Path, log: Path
) -> subprocess.Popen[bytes]:
    """Start ``_train.py`` on ``jobs`` in a child process (``workdir`` its working directory,
    where the job list is written; stdout and stderr to ``log``); the ``subprocess.Popen``."""
    jobs_file = workdir / "jobs.json"
    jobs_file.write_text(json.dumps({"threads": threads, "jobs": jobs}, indent=1), encoding="utf-8")
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "WANDB_MODE": "disabled"}
    with log.open("w", encoding="utf-8") as out:
        return subprocess.Popen(
            [sys.executable, str(_HERE / "_train.py"), str(jobs_file)],
            cwd=workdir,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )


def _train(langs: Sequence[str], work: Path) -> dict[str, float]:
    """Train every language in its own child process, all at once; return seconds per language."""
    threads = max(1, THREADS // len(langs))
    running = []
    try:
        for lang in langs:
            data, models = work / "data" / lang, work / "models" / lang
            write_corpus(LANGUAGES[lang], data)
            models.mkdir(parents=True)
            jobs = _training_jobs(LANGUAGES[lang], data, models)
            log = work / "logs" / f"{lang}.log"
            log.parent.mkdir(exist_ok=True)
            child = start_training(jobs, threads, models, log)
            running.append((lang, child, log, time.perf_counter()))
        seconds, failed = {}, []
        for lang, child, log, start in running:
            if child.wait() != 0:
                tail = "\n".join(log.read_text(encoding="utf-8").splitlines()[-30:])
                failed.append(f"--- {lang} (exit {child.returncode}), end of its log:\n{tail}")
            seconds[lang] = round(time.perf_counter() - start, 1)
    finally:
        for _, child, _, _ in running:
            if child.poll() is None:
                child.kill()
                child.wait()
    if failed:
        raise RuntimeError("training the tiny Stanza models failed\n" + "\n".join(failed))
    return seconds


def resources_json(langs: Sequence[str]) -> dict[str, Any]:
    """The ``resources.json`` content: package ``tiny`` for every processor of every language.

    Processors that need word vectors depend on the ``pretrain`` model of the same package.  The
    ``packages`` entry names ``tiny`` and, as Stanza's own file does, ``default``.  There is no
    ``mwt`` entry, so Stanza never adds an MWT processor on its own.
    """
    content: dict[str, Any] = {}
    for lang in langs:
        procs = processors(lang)
        entry: dict[str, Any] = {"lang_name": LANGUAGES[lang].name}
        for proc in procs:
            deps = [{"model": "pretrain", "package": PACKAGE}] if proc in _WITH_PRETRAIN else []
            entry[proc] = {PACKAGE: {"dependencies": deps} if deps else {}}
        entry["pretrain"] = {PACKAGE: {}}
        entry["default_processors"] = pipeline_processors(lang)
        entry["packages"] = {
            "default": pipeline_processors(lang),
            PACKAGE: pipeline_processors(lang),
        }
        content[lang] = entry
    return content


def _build(langs: Sequence[str], work: Path) -> None:
    """Train into ``work/models`` and lay the models out as ``work/resources``; drop the rest."""
    start = time.perf_counter()
    seconds = _train(langs, work)
    resources = work / _RESOURCES
    for lang in langs:
        for proc in [*processors(lang), "pretrain"]:
            target = resources / lang / proc / f"{PACKAGE}.pt"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(work / "models" / lang / f"{proc}.pt", target)
    (resources / "resources.json").write_text(
        json.dumps(resources_json(langs), indent=2), encoding="utf-8"
    )
    # checkpoints, dev predictions and job files stay behind
    shutil.rmtree(work / "models")
    done = {
        "langs": list(langs),
        "package": PACKAGE,
        "train_seconds": seconds,
        "build_seconds": round(time.perf_counter() - start, 1),
    }
    (work / _DONE).write_text(json.dumps(done, indent=2), encoding="utf-8")


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[bool]:
    """Hold an exclusive advisory lock on ``path``; yield whether locking is available."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: rely on the atomic rename alone
        yield False
        return
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build_tiny_resources(cache_root: Path, langs: Sequence[str] = ("fr", "en")) -> Path:
    """Return a Stanza resources directory of tiny models for ``langs``, building it if needed.

    The models are trained with Stanza's own entry points on the synthetic corpora of
    :mod:`.corpus`: tokenize, pos, lemma (dictionary only), depparse, ner, plus sentence sentiment
    for English, all with package ``tiny`` and a 16-dimension ``pretrain``.  Load them with
    ``stanza.Pipeline(lang, dir=str(path), processors=pipeline_processors(lang),
    download_method=None)`` (``dir`` must be a ``str``).  As with Stanza's own resources, a
    ``processors`` dict with the default ``package="default"`` also loads every other default
    processor; pass ``package=None`` to load only the listed ones.

    The result is cached in ``cache_root/<key>/resources`` (see :func:`cache_key`); an existing
    build returns at once.  Builds run under a lock in a temporary directory that is renamed into
    place, so concurrent callers share one build and never see an incomplete one.
    """
    langs = _normalise_langs(langs)
    cache_root = Path(cache_root)
    key = cache_key(langs)
    final = cache_root / key
    if (final / _DONE).is_file():
        return final / _RESOURCES
    cache_root.mkdir(parents=True, exist_ok=True)
    with _locked(cache_root / f".{key}.lock") as exclusive:
        if (final / _DONE).is_file():
            return final / _RESOURCES
        if exclusive:
            # builders hold the lock, so what an earlier one left behind is from a dead process
            for stale in cache_root.glob(f".{key}.*.tmp"):
                shutil.rmtree(stale, ignore_errors=True)
            if final.exists():
                shutil.rmtree(final)
        work = Path(tempfile.mkdtemp(prefix=f".{key}.", suffix=".tmp", dir=cache_root))
        try:
            _build(langs, work)
            try:
                work.rename(final)
            except OSError:
                if not (final / _DONE).is_file():  # not merely beaten by a concurrent build
                    raise
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return final / _RESOURCES
