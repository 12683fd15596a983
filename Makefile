# Quick start: `make demo` (set up and run offline on examples/), `make test` (lint, types, tests).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test lint typecheck pytest bench format clean-venv

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $(STAMP)

demo: $(STAMP)
	@echo "== litdigest summarize examples/ (offline, extractive backend) =="
	@rm -f out-demo/demo.db
	$(BIN)/litdigest summarize --db out-demo/demo.db --out out-demo --format md examples/
	$(BIN)/litdigest summarize --db out-demo/demo.db --format jsonl examples/ > out-demo/summaries.jsonl
	@echo "== first digest (out-demo/*.md) =="
	@head -n 30 "$$(ls out-demo/*.md | head -n 1)"
	@echo "Summaries: out-demo/summaries.jsonl (JSON Lines) and out-demo/*.md; store: out-demo/demo.db"
	@echo "(the second run reused the stored summaries: nothing was recomputed)"

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -q

test: lint typecheck pytest

format: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean-venv:
	rm -rf $(VENV)
