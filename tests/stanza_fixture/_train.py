"""Run Stanza's own training entry points, one after another, in a fresh process.

usage: python _train.py JOBS_JSON

``JOBS_JSON`` holds ``{"threads": int, "jobs": [job, ...]}`` where a job is one of
``{"name": str, "pretrain": {"vectors": path, "output": path}}`` (a word2vec text file turned into a
Stanza pretrain file), ``{"name": str, "random_pretrain": {"vectors": path, "output": path,
"words": int, "dim": int}}`` (a pretrain of that shape: the file's words first, then filler words,
random vectors; ``bench/stanza_prod.py``'s production-shaped set) or ``{"name": str, "module":
"stanza.models.X", "argv": [str, ...]}`` (``stanza.models.X.main(argv)``).

The fixture builder and ``bench/stanza_prod.py`` run this (through ``build.start_training``) as
a script in a child process rather than calling the trainers in-process: training seeds the
global random generators, reconfigures logging and runs torch with several threads, and a
process that has done multi-threaded torch work can hang in a later fork.
This file imports nothing from the fixture package, so it runs by path from any working directory.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from pathlib import Path
from typing import Any


def _make_pretrain(vectors: str, output: str) -> None:
    """Convert word2vec text vectors into a Stanza pretrain file (Pretrain saves it on load)."""
    from stanza.models.common.pretrain import Pretrain

    pretrain = Pretrain(output, vectors, max_vocab=-1)
    print(f"pretrain: {len(pretrain.vocab)} words x {pretrain.emb.shape[1]} dims", flush=True)


def _random_pretrain(vectors: str, output: str, words: int, dim: int) -> None:
    """A ``words`` x ``dim`` pretrain whose vocabulary starts with the words of ``vectors`` (so
    the taggers see known words); random vectors, for when only the shape matters."""
    import torch
    from stanza.models.common.pretrain import Pretrain, PretrainedWordVocab
    from stanza.models.common.vocab import VOCAB_PREFIX

    lines = Path(vectors).read_text(encoding="utf-8").splitlines()[1:]
    vocab = list(dict.fromkeys(line.split(" ", 1)[0] for line in lines))
    vocab += [f"mot{i:06d}" for i in range(words - len(vocab))]
    generator = torch.Generator().manual_seed(0)
    pretrain = Pretrain(output)
    pretrain._vocab = PretrainedWordVocab(vocab)
    pretrain._emb = torch.randn(len(vocab) + len(VOCAB_PREFIX), dim, generator=generator)
    pretrain.save(output)


def run(spec: dict[str, Any]) -> None:
    """Run every job of ``spec`` in order, printing how long each took."""
    import torch

    torch.set_num_threads(int(spec.get("threads", 2)))
    for job in spec["jobs"]:
        start = time.perf_counter()
        if "pretrain" in job:
            _make_pretrain(job["pretrain"]["vectors"], job["pretrain"]["output"])
        elif "random_pretrain" in job:
            _random_pretrain(**job["random_pretrain"])
        else:
            importlib.import_module(job["module"]).main(list(job["argv"]))
        print(f"### {job['name']}: {time.perf_counter() - start:.1f}s", flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    run(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8")))
