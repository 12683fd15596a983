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
	@echo "== litdigest clean examples/ (offline) =="
	$(BIN)/litdigest clean --json examples/ > out-demo.jsonl
	@$(BIN)/python -c "import json,sys; [print(f\"{d['format']:<11} {d['doc_id']}  {(d['metadata']['title'] or '(untitled)')[:70]}\") for d in map(json.loads, open('out-demo.jsonl'))]"
	@echo "== litdigest chunk (first document) =="
	$(BIN)/litdigest chunk --max-tokens 200 examples/scraped-page.txt | head -n 12
	@echo "Cleaned documents written to out-demo.jsonl"

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
